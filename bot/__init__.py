"""support-bot's composition root: settings, database, Slack client, scheduler, app and CLI."""

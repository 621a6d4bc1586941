"""support-bot demo: the real bot against a Slack stand-in, in a browser."""

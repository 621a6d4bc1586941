"""Infrastructure: the Slack Web API clients, who-is-staff look-ups, authorization."""

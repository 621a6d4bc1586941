"""Settings: read once from the environment by bot/, handed down to every layer."""

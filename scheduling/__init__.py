"""Infrastructure: APScheduler with its jobs in the database, and leader election."""

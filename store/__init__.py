"""Infrastructure: the database (engine, ORM models, Alembic migrations)."""

"""Alembic environment: runs on the connection support-bot hands it (see store/migrate.py)."""

from alembic import context

from store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
sqlite = connection.dialect.name == "sqlite"
if sqlite:
    # SQLite's batch mode re-creates a table to alter it (drop, then rename a copy): with foreign
    # keys enforced, dropping a table other rows point at fails. The pragma only takes effect
    # outside a transaction: end the one the caller's look at alembic_version began, and set it on
    # the driver's connection (store/db.py makes every SQLAlchemy transaction a BEGIN IMMEDIATE).
    if connection.in_transaction():
        connection.commit()
    connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
try:
    with context.begin_transaction():
        context.run_migrations()
finally:
    if sqlite:
        if connection.in_transaction():
            connection.commit()
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")

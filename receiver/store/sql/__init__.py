"""The durable backends: SQLite (one machine) and PostgreSQL (many workers, many machines).

Both run on SQLAlchemy 2's async Core with an async driver (aiosqlite, asyncpg), so no
database call ever blocks the event loop; the schema is `tables`, migrated by Alembic.
"""

"""The durable backends: SQLite (one machine) and PostgreSQL (many workers, many machines).

Both run one SQLAlchemy 2 Core schema (`tables`, migrated by Alembic) through `runner`: SQLite
on the standard `sqlite3` driver in threads of its own, PostgreSQL on asyncpg; neither blocks the event loop.
"""

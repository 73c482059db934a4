"""Alembic's entry point: migrations run on the connection `receiver.store.sql.migrate` hands over."""

from alembic import context

from receiver.store.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `antavo-actions db upgrade`, which provides the connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: runs on the connection `concierge migrate` hands it.

There is no alembic.ini: core/migrate.py builds the configuration in code,
with one version location per branch (the core's and each plugin's).
"""

from alembic import context

from core.db import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `concierge migrate` (core.migrate)")

include_object = config.attributes.get("include_object")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
)

with context.begin_transaction():
    context.run_migrations()

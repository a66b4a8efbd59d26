"""Alembic environment: one linear history for every module's tables."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import context

from smartgov.db import Base, make_engine

# Import every module's models so autogenerate sees all tables.
_root = Path(__file__).resolve().parent.parent
importlib.import_module("smartgov.events")
importlib.import_module("smartgov.health")
for _models in sorted(_root.glob("*/models.py")) + sorted(_root.glob("*/*/models.py")):  # and sub-packages
    importlib.import_module("smartgov." + ".".join(_models.relative_to(_root).with_suffix("").parts))

target_metadata = Base.metadata
config = context.config


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Engine, sessions and migrations for the gateway's Postgres."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (run at every start; a no-op when current)."""

    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as conn:
        # One gateway replica migrates at a time.
        await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7251)")
        await conn.run_sync(upgrade)


def refused_value(exc: DBAPIError) -> bool:
    """Whether Postgres refused a value sent to it (SQLSTATE class 22: a NUL character, a number out of
    range), which is the request's fault, rather than failing itself."""
    return str(getattr(exc.orig, "sqlstate", "") or "").startswith("22")

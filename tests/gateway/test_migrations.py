"""Migrations: every one upgrades and downgrades cleanly, and data written before one survives it."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import asyncpg
from alembic import command
from sqlalchemy import Connection, make_url

from services.gateway.db import alembic_config, make_engine
from services.launcher import Mesh


def _alembic(url: str, *steps: tuple[str, str]) -> None:
    async def run() -> None:
        engine = make_engine(url, pool_size=1)

        def apply(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            for action, revision in steps:
                getattr(command, action)(config, revision)

        try:
            async with engine.begin() as conn:
                await conn.run_sync(apply)
        finally:
            await engine.dispose()

    asyncio.run(run())


EMPTY = {"integer": 0, "bigint": 0, "double precision": 0.0, "boolean": False, "jsonb": "{}", "json": "{}"}


async def _insert(conn: asyncpg.Connection, table: str, **values: object) -> None:
    """A row as an older release wrote it: the given values, and for every other required column
    without a default an empty value of its type."""
    columns = await conn.fetch(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1"
        " AND is_nullable = 'NO' AND column_default IS NULL",
        table,
    )
    row = dict(values)
    for column in columns:
        name, kind = column["column_name"], column["data_type"]
        if name not in row:
            row[name] = (
                datetime.now(UTC)
                if kind.startswith("timestamp")
                else uuid.uuid4()
                if kind == "uuid"
                else EMPTY.get(kind, "")
            )
    names = list(row)
    casts = {c["column_name"]: c["data_type"] for c in columns}
    placeholders = [
        f"${i}::jsonb" if name == "parsed" or casts.get(name, "").startswith("json") else f"${i}"
        for i, name in enumerate(names, 1)
    ]
    await conn.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(placeholders)})", *row.values()
    )


async def _schema(dsn: str) -> dict[str, list[tuple]]:
    """The public schema as Postgres describes it: columns, indexes, constraints, sequences, extensions."""
    conn = await asyncpg.connect(dsn)
    try:
        queries = {
            "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default,"
            " character_maximum_length FROM information_schema.columns WHERE table_schema = 'public'",
            "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
            "constraints": "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
            " FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'",
            "sequences": "SELECT sequence_name, data_type FROM information_schema.sequences"
            " WHERE sequence_schema = 'public'",
            "extensions": "SELECT extname FROM pg_extension",
        }
        return {name: sorted(tuple(row) for row in await conn.fetch(sql)) for name, sql in queries.items()}
    finally:
        await conn.close()


def test_migrations_round_trip_and_the_skill_search_column_is_filled_from_existing_parses(mesh: Mesh) -> None:
    server = mesh.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = f"migrations_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = make_url(mesh.database_url).set(database=name).render_as_string(hide_password=False)
    raw = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        _alembic(url, ("upgrade", "0008"))

        async def seed() -> None:
            conn = await asyncpg.connect(raw)
            try:
                owner, job = uuid.uuid4(), uuid.uuid4()
                await _insert(conn, "users", id=owner, email="m@example.com")
                await _insert(conn, "jobs", id=job, owner_id=owner, title="Engineer")
                for index, parsed in enumerate(
                    [
                        {"skills": [{"name": "Python"}, {"name": "Kubernetes"}]},
                        {"skills": []},
                        {"contact": {}},
                    ]
                ):
                    await _insert(
                        conn,
                        "resumes",
                        id=uuid.uuid4(),
                        job_id=job,
                        owner_id=owner,
                        filename=f"r{index}.pdf",
                        sha256=f"{index:064x}",
                        parsed=json.dumps(parsed),
                    )
            finally:
                await conn.close()

        async def skill_names() -> dict[str, str | None]:
            conn = await asyncpg.connect(raw)
            try:
                rows = await conn.fetch("SELECT filename, skill_names FROM resumes")
            finally:
                await conn.close()
            return {r["filename"]: r["skill_names"] for r in rows}

        asyncio.run(seed())
        _alembic(url, ("upgrade", "head"))
        assert asyncio.run(skill_names()) == {"r0.pdf": "Python | Kubernetes", "r1.pdf": None, "r2.pdf": None}
        upgraded = asyncio.run(_schema(raw))
        assert ("resumes", "skill_names") in {(c[0], c[1]) for c in upgraded["columns"]}
        # Every migration's downgrade works and leaves nothing of ours behind; upgrading again gives the
        # same schema, column for column, index for index and constraint for constraint.
        _alembic(url, ("downgrade", "base"))
        emptied = asyncio.run(_schema(raw))
        assert {c[0] for c in emptied["columns"]} <= {"alembic_version"}, emptied["columns"]
        _alembic(url, ("upgrade", "head"))
        assert asyncio.run(_schema(raw)) == upgraded
        assert asyncio.run(skill_names()) == {}
    finally:
        asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))

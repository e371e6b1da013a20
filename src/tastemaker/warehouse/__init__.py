"""The embedded warehouse: one DuckDB file per home, versioned schema, transactions.

    >>> wh = Warehouse.open("/tmp/home/warehouse.duckdb")
    >>> with wh.transaction():
    ...     wh.execute("INSERT INTO ...")
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import duckdb

from ..errors import SchemaError, TastemakerError
from .schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["Warehouse", "SCHEMA_VERSION"]


class Warehouse:
    """A connection to one warehouse file. Use `Warehouse.open`; close it (or use `with`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None):
        self.con = con
        self.path = path

    @classmethod
    def open(cls, path: str | os.PathLike | None, *, read_only: bool = False,
             memory_limit: str | None = None) -> "Warehouse":
        """Open (creating or migrating as needed) the warehouse at `path`; None means in memory."""
        if path is not None:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path) if path is not None else ":memory:", read_only=read_only)
        except duckdb.IOException as exc:
            raise TastemakerError(
                f"Cannot open the warehouse {path}: {exc}. Is another tastemaker command using it?"
            ) from exc
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = true")
        wh = cls(con, path)
        if read_only and path is not None and 0 < wh.schema_version() < SCHEMA_VERSION:
            # an older warehouse is migrated once (briefly writable), then opened as asked
            con.close()
            cls.open(path, memory_limit=memory_limit).close()
            return cls.open(path, read_only=True, memory_limit=memory_limit)
        wh._migrate(read_only)
        return wh

    def _migrate(self, read_only: bool) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"The warehouse {self.path} has schema version {version}, newer than this "
                f"tastemaker understands ({SCHEMA_VERSION}). Upgrade tastemaker, or use another --home."
            )
        if version == SCHEMA_VERSION:
            return
        if read_only:
            raise SchemaError(f"The warehouse {self.path} is empty or has no schema; "
                              f"run a command that writes (e.g. tastemaker ingest) first.")
        with self.transaction():
            for number, _description, sql in MIGRATIONS:
                if number > version:
                    self.con.execute(sql)
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])

    def schema_version(self) -> int:
        """0 for an empty file."""
        has_meta = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").fetchall()[0][0]
        if not has_meta:
            return 0
        row = self.one("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(row[0]) if row else 0

    @contextlib.contextmanager
    def transaction(self):
        """All or nothing: on any exception (Ctrl-C included) the transaction rolls back."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    def execute(self, sql: str, params=None):
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def one(self, sql: str, params=None) -> tuple | None:
        """The first row of a query (None if it has none); the result is consumed entirely."""
        rows = self.execute(sql, params).fetchall()
        return rows[0] if rows else None

    def scalar(self, sql: str, params=None):
        row = self.one(sql, params)
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (for status lines)."""
        names = ["users", "artists", "tracks", "events", "interactions", "quarantine", "playlists"]
        return {n: self.scalar(f"SELECT count(*) FROM {n}") for n in names}

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

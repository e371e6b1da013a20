"""The DuckDB connection under every hook: one warehouse file per home, migrations, transactions.

    >>> engine = DuckDBEngine.open("/tmp/home/warehouse.duckdb")
    >>> with engine.transaction():
    ...     engine.execute("INSERT INTO ...")

`execute`, `one` and `scalar` are this engine's own (its hooks and the tests use them); callers
outside ``tastemaker.engine`` use the hooks of `tastemaker.engine.base.Engine` only. A DuckDB
error becomes an `EngineError` that carries the statement that failed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa

from ...errors import EngineError, SchemaError, TastemakerError
from .schema import MIGRATIONS, SCHEMA_VERSION


class Connection:
    """A connection to one warehouse file. Use `open`; close it (or use `with`)."""

    kind = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None):
        self.con = con
        self.path = path
        self._depth = 0          # open transactions: an inner one joins the outer

    @classmethod
    def open(cls, path: str | os.PathLike | None, *, read_only: bool = False,
             memory_limit: str | None = None):
        """Open (creating or migrating as needed) the warehouse at `path`; None means in memory."""
        if path is not None:
            path = Path(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError) as exc:
                raise TastemakerError(f"Cannot create the warehouse {path}: {path.parent} or a folder "
                                      f"above it is a file, not a folder. Choose another --home.") from exc
            except PermissionError as exc:
                raise TastemakerError(f"Cannot create the folder {path.parent}: permission denied. "
                                      f"Choose another --home.") from exc
            if path.is_dir():
                raise TastemakerError(f"Cannot open the warehouse {path}: it is a folder, not a file.")
        try:
            con = duckdb.connect(str(path) if path is not None else ":memory:", read_only=read_only)
        except duckdb.Error as exc:
            raise TastemakerError(f"Cannot open the warehouse {path}: {_open_failure(path, exc, read_only)}") from exc
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET TimeZone = 'UTC'")
        engine = cls(con, path)
        if read_only and path is not None and 0 < engine.schema_version() < SCHEMA_VERSION:
            # an older warehouse is migrated once (briefly writable), then opened as asked
            con.close()
            cls.open(path, memory_limit=memory_limit).close()
            return cls.open(path, read_only=True, memory_limit=memory_limit)
        engine._migrate(read_only)
        return engine

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
                    self.execute(sql)
            self.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])

    def schema_version(self) -> int:
        """0 for an empty file."""
        has_meta = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'")
        if not has_meta:
            return 0
        row = self.one("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(row[0]) if row else 0

    @property
    def location(self) -> str:
        """Where the warehouse lives, for manifests and messages."""
        return str(self.path) if self.path is not None else ":memory:"

    def scratch_dir(self) -> Path | None:
        """A folder beside the warehouse for large temporary files (None: the system's)."""
        return self.path.parent if self.path is not None else None

    @contextlib.contextmanager
    def transaction(self):
        """All or nothing: on any exception (Ctrl-C included) the transaction rolls back. A
        transaction opened inside another is part of it (the outer one commits or rolls back)."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            with contextlib.suppress(duckdb.Error):   # the first failure is the one to report
                self.con.execute("ROLLBACK")
            raise
        else:
            self._depth = 0
            try:
                self.con.execute("COMMIT")
            except duckdb.Error as exc:
                with contextlib.suppress(duckdb.Error):
                    self.con.execute("ROLLBACK")
                hint = (" Is the disk full? Free some space and run the command again."
                        if _disk_full(exc) else " Run the command again.")
                raise EngineError(f"The warehouse could not keep this step ({str(exc).splitlines()[0]}); "
                                  f"nothing of it was kept.{hint}") from exc

    def copy_to(self, path) -> None:
        """CHECKPOINT (the file then holds every committed change, the WAL nothing), then copy
        the file: this process is the only writer, so nothing changes during the copy."""
        if self.path is None:
            raise EngineError("An in-memory warehouse has no file to copy")
        self.execute("CHECKPOINT")
        shutil.copyfile(self.path, path)

    def execute(self, sql: str, params=None):
        try:
            return self.con.execute(sql, params) if params is not None else self.con.execute(sql)
        except duckdb.Error as exc:
            hint = " Is the disk full? Free some space and run the command again." if _disk_full(exc) else ""
            raise EngineError(f"The warehouse could not run a statement: {exc}{hint}", sql) from exc

    def one(self, sql: str, params=None) -> tuple | None:
        """The first row of a query (None if it has none); the result is consumed entirely."""
        rows = self.execute(sql, params).fetchall()
        return rows[0] if rows else None

    def scalar(self, sql: str, params=None):
        row = self.one(sql, params)
        return row[0] if row else None

    def numpy(self, sql: str, params=None) -> dict:
        """The columns of a query as NumPy arrays (masked where NULL)."""
        return self.execute(sql, params).fetchnumpy()

    # where ingest keeps its rows: these tables (the events, the quarantine) are the ones another
    # engine may keep outside this file (the Spark engine: Parquet under its warehouse)
    def _keep_events(self, select: str) -> None:
        """Keep the accepted events that `select` gives (the columns of ``events``, in order)."""
        self.execute(f"INSERT INTO events {select}")

    def _keep_quarantined(self, select: str) -> None:
        """Keep the quarantined rows that `select` gives (file_id, line, reason, raw)."""
        self.execute(f"INSERT INTO quarantine {select}")

    def events_elsewhere(self) -> str | None:
        """The URI of the Parquet events when the Spark engine keeps them, else None."""
        return self.scalar("SELECT value FROM meta WHERE key = 'events_store'")

    def _events_here(self, what: str) -> None:
        where = self.events_elsewhere()
        if where:
            raise EngineError(f"This home's events are kept by the Spark engine (Parquet at {where}): "
                              f"{what} reads them through Spark. Run the command with --engine spark.")

    def _events_stats(self) -> dict:
        """Counts of the events kept elsewhere: rows, untimed, first, last, quarantined."""
        value = self.scalar("SELECT value FROM meta WHERE key = 'events_stats'")
        return json.loads(value) if value else {"rows": 0, "untimed": 0, "first": None, "last": None,
                                                 "quarantined": 0}

    def arrow(self, sql: str, params=None) -> pa.Table:
        """The result of a query as an Arrow table."""
        if params is not None:
            return self.execute(sql, params).to_arrow_table()
        try:
            return self.con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise EngineError(f"The warehouse could not run a statement: {exc}", sql) from exc

    @contextlib.contextmanager
    def registered(self, name: str, table: pa.Table):
        """An Arrow table visible to SQL as `name` for the duration of the block."""
        self.con.register(name, table)
        try:
            yield name
        finally:
            self.con.unregister(name)

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _disk_full(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "no space left" in text or "disk full" in text or "enospc" in text


def _open_failure(path: Path | None, exc: Exception, read_only: bool) -> str:
    """Why DuckDB could not open the warehouse, in words that say what to do."""
    msg = str(exc)
    low = msg.lower()
    if "lock" in low:
        return (f"another process holds it ({msg.splitlines()[0]}). Wait for the other tastemaker "
                f"command to finish; DuckDB allows one writing process and no reader beside it.")
    if path is not None and ("permission" in low or "read-only" in low or "read only" in low
                             or (path.exists() and not os.access(path, os.W_OK) and not read_only)):
        return (f"the file or its folder is not writable ({msg.splitlines()[0]}). "
                f"Fix its permissions, or use another --home.")
    if "not a valid duckdb" in low or "corrupt" in low or "magic" in low or "checksum" in low:
        return (f"the file is not a DuckDB warehouse or is corrupt ({msg.splitlines()[0]}). "
                f"Move it away and run the pipeline again, or use another --home.")
    return msg.splitlines()[0] if msg else type(exc).__name__

"""The Spark engine's Parquet tables: the events and the quarantine, under a path or URI.

    >>> store = ParquetStore(settings, "hdfs://namenode/tastemaker/warehouse")
    >>> store.stage("events", 7, arrow_table)        # during file 7's transaction
    >>> store.publish()                               # moved into place, then the ledger commits
    >>> store.read("events", committed=[1, 7])        # a DataFrame with a file_id column

Layout: ``ROOT/events/file_id=N/part-*.parquet`` and ``ROOT/quarantine/file_id=N/…``, one folder
per ingested file, so that Spark reads ``ROOT/events`` as one table partitioned by file. A file's
rows are written under ``ROOT/_staging/TX/`` while its transaction runs; at its end each table's
folder is renamed into place (deleting a folder of the same file that an earlier, failed commit
left), and only then does the ledger (the home's DuckDB file) commit. The ledger is the marker:
readers read only the folders of files it holds, and a folder without a ledger entry is deleted
when the store is next written. A crash, Ctrl-C or ``kill -9`` at any point therefore leaves the
previous state, and the next run ingests the file again into the same place.

Every path goes through Hadoop's FileSystem (``file://``, ``hdfs://``, ``s3a://``: whatever the
session reaches). On object stores a rename is a copy; the ledger still decides what is read.
"""

from __future__ import annotations

import urllib.parse
import uuid
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ...config import Settings
from ...errors import EngineError
from .connection import session
from .files import Files

#: the tables the store keeps, with the Spark schema of their rows (``file_id`` is the folder)
SCHEMAS = {
    "events": "line BIGINT, user_idx INT, track_idx INT, artist_idx INT, kind STRING, ts TIMESTAMP, "
              "plays INT, ms_played BIGINT",
    "quarantine": "line BIGINT, reason STRING, raw STRING",
}


#: where a home keeps its Parquet tables unless ``[engine.spark] warehouse`` says: inside the
#: home, so that a copied or moved home takes them along
DEFAULT_LOCATION = "spark/warehouse"


def warehouse_location(settings: Settings) -> str:
    """What a home records as the place of its Parquet tables: ``[engine.spark] warehouse`` as
    given, or `DEFAULT_LOCATION` (relative to the home)."""
    return settings.engine.spark.warehouse.strip().rstrip("/") or DEFAULT_LOCATION


def resolve(location: str, home) -> str:
    """The URI of a recorded location: a URI as it is, a path as a ``file://`` URI (a relative one
    under `home`), so that no cluster's default file system takes a local folder."""
    if "://" in location:
        return location
    path = Path(location)
    return (path if path.is_absolute() else Path(home) / path).resolve().as_uri()


#: the Arrow types of `SCHEMAS` (what a file written by the driver holds)
_ARROW = {"BIGINT": pa.int64(), "INT": pa.int32(), "STRING": pa.string(), "TIMESTAMP": pa.timestamp("us", tz="UTC")}


def _typed(table: str, rows: pa.Table) -> pa.Table:
    """`rows` with exactly the columns and types of `SCHEMAS[table]` (naive times are UTC)."""
    fields = [c.split() for c in SCHEMAS[table].split(", ")]
    schema = pa.schema([(name, _ARROW[kind]) for name, kind in fields])
    cols = []
    for name, kind in fields:
        col = rows.column(name)
        if kind == "TIMESTAMP" and col.type.tz is None:
            col = pc.assume_timezone(col, "UTC")
        cols.append(pc.cast(col, _ARROW[kind]))
    return pa.Table.from_arrays(cols, schema=schema)


class ParquetStore:
    """The Parquet tables under the URI `root` (recorded by the home as `location`), read and
    written through the session of `settings` (started on first use)."""

    def __init__(self, settings: Settings, root: str, location: str | None = None):
        self.settings, self.root = settings, root.rstrip("/")
        self.location = location or self.root      # as the home records it (maybe relative to it)
        self._spark = self._files = None
        self._tx: str | None = None         # the staging folder of the open transaction
        self._staged: set[tuple[str, int]] = set()

    @property
    def local(self) -> bool:
        """Whether the tables are on the driver's own file system (a ``file:`` URI)."""
        return self.root.startswith("file:")

    # -- Spark and its file system ----------------------------------------------------------------
    @property
    def spark(self):
        if self._spark is None:
            self._spark = session(self.settings)
        return self._spark

    @property
    def files(self) -> Files:
        if self._files is None:
            self._files = Files(self.spark)
        return self._files

    def _uri(self, *parts: str) -> str:
        return "/".join((self.root,) + parts)

    def partitions(self, table: str) -> list[int]:
        """The files with a folder in `table` (committed or not)."""
        return sorted(int(name.split("=", 1)[1]) for name in self.files.folders(self._uri(table))
                      if name.startswith("file_id="))

    # -- writing ------------------------------------------------------------------------------------
    def begin(self) -> None:
        self._tx, self._staged = f"tx-{uuid.uuid4().hex[:12]}", set()

    def stage(self, table: str, file_id: int, rows: pa.Table) -> None:
        """Append `rows` (Arrow, the columns of `SCHEMAS[table]`) to file `file_id`'s staged rows.
        On a local warehouse the driver writes them as one Parquet file itself (they are in its
        memory already; handing them to the JVM to write costs ten times as much); elsewhere
        Spark writes them."""
        if self._tx is None:
            raise EngineError("The Spark warehouse is written only inside a transaction")
        if not rows.num_rows:
            return
        parts = ("_staging", self._tx, table, f"file_id={int(file_id)}")
        if self.local:
            folder = Path(urllib.parse.urlparse(self._uri(*parts)).path)
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(_typed(table, rows), folder / f"part-{uuid.uuid4().hex}.parquet")
        else:
            self._write(self._frame(table, rows), parts, "append")
        self._staged.add((table, int(file_id)))

    def _frame(self, table: str, rows: pa.Table):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)       # PySpark on pandas 3
            return self.spark.createDataFrame(_typed(table, rows), schema=SCHEMAS[table])

    def _write(self, frame, parts: tuple[str, ...], mode: str) -> None:
        frame.write.mode(mode).parquet(self._uri(*parts))

    def staged_parts(self) -> list[tuple[str, int]]:
        """The (table, file_id) folders staged in the open transaction."""
        return sorted(self._staged)

    def staged(self, table: str, file_id: int):
        """The rows staged for `file_id` in this transaction (a DataFrame, maybe empty)."""
        if (table, int(file_id)) not in self._staged:
            return self.spark.createDataFrame([], SCHEMAS[table])
        return self.spark.read.schema(SCHEMAS[table]).parquet(
            self._uri("_staging", self._tx, table, f"file_id={int(file_id)}"))

    def append_staged(self, table: str, file_id: int, frame) -> None:
        """Add the rows of a DataFrame (the columns of `SCHEMAS[table]`) to `file_id`'s staged rows."""
        self._write(frame, ("_staging", self._tx, table, f"file_id={int(file_id)}"), "append")
        self._staged.add((table, int(file_id)))

    def restage(self, table: str, file_id: int, frame) -> None:
        """Replace the staged rows of `file_id` with `frame` (computed from them: it is written
        in full beside them before they are deleted)."""
        folder = ("_staging", self._tx, table, f"file_id={int(file_id)}")
        beside = ("_staging", self._tx, f"{table}.next", f"file_id={int(file_id)}")
        self._write(frame, beside, "overwrite")
        self.files.delete(self._uri(*folder))
        self.files.rename(self._uri(*beside), self._uri(*folder))
        self._staged.add((table, int(file_id)))

    def publish(self) -> None:
        """Move every staged folder into place (the caller then commits the ledger)."""
        for table, file_id in sorted(self._staged):
            target = self._uri(table, f"file_id={file_id}")
            self.files.delete(target)           # left by a commit that failed after its rename
            self.files.rename(self._uri("_staging", self._tx, table, f"file_id={file_id}"), target)
        self.discard()

    def discard(self) -> None:
        """Forget the open transaction's staged rows."""
        if self._tx is not None and self._spark is not None:
            self.files.delete(self._uri("_staging", self._tx))
        self._tx, self._staged = None, set()

    def sweep(self, committed: set[int]) -> list[str]:
        """Delete what no ledger entry holds: folders of files that were never committed, and
        the staging of transactions that never ended. Returns what went."""
        gone = []
        for table in SCHEMAS:
            for file_id in self.partitions(table):
                if file_id not in committed:
                    self.files.delete(self._uri(table, f"file_id={file_id}"))
                    gone.append(f"{table}/file_id={file_id}")
        if self.files.exists(self._uri("_staging")):
            self.files.delete(self._uri("_staging"))
            gone.append("_staging")
        return gone

    # -- reading ------------------------------------------------------------------------------------
    def read(self, table: str, committed):
        """The committed rows of `table` with their ``file_id`` (a DataFrame; empty when none)."""
        from pyspark.sql import functions as F

        ids = sorted(int(i) for i in committed)
        present = set(self.partitions(table)) & set(ids)
        if not present:
            return self.spark.createDataFrame([], f"file_id INT, {SCHEMAS[table]}")
        frame = (self.spark.read.schema(f"{SCHEMAS[table]}, file_id INT")
                 .option("basePath", self._uri(table))
                 .parquet(*[self._uri(table, f"file_id={i}") for i in sorted(present)]))
        return frame.select("file_id", *[c.split()[0] for c in SCHEMAS[table].split(", ")]).where(
            F.col("file_id").isin(sorted(present)))

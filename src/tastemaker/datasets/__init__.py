"""Loaders for public listening datasets: one call puts a dataset into the warehouse.

    >>> report = load_dataset(wh, "lastfm-hetrec", "data/hetrec2011-lastfm-2k")
    >>> report.rows_read == report.accepted + report.quarantined
    True

Every loader goes through `tastemaker.ingest`, so a dataset obeys the same rules as a user's own
files: rows are validated, bad rows go to ``quarantine`` with their file and line, each file is one
transaction, and a file whose content was already ingested is skipped (loading twice adds nothing).

Where a file must be rewritten before ingest (Audioscrobbler aliases resolved, MSD song metadata
reduced to one row per song), the rewrite lives in a temporary file beside the warehouse and is
recorded in ``ingested_files`` under the original's path and sha256, so re-loading the original is
recognised. Line-for-line rewrites keep every line where it was (dropped lines become blank), so
``quarantine.line`` and ``events.line`` are lines of the original file.

Datasets whose items are artists (Last.fm HetRec, Audioscrobbler) get one catalogue "track" per
artist: ``track_id`` = ``artist_id`` = the dataset's artist id, ``title`` = the artist's name.
Ids are the dataset's own, so two datasets do not mix in one warehouse: load each into its own home.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import importlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pyarrow as pa

from ..errors import InputError, ParameterError
from ..ingest import FileReport, ReadOptions, ingest_catalog, ingest_events
from ..ingest.load import sha256_of
from ..ingest.readers import BadRow, FileReader
from ..warehouse import Warehouse

__all__ = ["DatasetInfo", "DatasetReport", "LoadedFile", "available", "load_dataset", "info"]


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset tastemaker can load: its name, what it is, its terms, and what PATH must hold."""

    name: str
    description: str
    licence: str
    expects: str
    module: str

    def loader(self) -> Callable[[Warehouse, Path], "DatasetReport"]:
        return importlib.import_module(f"{__name__}.{self.module}").load


_DATASETS = (
    DatasetInfo(
        "lastfm-hetrec",
        "Last.fm HetRec 2011 (2K users): artists as items, weight = play count, user tags on artists",
        "non-commercial use only (Last.fm, via GroupLens); cite HetRec 2011",
        "a folder with user_artists.dat and artists.dat (tags.dat and user_taggedartists.dat for tags)",
        "lastfm_hetrec"),
    DatasetInfo(
        "msd-taste-profile",
        "Echo Nest Taste Profile (Million Song Dataset): user, song, play count triplets, "
        "with song metadata where present",
        "free for research (The Echo Nest / LabROSA), no open licence; cite the MSD (ISMIR 2011)",
        "a triplets file (train_triplets.txt, 10000.txt, *triplets*.txt) or its folder; "
        "optional song_data.csv-like CSV or unique_tracks.txt beside it",
        "msd_taste"),
    DatasetInfo(
        "audioscrobbler",
        "Audioscrobbler 2005 profiles: artists as items, play counts, misspelt artist ids resolved",
        "CC BY-NC-SA 1.0 (Audioscrobbler): non-commercial, share alike, attribution",
        "a folder with user_artist_data.txt, artist_data.txt and artist_alias.txt",
        "audioscrobbler"),
)


def available() -> list[DatasetInfo]:
    """The datasets tastemaker can load, in a stable order."""
    return list(_DATASETS)


def info(name: str) -> DatasetInfo:
    for d in _DATASETS:
        if d.name == name:
            return d
    raise ParameterError(f"Unknown dataset {name!r}; expected one of {[d.name for d in _DATASETS]}.")


@dataclass
class LoadedFile:
    role: str                         # plays, artists (the catalogue), songs (metadata), tags, aliases
    report: FileReport


@dataclass
class DatasetReport:
    """What a load did, file by file (each with its ingest report), plus notes worth reading."""

    dataset: str
    path: str
    files: list[LoadedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, role: str, report: FileReport) -> FileReport:
        self.files.append(LoadedFile(role, report))
        return report

    @property
    def rows_read(self) -> int:
        return sum(f.report.rows_read for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.report.accepted for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.report.quarantined for f in self.files)

    @property
    def reasons(self) -> collections.Counter:
        total = collections.Counter()
        for f in self.files:
            total.update(f.report.reasons)
        return total

    @property
    def rejected_files(self) -> list[FileReport]:
        return [f.report for f in self.files if f.report.status == "rejected"]

    def file(self, role: str) -> FileReport:
        """The report of the (first) file with this role."""
        for f in self.files:
            if f.role == role:
                return f.report
        raise KeyError(role)


def load_dataset(wh: Warehouse, name: str, path: str | os.PathLike) -> DatasetReport:
    """Load the public dataset `name` from `path` (its folder, or its main file) into `wh`.

    Raises `InputError` when files the dataset needs are missing (naming them) or when the
    warehouse already holds another dataset; rows that fail validation never raise, they are
    quarantined and counted in the report.
    """
    dataset = info(name)
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{path} does not exist; {dataset.name} expects {dataset.expects}.")
    other = wh.scalar("SELECT name FROM dataset_loads WHERE name <> ? LIMIT 1", [dataset.name])
    if other:
        raise InputError(
            f"This warehouse already holds the {other} dataset; its user and artist ids would mix "
            f"with those of {dataset.name}. Load {dataset.name} into another home "
            f"(tastemaker --home DIR datasets load {dataset.name} PATH).")
    foreign = 0
    if wh.scalar("SELECT count(*) FROM dataset_loads") == 0:
        foreign = wh.scalar("SELECT count(*) FROM events")
    report = dataset.loader()(wh, path)
    if foreign:
        report.notes.append(f"The warehouse already held {foreign:,} events from other sources; "
                            f"their ids may collide with the dataset's.")
    if any(f.report.status == "ingested" for f in report.files):
        wh.execute("INSERT INTO dataset_loads VALUES (?, ?, ?, ?, ?, ?)",
                   [dataset.name, str(path.resolve()), _now(), report.rows_read, report.accepted,
                    report.quarantined])
    return report


# -- helpers shared by the loaders ------------------------------------------------------------

def folder_and_files(path: Path, dataset: str, required: list[str]) -> tuple[Path, dict[str, Path]]:
    """The dataset's folder (`path`, or the folder of the file `path`) and its required files;
    `InputError` naming every missing one."""
    folder = path if path.is_dir() else path.parent
    found = {n: folder / n for n in required if (folder / n).is_file()}
    missing = [n for n in required if n not in found]
    if missing:
        raise InputError(f"{folder}: {dataset} expects the files {', '.join(required)}; "
                         f"missing: {', '.join(missing)}.")
    return folder, found


def already_ingested(wh: Warehouse, path: Path, target: str) -> tuple[str, str | None]:
    """(sha256 of the file, the path it was first ingested from or None)."""
    sha = sha256_of(path)
    earlier = wh.one("SELECT path FROM ingested_files WHERE sha256 = ? AND target = ?", [sha, target])
    return sha, earlier[0] if earlier else None


def skipped(path: Path, earlier: str) -> FileReport:
    return FileReport(str(path), "skipped", message=f"same content already ingested from {earlier}")


@contextlib.contextmanager
def scratch(wh: Warehouse) -> Iterator[Path]:
    """A temporary folder beside the warehouse (rewrites of big files can be big), removed after."""
    base = wh.path.parent if wh.path is not None else None
    with tempfile.TemporaryDirectory(prefix=".tastemaker-dataset-", dir=base) as d:
        yield Path(d)


def ingest_rewrite(wh: Warehouse, original: Path, target: str, write: Callable[[Path], None], *,
                   mapping: dict[str, str], options: ReadOptions, suffix: str = "",
                   parse_errors: list[BadRow] = ()) -> FileReport:
    """Ingest a rewrite of `original` (made by `write(tmp)`) and record it as `original`.

    Skipped when the original's content was already ingested into `target`. The rewrite's rows
    keep the lines of the original where `write` preserves them; `parse_errors` (rows of the
    original that never reached the rewrite) are quarantined under the same file.
    """
    sha, earlier = already_ingested(wh, original, target)
    if earlier:
        return skipped(original, earlier)
    with scratch(wh) as tmp_dir:
        tmp = tmp_dir / (original.name + suffix)
        write(tmp)
        ingest = ingest_events if target == "events" else ingest_catalog
        report = ingest(wh, [tmp], mapping=mapping, options=options).files[0]
    if report.status == "rejected":
        wh.execute("UPDATE rejected_files SET path = ?, sha256 = ? WHERE path = ?",
                   [str(original), sha, str(tmp)])
    elif report.status == "ingested":
        file_id = wh.scalar("SELECT file_id FROM ingested_files WHERE path = ?", [str(tmp)])
        with wh.transaction():
            for bad in parse_errors:
                wh.execute("INSERT INTO quarantine VALUES (?, ?, ?, ?)",
                           [file_id, bad.line, bad.reason, bad.raw])
                report.reasons[_reason_kind(bad.reason)] += 1
            report.rows_read += len(parse_errors)
            report.quarantined += len(parse_errors)
            wh.execute("""UPDATE ingested_files SET path = ?, sha256 = ?, rows_read = ?,
                          rows_quarantined = ? WHERE file_id = ?""",
                       [str(original), sha, report.rows_read, report.quarantined, file_id])
    report.path = str(original)
    report.message = report.message.replace(str(tmp), str(original))
    return report


def read_into_table(wh: Warehouse, path: Path, options: ReadOptions, table: str) -> FileReader:
    """Read a whole (small) file with the ingest reader into TEMP table `table`: its columns as
    strings plus ``line``. Rows the reader rejects are left in ``reader.bad_rows``."""
    reader = FileReader(path, options)
    con, created = wh.con, False
    for batch in reader.batches():
        con.register("_dataset_batch", pa.Table.from_batches([batch]))
        cols = ", ".join(f'"{c}"' for c in batch.schema.names if c != "__line")
        verb = f"INSERT INTO {table}" if created else f"CREATE OR REPLACE TEMP TABLE {table} AS"
        con.execute(f"{verb} SELECT {cols}, __line AS line FROM _dataset_batch")
        con.unregister("_dataset_batch")
        created = True
    if not created:
        cols = ", ".join(f'CAST(NULL AS VARCHAR) AS "{c}"' for c in reader.columns) or "NULL AS _"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {cols}, CAST(NULL AS BIGINT) AS line "
                    f"LIMIT 0")
    return reader


def record_side_file(wh: Warehouse, path: Path, sha: str, target: str, reader: FileReader, *,
                     staged: str, insert: Callable[[int], None] | None = None) -> FileReport:
    """Record a file that is not events or catalogue (tags, aliases) like ingest records its own:
    one `ingested_files` row, its bad rows in `quarantine`. `staged` is a table with
    ``line``, ``reason`` (NULL when accepted) and the row's columns; `insert(file_id)` copies the
    accepted rows where they belong. Runs in one transaction."""
    report = FileReport(str(path), "ingested")
    with wh.transaction():
        file_id = int(wh.scalar("SELECT coalesce(max(file_id), 0) + 1 FROM ingested_files"))
        cols = [c for c in reader.columns]
        raw = "to_json(struct_pack(" + ", ".join(f'"{c}" := s."{c}"' for c in cols) + "))::VARCHAR"
        wh.execute(f"INSERT INTO quarantine SELECT ?, s.line, s.reason, {raw} FROM {staged} s "
                   f"WHERE s.reason IS NOT NULL ORDER BY s.line", [file_id])
        for reason, n in wh.execute(f"SELECT reason, count(*) FROM {staged} WHERE reason IS NOT NULL "
                                    f"GROUP BY 1").fetchall():
            report.reasons[_reason_kind(reason)] += n
        for bad in reader.bad_rows:
            wh.execute("INSERT INTO quarantine VALUES (?, ?, ?, ?)", [file_id, bad.line, bad.reason, bad.raw])
            report.reasons[_reason_kind(bad.reason)] += 1
        n, ok = wh.one(f"SELECT count(*), count(*) FILTER (WHERE reason IS NULL) FROM {staged}")
        report.rows_read = n + len(reader.bad_rows)
        report.accepted = ok
        report.quarantined = report.rows_read - ok
        report.blank_lines = reader.blank_lines
        if insert is not None:
            insert(file_id)
        wh.execute("INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [file_id, str(path), sha, target, _now(), report.rows_read, report.accepted,
                    report.quarantined])
    return report


def rejected(wh: Warehouse, path: Path, sha: str | None, target: str, exc: Exception) -> FileReport:
    wh.execute("INSERT INTO rejected_files VALUES (?, ?, ?, ?, ?)", [str(path), sha, target, str(exc), _now()])
    return FileReport(str(path), "rejected", message=str(exc))


def lines_sql(path: Path, encoding: str = "utf-8") -> str:
    """A DuckDB relation of every line of a text file as (line, text), blank lines included
    (text NULL), in file order; CR of CRLF endings removed."""
    literal = "'" + str(path).replace("'", "''") + "'"
    return (f"(SELECT row_number() OVER () AS line, text FROM read_csv({literal}, "
            f"columns = {{'text': 'VARCHAR'}}, header = false, delim = chr(0), quote = '', "
            f"escape = '', auto_detect = false, strict_mode = false, encoding = '{encoding}'))")


def on_lines(wh: Warehouse, source: Path, statement: Callable[[str], str],
             notes: list[str] | None = None) -> list[tuple]:
    """Run the SQL `statement(lines)`, where ``lines`` is the `lines_sql` relation of `source`,
    and return its rows. Reads `source` as UTF-8, or as latin-1 (which decodes any bytes) if it
    is not, saying so in `notes`."""
    for encoding in ("utf-8", "latin-1"):
        try:
            rows = wh.execute(statement(lines_sql(source, encoding))).fetchall()
            if encoding != "utf-8" and notes is not None:
                notes.append(f"{source.name} is not valid UTF-8: read as latin-1 (check odd names).")
            return rows
        except duckdb.InvalidInputException as exc:
            text = str(exc).lower()
            if encoding == "utf-8" and ("unicode" in text or "utf" in text):
                continue
            raise InputError(f"{source}: cannot be read as text ({exc})") from exc
    raise AssertionError("unreachable")


def copy_text(query: str, out: Path) -> str:
    """SQL writing the one-column `query` to `out`, one value per line, verbatim (UTF-8)."""
    return f"COPY ({query}) TO '{_lit(out)}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')"


def _lit(path: Path) -> str:
    return str(path).replace("'", "''")


def _reason_kind(reason: str) -> str:
    return reason.split(":")[0].split(" '")[0]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

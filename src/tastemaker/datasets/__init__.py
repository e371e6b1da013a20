"""Loaders for public listening datasets: one call puts a dataset into the warehouse.

    >>> report = load_dataset(engine, "lastfm-hetrec", "data/hetrec2011-lastfm-2k")
    >>> report.rows_read == report.accepted + report.quarantined
    True

Every loader goes through `tastemaker.ingest`, so a dataset obeys the same rules as a user's own
files: rows are validated, bad rows go to ``quarantine`` with their file and line, each file is one
transaction, and a file whose content was already ingested is skipped (loading twice adds nothing).

Where a file must be rewritten before ingest (Audioscrobbler aliases resolved, MSD song metadata
reduced to one row per song), the rewrite lives in a temporary file beside the warehouse and is
recorded in ``ingested_files`` under the original's path and sha256, so re-loading the original is
recognised. Line-for-line rewrites keep every line where it was (dropped lines become blank), so
``quarantine.line`` and ``events.line`` are lines of the original file. The bookkeeping is
ingest's own (`tastemaker.ingest.ledger`); the steps that join or rewrite in SQL are the
engine's (``Engine.load_hetrec_tags``, ``msd_metadata_rows``, ``stage_audioscrobbler_aliases``, …).

Datasets whose items are artists (Last.fm HetRec, Audioscrobbler) get one catalogue "track" per
artist: ``track_id`` = ``artist_id`` = the dataset's artist id, ``title`` = the artist's name.
Ids are the dataset's own, so two datasets do not mix in one warehouse: load each into its own home.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa

from ..engine import Engine
from ..errors import InputError, ParameterError
from ..ingest import FileReport, ReadOptions, ingest_catalog, ingest_events
from ..ingest.ledger import Totals, already_ingested, quarantine_bad_rows, skipped
from ..ingest.readers import BadRow, FileReader

__all__ = ["DatasetInfo", "DatasetReport", "LoadedFile", "available", "load_dataset", "info"]


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset tastemaker can load: its name, what it is, its terms, and what PATH must hold."""

    name: str
    description: str
    licence: str
    expects: str
    module: str

    def loader(self) -> Callable[[Engine, Path], "DatasetReport"]:
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
class DatasetReport(Totals):
    """What a load did, file by file (each with its ingest report), plus notes worth reading."""

    dataset: str
    path: str
    files: list[LoadedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, role: str, report: FileReport) -> FileReport:
        self.files.append(LoadedFile(role, report))
        return report

    def file_reports(self) -> list[FileReport]:
        return [f.report for f in self.files]

    def file(self, role: str) -> FileReport:
        """The report of the (first) file with this role."""
        for f in self.files:
            if f.role == role:
                return f.report
        raise KeyError(role)


def load_dataset(engine: Engine, name: str, path: str | os.PathLike) -> DatasetReport:
    """Load the public dataset `name` from `path` (its folder, or its main file) into `engine`.

    Raises `InputError` when files the dataset needs are missing (naming them) or when the
    warehouse already holds another dataset; rows that fail validation never raise, they are
    quarantined and counted in the report.
    """
    dataset = info(name)
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{path} does not exist; {dataset.name} expects {dataset.expects}.")
    loaded = engine.loaded_datasets()
    other = next((n for n in loaded if n != dataset.name), None)
    if other:
        raise InputError(
            f"This warehouse already holds the {other} dataset; its user and artist ids would mix "
            f"with those of {dataset.name}. Load {dataset.name} into another home "
            f"(tastemaker --home DIR datasets load {dataset.name} PATH).")
    foreign = engine.event_count() if not loaded else 0
    report = dataset.loader()(engine, path)
    if foreign:
        report.notes.append(f"The warehouse already held {foreign:,} events from other sources; "
                            f"their ids may collide with the dataset's.")
    if any(f.report.status == "ingested" for f in report.files):
        engine.record_dataset_load(dataset.name, str(path.resolve()), rows_read=report.rows_read,
                                   accepted=report.accepted, quarantined=report.quarantined)
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


@contextlib.contextmanager
def scratch(engine: Engine) -> Iterator[Path]:
    """A temporary folder beside the warehouse (rewrites of big files can be big), removed after."""
    with tempfile.TemporaryDirectory(prefix=".tastemaker-dataset-", dir=engine.scratch_dir()) as d:
        yield Path(d)


def ingest_rewrite(engine: Engine, original: Path, target: str, write: Callable[[Path], None], *,
                   mapping: dict[str, str], options: ReadOptions, suffix: str = "",
                   parse_errors: list[BadRow] = ()) -> FileReport:
    """Ingest a rewrite of `original` (made by `write(tmp)`) and record it as `original`.

    Skipped when the original's content was already ingested into `target`. The rewrite's rows
    keep the lines of the original where `write` preserves them; `parse_errors` (rows of the
    original that never reached the rewrite) are quarantined under the same file.
    """
    sha, earlier = already_ingested(engine, original, target)
    if earlier:
        return skipped(original, earlier)
    with scratch(engine) as tmp_dir:
        tmp = tmp_dir / (original.name + suffix)
        write(tmp)
        ingest = ingest_events if target == "events" else ingest_catalog
        report = ingest(engine, [tmp], mapping=mapping, options=options).files[0]
    if report.status == "rejected":
        engine.relabel_rejected(str(tmp), str(original), sha)
    elif report.status == "ingested":
        file_id = engine.ingested_file_id(str(tmp))
        with engine.transaction():
            quarantine_bad_rows(engine, file_id, list(parse_errors), report)
            engine.relabel_ingested(file_id, str(original), sha, rows_read=report.rows_read,
                                    quarantined=report.quarantined)
    report.path = str(original)
    report.message = report.message.replace(str(tmp), str(original))
    return report


def read_table(path: Path, options: ReadOptions) -> tuple[FileReader, pa.Table]:
    """A whole (small) file read with the ingest reader: its columns as text plus ``line``.
    Rows the reader rejects are left in ``reader.bad_rows``."""
    reader = FileReader(path, options)
    parts = [pa.Table.from_batches([b]) for b in reader.batches()]
    if parts:
        table = pa.concat_tables(parts, promote_options="default")
        names = [c for c in table.schema.names if c != "__line"]
        return reader, table.select(names + ["__line"]).rename_columns(names + ["line"])
    empty = {c: pa.array([], pa.string()) for c in reader.columns}
    return reader, pa.table({**empty, "line": pa.array([], pa.int64())})

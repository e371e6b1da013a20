"""Load event and catalogue files into the warehouse, one transaction per file.

Every row read ends either in its table or in ``quarantine`` with the file, line and reason; a
file that cannot be read at all ends in ``rejected_files``. Nothing of a file is kept unless all of
it is (a crash or Ctrl-C rolls the file back; the next run ingests it again).

Data flow of one file: its sha256 (a file already ingested is skipped) → `FileReader` batches
(Arrow, exact line numbers) → the engine validates each batch in SQL, quarantines its bad rows
and loads the rest (`Engine.load_event_batch`, `load_catalog_batch`) → rows the reader could not
parse are quarantined → timestamped events repeating earlier ones are quarantined → the file is
recorded in the ledger.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..config import IngestParams
from ..engine import Engine
from ..errors import EngineError, InputError
from ..progress import progress
from .columns import CATALOG_COLUMNS, EVENT_COLUMNS, KIND_ALIASES, resolve_columns
from .ledger import (FileReport, IngestReport, grown_from, quarantine_bad_rows, record_file, reject,
                     digest, plain_text, skipped)
from .readers import FileReader, ReadOptions

__all__ = ["FileReport", "IngestReport", "ingest_file"]

log = logging.getLogger(__name__)


def ingest_file(engine: Engine, path: Path, target: str, *, mapping: dict[str, str],
                options: ReadOptions, default_kind: str = "play", dedupe: bool = True,
                window: tuple[str, str] | None = None) -> FileReport:
    """Ingest one file into `target` ("events" or "catalog"); never raises for bad input."""
    path = Path(path)
    report = FileReport(str(path), "ingested")
    sha = None
    try:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.is_dir():
            raise InputError(f"{path}: is a folder, not a file")
        if path.stat().st_size == 0:
            raise InputError(f"{path}: empty file (0 bytes)")
        sha, lines = digest(path)
        earlier = engine.ingested_path(sha, target)
        if earlier:
            return skipped(path, earlier)
        growth = grown_from(engine, path, target) if target == "events" else None
        if growth is not None:
            if not _ends_a_line(path, growth.bytes):
                raise InputError(
                    f"{path}: the file grew since it was ingested ({growth.ingested_at}), but the part "
                    f"ingested then did not end with a line break, so its last row may have been cut. "
                    f"Put the new rows in a file of their own")
            report.message = (f"appended since {growth.ingested_at}: its first {growth.lines:,} lines were "
                              f"ingested then; only the rows after them are new")
        with engine.transaction():
            _load(engine, path, sha, target, mapping, options, default_kind, dedupe, report,
                  window or IngestParams().window(), growth.lines if growth else 0,
                  lines if target == "events" and plain_text(path) else None)
    except InputError as exc:
        return reject(engine, path, sha, target, str(exc))
    except EngineError as exc:
        return reject(engine, path, sha, target, f"{path}: {exc}")
    except OSError as exc:
        return reject(engine, path, sha, target, f"{path}: cannot be read ({exc.strerror or exc})")
    except Exception as exc:  # noqa: BLE001 - one file's bug must not stop the files after it
        log.error("ingest of %s failed unexpectedly", path, exc_info=exc)
        return reject(engine, path, sha, target,
                      f"{path}: unexpected {type(exc).__name__} ({exc}); nothing of the file was kept. "
                      f"This is a bug in tastemaker: the traceback is in the log (logs/tastemaker.log "
                      f"in the home)")
    return report


def _load(engine: Engine, path, sha, target, mapping, options, default_kind, dedupe, report, window,
          known_lines: int = 0, lines: int | None = None):
    file_id = engine.next_file_id()
    reader = FileReader(path, options)
    spec = EVENT_COLUMNS if target == "events" else CATALOG_COLUMNS
    required = [("user_id",), ("track_id", "artist_id")] if target == "events" else [("track_id",)]
    resolved = None
    with progress(f"Ingesting {path.name}", total=reader.size) as step:
        for batch in reader.batches():
            if resolved is None:
                resolved = resolve_columns(reader.columns, spec, mapping, path=path, required=required)
            table = _padded(batch, reader.columns)
            if known_lines:     # an appended file: its first lines are in the warehouse already
                table = table.filter(pc.greater(table.column("__line"), known_lines))
                if not table.num_rows:
                    continue
            if target == "events":
                result = engine.load_event_batch(file_id, table, resolved, reader.columns,
                                                 kinds=KIND_ALIASES, default_kind=default_kind,
                                                 window=window)
            else:
                result = engine.load_catalog_batch(file_id, table, resolved, reader.columns)
            report.add(result)
            step.update(completed=reader.bytes_read())
    if resolved is None and not reader.bad_rows:
        # a header with no rows, or nothing at all: resolve to report missing columns anyway
        resolve_columns(reader.columns, spec, mapping, path=path, required=required)
    quarantine_bad_rows(engine, file_id, [b for b in reader.bad_rows if b.line > known_lines], report)
    report.blank_lines = reader.blank_lines
    if target == "events" and dedupe and report.accepted:
        dups = engine.quarantine_duplicate_events(file_id)
        if dups:
            report.reasons["duplicate event"] += dups
            report.accepted -= dups
            report.quarantined += dups
    record_file(engine, file_id, path, sha, target, report, lines)


def _ends_a_line(path: Path, size: int) -> bool:
    with open(path, "rb") as f:
        f.seek(size - 1)
        return f.read(1) == b"\n"


def _padded(batch: pa.RecordBatch, columns: list[str]) -> pa.Table:
    """The batch as a table with every column of the file (JSON lines may add keys in later
    batches: earlier batches lack them and get them as nulls)."""
    names = batch.schema.names
    missing = [c for c in columns if c not in names]
    if missing:
        batch = pa.RecordBatch.from_arrays(
            list(batch.columns) + [pa.nulls(batch.num_rows, pa.string()) for _ in missing],
            names=list(names) + missing)
    return pa.Table.from_batches([batch])

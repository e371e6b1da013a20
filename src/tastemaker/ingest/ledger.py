"""The books of ingest: every file read is ingested once, skipped or rejected; every row read is
accepted or quarantined with its reason. One home for that bookkeeping, used by events and
catalogue files (`load`), documents (`tastemaker.text.documents`) and public datasets.

    >>> sha, earlier = already_ingested(engine, path, "events")
    >>> report = skipped(path, earlier) if earlier else ...

A report counts rows: ``rows_read == accepted + quarantined`` for every file.
"""

from __future__ import annotations

import collections
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..engine import Engine
from ..engine.base import BatchResult
from .readers import BadRow, FileReader, detect_format, is_gzip


def digest(path: Path, limit: int | None = None, chunk: int = 1 << 22) -> tuple[str, int]:
    """(sha256, line breaks) of the file, or of its first `limit` bytes, in one read."""
    h, lines, left = hashlib.sha256(), 0, limit
    with open(path, "rb") as f:
        while block := f.read(chunk if left is None else min(chunk, left)):
            h.update(block)
            lines += block.count(b"\n")
            if left is not None:
                left -= len(block)
    return h.hexdigest(), lines


def sha256_of(path: Path) -> str:
    return digest(path)[0]


def reason_kind(reason: str) -> str:
    """The reason without the offending value, for counting (\"bad timestamp 'x'\" → \"bad timestamp\")."""
    return reason.split(":")[0].split(" '")[0]


@dataclass
class FileReport:
    path: str
    status: str                      # ingested | skipped | rejected
    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    blank_lines: int = 0
    reasons: collections.Counter = field(default_factory=collections.Counter)
    message: str = ""

    def add(self, result: BatchResult) -> None:
        """Count one batch: its rows, the accepted ones and the reasons of the others."""
        self.rows_read += result.rows
        self.accepted += result.rows - result.rejected
        self.quarantined += result.rejected
        for reason, n in result.reasons.items():
            self.reasons[reason_kind(reason)] += n


class Totals:
    """Totals over a report's files (`file_reports`)."""

    def file_reports(self) -> list[FileReport]:
        raise NotImplementedError

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.file_reports())

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.file_reports())

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.file_reports())

    @property
    def reasons(self) -> collections.Counter:
        total = collections.Counter()
        for f in self.file_reports():
            total.update(f.reasons)
        return total

    @property
    def rejected_files(self) -> list[FileReport]:
        return [f for f in self.file_reports() if f.status == "rejected"]


@dataclass
class IngestReport(Totals):
    target: str
    files: list[FileReport] = field(default_factory=list)

    def file_reports(self) -> list[FileReport]:
        return self.files


def already_ingested(engine: Engine, path: Path, target: str) -> tuple[str, str | None]:
    """(sha256 of the file, the path its content was first ingested from into `target`, or None)."""
    sha = sha256_of(path)
    return sha, engine.ingested_path(sha, target)


def skipped(path: Path, earlier: str, note: str = "") -> FileReport:
    return FileReport(str(path), "skipped", message=f"same content already ingested from {earlier}{note}")


def reject(engine: Engine, path: Path, sha: str | None, target: str, reason: str) -> FileReport:
    """Record a file that cannot be read at all; its report counts no rows."""
    engine.record_rejected(str(path), sha, target, reason)
    return FileReport(str(path), "rejected", message=reason)


def quarantine_bad_rows(engine: Engine, file_id: int, bad_rows: list[BadRow], report: FileReport) -> None:
    """Rows the reader could not parse: quarantined with their line, counted as read."""
    engine.quarantine(file_id, [(b.line, b.reason, b.raw) for b in bad_rows])
    for b in bad_rows:
        report.reasons[reason_kind(b.reason)] += 1
    report.rows_read += len(bad_rows)
    report.quarantined += len(bad_rows)


def record_file(engine: Engine, file_id: int, path: Path | str, sha: str, target: str,
                report: FileReport, lines: int | None = None) -> None:
    """Record an ingested file; with its `lines` (a plain text file) also its size, so that
    `grown_from` recognises it when it grows."""
    size = Path(path).stat().st_size if lines is not None else None
    engine.record_ingested(file_id, str(path), sha, target, rows_read=report.rows_read,
                           accepted=report.accepted, quarantined=report.quarantined, size=size, lines=lines)


@dataclass(frozen=True)
class Growth:
    """A file ingested before that has grown since: its first `lines` lines are in the warehouse."""

    lines: int
    bytes: int
    ingested_at: str


def grown_from(engine: Engine, path: Path, target: str) -> Growth | None:
    """The earlier ingest of this path whose content is the beginning of the file as it is now
    (a log that was appended to), or None. Plain text files only (not gzip, not Parquet)."""
    if not plain_text(path):
        return None
    size = path.stat().st_size
    for sha, old_bytes, old_lines, at in engine.ingested_under_path(str(path), target):
        if old_bytes < size and digest(path, old_bytes)[0] == sha:
            return Growth(int(old_lines), int(old_bytes), at)
    return None


def plain_text(path: Path) -> bool:
    """A file that can grow by appended lines: neither gzip nor Parquet."""
    try:
        return not is_gzip(path) and detect_format(path) != "parquet"
    except OSError:
        return False


def record_side_file(engine: Engine, path: Path, sha: str, target: str, reader: FileReader, *,
                     stage: Callable[[int], BatchResult]) -> FileReport:
    """Record a file that is neither events nor catalogue (tags, aliases) as ingest records its
    own, in one transaction: `stage(file_id)` quarantines its invalid rows and stores the others
    (returning their counts), then the reader's unparsable rows are quarantined and the file is
    recorded."""
    report = FileReport(str(path), "ingested")
    with engine.transaction():
        file_id = engine.next_file_id()
        report.add(stage(file_id))
        quarantine_bad_rows(engine, file_id, reader.bad_rows, report)
        report.blank_lines = reader.blank_lines
        record_file(engine, file_id, path, sha, target, report)
    return report

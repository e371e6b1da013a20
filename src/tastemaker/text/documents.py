"""Documents into the warehouse: ``tastemaker ingest documents PATH…``.

Formats (by extension; ``.gz`` allowed): ``.txt``/``.md`` (one document per file, the first line
or ``# heading`` is the title), ``.html``/``.htm`` (reduced to its main text, see `html`),
``.jsonl``/``.ndjson`` and ``.csv``/``.tsv`` (one document per row with columns ``id, url, title,
text, published_at`` and optional ``artist``, ``track``; an ``html`` column is reduced to text).

Rules, as for events: a file whose bytes were already ingested is skipped; a file that cannot be
read at all (empty, binary, over ``max_bytes``, not parseable) goes to ``rejected_files`` with the
reason; a bad row (invalid JSON, no text, bad date, too long) goes to ``quarantine`` with its file
and line. Documents are de-duplicated by URL and by the hash of their folded text (the later copy
is quarantined as a duplicate). A file that is not UTF-8 is read as latin-1, and the report says so.
Each file is one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..engine import Engine
from ..errors import InputError, ParameterError
from ..ingest.ledger import FileReport, IngestReport, already_ingested, record_file, reject, skipped
from ..runs import now
from .html import main_text
from .tokenize import fold

MAX_BYTES = 20_000_000          # a file larger than this is rejected (per file, uncompressed)
MAX_TEXT = 2_000_000            # a single document's text longer than this is quarantined
SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".ndjson", ".csv", ".tsv"}
KINDS = ("web", "text", "tags", "bio", "review", "demo")
_ALIASES = {
    "id": ("id", "doc_id", "document_id", "video_id"),
    "url": ("url", "link", "href"),
    "title": ("title", "headline", "youtube_title", "name"),
    "text": ("text", "body", "content", "transcript"),
    "html": ("html",),
    "published_at": ("published_at", "published", "date", "pubdate", "created_at", "timestamp"),
    "artist": ("artist", "artist_name", "artist_id"),
    "track": ("track", "track_title", "track_id", "song"),
}


@dataclass
class Document:
    """One document before it enters the warehouse."""

    text: str
    title: str | None = None
    url: str | None = None
    published_at: dt.datetime | None = None
    artist: str | None = None
    track: str | None = None
    kind: str = "text"
    line: int | None = None


class BadDocument(Exception):
    """A row that cannot become a document (quarantined with this reason)."""


def parse_date(value) -> dt.datetime | None:
    """ISO 8601 date or time (offsets converted to UTC), a year, or Unix seconds; None if empty."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(float(value), dt.timezone.utc).replace(tzinfo=None)
    s = str(value).strip()
    if s.isdigit() and len(s) == 4:
        return dt.datetime(int(s), 1, 1)
    if s.isdigit():
        return dt.datetime.fromtimestamp(int(s), dt.timezone.utc).replace(tzinfo=None)
    try:
        t = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise BadDocument(f"bad date {s[:40]!r}: expected ISO 8601 (2024-05-01 or 2024-05-01T10:00:00Z)")
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t


def content_hash(text: str) -> str:
    return hashlib.sha256(fold(text).encode("utf-8")).hexdigest()


# -- reading files ---------------------------------------------------------------------------

def _raw_bytes(path: Path, max_bytes: int) -> bytes:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from exc
    if len(data) > max_bytes:
        raise InputError(f"{path}: too large: more than {max_bytes:,} bytes (the limit; "
                         f"split it or raise max_bytes)")
    if not data.strip():
        raise InputError(f"{path}: empty file: expected text")
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: binary file (NUL bytes): expected text, HTML, JSON Lines or CSV")
    return data


def _decode(data: bytes, notes: list[str], path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        notes.append(f"not valid UTF-8 (byte {exc.start}): read as latin-1")
        return data.decode("latin-1")


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        suffix = Path(path.stem).suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".txt", ".md", ".markdown"):
        return "text"
    raise InputError(f"{path}: unknown document format {suffix!r}; expected one of {sorted(SUFFIXES)} "
                     f"(optionally .gz)")


def _pick(row: dict, field: str):
    for name in _ALIASES[field]:
        for key in (name, name.title(), name.upper()):
            if key in row and row[key] not in (None, ""):
                return row[key]
    return None


def _from_row(row: dict, line: int, kind: str) -> Document:
    if not isinstance(row, dict):
        raise BadDocument(f"expected a JSON object; got {type(row).__name__}")
    text, html, title = _pick(row, "text"), _pick(row, "html"), _pick(row, "title")
    url = _pick(row, "url")
    if text is None and html is not None:
        page = main_text(str(html))
        text, title, url = page.text, title or page.title, url or page.url
    if text is None or not str(text).strip():
        raise BadDocument("empty text: expected a text (or html) field with words")
    text = str(text)
    if len(text) > MAX_TEXT:
        raise BadDocument(f"text too long: {len(text):,} characters, limit {MAX_TEXT:,}")
    return Document(text=text, title=str(title) if title else None, url=str(url) if url else None,
                    published_at=parse_date(_pick(row, "published_at")),
                    artist=str(a) if (a := _pick(row, "artist")) else None,
                    track=str(t) if (t := _pick(row, "track")) else None, kind=kind, line=line)


def read_documents(path: Path, *, kind: str | None = None, max_bytes: int = MAX_BYTES,
                   notes: list[str] | None = None) -> Iterator[Document | tuple[int, str, str]]:
    """Documents of one file; bad rows come as (line, reason, raw). Raises `InputError` when the
    file as a whole cannot be read."""
    notes = notes if notes is not None else []
    fmt = _format(path)
    text = _decode(_raw_bytes(path, max_bytes), notes, path)
    if fmt == "text":
        lines = text.strip().splitlines()
        title = lines[0].lstrip("# ").strip() if lines else None
        body = "\n".join(lines[1:]).strip() if lines and lines[0].startswith("#") else text
        yield Document(text=body or text, title=title[:200] if title else None, kind=kind or "text")
    elif fmt == "html":
        page = main_text(text)
        if not page.text.strip():
            raise InputError(f"{path}: HTML with no readable text (only navigation, scripts or markup)")
        try:
            published = parse_date(page.published_at)
        except BadDocument:
            published = None
        yield Document(text=page.text, title=page.title, url=page.url, published_at=published,
                       kind=kind or "web")
    elif fmt == "jsonl":
        for i, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                yield _from_row(json.loads(raw), i, kind or "text")
            except json.JSONDecodeError as exc:
                yield (i, f"invalid JSON: {exc.msg} at column {exc.colno}", raw[:2000])
            except BadDocument as exc:
                yield (i, str(exc), raw[:2000])
    else:
        csv.field_size_limit(MAX_BYTES)
        delimiter = "\t" if path.name.lower().removesuffix(".gz").endswith(".tsv") else ","
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        if not reader.fieldnames or not any(f in (reader.fieldnames or []) for f in
                                            _ALIASES["text"] + _ALIASES["html"]):
            raise InputError(f"{path}: expected a header with a text column ({', '.join(_ALIASES['text'])}); "
                             f"found {reader.fieldnames}")
        for row in reader:
            line = reader.line_num
            try:
                yield _from_row(row, line, kind or "text")
            except BadDocument as exc:
                yield (line, str(exc), json.dumps(row)[:2000])


def expand(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and (
                f.suffix.lower() in SUFFIXES or f.suffix.lower() == ".gz"
                and Path(f.stem).suffix.lower() in SUFFIXES)))
        else:
            out.append(p)
    return out


# -- into the warehouse ----------------------------------------------------------------------

def store_documents(engine: Engine, docs: Iterable[Document | tuple[int, str, str]], *, source: str,
                    file_id: int | None, report: FileReport) -> None:
    """Insert documents (inside the caller's transaction), quarantining bad rows and duplicates."""
    next_id = engine.next_doc_id()
    rows, seen_urls, seen_hashes, bad = [], set(), set(), []
    when = now()
    for item in docs:
        report.rows_read += 1
        if isinstance(item, tuple):
            bad.append(item)
            continue
        doc = item
        h = content_hash(doc.text)
        dup = None
        if doc.url and (doc.url in seen_urls or engine.document_with_url(doc.url)):
            dup = f"duplicate url: {doc.url} is already a document"
        elif h in seen_hashes or engine.document_with_hash(h):
            dup = "duplicate content: the same text is already a document"
        if dup:
            bad.append((doc.line, dup, json.dumps({"url": doc.url, "title": doc.title})))
            continue
        seen_hashes.add(h)
        if doc.url:
            seen_urls.add(doc.url)
        rows.append((next_id, source, doc.line, doc.kind, doc.url, doc.title, doc.text, h, doc.published_at,
                     doc.artist, doc.track, when, None))
        next_id += 1
        report.accepted += 1
    for line, reason, raw in bad:
        report.quarantined += 1
        report.reasons[reason.split(":")[0]] += 1
    if file_id is not None:
        engine.quarantine(file_id, bad)
    engine.insert_documents(rows)


def ingest_documents(engine: Engine, paths: Iterable[str | Path], *, kind: str | None = None,
                     max_bytes: int = MAX_BYTES) -> IngestReport:
    """Ingest document files into ``documents`` (see the module docstring)."""
    if kind is not None and kind not in KINDS:
        raise ParameterError(f"The 'kind' parameter of ingest documents must be one of {list(KINDS)}. "
                             f"Got {kind!r} instead.")
    report = IngestReport("documents")
    files = expand(paths)
    if not files:
        raise InputError(f"No document files in {[str(p) for p in paths]}: expected {sorted(SUFFIXES)}")
    for path in files:
        report.files.append(ingest_document_file(engine, path, kind=kind, max_bytes=max_bytes))
    return report


def ingest_document_file(engine: Engine, path: Path, *, kind: str | None = None,
                         max_bytes: int = MAX_BYTES, source: str | None = None) -> FileReport:
    sha = None
    try:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        sha, earlier = already_ingested(engine, path, "documents")
        if earlier:
            return skipped(path, earlier)
        notes: list[str] = []
        items = list(read_documents(path, kind=kind, max_bytes=max_bytes, notes=notes))
    except InputError as exc:
        return reject(engine, path, sha, "documents", str(exc))
    report = FileReport(str(path), "ingested", message=f"{path.name}: " + "; ".join(notes) if notes else "")
    store_file(engine, path, sha, items, source=source or str(path), report=report)
    return report


def store_file(engine: Engine, path: Path, sha: str, items, *, source: str, report: FileReport) -> None:
    """One document file in one transaction: its documents, its quarantined rows, its ledger entry."""
    with engine.transaction():
        file_id = engine.next_file_id()
        store_documents(engine, items, source=source, file_id=file_id, report=report)
        record_file(engine, file_id, path, sha, "documents", report)

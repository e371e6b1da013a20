"""Stream any supported file as Arrow record batches of strings, with exact line numbers.

Formats: CSV/TSV (and other delimiters), JSON Lines, Parquet; gzip is recognised by its magic
bytes, whatever the file is called. Every batch carries a ``__line`` column (1-based line in the
file; the row number for Parquet) so rejected rows can be traced back. Structurally broken rows
(wrong number of fields, invalid JSON) never reach a batch: they are handed to ``on_bad_row``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError, ParameterError, check_param

FORMATS = ("csv", "jsonl", "parquet")
#: separates the names in a batch's ``__nested`` column (the unit separator)
NESTED_SEP = "\x1f"
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"


@dataclass
class ReadOptions:
    """How to read one file. ``format``/``delimiter`` None: guessed from the name and first line."""

    format: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    header: bool = True
    column_names: list[str] | None = None   # names to use when the file has no header
    batch_rows: int = 1_000_000

    def __post_init__(self):
        if self.format is not None and self.format not in FORMATS:
            raise ParameterError(f"unknown format {self.format!r}; expected one of {', '.join(FORMATS)}")
        if self.delimiter is not None:
            if self.delimiter.lower() in ("tab", "\\t"):
                self.delimiter = "\t"
            if len(self.delimiter) != 1 or self.delimiter in ('"', "\n", "\r"):
                raise ParameterError(
                    f"the delimiter must be one character other than a quote or a line break "
                    f"(such as , ; | or tab); got {self.delimiter!r}")
        try:
            self.encoding = codecs.lookup(self.encoding).name
        except (LookupError, TypeError):
            raise ParameterError(f"unknown text encoding {self.encoding!r}; use a name Python knows, "
                                 f"such as utf-8, latin-1, cp1252 or utf-16") from None
        check_param("ReadOptions", "batch_rows", self.batch_rows, low=1, kind=int)
        if self.column_names is not None:
            names = [str(n).strip() for n in self.column_names]
            if not names or any(not n for n in names) or len(set(names)) != len(names):
                raise ParameterError(f"column names must be distinct and not empty; got {names}")
            self.column_names = names


@dataclass
class BadRow:
    line: int
    reason: str
    raw: str


@dataclass
class FileReader:
    """Iterate ``batches()``; afterwards ``bad_rows`` holds rows rejected while parsing and
    ``blank_lines`` counts empty lines skipped (they are not rows)."""

    path: Path
    options: ReadOptions
    columns: list[str] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    blank_lines: int = 0
    _raw: io.BufferedReader | None = None

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def bytes_read(self) -> int:
        try:
            return self._raw.tell() if self._raw is not None else 0
        except (ValueError, OSError):
            return self.size

    def batches(self) -> Iterator[pa.RecordBatch]:
        fmt = detect_format(self.path, self.options.format)
        if fmt == "parquet":
            yield from self._parquet()
            return
        try:
            opener = gzip.open if is_gzip(self.path) else open
            with opener(self.path, "rb") as f:
                if b"\x00" in f.read(1 << 16) and not _wide(self.options.encoding):
                    raise InputError(f"{self.path}: binary data (NUL bytes), not {fmt.upper()} text "
                                     f"(if it is UTF-16 text, pass --encoding utf-16)")
            yield from self._jsonl() if fmt == "jsonl" else self._csv()
        except (pa.ArrowException, OSError, EOFError, UnicodeError) as exc:
            raise InputError(_explain(self.path, exc, self.options.encoding)) from exc

    # -- CSV -------------------------------------------------------------------------------
    def _csv(self) -> Iterator[pa.RecordBatch]:
        opts = self.options
        with self._open() as stream:
            first = _peek_line(self.path, opts.encoding)
            delimiter = opts.delimiter or sniff_delimiter(self.path, first)
            if opts.header:
                quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
                names = next(csv.reader([first], delimiter=delimiter, quoting=quoting), [])
                names = [str(n).strip().lstrip("\ufeff") for n in names]
                if not any(names):
                    raise InputError(f"{self.path}: the first line, which should be the header, is "
                                     f"blank; pass --no-header --names … if the file has none")
                names = _named(names, self._second_line_fields(delimiter, quoting))
                if len(set(names)) != len(names):
                    raise InputError(f"{self.path}: repeated column names in the header: {names}")
            else:
                if not opts.column_names:
                    raise InputError(f"{self.path}: no header; give the column names")
                names = list(opts.column_names)
            self.columns = names
            bad: list[tuple[int, str, str]] = []

            def handler(row):
                try:
                    text = row.text or ""
                except UnicodeDecodeError:
                    text = "<bytes that are not valid text in this encoding>"
                if text.strip() == "":
                    self.blank_lines += 1
                    bad.append((row.number, "", ""))
                else:
                    bad.append((row.number, f"wrong number of fields: expected "
                                            f"{row.expected_columns}, found {row.actual_columns}", text))
                return "skip"

            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    use_threads=False, block_size=1 << 24, encoding=opts.encoding,
                    column_names=names, skip_rows=1 if opts.header else 0),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, invalid_row_handler=handler, ignore_empty_lines=False,
                    quote_char='"' if delimiter != "\t" else False),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names}, strings_can_be_null=False))
            first_data_line = 2 if opts.header else 1
            done = 0
            seen_bad = 0
            extra_breaks = 0
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    # rows rejected after the last batch (or in a file with no valid row at all)
                    self.bad_rows.extend(BadRow(int(line), reason, raw)
                                         for line, reason, raw in bad[seen_bad:] if reason)
                    break
                # lines of rows skipped by the handler so far, in file order
                skipped = np.array(sorted(b[0] for b in bad), dtype=np.int64)
                for line, reason, raw in bad[seen_bad:]:
                    if reason:
                        self.bad_rows.append(BadRow(int(line), reason, raw))
                seen_bad = len(bad)
                k = np.arange(done, done + batch.num_rows, dtype=np.int64)
                # valid row k sits at line first_data_line + k + (skipped lines before it)
                # + (line breaks inside quoted fields of the rows before it)
                shifted = skipped - first_data_line - np.arange(len(skipped))
                breaks = _line_breaks(batch)
                before = extra_breaks + np.concatenate(([0], np.cumsum(breaks)[:-1])) if len(breaks) else breaks
                lines = first_data_line + k + before + np.searchsorted(shifted, k + before, side="right")
                extra_breaks += int(breaks.sum())
                done += batch.num_rows
                blank = _all_empty(batch)
                if blank is not None and blank.any():
                    self.blank_lines += int(blank.sum())
                    keep = ~blank
                    batch = batch.filter(pa.array(keep))
                    lines, breaks = lines[keep], breaks[keep]
                recovered = None
                if breaks.any():
                    batch, lines, recovered = self._unbalanced(batch, lines, breaks, delimiter, names)
                if batch.num_rows:
                    yield _with_lines(batch, lines)
                if recovered is not None:
                    yield recovered

    def _unbalanced(self, batch, lines, breaks, delimiter, names):
        """Rows whose quoted field spans lines that each read as a whole row on their own: an
        unbalanced quote swallowed them. The opening line is quarantined; the lines it swallowed
        are read again one by one (returned as a batch of their own, or quarantined)."""
        spans = {int(line): int(b) for line, b in zip(lines[breaks > 0], breaks[breaks > 0])}
        wanted = {n for start, b in spans.items() for n in range(start, start + b + 1)}
        text = self._physical_lines(wanted)
        quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL

        def fields(n):
            return next(csv.reader([text.get(n, "")], delimiter=delimiter, quoting=quoting), [])

        swallowing = {start for start, b in spans.items()
                      if any(len(fields(n)) == len(names) and text.get(n, "").count('"') % 2 == 0
                             for n in range(start + 1, start + b + 1))}
        if not swallowing:
            return batch, lines, None
        keep = ~np.isin(lines, list(swallowing))
        rows, row_lines = [], []
        for start in sorted(swallowing):
            self.bad_rows.append(BadRow(start, "unbalanced quote: a quoted field opens on this line and "
                                               "does not close on it", text.get(start, "")))
            for n in range(start + 1, start + spans[start] + 1):
                got = fields(n)
                if not text.get(n, "").strip():
                    self.blank_lines += 1
                elif len(got) == len(names):
                    rows.append(got)
                    row_lines.append(n)
                else:
                    self.bad_rows.append(BadRow(n, f"wrong number of fields: expected {len(names)}, "
                                                   f"found {len(got)} (after an unbalanced quote)",
                                                text.get(n, "")))
        recovered = None
        if rows:
            arrays = [pa.array([r[i] for r in rows], pa.string()) for i in range(len(names))]
            recovered = _with_lines(pa.RecordBatch.from_arrays(arrays, names=list(batch.schema.names)),
                                    np.asarray(row_lines, dtype=np.int64))
        return batch.filter(pa.array(keep)), lines[keep], recovered

    def _physical_lines(self, wanted: set[int]) -> dict[int, str]:
        """The text of the given physical lines of the file (1-based)."""
        out, last = {}, max(wanted)
        opener = gzip.open if is_gzip(self.path) else open
        with opener(self.path, "rt", encoding=_sig(self.options.encoding), errors="replace", newline="") as f:
            for n, line in enumerate(f, start=1):
                if n in wanted:
                    out[n] = line.rstrip("\r\n")
                if n >= last:
                    break
        return out

    # -- JSON Lines --------------------------------------------------------------------------
    def _jsonl(self) -> Iterator[pa.RecordBatch]:
        opts = self.options
        columns: dict[str, None] = {}
        rows: list[dict] = []
        lines: list[int] = []
        with self._open() as stream:
            text = io.TextIOWrapper(stream, encoding=_sig(opts.encoding), newline="\n")
            for number, raw in enumerate(text, start=1):
                if not raw.strip():
                    self.blank_lines += 1
                    continue
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError as exc:
                    self.bad_rows.append(BadRow(number, f"not valid JSON: {exc.msg}", raw.rstrip("\n")))
                    continue
                if not isinstance(obj, dict):
                    self.bad_rows.append(BadRow(number, "a JSON line must be an object",
                                                raw.rstrip("\n")))
                    continue
                for key in obj:
                    columns.setdefault(str(key).lstrip("\ufeff"), None)
                rows.append(obj)
                lines.append(number)
                if len(rows) >= opts.batch_rows:
                    self.columns = list(columns)
                    yield _rows_to_batch(rows, self.columns, lines)
                    rows, lines = [], []
        self.columns = list(columns)
        if rows:
            yield _rows_to_batch(rows, self.columns, lines)

    # -- Parquet -----------------------------------------------------------------------------
    def _parquet(self) -> Iterator[pa.RecordBatch]:
        try:
            pf = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.path}: not a readable Parquet file ({exc})") from exc
        self.columns = list(pf.schema_arrow.names)
        self._raw = None
        done = 0
        try:
            for batch in pf.iter_batches(batch_size=self.options.batch_rows):
                cast = pa.RecordBatch.from_arrays(
                    [col if _native(col.type) else _to_string(col) for col in batch.columns],
                    names=self.columns)
                lines = np.arange(done + 1, done + 1 + batch.num_rows, dtype=np.int64)
                done += batch.num_rows
                out = _with_lines(cast, lines)
                nested = [name for name, col in zip(self.columns, batch.columns) if pa.types.is_nested(col.type)]
                if nested:   # lists and structs are values, never ids: name them per row
                    valid = [pc.is_valid(batch.column(name)) for name in nested]
                    marks = [pc.if_else(v, name, None) for v, name in zip(valid, nested)]
                    joined = pc.binary_join_element_wise(*marks, NESTED_SEP,
                                                         null_handling="skip") if len(marks) > 1 else marks[0]
                    out = pa.RecordBatch.from_arrays(list(out.columns) + [pc.if_else(
                        pc.equal(joined, ""), None, joined)], names=out.schema.names + ["__nested"])
                yield out
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.path}: Parquet data cannot be read ({exc})") from exc

    def _second_line_fields(self, delimiter: str, quoting: int) -> int | None:
        """How many fields the line after the header has (None when there is none)."""
        opener = gzip.open if is_gzip(self.path) else open
        with opener(self.path, "rt", encoding=self.options.encoding, errors="replace", newline="") as f:
            rows = csv.reader(f, delimiter=delimiter, quoting=quoting)
            next(rows, None)
            second = next(rows, None)
        return None if second is None else len(second)

    def _open(self):
        raw = open(self.path, "rb")
        self._raw = raw
        if is_gzip(self.path):
            return gzip.GzipFile(fileobj=raw, mode="rb")
        return raw


def detect_format(path: Path, given: str | None = None) -> str:
    if given:
        if given not in FORMATS:
            raise InputError(f"unknown format {given!r}; expected one of {FORMATS}")
        return given
    with open(path, "rb") as f:
        head = f.read(4)
    if head == _PARQUET_MAGIC:
        return "parquet"
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".gzip"):
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if last in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def sniff_delimiter(path: Path, first_line: str) -> str:
    """Tab for .tsv/.dat or when the header has tabs; else the most frequent of , ; | tab."""
    name = Path(path).name.lower().replace(".gz", "")
    if name.endswith((".tsv", ".tab")):
        return "\t"
    counts = {d: first_line.count(d) for d in ("\t", ",", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _wide(encoding: str) -> bool:
    """Encodings whose text holds NUL bytes (UTF-16, UTF-32)."""
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def _sig(encoding: str) -> str:
    """UTF-8 that also accepts (and drops) a byte-order mark at the start."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _named(names: list[str], data_fields: int | None) -> list[str]:
    """Header names with the empty ones dealt with: trailing empty names (a header ending in a
    delimiter) are dropped when the data lines do not have those fields; the rest are named
    ``column_N`` (their position, from 1)."""
    trailing = len(names) - len(list(itertools.dropwhile(lambda n: not n, reversed(names))))
    if trailing and data_fields is not None and data_fields == len(names) - trailing:
        names = names[:len(names) - trailing]
    return [n or f"column_{i}" for i, n in enumerate(names, start=1)]


def _line_breaks(batch: pa.RecordBatch) -> np.ndarray:
    """Line breaks inside the fields of each row (quoted fields may span lines)."""
    total = np.zeros(batch.num_rows, dtype=np.int64)
    for col in batch.columns:
        if pa.types.is_string(col.type) and pc.any(pc.match_substring(col, "\n")).as_py():
            total += np.asarray(pc.count_substring(col, "\n").fill_null(0), dtype=np.int64)
    return total


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


def _peek_line(path: Path, encoding: str) -> str:
    opener = gzip.open if is_gzip(path) else open
    try:
        with opener(path, "rt", encoding=encoding, errors="replace", newline="") as f:
            return f.readline().rstrip("\r\n")
    except (OSError, EOFError) as exc:
        raise InputError(_explain(path, exc, encoding)) from exc


def _explain(path: Path, exc: BaseException, encoding: str) -> str:
    msg = str(exc)
    if isinstance(exc, (EOFError, gzip.BadGzipFile)) or "gzip" in msg.lower() or "compressed" in msg.lower():
        return f"{path}: broken gzip data ({msg or type(exc).__name__}); the file is cut or corrupt"
    if isinstance(exc, UnicodeDecodeError) or "utf8" in msg.lower() or "utf-8" in msg.lower():
        return (f"{path}: text is not valid {encoding} ({msg}); pass the file's encoding, "
                f"e.g. --encoding latin-1")
    return f"{path}: cannot be parsed ({msg})"


def _with_lines(batch: pa.RecordBatch, lines: np.ndarray) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(list(batch.columns) + [pa.array(lines, pa.int64())],
                                      names=list(batch.schema.names) + ["__line"])


def _all_empty(batch: pa.RecordBatch) -> np.ndarray | None:
    if batch.num_columns == 0:
        return None
    mask = None
    for col in batch.columns:
        if pa.types.is_null(col.type):
            continue
        empty = pc.equal(pc.utf8_trim_whitespace(col.cast(pa.string())), "")
        mask = empty if mask is None else pc.and_(mask, empty)
    if mask is None:    # only columns of nothing at all
        return np.ones(batch.num_rows, dtype=bool)
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _native(t: pa.DataType) -> bool:
    """Types the warehouse reads as they are (no round trip through text)."""
    return (pa.types.is_string(t) or pa.types.is_integer(t) or pa.types.is_floating(t)
            or pa.types.is_boolean(t) or pa.types.is_timestamp(t) or pa.types.is_date(t))


def _to_string(col: pa.Array) -> pa.Array:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return col.cast(pa.string())
    if pa.types.is_timestamp(col.type):
        return pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")
    try:
        return col.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else json.dumps(v, default=str) for v in col.to_pylist()],
                        pa.string())


def _rows_to_batch(rows: list[dict], columns: list[str], lines: list[int]) -> pa.RecordBatch:
    """JSON objects as a batch of strings; values that are objects or lists are kept as JSON text,
    and their columns are named in ``__nested`` (so that an id can be told from a JSON value)."""
    arrays = []
    nested: list[list[str] | None] = [None] * len(rows)
    for c in columns:
        vals = []
        for i, r in enumerate(rows):
            v = r.get(c)
            if isinstance(v, (dict, list)):
                nested[i] = (nested[i] or []) + [c]
            vals.append(None if v is None else v if isinstance(v, str) else json.dumps(v))
        arrays.append(pa.array(vals, pa.string()))
    names = columns + ["__line"]
    arrays.append(pa.array(lines, pa.int64()))
    if any(n is not None for n in nested):
        arrays.append(pa.array([None if n is None else NESTED_SEP.join(n) for n in nested], pa.string()))
        names.append("__nested")
    return pa.RecordBatch.from_arrays(arrays, names=names)

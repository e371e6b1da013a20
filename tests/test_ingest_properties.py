"""A property of ingest, checked on random files: every row read is accepted or quarantined at
its own line, whatever bad rows are mixed in, and ingesting the same file again adds nothing."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tastemaker.engine import DuckDBEngine
from tastemaker.ingest import ReadOptions, ingest_events

COLUMNS = ["user_id", "track_id", "kind", "count", "ts"]

#: bad values and the column they go in: each makes its row one quarantined row
BAD = [
    ("user_id", ""), ("track_id", ""), ("kind", "dance"), ("count", "many"), ("count", "nan"),
    ("count", "-2"), ("count", "1.5"), ("count", "0"), ("count", "1e30"), ("ts", "yesterday"),
    ("ts", "9999-01-01T00:00:00"), ("ts", "1970-01-01T00:00:00"), ("ts", "1e20"),
]

good_row = st.fixed_dictionaries({
    "user_id": st.text("abcé\u0301xyz 09", min_size=1, max_size=6).filter(lambda s: s.strip()),
    "track_id": st.sampled_from(["t1", "t2", "t3", "t,4", 't"5']),
    "kind": st.sampled_from(["play", "save", "skip", "stream"]),
    "count": st.integers(1, 50).map(str),
})
row = st.one_of(
    good_row.map(lambda r: ("good", r)),
    st.tuples(good_row, st.sampled_from(BAD)).map(lambda p: ("bad", {**p[0], p[1][0]: p[1][1]})),
    st.just(("short", None)),      # a line with too few fields (CSV) or that is not JSON
    st.just(("blank", None)),      # an empty line: not a row at all
)


def _write(rows, fmt) -> tuple[bytes, set[int], int]:
    """The file's bytes, the lines that must be quarantined, and how many rows it has."""
    out = io.StringIO()
    bad_lines, n_rows = set(), 0
    line = 1
    if fmt == "csv":
        out.write(",".join(COLUMNS) + "\n")
        line = 2
    writer = csv.writer(out, lineterminator="\n")
    for i, (what, values) in enumerate(rows):
        if what == "blank":
            out.write("\n")
        elif what == "short":
            out.write("only,two\n" if fmt == "csv" else "{not json\n")
            bad_lines.add(line)
            n_rows += 1
        else:
            values = {**values, "ts": values.get("ts", f"2026-11-20T10:{i // 60 % 60:02d}:{i % 60:02d}")}
            if fmt == "csv":
                writer.writerow([values[c] for c in COLUMNS])
            else:
                out.write(json.dumps(values) + "\n")
            if what == "bad":
                bad_lines.add(line)
            n_rows += 1
        line += 1
    return out.getvalue().encode(), bad_lines, n_rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=40), fmt=st.sampled_from(["csv", "jsonl"]))
def test_rows_read_are_accepted_or_quarantined_at_their_line(tmp_path_factory, rows, fmt):
    data, bad_lines, n_rows = _write(rows, fmt)
    path = tmp_path_factory.mktemp("files") / f"events.{fmt}"
    path.write_bytes(data)
    with DuckDBEngine.open(None) as engine:
        report = ingest_events(engine, [path], options=ReadOptions(format=fmt))
        [f] = report.files
        if n_rows == 0:     # blank lines only: nothing to ingest, the file may be refused
            assert f.status in ("ingested", "rejected")
            return
        assert f.status == "ingested", f.message
        assert f.rows_read == n_rows == f.accepted + f.quarantined
        lines = {line for (line,) in engine.execute("SELECT line FROM quarantine").fetchall()}
        assert lines == bad_lines
        assert engine.table_counts(["events"])["events"] == f.accepted
        again = ingest_events(engine, [path], options=ReadOptions(format=fmt))
        assert again.files[0].status == "skipped"
        assert engine.table_counts(["events", "quarantine"]) == {"events": f.accepted,
                                                                 "quarantine": f.quarantined}

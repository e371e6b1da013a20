"""Ingest: every row read is accepted or quarantined with a reason; bad files are rejected whole."""

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tastemaker.errors import ParameterError
from tastemaker.ingest import ReadOptions, ingest_catalog, ingest_events, parse_mapping, EVENT_COLUMNS
from tastemaker.engine import DuckDBEngine

HEADER = "user_id,track_id,artist_id,kind,ts,count,ms_played\n"


@pytest.fixture
def wh():
    w = DuckDBEngine.open(None)
    yield w
    w.close()


def _write(path, text, *, gz=False):
    data = text.encode("utf-8") if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _balanced(wh, report):
    f = report.files[0]
    assert f.rows_read == f.accepted + f.quarantined
    assert wh.scalar("SELECT count(*) FROM events WHERE file_id = (SELECT max(file_id) FROM ingested_files)") == f.accepted
    assert wh.scalar("SELECT count(*) FROM quarantine") >= f.quarantined
    return f


def test_bad_rows_are_quarantined_with_line_and_reason(wh, tmp_path):
    text = HEADER + "\n".join([
        "u1,t1,a1,play,2026-11-16T08:00:00Z,1,200000",     # 2 ok
        "u1,t2,a1,play,2026-11-16T09:00:00Z,abc,",          # 3 bad type
        "u2,t1,a1,play,2026-11-16T10:00:00Z,-3,",           # 4 negative count
        "u2,t1,a1,dance,2026-11-16T10:00:00Z,1,",           # 5 unknown kind
        "u3,t3,a2,play,yesterday,1,",                        # 6 bad timestamp
        "u3,t3",                                             # 7 wrong number of fields
        ",t3,a2,play,2026-11-16T10:00:00Z,1,",              # 8 missing user
        "u3,t3,a2,play,2026-11-16T10:00:00Z,1,-5",          # 9 negative ms
        "",                                                  # 10 blank: not a row
        "u1,t1,a1,play,2026-11-16T08:00:00Z,1,200000",     # 11 duplicate of line 2
        "u4,,a2,artist_visit,1763287200,,",                  # 12 ok (artist-only visit, epoch ts)
        "u4,t3,a2,save,2026-11-16T10:00:00+02:00,,",        # 13 ok (offset → UTC)
    ]) + "\n"
    r = ingest_events(wh, [_write(tmp_path / "ev.csv", text)])
    f = _balanced(wh, r)
    assert (f.rows_read, f.accepted, f.quarantined, f.blank_lines) == (11, 3, 8, 1)
    got = dict(wh.execute("SELECT line, reason FROM quarantine").fetchall())
    assert got[3].startswith("count is not a number")
    assert got[4].startswith("negative count")
    assert got[5].startswith("unknown event kind 'dance'")
    assert got[6].startswith("bad timestamp 'yesterday'")
    assert got[7].startswith("wrong number of fields")
    assert got[8] == "missing user_id"
    assert got[9].startswith("negative ms_played")
    assert got[11] == "duplicate event: same as line 2"
    raw = json.loads(wh.scalar("SELECT raw FROM quarantine WHERE line = 5"))
    assert raw["kind"] == "dance" and raw["user_id"] == "u2"
    ts = wh.scalar("SELECT ts FROM events WHERE kind = 'save'")
    assert str(ts) == "2026-11-16 08:00:00"
    assert wh.scalar("SELECT track_idx FROM events WHERE kind = 'artist_visit'") is None
    assert set(f.reasons) == {"count is not a number", "negative count", "unknown event kind",
                              "bad timestamp", "wrong number of fields", "missing user_id",
                              "negative ms_played", "duplicate event"}


def test_reingest_adds_nothing_and_overlaps_are_duplicates(wh, tmp_path):
    a = _write(tmp_path / "a.csv", HEADER + "u1,t1,a1,play,2026-11-16T08:00:00Z,1,\nu1,t2,a1,play,2026-11-16T09:00:00Z,1,\n")
    ingest_events(wh, [a])
    again = ingest_events(wh, [a]).files[0]
    assert again.status == "skipped" and "already ingested" in again.message
    b = _write(tmp_path / "b.csv", HEADER + "u1,t2,a1,play,2026-11-16T09:00:00Z,1,\nu1,t3,a1,play,2026-11-16T10:00:00Z,1,\n")
    f = ingest_events(wh, [b]).files[0]
    assert (f.accepted, f.quarantined) == (1, 1)
    assert "of " + str(a) in wh.scalar("SELECT reason FROM quarantine")
    assert wh.scalar("SELECT count(*) FROM events") == 3


def test_broken_empty_and_wrong_files_are_rejected_whole(wh, tmp_path):
    good = gzip.compress((HEADER + "u1,t1,a1,play,2026-11-16T08:00:00Z,1,\n" * 2000).encode())
    broken = _write(tmp_path / "broken.csv.gz", good[: len(good) // 2])
    empty = _write(tmp_path / "empty.csv", "")
    wrong = _write(tmp_path / "wrong.csv", "who,what\nu1,t1\n")
    binary = _write(tmp_path / "binary.csv", bytes(range(256)) * 10)
    r = ingest_events(wh, [broken, empty, wrong, binary, tmp_path / "missing.csv"])
    status = {f.path.split("/")[-1]: (f.status, f.message) for f in r.files}
    assert status["broken.csv.gz"][0] == "rejected" and "gzip" in status["broken.csv.gz"][1]
    assert status["empty.csv"] == ("rejected", f"{empty}: empty file (0 bytes)")
    assert status["wrong.csv"][0] == "rejected"
    assert "no column for user_id" in status["wrong.csv"][1] and "--map user_id=COLUMN" in status["wrong.csv"][1]
    assert status["binary.csv"][0] == "rejected"
    assert status["missing.csv"] == ("rejected", f"{tmp_path / 'missing.csv'}: no such file")
    assert wh.scalar("SELECT count(*) FROM events") == 0      # nothing of a broken file is kept
    assert wh.scalar("SELECT count(*) FROM rejected_files") == 5
    # a mapping makes the wrong file right
    r = ingest_events(wh, [tmp_path / "wrong.csv"], mapping={"user_id": "who", "track_id": "what"})
    assert r.files[0].accepted == 1


def test_formats_tsv_jsonl_parquet_and_mapping(wh, tmp_path):
    tsv = _write(tmp_path / "plays.tsv", "listener\tsong\tn\nu1\tt1\t3\nu2\tt1\t1\n")
    r = ingest_events(wh, [tsv], mapping=parse_mapping(["user_id=listener", "track_id=song", "count=n"],
                                                      EVENT_COLUMNS))
    assert r.files[0].accepted == 2 and wh.scalar("SELECT sum(plays) FROM events") == 4
    lines = [json.dumps({"user": "u3", "track": "t2", "kind": "skip"}), "{not json", "[1, 2]",
             json.dumps({"user": "u3", "track": "t2", "kind": "save", "extra": {"x": 1}})]
    jl = _write(tmp_path / "ev.jsonl.gz", "\n".join(lines) + "\n", gz=True)
    f = ingest_events(wh, [jl]).files[0]
    assert (f.accepted, f.quarantined) == (2, 2)
    assert dict(wh.execute("SELECT line, reason FROM quarantine").fetchall()) == {
        2: "not valid JSON: Expecting property name enclosed in double quotes",
        3: "a JSON line must be an object"}
    pq.write_table(pa.table({"user_id": ["u5", "u5"], "track_id": ["t9", None],
                             "count": pa.array([2, 1], pa.int64())}), tmp_path / "ev.parquet")
    f = ingest_events(wh, [tmp_path / "ev.parquet"]).files[0]
    assert (f.accepted, f.quarantined) == (1, 1)
    assert wh.scalar("SELECT line FROM quarantine WHERE reason LIKE 'missing track_id%'") == 2


def test_encoding_is_explained(wh, tmp_path):
    path = _write(tmp_path / "tags.csv", "user_id,track_id\nu1,Beyonc\xe9\n".encode("latin-1"))
    f = ingest_events(wh, [path]).files[0]
    assert f.status == "rejected" and "--encoding latin-1" in f.message
    f = ingest_events(wh, [path], options=ReadOptions(encoding="latin-1")).files[0]
    assert f.accepted == 1 and wh.scalar("SELECT track_id FROM tracks") == "Beyoncé"


def test_catalog_upsert_and_validation(wh, tmp_path):
    ingest_events(wh, [_write(tmp_path / "e.csv", "user_id,track_id\nu1,t1\n")])
    cat = _write(tmp_path / "cat.csv", "track_id,title,artist_name,duration,released,genre,mood\n"
                 "t1,One,Abba,200,1976,pop,happy\nt2,Two,Abba,-5,1977,pop,\nt3,Three,,180,someday,,\n"
                 "t4,Four,Low,90.5,2001-05-01,slowcore,sad\nt4,Four (remaster),Low,91,2001-05-01,slowcore,sad\n")
    f = ingest_catalog(wh, [cat]).files[0]
    assert (f.rows_read, f.accepted, f.quarantined) == (5, 2, 3)
    reasons = sorted(r for (r,) in wh.execute("SELECT reason FROM quarantine").fetchall())
    assert reasons[0].startswith("bad release date 'someday'")
    assert reasons[1].startswith("negative duration")
    assert reasons[2] == "repeated track_id: line 6 of this file is kept"
    t1 = wh.one("SELECT title, duration_ms, released, style, attrs, a.name FROM tracks t "
                "JOIN artists a USING (artist_idx) WHERE track_id = 't1'")
    assert t1[:4] == ("One", 200_000, __import__("datetime").date(1976, 1, 1), "pop")
    assert json.loads(t1[4]) == {"mood": "happy"} and t1[5] == "Abba"
    assert wh.scalar("SELECT title FROM tracks WHERE track_id = 't4'") == "Four (remaster)"
    assert wh.scalar("SELECT count(*) FROM tracks") == 2


def test_large_file_streams_in_batches(wh, tmp_path):
    n = 25_000
    text = HEADER + "".join(f"u{i % 997},t{i % 1013},a{i % 50},play,,1,\n" for i in range(n))
    path = _write(tmp_path / "big.csv", text)
    f = ingest_events(wh, [path], options=ReadOptions(batch_rows=4096)).files[0]
    assert (f.rows_read, f.accepted) == (n, n)
    assert wh.scalar("SELECT count(DISTINCT user_idx) FROM events") == 997
    assert wh.scalar("SELECT max(line) FROM events") == n + 1


def test_bad_parameters(wh):
    with pytest.raises(ParameterError, match="default_kind"):
        ingest_events(wh, [], default_kind="dance")
    with pytest.raises(ParameterError, match="CANONICAL=SOURCE"):
        parse_mapping(["user_id"], EVENT_COLUMNS)
    with pytest.raises(ParameterError, match="unknown column 'who'"):
        parse_mapping(["who=x"], EVENT_COLUMNS)


def test_empty_mapping_means_no_such_column(wh, tmp_path):
    cat = _write(tmp_path / "cat.csv", "track_id,title,url\nt1,One,https://example.org/artist/one\n")
    ingest_catalog(wh, [cat], mapping={"uri": ""})
    uri, attrs = wh.one("SELECT uri, attrs FROM tracks")
    assert uri is None and json.loads(attrs) == {"url": "https://example.org/artist/one"}
    ingest_catalog(wh, [_write(tmp_path / "cat2.csv", "track_id,url\nt2,x.wav\n")])
    assert wh.scalar("SELECT uri FROM tracks WHERE track_id = 't2'") == "x.wav"

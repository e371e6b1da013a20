"""Bad input to every command: the exact exit code, a message without a traceback, and what the
warehouse holds afterwards. Each case is one that once crashed, lost rows or was silently wrong."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import stat
import unicodedata

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tastemaker.cli import run
from tastemaker.config import load_settings
from tastemaker.engine import DuckDBEngine

HEADER = "user_id,track_id,count,ms_played,ts\n"
GOOD = "u1,t1,1,200000,2026-11-20T10:00:00\n"


@pytest.fixture
def cli(capsys):
    """Run the CLI in this process; (exit code, everything it printed)."""
    def call(home, *args):
        code = run(["--home", str(home), "--quiet", *map(str, args)])
        printed = capsys.readouterr()
        text = printed.out + printed.err
        assert "Traceback" not in text, text
        return code, text
    return call


def counts(home, *names):
    with DuckDBEngine.open(load_settings(home).warehouse_path, read_only=True) as engine:
        return engine.table_counts(list(names))


def quarantined(home):
    with DuckDBEngine.open(load_settings(home).warehouse_path, read_only=True) as engine:
        return engine.execute("SELECT line, reason FROM quarantine ORDER BY file_id, line").fetchall()


# -- one bad value costs one row, with its line and reason ------------------------------------------
BAD_ROWS = [
    ("u2,t1,nan,,2026-11-20T10:00:00", "count is not a finite number"),
    ("u2,t1,inf,,2026-11-20T10:00:00", "count is not a finite number"),
    ("u2,t1,1e30,,2026-11-20T10:00:00", "count too large"),
    ("u2,t1,1,nan,2026-11-20T10:00:00", "ms_played is not a finite number"),
    ("u2,t1,1,1e30,2026-11-20T10:00:00", "ms_played too large"),
    ("u2,t1,1,,1e20", "bad timestamp"),
    ("u2,t1,1,,infinity", "implausible timestamp"),
    ("u2,t1,1,,epoch", "implausible timestamp"),
    ("u2,t1,1,,9999-12-20T00:00:00", "implausible timestamp"),
    ("u2,t1,1,,0001-01-01T00:00:00", "implausible timestamp"),
    ("u2,t1,1,,2026-11-20T10:00:00+25:00", "bad timestamp"),
    ("u2,t1,1,,1999-12-31T23:59:59", "implausible timestamp"),
]


@pytest.mark.parametrize("row,reason", BAD_ROWS, ids=[r for r, _ in BAD_ROWS])
def test_one_bad_value_quarantines_its_row_only(tmp_path, cli, row, reason):
    events = tmp_path / "events.csv"
    events.write_text(HEADER + GOOD + row + "\n" + GOOD.replace("u1", "u3"))
    code, out = cli(tmp_path / "h", "ingest", "events", events)
    assert code == 0, out
    assert counts(tmp_path / "h", "events", "quarantine") == {"events": 2, "quarantine": 1}
    [(line, why)] = quarantined(tmp_path / "h")
    assert line == 3 and why.startswith(reason), why


def test_an_offset_is_converted_and_the_window_is_configurable(tmp_path, cli):
    home = tmp_path / "h"
    home.mkdir()
    (home / "tastemaker.toml").write_text('[ingest]\nearliest = "1990-01-01"\n')
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "u1,t1,1,,1995-06-01T10:00:00\nu2,t1,1,,2026-11-20T10:00:00+02:00\n")
    assert cli(home, "ingest", "events", events)[0] == 0
    with DuckDBEngine.open(load_settings(home).warehouse_path, read_only=True) as engine:
        times = [str(t) for (t,) in engine.execute("SELECT ts FROM events ORDER BY line").fetchall()]
    assert times == ["1995-06-01 10:00:00", "2026-11-20 08:00:00"]


def test_a_bad_duration_costs_one_catalogue_row(tmp_path, cli):
    cat = tmp_path / "catalog.csv"
    cat.write_text("track_id,title,duration_ms\nt1,A,200000\nt2,B,nan\nt3,C,1e30\nt4,D,inf\nt5,E,180000\n")
    code, out = cli(tmp_path / "h", "ingest", "catalog", cat)
    assert code == 0, out
    assert counts(tmp_path / "h", "tracks", "quarantine") == {"tracks": 2, "quarantine": 3}
    reasons = [r for _, r in quarantined(tmp_path / "h")]
    assert reasons[0].startswith("duration is not a finite number") and reasons[1].startswith("duration too long")


def test_a_catalogue_file_changes_only_the_columns_it_has(tmp_path, cli):
    home = tmp_path / "h"
    first = tmp_path / "catalog.csv"
    first.write_text("track_id,title,available\nt1,A,true\nt2,B,false\n")
    later = tmp_path / "genres.csv"
    later.write_text("track_id,genre\nt1,rock\nt2,jazz\n")
    assert cli(home, "ingest", "catalog", first)[0] == 0
    assert cli(home, "ingest", "catalog", later)[0] == 0
    with DuckDBEngine.open(load_settings(home).warehouse_path, read_only=True) as engine:
        rows = engine.execute("SELECT track_id, title, style, available FROM tracks ORDER BY 1").fetchall()
    assert rows == [("t1", "A", "rock", True), ("t2", "B", "jazz", False)]


# -- ids ----------------------------------------------------------------------------------------------
def test_one_name_in_any_unicode_spelling_is_one_user(tmp_path, cli):
    nfc = "Zoë"
    nfd = unicodedata.normalize("NFD", nfc)
    events = tmp_path / "events.csv"
    events.write_text(HEADER + f"{nfc},t1,1,,\n{nfd},t2,1,,\nZo\u200bë,t3,1,,\n", encoding="utf-8")
    assert cli(tmp_path / "h", "ingest", "events", events)[0] == 0
    assert counts(tmp_path / "h", "users", "events") == {"users": 1, "events": 3}
    with DuckDBEngine.open(load_settings(tmp_path / "h").warehouse_path, read_only=True) as engine:
        kept = engine.execute("SELECT kind, id, spelling FROM id_spellings ORDER BY spelling").fetchall()
    assert sorted(kept) == sorted([("user", nfc, nfd), ("user", nfc, "Zo\u200bë")])


def test_objects_lists_and_control_characters_are_not_ids(tmp_path, cli):
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(r) for r in [
        {"user_id": {"a": 1}, "track_id": "t1"}, {"user_id": ["u"], "track_id": "t1"},
        {"user_id": "u1", "track_id": "t1"}, {"user_id": "u\u0000x", "track_id": "t1"}]) + "\n")
    assert cli(tmp_path / "h", "ingest", "events", events)[0] == 0
    reasons = quarantined(tmp_path / "h")
    assert [line for line, _ in reasons] == [1, 2, 4]
    assert "JSON object or list" in reasons[0][1] and "control character" in reasons[2][1]
    table = pa.table({"user_id": pa.array([["x"], None], pa.list_(pa.string())), "track_id": ["t1", "t2"]})
    pq.write_table(table, tmp_path / "nested.parquet")
    code, out = cli(tmp_path / "h2", "ingest", "events", tmp_path / "nested.parquet")
    assert code == 0 and counts(tmp_path / "h2", "events", "quarantine") == {"events": 0, "quarantine": 2}


def test_a_nul_byte_deep_in_a_file_never_reaches_an_id(tmp_path, cli):
    filler = "".join(f"u{i},t1,1,,\n" for i in range(8000))        # > 64 KiB before the NUL
    events = tmp_path / "events.csv"
    events.write_bytes((HEADER + filler + "bad\x00user,t1,1,,\n").encode())
    assert cli(tmp_path / "h", "ingest", "events", events)[0] == 0
    [(line, why)] = quarantined(tmp_path / "h")
    assert line == 8002 and "control character" in why


# -- headers, encodings and lines ---------------------------------------------------------------------
def test_real_world_headers_and_encodings(tmp_path, cli):
    cases = {
        "trailing.csv": ("user_id,track_id,\nu1,t1\nu2,t2\n".encode(), 2),
        "trailing-rows.csv": ("user_id,track_id,\nu1,t1,\nu2,t2,\n".encode(), 2),
        "quotes.csv": ('user_id,track_id,a,"a"""\nu1,t1,x,y\n'.encode(), 1),
        "bom.jsonl": (("\ufeff" + json.dumps({"user_id": "u1", "track_id": "t1"}) + "\n").encode(), 1),
        "bom.csv": ("\ufeffuser_id,track_id\nu1,t1\n".encode(), 1),
    }
    for name, (data, accepted) in cases.items():
        (tmp_path / name).write_bytes(data)
        code, out = cli(tmp_path / name.replace(".", "-"), "ingest", "events", tmp_path / name)
        assert code == 0, (name, out)
        assert counts(tmp_path / name.replace(".", "-"), "events")["events"] == accepted, name
    (tmp_path / "utf16.csv").write_bytes("user_id,track_id\nZoë,t1\n".encode("utf-16"))
    code, out = cli(tmp_path / "h16", "ingest", "events", "--encoding", "utf-16", tmp_path / "utf16.csv")
    assert code == 0 and counts(tmp_path / "h16", "events")["events"] == 1, out
    code, out = cli(tmp_path / "h16b", "ingest", "events", tmp_path / "utf16.csv")
    assert code == 1 and "--encoding utf-16" in out


def test_line_numbers_stay_exact_after_a_quoted_line_break(tmp_path, cli):
    events = tmp_path / "events.csv"
    events.write_text('user_id,track_id,note\nu1,t1,"two\nlines"\n,t2,x\nu3,t3,"three\n\nlines"\n,t4,y\n')
    assert cli(tmp_path / "h", "ingest", "events", events)[0] == 0
    assert [line for line, _ in quarantined(tmp_path / "h")] == [4, 8]


def test_a_bad_file_never_stops_the_files_after_it(tmp_path, cli):
    (tmp_path / "a-blank.csv").write_text("\n\n\n")
    folder = tmp_path / "odd["
    folder.mkdir()
    (folder / "]name.csv").write_text(HEADER + GOOD)
    (tmp_path / "z-good.csv").write_text(HEADER + GOOD.replace("u1", "u9"))
    code, out = cli(tmp_path / "h", "ingest", "events", tmp_path / "a-blank.csv", folder / "]name.csv",
                    tmp_path / "z-good.csv")
    assert code == 1 and "the first line, which should be the header, is blank" in out
    assert "odd[/]name.csv" in out
    assert counts(tmp_path / "h", "events", "rejected_files") == {"events": 2, "rejected_files": 1}


@pytest.mark.parametrize("option,message", [
    (["--delimiter", ";;"], "the delimiter must be one character"),
    (["--encoding", "klingon"], "unknown text encoding 'klingon'"),
    (["--format", "xls"], "unknown format 'xls'"),
])
def test_options_are_checked_where_they_are_parsed(tmp_path, cli, option, message):
    (tmp_path / "e.csv").write_text(HEADER + GOOD)
    code, out = cli(tmp_path / "h", "ingest", "events", *option, tmp_path / "e.csv")
    assert code == 2 and f"error: {message}" in out


def test_gzip_and_plain_text_are_told_by_their_bytes(tmp_path, cli):
    with gzip.open(tmp_path / "events.txt", "wt") as f:
        f.write(HEADER + GOOD)
    assert cli(tmp_path / "h", "ingest", "events", tmp_path / "events.txt")[0] == 0
    assert counts(tmp_path / "h", "events")["events"] == 1


# -- the other commands -------------------------------------------------------------------------------
@pytest.fixture
def week_home(tiny_world, cli):
    home = tiny_world["home"]
    assert cli(home, "ingest", "catalog", tiny_world["catalog"])[0] == 0
    assert cli(home, "ingest", "events", tiny_world["events"])[0] == 0
    assert cli(home, "train", "collaborative", "--factors", "8", "--iterations", "3")[0] == 0
    assert cli(home, "weekly", "generate", "--week", "2026-W48")[0] == 0
    return home


@pytest.mark.parametrize("args,code,message", [
    (["weekly", "generate", "--week", "0001-W01"], 2, "is before 2000"),
    (["weekly", "generate", "--week", "9999-W01"], 2, "ahead of this one"),
    (["weekly", "generate", "--week", ""], 2, "A week reads YYYY-Www"),
    (["weekly", "show", "u1", "--week", ""], 2, "A week reads YYYY-Www"),
    (["weekly", "export", "--week", "2026-W47"], 2, "No playlists for 2026-W47"),
    (["weekly", "show", "[bold]U0001"], 2, "No user '[bold]U0001'"),
    (["weekly", "export", "--user", "NOSUCH"], 2, "No such user: 'NOSUCH'"),
    (["weekly", "export", "--format", "pdf"], 2, "must be one of json, csv, parquet, m3u, xspf"),
    (["weekly", "generate", "--ranking", "best"], 2, "Unknown blend mode 'best'"),
    (["ingest", "events", "--kind", "dance", "x.csv"], 2, "must be one of play, save, skip, dislike, artist_visit"),
    (["similar", "artist", "[/]"], 2, "[/]"),
    (["similar", "track", "t1", "-n", "-5"], 2, "Invalid value for '-n': Input should be greater than or equal to 1"),
    (["weekly", "report", "--weeks", "0"], 2, "Invalid value for '--weeks'"),
])
def test_commands_refuse_garbage_with_a_message(week_home, cli, args, code, message):
    got, out = cli(week_home, *args)
    assert got == code and message in out, out
    assert counts(week_home, "playlists")["playlists"] == 240 * 30       # nothing written


def test_export_names_what_is_wrong_with_the_destination(week_home, cli, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    code, out = cli(week_home, "weekly", "export", "--out", a_file / "sub")
    assert code == 2 and "is a file where a folder is needed" in out
    code, out = cli(week_home, "weekly", "export", "--out", tmp_path / "new" / "folder")
    assert code == 0 and (tmp_path / "new" / "folder" / "2026-W48.json").exists()
    if os.geteuid() != 0:       # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
        code, out = cli(week_home, "weekly", "export", "--out", locked)
        assert code == 2 and "permission denied" in out


@pytest.mark.parametrize("toml,message", [
    ("weekly = 5\n", "weekly must be a section"),
    ("[weekly]\nsise = 30\n", "unknown keys ['sise'] in [weekly]"),
    (b"[weekly]\nsize = 30 # \xe9\n", "is not UTF-8 text"),
    (None, "is a folder; it must be a TOML file"),
])
def test_a_bad_settings_file_is_named_and_explained(tmp_path, cli, toml, message):
    home = tmp_path / "h"
    home.mkdir()
    if toml is None:
        (home / "tastemaker.toml").mkdir()
    elif isinstance(toml, bytes):
        (home / "tastemaker.toml").write_bytes(toml)
    else:
        (home / "tastemaker.toml").write_text(toml)
    code, out = cli(home, "status")
    assert code == 2 and message in out, out


def test_a_home_that_is_a_file_or_a_warehouse_that_is_not_one(tmp_path, cli):
    (tmp_path / "file").write_text("x")
    code, out = cli(tmp_path / "file", "status")
    assert code == 2 and "is a file; --home" in out
    home = tmp_path / "h"
    home.mkdir()
    (home / "warehouse.duckdb").write_bytes(b"this is not a database" * 100)
    code, out = cli(home, "status")
    assert code == 2 and "not a DuckDB warehouse or is corrupt" in out and "another tastemaker" not in out


def test_a_bug_is_one_line_and_a_log(tmp_path, cli, monkeypatch):
    from tastemaker.cli import status as status_cli

    def broken(*_a, **_k):
        raise ZeroDivisionError("a planted bug")
    monkeypatch.setattr(status_cli.common, "settings", broken)
    code, out = cli(tmp_path / "h", "status")
    assert code == 3 and "unexpected ZeroDivisionError: a planted bug" in out
    log = (tmp_path / "h" / "logs" / "tastemaker.log").read_text()
    assert "Traceback" in log and "a planted bug" in log


def test_ctrl_c_prints_its_notice_and_exits_130(tmp_path, cli, monkeypatch):
    from tastemaker.cli import status as status_cli

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt
    monkeypatch.setattr(status_cli.common, "settings", interrupted)
    code, out = cli(tmp_path / "h", "status")
    assert code == 130 and "interrupted: the warehouse is left as it was" in out


def test_a_run_that_is_not_resumed_is_marked_superseded(week_home, tmp_path):
    from tastemaker.runs import Run, now
    settings = load_settings(week_home)
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        engine.start_weekly_run(Run("weekly-interrupted", "weekly", now(), "running", week="2026-W49"))
        engine.start_weekly_run(Run("weekly-next", "weekly", now(), "running", week="2026-W49"))
        assert engine.run_status("weekly-interrupted") == "superseded"
        assert engine.run_status("weekly-next") == "running"


def test_a_file_that_grew_adds_only_its_new_rows(tmp_path, cli):
    home, log = tmp_path / "h", tmp_path / "plays.csv"
    log.write_text("user_id,track_id\nu1,t1\nu2,t2\n")                 # no timestamps: no dedupe
    assert cli(home, "ingest", "events", log)[0] == 0
    with open(log, "a") as f:
        f.write("u3,t3\n,t4\n")
    code, out = cli(home, "ingest", "events", log)
    assert code == 0 and "only the rows after them are new" in out
    assert counts(home, "events", "quarantine") == {"events": 3, "quarantine": 1}
    assert [line for line, _ in quarantined(home)] == [5]
    assert cli(home, "ingest", "events", log)[1].count("skipped") >= 1          # the same again
    assert counts(home, "events")["events"] == 3
    cut = tmp_path / "cut.csv"
    cut.write_text("user_id,track_id\nu1,t1\nu2,t")                     # last line not ended
    assert cli(home, "ingest", "events", cut)[0] == 0
    with open(cut, "a") as f:
        f.write("2\nu5,t5\n")
    code, out = cli(home, "ingest", "events", cut)
    assert code == 1 and "did not end with a line break" in out


@pytest.mark.parametrize("damage", ["delete", "garbage"])
def test_a_damaged_model_is_named_with_what_to_do(week_home, cli, damage):
    folder = next((week_home / "models" / "collaborative").glob("2*"))
    target = folder / "user_factors.npy"
    if damage == "delete":
        target.unlink()
    else:
        target.write_bytes(b"not a numpy file at all")
    code, out = cli(week_home, "weekly", "generate", "--week", "2026-W49")
    assert code == 2 and "is incomplete or damaged" in out and "tastemaker train collaborative" in out
    assert counts(week_home, "playlists")["playlists"] == 240 * 30


def test_analyze_exits_non_zero_when_nothing_could_be_analysed(tmp_path, cli):
    (tmp_path / "a.wav").write_bytes(b"RIFF but not audio")
    code, out = cli(tmp_path / "h", "analyze", tmp_path / "a.wav", "--jobs", "1")
    assert code == 1 and "failed" in out
    code, out = cli(tmp_path / "h", "analyze", tmp_path / "a.wav", "--jobs", "-3")
    assert code == 2 and "Invalid value for '--jobs'" in out


def test_an_unbalanced_quote_costs_its_own_line_only(tmp_path, cli):
    events = tmp_path / "events.csv"
    events.write_text('user_id,track_id,note\nu1,t1,x\nu2,t2,"oops\nu3,t3,y\nu4,t4,"z"\nu5,t5,w\n')
    assert cli(tmp_path / "h", "ingest", "events", events)[0] == 0
    [(line, why)] = quarantined(tmp_path / "h")
    assert line == 3 and why.startswith("unbalanced quote")
    with DuckDBEngine.open(load_settings(tmp_path / "h").warehouse_path, read_only=True) as engine:
        lines = sorted(n for (n,) in engine.execute("SELECT line FROM events").fetchall())
    assert lines == [2, 4, 5, 6]
    legit = tmp_path / "legit.csv"          # a quoted field over lines that are not rows stays one
    legit.write_text('user_id,track_id,note\nu1,t1,"first line\nsecond line"\nu2,t2,x\n')
    assert cli(tmp_path / "h2", "ingest", "events", legit)[0] == 0
    assert counts(tmp_path / "h2", "events", "quarantine") == {"events": 2, "quarantine": 0}


def test_a_full_disk_is_named_and_loses_nothing(tmp_path, cli):
    import subprocess
    mount = tmp_path / "small-disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small disk here ({made.stderr.strip() or 'not root'})")
    try:
        home = mount / "h"
        events = tmp_path / "e.csv"
        events.write_text(HEADER + "".join(f"u{i % 50},t{i % 40},1,,2026-11-{i % 20 + 1:02d}T10:00:00\n"
                                           for i in range(2000)))
        assert cli(home, "ingest", "events", events)[0] == 0
        before = counts(home, "events", "interactions")
        filler = mount / "filler"
        with open(filler, "wb") as f:
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
        code, out = cli(home, "train", "collaborative", "--factors", "4", "--iterations", "2")
        assert code == 2 and "Is the disk full?" in out and "nothing of it was kept" in out
        filler.unlink()
        assert counts(home, "events", "interactions") == before
        assert cli(home, "train", "collaborative", "--factors", "4", "--iterations", "2")[0] == 0
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_ctrl_c_while_the_libraries_load_is_quiet(monkeypatch, capsys):
    import builtins

    from tastemaker import launch
    real = builtins.__import__

    def loading(name, *args, **kwargs):
        if name == "cli" and kwargs.get("level", args[3] if len(args) > 3 else 0) == 1:
            raise KeyboardInterrupt
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", loading)
    with pytest.raises(SystemExit) as stopped:
        launch.main()
    assert stopped.value.code == 130
    assert "interrupted while starting" in capsys.readouterr().err


def test_a_missing_file_keeps_its_name_as_given(tmp_path, cli):
    code, out = cli(tmp_path / "h", "ingest", "events", tmp_path / "nosuch[final].csv")
    assert code == 1 and "nosuch[final].csv: no such file" in out


def test_a_busy_warehouse_says_so(tmp_path, cli):
    import subprocess
    import sys
    home = tmp_path / "h"
    (tmp_path / "e.csv").write_text(HEADER + GOOD)
    assert cli(home, "ingest", "events", tmp_path / "e.csv")[0] == 0
    with DuckDBEngine.open(load_settings(home).warehouse_path):        # another writer holds it
        done = subprocess.run([sys.executable, "-m", "tastemaker", "--home", str(home), "status"],
                              capture_output=True, text=True)
    assert done.returncode == 2 and "another process holds it" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr

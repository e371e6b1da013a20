"""The feedback report: delivered tracks played, saved and skipped in their week, by source."""

import json

import pytest
from typer.testing import CliRunner

from tastemaker.cli import app
from tastemaker.config import load_settings
from tastemaker.errors import ParameterError
from tastemaker.ingest import ingest_catalog, ingest_events
from tastemaker.engine import DuckDBEngine
from tastemaker.weekly.feedback import feedback, notes

# 2026-W48 runs from Monday 2026-11-23 to Sunday 2026-11-29; 2026-W49 from 2026-11-30
HISTORY = """user_id,track_id,artist_id,kind,ts,count,ms_played
u1,t0,a0,play,2026-11-02T10:00:00Z,3,540000
u2,t1,a0,play,2026-11-03T10:00:00Z,1,180000
u3,t2,a1,play,2026-11-04T10:00:00Z,2,360000
"""
LISTS = [  # week, user, position, track, source
    ("2026-W48", "u1", 1, "t5", "collaborative"), ("2026-W48", "u1", 2, "t6", "collaborative"),
    ("2026-W48", "u1", 3, "t7", "audio"),
    ("2026-W48", "u2", 1, "t5", "fallback"), ("2026-W48", "u2", 2, "t8", "fallback"),
    ("2026-W48", "u3", 1, "t9", "collaborative"),
    ("2026-W49", "u1", 1, "t8", "collaborative"),
]
AFTER = """user_id,track_id,artist_id,kind,ts,count,ms_played
u1,t5,a2,play,2026-11-24T08:00:00Z,1,200000
u1,t5,a2,play,2026-11-25T08:00:00Z,1,190000
u1,t6,a2,play,2026-11-24T09:00:00Z,1,10000
u1,t6,a2,play,2026-11-22T23:00:00Z,1,200000
u1,t7,a2,save,2026-11-26T10:00:00Z,1,
u1,t7,a2,play,2026-11-26T10:01:00Z,1,
u2,t5,a2,play,2026-12-01T10:00:00Z,1,200000
u2,t8,a3,skip,2026-11-29T23:59:00Z,1,
u2,t9,a3,play,2026-11-24T10:00:00Z,1,200000
u3,t5,a2,play,2026-11-24T10:00:00Z,1,200000
u3,t9,a3,play,,1,200000
u1,t8,a3,play,2026-11-27T10:00:00Z,1,200000
u1,t8,a3,save,2026-12-02T10:00:00Z,1,
"""


def _build(path, tmp_path) -> DuckDBEngine:
    wh = DuckDBEngine.open(path)
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("track_id,title,artist_id,artist_name\n"
                       + "".join(f"t{i},Song {i},a{i // 2},Artist {i // 2}\n" for i in range(10)))
    ingest_catalog(wh, [catalog])
    for name, text in (("history.csv", HISTORY), ("after.csv", AFTER)):
        (tmp_path / name).write_text(text)
    ingest_events(wh, [tmp_path / "history.csv"])
    for week, user, pos, track, source in LISTS:
        wh.execute("""INSERT INTO playlists (week, user_idx, position, track_idx, score, source, reason, run_id)
                      SELECT ?, u.user_idx, ?, t.track_idx, 1.0, ?, 'because', 'test'
                      FROM users u, tracks t WHERE u.user_id = ? AND t.track_id = ?""",
                   [week, pos, source, user, track])
    report = ingest_events(wh, [tmp_path / "after.csv"])
    assert report.files[0].accepted == 13, report.files[0].reasons
    return wh


@pytest.fixture
def wh(tmp_path):
    wh = _build(None, tmp_path)
    yield wh
    wh.close()


def test_counts_only_the_users_own_delivered_tracks_inside_the_week(wh):
    w48, w49 = feedback(wh, min_play_ms=30_000)
    assert w48["week"] == "2026-W48" and w48["monday"] == "2026-11-23"
    assert {k: w48[k] for k in ("users", "tracks", "played", "saved", "skipped", "listeners",
                                "untimed_events")} == {
        "users": 3, "tracks": 6, "played": 2, "saved": 1, "skipped": 2, "listeners": 1, "untimed_events": 1}
    assert w48["play_rate"] == pytest.approx(2 / 6) and w48["skip_rate"] == pytest.approx(2 / 6)
    assert w48["save_rate"] == pytest.approx(1 / 6) and w48["complete"]
    by = w48["by_source"]
    assert list(by) == ["collaborative", "audio", "fallback"]
    assert (by["collaborative"]["users"], by["collaborative"]["tracks"], by["collaborative"]["played"],
            by["collaborative"]["skipped"], by["collaborative"]["untimed_events"]) == (2, 3, 1, 1, 1)
    assert (by["audio"]["tracks"], by["audio"]["played"], by["audio"]["saved"]) == (1, 1, 1)
    assert (by["fallback"]["users"], by["fallback"]["tracks"], by["fallback"]["played"],
            by["fallback"]["skipped"]) == (1, 2, 0, 1)
    # u1's play of t8 in W48 came before t8 was delivered (W49); the save in W49 counts there
    assert (w49["tracks"], w49["played"], w49["saved"], w49["complete"]) == (1, 0, 1, False)
    assert any("no timestamp" in n for n in notes([w48, w49]))
    assert any("2026-W49" in n and "end of the week" in n for n in notes([w48, w49]))


def test_min_play_ms_decides_what_a_skip_is_and_weeks_picks_the_latest(wh):
    w48 = feedback(wh, min_play_ms=5_000)[0]
    assert (w48["played"], w48["skipped"]) == (3, 1)          # u1's 10 s play of t6 is now a play
    assert [r["week"] for r in feedback(wh, weeks=1)] == ["2026-W49"]
    with pytest.raises(ParameterError, match="'weeks' parameter"):
        feedback(wh, weeks=0)


def test_an_empty_warehouse_has_no_weeks():
    wh = DuckDBEngine.open(None)
    assert feedback(wh) == []
    wh.close()


def test_report_from_the_command_line(tmp_path):
    home = tmp_path / "home"
    _build(load_settings(home).warehouse_path, tmp_path).close()
    runner = CliRunner()
    result = runner.invoke(app, ["--home", str(home), "--quiet", "weekly", "report"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    out = " ".join(result.output.split())
    assert ("│ 2026-W48 │ 3 │ 6 │ 2 (33.3%) │ 1 (16.7%) │ 2 (33.3%) │ "
            "│ collaborative │ 2 │ 3 │ 1 (33.3%) │") in out
    assert "│ fallback │ 1 │ 2 │ 0 (0.0%) │ 0 (0.0%) │ 1 (50.0%) │" in out
    assert "2026-W48: 1 of 3 users played at least one" in out
    assert "no timestamp" in out and "2026-W49" in out
    result = runner.invoke(app, ["--home", str(home), "weekly", "report", "--weeks", "1", "--json"])
    doc = json.loads(result.output)
    assert doc["min_play_ms"] == 30_000 and [w["week"] for w in doc["weeks"]] == ["2026-W49"]
    assert doc["weeks"][0]["by_source"]["collaborative"]["saved"] == 1
    empty = runner.invoke(app, ["--home", str(tmp_path / "none"), "weekly", "report"])
    assert empty.exit_code != 0

"""`tastemaker demo` end to end on a small world: every step runs and leaves what it promises;
then the blend's feedback loop over two weeks."""

import csv

import pytest

from tastemaker.config import load_settings
from tastemaker.demo.run import run_demo
from tastemaker.engine import DuckDBEngine


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    settings = load_settings(tmp_path_factory.mktemp("demo") / "home")
    result = run_demo(settings, n_users=150, n_artists=24, tracks_per_artist=5, weeks=4, seed=3,
                      audio_seconds=2.0, log=lambda *_: None)
    return settings, result


def test_demo_runs_end_to_end_on_a_small_world(demo):
    settings, result = demo
    names = [name for name, _, _ in result.steps]
    assert names[0].startswith("Generating") and names[-1].startswith("Evaluating the blend")
    assert any(n.startswith("Training the ranker") for n in names)
    assert result.week == "2026-W48"
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as wh:
        users = wh.scalar("SELECT count(*) FROM users")
        assert wh.scalar("SELECT count(*) FROM playlists WHERE week = '2026-W48'") == 30 * users
        assert wh.scalar("SELECT count(*) FROM quarantine") == 0
    assert all(p.exists() for p in result.exports)
    rows = {r.name: r.metrics for r in result.comparison.results}
    assert set(rows) == {"popularity", "itemknn", "bpr", "als", "ease", "rp3beta"}
    assert rows["als"]["recall"] > rows["popularity"]["recall"]


def test_the_ablation_has_every_variant_and_segment(demo):
    _, result = demo
    report = result.ablation
    variants = report["variants"]
    assert list(variants)[0] == "collaborative only" and "full blend, learned ranker" in variants
    for row in variants.values():
        assert set(row) >= {"all", "little history", "warm", "cold tracks", "new tracks", "tracks_by_source"}
        assert 0 <= row["all"]["recall"] <= 1
    # collaborative filtering alone never places a track it has no vector for; the audio model does
    assert report["new_test_pairs"] > 0
    assert variants["collaborative only"]["new tracks"]["pairs_found"] == 0
    assert variants["audio only"]["new tracks"]["pairs_found"] > 0
    assert "audio" not in variants["collaborative only"]["tracks_by_source"]
    assert variants["full blend, fixed weights"]["tracks_by_source"].get("audio", 0) > 0


def test_the_ablation_pools_several_test_weeks_each_trained_only_on_earlier_weeks(demo):
    from tastemaker.blend.evaluate import ablation, pooled_markdown
    settings, _ = demo
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as wh:
        report = ablation(wh, settings, weeks=2)
    earlier = report["earlier_weeks"][0]
    pooled = report["pooled"]
    assert pooled["weeks"] == [report["week"], earlier["week"]] and earlier["week"] < report["week"]
    assert pooled["user_weeks"] == report["users"] + earlier["users"]
    for r in (report, earlier):      # models, weights and ranker never see the week they are tested on
        assert all(w < r["week"] for w in r["fixed_weights"]["weeks"])
        assert all(w < r["week"] for w in r["ranker"]["weeks"])
    cf = pooled["variants"]["collaborative only"]
    assert "recall_vs_collaborative" not in cf
    for name, row in pooled["variants"].items():
        assert set(row["by_week"]) == set(pooled["weeks"])
        if name != "collaborative only":
            lo, hi = row["recall_vs_collaborative"]["ci95"]
            assert lo <= row["recall_vs_collaborative"]["diff"] <= hi
            # the pooled difference is the user-weighted mean of the weeks' differences
            diffs = [(r["variants"][name]["all"]["recall"] - r["variants"]["collaborative only"]["all"]["recall"],
                      r["users"]) for r in (report, earlier)]
            expected = sum(d * n for d, n in diffs) / sum(n for _, n in diffs)
            assert abs(row["recall_vs_collaborative"]["diff"] - expected) < 2e-3
    assert pooled_markdown(report).count("\n") == len(pooled["variants"]) + 1


def test_tracks_released_after_the_weeks_monday_are_never_candidates(demo):
    import datetime as dt

    import numpy as np

    from tastemaker.blend.candidates import candidates
    from tastemaker.blend.prepare import split_context
    from tastemaker.evaluate.splits import time_split
    settings, _ = demo
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as wh:
        split = time_split(wh, settings.signals)
        ctx = split_context(wh, settings, split)
        monday = dt.date.fromisoformat(split.info["week_start"][:10])
        later = wh.execute("SELECT track_idx FROM tracks WHERE released > ?", [monday]).fetchnumpy()["track_idx"]
    assert len(later) > 0                  # the demo's cold singles come out during the test week
    assert set(later.tolist()) <= set(ctx.unavailable.tolist())
    heard = split.train_matrix(settings.signals)[split.users]
    cand = candidates(ctx, split.users, heard, heard, settings.blend)
    assert not np.isin(cand.ids, later).any()


def test_the_week_mixes_sources_with_reasons_and_respects_the_rules(demo):
    settings, result = demo
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as wh:
        by_source = dict(wh.execute("SELECT source, count(*) FROM playlists WHERE week = ? GROUP BY 1",
                                    [result.week]).fetchall())
        assert by_source.get("collaborative", 0) > 0 and by_source.get("audio", 0) > 0
        reasons = dict(wh.execute("SELECT source, any_value(reason) FROM playlists WHERE week = ? "
                                  "GROUP BY 1", [result.week]).fetchall())
        assert reasons["collaborative"].startswith("because you play")
        audio = dict(wh.execute("""
            SELECT reason LIKE 'new from %', count(*) FROM playlists WHERE week = ? AND source = 'audio'
            GROUP BY 1""", [result.week]).fetchall())
        assert audio.get(False, 0) > 0 and audio.get(True, 0) > 0
        assert wh.scalar("""SELECT count(*) FROM playlists WHERE week = ? AND source = 'audio'
                            AND NOT (reason LIKE 'new; sounds like %' OR reason LIKE 'new from %, whom you play')""",
                         [result.week]) == 0
        # "new from A" only where the user has played A
        assert wh.scalar("""
            SELECT count(*) FROM playlists p JOIN tracks t USING (track_idx) JOIN artists a USING (artist_idx)
            WHERE p.week = ? AND p.source = 'audio' AND p.reason = 'new from ' || a.name || ', whom you play'
              AND NOT EXISTS (SELECT 1 FROM interactions i JOIN tracks t2 ON t2.track_idx = i.track_idx
                              WHERE i.user_idx = p.user_idx AND t2.artist_idx = t.artist_idx)""",
                         [result.week]) == 0
        if "text" in reasons:
            assert "write about" in reasons["text"] or "written about" in reasons["text"]
        assert wh.scalar("""SELECT count(*) FROM playlists p JOIN interactions i USING (user_idx, track_idx)
                            WHERE p.week = ?""", [result.week]) == 0
        assert wh.scalar("""SELECT max(n) FROM (SELECT count(*) AS n FROM playlists p JOIN tracks t
                            USING (track_idx) WHERE week = ? GROUP BY user_idx, t.artist_idx)""",
                         [result.week]) <= settings.weekly.max_per_artist
        assert wh.scalar("""SELECT max(n) FROM (SELECT count(*) AS n FROM playlists WHERE week = ?
                            AND source = 'audio' GROUP BY user_idx)""", [result.week]) <= settings.weekly.audio_share
        assert wh.scalar("SELECT count(*) FROM (SELECT DISTINCT user_idx, track_idx FROM playlists "
                         "WHERE week = ?)", [result.week]) == wh.scalar(
            "SELECT count(*) FROM playlists WHERE week = ?", [result.week])


def test_feedback_flows_into_the_next_week(demo, tmp_path):
    """Listeners react to week 48's lists; the events are ingested like any others, the models
    retrained, week 49 is written: it repeats nothing of week 48, and the report counts the reactions."""
    from tastemaker.ingest import ingest_events
    from tastemaker.train import train_collaborative
    from tastemaker.weekly.generate import generate_week
    from tastemaker.weekly.feedback import feedback

    settings, result = demo
    with DuckDBEngine.open(settings.warehouse_path) as wh:
        lists = wh.execute("""SELECT u.user_id, t.track_id, p.position FROM playlists p
                              JOIN users u USING (user_idx) JOIN tracks t USING (track_idx)
                              WHERE week = '2026-W48' AND p.user_idx < 20 ORDER BY p.user_idx, p.position
                              """).fetchall()
        path = tmp_path / "reactions.csv"
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["user_id", "track_id", "kind", "ts", "count", "ms_played"])
            for user, track, pos in lists:
                if pos <= 3:
                    w.writerow([user, track, "play", "2026-11-24T10:00:00Z", 1, 200000])
                if pos == 1:
                    w.writerow([user, track, "save", "2026-11-24T10:05:00Z", 1, ""])
                if pos == 4:
                    w.writerow([user, track, "skip", "2026-11-24T10:10:00Z", 1, 5000])
            w.writerow([lists[0][0], lists[-1][1], "play", "2026-12-02T10:00:00Z", 1, 200000])  # next week
        ingest_events(wh, [path])
        week48 = feedback(wh)[-1]
        assert week48["week"] == "2026-W48"
        assert (week48["played"], week48["saved"], week48["skipped"]) == (60, 20, 20)
        before = train_collaborative(wh, settings).version
        week49 = generate_week(wh, settings, week="2026-W49")
        assert week49.versions["collaborative"] == before
        assert "mapped from collaborative" in week49.versions.get("audio", "mapped from collaborative")
        repeated = wh.scalar("""SELECT count(*) FROM playlists a JOIN playlists b USING (user_idx, track_idx)
                                WHERE a.week = '2026-W48' AND b.week = '2026-W49'""")
        assert repeated == 0
        assert wh.scalar("SELECT count(*) FROM playlists WHERE week = '2026-W49'") > 0
        # played tracks are history now: never recommended again
        assert wh.scalar("""SELECT count(*) FROM playlists p JOIN interactions i USING (user_idx, track_idx)
                            WHERE p.week = '2026-W49'""") == 0

"""The week: 30 never-played tracks, artist cap, no repeats, reasons, fallback, atomic writes —
on each engine: embedded, and Spark (marked ``spark``: ALS fitted by MLlib, the lists on
``local[2]``)."""

import dataclasses

import numpy as np
import pytest

from tastemaker.config import EngineParams, SparkParams, load_settings
from tastemaker.ingest import ingest_catalog, ingest_events
from tastemaker.train import train_collaborative
from tastemaker.engine import DuckDBEngine
from tastemaker.weekly.generate import generate_week
from tastemaker.weekly.weeks import parse_week, previous_weeks


#: the Spark engine's users per partition × partitions = users per staged chunk
SPARK_PARTITIONS = 2


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def trained(tiny_world, request):
    settings = load_settings(tiny_world["home"])
    if request.param == "spark":
        from .test_spark import _spark_or_skip
        _spark_or_skip()
        settings = dataclasses.replace(settings, engine=EngineParams(
            kind="spark", spark=SparkParams(partitions=SPARK_PARTITIONS)))
    wh = DuckDBEngine.open(settings.warehouse_path)
    ingest_catalog(wh, [tiny_world["catalog"]])
    ingest_events(wh, [tiny_world["events"]])
    train_collaborative(wh, settings)
    yield wh, settings, tiny_world
    wh.close()


def _lists(wh, week):
    return wh.execute("""SELECT u.user_id, p.position, t.track_id, t.artist_idx, p.source, p.reason,
                                p.reason_track_idx
                         FROM playlists p JOIN users u USING (user_idx) JOIN tracks t USING (track_idx)
                         WHERE week = ? ORDER BY 1, 2""", [week]).fetchall()


def test_every_user_gets_30_never_played_tracks(trained):
    wh, settings, world = trained
    report = generate_week(wh, settings, week="2026-W48")
    rows = _lists(wh, "2026-W48")
    n_users = wh.scalar("SELECT count(*) FROM users")
    assert report.rows == len(rows) == 30 * n_users
    heard = set(map(tuple, world["frame"][["user_id", "track_id"]].values))
    assert not any((u, t) in heard for u, _, t, *_ in rows)
    per_artist = {}
    for u, _, _, a, *_ in rows:
        per_artist[(u, a)] = per_artist.get((u, a), 0) + 1
    assert max(per_artist.values()) <= settings.weekly.max_per_artist
    positions = {}
    for u, p, *_ in rows:
        positions.setdefault(u, []).append(p)
    assert all(v == list(range(1, 31)) for v in positions.values())


def test_taste_groups_are_respected_and_reasons_name_played_tracks(trained):
    wh, settings, world = trained
    generate_week(wh, settings, week="2026-W48")
    group = {f"u{i}": g for i, g in enumerate(world["group"])}
    # each group has 50 tracks and users heard up to 24 of them: the top 10 must be in-group
    collab = [r for r in _lists(wh, "2026-W48") if r[4] == "collaborative" and r[1] <= 10]
    same = np.mean([int(r[2][1:]) % 3 == group[r[0]] for r in collab])
    assert same > 0.9, same
    played = wh.execute("SELECT user_idx, track_idx FROM interactions").fetchall()
    played = set(played)
    rows = wh.execute("""SELECT user_idx, reason_track_idx, reason FROM playlists
                         WHERE source = 'collaborative'""").fetchall()
    assert all((u, r) in played for u, r, _ in rows)
    assert all(text.startswith("because you play Artist ") for *_, text in rows)


def test_users_with_one_play_get_their_taste_from_the_item_model_or_else_a_labelled_fallback(trained):
    wh, settings, world = trained
    generate_week(wh, settings, week="2026-W48")
    lists = _lists(wh, "2026-W48")
    # u0 and u40 played one track each: too little for a collaborative vector, enough for the
    # item-item model, whose neighbours of that track are of the same taste group
    for user in ("u0", "u40"):
        (played,) = world["frame"].loc[world["frame"].user_id == user, "track_id"]
        mine = [r for r in lists if r[0] == user]
        assert len(mine) == 30 and all(r[4] == "collaborative" for r in mine)
        assert all(int(r[2][1:]) % 3 == int(played[1:]) % 3 for r in mine)
        assert all(r[5].endswith(f"Song {played[1:]}") for r in mine)
    # without the item-item model they get popular tracks, labelled so
    plain = dataclasses.replace(settings, neighbours=dataclasses.replace(settings.neighbours, enabled=False))
    train_collaborative(wh, plain)
    generate_week(wh, plain, week="2026-W49")
    fallback_users = {u for u, *_, s, _, _ in _lists(wh, "2026-W49") if s == "fallback"}
    assert "u0" in fallback_users and "u40" in fallback_users
    reasons = {r for (r,) in wh.execute("SELECT DISTINCT reason FROM playlists WHERE source = 'fallback'").fetchall()}
    assert reasons == {"popular with listeners lately"}


def test_no_track_repeats_within_the_exclusion_window(trained):
    wh, settings, _ = trained
    generate_week(wh, settings, week="2026-W48")
    generate_week(wh, settings, week="2026-W49")
    first = {(u, t) for u, _, t, *_ in _lists(wh, "2026-W48")}
    second = {(u, t) for u, _, t, *_ in _lists(wh, "2026-W49")}
    assert first and second and not first & second
    assert previous_weeks("2026-W01", 2) == ["2025-W52", "2025-W51"]
    assert str(parse_week("2026-W48")) == "2026-11-23"


def test_interrupted_week_keeps_previous_state_and_rerun_resumes(trained, monkeypatch):
    wh, settings, _ = trained
    settings = dataclasses.replace(settings, weekly=settings.weekly.__class__(batch_size=50))
    # users staged per call: a batch (embedded), a chunk of partitions × batches (Spark)
    staged = 50 * (SPARK_PARTITIONS if settings.engine.kind == "spark" else 1)
    generate_week(wh, settings, week="2026-W48")
    before = _lists(wh, "2026-W48")
    real_stage, calls = wh.stage_playlist_batch, []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_stage(*args, **kwargs)

    # new data makes a new run (different fingerprint): it crashes half way
    wh.execute("UPDATE tracks SET available = FALSE WHERE track_id = 't3'")
    monkeypatch.setattr(wh, "stage_playlist_batch", crash_on_third)     # the engine dies on its third batch
    with pytest.raises(KeyboardInterrupt):
        generate_week(wh, settings, week="2026-W48")
    assert _lists(wh, "2026-W48") == before                       # the old week is intact
    assert wh.scalar("SELECT count(DISTINCT user_idx) FROM playlist_staging") == 2 * staged
    monkeypatch.undo()
    report = generate_week(wh, settings, week="2026-W48")
    assert report.resumed_users == 2 * staged
    after = _lists(wh, "2026-W48")
    assert len(after) == len(before) and all(t != "t3" for _, _, t, *_ in after)
    assert wh.scalar("SELECT count(*) FROM playlist_staging") == 0
    # same result as an uninterrupted run
    wh.execute("DELETE FROM runs WHERE kind = 'weekly'")
    wh.execute("DELETE FROM playlists")
    generate_week(wh, settings, week="2026-W48")
    assert _lists(wh, "2026-W48") == after

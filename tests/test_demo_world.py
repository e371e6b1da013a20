"""The demo world generator: determinism, file schemas, the links between taste and listening."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tastemaker.demo import (CATALOG_COLUMNS, EVENT_COLUMNS, KINDS, STYLES, generate_world,
                             style_similarity, write_world)
from tastemaker.errors import ParameterError

SMALL = dict(n_users=400, n_artists=100, tracks_per_artist=8, weeks=4, events_per_user_week=15,
             seed=3)


@pytest.fixture(scope="module")
def world():
    return generate_world(**SMALL)


@pytest.fixture(scope="module")
def written(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    write_world(world, out)
    return out


@pytest.fixture(scope="module")
def events(written):
    return pd.read_csv(written / "events.csv.gz", dtype={"ms_played": "Int64"},
                       keep_default_na=True)


def _week(world, ts: pd.Series) -> pd.Series:
    return (pd.to_datetime(ts, utc=True).dt.tz_localize(None)
            - pd.Timestamp(world.params.start)).dt.days // 7


def test_same_seed_same_bytes_and_other_seed_other_events(written, tmp_path):
    again = tmp_path / "again"
    write_world(generate_world(**SMALL), again)
    for f in sorted(written.iterdir()):
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name
    other = tmp_path / "other"
    write_world(generate_world(**{**SMALL, "seed": 4}), other)
    assert (other / "events.csv.gz").read_bytes() != (written / "events.csv.gz").read_bytes()


def test_catalog_schema(written, world):
    cat = pd.read_csv(written / "catalog.csv")
    assert tuple(cat.columns) == CATALOG_COLUMNS
    assert len(cat) == SMALL["n_artists"] * SMALL["tracks_per_artist"] == len(world.tracks)
    assert cat.track_id.is_unique
    assert cat.released.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert (cat.uri == "audio/" + cat.track_id + ".wav").all()
    assert set(cat["style"]) <= {s.name for s in STYLES}
    assert cat.key.between(0, 11).all() and set(cat["mode"]) <= {0, 1}
    assert set(cat.time_signature) <= {3, 4} and (cat.duration_ms > 60_000).all()
    for s in STYLES:                       # audio parameters come from the track's style
        mine = cat[cat["style"] == s.name]
        assert mine.tempo.between(*s.tempo).all() and mine.loudness.between(*s.loudness).all()
        assert set(mine.timbre) <= set(s.timbres)


def test_events_schema(written, events, world):
    with gzip.open(written / "events.csv.gz", "rt") as f:
        assert f.readline().strip() == ",".join(EVENT_COLUMNS)
    assert tuple(events.columns) == EVENT_COLUMNS
    assert events.ts.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert set(events.kind) == set(KINDS)                     # every kind is present
    assert (events["count"] == 1).all()
    plays = events.kind == "play"
    assert events.ms_played[plays].notna().all() and events.ms_played[~plays].isna().all()
    assert ((events.ms_played[plays] < 30_000).mean()) > 0.01   # some partial listens
    no_track = events.track_id.isna()
    assert (events.kind[no_track] == "artist_visit").all() and no_track.any()
    assert events.artist_id.notna().all() and events.user_id.notna().all()
    cat = world.tracks.set_index("track_id")["artist_id"]
    with_track = events[~no_track]
    assert (cat.loc[with_track.track_id].to_numpy() == with_track.artist_id.to_numpy()).all()
    n = SMALL["n_users"] * SMALL["weeks"] * SMALL["events_per_user_week"]
    assert 0.85 * n < len(events) < 1.15 * n                  # calibrated to the asked size


def test_truth_files(written, world):
    styles = json.loads((written / "styles.json").read_text())
    assert len(styles["styles"]) == len(STYLES) >= 12
    for s in styles["styles"]:
        assert len(s["descriptors"]) >= 15 and set(s["terms"]) == {"adj", "n2", "np"}
        for key in ("tempo", "keys", "major", "triple", "timbres", "brightness", "density",
                    "loudness", "drums", "coords"):
            assert key in s
    info = json.loads((written / "world.json").read_text())
    assert info["params"]["seed"] == SMALL["seed"]
    assert info["sizes"]["events"] == sum(info["events_by_kind"].values())
    assert dt.date.fromisoformat(info["end"]).isoweekday() == 1
    assert info["test_week_start"] == world.params.test_week_start.isoformat()
    users = pq.read_table(written / "users.parquet").to_pandas()
    assert len(users) == SMALL["n_users"] and users.user_id.is_unique
    w = users[["weight_1", "weight_2", "weight_3"]].fillna(0).sum(axis=1)
    assert np.allclose(w, 1.0, atol=1e-3)
    assert users.light.any() and users.drift.any()
    for name in ("tracks", "artists", "discoveries"):
        assert pq.read_table(written / f"{name}.parquet").num_rows > 0
    names = world.artists["name"]
    assert names.is_unique and world.artists.word_name.sum() >= 3


def test_timestamps_fill_the_weeks_and_cold_tracks_are_never_played(events, world):
    p = world.params
    ts = pd.to_datetime(events.ts, utc=True).dt.tz_localize(None)
    assert ts.min() >= pd.Timestamp(p.start) and ts.max() < pd.Timestamp(p.end)
    weeks = _week(world, events.ts)
    assert sorted(weeks.unique()) == list(range(p.weeks))     # the test week has events too
    tr = world.tracks
    cold = tr[tr.cold]
    assert len(cold) > 0 and not events.track_id.isin(cold.track_id).any()
    released = pd.to_datetime(cold.released)
    assert (released >= pd.Timestamp(p.test_week_start)).all()
    assert (released < pd.Timestamp(p.end)).all()
    fresh = tr[(tr.available_week > 0) & ~tr.cold].set_index("track_id")["available_week"]
    played = events[events.track_id.isin(fresh.index)]
    assert len(played) and (weeks[played.index] >= fresh.loc[played.track_id].to_numpy()).all()


def test_plays_concentrate_on_the_users_styles(world):
    ev, users, tracks = world.events, world.users, world.tracks
    plays = ev[ev.kind == "play"].merge(tracks[["track_id", "style"]], on="track_id")
    plays = plays.merge(users, on="user_id")
    in_taste = plays[["style_1", "style_2", "style_3"]].eq(plays["style"], axis=0).any(axis=1)
    assert in_taste.groupby(plays.user_id).mean().mean() > 0.6
    # heavy users exist next to light ones
    per_user = ev.groupby("user_id").size()
    light = users.user_id[users.light]
    assert per_user.reindex(light).fillna(0).median() <= 10 < per_user.quantile(0.9)


def test_test_week_discoveries_are_new_and_follow_taste(world):
    p, ev, d = world.params, world.events, world.discoveries
    last = p.weeks - 1
    found = d[(d.week == last) & d.accepted]
    assert len(found) > 0.3 * p.n_users
    week = _week(world, ev.ts)
    before = set(zip(ev.user_id[(week < last)], ev.track_id[(week < last)]))
    assert not any(pair in before for pair in zip(found.user_id, found.track_id))
    test_plays = set(zip(ev.user_id[week == last], ev.track_id[week == last]))
    assert all(pair in test_plays for pair in zip(found.user_id, found.track_id))
    styles = world.tracks.set_index("track_id")["style"]
    u = world.users.set_index("user_id").loc[found.user_id]
    taste = u[["style_1", "style_2", "style_3", "drift_style"]].to_numpy()
    hit = (taste == styles.loc[found.track_id].to_numpy()[:, None]).any(1)
    assert hit.mean() > 0.7


def test_chunked_parquet_mode_gives_the_same_events(tmp_path):
    params = dict(SMALL, n_users=120, chunk_users=50)
    streamed = generate_world(**params, materialize=False)
    assert streamed.chunks is None
    with pytest.raises(ParameterError):
        streamed.events
    info = write_world(streamed, tmp_path / "pq", events_format="parquet")
    files = sorted((tmp_path / "pq").glob("events-*.parquet"))
    assert [f.name for f in files] == info["files"]["events"] == [
        "events-00000.parquet", "events-00001.parquet", "events-00002.parquet"]
    table = pa.concat_tables([pq.read_table(f) for f in files])
    assert tuple(table.column_names) == EVENT_COLUMNS
    assert pa.types.is_timestamp(table.schema.field("ts").type)
    assert table.schema.field("count").type == pa.int32()
    assert table.schema.field("ms_played").type == pa.int64()
    memory = generate_world(**params)
    write_world(memory, tmp_path / "csv")
    csv = pd.read_csv(tmp_path / "csv" / "events.csv.gz", dtype={"ms_played": "Int64"})
    got = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    assert len(got) == len(csv) == info["sizes"]["events"]
    assert (got.ts.dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy() == csv.ts.to_numpy()).all()
    for col in ("user_id", "track_id", "artist_id", "kind", "ms_played"):
        assert got[col].astype(object).fillna("").astype(str).tolist() == \
            csv[col].astype(object).fillna("").astype(str).tolist(), col


def test_style_similarity_is_a_similarity():
    s = style_similarity()
    assert s.shape == (len(STYLES), len(STYLES))
    assert np.allclose(s, s.T) and np.allclose(np.diag(s), 1.0) and (s > 0).all()


@pytest.mark.parametrize("bad", [dict(n_users=0), dict(weeks=1), dict(end="2026-11-24"),
                                 dict(events_per_user_week=0.5), dict(cold_share=0.9),
                                 dict(n_artists=20, tracks_per_artist=3, events_per_user_week=400),
                                 dict(n_artists=2.5), dict(colour="blue")])
def test_bad_parameters_are_refused(bad):
    with pytest.raises(ParameterError):
        generate_world(**{**SMALL, **bad})


def test_a_small_catalogue_is_made_up_for_by_replays():
    w = generate_world(n_users=200, n_artists=20, tracks_per_artist=3, weeks=3,
                       events_per_user_week=30, seed=1)
    assert w.replay_scale > 1.0
    assert 0.8 * 30 < len(w.events) / (200 * 3) < 1.2 * 30


def test_bad_events_format_is_refused(world, tmp_path):
    with pytest.raises(ParameterError, match="events_format"):
        write_world(world, tmp_path, events_format="xlsx")

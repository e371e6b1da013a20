"""The query layer on a tiny world: a user's week with reasons and provenance, weeks, status,
neighbours, tracks, terms and the feedback report; clear errors for what does not exist."""

import datetime as dt

import pytest

from tastemaker import queries
from tastemaker.engine import DuckDBEngine
from tastemaker.errors import NotFoundError

from .conftest import home_with_weeks


@pytest.fixture
def home(tiny_world):
    settings, trained = home_with_weeks(tiny_world, ("2026-W48", "2026-W49"))
    return settings, trained.version


def test_a_users_week_comes_with_reasons_and_the_models_behind_it(home):
    settings, version = home
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as engine:
        assert queries.weeks(engine) == ["2026-W48", "2026-W49"]
        assert queries.latest_week(engine) == "2026-W49"
        week = queries.user_list(engine, "u5")
        assert week.week == "2026-W49" and len(week.tracks) == 30
        assert [t.position for t in week.tracks] == list(range(1, 31))
        assert all(t.reason and t.source in ("collaborative", "fallback") for t in week.tracks)
        assert week.model_version == version and week.models["collaborative"] == version
        assert isinstance(week.last_updated, dt.datetime) and week.run_id.startswith("weekly-2026-W49")
        older = queries.user_list(engine, "u5", "2026-W48")
        # a track of last week's list is not listed again this week
        assert not {t.track_id for t in older.tracks} & {t.track_id for t in week.tracks}
        assert queries.user_weeks(engine, "u5") == ["2026-W48", "2026-W49"]
        with pytest.raises(NotFoundError, match="No user 'nobody'"):
            queries.user_list(engine, "nobody")
        with pytest.raises(NotFoundError, match="No playlists for 2030-W01"):
            queries.user_list(engine, "u5", "2030-W01")


def test_status_neighbours_tracks_and_feedback(home):
    settings, version = home
    with DuckDBEngine.open(settings.warehouse_path, read_only=True) as engine:
        s = queries.status(engine, settings)
        assert s.engine == "duckdb" and s.counts["users"] == 240 and s.counts["tracks"] == 150
        assert s.counts["playlists"] == 2 * 240 * 30 and s.counts["rejected_files"] == 0
        # ALS and the item-item model trained beside it, one version each
        assert [(m.kind, m.versions) for m in s.models] == [("collaborative", 1), ("neighbours", 1)]
        assert s.models[0].latest == version
        me, found = queries.similar(engine, settings, "track", "t3", n=5)
        assert me.id == "t3" and len(found) == 5 and all(n.id != "t3" for n in found)
        # tracks of one taste group (i % 3) are neighbours
        assert sum(int(n.id[1:]) % 3 == 0 for n in found) >= 4
        track = queries.track(engine, "t7")
        assert (track.title, track.artist, track.duration_ms, track.available) == ("Song 7", "Artist 1", 200_000, True)
        with pytest.raises(NotFoundError, match="no audio analysis"):
            queries.track_analysis(engine, "t7")
        report = queries.feedback_report(engine, settings)
        assert [w["week"] for w in report.weeks] == ["2026-W48", "2026-W49"]
        assert report.weeks[0]["tracks"] == 240 * 30 and report.notes      # no events after the lists yet
        with pytest.raises(NotFoundError, match="No artist"):
            queries.artist_terms(engine, "nobody at all")

"""Events and interactions in Spark SQL, from the definitions both engines share (`engine/sql.py`).

    >>> sums = interaction_sums(spark, events_df, tracks_df, min_play_ms=30_000)   # a DataFrame

The aggregate of raw events into one row per (user, track) — plays, short plays, saves, skips,
artist visits, dislikes — is the very SQL text DuckDB runs (`tastemaker.engine.sql.interactions`),
run by Spark SQL over the DataFrames given as the ``events`` and ``tracks`` relations. The
warehouse on Spark (events as Parquet) will read its interactions through this; today it is
checked equal to DuckDB's on every kind of event (``tests/test_spark.py``).
"""

from __future__ import annotations

from .. import sql

#: the columns an interactions sum carries (as `tastemaker.engine.base.Engine.interaction_sums`)
SUMS = ("user_idx", "track_idx", "plays", "short_plays", "saves", "skips", "artist_visits", "dislikes")


def interaction_sums(spark, events, tracks, min_play_ms: int, *, until: str | None = None,
                     since: str | None = None):
    """The interactions of `events` (a DataFrame with the warehouse's events columns: user_idx,
    track_idx, artist_idx, kind, ts, plays, ms_played) in [since, until) as a DataFrame of
    `SUMS`; `tracks` gives each track's artist_idx (artist visits count for the artist's tracks)."""
    events.createOrReplaceTempView("events")
    tracks.createOrReplaceTempView("tracks")
    return spark.sql(f"SELECT {', '.join(SUMS)} FROM ({sql.interactions(min_play_ms, until=until, since=since)})")

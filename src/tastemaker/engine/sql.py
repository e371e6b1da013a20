"""SQL text that every engine runs as it is: the definitions shared by DuckDB and Spark SQL.

Only portable SQL lives here (standard CASE, aggregates, joins, ``TIMESTAMP '…'`` literals), so a
second engine reads the same definitions instead of a hand-written copy. What differs between
engines (parsing a timestamp, a row as JSON, parameter lists) sits in each engine's ``dialect.py``.

* `interactions` — raw events aggregated into one row per (user, track): plays, short plays
  (under ``min_play_ms``, counted as skips), milliseconds, saves, skips, artist-page visits (a
  visit with no track counts for every track of that artist the user played), first and last
  time.
* `track_play_counts` — each track's listeners and plays in a time window.
* `short_play` — the predicate "this play row is shorter than the minimum per play".
"""

from __future__ import annotations

#: columns of an interactions relation, in order
INTERACTION_COLUMNS = ("user_idx", "track_idx", "plays", "short_plays", "ms_played", "saves",
                       "skips", "artist_visits", "first_ts", "last_ts", "dislikes")


def iso(value) -> str | None:
    """A time (datetime, date or ISO string) as the ISO text `time_window` takes; None stays None."""
    if value is None or isinstance(value, str):
        return value
    return value.strftime("%Y-%m-%d %H:%M:%S")


def short_play(min_play_ms: int, alias: str = "e") -> str:
    """True for a play row whose duration is known and under ``min_play_ms`` per play."""
    # in BIGINT: a row of many plays times the minimum overflows a 32-bit product (Spark raises)
    return f"({alias}.ms_played IS NOT NULL AND {alias}.ms_played < CAST({int(min_play_ms)} AS BIGINT) * {alias}.plays)"


def time_window(*, until: str | None = None, since: str | None = None, column: str = "ts") -> str:
    """The condition ``since <= ts < until`` (ISO strings); TRUE when both are None."""
    conds = []
    if until is not None:
        conds.append(f"{column} < TIMESTAMP '{until}'")
    if since is not None:
        conds.append(f"{column} >= TIMESTAMP '{since}'")
    return " AND ".join(conds) if conds else "TRUE"


def interactions(min_play_ms: int, *, until: str | None = None, since: str | None = None) -> str:
    """SELECT of the interactions of all events with ``since <= ts < until`` (ISO strings).

    Events without a timestamp are kept only when ``until`` and ``since`` are both None.
    """
    short = short_play(min_play_ms)
    return f"""
    WITH ev AS (SELECT * FROM events WHERE {time_window(until=until, since=since)}),
    per_track AS (
        SELECT e.user_idx, e.track_idx,
            sum(CASE WHEN e.kind = 'play' AND NOT {short} THEN e.plays ELSE 0 END) AS plays,
            sum(CASE WHEN e.kind = 'play' AND {short} THEN e.plays ELSE 0 END) AS short_plays,
            sum(CASE WHEN e.kind = 'play' THEN e.ms_played END) AS ms_played,
            sum(CASE WHEN e.kind = 'save' THEN e.plays ELSE 0 END) AS saves,
            sum(CASE WHEN e.kind = 'skip' THEN e.plays ELSE 0 END) AS skips,
            sum(CASE WHEN e.kind = 'artist_visit' THEN e.plays ELSE 0 END) AS artist_visits,
            sum(CASE WHEN e.kind = 'dislike' THEN e.plays ELSE 0 END) AS dislikes,
            min(e.ts) AS first_ts, max(e.ts) AS last_ts
        FROM ev e WHERE e.track_idx IS NOT NULL
        GROUP BY e.user_idx, e.track_idx
    ),
    artist_only AS (
        SELECT user_idx, artist_idx, sum(plays) AS visits
        FROM ev WHERE track_idx IS NULL AND kind = 'artist_visit' AND artist_idx IS NOT NULL
        GROUP BY user_idx, artist_idx
    )
    SELECT p.user_idx, p.track_idx, p.plays, p.short_plays, p.ms_played, p.saves, p.skips,
           p.artist_visits + coalesce(a.visits, 0) AS artist_visits, p.first_ts, p.last_ts, p.dislikes
    FROM per_track p
    LEFT JOIN tracks t ON t.track_idx = p.track_idx
    LEFT JOIN artist_only a ON a.user_idx = p.user_idx AND a.artist_idx = t.artist_idx
    """


def track_play_counts(min_play_ms: int, *, until: str | None = None, since: str | None = None) -> str:
    """SELECT of each track's listeners (u) and plays (p) of at least ``min_play_ms`` in
    [since, until)."""
    where = ["track_idx IS NOT NULL", "kind = 'play'", f"(ms_played IS NULL OR ms_played >= {int(min_play_ms)})",
             time_window(until=until, since=since)]
    return (f"SELECT track_idx, count(DISTINCT user_idx) AS u, sum(plays) AS p FROM events "
            f"WHERE {' AND '.join(where)} GROUP BY track_idx")


# -- the rules of ingest ---------------------------------------------------------------------------
# Each staged row is accepted when its reason is NULL. The columns named here are those of the
# staging relation every engine builds from a batch (raw text, parsed value).

#: the largest finite double: a value outside [-FINITE, FINITE] is infinite or NaN (NaN compares
#: above every number in DuckDB and Spark SQL alike, so no engine's own isnan is needed)
FINITE = "1.7976931348623157e308"

#: the longest play we believe, per play (ms): a day
MAX_MS_PLAYED = 86_400_000

#: the longest track we believe (ms): 100 hours
MAX_DURATION_MS = 360_000_000


def _finite(x: str) -> str:
    return f"({x} BETWEEN -{FINITE} AND {FINITE})"


def event_reason(earliest: str, latest: str) -> str:
    """Why an event row is rejected (NULL: accepted), over id_problem, user_id, track_id,
    artist_id, kind, kind_raw, ts_raw, ts, count_raw, count_d, ms_raw, ms_d, rejected (an
    importer's reason for leaving the row out). Timestamps must lie in ``[earliest, latest)``
    (ISO strings: the plausible window of `IngestParams`)."""
    return f"""CASE
    WHEN rejected IS NOT NULL THEN rejected
    WHEN id_problem IS NOT NULL THEN id_problem
    WHEN user_id IS NULL THEN 'missing user_id'
    WHEN track_id IS NULL AND artist_id IS NULL THEN 'missing track_id'
    WHEN kind IS NULL THEN 'unknown event kind ''' || kind_raw || ''' (expected play, save, skip, dislike or artist_visit)'
    WHEN track_id IS NULL AND kind <> 'artist_visit' THEN 'missing track_id: a ' || kind || ' needs a track'
    WHEN ts_raw IS NOT NULL AND ts IS NULL THEN 'bad timestamp ''' || ts_raw || ''''
    WHEN ts < TIMESTAMP '{earliest}' OR ts >= TIMESTAMP '{latest}' THEN 'implausible timestamp: '''
        || coalesce(ts_raw, CAST(ts AS VARCHAR)) || ''' is outside [{earliest}, {latest})'
    WHEN count_raw IS NOT NULL AND count_d IS NULL THEN 'count is not a number: ''' || count_raw || ''''
    WHEN NOT {_finite('count_d')} THEN 'count is not a finite number: ' || count_raw
    WHEN count_d < 0 THEN 'negative count: ' || count_raw
    WHEN count_d <> floor(count_d) THEN 'count is not a whole number: ' || count_raw
    WHEN count_d = 0 THEN 'zero count: nothing happened'
    WHEN count_d > 2147483647 THEN 'count too large: ' || count_raw
    WHEN ms_raw IS NOT NULL AND ms_d IS NULL THEN 'ms_played is not a number: ''' || ms_raw || ''''
    WHEN NOT {_finite('ms_d')} THEN 'ms_played is not a finite number: ' || ms_raw
    WHEN ms_d < 0 THEN 'negative ms_played: ' || ms_raw
    WHEN ms_d > {MAX_MS_PLAYED} * coalesce(count_d, 1)
        THEN 'ms_played too large: ' || ms_raw || ' (more than a day per play)'
    END"""


#: why a catalogue row is rejected, over id_problem, track_id, dur_ms_raw, dur_s_raw, dur_ms,
#: released_raw, released, available_raw, available, rn (its rank among the file's rows of that
#: track, last first) and kept_line
CATALOG_REASON = f"""CASE
    WHEN id_problem IS NOT NULL THEN id_problem
    WHEN track_id IS NULL THEN 'missing track_id'
    WHEN (dur_ms_raw IS NOT NULL OR dur_s_raw IS NOT NULL) AND dur_ms IS NULL
        THEN 'duration is not a number: ''' || coalesce(dur_ms_raw, dur_s_raw) || ''''
    WHEN NOT {_finite('dur_ms')} THEN 'duration is not a finite number: ' || coalesce(dur_ms_raw, dur_s_raw)
    WHEN dur_ms < 0 THEN 'negative duration: ' || coalesce(dur_ms_raw, dur_s_raw)
    WHEN dur_ms > {MAX_DURATION_MS} THEN 'duration too long: ' || coalesce(dur_ms_raw, dur_s_raw) || ' (over 100 hours)'
    WHEN released_raw IS NOT NULL AND released IS NULL THEN 'bad release date ''' || released_raw || ''''
    WHEN available_raw IS NOT NULL AND available IS NULL THEN 'available is not true/false: ''' || available_raw || ''''
    WHEN rn > 1 THEN 'repeated track_id: line ' || kept_line || ' of this file is kept'
    END"""

#: the reason without the value that offends, for counting ("bad timestamp 'x'" → "bad timestamp")
REASON_KIND = "CASE WHEN reason IS NULL THEN NULL ELSE split_part(split_part(reason, ':', 1), ' ''', 1) END"


def kind_case(aliases: dict[str, str], column: str) -> str:
    """The canonical event kind of a spelling (NULL when unknown)."""
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in aliases.items())
    return f"CASE lower({column}) {whens} END"

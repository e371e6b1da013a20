"""How the weeks' lists were received: of the tracks delivered, how many were played, saved, skipped.

    >>> for week in feedback(wh, weeks=4, min_play_ms=settings.signals.min_play_ms):
    ...     print(week["week"], week["play_rate"], week["by_source"]["collaborative"]["play_rate"])

A delivered track is one (user, track) pair of a week's ``playlists``. It counts as

* played when that user has a ``play`` of it of at least ``min_play_ms`` per play (or with no
  duration given),
* saved when they have a ``save`` of it,
* skipped when they have a ``skip`` of it or a play shorter than ``min_play_ms`` per play,

between the week's Monday (00:00, as events are stored) and the next Monday, the same way
`tastemaker.signals` reads events. A pair may be played and skipped in the same week and then
counts as both. Rates are over the delivered pairs. Events without a timestamp cannot be placed
in a week: they are counted apart (``untimed_events``) and never as played, saved or skipped. A
week whose window reaches past the latest event in the warehouse is marked incomplete.

All of it is one SQL query over ``playlists`` and ``events``; the events are joined to the
delivered pairs only within the weeks asked for.
"""

from __future__ import annotations

import datetime as dt

from ..config import SignalWeights
from ..errors import check_param
from ..warehouse import Warehouse
from .export import weeks as generated_weeks
from .weeks import parse_week

#: the counts of a week and of each source in it, in the order the query returns them
COUNTS = ("users", "tracks", "played", "saved", "skipped", "listeners", "untimed_events")
#: sources in the order a report lists them (others follow by name)
SOURCES = ("collaborative", "text", "audio", "fallback")

_QUERY = """
WITH wk AS (
    SELECT unnest($weeks) AS week, unnest(range(len($weeks))) AS wi, unnest($mondays) AS start
),
delivered AS NOT MATERIALIZED (
    SELECT w.wi, w.start, p.user_idx, p.track_idx, p.source
    FROM playlists p JOIN wk w ON w.week = p.week
),
pairs AS (         -- the delivered tracks the user did something with, and what
    SELECT d.wi, d.user_idx, d.track_idx, any_value(d.source) AS source,
           bool_or(e.ts IS NOT NULL AND e.kind = 'play' AND NOT {short}) AS played,
           bool_or(e.ts IS NOT NULL AND e.kind = 'save') AS saved,
           bool_or(e.ts IS NOT NULL AND (e.kind = 'skip' OR e.kind = 'play' AND {short})) AS skipped,
           count(*) FILTER (WHERE e.ts IS NULL) AS untimed
    FROM events e JOIN delivered d ON e.user_idx = d.user_idx AND e.track_idx = d.track_idx
    WHERE e.ts IS NULL OR e.ts >= $since AND e.ts < $until
                          AND e.ts >= d.start AND e.ts < d.start + INTERVAL 7 DAY
    GROUP BY d.wi, d.user_idx, d.track_idx
),
per_user AS (      -- one row per week, user and source
    SELECT wi, user_idx, source, count(*) AS tracks FROM delivered GROUP BY wi, user_idx, source
),
received AS (
    SELECT wi, user_idx, source, count_if(played) AS played, count_if(saved) AS saved,
           count_if(skipped) AS skipped, sum(untimed) AS untimed
    FROM pairs GROUP BY wi, user_idx, source
)
SELECT u.wi, u.source, count(DISTINCT u.user_idx), sum(u.tracks), sum(r.played), sum(r.saved),
       sum(r.skipped), count(DISTINCT u.user_idx) FILTER (WHERE r.played > 0), sum(r.untimed)
FROM per_user u LEFT JOIN received r USING (wi, user_idx, source)
GROUP BY GROUPING SETS ((u.wi), (u.wi, u.source))
"""


def feedback(wh: Warehouse, *, weeks: int | None = None,
             min_play_ms: int = SignalWeights.min_play_ms) -> list[dict]:
    """One record per week with playlists (the ``weeks`` latest, or all), oldest first.

    Each record: ``week``, ``monday`` (ISO date), the counts ``users``, ``tracks`` (delivered
    pairs), ``played``, ``saved``, ``skipped``, ``listeners`` (users who played at least one),
    ``untimed_events``; the rates ``play_rate``, ``save_rate``, ``skip_rate`` (over ``tracks``);
    ``complete`` (the events reach the next Monday) and ``by_source``: the same counts and rates
    per playlist source, in the order of `SOURCES`.
    """
    if weeks is not None:
        check_param("feedback", "weeks", weeks, low=1, kind=int)
    check_param("feedback", "min_play_ms", min_play_ms, low=0, kind=int)
    chosen = generated_weeks(wh)
    chosen = chosen[-weeks:] if weeks else chosen
    if not chosen:
        return []
    mondays = [dt.datetime.combine(parse_week(w), dt.time()) for w in chosen]
    short = f"(e.ms_played IS NOT NULL AND e.ms_played < {int(min_play_ms)} * e.plays)"
    rows = wh.execute(_QUERY.format(short=short), {
        "weeks": chosen, "mondays": mondays, "since": min(mondays),
        "until": max(mondays) + dt.timedelta(weeks=1)}).fetchall()
    latest = wh.scalar("SELECT max(ts) FROM events")
    report = {w: {"week": w, "monday": m.date().isoformat(),
                  "complete": latest is not None and latest >= m + dt.timedelta(weeks=1),
                  "by_source": {}} for w, m in zip(chosen, mondays)}
    for wi, source, *counts in rows:
        week = chosen[wi]
        record = _with_rates(dict(zip(COUNTS, (int(c or 0) for c in counts))))
        if source is None:
            report[week].update(record)
        else:
            report[week]["by_source"][source] = record
    for record in report.values():
        ranked = sorted(record["by_source"],
                        key=lambda s: (SOURCES.index(s) if s in SOURCES else len(SOURCES), s))
        record["by_source"] = {s: record["by_source"][s] for s in ranked}
    return [report[w] for w in chosen if "tracks" in report[w]]


def notes(report: list[dict]) -> list[str]:
    """What a reader of the report should know: events left out, weeks not over."""
    out = []
    for r in report:
        if r["untimed_events"]:
            n = r["untimed_events"]
            out.append(f"{r['week']}: {n:,} event{'s' if n > 1 else ''} on its delivered tracks "
                       f"{'have' if n > 1 else 'has'} no timestamp and cannot be placed in a week; "
                       "not counted")
        if not r["complete"]:
            out.append(f"{r['week']}: the events do not reach the end of the week yet; its counts "
                       f"may still grow")
    return out


def _with_rates(counts: dict) -> dict:
    tracks = counts["tracks"] or 1
    return {**counts, "play_rate": counts["played"] / tracks, "save_rate": counts["saved"] / tracks,
            "skip_rate": counts["skipped"] / tracks}

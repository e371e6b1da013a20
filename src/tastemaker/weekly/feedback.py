"""How the weeks' lists were received: of the tracks delivered, how many were played, saved, skipped.

    >>> for week in feedback(engine, weeks=4, min_play_ms=settings.signals.min_play_ms):
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

All of it is one query of the engine (``Engine.feedback_counts``) over the playlists and events;
the events are joined to the delivered pairs only within the weeks asked for.
"""

from __future__ import annotations

import datetime as dt

from ..config import SignalWeights
from ..engine import Engine
from ..errors import check_param
from .weeks import parse_week

#: the counts of a week and of each source in it, in the order the engine returns them
COUNTS = ("users", "tracks", "played", "saved", "skipped", "listeners", "untimed_events")
#: sources in the order a report lists them (others follow by name)
SOURCES = ("collaborative", "text", "audio", "fallback")


def feedback(engine: Engine, *, weeks: int | None = None,
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
    chosen = engine.playlist_weeks()
    chosen = chosen[-weeks:] if weeks else chosen
    if not chosen:
        return []
    mondays = [dt.datetime.combine(parse_week(w), dt.time()) for w in chosen]
    rows = engine.feedback_counts(chosen, mondays, min_play_ms)
    _, latest = engine.event_span()
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

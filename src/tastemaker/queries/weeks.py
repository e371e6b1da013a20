"""The weeks' lists as a reader asks for them: the latest week, a user's list, a user's weeks,
what users did with the lists.

    >>> week = latest_week(engine)
    >>> mine = user_list(engine, "u00042")           # the latest week unless one is named
    >>> [(t.position, t.artist, t.title, t.reason) for t in mine.tracks]
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from ..config import Settings
from ..engine import Engine
from ..errors import NotFoundError
from ..weekly.export import rows
from ..weekly.feedback import feedback, notes
from ..weekly.weeks import current_week, parse_week, week_of


@dataclass(frozen=True)
class ListedTrack:
    position: int
    track_id: str
    title: str | None
    artist: str | None
    album: str | None
    duration_ms: int | None
    uri: str | None
    score: float | None
    source: str                       # collaborative | text | audio | fallback
    reason: str


@dataclass(frozen=True)
class UserWeek:
    """One user's list of one week, with what made it."""

    week: str
    user_id: str
    tracks: list[ListedTrack]
    model_version: str | None          # the collaborative model of the run that wrote it
    run_id: str | None
    last_updated: dt.datetime | None   # when that run finished
    models: dict = field(default_factory=dict)   # model kind -> version, as the run recorded them


@dataclass(frozen=True)
class FeedbackReport:
    min_play_ms: int
    weeks: list[dict]                  # see `tastemaker.weekly.feedback.feedback`
    notes: list[str]


def weeks(engine: Engine) -> list[str]:
    """Every week with lists, oldest first."""
    return engine.playlist_weeks()


def latest_week(engine: Engine) -> str:
    """The newest week with lists; `NotFoundError` (saying how to make one) when there is none."""
    found = engine.playlist_weeks()
    if not found:
        raise NotFoundError(f"No week generated yet: run tastemaker weekly generate (this week is {current_week()})")
    return found[-1]


def listed_users(engine: Engine, week: str | None = None, *, prefix: str = "", limit: int = 50) -> list[str]:
    """Users with a list in `week` (default the latest) whose id starts with `prefix`, by id."""
    week = latest_week(engine) if week is None else week_of(parse_week(week))
    return engine.listed_users(week, limit, prefix)


def user_weeks(engine: Engine, user_id: str) -> list[str]:
    """The weeks in which `user_id` has a list, oldest first."""
    idx = engine.user_index(user_id)
    if idx is None:
        raise NotFoundError(f"No user {user_id!r} in the warehouse")
    return engine.user_weeks(idx)


def user_list(engine: Engine, user_id: str, week: str | None = None) -> UserWeek:
    """`user_id`'s list of `week` (default the latest). `NotFoundError` for an unknown user or
    week; a known user without a list that week gets an empty list."""
    week = latest_week(engine) if week is None else week_of(parse_week(week))
    if engine.user_index(user_id) is None:
        raise NotFoundError(f"No user {user_id!r} in the warehouse")
    found = [ListedTrack(r["position"], r["track_id"], r["title"], r["artist"], r["album"], r["duration_ms"],
                         r["uri"], r["score"], r["source"], r["reason"]) for r in rows(engine, week, [user_id])]
    run = engine.playlist_run(week) or {}
    params = run.get("params")
    return UserWeek(week, user_id, found, run.get("model_version"), run.get("run_id"), run.get("finished_at"),
                    json.loads(params).get("models", {}) if isinstance(params, str) else {})


@dataclass(frozen=True)
class TrackFeedback:
    position: int
    track_id: str
    title: str | None
    artist: str | None
    source: str
    plays: int                         # full-length plays in the week of the list
    saved: bool
    skipped: bool                      # a skip, or a play shorter than [signals] min_play_ms
    disliked: bool


@dataclass(frozen=True)
class ListFeedback:
    """What one user did with their list of a week, in the 7 days from its Monday."""

    week: str
    user_id: str
    monday: dt.date
    tracks: list[TrackFeedback]

    @property
    def played(self) -> int:
        return sum(t.plays > 0 for t in self.tracks)


def list_feedback(engine: Engine, settings: Settings, user_id: str, week: str | None = None) -> ListFeedback:
    """What `user_id` did with their list of `week`; by default last week's list (the one
    before their newest), or their only one. `NotFoundError` when the user has no list."""
    idx = engine.user_index(user_id)
    if idx is None:
        raise NotFoundError(f"No user {user_id!r} in the warehouse")
    if week is None:
        theirs = engine.user_weeks(idx)
        if not theirs:
            raise NotFoundError(f"{user_id!r} has no list yet: run tastemaker weekly generate")
        week = theirs[-2] if len(theirs) > 1 else theirs[-1]
    else:
        week = week_of(parse_week(week))
    monday = parse_week(week)
    found = engine.list_feedback(week, idx, dt.datetime.combine(monday, dt.time()), settings.signals.min_play_ms)
    tracks = [TrackFeedback(int(p), track_id, title, artist, source, int(plays), bool(saved), bool(skipped),
                            bool(disliked))
              for p, track_id, title, artist, source, plays, saved, skipped, disliked in found]
    return ListFeedback(week, user_id, monday, tracks)


def feedback_report(engine: Engine, settings: Settings, *, weeks: int | None = None) -> FeedbackReport:
    """Per week (the `weeks` latest, or all) and per source: delivered tracks played, saved, skipped."""
    latest_week(engine)                                  # no week yet: say how to make one
    found = feedback(engine, weeks=weeks, min_play_ms=settings.signals.min_play_ms)
    return FeedbackReport(settings.signals.min_play_ms, found, notes(found))

"""Run records: which data, models and parameters made each train, weekly and evaluate run.

    >>> run_id = record_run(engine, "train", version, {"kind": "collaborative", "factors": 64})

Every row of the warehouse's ``runs`` is written through `Run` and the engine's ``write_run``:
`record_run` for a run that is over when it is recorded, the weekly job for its run that stays
``running`` until the week is swapped in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from .engine import Engine


def now() -> dt.datetime:
    """The current UTC time without a zone, as the warehouse stores times."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Run:
    run_id: str
    kind: str                         # train | weekly | evaluate
    started_at: dt.datetime
    status: str = "done"              # running | done | superseded (an interrupted run not resumed)
    finished_at: dt.datetime | None = None
    week: str | None = None
    model_version: str | None = None
    params: dict = field(default_factory=dict)


def new_run_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def record_run(engine: Engine, kind: str, model_version: str | None, params: dict, *,
               week: str | None = None, started_at: dt.datetime | None = None,
               run_id: str | None = None) -> str:
    """Record a finished run; returns its id."""
    finished = now()
    run = Run(run_id or new_run_id(kind), kind, started_at or finished, "done", finished, week,
              model_version, params)
    engine.write_run(run)
    return run.run_id

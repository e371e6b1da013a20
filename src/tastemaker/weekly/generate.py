"""The week: 30 never-played tracks for every user, from three models, written atomically.

    >>> report = generate_week(engine, settings, week="2026-W48")

Data flow: the current interactions (everything a user has ever heard, skips included) and the
facts of the week's tracks → audio vectors predicted for cold tracks that arrived since the audio
model was trained (the one write before the lists) → the saved models (collaborative, text,
audio, and the learned ranker when trained) in one frozen context → per batch of users,
`tastemaker.blend.Blend`: candidates from each model (excluding what they heard, what they were
recommended in the last `exclude_weeks` weeks, and unavailable tracks) → features → ranking
(``[blend] mode``) → at most `max_per_artist` per artist, `audio_share` placed by the audio model,
a share of fresh tracks → a source and a reason per track → an order that flows →
``playlist_staging``, committed batch by batch. When every user is staged, one transaction
replaces the week's playlists. A crash or Ctrl-C leaves the previous week's state; the next run
with the same models, data and parameters resumes from the staged batches.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..audio_model.train import predict_missing
from ..blend import SOURCES, Blend, make_scorer, production_context, sources_for, track_facts
from ..config import Settings, WeeklyParams
from ..engine import Engine
from ..matrix import load_matrix
from ..progress import progress
from ..runs import Run, now
from .weeks import check_week, current_week, parse_week, previous_weeks

__all__ = ["generate_week", "WeeklyReport", "current_week"]


@dataclass
class WeeklyReport:
    week: str
    run_id: str
    model_version: str
    users: int
    collaborative_users: int
    fallback_users: int
    rows: int
    short_lists: int
    resumed_users: int
    seconds: float
    by_source: dict = dataclasses.field(default_factory=dict)   # tracks written per source
    ranking: str = "collaborative"                              # learned, fixed or collaborative
    versions: dict = dataclasses.field(default_factory=dict)    # model kind -> version used
    ran_on: str = ""                                            # "" in this process, else "Spark MASTER"


def generate_week(engine: Engine, settings: Settings, *, week: str | None = None,
                  model_version: str | None = None, params: WeeklyParams | None = None,
                  mode: str | None = None) -> WeeklyReport:
    """Write the week's lists. ``mode`` overrides ``[blend] mode`` (auto, learned, fixed,
    collaborative); ``params`` overrides ``[weekly]``."""
    if params is not None:
        settings = dataclasses.replace(settings, weekly=params)
    params = settings.weekly
    week = current_week() if week is None else check_week(week)
    monday = parse_week(week)
    started = time.perf_counter()
    engine.materialize_interactions(settings.signals.min_play_ms, force=False)
    data = load_matrix(engine, settings.signals, from_table=True)
    n_users, n_items = data.shape
    facts = track_facts(engine, settings, monday, n_items)
    predict_missing(engine, settings, np.flatnonzero(facts.plays < settings.audio_model.min_plays))
    ctx = production_context(engine, settings, monday, shape=data.shape, facts=facts, model_version=model_version)
    scorer = make_scorer(settings, ctx, mode=mode)
    blend = Blend.from_context(ctx, settings=settings, scorer=scorer, sources=sources_for(scorer.name), flow=True)
    versions = dict(ctx.versions)
    if getattr(scorer, "version", None):
        versions["ranker"] = scorer.version
    version = versions["collaborative"]
    recent = engine.recommended_pairs(previous_weeks(week, params.exclude_weeks))
    liked = np.asarray((data.user_items > 0).sum(axis=1)).ravel()
    cf_mask = (liked >= params.min_history) & (np.abs(ctx.U).sum(axis=1) > 0)

    key = hashlib.sha256(json.dumps([week, versions, scorer.name, data.fingerprint, dataclasses.asdict(params),
                                     dataclasses.asdict(settings.blend)]).encode()).hexdigest()[:16]
    run_id = f"weekly-{week}-{key}"
    run = Run(run_id, "weekly", now(), "running", week=week, model_version=version,
              params={**dataclasses.asdict(params), "models": versions, "ranking": scorer.name,
                      "data_fingerprint": data.fingerprint})
    done_users = engine.start_weekly_run(run)
    todo = np.ones(n_users, dtype=bool)
    todo[done_users] = False
    users_todo = np.flatnonzero(todo)
    short = 0
    with progress(f"Week {week}: scoring users ({scorer.name} ranking)", total=len(users_todo)) as step:
        ran_on = ""
        if settings.engine.kind == "spark":       # the exclusions are a join there
            from ..engine.spark.weekly import spark_lists, spark_master
            batches = spark_lists(settings, blend, data.user_items, recent, users_todo, SOURCES)
            ran_on = f"Spark {spark_master(settings)}"
        else:
            exclude = _exclusions(data.user_items, recent)
            batches = _lists(blend, data.user_items, exclude, users_todo, params.batch_size)
        for users, table in batches:
            _, listed = np.unique(table.column("user_idx").to_numpy(), return_counts=True)
            short += len(users) - int(np.count_nonzero(listed >= params.size))
            engine.stage_playlist_batch(week, run_id, version, table)
            step.advance(len(users))
    rows_written = engine.finish_weekly_run(dataclasses.replace(run, status="done", finished_at=now()))
    by_source = engine.playlist_source_counts(week)
    return WeeklyReport(week, run_id, version, n_users, int(cf_mask.sum()), int((~cf_mask).sum()),
                        rows_written, short, len(done_users), round(time.perf_counter() - started, 3),
                        by_source, scorer.name, versions, ran_on)


def _lists(blend: Blend, heard: sp.csr_matrix, exclude: sp.csr_matrix, users_todo: np.ndarray, batch_size: int):
    """(users, their rows of the week as an Arrow table), batch by batch, in this process."""
    for start in range(0, len(users_todo), batch_size):
        users = users_todo[start:start + batch_size]
        yield users, blend.lists(users, heard[users], exclude=exclude[users]).table(SOURCES)


def _exclusions(heard: sp.csr_matrix, recent: tuple[np.ndarray, np.ndarray]) -> sp.csr_matrix:
    """Pattern of (user, track) never to recommend: heard at all, or recommended recently."""
    users, tracks = recent
    recent = sp.csr_matrix((np.ones(len(users), np.float32), (users, tracks)), shape=heard.shape)
    pattern = heard.copy()
    pattern.data = np.ones_like(pattern.data)
    out = (pattern + recent).tocsr()
    out.data = np.ones_like(out.data)
    return out


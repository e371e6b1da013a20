"""The week: 30 never-played tracks for every user, from three models, written atomically.

    >>> report = generate_week(wh, settings, week="2026-W48")

Data flow: the saved models (collaborative, text, audio, and the learned ranker when trained)
and the current interactions (everything a user has ever heard, skips included) → per batch of
users, `tastemaker.blend`: candidates from each model (excluding what they heard, what they were
recommended in the last `exclude_weeks` weeks, and unavailable tracks) → features → ranking
(``[blend] mode``) → at most `max_per_artist` per artist, `audio_share` placed by the audio model,
a share of fresh tracks → a source and a reason per track → an order that flows →
``playlist_staging``, committed batch by batch. When every user is staged, one transaction
replaces the week's playlists. A crash or Ctrl-C leaves the previous week's state; the next run
with the same models, data and parameters resumes from the staged batches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from ..config import Settings, WeeklyParams
from ..matrix import load_matrix, materialize_interactions
from ..progress import progress
from ..warehouse import Warehouse
from .weeks import current_week, parse_week, previous_weeks

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


def generate_week(wh: Warehouse, settings: Settings, *, week: str | None = None,
                  model_version: str | None = None, params: WeeklyParams | None = None,
                  mode: str | None = None) -> WeeklyReport:
    """Write the week's lists. ``mode`` overrides ``[blend] mode`` (auto, learned, fixed,
    collaborative); ``params`` overrides ``[weekly]``."""
    from ..blend import make_scorer, production_context, rank_batch, sources_for
    from ..blend.assemble import SOURCES

    if params is not None:
        settings = dataclasses.replace(settings, weekly=params)
    params = settings.weekly
    week = week or current_week()
    monday = parse_week(week)
    started = time.perf_counter()
    materialize_interactions(wh, settings.signals, force=False)
    data = load_matrix(wh, settings.signals, from_table=True)
    n_users, n_items = data.shape
    ctx = production_context(wh, settings, monday, user_items=data.user_items, model_version=model_version)
    scorer = make_scorer(settings, ctx, mode=mode)
    sources = sources_for(scorer.name)
    versions = dict(ctx.versions)
    if getattr(scorer, "version", None):
        versions["ranker"] = scorer.version
    version = versions["collaborative"]
    exclude = _exclusions(wh, data.user_items, week, params.exclude_weeks, n_items)
    flow = {"tempo": ctx.tempo, "key": ctx.key, "mode": ctx.mode, "loudness": ctx.loudness}
    liked = ctx.liked_counts()
    cf_mask = (liked >= params.min_history) & (np.abs(ctx.U).sum(axis=1) > 0)

    key = hashlib.sha256(json.dumps([week, versions, scorer.name, data.fingerprint, dataclasses.asdict(params),
                                     dataclasses.asdict(settings.blend)]).encode()).hexdigest()[:16]
    run_id = f"weekly-{week}-{key}"
    done_users = _start_run(wh, run_id, week, version, params)
    todo = np.ones(n_users, dtype=bool)
    todo[done_users] = False
    users_todo = np.flatnonzero(todo)
    short = 0
    with progress(f"Week {week}: scoring users ({scorer.name} ranking)", total=len(users_todo)) as step:
        for start in range(0, len(users_todo), params.batch_size):
            users = users_todo[start:start + params.batch_size]
            batch = rank_batch(ctx, users, exclude[users], scorer, settings, sources=sources, flow=flow)
            short += int((batch.ids < 0).any(axis=1).sum())
            _stage(wh, week, run_id, version, batch, SOURCES)
            step.advance(len(users))
    rows_written = _finish_run(wh, run_id, week)
    by_source = dict(wh.execute("SELECT source, count(*) FROM playlists WHERE week = ? GROUP BY 1 "
                                "ORDER BY 2 DESC", [week]).fetchall())
    return WeeklyReport(week, run_id, version, n_users, int(cf_mask.sum()), int((~cf_mask).sum()),
                        rows_written, short, len(done_users), round(time.perf_counter() - started, 3),
                        by_source, scorer.name, versions)


def _exclusions(wh, heard: sp.csr_matrix, week: str, n_weeks: int, n_items: int) -> sp.csr_matrix:
    """Pattern of (user, track) never to recommend: heard at all, or recommended recently."""
    weeks = previous_weeks(week, n_weeks)
    pairs = wh.execute(
        "SELECT user_idx, track_idx FROM playlists WHERE list_contains(?, week)", [weeks]
    ).fetchnumpy() if weeks else {"user_idx": np.array([], np.int32), "track_idx": np.array([], np.int32)}
    recent = sp.csr_matrix((np.ones(len(pairs["user_idx"]), np.float32),
                            (np.asarray(pairs["user_idx"]), np.asarray(pairs["track_idx"]))),
                           shape=heard.shape)
    pattern = heard.copy()
    pattern.data = np.ones_like(pattern.data)
    out = (pattern + recent).tocsr()
    out.data = np.ones_like(out.data)
    return out


def _start_run(wh, run_id: str, week: str, version: str, params: WeeklyParams) -> np.ndarray:
    """Resume a run with the same key, or start one (dropping other unfinished runs of the week)."""
    existing = wh.one("SELECT status FROM runs WHERE run_id = ?", [run_id])
    with wh.transaction():
        wh.execute("DELETE FROM playlist_staging WHERE week = ? AND run_id <> ?", [week, run_id])
        if existing is None or existing[0] == "done":
            wh.execute("DELETE FROM playlist_staging WHERE run_id = ?", [run_id])
            wh.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
            wh.execute("INSERT INTO runs VALUES (?, 'weekly', ?, ?, NULL, 'running', ?, ?)",
                       [run_id, week, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), version,
                        json.dumps(dataclasses.asdict(params))])
    done = wh.execute("SELECT DISTINCT user_idx FROM playlist_staging WHERE run_id = ?", [run_id]).fetchnumpy()
    return np.asarray(done["user_idx"], dtype=np.int64)


def _stage(wh, week, run_id, version, batch, sources) -> None:
    ids = batch.ids
    valid = ids >= 0
    r, c = np.nonzero(valid)
    because = batch.because[r, c]
    sc = batch.scores[r, c]
    table = pa.table({
        "user_idx": pa.array(batch.users[r].astype(np.int32)),
        "position": pa.array((np.cumsum(valid, axis=1)[r, c]).astype(np.int16)),
        "track_idx": pa.array(ids[r, c].astype(np.int32)),
        "score": pa.array(np.where(np.isfinite(sc), sc, np.nan).astype(np.float32)),
        "source": pa.array(np.asarray(sources)[batch.source[r, c]]),
        "reason_track_idx": pa.array(np.where(because >= 0, because, 0).astype(np.int32), mask=because < 0),
        "reason": pa.array(batch.text_reason[r, c].astype(str)),
    })
    wh.con.register("staged_batch", table)
    wh.execute("""INSERT INTO playlist_staging
                  SELECT ?, user_idx, position, track_idx, score, source, reason_track_idx, reason, ?, ?
                  FROM staged_batch""", [week, version, run_id])
    wh.con.unregister("staged_batch")


def _finish_run(wh, run_id: str, week: str) -> int:
    with wh.transaction():
        wh.execute("DELETE FROM playlists WHERE week = ?", [week])
        wh.execute("""
        INSERT INTO playlists
        SELECT s.week, s.user_idx, s.position, s.track_idx, s.score, s.source, s.reason_track_idx,
            CASE WHEN s.reason <> '' THEN s.reason
                 WHEN s.source = 'collaborative' AND t.track_idx IS NOT NULL THEN 'because you play ' ||
                     CASE WHEN a.name IS NULL OR a.name = t.title THEN coalesce(t.title, t.track_id)
                          ELSE a.name || ' – ' || coalesce(t.title, t.track_id) END
                 WHEN s.source = 'collaborative' THEN 'listeners with your taste play it'
                 WHEN s.source = 'audio' AND t.track_idx IS NOT NULL THEN 'new; sounds like ' ||
                     CASE WHEN a.name IS NULL OR a.name = t.title THEN coalesce(t.title, t.track_id)
                          ELSE a.name || ' – ' || coalesce(t.title, t.track_id) END
                 WHEN s.source = 'audio' THEN 'new; sounds like what you play'
                 WHEN s.source = 'text' THEN 'people who write about music place it near what you play'
                 ELSE 'popular with listeners lately' END,
            s.model_version, s.run_id
        FROM playlist_staging s
        LEFT JOIN tracks t ON t.track_idx = s.reason_track_idx
        LEFT JOIN artists a ON a.artist_idx = t.artist_idx
        WHERE s.run_id = ?
        """, [run_id])
        wh.execute("DELETE FROM playlist_staging WHERE run_id = ?", [run_id])
        wh.execute("UPDATE runs SET status = 'done', finished_at = ? WHERE run_id = ?",
                   [dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), run_id])
    return int(wh.scalar("SELECT count(*) FROM playlists WHERE week = ?", [week]))

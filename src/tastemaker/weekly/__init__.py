"""The week: 30 never-played tracks for every user, written atomically.

    >>> report = generate_week(wh, settings, week="2026-W48")

Data flow: the latest collaborative model and the current interactions (everything a user has
ever heard, skips included) → per batch of users: candidates by batched GEMM + top-k (excluding
what they heard, what they were recommended in the last `exclude_weeks` weeks, and unavailable
tracks) → at most `max_per_artist` per artist → a reason per track (the played track that
contributes most) → ``playlist_staging``, committed batch by batch. Users with fewer than
`min_history` liked tracks, or unknown to the model, get the labelled fallback (popular tracks of
the last four weeks they have not heard). When every user is staged, one transaction replaces the
week's playlists. A crash or Ctrl-C leaves the previous week's state; the next run with the same
model, data and parameters resumes from the staged batches.
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
from ..train import load_collaborative
from ..warehouse import Warehouse
from . import cold
from .assemble import cap_per_artist, explain, top_played, unit_rows
from .weeks import current_week, parse_week, previous_weeks

__all__ = ["generate_week", "WeeklyReport", "current_week"]

REASON_PLAYED = 50  # how many of a user's most-played tracks may be named as reasons
#: where a recommended track comes from (stored by name in playlists.source)
SOURCES = ("collaborative", "fallback", "audio")
COLLABORATIVE, FALLBACK, AUDIO = 0, 1, 2


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


def generate_week(wh: Warehouse, settings: Settings, *, week: str | None = None,
                  model_version: str | None = None, params: WeeklyParams | None = None) -> WeeklyReport:
    params = params or settings.weekly
    week = week or current_week()
    monday = parse_week(week)
    started = time.perf_counter()
    model, manifest = load_collaborative(settings, model_version)
    version = manifest["version"]
    materialize_interactions(wh, settings.signals, force=False)
    data = load_matrix(wh, settings.signals, from_table=True)
    n_users, n_items = data.shape
    m_users, m_items = model.user_factors_.shape[0], model.item_factors_.shape[0]

    exclude = _exclusions(wh, data.user_items, week, params.exclude_weeks, n_items)
    artist_of = _artist_of(wh, n_items)
    unavailable = np.asarray(wh.execute("SELECT track_idx FROM tracks WHERE NOT available")
                             .fetchnumpy()["track_idx"], dtype=np.int64)
    liked = np.asarray((data.user_items > 0).sum(axis=1)).ravel()
    has_vector = np.zeros(n_users, dtype=bool)
    has_vector[:m_users] = np.abs(model.user_factors_).sum(axis=1) > 0
    cf_mask = has_vector & (liked >= params.min_history)
    popular = _popularity(wh, monday, n_items)

    cold_tracks = cold.prepare(wh, settings, model, n_items)   # the audio model's cold candidates
    audio_version = cold_tracks.version if cold_tracks is not None else None
    key = hashlib.sha256(json.dumps([week, version, audio_version, data.fingerprint,
                                     dataclasses.asdict(params)]).encode()).hexdigest()[:16]
    run_id = f"weekly-{week}-{key}"
    done_users = _start_run(wh, run_id, week, version, params)
    todo = np.ones(n_users, dtype=bool)
    todo[done_users] = False
    cf_users = np.flatnonzero(cf_mask & todo)
    fb_users = np.flatnonzero(~cf_mask & todo)
    short = 0
    unit_items = unit_rows(model.item_factors_)

    with progress(f"Week {week}: scoring users", total=len(cf_users) + len(fb_users)) as step:
        for start in range(0, len(cf_users), params.batch_size):
            users = cf_users[start:start + params.batch_size]
            rows = exclude[users]
            cand, scores = model.recommend(users, rows[:, :m_items], N=params.candidates,
                                           filter_items=unavailable[unavailable < m_items])
            ids, sc, _ = cap_per_artist(cand, scores, artist_of, params.size, params.max_per_artist)
            source = np.full(ids.shape, COLLABORATIVE, dtype=np.int8)
            ids, sc, source, n_short = _fill_short(ids, sc, source, rows, popular, artist_of, params,
                                                   unavailable)
            short += n_short
            played, weights = top_played(data.user_items[users][:, :m_items], REASON_PLAYED)
            because = explain(np.where(ids < m_items, ids, -1), played, weights, unit_items)
            because[source != COLLABORATIVE] = -1
            ids, sc, source, because = cold.merge(cold_tracks, model.user_factors_[users], ids, sc, source,
                                                  because, rows, played, unit_items, artist_of, params, AUDIO)
            _stage(wh, week, run_id, version, users, ids, sc, source, because)
            step.advance(len(users))
        for start in range(0, len(fb_users), params.batch_size):
            users = fb_users[start:start + params.batch_size]
            ids = np.full((len(users), params.size), -1, dtype=np.int64)
            sc = np.full(ids.shape, -np.inf, dtype=np.float32)
            source = np.full(ids.shape, FALLBACK, dtype=np.int8)
            ids, sc, source, n_short = _fill_short(ids, sc, source, exclude[users], popular, artist_of,
                                                   params, unavailable)
            short += n_short
            _stage(wh, week, run_id, version, users, ids, sc, source, np.full(ids.shape, -1))
            step.advance(len(users))
    rows_written = _finish_run(wh, run_id, week)
    by_source = dict(wh.execute("SELECT source, count(*) FROM playlists WHERE week = ? GROUP BY 1 "
                                "ORDER BY 2 DESC", [week]).fetchall())
    return WeeklyReport(week, run_id, version, n_users, int(cf_mask.sum()), int((~cf_mask).sum()),
                        rows_written, short, len(done_users), round(time.perf_counter() - started, 3),
                        by_source)


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


def _artist_of(wh, n_items: int) -> np.ndarray:
    cols = wh.execute("SELECT track_idx, coalesce(artist_idx, -1) AS a FROM tracks").fetchnumpy()
    out = np.full(n_items, -1, dtype=np.int64)
    out[np.asarray(cols["track_idx"])] = np.asarray(cols["a"])
    return out


def _popularity(wh, monday: dt.date, n_items: int) -> np.ndarray:
    """Listeners per track active on it in the four weeks before `monday` (all time when the
    events carry no timestamps), from the interactions table."""
    since = monday - dt.timedelta(weeks=4)
    recent = wh.execute("""SELECT track_idx, count(*) AS n FROM interactions
                           WHERE plays > 0 AND last_ts >= ? AND first_ts < ? GROUP BY 1""",
                        [since, monday]).fetchnumpy()
    if len(recent["n"]) == 0:
        recent = wh.execute("""SELECT track_idx, count(*) AS n FROM interactions WHERE plays > 0
                               GROUP BY 1""").fetchnumpy()
    pop = np.zeros(n_items, dtype=np.float32)
    pop[np.asarray(recent["track_idx"])] = np.asarray(recent["n"], dtype=np.float32)
    return pop


def _fill_short(ids, sc, source, exclude_rows, popular, artist_of, params, unavailable):
    """Rows with fewer than `size` tracks are completed with popular tracks (source fallback)."""
    short = np.flatnonzero((ids < 0).any(axis=1))
    if len(short) == 0:
        return ids, sc, source, 0
    m = min(len(popular), params.candidates * 4 + params.size)
    pop = np.argsort(-popular, kind="stable")[:m]
    pop = pop[(popular[pop] > 0) & ~np.isin(pop, unavailable)]
    existing = ids[short]
    heard = exclude_rows[short][:, pop].toarray() != 0
    already = (pop[None, :, None] == existing[:, None, :]).any(axis=2)
    cand = np.where(heard | already, -1, pop[None, :])
    merged = np.concatenate([existing, cand], axis=1)
    merged_sc = np.concatenate(
        [sc[short], np.broadcast_to(-1.0 - 1.0 / (1.0 + popular[pop]), cand.shape)], axis=1).astype(np.float32)
    merged_src = np.concatenate([source[short], np.full(cand.shape, FALLBACK, np.int8)], axis=1)
    # existing entries come first and are already capped, so they all survive in their order
    new_ids, new_sc, cols = cap_per_artist(merged, merged_sc, artist_of, params.size, params.max_per_artist)
    source[short] = np.where(cols >= 0, np.take_along_axis(merged_src, np.maximum(cols, 0), axis=1), FALLBACK)
    ids[short], sc[short] = new_ids, new_sc
    return ids, sc, source, int((new_ids < 0).any(axis=1).sum())


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


def _stage(wh, week, run_id, version, users, ids, sc, source, because) -> None:
    B, K = ids.shape
    valid = ids >= 0
    r, c = np.nonzero(valid)
    table = pa.table({
        "user_idx": pa.array(users[r].astype(np.int32)),
        "position": pa.array((np.cumsum(valid, axis=1)[r, c]).astype(np.int16)),
        "track_idx": pa.array(ids[r, c].astype(np.int32)),
        "score": pa.array(np.where(np.isfinite(sc[r, c]), sc[r, c], np.nan).astype(np.float32)),
        "source": pa.array(np.asarray(SOURCES)[source[r, c]]),
        "reason_track_idx": pa.array(np.where(because[r, c] >= 0, because[r, c], 0).astype(np.int32),
                                     mask=because[r, c] < 0),
    })
    wh.con.register("staged_batch", table)
    wh.execute("""INSERT INTO playlist_staging
                  SELECT ?, user_idx, position, track_idx, score, source, reason_track_idx, '', ?, ?
                  FROM staged_batch""", [week, version, run_id])
    wh.con.unregister("staged_batch")


def _finish_run(wh, run_id: str, week: str) -> int:
    with wh.transaction():
        wh.execute("DELETE FROM playlists WHERE week = ?", [week])
        wh.execute("""
        INSERT INTO playlists
        SELECT s.week, s.user_idx, s.position, s.track_idx, s.score, s.source, s.reason_track_idx,
            CASE WHEN s.source = 'collaborative' AND t.track_idx IS NOT NULL THEN 'because you play ' ||
                     CASE WHEN a.name IS NULL OR a.name = t.title THEN coalesce(t.title, t.track_id)
                          ELSE a.name || ' – ' || coalesce(t.title, t.track_id) END
                 WHEN s.source = 'collaborative' THEN 'listeners with your taste play it'
                 WHEN s.source = 'audio' AND t.track_idx IS NOT NULL THEN 'new; sounds like ' ||
                     CASE WHEN a.name IS NULL OR a.name = t.title THEN coalesce(t.title, t.track_id)
                          ELSE a.name || ' – ' || coalesce(t.title, t.track_id) END
                 WHEN s.source = 'audio' THEN 'new; sounds like what you play'
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

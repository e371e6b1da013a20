"""From behaviour to preference and confidence: the engine-independent logic.

Two pieces, shared by every engine:

* `interactions_sql` — the aggregation of raw events into one row per (user, track): plays, short
  plays (under ``min_play_ms``, counted as skips), milliseconds, saves, skips, artist-page visits
  (a visit with no track counts for every track of that artist the user played), first and last
  time. It is plain SQL over the ``events`` and ``tracks`` tables, so DuckDB runs it as is and a
  distributed engine can run the same text.
* `confidence` — the formula of `tastemaker.config.SignalWeights` on NumPy arrays, returning a
  signed confidence: positive values are preference 1, negative values preference 0 (more skips
  than listening), as the `implicit` library reads them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .config import SignalWeights

#: event kinds the warehouse accepts
EVENT_KINDS = ("play", "save", "skip", "artist_visit")

#: columns of an interactions relation, in order
INTERACTION_COLUMNS = ("user_idx", "track_idx", "plays", "short_plays", "ms_played", "saves",
                       "skips", "artist_visits", "first_ts", "last_ts")


def interactions_sql(min_play_ms: int, *, until: str | None = None, since: str | None = None) -> str:
    """SQL selecting the interactions of all events with ``since <= ts < until`` (ISO strings).

    Events without a timestamp are kept only when ``until`` and ``since`` are both None.
    """
    conds = []
    if until is not None:
        conds.append(f"ts < TIMESTAMP '{until}'")
    if since is not None:
        conds.append(f"ts >= TIMESTAMP '{since}'")
    where = " AND ".join(conds) if conds else "TRUE"
    short = f"(e.ms_played IS NOT NULL AND e.ms_played < {int(min_play_ms)} * e.plays)"
    return f"""
    WITH ev AS (SELECT * FROM events WHERE {where}),
    per_track AS (
        SELECT e.user_idx, e.track_idx,
            sum(CASE WHEN e.kind = 'play' AND NOT {short} THEN e.plays ELSE 0 END) AS plays,
            sum(CASE WHEN e.kind = 'play' AND {short} THEN e.plays ELSE 0 END) AS short_plays,
            sum(CASE WHEN e.kind = 'play' THEN e.ms_played END) AS ms_played,
            sum(CASE WHEN e.kind = 'save' THEN e.plays ELSE 0 END) AS saves,
            sum(CASE WHEN e.kind = 'skip' THEN e.plays ELSE 0 END) AS skips,
            sum(CASE WHEN e.kind = 'artist_visit' THEN e.plays ELSE 0 END) AS artist_visits,
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
           p.artist_visits + coalesce(a.visits, 0) AS artist_visits, p.first_ts, p.last_ts
    FROM per_track p
    LEFT JOIN tracks t ON t.track_idx = p.track_idx
    LEFT JOIN artist_only a ON a.user_idx = p.user_idx AND a.artist_idx = t.artist_idx
    """


def signal_sum(weights: SignalWeights, *, plays, short_plays, saves, skips, artist_visits) -> np.ndarray:
    """The weighted sum s of the signals (float64), one value per (user, track)."""
    return (weights.play * np.asarray(plays, dtype=np.float64)
            + weights.save * np.asarray(saves, dtype=np.float64)
            + weights.artist_visit * np.asarray(artist_visits, dtype=np.float64)
            - weights.skip * (np.asarray(skips, dtype=np.float64) + np.asarray(short_plays, dtype=np.float64)))


def confidence(s: np.ndarray, weights: SignalWeights) -> np.ndarray:
    """Signed confidence from the signal sum: sign = preference, magnitude = c ≥ 1.

    ``log``: ``c = 1 + alpha·log(1 + |s|/epsilon)``; ``linear``: ``c = 1 + alpha·|s|``. An exact
    s = 0 (signals that cancel) gives preference 0 with the baseline confidence 1.

    >>> confidence(np.array([0.0, 1.0, -2.0]), SignalWeights(alpha=1.0, epsilon=1.0)).round(3)
    array([-1.   ,  1.693, -2.099], dtype=float32)
    """
    s = np.asarray(s, dtype=np.float64)
    mag = np.abs(s)
    if weights.scheme == "linear":
        c = 1.0 + weights.alpha * mag
    else:  # "log" and the per-entry part of "bm25"
        c = 1.0 + weights.alpha * np.log1p(mag / weights.epsilon)
    return np.where(s > 0, c, -c).astype(np.float32)


def confidence_matrix(users: np.ndarray, items: np.ndarray, s: np.ndarray, shape: tuple[int, int],
                      weights: SignalWeights) -> sp.csr_matrix:
    """The (n_users, n_items) signed confidence matrix of `confidence`, or of BM25 when asked.

    With ``scheme = "bm25"`` the positive sums are BM25-weighted over the item's users (popular
    tracks count less, long histories are normalised), then ``c = 1 + alpha·bm25``; negative sums
    keep their ``log`` confidence.
    """
    if weights.scheme != "bm25":
        data = confidence(s, weights)
        return sp.csr_matrix((data, (users, items)), shape=shape, dtype=np.float32)
    from implicit.nearest_neighbours import bm25_weight

    pos = s > 0
    m = sp.csr_matrix((s[pos], (users[pos], items[pos])), shape=shape, dtype=np.float64)
    weighted = bm25_weight(m, K1=weights.bm25_k1, B=weights.bm25_b).tocsr()
    weighted.data = 1.0 + weights.alpha * weighted.data
    neg = sp.csr_matrix((confidence(s[~pos], weights), (users[~pos], items[~pos])), shape=shape)
    return (weighted + neg).astype(np.float32).tocsr()

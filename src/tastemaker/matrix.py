"""The user × track confidence matrix the models learn from, built from the warehouse.

    >>> data = load_matrix(wh, settings.signals)            # every event
    >>> train = load_matrix(wh, settings.signals, until="2026-11-16")   # a time split
    >>> data.user_items        # csr (n_users, n_tracks), signed confidence

Rows and columns are the warehouse's dense ``user_idx`` and ``track_idx`` over the whole
warehouse, so matrices cut at different times line up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .config import SignalWeights
from .signals import confidence_matrix, interactions_sql, signal_sum
from .warehouse import Warehouse


@dataclass
class InteractionMatrix:
    user_items: sp.csr_matrix       # signed confidence (see tastemaker.signals)
    fingerprint: str                # stable hash of the interactions it was built from

    @property
    def shape(self) -> tuple[int, int]:
        return self.user_items.shape

    def positives(self) -> sp.csr_matrix:
        """The pairs with preference 1 (positive confidence)."""
        m = self.user_items.copy()
        m.data[m.data < 0] = 0
        m.eliminate_zeros()
        return m


def dimensions(wh: Warehouse) -> tuple[int, int]:
    """(n_users, n_tracks) of the warehouse's dense indices."""
    n_users = wh.scalar("SELECT coalesce(max(user_idx) + 1, 0) FROM users")
    n_tracks = wh.scalar("SELECT coalesce(max(track_idx) + 1, 0) FROM tracks")
    return int(n_users), int(n_tracks)


def materialize_interactions(wh: Warehouse, weights: SignalWeights, *, force: bool = True) -> int:
    """Rebuild the ``interactions`` table from every event, atomically. Returns its row count.

    With ``force=False`` nothing is done when the events have not changed since the last build.
    """
    source = _events_state(wh, weights)
    if force or wh.scalar("SELECT value FROM meta WHERE key = 'interactions_source'") != source:
        with wh.transaction():
            wh.execute("DELETE FROM interactions")
            wh.execute(f"INSERT INTO interactions {interactions_sql(weights.min_play_ms)}")
            wh.execute("INSERT OR REPLACE INTO meta VALUES ('interactions_source', ?)", [source])
    return int(wh.scalar("SELECT count(*) FROM interactions"))


def _events_state(wh: Warehouse, weights: SignalWeights) -> str:
    n, last_file = wh.one("SELECT count(*), coalesce(max(file_id), 0) FROM events")
    return f"{n}:{last_file}:{weights.min_play_ms}"


def signal_sums(wh: Warehouse, weights: SignalWeights, *, until: str | None = None,
                since: str | None = None, from_table: bool = False):
    """(users, items, s): the weighted signal sum of each (user, track) pair heard in
    [since, until), or in the ``interactions`` table when ``from_table``."""
    sql = "SELECT * FROM interactions" if from_table else interactions_sql(
        weights.min_play_ms, until=until, since=since)
    cols = wh.execute(
        f"SELECT user_idx, track_idx, plays, short_plays, saves, skips, artist_visits FROM ({sql})"
    ).fetchnumpy()
    s = signal_sum(weights, plays=cols["plays"], short_plays=cols["short_plays"], saves=cols["saves"],
                   skips=cols["skips"], artist_visits=cols["artist_visits"])
    return (np.asarray(cols["user_idx"], dtype=np.int32), np.asarray(cols["track_idx"], dtype=np.int32), s)


def load_matrix(wh: Warehouse, weights: SignalWeights, *, until: str | None = None,
                since: str | None = None, from_table: bool = False) -> InteractionMatrix:
    """The signed confidence matrix of the events in [since, until), or of the
    ``interactions`` table when ``from_table`` (built by `materialize_interactions`)."""
    users, items, s = signal_sums(wh, weights, until=until, since=since, from_table=from_table)
    m = confidence_matrix(users, items, s, dimensions(wh), weights)
    m.sort_indices()
    return InteractionMatrix(m, _fingerprint(m, weights))


def _fingerprint(m: sp.csr_matrix, weights: SignalWeights) -> str:
    h = hashlib.sha256()
    h.update(repr((m.shape, m.nnz, weights)).encode())
    h.update(np.ascontiguousarray(m.indptr).tobytes())
    h.update(np.ascontiguousarray(m.indices).tobytes())
    h.update(np.ascontiguousarray(m.data).tobytes())
    return h.hexdigest()[:16]

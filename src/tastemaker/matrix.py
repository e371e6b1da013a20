"""The user × track confidence matrix the models learn from, built from the engine's interactions.

    >>> data = load_matrix(engine, settings.signals)            # every event
    >>> train = load_matrix(engine, settings.signals, until="2026-11-16")   # a time split
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
from .engine import Engine
from .signals import confidence_matrix, signal_sum


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


def signal_sums(engine: Engine, weights: SignalWeights, *, until=None, since=None, from_table: bool = False):
    """(users, items, s): the weighted signal sum of each (user, track) pair heard in
    [since, until), or in the materialised ``interactions`` when ``from_table``."""
    cols = engine.interaction_sums(weights.min_play_ms, until=until, since=since, from_table=from_table)
    s = signal_sum(weights, plays=cols["plays"], short_plays=cols["short_plays"], saves=cols["saves"],
                   skips=cols["skips"], artist_visits=cols["artist_visits"], dislikes=cols["dislikes"])
    return (np.asarray(cols["user_idx"], dtype=np.int32), np.asarray(cols["track_idx"], dtype=np.int32), s)


def load_matrix(engine: Engine, weights: SignalWeights, *, until=None, since=None,
                from_table: bool = False) -> InteractionMatrix:
    """The signed confidence matrix of the events in [since, until), or of the materialised
    interactions when ``from_table`` (built by ``engine.materialize_interactions``)."""
    users, items, s = signal_sums(engine, weights, until=until, since=since, from_table=from_table)
    m = confidence_matrix(users, items, s, engine.dimensions(), weights)
    m.sort_indices()
    return InteractionMatrix(m, _fingerprint(m, weights))


def _fingerprint(m: sp.csr_matrix, weights: SignalWeights) -> str:
    h = hashlib.sha256()
    h.update(repr((m.shape, m.nnz, weights)).encode())
    h.update(np.ascontiguousarray(m.indptr).tobytes())
    h.update(np.ascontiguousarray(m.indices).tobytes())
    h.update(np.ascontiguousarray(m.data).tobytes())
    return h.hexdigest()[:16]

"""Flow: order each weekly list so that one track leads smoothly into the next (pure NumPy).

    >>> feats = track_features(engine, n_items)                  # tempo, key, mode, loudness per track
    >>> lists = list_features(ids, feats)                    # (B, K) ids, -1 pads at the end
    >>> order = flow_order_batch(**lists)                    # (B, K) positions, the first stays first
    >>> ids = np.take_along_axis(ids, order, axis=1)
    >>> transition_cost(**lists).mean(), transition_cost(**lists, order=order).mean()

The cost of going from one track to the next is a weighted sum of three parts, each in [0, 1]
(see `FlowWeights` for the numbers):

* tempo: the distance in octaves, ``|log2(tempo_b / tempo_a)|``, over ``tempo_scale`` and capped
  at 1. Half or double tempo (80 → 160 BPM) is close-ish: a whole number of octaves apart costs
  ``half_double`` octaves plus the distance to that exact ratio.
* key: steps on the Camelot wheel, i.e. the circle of fifths with each minor key beside its
  relative major (C major and A minor share a place). One step round the wheel costs 1, a switch
  between major and minor 1 more; the sum is taken over ``key_scale`` and capped at 1. A key with
  an unknown mode sits where its major would and the switch costs half a step.
* loudness: the difference in dB over ``loudness_scale``, capped at 1.

A part whose feature is unknown on either side (NaN tempo or loudness, key -1, a tempo of 0 as
the analyser writes for silence) costs ``unknown``: neither a pull nor a push.

The order: greedy nearest neighbour from the ``first`` track (the best-scored track keeps its
place at the top), or the input order when that is already cheaper, then 2-opt (reversing the
stretch between two places when that lowers the sum) for at most ``passes`` sweeps. All of it is
vectorised across the lists of a batch; the result is deterministic and never costs more than the
input order.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, check_param
from ..engine import Engine

#: 2-opt sweeps at most (each tries every place once); on demo-like lists of 30, 8 % still
#: change in the 4th sweep and 0.6 % in the 6th
PASSES = 6
#: lists costed and ordered at once (memory: chunk × K × K × 4 bytes)
CHUNK = 1024


@dataclass(frozen=True)
class FlowWeights:
    """The transition cost: weights of its three parts and the scale at which each part is 1.

    With weights that sum to 1 (the default) a transition costs between 0 and 1.
    """

    tempo: float = 0.45
    key: float = 0.35
    loudness: float = 0.20
    unknown: float = 0.5             # the cost of a part that cannot be judged
    tempo_scale: float = 0.25        # octaves (a 19 % tempo change) at which tempo costs 1
    half_double: float = 0.1         # octaves added to a half- or double-tempo step
    key_scale: float = 4.0           # Camelot steps at which key costs 1
    loudness_scale: float = 8.0      # dB at which loudness costs 1

    def __post_init__(self):
        for name in ("tempo", "key", "loudness", "half_double"):
            check_param("FlowWeights", name, getattr(self, name), low=0, kind=(int, float))
        check_param("FlowWeights", "unknown", self.unknown, low=0, high=1, kind=(int, float))
        for name in ("tempo_scale", "key_scale", "loudness_scale"):
            check_param("FlowWeights", name, getattr(self, name), low=1e-9, kind=(int, float))


def flow_order(tempo, key, mode, loudness, *, first: int = 0, weights: FlowWeights | None = None,
               passes: int = PASSES) -> np.ndarray:
    """The smoothest order found for one list of K tracks: a permutation of range(K), ``first`` first.

    ``tempo`` in BPM, ``key`` 0 (C) … 11 (B), ``mode`` 1 major / 0 minor, ``loudness`` in dB;
    NaN or -1 where unknown. All four are [shape=(K,)].

    >>> flow_order([80, 160, 120, 81, 119], [-1] * 5, [-1] * 5, [np.nan] * 5)
    array([0, 3, 1, 2, 4])
    """
    feats = [np.asarray(a)[None] for a in (tempo, key, mode, loudness)]
    if feats[0].ndim != 2:
        raise ParameterError(f"flow_order takes one list (1-D arrays); got shape {feats[0].shape[1:]}. "
                             "Use flow_order_batch for a batch.")
    return flow_order_batch(*feats, first=first, weights=weights, passes=passes)[0]


def flow_order_batch(tempo, key, mode, loudness, *, lengths=None, first=0,
                     weights: FlowWeights | None = None, passes: int = PASSES,
                     chunk: int = CHUNK) -> np.ndarray:
    """`flow_order` for B lists at once: features [shape=(B, K)] → positions [shape=(B, K)].

    ``lengths`` (B,) says how many leading places of each row hold tracks (default: all K); the
    padding after them stays where it is (position j maps to j), so
    ``np.take_along_axis(ids, order, axis=1)`` keeps -1 pads at the end. ``first`` is a position
    (or one per row) that must hold a track.
    """
    w = weights or FlowWeights()
    check_param("flow_order_batch", "passes", passes, low=0, kind=int)
    check_param("flow_order_batch", "chunk", chunk, low=1, kind=int)
    feats = _prepare(tempo, key, mode, loudness)
    B, K = feats[0].shape
    n = _lengths(lengths, B, K)
    first = np.broadcast_to(np.asarray(first, dtype=np.int64), (B,))
    if np.any((n > 0) & ((first < 0) | (first >= n))):
        bad = int(np.flatnonzero((n > 0) & ((first < 0) | (first >= n)))[0])
        raise ParameterError(f"The first track must be one of the list's places: row {bad} has "
                             f"{n[bad]} tracks. Got first={int(first[bad])} instead.")
    order = np.broadcast_to(np.arange(K), (B, K)).copy()
    if K == 0:
        return order
    # a move must gain more than float32 rounding of four costs can account for
    tol = 1e-6 * max(1.0, w.tempo + w.key + w.loudness)
    for lo in range(0, B, chunk):
        part = slice(lo, lo + chunk)
        cost = _pair_matrix([f[part] for f in feats], w)
        order[part] = _order(cost, n[part], first[part], passes, tol)
    return order


def transition_cost(tempo, key, mode, loudness, order=None, *, lengths=None,
                    weights: FlowWeights | None = None):
    """Mean cost of the transitions of a list in ``order`` (default: as given).

    1-D features give a float; (B, K) give one value per row. A list of fewer than 2 tracks has
    no transition: NaN (use ``np.nanmean`` across lists).
    """
    w = weights or FlowWeights()
    one = np.ndim(tempo) == 1
    feats = _prepare(*(np.atleast_2d(a) for a in (tempo, key, mode, loudness)))
    B, K = feats[0].shape
    n = _lengths(lengths, B, K)
    if order is not None:
        order = np.atleast_2d(np.asarray(order, dtype=np.int64))
        feats = [np.take_along_axis(f, order, axis=1) for f in feats]
    cost = _pair_cost([f[:, :-1] for f in feats], [f[:, 1:] for f in feats], w).astype(np.float64)
    edges = np.arange(K - 1)[None, :] < (n[:, None] - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(edges, cost, 0.0).sum(axis=1) / (n - 1)
    mean = np.where(n >= 2, mean, np.nan)
    return float(mean[0]) if one else mean


def track_features(engine: Engine, n_items: int, *, catalogue: bool = True) -> dict[str, np.ndarray]:
    """Tempo, key, mode and loudness of every track, indexed by track_idx (NaN / -1 where unknown).

    From the analyser (its latest successful analysis of a track wins). With ``catalogue``,
    tracks never analysed take the values their catalogue row carried (``tracks.attrs``: tempo,
    key, mode, loudness, as the demo world's catalogue has them).
    """
    out = {"tempo": np.full(n_items, np.nan, dtype=np.float32),
           "key": np.full(n_items, -1, dtype=np.int16),
           "mode": np.full(n_items, -1, dtype=np.int16),
           "loudness": np.full(n_items, np.nan, dtype=np.float32)}
    cols = engine.track_sound(n_items, catalogue=catalogue)
    idx = np.asarray(cols["track_idx"], dtype=np.int64)
    for name, fill in (("tempo", np.nan), ("loudness", np.nan), ("key", -1), ("mode", -1)):
        values = np.ma.filled(np.ma.asarray(cols[name]).astype(np.float64), np.nan)
        if name == "key":
            values = np.where((values >= 0) & (values <= 11), values, np.nan)
        elif name == "mode":
            values = np.where((values == 0) | (values == 1), values, np.nan)
        out[name][idx] = np.where(np.isfinite(values), values, fill).astype(out[name].dtype)
    return out


def list_features(ids: np.ndarray, features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The features of (B, K) lists of track ids (-1 pads at the end), with their ``lengths``:
    keyword arguments for `flow_order_batch` and `transition_cost`."""
    ids = np.atleast_2d(np.asarray(ids, dtype=np.int64))
    valid = ids >= 0
    lengths = valid.sum(axis=1)
    if np.any(valid[:, 1:] & ~valid[:, :-1]):
        raise ParameterError("Padding (-1) must come after a list's tracks, not among them.")
    safe = np.where(valid, ids, 0)
    out = {"tempo": np.where(valid, features["tempo"][safe], np.nan),
           "key": np.where(valid, features["key"][safe], -1),
           "mode": np.where(valid, features["mode"][safe], -1),
           "loudness": np.where(valid, features["loudness"][safe], np.nan)}
    return {**out, "lengths": lengths}


# --- the cost ------------------------------------------------------------------------------------

def _prepare(tempo, key, mode, loudness) -> list[np.ndarray]:
    """log2 tempo (float32, NaN unknown), key code (int16, see `_key_table`), loudness (float32)."""
    tempo = np.asarray(tempo, dtype=np.float64)
    shape = tempo.shape
    key = np.asarray(key, dtype=np.float64)
    mode = np.asarray(mode, dtype=np.float64)
    loudness = np.asarray(loudness, dtype=np.float64)
    for name, a in (("key", key), ("mode", mode), ("loudness", loudness)):
        if a.shape != shape:
            raise ParameterError(f"tempo, key, mode and loudness must have one shape; tempo has "
                                 f"{shape}, {name} has {a.shape}.")
    with np.errstate(invalid="ignore", divide="ignore"):
        log_tempo = np.where(np.isfinite(tempo) & (tempo > 0), np.log2(tempo), np.nan)
    known = np.isfinite(key) & (key >= 0) & (key <= 11)
    pitch = np.where(known, np.round(key), 0).astype(np.int64)
    modes = np.where((mode == 0) | (mode == 1), mode, 2).astype(np.int64)   # 2: unknown
    # a minor key sits with its relative major, three semitones up; fifths are 7 semitones apart
    wheel = (7 * (pitch + 3 * (modes == 0))) % 12
    code = np.where(known, wheel * 3 + modes, _NO_KEY).astype(np.int16)
    loudness = np.where(np.isfinite(loudness), loudness, np.nan)
    return [log_tempo.astype(np.float32), code, loudness.astype(np.float32)]


_NO_KEY = 36      # key codes: 3 × place on the wheel + mode (0 minor, 1 major, 2 unknown); 36 none


@functools.lru_cache(maxsize=8)
def _key_table(w: FlowWeights) -> np.ndarray:
    """Weighted key cost between every two key codes, [shape=(37 * 37,)]."""
    code = np.arange(_NO_KEY + 1)
    wheel, modes = code // 3, code % 3
    steps = np.abs(wheel[:, None] - wheel[None, :])
    steps = np.minimum(steps, 12 - steps).astype(np.float64)
    unsure = (modes[:, None] == 2) | (modes[None, :] == 2)
    steps += np.where(unsure, 0.5, modes[:, None] != modes[None, :])
    cost = np.minimum(steps / w.key_scale, 1.0)
    none = (code[:, None] == _NO_KEY) | (code[None, :] == _NO_KEY)
    cost = np.where(none, w.unknown, cost)
    return (w.key * cost).astype(np.float32).reshape(-1)


def _pair_cost(a: list[np.ndarray], b: list[np.ndarray], w: FlowWeights) -> np.ndarray:
    """The cost between prepared features `a` and `b` (broadcast), float32, computed in place."""
    total = np.subtract(a[0], b[0])                          # tempo, in octaves
    np.abs(total, out=total)
    octaves = np.rint(total)
    octaves -= total
    np.abs(octaves, out=octaves)
    octaves += np.float32(w.half_double)
    np.minimum(total, octaves, out=total)
    total *= np.float32(w.tempo / w.tempo_scale)
    np.minimum(total, np.float32(w.tempo), out=total)
    _unknown(total, a[0], b[0], w.tempo * w.unknown)
    loud = np.subtract(a[2], b[2], out=octaves)
    np.abs(loud, out=loud)
    loud *= np.float32(w.loudness / w.loudness_scale)
    np.minimum(loud, np.float32(w.loudness), out=loud)
    _unknown(loud, a[2], b[2], w.loudness * w.unknown)
    total += loud
    codes = np.multiply(a[1], _NO_KEY + 1, dtype=np.intp)
    codes = np.add(codes, b[1], out=np.empty(total.shape, dtype=np.intp))
    total += _key_table(w).take(codes, out=loud, mode="clip")
    return total


def _unknown(part: np.ndarray, a: np.ndarray, b: np.ndarray, value: float) -> None:
    """Set the pairs whose feature is NaN on either side to `value` (checked on the small inputs)."""
    if np.isnan(a).any() or np.isnan(b).any():
        np.copyto(part, np.float32(value), where=np.isnan(part))


def _pair_matrix(feats: list[np.ndarray], w: FlowWeights) -> np.ndarray:
    """(B, K, K) cost between every two places of each list."""
    return _pair_cost([f[:, :, None] for f in feats], [f[:, None, :] for f in feats], w)


def _lengths(lengths, B: int, K: int) -> np.ndarray:
    if lengths is None:
        return np.full(B, K, dtype=np.int64)
    n = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if n.shape != (B,) or np.any((n < 0) | (n > K)):
        raise ParameterError(f"lengths must hold one value in [0, {K}] per list ({B} lists). "
                             f"Got {np.asarray(lengths)!r} instead.")
    return n


# --- the order ----------------------------------------------------------------------------------

def _order(cost: np.ndarray, n: np.ndarray, first: np.ndarray, passes: int, tol: float) -> np.ndarray:
    B, K = n.shape[0], cost.shape[1]
    place = np.arange(K)
    first = np.where(n > 0, first, 0)
    # the input order with `first` moved to the top; padding keeps its places
    given = np.where(place == 0, first[:, None],
                     np.where(place <= first[:, None], place - 1, place))
    greedy = _greedy(cost, n, first)
    # one more place, K, for "after the last track": every cost to it is 0
    padded = np.zeros((B, K + 1, K + 1), dtype=np.float32)
    padded[:, :K, :K] = cost
    path = _Paths(padded.reshape(-1), n, K)
    cheaper = path.total(greedy) <= path.total(given)
    return _two_opt(path, np.where(cheaper[:, None], greedy, given), passes, tol)


def _greedy(cost: np.ndarray, n: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Nearest neighbour from `first`, every row at once; ties go to the earlier place."""
    B, K = n.shape[0], cost.shape[1]
    rows = np.arange(B)
    order = np.broadcast_to(np.arange(K), (B, K)).copy()
    order[:, 0] = first
    taken = np.arange(K)[None, :] >= n[:, None]
    taken[rows, first] = True
    current = first.copy()
    for step in range(1, K):
        live = step < n
        if not live.any():
            break
        nearest = np.argmin(np.where(taken, np.inf, cost[rows, current]), axis=1)
        order[live, step] = nearest[live]
        taken[rows[live], nearest[live]] = True
        current = np.where(live, nearest, current)
    return order


class _Paths:
    """Lists as paths over a flat (B, K+1, K+1) cost whose place K is the end of every path."""

    def __init__(self, flat: np.ndarray, n: np.ndarray, K: int):
        self.flat, self.n, self.K = flat, n, K
        self.base = np.arange(len(n)) * (K + 1) ** 2

    def after(self, order: np.ndarray, n: np.ndarray) -> np.ndarray:
        """The next place of each place (K after a list's last track), for (K, B) `order`."""
        nxt = np.empty_like(order)
        nxt[:-1] = order[1:]
        return np.where(np.arange(len(order))[:, None] < n[None, :] - 1, nxt, self.K)

    def edges(self, start: np.ndarray, order: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, B) next places and the cost of each step to them, from `start` = flat rows of `order`."""
        nxt = self.after(order, n)
        return nxt, self.flat.take(start + nxt, mode="clip")

    def total(self, order: np.ndarray) -> np.ndarray:
        """(B,) cost of each list in (B, K) `order`."""
        order = order.T
        _, steps = self.edges(self.base + order * (self.K + 1), order, self.n)
        return steps.sum(axis=0, dtype=np.float64)


def _two_opt(path: _Paths, order: np.ndarray, passes: int, tol: float) -> np.ndarray:
    """Sweep place i = 1 … K-2; in every row, reverse order[i..j] for the j that lowers the path
    most. Rows that found nothing in a whole sweep are at a 2-opt optimum and leave the next.
    Works on (K, rows) arrays: the per-list reductions then run along contiguous memory."""
    K, K1 = order.shape[1], path.K + 1
    place = np.arange(K)[:, None]
    active = np.flatnonzero(path.n >= 3)
    for _ in range(passes):
        if active.size == 0:
            break
        o = np.ascontiguousarray(order[active].T)
        base, m = path.base[active], path.n[active]
        start = base + o * K1                                 # flat row of the track at each place
        nxt, e = path.edges(start, o, m)
        outside = np.where(place < m, np.float32(0), np.float32(np.inf))
        moved = np.zeros(active.size, dtype=bool)
        for i in range(1, K - 1):
            # reversing i..j swaps steps (i-1 → i), (j → j+1) for (i-1 → j), (i → j+1)
            delta = path.flat.take(start[i - 1] + o, mode="clip")
            delta += path.flat.take(start[i] + nxt, mode="clip")
            delta -= e
            delta -= e[i - 1]
            delta += outside
            delta[:i + 1] = np.inf
            r = np.flatnonzero(delta.min(axis=0) < -tol)
            if r.size == 0:
                continue
            j = np.argmin(delta[:, r], axis=0)
            span = (place >= i) & (place <= j)
            o[:, r] = np.take_along_axis(o[:, r], np.where(span, i + j - place, place), axis=0)
            start[:, r] = base[r] + o[:, r] * K1
            nxt[:, r], e[:, r] = path.edges(start[:, r], o[:, r], m[r])
            moved[r] = True
        order[active] = o.T
        active = active[moved]
    return order

"""Train/test splits: by time where the events have timestamps, else a seeded per-user hold-out.

A split keeps the training data as *signal sums* (`Interactions`: one ``s`` per (user, item), see
`tastemaker.signals`), not as confidence, so the search can try other ``alpha``/``epsilon``/scheme
values on the same split; `Split.train_matrix(weights)` turns it into the confidence matrix the
models learn from. The test side is a binary (n_users, n_items) matrix; only ``Split.users`` (the
users with at least one test item) are evaluated.

* `time_split` — what Discover Weekly is for: train on the events before the last full ISO week
  (Monday 00:00 UTC; a week is full when the events reach its Sunday), test on the tracks each
  user plays in that week (a full play, not a skip) and had never interacted with before.
* `holdout_split` — users with at least ``min_items`` positive items give a seeded ``fraction``
  of them (at least one) to the test; negatives (disliked tracks) always stay in train.
* `validation_split` — the same rule applied again to a split's train: the week before the test
  week, or a hold-out of the train with the next seed. Parameters are chosen on it.
* `cold_item_split` — the hook for cold-start evaluations (audio and text models): a seeded share
  of the *items* leaves training altogether and lists rank those items only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..config import SignalWeights
from ..errors import InputError, ParameterError, check_param
from ..engine import Engine
from ..matrix import signal_sums
from ..signals import confidence_matrix

SPLIT_KINDS = ("auto", "time", "holdout")


@dataclass(frozen=True, eq=False)
class Interactions:
    """One signal sum ``s`` per (user, item) pair heard, sorted by (user, item), no duplicates.

    ``s > 0`` is preference 1, ``s <= 0`` preference 0 (the pair still counts as heard).
    """

    users: np.ndarray      # int32
    items: np.ndarray      # int32
    signal: np.ndarray     # float64
    shape: tuple[int, int]

    @classmethod
    def build(cls, users, items, signal, shape) -> "Interactions":
        """Validate and sort raw triples; a repeated (user, item) pair is an error."""
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        signal = np.asarray(signal, dtype=np.float64)
        if not users.shape == items.shape == signal.shape or users.ndim != 1:
            raise ParameterError(f"users, items and signal must be 1-D of one length; got "
                                 f"{users.shape}, {items.shape}, {signal.shape}")
        n_users, n_items = int(shape[0]), int(shape[1])
        if users.size and (users.min() < 0 or users.max() >= n_users
                           or items.min() < 0 or items.max() >= n_items):
            raise ParameterError(f"user ids must be in [0, {n_users}) and item ids in [0, {n_items}); "
                                 f"got users {users.min()}..{users.max()}, items {items.min()}..{items.max()}")
        order = np.lexsort((items, users))
        users, items, signal = users[order], items[order], signal[order]
        if users.size > 1:
            dup = (users[1:] == users[:-1]) & (items[1:] == items[:-1])
            if dup.any():
                i = int(np.argmax(dup))
                raise ParameterError(f"each (user, item) pair must appear once; got ({users[i]}, "
                                     f"{items[i]}) {int(dup.sum()) + 1}+ times")
        return cls(users.astype(np.int32), items.astype(np.int32), signal, (n_users, n_items))

    @classmethod
    def from_matrix(cls, matrix: sp.spmatrix) -> "Interactions":
        """From a sparse (users, items) matrix of signal sums (stored zeros count as heard)."""
        coo = sp.coo_matrix(matrix)
        coo.sum_duplicates()
        return cls.build(coo.row, coo.col, coo.data, coo.shape)

    @classmethod
    def from_engine(cls, engine: Engine, weights: SignalWeights, *, until: str | None = None,
                    since: str | None = None, shape: tuple[int, int] | None = None) -> "Interactions":
        """The signal sums of the events in [since, until) (every event when both are None)."""
        users, items, s = signal_sums(engine, weights, until=until, since=since)
        return cls.build(users, items, s, shape or engine.dimensions())

    def __len__(self) -> int:
        return int(self.users.size)

    def take(self, mask: np.ndarray) -> "Interactions":
        return Interactions(self.users[mask], self.items[mask], self.signal[mask], self.shape)

    def confidence(self, weights: SignalWeights) -> sp.csr_matrix:
        """The signed confidence matrix of `tastemaker.signals.confidence_matrix`."""
        m = confidence_matrix(self.users, self.items, self.signal, self.shape, weights)
        m.sort_indices()
        return m

    def pattern(self) -> sp.csr_matrix:
        """1.0 at every pair heard (the pairs lists must not repeat)."""
        return sp.csr_matrix((np.ones(len(self), np.float32), (self.users, self.items)),
                             shape=self.shape)

    def positives_per_user(self) -> np.ndarray:
        return np.bincount(self.users[self.signal > 0], minlength=self.shape[0])


@dataclass(eq=False)
class Split:
    """Training interactions, test pairs, the users evaluated, and what the report shows."""

    kind: str                                    # time | holdout | cold-items
    train: Interactions
    test: sp.csr_matrix                          # (n_users, n_items), 1.0 per test pair
    users: np.ndarray                            # users evaluated: a test item each, sorted
    info: dict = field(default_factory=dict)     # week, seed, fraction, counts...
    filter_items: np.ndarray | None = None       # items no list may hold (cold-item splits)
    item_artists: np.ndarray | None = None       # artist of each item, for diversity (-1 unknown)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.train.shape

    def train_matrix(self, weights: SignalWeights) -> sp.csr_matrix:
        """The confidence matrix models are fitted on (the last few are cached, by weights)."""
        matrices = self._cache.setdefault("matrices", {})
        if weights not in matrices:
            while len(matrices) >= 4:
                matrices.pop(next(iter(matrices)))
            matrices[weights] = self.train.confidence(weights)
        return matrices[weights]

    def catalogue(self) -> dict:
        """What the beyond-accuracy metrics need from train: the number of candidate items,
        users per item (positive pairs), users with a positive pair, each item's artist."""
        if "catalogue" not in self._cache:
            pos = self.train.signal > 0
            self._cache["catalogue"] = {
                "n_items": self.shape[1] - (0 if self.filter_items is None else len(self.filter_items)),
                "popularity": np.bincount(self.train.items[pos], minlength=self.shape[1]),
                "n_users": max(1, int(np.unique(self.train.users[pos]).size)),
                "item_artists": self.item_artists,
            }
        return self._cache["catalogue"]

    def describe(self) -> dict:
        """A JSON-ready summary for reports."""
        n_test = self.test[self.users].nnz if len(self.users) else 0
        return {"kind": self.kind, "users": int(self.shape[0]), "items": int(self.shape[1]),
                "users_evaluated": int(len(self.users)), "train_pairs": len(self.train),
                "test_pairs": int(n_test),
                "candidate_items": int(self.shape[1] - (0 if self.filter_items is None
                                                        else len(self.filter_items))),
                **self.info}


def _binary(users, items, shape) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(users), np.float32), (users, items)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def _evaluated(test: sp.csr_matrix) -> np.ndarray:
    return np.flatnonzero(np.diff(test.indptr) > 0).astype(np.int64)


# -- hold-out ------------------------------------------------------------------------------------
def holdout_split(data: Interactions | sp.spmatrix, *, fraction: float = 0.2, min_items: int = 5,
                  seed: int = 42) -> Split:
    """Seeded per-user hold-out of ``fraction`` of each eligible user's positive items.

    Users with at least ``min_items`` positive items give ``max(1, round(fraction · n))`` of them,
    chosen at random with ``seed``, to the test; the others are not evaluated and keep all their
    data in train. Same data and seed → same split.
    """
    check_param("holdout_split", "fraction", fraction, low=1e-9, high=1 - 1e-9, kind=(int, float))
    check_param("holdout_split", "min_items", min_items, low=2, kind=int)
    check_param("holdout_split", "seed", seed, low=0, kind=int)
    data = data if isinstance(data, Interactions) else Interactions.from_matrix(data)
    n_pos = data.positives_per_user()
    n_test = np.where(n_pos >= min_items, np.maximum(1, np.floor(fraction * n_pos + 0.5)), 0)

    pos = np.flatnonzero(data.signal > 0)
    keys = np.random.default_rng(seed).random(pos.size)
    users = data.users[pos]
    order = np.lexsort((keys, users))              # by user, then a random key
    starts = np.concatenate([[0], np.cumsum(n_pos)])[users[order]]
    rank = np.arange(order.size) - starts
    chosen = pos[order[rank < n_test[users[order]]]]

    is_test = np.zeros(len(data), dtype=bool)
    is_test[chosen] = True
    test = _binary(data.users[is_test], data.items[is_test], data.shape)
    info = {"fraction": fraction, "min_items": min_items, "seed": seed}
    return Split("holdout", data.take(~is_test), test, _evaluated(test), info)


# -- time ----------------------------------------------------------------------------------------
def _ts(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def last_full_week(engine: Engine) -> dt.datetime | None:
    """Monday 00:00 (UTC) of the last ISO week the events cover up to its Sunday; None without
    timestamps. When the last event falls before Sunday, that week is partial: the one before it."""
    _, last = engine.event_span()
    if last is None:
        return None
    monday = dt.datetime.combine(last.date() - dt.timedelta(days=last.weekday()), dt.time())
    return monday if last.weekday() == 6 else monday - dt.timedelta(days=7)


def time_split(engine: Engine, weights: SignalWeights, *, week_start: dt.datetime | None = None,
               min_train_items: int = 1, item_artists: np.ndarray | None = None) -> Split:
    """Train on the events before ``week_start`` (default: `last_full_week`), test on the tracks
    each user fully plays in the 7 days from it and had not interacted with before.

    Users with fewer than ``min_train_items`` positive training items or no test item are not
    evaluated. Events without a timestamp take no part.
    """
    week_start = week_start or last_full_week(engine)
    if week_start is None:
        raise InputError("A time split needs events with timestamps; these have none "
                         "(use the hold-out split: --split holdout)")
    week_start = dt.datetime.combine(week_start.date(), dt.time()) if isinstance(
        week_start, dt.datetime) else dt.datetime.combine(week_start, dt.time())
    if week_start.weekday() != 0:
        raise ParameterError(f"week_start must be a Monday; got {week_start:%A %Y-%m-%d}")
    week_end = week_start + dt.timedelta(days=7)
    first, _ = engine.event_span()
    if first is None or first >= week_start:
        raise InputError(f"A time split on the week of {week_start:%Y-%m-%d} needs events before "
                         f"it to train on; the first event is at {first}")
    shape = engine.dimensions()
    train = Interactions.from_engine(engine, weights, until=_ts(week_start), shape=shape)
    played = _binary(*engine.new_plays(weights.min_play_ms, since=_ts(week_start), until=_ts(week_end)), shape)
    heard = train.pattern()
    test = played - played.multiply(heard)
    test.eliminate_zeros()
    keep = (train.positives_per_user() >= min_train_items).astype(np.float32)
    test = sp.csr_matrix(sp.diags(keep) @ test)
    test.eliminate_zeros()
    new_items = np.setdiff1d(test.indices, train.items)
    info = {"week": f"{week_start.isocalendar().year}-W{week_start.isocalendar().week:02d}",
            "week_start": week_start.isoformat(), "week_end": week_end.isoformat(),
            "week_plays": int(played.nnz), "test_items_unseen_in_train": int(new_items.size),
            "events_without_ts": engine.untimed_events(),
            "min_train_items": min_train_items}
    return Split("time", train, test, _evaluated(test), info, item_artists=item_artists)


# -- choosing, validation, cold items ------------------------------------------------------------
def catalogue_artists(engine: Engine) -> np.ndarray:
    """The artist_idx of every track_idx (-1 where unknown), for the diversity metric."""
    _, n_items = engine.dimensions()
    cols = engine.track_catalogue()
    out = np.full(n_items, -1, dtype=np.int64)
    out[cols["track_idx"]] = cols["artist_idx"]
    return out


def warehouse_split(engine: Engine, weights: SignalWeights, *, kind: str = "auto",
                    seed: int = 42, fraction: float = 0.2, min_items: int = 5) -> Split:
    """The split `tastemaker evaluate` uses: ``auto`` is by time when the events carry timestamps
    and a full week has training data before it, else the hold-out."""
    check_param("warehouse_split", "kind", kind, choices=set(SPLIT_KINDS))
    artists = catalogue_artists(engine)
    if kind == "auto":
        week = last_full_week(engine)
        first, _ = engine.event_span()
        kind = "time" if week is not None and first is not None and first < week else "holdout"
    if kind == "time":
        return time_split(engine, weights, item_artists=artists)
    split = holdout_split(Interactions.from_engine(engine, weights), fraction=fraction,
                          min_items=min_items, seed=seed)
    split.item_artists = artists
    return split


def validation_split(split: Split, *, engine: Engine | None = None,
                     weights: SignalWeights | None = None) -> Split:
    """A split cut from ``split.train`` by the same rule (the previous week, or a hold-out with
    seed + 1), on which parameters are chosen; the test data is never seen."""
    if split.kind == "time":
        if engine is None or weights is None:
            raise ParameterError("validation_split of a time split needs the engine and weights")
        before = dt.datetime.fromisoformat(split.info["week_start"]) - dt.timedelta(days=7)
        val = time_split(engine, weights, week_start=before, item_artists=split.item_artists,
                         min_train_items=split.info.get("min_train_items", 1))
    elif split.kind == "holdout":
        val = holdout_split(split.train, fraction=split.info["fraction"],
                            min_items=split.info["min_items"], seed=split.info["seed"] + 1)
        val.item_artists = split.item_artists
    else:
        raise ParameterError(f"validation_split supports time and holdout splits; got {split.kind!r}")
    if not len(val.users):
        raise InputError(f"The validation split of this {split.kind} split has no user to evaluate "
                         f"(too little data before the test); evaluate without the search")
    return val


def cold_item_split(data: Interactions | sp.spmatrix, *, fraction: float = 0.2, seed: int = 42,
                    item_artists: np.ndarray | None = None) -> Split:
    """Hold out a seeded ``fraction`` of the items with positive interactions: they leave the
    training data entirely, and each user's lists rank these cold items only (``filter_items``
    holds the warm ones). Collaborative models cannot score such items; this split is for the
    audio and text models that place new tracks, which the runner evaluates like any other."""
    check_param("cold_item_split", "fraction", fraction, low=1e-9, high=1 - 1e-9, kind=(int, float))
    data = data if isinstance(data, Interactions) else Interactions.from_matrix(data)
    liked = np.unique(data.items[data.signal > 0])
    rng = np.random.default_rng(seed)
    n_cold = max(1, int(np.floor(fraction * liked.size + 0.5)))
    cold = np.sort(rng.choice(liked, size=n_cold, replace=False))
    is_cold = np.isin(data.items, cold)
    train = data.take(~is_cold)
    has_train = train.positives_per_user() > 0
    mask = is_cold & (data.signal > 0) & has_train[data.users]
    test = _binary(data.users[mask], data.items[mask], data.shape)
    warm = np.setdiff1d(np.arange(data.shape[1]), cold)
    info = {"fraction": fraction, "seed": seed, "cold_items": int(cold.size)}
    return Split("cold-items", train, test, _evaluated(test), info, filter_items=warm,
                 item_artists=item_artists)


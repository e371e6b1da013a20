"""The `Recommender` contract as a check that any model can be put through.

    >>> from tastemaker.testing import check_recommender, tiny_world
    >>> check_recommender(lambda world: ALS(factors=4, iterations=5))

`tiny_world` is data whose right answer is obvious: two groups of listeners, each playing only
the tracks of its own four artists, every listener with several of their group's tracks still
unheard. `check_recommender` fits fresh models from a factory (a function of the world) and
asserts what every model must do, whatever it is:

* shapes: ``recommend`` gives (B, N) ids and scores for a batch and 1-D ones for a single user;
* padding: when fewer than N tracks are left, the row ends in id -1 with score -inf, and the
  valid scores never increase along a row;
* never a heard track, never a track in ``filter_items``;
* single = batch: a user asked alone gets the row it gets in a batch;
* determinism: two models made by the factory and fitted on the same data give the same lists;
* and, for a model that learns from the listening (``learns=True``), the obvious answer: its
  first recommendation to a listener is a track of their own group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp

from .models.base import Recommender

__all__ = ["TinyWorld", "tiny_world", "check_recommender"]


@dataclass(frozen=True, eq=False)
class TinyWorld:
    user_items: sp.csr_matrix          # (n_users, n_items) positive confidence
    artist_of: np.ndarray              # (n_items,) artist of each track
    group_of_item: np.ndarray          # (n_items,) 0 or 1
    group_of_user: np.ndarray          # (n_users,) 0 or 1
    text: sp.csr_matrix                # (n_artists, n_artists) artists of one group are near each other
    sound: dict                        # track_idx -> (n_mels, frames) a spectrogram-like array per track


def tiny_world(*, users_per_group: int = 20, artists_per_group: int = 4, tracks_per_artist: int = 4,
               plays_per_user: int = 7, seed: int = 0) -> TinyWorld:
    """Two groups of listeners with separate tastes (see the module docstring); seeded."""
    rng = np.random.default_rng(seed)
    n_artists = 2 * artists_per_group
    n_items = n_artists * tracks_per_artist
    artist_of = np.repeat(np.arange(n_artists), tracks_per_artist)
    group_of_item = (artist_of >= artists_per_group).astype(np.int64)
    group_of_user = np.repeat([0, 1], users_per_group)
    rows, cols, vals = [], [], []
    for u, g in enumerate(group_of_user):
        mine = np.flatnonzero(group_of_item == g)
        # popular tracks of the group come up more often (a listener's history is not uniform)
        p = np.linspace(2.0, 1.0, len(mine))
        chosen = rng.choice(mine, size=plays_per_user, replace=False, p=p / p.sum())
        rows += [u] * plays_per_user
        cols += chosen.tolist()
        vals += (1 + rng.integers(1, 6, size=plays_per_user)).tolist()
    user_items = sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(len(group_of_user), n_items))
    same = (np.arange(n_artists)[:, None] >= artists_per_group) == (np.arange(n_artists)[None, :] >= artists_per_group)
    text = sp.csr_matrix(np.where(same & ~np.eye(n_artists, dtype=bool), 0.5, 0.0).astype(np.float32))
    sound = {}
    for t in range(n_items):
        spec = rng.normal(-40, 3, size=(16, 64)).astype(np.float32)
        band = slice(0, 8) if group_of_item[t] == 0 else slice(8, 16)   # each group sounds in its own band
        spec[band] += 20
        sound[t] = spec
    return TinyWorld(user_items, artist_of, group_of_item, group_of_user, text, sound)


def check_recommender(make: Callable[[TinyWorld], Recommender], *, world: TinyWorld | None = None,
                      N: int = 10, learns: bool = True) -> Recommender:
    """Fit two models made by ``make(world)`` and check the contract (module docstring) on both;
    returns the first, fitted. Raises AssertionError naming what failed."""
    world = world or tiny_world()
    m = world.user_items
    model = make(world)
    name = type(model).__name__
    assert model.fit(m) is model, f"{name}.fit must return self"
    assert model.is_fitted, f"{name} is not fitted after fit()"
    users = np.arange(m.shape[0])
    ids, scores = model.recommend(users, m[users], N=N)
    ids, scores = np.asarray(ids), np.asarray(scores)
    assert ids.shape == (len(users), N) and scores.shape == ids.shape, \
        f"{name}.recommend of {len(users)} users must give ({len(users)}, {N}) ids and scores; got {ids.shape}, {scores.shape}"
    valid = ids >= 0
    assert np.all(ids < m.shape[1]), f"{name} recommended an item id out of range"
    assert not np.any(valid[:, 1:] & ~valid[:, :-1]), f"{name}: padding (-1) must come after the valid ids"
    assert np.all(np.isneginf(scores[~valid])), f"{name}: padded places must score -inf"
    assert np.all(np.isfinite(scores[valid])), f"{name}: a recommended item must have a finite score"
    s = np.where(valid, scores, -np.inf)
    assert np.all(np.diff(s, axis=1)[valid[:, 1:]] <= 1e-6), f"{name}: scores must not increase along a list"
    heard = m[users].toarray() != 0
    assert not heard[np.nonzero(valid)[0], ids[valid]].any(), f"{name} recommended an item the user heard"
    for row in ids:
        assert len(set(row[row >= 0].tolist())) == int((row >= 0).sum()), f"{name} listed an item twice"
    # more than is left: the rows are padded
    many, _ = model.recommend(users[:3], m[users[:3]], N=m.shape[1] + 5)
    assert np.asarray(many).shape == (3, m.shape[1] + 5) and (np.asarray(many)[:, -5:] == -1).all(), \
        f"{name}: asked for more items than exist, the lists must end in -1"
    # filter_items
    banned = np.flatnonzero(world.group_of_item == 0)[:3]
    got, _ = model.recommend(users[:5], m[users[:5]], N=N, filter_items=banned)
    assert not np.isin(np.asarray(got), banned).any(), f"{name} recommended an item of filter_items"
    # single = batch
    for u in (0, len(users) - 1):
        one, one_scores = model.recommend(int(u), m[[u]], N=N)
        assert np.asarray(one).shape == (N,), f"{name}.recommend of one user must give 1-D ids"
        np.testing.assert_array_equal(one, ids[u], err_msg=f"{name}: user {u} alone differs from the batch")
        np.testing.assert_allclose(one_scores[ids[u] >= 0], scores[u][ids[u] >= 0], rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name}: user {u}'s scores alone differ from the batch")
    # determinism
    again = make(world).fit(m)
    ids2, _ = again.recommend(users, m[users], N=N)
    np.testing.assert_array_equal(ids2, ids, err_msg=f"{name}: the same data gave other lists (seed?)")
    if learns:
        first = ids[:, 0]
        own = (first >= 0) & (world.group_of_item[np.maximum(first, 0)] == world.group_of_user)
        assert own.mean() >= 0.9, f"{name}: only {own.mean():.0%} of first recommendations are of the listener's group"
    return model

"""The text model as a recommender: tracks whose artists people write about the way they write
about the user's artists.

    >>> model = TextRecommender(text_model.neighbour_matrix(50), artist_of).fit(train)
    >>> ids, scores = model.recommend(users, train[users], N=30)

A user's profile is their ``profile_artists`` most-loved artists, weighted by confidence (the
weights sum to 1); a track's score is Σₐ w(u, a) · sim(a, artist of the track) over them, with
the text model's shrunk cosine neighbours as sim (the same score as the blend's text source).
Tracks of artists no profile artist is near get no score and are not recommended.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError, check_param
from ..kernels import group_sums, top_groups
from ..models.base import Recommender, check_user_items


class TextRecommender(Recommender):
    """``neighbours`` (n_artists, n_artists) sparse text similarities; ``artist_of`` (n_items,)
    the artist of each track (-1 unknown); ``profile_artists``: artists per user profile."""

    name = "text"

    def __init__(self, neighbours: sp.csr_matrix, artist_of: np.ndarray, profile_artists: int = 10):
        self.neighbours = neighbours
        self.artist_of = artist_of
        self.profile_artists = profile_artists

    def get_params(self) -> dict:
        return {"profile_artists": self.profile_artists}

    def fit(self, user_items: sp.csr_matrix) -> "TextRecommender":
        check_param("TextRecommender", "profile_artists", self.profile_artists, low=1, kind=int)
        user_items = check_user_items(user_items, "TextRecommender")
        artist_of = np.asarray(self.artist_of, dtype=np.int64)
        if len(artist_of) != user_items.shape[1]:
            raise ParameterError(f"TextRecommender needs one artist per item ({user_items.shape[1]}); "
                                 f"got {len(artist_of)}")
        T = sp.csr_matrix(self.neighbours, dtype=np.float32)
        if T.shape[0] != T.shape[1] or artist_of.max(initial=-1) >= T.shape[0]:
            raise ParameterError(f"The neighbour matrix must be square over every artist of the items; "
                                 f"got {T.shape} for artists up to {artist_of.max(initial=-1)}")
        self.neighbours_ = T
        self.item_artists_ = artist_of
        return self

    def _score(self, userids, user_items):
        prof, w = top_groups(group_sums(user_items, self.item_artists_, self.neighbours_.shape[0]),
                             self.profile_artists)
        r, c = np.nonzero(prof >= 0)
        W = sp.csr_matrix((w[r, c], (r, prof[r, c])), shape=(len(userids), self.neighbours_.shape[0]))
        by_artist = np.asarray((W @ self.neighbours_).todense(), dtype=np.float32)
        scores = np.where(self.item_artists_ >= 0, by_artist[:, np.maximum(self.item_artists_, 0)], 0)
        return np.where(scores > 0, scores, -np.inf).astype(np.float32)

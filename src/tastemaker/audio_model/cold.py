"""The audio model as a recommender for cold tracks: ALS on the warm matrix, the network trained
on its item vectors, every track with audio scored by user vector · predicted vector.

    >>> model = AudioCold(specs, plays, params=settings.audio_model, als=settings.als).fit(train)
    >>> ids, scores = model.recommend(users, train[users], N=30)

Used by the cold-start evaluation (`tastemaker.audio_model.evaluate`) and by the blend when it
fits its models on a time split (`tastemaker.blend.prepare.split_context`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from ..config import ALSParams, AudioModelParams
from ..kernels import unit_rows
from ..models.als import ALS
from ..models.base import Recommender
from .model import AudioModel


class AudioCold(Recommender):
    """ALS on the warm matrix + the network trained on its item vectors; scores every item by
    user vector · predicted vector (items without audio score -inf)."""

    name = "audio"

    def __init__(self, specs: dict[int, np.ndarray], plays: np.ndarray, *,
                 params: AudioModelParams | None = None, als: ALSParams | None = None,
                 collaborative: ALS | None = None):
        self.specs, self.plays = specs, plays
        self.params, self.als = params or AudioModelParams(), als or ALSParams()
        self._collaborative = collaborative      # the unfitted ALS to use (default: `implicit`'s, of `als`)

    def get_params(self) -> dict:
        return {"audio": dataclasses.asdict(self.params), "als": dataclasses.asdict(self.als)}

    def fit(self, user_items: sp.csr_matrix) -> "AudioCold":
        cf = (self._collaborative or ALS.from_params(self.als)).fit(user_items)
        items = cf.item_factors_
        with_audio = np.array(sorted(self.specs), dtype=np.int64)
        warm = with_audio[(with_audio < len(items)) & (self.plays[with_audio] >= self.params.min_plays)]
        warm = warm[np.abs(items[warm]).sum(axis=1) > 0]
        self.model_ = AudioModel(self.params).fit([self.specs[i] for i in warm], unit_rows(items[warm]))
        predicted, _ = self.model_.predict([self.specs[i] for i in with_audio])
        self.item_vectors_ = np.zeros((user_items.shape[1], items.shape[1]), dtype=np.float32)
        self.item_vectors_[with_audio] = predicted
        self.has_audio_ = np.zeros(user_items.shape[1], dtype=bool)
        self.has_audio_[with_audio] = True
        self.user_factors_ = cf.user_factors_
        self.cf_ = cf
        return self

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(user vectors, predicted item vectors; zero rows for tracks without audio)."""
        self._check_fitted()
        return self.user_factors_, self.item_vectors_

    def _score(self, userids, user_items):
        s = self.user_factors_[userids] @ self.item_vectors_.T
        s[:, ~self.has_audio_] = -np.inf
        return s

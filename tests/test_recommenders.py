"""Every model through the same contract (`tastemaker.testing.check_recommender`): the baselines,
ALS, the text and audio models, and the blend with fixed weights and with its learned ranker."""

import dataclasses

import numpy as np
import pytest

from tastemaker.audio_model.cold import AudioCold
from tastemaker.blend import Blend, LearnedRanker, TrackFacts
from tastemaker.blend.train import training_data
from tastemaker.config import ALSParams, AudioModelParams, BlendParams, Settings, WeeklyParams
from tastemaker.evaluate import holdout_split
from tastemaker.models.als import ALS
from tastemaker.models.baselines import BPR, ItemKNN, Popularity
from tastemaker.testing import check_recommender, tiny_world
from tastemaker.text.recommender import TextRecommender

TINY_ALS = ALSParams(factors=4, regularization=0.1, iterations=10, seed=3)
SETTINGS = Settings(home=".", als=TINY_ALS, weekly=WeeklyParams(min_history=1, size=10, candidates=10),
                    blend=BlendParams(popular_candidates=10, text_candidates=6, text_artists=4, trees=20,
                                      rescore=12),
                    audio_model=AudioModelParams(min_plays=1, n_mels=16, channels=8, hidden=16, crop_frames=32,
                                                 batch_size=8, max_epochs=30, patience=30, learning_rate=1e-2,
                                                 validation_share=0.2))


def _als(world=None):
    a = TINY_ALS
    return ALS(factors=a.factors, regularization=a.regularization, iterations=a.iterations, seed=a.seed)


def _audio(world):
    plays = np.asarray((world.user_items > 0).sum(axis=0)).ravel()
    return AudioCold(world.sound, plays, params=SETTINGS.audio_model, als=TINY_ALS)


def _blend(world, scorer=None):
    return Blend(_als(), settings=SETTINGS, scorer=scorer, text=world.text,
                 facts=TrackFacts.from_matrix(world.user_items, world.artist_of))


def _ranker(world) -> LearnedRanker:
    """A ranker trained like `train ranker` does, on a hold-out of the tiny world."""
    split = holdout_split(world.user_items, fraction=0.3, min_items=5, seed=1)
    train = split.train_matrix(SETTINGS.signals.__class__(scheme="linear", alpha=0.0))
    fixed = Blend(_als(), settings=SETTINGS, text=world.text,
                  facts=TrackFacts.from_matrix(train, world.artist_of)).fit(train)
    X, y, _ = training_data(fixed.context_, SETTINGS, split.users, train, split.test)
    return LearnedRanker(dataclasses.replace(SETTINGS.blend)).fit(X, y)


MODELS = {
    "popularity": (lambda w: Popularity(), False),
    "item-kNN": (lambda w: ItemKNN(K=20), True),
    "BPR": (lambda w: BPR(factors=8, iterations=200, learning_rate=0.05, seed=1), True),
    "ALS": (_als, True),
    "text": (lambda w: TextRecommender(w.text, w.artist_of), True),
    "audio cold": (_audio, True),
    "blend, fixed weights": (_blend, True),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_meets_the_recommender_contract(name):
    make, learns = MODELS[name]
    check_recommender(make, learns=learns)


def test_the_blend_with_its_learned_ranker_meets_the_contract():
    world = tiny_world()
    ranker = _ranker(world)
    assert ranker.n_queries_ >= 10
    model = check_recommender(lambda w: _blend(w, scorer=ranker), world=world)
    assert model.scorer.name == "learned"


def test_the_blend_builds_on_any_model_with_vectors():
    """BPR, not ALS, as the blend's collaborative model."""
    make = lambda w: Blend(BPR(factors=8, iterations=200, learning_rate=0.05, seed=1), settings=SETTINGS,  # noqa: E731
                           text=w.text, facts=TrackFacts.from_matrix(w.user_items, w.artist_of))
    model = check_recommender(make)
    assert model.context_.U.shape[1] == 9        # BPR's vectors carry the item bias as one more factor


def test_the_check_catches_a_model_that_breaks_the_contract():
    class Careless(Popularity):
        def recommend(self, userids, user_items, N=30, **kw):   # forgets what the user heard
            ids, scores = super().recommend(userids, user_items, N, filter_already_liked_items=False)
            return ids, scores

    with pytest.raises(AssertionError, match="heard"):
        check_recommender(lambda w: Careless(), learns=False)

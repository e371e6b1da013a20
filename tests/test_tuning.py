"""ALS's factors, regularisation and confidence scale chosen on a validation split of the home's
own events (`train.tune_als`), and the confidence scale itself (`models.als.scale_confidence`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.config import ALSParams, load_settings
from tastemaker.datasets import load_dataset
from tastemaker.engine import DuckDBEngine
from tastemaker.errors import ParameterError
from tastemaker.ingest import ingest_catalog, ingest_events
from tastemaker.models import registry
from tastemaker.models.als import ALS, scale_confidence
from tastemaker.models.base import read_params
from tastemaker.train import COLLABORATIVE, TUNED, train_collaborative, tuned_settings

from .conftest import shared_data


def _point(t: dict) -> tuple:
    return tuple(t[k] for k in TUNED)


def test_hetrec_chooses_the_als_that_ranks_its_own_holdout_best(tmp_path):
    folder = shared_data("hetrec2011-lastfm-2k")
    settings = load_settings(tmp_path / "home")
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        load_dataset(engine, "lastfm-hetrec", folder)
        result = train_collaborative(engine, settings)
    tuning = result.manifest["tuning"]
    assert tuning["tuned"] and tuning["split"] == "holdout" and tuning["users"] > 1800
    a = settings.als
    tried = {_point(t): t["score"] for t in tuning["tried"]}
    assert sorted(tried) == sorted((f, r, c) for f in a.tune_factors for r in a.tune_regularization
                                   for c in a.tune_confidence_scale)
    best = max(tried, key=tried.get)
    model = result.model
    assert (model.factors, model.regularization, model.confidence_scale) == best
    assert tuning["score"] == tried[best]
    # the values as set (64 factors, λ 20, scale 1) are not the best on Last.fm: the tuned model
    # ranks its validation users better
    assert tried[best] > tried[(a.factors, a.regularization, a.confidence_scale)] + 0.003
    # the saved model's values are what every refit uses
    refit = tuned_settings(settings).als
    assert (refit.factors, refit.regularization, refit.confidence_scale) == best
    assert read_params(registry.resolve(settings.models_dir, COLLABORATIVE))["confidence_scale"] == best[2]


def test_tuning_off_fixed_or_too_big_keeps_the_values_and_says_why(tiny_world):
    settings = load_settings(tiny_world["home"])
    a = settings.als
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        ingest_catalog(engine, [tiny_world["catalog"]])
        ingest_events(engine, [tiny_world["events"]])
        results = [train_collaborative(engine, settings, params=p) for p in (
            dataclasses.replace(a, tune_factors=(8,)),
            dataclasses.replace(a, tune=False, regularization=3.0, confidence_scale=2.0),
            dataclasses.replace(a, tune_factors=(8,), tune_regularization=(7.0,), tune_confidence_scale=(3.0,)),
            dataclasses.replace(a, tune_max_pairs=10))]
    (tuned, tuned_m), (kept, kept_m), (fixed, fixed_m), (too_big, too_big_m) = (
        (r.manifest["tuning"], r.model) for r in results)
    # the tiny world has timestamps: the validation is its last full week; a grid of one value
    # fixes that value and tunes the others
    assert tuned["tuned"] and tuned["split"] == "time" and len(tuned["tried"]) == 7 * 3
    assert {t["factors"] for t in tuned["tried"]} == {8} and tuned_m.factors == 8
    assert (tuned_m.regularization, tuned_m.confidence_scale) in {
        (r, c) for r in a.tune_regularization for c in a.tune_confidence_scale}
    assert kept == {"tuned": False, "reason": "[als] tune = false"}
    assert (kept_m.factors, kept_m.regularization, kept_m.confidence_scale) == (64, 3.0, 2.0)
    assert fixed == {"tuned": False, "reason": "one value each"}
    assert (fixed_m.factors, fixed_m.regularization, fixed_m.confidence_scale) == (8, 7.0, 3.0)
    assert not too_big["tuned"] and "tune_max_pairs" in too_big["reason"]
    assert (too_big_m.factors, too_big_m.regularization) == (a.factors, a.regularization)
    # the latest model was fitted as set: later refits use what it was fitted with
    latest = read_params(registry.resolve(settings.models_dir, COLLABORATIVE))
    assert tuned_settings(settings).als.regularization == latest["regularization"] == a.regularization


def test_confidence_scale_stretches_only_the_excess_and_keeps_the_preference():
    m = sp.csr_matrix(np.array([[1.0, 3.0, -1.0, -2.5], [0.0, 1.5, 0.0, -1.0]], dtype=np.float32))
    scaled = scale_confidence(m, 4.0)
    assert np.allclose(scaled.toarray(), [[1.0, 9.0, -1.0, -7.0], [0.0, 3.0, 0.0, -1.0]])
    assert np.array_equal(np.sign(scaled.data), np.sign(m.data))
    assert np.allclose(m.toarray()[0], [1.0, 3.0, -1.0, -2.5])            # the input is not changed
    # ALS with scale s fits what ALS with scale 1 fits on the stretched matrix
    rng = np.random.default_rng(0)
    data = sp.random(40, 30, density=0.2, random_state=1, format="csr", dtype=np.float32)
    data.data = 1 + 3 * data.data * np.where(rng.random(data.nnz) < 0.2, -1, 1)
    data.data = np.where(data.data < 0, data.data - 2, data.data)
    a = ALS(factors=4, iterations=5, seed=1, confidence_scale=2.5).fit(data)
    b = ALS(factors=4, iterations=5, seed=1).fit(scale_confidence(data, 2.5))
    assert np.allclose(a.item_factors_, b.item_factors_, atol=1e-5)
    c = ALS(factors=4, iterations=5, seed=1).fit(data)
    assert not np.allclose(a.item_factors_, c.item_factors_, atol=1e-3)
    with pytest.raises(ParameterError, match="confidence_scale"):
        ALS(confidence_scale=-1).fit(data)


def test_tuning_values_are_checked_and_read_from_the_home(tmp_path):
    for name, bad in (("tune_regularization", ()), ("tune_regularization", ("a",)),
                      ("tune_factors", (64, 0)), ("tune_factors", (32.5,)), ("tune_confidence_scale", (-1,)),
                      ("tune_confidence_scale", [True])):
        with pytest.raises(ParameterError, match=name):
            ALSParams(**{name: bad})
    with pytest.raises(ParameterError, match="confidence_scale"):
        ALSParams(confidence_scale=-0.5)
    home = tmp_path / "home"
    home.mkdir()
    (home / "tastemaker.toml").write_text("[als]\ntune_regularization = [1, 2.5]\ntune_factors = [16]\n"
                                          "tune_confidence_scale = [1, 3]\ntune = false\n")
    als = load_settings(home).als
    assert als.tune_regularization == (1.0, 2.5) and als.tune is False
    assert als.tune_factors == (16,) and als.tune_confidence_scale == (1.0, 3.0)

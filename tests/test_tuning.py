"""ALS's regularisation chosen on a validation split of the home's own events (`train.tune_als`)."""

from __future__ import annotations

import dataclasses

import pytest

from tastemaker.config import ALSParams, load_settings
from tastemaker.datasets import load_dataset
from tastemaker.engine import DuckDBEngine
from tastemaker.errors import ParameterError
from tastemaker.ingest import ingest_catalog, ingest_events
from tastemaker.models import registry
from tastemaker.models.base import read_params
from tastemaker.train import COLLABORATIVE, train_collaborative, tuned_settings

from .conftest import shared_data


def test_hetrec_chooses_the_regularisation_that_ranks_its_own_holdout_best(tmp_path):
    folder = shared_data("hetrec2011-lastfm-2k")
    settings = load_settings(tmp_path / "home")
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        load_dataset(engine, "lastfm-hetrec", folder)
        result = train_collaborative(engine, settings)
    m = result.manifest
    tuning = m["tuning"]
    assert tuning["tuned"] and tuning["split"] == "holdout" and tuning["users"] > 1800
    tried = {float(k): v for k, v in tuning["tried"].items()}
    assert sorted(tried) == sorted(settings.als.tune_regularization)
    best = max(tried, key=tried.get)
    assert result.model.regularization == best == pytest.approx(max(tried, key=lambda r: (tried[r], -r)))
    # on Last.fm the default (20) is not the best: the tuned model ranks its validation users better
    assert tried[best] > tried[settings.als.regularization] + 0.003
    assert tuned_settings(settings).als.regularization == best
    assert result.model.regularization == best


def test_tuning_off_or_given_keeps_the_regularisation_and_says_why(tiny_world):
    settings = load_settings(tiny_world["home"])
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        ingest_catalog(engine, [tiny_world["catalog"]])
        ingest_events(engine, [tiny_world["events"]])
        results = [train_collaborative(engine, settings, params=p) for p in (
            settings.als, dataclasses.replace(settings.als, tune=False, regularization=3.0),
            dataclasses.replace(settings.als, tune_max_pairs=10))]
    (tuned, tuned_reg), (kept, kept_reg), (too_big, too_big_reg) = (
        (r.manifest, r.model.regularization) for r in results)
    # the tiny world has timestamps: the validation is its last full week
    assert tuned["tuning"]["tuned"] and tuned["tuning"]["split"] == "time"
    assert tuned_reg in settings.als.tune_regularization
    assert kept["tuning"] == {"tuned": False, "reason": "[als] tune = false"}
    assert kept_reg == 3.0
    assert not too_big["tuning"]["tuned"] and "tune_max_pairs" in too_big["tuning"]["reason"]
    assert too_big_reg == settings.als.regularization
    # the latest model was fitted as set: later refits use what it was fitted with
    latest = read_params(registry.resolve(settings.models_dir, COLLABORATIVE))
    assert tuned_settings(settings).als.regularization == latest["regularization"] == too_big_reg


def test_tuning_values_are_checked_and_read_from_the_home(tmp_path):
    with pytest.raises(ParameterError, match="tune_regularization"):
        ALSParams(tune_regularization=())
    with pytest.raises(ParameterError, match="tune_regularization"):
        ALSParams(tune_regularization=("a",))
    home = tmp_path / "home"
    home.mkdir()
    (home / "tastemaker.toml").write_text("[als]\ntune_regularization = [1, 2.5]\ntune = false\n")
    als = load_settings(home).als
    assert als.tune_regularization == (1.0, 2.5) and als.tune is False

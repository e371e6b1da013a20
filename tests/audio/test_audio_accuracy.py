"""Accuracy on real clips (../shared/data/audio-labelled-clips) and on the synthetic set.

The fast tests analyse four real clips whose answers are known; the full evaluations (the
synthetic set of 72 items, every labelled real clip, and the independent generator's 100
clips) are marked slow.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from .audio_helpers import REAL_CLIPS
from tastemaker.audio import analyse_file, evaluate, synth

needs_clips = pytest.mark.skipif(
    not (REAL_CLIPS / "labels.csv").exists(),
    reason=f"the real labelled clips are not at {REAL_CLIPS} (shared/data/audio-labelled-clips)")


@needs_clips
@pytest.mark.parametrize("clip,tempo,key,meter", [
    ("ballroom/Media-105901.wav", 84.0, None, 3),                 # a waltz
    ("gtzan/audio/reggae.00000.wav", 122.25, (6, 0), 4),          # F# minor
    ("gtzan/audio/rock.00000.wav", 121.93, (2, 0), 4),            # D minor
    ("freesound-mtg/359628__mtg__sax-tenor-d-minor.wav", None, (2, 0), None),
])
def test_real_clips(clip, tempo, key, meter):
    t = analyse_file(REAL_CLIPS / clip)["track"]
    if tempo:
        assert evaluate.tempo_accuracy(t["tempo"], tempo)[0], t["tempo"]
    if key:
        assert (t["key"], t["mode"]) == key
    if meter:
        assert t["time_signature"] == meter


def _evaluate(labels):
    items = evaluate.read_labels(labels)
    docs = {it.path: analyse_file(it.path) for it in items if it.path.exists()}
    return evaluate.score(items, docs)[0]


@pytest.mark.slow
def test_synthetic_set_meets_the_targets(tmp_path):
    summary = _evaluate(synth.make_test_set(tmp_path, n=72, seed=0))
    assert summary["failed"] == 0
    assert summary["tempo_accuracy1"] >= 0.95
    assert summary["key_weighted"] >= 0.90
    assert summary["time_signature_accuracy"] >= 0.85
    assert summary["loudness_max_err_db"] <= 1.0


@needs_clips
@pytest.mark.slow
def test_real_clips_at_least_as_good_as_before():
    summary = _evaluate(REAL_CLIPS / "labels.csv")
    # The Echo Nest 3.2.1 on Ballroom: 0.55 / 0.84; our recorded results in docs/analyser.md
    assert summary["tempo_accuracy1"] >= 0.70
    assert summary["tempo_accuracy2"] >= 0.90
    # 0.73 with the learned profile, which saw these clips; 0.67 held out by genre
    assert summary["key_weighted"] >= 0.65
    assert summary["time_signature_accuracy"] >= 0.85


@pytest.mark.slow
def test_independent_generator_set(tmp_path):
    # benchmarks/groove_clips.py was written without the analyser and frozen before tuning;
    # the thresholds sit a little under the recorded results (docs/analyser.md)
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "groove_clips.py"
    made = subprocess.run([sys.executable, str(script), str(tmp_path), "--seed", "0"],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    summary = _evaluate(tmp_path / "labels.csv")
    assert summary["failed"] == 0
    assert summary["tempo_accuracy1"] >= 0.72
    assert summary["tempo_accuracy2"] >= 0.92
    assert summary["key_weighted"] >= 0.85
    assert summary["time_signature_accuracy"] >= 0.85
    assert summary["beat_f_measure"] >= 0.62

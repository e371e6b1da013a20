"""Each estimator on generated signals whose answer is known (all seeded)."""

import numpy as np
import pytest

from .audio_helpers import click_track, spec
from tastemaker.audio import frames as fr
from tastemaker.audio import key as key_mod
from tastemaker.audio import rhythm, structure, synth
from tastemaker.audio.features import fades


def _frames(y, sr=22050):
    return fr.compute_frames(y=np.asarray(y, np.float32), sr=sr)


@pytest.mark.parametrize("bpm", [72.0, 96.0, 128.0, 150.0])
def test_tempo_of_click_tracks(bpm):
    f = _frames(click_track(bpm, 20.0, accent_every=4))
    tempo = rhythm.estimate_tempo(onset=f.onset, frame_rate=f.frame_rate)
    beats = rhythm.track_beats(onset=f.onset, frame_rate=f.frame_rate, bpm=tempo.bpm, hop=f.hop)
    assert beats.bpm == pytest.approx(bpm, rel=0.02)
    assert tempo.confidence > 0.5
    ibi = np.diff(f.times(beats.frames))
    assert np.allclose(ibi, 60.0 / bpm, atol=0.03)


def test_silence_has_no_tempo_no_beats_no_key():
    f = _frames(np.zeros(22050 * 4))
    tempo = rhythm.estimate_tempo(onset=f.onset, frame_rate=f.frame_rate)
    assert (tempo.bpm, tempo.confidence) == (0.0, 0.0)
    beats = rhythm.track_beats(onset=f.onset, frame_rate=f.frame_rate, bpm=tempo.bpm, hop=f.hop)
    assert beats.frames.size == 0
    k = key_mod.estimate_key(chroma=f.chroma, tonalness=f.tonalness)
    assert (k.key, k.confidence) == (-1, 0.0)


def test_noise_has_low_tempo_and_key_confidence():
    rng = np.random.default_rng(0)
    f = _frames(0.1 * rng.standard_normal(22050 * 10))
    assert rhythm.estimate_tempo(onset=f.onset, frame_rate=f.frame_rate).confidence < 0.2
    assert key_mod.estimate_key(chroma=f.chroma, tonalness=f.tonalness).confidence < 0.15


@pytest.mark.parametrize("tonic,mode", [(0, 1), (9, 0), (6, 1), (3, 0), (10, 1)])
def test_key_of_synthetic_progressions(tonic, mode):
    s = spec(tonic=tonic, mode=mode, drums=False, timbre="square", bars=8)
    f = _frames(synth.render(s).mean(axis=1), sr=s.sample_rate)
    k = key_mod.estimate_key(chroma=f.chroma, tonalness=f.tonalness)
    assert (k.key, k.mode) == (tonic, mode), k.name
    assert k.confidence > 0.3


def test_key_confidence_is_low_on_drums_only():
    s = spec(drums=True, bars=8)
    sr = s.sample_rate
    left, right = np.zeros(int(s.duration * sr) + 1), np.zeros(int(s.duration * sr) + 1)
    rng = np.random.default_rng(5)
    for bar in range(s.bars):
        synth.drums(left, right, bar * 4 * 0.6, 0.6, 4, sr, rng, 1.0)
    drums = _frames((left + right) / 2, sr=sr)
    tonal = _frames(synth.render(s).mean(axis=1), sr=sr)
    k_drums = key_mod.estimate_key(chroma=drums.chroma, tonalness=drums.tonalness)
    k_tonal = key_mod.estimate_key(chroma=tonal.chroma, tonalness=tonal.tonalness)
    assert k_drums.confidence < 0.15
    assert k_tonal.confidence > 2 * k_drums.confidence


def test_key_scores_follow_the_profiles():
    # the major profile itself, rotated to D, must score D major first and B minor close
    pcp = np.roll(np.array(key_mod.PROFILES["krumhansl"][0]), 2)
    scores = key_mod.key_scores(pcp, profile="krumhansl")
    assert int(np.argmax(scores)) == 2 and scores[2] == pytest.approx(1.0)
    assert key_mod.key_scores(np.ones(12)).tolist() == [0.0] * 24
    with pytest.raises(ValueError, match="profile"):
        key_mod.key_scores(pcp, profile="nope")


def test_learned_profile_scores_are_key_probabilities():
    # the Albrecht distribution of A minor: the learned profile must name A minor, and score
    # every key of a transposed distribution the same, transposed
    pcp = np.roll(np.array(key_mod.PROFILES["albrecht"][1]), 9)
    probs = key_mod.key_scores(pcp, profile="learned")
    assert probs.sum() == pytest.approx(1.0) and int(np.argmax(probs)) == 12 + 9
    up_a_third = key_mod.key_scores(np.roll(pcp, 3), profile="learned")
    assert np.allclose(up_a_third, np.r_[np.roll(probs[:12], 3), np.roll(probs[12:], 3)])
    assert key_mod.key_scores(np.full(12, 1 / 12), profile="learned").tolist() == [0.0] * 24


def test_learned_key_confidence_low_on_noise_high_on_a_cadence():
    rng = np.random.default_rng(3)
    noise = _frames(rng.normal(0, 0.1, 22050 * 6))
    s = spec(tonic=0, mode=1, drums=False, timbre="square", bars=8)
    tonal = _frames(synth.render(s).mean(axis=1), sr=s.sample_rate)
    k_noise = key_mod.estimate_key(chroma=noise.chroma, tonalness=noise.tonalness)
    k_tonal = key_mod.estimate_key(chroma=tonal.chroma, tonalness=tonal.tonalness)
    assert k_tonal.name == "C major"
    assert k_noise.confidence < 0.15 and k_noise.mode_confidence < 0.3
    assert k_tonal.confidence > 0.5 and k_tonal.mode_confidence > 0.5


def test_beat_envelope_adds_the_low_band_scaled():
    onset = np.r_[np.zeros(50), np.linspace(0, 2, 50)]
    low = np.r_[np.linspace(0, 4, 50), np.zeros(50)]
    env = rhythm.beat_envelope(onset=onset, onset_low=low, low_weight=0.5)
    expected = onset / np.percentile(onset, 95) + 0.5 * low / np.percentile(low, 95)
    assert np.allclose(env, expected)
    # a silent band adds nothing; weight 0 is the full-band envelope alone
    assert np.allclose(rhythm.beat_envelope(onset=onset, onset_low=np.zeros(100)),
                       onset / np.percentile(onset, 95))
    assert np.allclose(rhythm.beat_envelope(onset=onset, onset_low=low, low_weight=0.0),
                       onset / np.percentile(onset, 95))


def _noisy_keys(profile, n, rng):
    """Pitch-class distributions drawn around `profile`'s rotations, with their keys."""
    keys = rng.integers(0, 24, n)
    base = np.array(profile)
    pcps = np.array([np.roll(base[k // 12], k % 12) for k in keys])
    pcps = np.maximum(pcps / pcps.sum(axis=1, keepdims=True) + rng.normal(0, 0.02, pcps.shape), 0)
    return pcps / pcps.sum(axis=1, keepdims=True), keys


def test_fit_profile_learns_a_profile_from_labelled_distributions():
    # distributions drawn around Temperley's profiles: a profile fitted on 300 of them names the
    # key of 300 others as well as the generating profile does, and nearly always
    rng = np.random.default_rng(0)
    train, train_keys = _noisy_keys(key_mod.PROFILES["temperley"], 300, rng)
    test, test_keys = _noisy_keys(key_mod.PROFILES["temperley"], 300, rng)
    weights = key_mod.fit_profile(train, train_keys, l2=0.1)
    learned = np.argmax(key_mod.learned_logits(test, weights), axis=1)
    generating = np.array([np.argmax(key_mod.key_scores(p, profile="temperley")) for p in test])
    assert np.mean(learned == test_keys) >= max(0.9, np.mean(generating == test_keys) - 0.03)
    # the fitted weights follow the generating profile in both modes
    for fitted, generating_mode in zip(weights, key_mod.PROFILES["temperley"]):
        assert np.corrcoef(fitted, generating_mode)[0, 1] > 0.8
    # stronger regularisation shrinks the weights
    assert np.abs(key_mod.fit_profile(train, train_keys, l2=100.0)).max() < np.abs(weights).max()


def test_fit_profile_rejects_bad_input():
    with pytest.raises(ValueError, match="shape"):
        key_mod.fit_profile(np.ones((3, 11)), np.zeros(3), l2=1.0)
    with pytest.raises(ValueError, match="0–23"):
        key_mod.fit_profile(np.ones((2, 12)) / 12, np.array([0, 24]), l2=1.0)


@pytest.mark.parametrize("meter,tempo", [(3, 90.0), (4, 110.0), (3, 140.0), (4, 75.0)])
def test_meter_and_downbeats(meter, tempo):
    s = spec(meter=meter, tempo=tempo, bars=12, timbre="pluck")
    f = _frames(synth.render(s).mean(axis=1), sr=s.sample_rate)
    t = rhythm.estimate_tempo(onset=f.onset, frame_rate=f.frame_rate)
    beats = rhythm.track_beats(onset=f.onset, frame_rate=f.frame_rate, bpm=t.bpm, hop=f.hop)
    acc = rhythm.beat_features(beat_frames=beats.frames, onset=f.onset, onset_low=f.onset_low,
                               chroma=f.chroma, rms_db=f.rms_db)
    m = rhythm.estimate_meter(accents=acc)
    assert m.beats_per_bar == meter
    bar = meter * 60.0 / tempo
    first_downbeat = f.times(beats.frames)[m.downbeat]
    assert min(first_downbeat % bar, bar - first_downbeat % bar) < 0.08


def test_meter_needs_two_bars():
    m = rhythm.estimate_meter(accents=np.zeros((4, 5)))
    assert (m.beats_per_bar, m.confidence) == (4, 0.0)


def test_tatums_split_beats_evenly():
    f = _frames(click_track(100, 10.0))
    beats = rhythm.track_beats(onset=f.onset, frame_rate=f.frame_rate, bpm=100.0, hop=f.hop)
    per_beat, grid = rhythm.tatum_grid(beat_frames=beats.frames, onset=f.onset)
    assert per_beat in (2, 3)
    assert grid.size == (beats.frames.size - 1) * per_beat + 1
    assert np.all(np.diff(grid) > 0)


def test_segments_start_at_onsets():
    f = _frames(click_track(60, 8.0))
    starts, conf = structure.segment_starts(onset=f.onset, rms_db=f.rms_db,
                                            frame_rate=f.frame_rate, hop=f.hop)
    times = f.times(starts)
    assert times[0] == 0.0 and conf[0] == 1.0
    clicks = np.arange(1, 8)
    assert all(np.min(np.abs(times - c)) < 0.06 for c in clicks)
    table = structure.segment_table(starts=starts, n_frames=f.n_frames, frame_rate=f.frame_rate,
                                    rms_db=f.rms_db, chroma=f.chroma, mfcc=f.mfcc)
    assert table["pitches"].shape == (starts.size, 12) and table["timbre"].shape == (starts.size, 12)
    assert np.all(table["pitches"].max(axis=1) <= 1.0)
    assert np.all(table["loudness_max"] >= table["loudness_start"])


def test_section_boundary_at_a_change_of_sound():
    a = synth.render(spec(timbre="saw", tonic=0, mode=1, bars=12, drums=False)).mean(axis=1)
    b = synth.render(spec(timbre="pluck", tonic=6, mode=0, bars=12, drums=True)).mean(axis=1)
    y = np.r_[a, b]
    f = _frames(y)
    t = rhythm.estimate_tempo(onset=f.onset, frame_rate=f.frame_rate)
    beats = rhythm.track_beats(onset=f.onset, frame_rate=f.frame_rate, bpm=t.bpm, hop=f.hop)
    starts, conf = structure.boundaries(unit_frames=beats.frames, chroma=f.chroma, mfcc=f.mfcc,
                                        rms_db=f.rms_db, frame_rate=f.frame_rate)
    change = a.size / 22050
    assert starts[0] == 0
    assert np.min(np.abs(f.times(starts[1:]) - change)) < 2.0


def test_fades_found_where_made():
    duration = 40.0
    steps = np.full(int(duration * 10) - 3, -14.0)
    steps[:40] = -14.0 + 20 * np.log10(np.linspace(0.01, 1, 40))      # 4 s fade in
    steps[-60:] = -14.0 + 20 * np.log10(np.linspace(1, 0.01, 60))     # 6 s fade out
    fade_in, fade_out = fades(step_loudness=steps, loudness_lufs=-14.0, duration=duration)
    assert 2.5 < fade_in < 4.5
    assert duration - 6.5 < fade_out < duration - 4.0
    assert fades(step_loudness=np.full(400, -14.0), loudness_lufs=-14.0, duration=40.0) == (0.0, 40.0)

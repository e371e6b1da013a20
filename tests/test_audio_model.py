"""The audio model: spectrograms and their cache, the network, training, cold tracks in the week."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import soundfile as sf
import torch

from tastemaker.audio_model import AudioModel, MelParams, log_mel, many_mels, track_mels
from tastemaker.audio_model.mels import FLOOR_DB, is_cached, timbre_statistics
from tastemaker.audio_model.network import AudioCNN, global_pool
from tastemaker.config import AudioModelParams, load_settings
from tastemaker.demo.sound import render_track

SR = 22050
SMALL = MelParams(n_mels=32, excerpt_seconds=3.0)
TINY = AudioModelParams(n_mels=32, channels=8, hidden=16, crop_frames=40, batch_size=8,
                        max_epochs=25, patience=8, learning_rate=3e-3, excerpt_seconds=3.0)


def _clip(kind: int, i: int, seconds: float = 3.0) -> np.ndarray:
    """Two sounds that differ the way demo styles do: tempo, instrument, brightness, drums."""
    row = {"index": i, "tempo": 80.0 + 60 * kind + i % 5, "key": i % 12, "mode": kind,
           "time_signature": 4, "loudness": -12.0, "density": 1.0 + 2 * kind,
           "timbre": 6 if kind == 0 else 19, "brightness": 0.2 + 0.6 * kind, "drums": bool(kind)}
    return render_track(row, seconds=seconds, sr=SR, seed=1)


def _write(path, y, sr=SR):
    sf.write(path, y, sr, subtype="PCM_16")
    return path


def test_log_mel_shape_and_silence():
    y = np.zeros(SR, dtype=np.float32)
    m = log_mel(y, params=SMALL)
    assert m.shape == (32, 1 + SR // SMALL.hop_length)
    assert np.allclose(m, FLOOR_DB)
    assert log_mel(np.zeros(0, np.float32), params=SMALL).shape == (32, 0)
    assert MelParams().frames == 646 and MelParams().n_mels == 128


def test_excerpt_cache_and_short_flag(tmp_path):
    short = _write(tmp_path / "short.wav", _clip(0, 0, seconds=2.0))
    long = _write(tmp_path / "long.wav", _clip(1, 0, seconds=5.0))
    cache = tmp_path / "cache"
    s = track_mels(short, params=SMALL, cache_dir=cache)
    assert s.short and s.valid_frames < SMALL.frames
    padded = s.padded(SMALL.frames)
    assert padded.shape == (32, SMALL.frames) and np.all(padded[:, s.valid_frames:] == FLOOR_DB)
    l1 = track_mels(long, params=SMALL, cache_dir=cache)
    assert not l1.short and l1.mels.shape == (32, SMALL.frames) and l1.duration == pytest.approx(5.0)
    assert is_cached(long, params=SMALL, cache_dir=cache)
    copy = tmp_path / "copy.wav"
    copy.write_bytes(long.read_bytes())          # same content, another name: a cache hit
    batch = many_mels([copy, short], params=SMALL, cache_dir=cache)
    assert batch.cache_hits == 2
    np.testing.assert_allclose(batch.ok[0].mels, l1.mels, atol=0.05)   # float16 in the cache


def test_corrupt_and_missing_files_are_skipped_with_reason(tmp_path):
    good = _write(tmp_path / "good.wav", _clip(0, 1))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    batch = many_mels([bad, good, tmp_path / "absent.wav"], params=SMALL)
    assert batch.ok[0] is None and batch.ok[2] is None and batch.ok[1] is not None
    assert "bad.wav" in batch.reasons[0] and "absent.wav" in batch.reasons[2]
    assert set(batch.failed) == {str(bad), str(tmp_path / "absent.wav")}


def test_log_mel_matches_dense_reference():
    import librosa
    import scipy.fft

    y = _clip(1, 3)
    half = SMALL.n_fft // 2
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(y, half, mode="reflect"),
                                                      SMALL.n_fft)[::SMALL.hop_length]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(SMALL.n_fft) / SMALL.n_fft)
    power = np.abs(scipy.fft.rfft(frames * window, axis=1)) ** 2
    fb = librosa.filters.mel(sr=SMALL.sr, n_fft=SMALL.n_fft, n_mels=SMALL.n_mels)
    dense = 10 * np.log10(np.maximum(fb @ power.T, 1e-10))
    np.testing.assert_allclose(log_mel(y, params=SMALL), dense, atol=1e-3)


def test_network_shapes_and_pooling():
    net = AudioCNN(n_mels=32, channels=8, hidden=16, out_dim=5)
    h = torch.arange(24, dtype=torch.float32).reshape(1, 2, 12)
    pooled = global_pool(h)
    assert pooled.shape == (1, 6)
    assert torch.allclose(pooled[0, :2], h.mean(-1)[0]) and torch.allclose(pooled[0, 2:4], h.amax(-1)[0])
    assert torch.allclose(pooled[0, 4:], torch.sqrt((h ** 2).mean(-1))[0], atol=1e-4)
    net.eval()
    for frames in (10, net.min_frames, 300):       # any length: short inputs are padded
        x = torch.randn(3, 32, frames)
        assert net(x).shape == (3, 5) and net.embed(x).shape == (3, 16)


@pytest.fixture(scope="module")
def two_sounds():
    """Spectrograms of two kinds of sound, and CF-like targets: one direction per kind."""
    specs, kinds = [], []
    for i in range(36):
        kind = i % 2
        specs.append(log_mel(_clip(kind, i), params=SMALL))
        kinds.append(kind)
    kinds = np.array(kinds)
    rng = np.random.default_rng(0)
    centres = np.eye(6)[:2]
    targets = centres[kinds] + 0.2 * rng.standard_normal((36, 6))
    targets /= np.linalg.norm(targets, axis=1, keepdims=True)
    return specs, kinds, targets.astype(np.float32)


def test_training_is_deterministic_and_predicts_better_than_chance(two_sounds, tmp_path):
    specs, kinds, targets = two_sounds
    train, test = np.arange(28), np.arange(28, 36)
    a = AudioModel(TINY).fit([specs[i] for i in train], targets[train])
    b = AudioModel(TINY).fit([specs[i] for i in train], targets[train])
    va, ea = a.predict([specs[i] for i in test])
    vb, _ = b.predict([specs[i] for i in test])
    np.testing.assert_array_equal(va, vb)
    assert va.shape == (8, 6) and ea.shape == (8, 16)
    assert 1 <= len(a.history_) <= TINY.max_epochs
    # the held-out tracks' predictions point to their own kind's direction
    unit = va / np.linalg.norm(va, axis=1, keepdims=True)
    own = unit[np.arange(8), kinds[test]]
    other = unit[np.arange(8), 1 - kinds[test]]
    assert (own > other).mean() >= 0.75
    a.save(tmp_path / "m")
    again, _ = AudioModel.load(tmp_path / "m").predict([specs[i] for i in test])
    np.testing.assert_allclose(again, va, atol=1e-5)


def test_timbre_targets_are_learned_beside_the_collaborative_ones(two_sounds, tmp_path):
    specs, kinds, targets = two_sounds
    stats = np.stack([timbre_statistics(s) for s in specs])
    assert stats.shape == (36, 96) and np.isfinite(stats).all()
    # the two kinds of sound differ in their timbre statistics more than within a kind
    centred = (stats - stats.mean(axis=0)) / np.maximum(stats.std(axis=0), 1e-9)
    between = np.linalg.norm(centred[kinds == 0].mean(axis=0) - centred[kinds == 1].mean(axis=0))
    assert between > 2.0
    train, test = np.arange(28), np.arange(28, 36)
    params = dataclasses.replace(TINY, timbre_weight=1.0)
    model = AudioModel(params).fit([specs[i] for i in train], targets[train])
    vectors, embeds = model.predict([specs[i] for i in test])
    # the network predicts more than it returns: only the collaborative part comes out
    assert model.net_.head[-1].out_features == 6 + 96 and vectors.shape == (8, 6)
    # still pointing to their own kind's direction, on average (the timbre part costs some fit)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert unit[np.arange(8), kinds[test]].mean() > unit[np.arange(8), 1 - kinds[test]].mean() + 0.2
    model.save(tmp_path / "m")
    again, again_embeds = AudioModel.load(tmp_path / "m").predict([specs[i] for i in test])
    np.testing.assert_allclose(again, vectors, atol=1e-5)
    np.testing.assert_allclose(again_embeds, embeds, atol=1e-5)
    with pytest.raises(Exception, match="timbre_weight"):
        AudioModelParams(timbre_weight=-1.0)


def test_cold_tracks_join_weekly_lists_from_the_audio_model(tiny_world):
    from tastemaker.audio_model.train import train_audio
    from tastemaker.ingest import ingest_catalog, ingest_events
    from tastemaker.train import train_collaborative
    from tastemaker.engine import DuckDBEngine
    from tastemaker.weekly.generate import generate_week

    world = tiny_world
    audio = world["catalog"].parent / "audio"
    audio.mkdir()
    for t in range(150):                      # sound follows the taste group (t % 3)
        g = t % 3
        row = {"index": t, "tempo": 70.0 + 40 * g, "key": t % 12, "mode": g % 2, "time_signature": 4,
               "loudness": -14.0 + 3 * g, "density": 1.0 + g, "timbre": (6, 19, 1)[g],
               "brightness": 0.2 + 0.3 * g, "drums": g > 0}
        _write(audio / f"t{t}.wav", render_track(row, seconds=3.0, sr=SR, seed=0))
    (audio / "t7.wav").write_bytes(b"not audio at all")
    settings = load_settings(world["home"])
    plays = world["frame"].groupby("track_id")["count"].sum()
    threshold = int(np.quantile(plays.to_numpy(), 0.2))
    settings = dataclasses.replace(settings, audio_model=dataclasses.replace(TINY, min_plays=threshold,
                                                                             max_epochs=4))
    with DuckDBEngine.open(settings.warehouse_path) as wh:
        ingest_catalog(wh, [world["catalog"]])
        ingest_events(wh, [world["events"]])
        train_collaborative(wh, settings)
        result = train_audio(wh, settings)
        m = result.manifest
        assert m["collaborative_version"] and m["tracks"]["failed"] == 1
        assert m["tracks"]["trained_on"] > 50
        failed = wh.execute("SELECT track_idx, reason FROM audio_vectors WHERE status = 'failed'").fetchall()
        assert len(failed) == 1 and "t7.wav" in failed[0][1]
        generate_week(wh, settings, week="2026-W48")
        rows = wh.execute("""SELECT p.track_idx, p.reason, p.user_idx FROM playlists p
                             WHERE source = 'audio'""").fetchall()
        assert rows, "no cold track from the audio model reached a list"
        assert all(r[1].startswith("new; sounds like") or
                   (r[1].startswith("new from ") and r[1].endswith(", whom you play")) for r in rows)
        counts = wh.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM playlists WHERE source = 'audio' "
                            "GROUP BY user_idx)").fetchone()[0]
        assert counts <= settings.weekly.audio_share
        heard = wh.execute("""SELECT count(*) FROM playlists p JOIN interactions i
                              USING (user_idx, track_idx)""").fetchone()[0]
        assert heard == 0


def test_real_clips_end_to_end(tmp_path):
    """Real recordings: load, spectrogram (30 s from the middle), embed, nearest neighbours."""
    from tests.conftest import shared_data

    root = shared_data("audio-labelled-clips")
    paths = sorted((root / "gtzan" / "audio").glob("*.wav"))[:6] + sorted((root / "madmom").glob("*.wav"))
    if len(paths) < 4:
        pytest.skip(f"fewer than 4 audio clips in {root}")
    params = dataclasses.replace(TINY, n_mels=128, excerpt_seconds=30.0, max_epochs=1)
    batch = many_mels(paths, params=MelParams(n_mels=128), cache_dir=tmp_path)
    specs = [m.mels for m in batch.ok if m is not None]
    assert len(specs) == len(paths), batch.failed
    assert any(m.short for m in batch.ok)                     # the madmom clips are a few seconds
    targets = np.eye(len(specs), 8, dtype=np.float32)
    _, emb = AudioModel(params).fit(specs, targets).predict(specs)
    unit = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    assert emb.shape == (len(specs), params.hidden) and np.isfinite(emb).all()
    assert np.argmax(sims, axis=1).shape == (len(specs),)

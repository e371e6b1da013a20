"""Decoding: shapes, rates, loudness, and a defined answer for every odd file."""

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from tastemaker.audio import io
from tastemaker.audio.loudness import FLOOR_LUFS, LoudnessMeter
from tastemaker.errors import AudioError, InputError

from .audio_helpers import click_track


def test_load_audio_mono_and_native(tmp_path):
    rng = np.random.default_rng(0)
    stereo = (0.1 * rng.standard_normal((44100 * 2, 2))).astype(np.float32)
    path = tmp_path / "x.wav"
    sf.write(str(path), stereo, 44100, subtype="FLOAT")
    y, sr = io.load_audio(path)
    assert sr == 22050 and y.dtype == np.float32 and y.ndim == 1
    assert abs(y.size - 44100) <= 2
    y2, sr2 = io.load_audio(path, sr=None, mono=False)
    assert sr2 == 44100 and y2.shape == (2, 88200)
    np.testing.assert_allclose(y2, stereo.T, atol=1e-6)


def test_load_audio_offset_duration_and_past_end(tmp_path):
    path = tmp_path / "c.wav"
    sf.write(str(path), click_track(120, 4.0), 22050)
    y, _ = io.load_audio(path, offset=1.0, duration=2.0)
    assert y.size == 44100
    y, _ = io.load_audio(path, offset=10.0)
    assert y.size == 0                      # defined: nothing left to read


def test_silence_is_zeros_not_an_error(tmp_path):
    path = tmp_path / "s.wav"
    sf.write(str(path), np.zeros(1000, np.float32), 22050)
    y, _ = io.load_audio(path)
    assert y.size == 1000 and not y.any()
    d = io.decode(path)
    assert d.loudness == FLOOR_LUFS


@pytest.mark.parametrize("bad,expected", [
    (np.zeros((3, 3, 3), np.float32), "shape"),
    (np.array([1, 2, 3]), "floating point"),
    (np.array([0.0, np.nan]), "finite"),
    ([0.0, 1.0], "numpy array"),
])
def test_valid_audio_names_the_problem(bad, expected):
    with pytest.raises(AudioError, match=expected):
        io.valid_audio(bad)


def test_streaming_loudness_matches_pyloudnorm():
    rng = np.random.default_rng(3)
    x = (0.2 * rng.standard_normal((44100 * 7, 2)) * np.linspace(0.2, 1, 44100 * 7)[:, None])
    meter = LoudnessMeter(rate=44100, channels=2)
    for start in range(0, x.shape[0], 12345):          # odd block sizes on purpose
        meter.add(x[start:start + 12345])
    expected = pyloudnorm.Meter(44100).integrated_loudness(x)
    assert meter.integrated() == pytest.approx(expected, abs=0.02)


def test_six_channel_loudness_leaves_out_lfe():
    rng = np.random.default_rng(4)
    x = 0.1 * rng.standard_normal((48000 * 3, 6))
    loud = LoudnessMeter(rate=48000, channels=6)
    loud.add(x)
    x[:, 3] *= 10.0                                      # a much louder LFE changes nothing
    louder_lfe = LoudnessMeter(rate=48000, channels=6)
    louder_lfe.add(x)
    assert louder_lfe.integrated() == pytest.approx(loud.integrated(), abs=1e-9)


def test_bad_inputs_have_clear_answers(bad_files):
    with pytest.raises(AudioError, match=r"empty \(0 bytes\)"):
        io.decode(bad_files["empty"])
    with pytest.raises(AudioError, match="text, not audio"):
        io.decode(bad_files["text_mp3"])
    with pytest.raises(InputError):                      # AudioError is an InputError
        io.decode(bad_files["text_mp3"])
    with pytest.raises(AudioError, match="no such file"):
        io.decode(bad_files["empty"].parent / "missing.wav")

    trunc = io.decode(bad_files["truncated"])
    assert trunc.truncated and 0 < trunc.decoded_seconds < 5

    for name in ("silence", "one_second", "mono", "six_channel", "rate_8k", "rate_192k"):
        d = io.decode(bad_files[name])
        assert d.sr == 22050 and d.y.dtype == np.float32
        assert abs(d.y.size / 22050 - d.duration) < 0.01, name
    assert io.probe(bad_files["six_channel"]).channels == 6
    assert io.probe(bad_files["rate_192k"]).sample_rate == 192000


def test_long_file_is_limited_not_loaded(bad_files):
    d = io.decode(bad_files["three_hours"], max_duration=30)
    assert d.limited and not d.truncated
    assert d.duration == pytest.approx(3 * 3600)
    assert d.y.size == 30 * 22050


def test_zero_frame_file(tmp_path):
    path = tmp_path / "zero.wav"
    sf.write(str(path), np.zeros((0, 1), np.float32), 44100)
    with pytest.raises(AudioError, match="no audio samples"):
        io.decode(path)

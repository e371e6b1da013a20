"""Fixtures for the audio tests: the bad files every catalogue holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from .audio_helpers import click_track, spec, three_hours
from tastemaker.audio import synth


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory) -> dict[str, Path]:
    """The bad-input list: each kind of odd file a catalogue holds (written once per session)."""
    tmp_path = tmp_path_factory.mktemp("bad_audio")
    rng = np.random.default_rng(7)
    files = {}
    files["empty"] = tmp_path / "empty.wav"
    files["empty"].write_bytes(b"")
    files["text_mp3"] = tmp_path / "notes.mp3"
    files["text_mp3"].write_text("this is a shopping list, not a song\n" * 40)
    good = tmp_path / "good.wav"
    sf.write(str(good), synth.render(spec(bars=4), seed=1), 22050)
    data = good.read_bytes()
    files["truncated"] = tmp_path / "truncated.wav"
    files["truncated"].write_bytes(data[: len(data) // 3])
    files["silence"] = tmp_path / "silence.wav"
    sf.write(str(files["silence"]), np.zeros(22050 * 5, np.float32), 22050)
    files["one_second"] = tmp_path / "one_second.wav"
    sf.write(str(files["one_second"]), synth.render(spec(bars=8), seed=2)[:44100 // 2], 22050)
    files["mono"] = tmp_path / "mono.wav"
    sf.write(str(files["mono"]), click_track(120, 6.0), 22050)
    files["six_channel"] = tmp_path / "surround.wav"
    sf.write(str(files["six_channel"]), (0.05 * rng.standard_normal((48000 * 3, 6))).astype(np.float32), 48000)
    files["rate_8k"] = tmp_path / "phone.wav"
    sf.write(str(files["rate_8k"]), click_track(100, 6.0, sr=8000), 8000)
    files["rate_192k"] = tmp_path / "hires.flac"
    sf.write(str(files["rate_192k"]), click_track(100, 4.0, sr=192000), 192000, subtype="PCM_24")
    files["three_hours"] = tmp_path / "three_hours.flac"
    three_hours(files["three_hours"])
    return files

"""Generated signals with known answers (seeded), shared by the audio tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from tastemaker.audio import synth

REAL_CLIPS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "audio-labelled-clips"


def click_track(bpm: float, seconds: float, sr: int = 22050, accent_every: int = 0) -> np.ndarray:
    """Short decaying 1 kHz clicks on every beat; every `accent_every`-th one louder."""
    y = np.zeros(int(seconds * sr), np.float32)
    t = np.arange(int(0.03 * sr)) / sr
    click = (np.sin(2 * np.pi * 1000 * t) * np.exp(-t * 150)).astype(np.float32)
    for i, start in enumerate(np.arange(0, seconds, 60.0 / bpm)):
        k = int(start * sr)
        gain = 1.0 if accent_every and i % accent_every == 0 else 0.5
        y[k:k + click.size] += gain * click[: max(0, y.size - k)]
    return y


def spec(**changes) -> synth.SynthSpec:
    """A short synthetic item (defaults: 100 BPM, A minor, 4/4, saw, drums, 8 bars, 22.05 kHz)."""
    base = dict(name="item", tempo=100.0, tonic=9, mode=0, meter=4, timbre="saw", drums=True,
                fade_in=0.0, fade_out=0.0, step_db=0.0, target_lufs=-16.0, bars=8,
                sample_rate=22050, channels=2, format="wav")
    base.update(changes)
    return synth.SynthSpec(**base)


def write_item(folder: Path, s: synth.SynthSpec, *, seed: int = 0) -> Path:
    path = folder / f"{s.name}.wav"
    sf.write(str(path), synth.render(s, seed=seed), s.sample_rate)
    return path


def three_hours(path: Path, sr: int = 8000) -> None:
    """A three-hour FLAC: a minute of clicks, then near-silence (compresses to little)."""
    with sf.SoundFile(str(path), "w", samplerate=sr, channels=1, format="FLAC", subtype="PCM_16") as f:
        f.write(click_track(120, 60.0, sr=sr))
        quiet = np.zeros(sr * 600, np.float32)
        for _ in range(17):
            f.write(quiet)
        f.write(np.zeros(sr * 540, np.float32))

"""A synthetic labelled test set whose ground truth is exact because we made the music.

Each item is a short piece in a known key, tempo and metre: a chord progression (one chord a
bar, cadencing on the tonic) comped on every beat with an accent on the downbeat, a bass on
the chord roots, a melody from the scale, and optionally drums (kick, snare, hi-hat). Items
cycle through all 24 keys, tempi spread log-uniformly over 60–180 BPM, 3/4 and 4/4, five
timbres (additive sine, sawtooth, square, plucked string, FM piano), with and without drums,
fades in and out, a loudness step at the second section, several integrated loudness targets,
sample rates, channel counts and file formats. The generator's own BS.1770 measurement of the
final signal (pyloudnorm, before encoding) is the loudness label.

    >>> labels = make_test_set("synthetic", n=72, seed=0)     # writes audio files + labels.csv
    $ tastemaker analyze --evaluate synthetic/labels.csv

Everything is drawn from `numpy.random.default_rng(seed)`: the same seed gives the same files.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf

from .key import PITCH_CLASSES

TIMBRES = ("sine", "saw", "square", "pluck", "fm")
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
# progressions as (root in semitones above the tonic, quality); harmonic-minor V in minor
PROGRESSIONS = {
    1: ([(0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")], [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")]),
    0: ([(0, "min"), (5, "min"), (7, "maj"), (0, "min")], [(0, "min"), (8, "maj"), (5, "min"), (7, "maj")]),
}
_FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"),
            "mp3": ("MP3", "MPEG_LAYER_III")}


@dataclasses.dataclass(frozen=True)
class SynthSpec:
    name: str
    tempo: float              # BPM, the quarter-note beat
    tonic: int                # 0 = C … 11 = B
    mode: int                 # 1 major, 0 minor
    meter: int                # beats per bar: 3 or 4
    timbre: str
    drums: bool
    fade_in: float            # seconds of linear fade at the start (0: none)
    fade_out: float           # seconds of linear fade at the end (0: none)
    step_db: float            # gain change at the second section, dB (0: none)
    target_lufs: float
    bars: int
    sample_rate: int
    channels: int
    format: str               # wav | flac | ogg | mp3

    @property
    def key_name(self) -> str:
        return f"{PITCH_CLASSES[self.tonic]} {'major' if self.mode == 1 else 'minor'}"

    @property
    def duration(self) -> float:
        return self.bars * self.meter * 60.0 / self.tempo

    @property
    def section_start(self) -> float:
        return (self.bars // 2) * self.meter * 60.0 / self.tempo


def specs(n: int = 72, *, seed: int = 0, seconds: float = 30.0) -> list[SynthSpec]:
    """`n` item descriptions: keys cycle through all 24, every other factor is balanced."""
    rng = np.random.default_rng(seed)
    tempi = np.exp(np.log(60.0) + (np.arange(n) + rng.random(n)) / n * np.log(3.0))
    rng.shuffle(tempi)
    meters = np.tile([4, 3], n // 2 + 1)[:n]
    rng.shuffle(meters)
    out = []
    for i in range(n):
        tempo = round(float(tempi[i]), 2)
        meter = int(meters[i])
        bar_s = meter * 60.0 / tempo
        bars = int(np.clip(round(seconds / bar_s / 2) * 2, 8, 48))
        fmt = "flac" if i % 6 == 5 else "ogg" if i % 9 == 4 else "mp3" if i % 12 == 7 else "wav"
        out.append(SynthSpec(
            name=f"synth_{i:03d}", tempo=tempo, tonic=i % 12, mode=1 if (i // 12) % 2 == 0 else 0,
            meter=meter, timbre=TIMBRES[i % len(TIMBRES)], drums=(i % 3 != 2),
            fade_in=float(rng.choice([0.0, 0.0, 3.0])), fade_out=float(rng.choice([0.0, 0.0, 5.0])),
            step_db=float(rng.choice([0.0, 0.0, -6.0, 6.0])),
            target_lufs=float(rng.choice([-28.0, -23.0, -18.0, -14.0, -10.0])),
            bars=bars, sample_rate=int(rng.choice([44100, 44100, 48000, 22050])),
            channels=int(rng.choice([2, 2, 1])), format=fmt))
    return out


def render(spec: SynthSpec, *, seed: int = 0) -> np.ndarray:
    """The float audio of one item [shape=(n, channels)], scaled to its target loudness."""
    rng = np.random.default_rng([seed, spec.tonic, int(spec.tempo * 100)])
    sr = spec.sample_rate
    beat = 60.0 / spec.tempo
    n = int(round(spec.duration * sr)) + 1
    left, right = np.zeros(n), np.zeros(n)
    first, second = PROGRESSIONS[spec.mode]
    scale = MAJOR_SCALE if spec.mode == 1 else MINOR_SCALE
    half = spec.bars // 2
    for bar in range(spec.bars):
        prog = first if bar < half else second
        root, quality = prog[bar % 4]
        if bar == spec.bars - 1:
            root, quality = (0, "maj" if spec.mode == 1 else "min")
        t_bar = bar * spec.meter * beat
        third = 4 if quality == "maj" else 3
        chord = [60 + (spec.tonic + root) % 12 + iv for iv in (0, third, 7)]
        bass = 36 + (spec.tonic + root) % 12
        gain = 10 ** (spec.step_db / 20) if bar >= half else 1.0
        for b in range(spec.meter):
            t = t_bar + b * beat
            accent = 1.0 if b == 0 else 0.55
            for p in chord:
                _add(left, right, _note(spec.timbre, p, 0.9 * beat, sr, rng), t, sr,
                     0.16 * accent * gain, pan=-0.3)
            if rng.random() < 0.8:
                deg = scale[int(rng.integers(0, 7))]
                mel = 72 + (spec.tonic + deg) % 12
                _add(left, right, _note(spec.timbre, mel, 0.45 * beat, sr, rng), t, sr,
                     0.12 * gain, pan=0.3)
        _add(left, right, _note("sine", bass, 0.95 * spec.meter * beat, sr, rng), t_bar, sr,
             0.35 * gain, pan=0.0)
        if spec.drums:
            drums(left, right, t_bar, beat, spec.meter, sr, rng, gain)
    mix = np.stack([left, right], axis=1) if spec.channels == 2 else ((left + right) / 2)[:, None]
    mix = _fades(mix, spec, sr)
    meter = pyloudnorm.Meter(sr)
    loud = meter.integrated_loudness(mix)
    mix = mix * 10 ** ((spec.target_lufs - loud) / 20)
    peak = np.abs(mix).max()
    if peak > 0.98:                     # keep the file unclipped: lower the level instead
        mix = mix * 0.98 / peak
    return mix.astype(np.float32)


def make_test_set(folder: str | Path, *, n: int = 72, seed: int = 0,
                  seconds: float = 30.0) -> Path:
    """Write `n` items and their `labels.csv` (and beat annotations) into `folder`."""
    folder = Path(folder)
    (folder / "beats").mkdir(parents=True, exist_ok=True)
    rows = []
    for spec in specs(n, seed=seed, seconds=seconds):
        audio = render(spec, seed=seed)
        measured = pyloudnorm.Meter(spec.sample_rate).integrated_loudness(audio.astype(np.float64))
        fmt, subtype = _FORMATS[spec.format]
        path = folder / f"{spec.name}.{spec.format}"
        sf.write(str(path), audio, spec.sample_rate, format=fmt, subtype=subtype)
        beats = folder / "beats" / f"{spec.name}.beats"
        step = 60.0 / spec.tempo
        beats.write_text("".join(f"{i * step:.5f}\t{i % spec.meter + 1}\n"
                                 for i in range(spec.bars * spec.meter)))
        rows.append({
            "file": path.name, "tempo_bpm": spec.tempo, "key": spec.key_name,
            "time_signature": spec.meter, "loudness": round(float(measured), 3),
            "beats_file": f"beats/{beats.name}",
            "end_of_fade_in": spec.fade_in, "start_of_fade_out": round(spec.duration - spec.fade_out, 3)
            if spec.fade_out else round(spec.duration, 3),
            "sections": f"0;{spec.section_start:.3f}", "timbre": spec.timbre,
            "drums": int(spec.drums), "step_db": spec.step_db, "sample_rate": spec.sample_rate,
            "channels": spec.channels, "format": spec.format, "duration": round(spec.duration, 3),
        })
    labels = folder / "labels.csv"
    with open(labels, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return labels


# ---------------------------------------------------------------------------------------------

def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _note(timbre: str, midi: int, seconds: float, sr: int, rng) -> np.ndarray:
    n = max(int(seconds * sr), 16)
    t = np.arange(n) / sr
    f = _hz(midi)
    nyq = sr / 2
    if timbre == "pluck":
        period = max(int(round(sr / f)), 2)
        buf = rng.uniform(-1, 1, period)
        out = np.empty(n)
        for start in range(0, n, period):          # Karplus–Strong, one period at a time
            m = min(period, n - start)
            out[start:start + m] = buf[:m]
            buf = 0.996 * 0.5 * (buf + np.roll(buf, -1))
        return out * 0.8
    if timbre == "fm":
        env = np.exp(-t * 3.0)
        return np.sin(2 * np.pi * f * t + 1.5 * env * np.sin(2 * np.pi * f * t)) * env
    if timbre == "sine":
        harmonics = [(1, 1.0), (2, 0.3), (3, 0.1)]
    elif timbre == "saw":
        harmonics = [(k, 1.0 / k) for k in range(1, 16)]
    else:  # square
        harmonics = [(k, 1.0 / k) for k in range(1, 16, 2)]
    wave = sum(a * np.sin(2 * np.pi * f * k * t) for k, a in harmonics if f * k < nyq * 0.9)
    attack = np.minimum(t / 0.01, 1.0)
    release = np.clip((seconds - t) / 0.05, 0.0, 1.0)
    return wave * attack * release * np.exp(-t * 1.5) * 0.5


def _add(left, right, x, t0, sr, gain, pan):
    i = int(round(t0 * sr))
    if i >= left.size:
        return
    x = x[: left.size - i] * gain
    left[i:i + x.size] += x * (1 - pan) / 2 * 2 ** 0.5
    right[i:i + x.size] += x * (1 + pan) / 2 * 2 ** 0.5


def drums(left, right, t_bar, beat, meter, sr, rng, gain):
    def kick():
        t = np.arange(int(0.25 * sr)) / sr
        return np.sin(2 * np.pi * (50 + 90 * np.exp(-t * 30)) * t) * np.exp(-t * 12)

    def snare():
        t = np.arange(int(0.18 * sr)) / sr
        return (rng.standard_normal(t.size) * 0.7 + np.sin(2 * np.pi * 190 * t)) * np.exp(-t * 25)

    def hat():
        t = np.arange(int(0.05 * sr)) / sr
        noise = rng.standard_normal(t.size)
        return np.diff(np.r_[0.0, noise]) * np.exp(-t * 90)

    kick_beats = (0, 2) if meter == 4 else (0,)
    snare_beats = (1, 3) if meter == 4 else (1, 2)
    for b in range(meter):
        t = t_bar + b * beat
        if b in kick_beats:
            _add(left, right, kick(), t, sr, 0.9 * gain, 0.0)
        if b in snare_beats:
            _add(left, right, snare(), t, sr, 0.35 * gain * (1.0 if meter == 4 else 0.6), 0.1)
        _add(left, right, hat(), t, sr, 0.12 * gain, -0.2)
        if beat > 0.42:                     # eighth notes only where they stay light
            _add(left, right, hat(), t + beat / 2, sr, 0.06 * gain, -0.2)


def _fades(mix: np.ndarray, spec: SynthSpec, sr: int) -> np.ndarray:
    mix = mix.copy()
    if spec.fade_in:
        k = min(int(spec.fade_in * sr), mix.shape[0])
        mix[:k] *= np.linspace(0.0, 1.0, k)[:, None]
    if spec.fade_out:
        k = min(int(spec.fade_out * sr), mix.shape[0])
        mix[-k:] *= np.linspace(1.0, 0.0, k)[:, None]
    return mix

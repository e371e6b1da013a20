"""Synthesise a labelled set of short music clips for testing tempo, key and metre estimators.

    python benchmarks/groove_clips.py OUT_DIR [--seed 0] [--seconds 20] [--per-style 10]

This is an independent test set: it was written without looking at the project's audio
analyser, and it is frozen once committed. Changing it changes every score measured on it, so
do not tune it to what the analyser gets right or wrong. The same seed gives the same clips.

Written to OUT_DIR:

- ``clips/<style>_<nn>.wav``: 22 050 Hz mono, 16-bit PCM; RMS about -20 to -14 dBFS (lower
  where that would push the peak above -1 dBFS; nothing is clipped or limited);
- ``beats/<style>_<nn>.beats``: one line per beat, ``time<TAB>beat-in-bar`` (1 .. metre);
- ``labels.csv``: ``file, genre, tempo_bpm, key, time_signature, beats_file`` (paths relative
  to OUT_DIR; ``genre`` is the style name).

Styles (``--per-style`` clips each, 4/4 unless said):

- ``rock44``: kick on 1 and 3, snare on 2 and 4, eighth-note hi-hats;
- ``backbeat-accent``: snare + clap on 2 and 4 much louder than a soft kick, quarter hats;
- ``halftime``: snare on beat 3 only, sparse kick, sixteenth hats;
- ``swing``: ride "ding ding-a" in swung (triplet) eighths, walking bass, hi-hat on 2 and 4,
  ghost notes; 40 % in 3/4 (jazz waltz: ride "ding ding-a ding", hat on 2 and 3);
- ``sparse-perc``: soft kick on 1, a shaker on some beats, long sustained chords; 60 % in 3/4;
- ``dense-perc``: syncopated sixteenth-note congas/toms and shaker; kick four-on-the-floor
  (bass in a 3+3+2 tresillo) or in the tresillo (bass on the beats); 20 % in 3/4;
- ``no-perc``: no percussion; chords, bass on 1 (sometimes also 3), eighth or triplet
  arpeggios; 60 % in 3/4;
- ``waltz``: always 3/4; bass on 1, chord stabs on 2 and 3;
- ``reggae-skank``: chord stabs on the offbeats, one-drop (kick + rim together on 3 only);
- ``edm-4otf``: kick on every beat, open hats on the offbeats, pads and bass pumped by a
  sidechain-like envelope.

Conventions the scorer must know:

- The beat is always the quarter note of the notation, in 4/4 and 3/4 alike, and
  ``tempo_bpm`` is its rate (exact: the clip is rendered at the rounded value). In
  ``halftime`` the notation is the one where the snare lands on beat 3 of a 4/4 bar and the
  hats play sixteenths of the annotated beat; listeners often tap half that tempo. The
  ``reggae-skank`` one-drop is notated the same way (drop on beat 3). Swung eighths are at a
  ratio of about 2:1 (triplet feel); the beat is still the quarter note.
- Tempi are spread over 72-164 BPM, stratified on a log scale within every style (one clip
  per stratum), so every part of the range is covered in every style.
- ``time_signature`` is the number of beats per bar (3 or 4).
- Beat times are the nominal grid, before the few-millisecond timing jitter of the
  performance. The first beat is the first downbeat, at the clip's start or after up to
  0.5 s of silence; every later beat up to the end of the clip is listed.
- ``key`` is the tonic and mode ("F# minor"), spelt with sharps. Keys are dealt from shuffled
  decks of all 24, so every key is used (with 24 clips or more) and spread over the styles.
  Minor-key clips use the natural minor, except that some of them raise the 7th in the V
  chord (harmonic minor; always so in ``swing``, whose ii-V-i has a V7). The progressions establish the tonic
  (I-vi-IV-V, i-VI-III-VII, ii-V-I, i-iv-v-i, ...), some starting off the tonic. About 40 %
  of the clips are tuned off concert pitch by up to +-20 cents; the label ignores this.
"""

from __future__ import annotations

import argparse
import csv
import functools
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import soundfile as sf

SR = 22050
TEMPO_RANGE = (72.0, 164.0)
PITCH_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
PEAK_CEILING = 10 ** (-1 / 20)          # -1 dBFS
RMS_RANGE_DB = (-20.0, -14.0)
JITTER_S = (0.002, 0.006)               # per-clip standard deviation of the timing jitter
TABLE_SIZE = 4096
MAX_HARMONICS = 40
RELEASE = 0.08                          # seconds a plucked note rings on after its duration

T = TypeVar("T")
Rng = np.random.Generator

# ---------------------------------------------------------------- harmony

QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dom7": (0, 4, 7, 10), "min7": (0, 3, 7, 10),
    "maj7": (0, 4, 7, 11), "hdim7": (0, 3, 6, 10),
}
# Roman numeral -> (semitones above the tonic, quality).
MAJOR_CHORDS: dict[str, tuple[int, str]] = {
    "I": (0, "maj"), "ii": (2, "min"), "iii": (4, "min"), "IV": (5, "maj"), "V": (7, "maj"),
    "vi": (9, "min"), "Imaj7": (0, "maj7"), "ii7": (2, "min7"), "V7": (7, "dom7"),
    "vi7": (9, "min7"),
}
MINOR_CHORDS: dict[str, tuple[int, str]] = {
    "i": (0, "min"), "III": (3, "maj"), "iv": (5, "min"), "v": (7, "min"), "V": (7, "maj"),
    "VI": (8, "maj"), "VII": (10, "maj"), "i7": (0, "min7"), "iiø7": (2, "hdim7"),
    "iv7": (5, "min7"), "V7": (7, "dom7"), "VImaj7": (8, "maj7"),
}
MAJOR_PROGRESSIONS = ("I vi IV V", "I IV I V", "ii V I I", "I V vi IV", "vi ii V I",
                      "IV V I I", "I iii IV V", "I IV V V")
# "V" here becomes "v" in natural-minor clips, and "v" becomes "V" in harmonic-minor ones.
MINOR_PROGRESSIONS = ("i VI III VII", "i iv v i", "i VII VI V", "iv v i i", "VI VII i i",
                      "i VII iv i", "i VI iv V", "i i iv V")
JAZZ_MAJOR_PROGRESSIONS = ("ii7 V7 Imaj7 Imaj7", "Imaj7 vi7 ii7 V7", "ii7 V7 Imaj7 vi7")
JAZZ_MINOR_PROGRESSIONS = ("iiø7 V7 i7 i7", "i7 iv7 V7 i7", "i7 VImaj7 iiø7 V7")
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)

# Melody rhythms: one bar each, (onset, duration) in beats.
MELODY_CELLS: dict[int, tuple[tuple[tuple[float, float], ...], ...]] = {
    4: (((0, 1), (1, 1), (2, 2)),
        ((0, 1.5), (1.5, 0.5), (2, 1), (3, 1)),
        ((0, 2), (2, 1), (3, 0.5), (3.5, 0.5)),
        ((0, 0.5), (0.5, 0.5), (1, 1), (2, 1.5), (3.5, 0.5)),
        ((0, 3),),
        ((0, 1), (1, 1), (2, 1))),
    3: (((0, 2), (2, 1)),
        ((0, 1), (1, 1), (2, 1)),
        ((0, 3),),
        ((0, 1.5), (1.5, 0.5), (2, 1)),
        ((0, 1), (1, 0.5), (1.5, 0.5), (2, 1))),
}


@dataclass(frozen=True)
class Chord:
    root: int                       # pitch class, 0 = C
    intervals: tuple[int, ...]

    @property
    def pitch_classes(self) -> list[int]:
        return [(self.root + i) % 12 for i in self.intervals]


# ---------------------------------------------------------------- signal helpers

def _t(n: int) -> np.ndarray:
    return np.arange(n) / SR


def _norm(x: np.ndarray) -> np.ndarray:
    return x / np.abs(x).max()


def _band(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Brick-wall band-pass in the frequency domain (for short noise bursts)."""
    spec = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    spec[(freqs < lo) | (freqs > hi)] = 0
    return np.fft.irfft(spec, len(x))


def _noise(rng: Rng, n: int, lo: float, hi: float) -> np.ndarray:
    return _norm(_band(rng.standard_normal(n), lo, hi))


def _burst(t: np.ndarray, start: float, tau: float) -> np.ndarray:
    """An exponential decay that starts at ``start`` seconds."""
    return np.where(t >= start, np.exp(-np.clip(t - start, 0, None) / tau), 0.0)


def _env(dur: float, attack: float, release: float, tau: float = math.inf,
         sustain: float = 1.0) -> np.ndarray:
    """Attack, decay towards ``sustain`` with time constant ``tau``, linear release after ``dur``."""
    t = _t(int((dur + release) * SR))
    body = (sustain + (1 - sustain) * np.exp(-t / tau)) * np.minimum(1.0, t / attack)
    return body * np.clip(1 - (t - dur) / release, 0, 1)


# ---------------------------------------------------------------- drums

def _kick(rng: Rng, c: float) -> np.ndarray:
    t = _t(int(0.5 * SR))
    f_hi, f_lo = 100 + 80 * c, 42 + 14 * c
    freq = f_lo + (f_hi - f_lo) * np.exp(-t / (0.025 + 0.03 * c))
    body = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / (0.19 - 0.1 * c))
    click = _noise(rng, len(t), 1500, 6000) * np.exp(-t / 0.003)
    return _norm(body + 0.3 * click)


def _snare(rng: Rng, c: float) -> np.ndarray:
    t = _t(int(0.35 * SR))
    f = 170 + 60 * c
    tone = (np.sin(2 * np.pi * f * t) + 0.5 * np.sin(2 * np.pi * 1.6 * f * t)) * np.exp(-t / 0.05)
    rattle = _noise(rng, len(t), 1500, 9000) * np.exp(-t / (0.08 + 0.08 * c))
    return _norm(0.4 * tone + rattle)


def _rim(rng: Rng, c: float) -> np.ndarray:
    t = _t(int(0.12 * SR))
    tone = (np.sin(2 * np.pi * (420 + 80 * c) * t)
            + 0.6 * np.sin(2 * np.pi * 1650 * t)) * np.exp(-t / 0.015)
    return _norm(tone + 0.7 * _noise(rng, len(t), 2000, 7000) * np.exp(-t / 0.006))


def _clap(rng: Rng, c: float) -> np.ndarray:
    t = _t(int(0.4 * SR))
    env = (_burst(t, 0.0, 0.004) + _burst(t, 0.009, 0.004) + _burst(t, 0.018, 0.004)
           + _burst(t, 0.027, 0.09 + 0.06 * c))
    return _norm(_noise(rng, len(t), 800, 3200) * env)


def _hat(rng: Rng, c: float, tau: float) -> np.ndarray:
    t = _t(int(max(0.1, 5 * tau) * SR))
    return _noise(rng, len(t), 6000 + 1500 * c, 10500) * np.exp(-t / tau)


def _ride(rng: Rng, c: float) -> np.ndarray:
    t = _t(int(1.2 * SR))
    f0 = 1800 + 800 * c
    ping = sum(np.sin(2 * np.pi * f0 * r * t + rng.uniform(0, 2 * np.pi))
               for r in (1.0, 1.48, 1.87, 2.41))
    wash = _noise(rng, len(t), 3500, 10000)
    return _norm(0.1 * ping * np.exp(-t / 0.6) + wash * np.exp(-t / 0.35))


def _shaker(rng: Rng, c: float) -> np.ndarray:
    t = _t(int(0.15 * SR))
    rise = 0.01 + 0.01 * c
    return _noise(rng, len(t), 4500, 10500) * np.minimum(1, t / rise) * _burst(t, rise, 0.04)


def _brush(rng: Rng, c: float) -> np.ndarray:
    t = _t(int(0.25 * SR))
    return _noise(rng, len(t), 1500, 7000) * np.minimum(1, t / 0.01) * np.exp(-t / (0.05 + 0.04 * c))


def _drum_tone(rng: Rng, pitch: float, tau: float, slap: float) -> np.ndarray:
    """Tom or conga: a sine with a short downward pitch glide, plus a noise slap."""
    t = _t(int(5 * tau * SR))
    freq = pitch * (1 + 0.3 * np.exp(-t / 0.015))
    body = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / tau)
    return _norm(body + slap * _noise(rng, len(t), 800, 5000) * np.exp(-t / 0.008))


DRUMS: dict[str, Callable[[Rng, float], np.ndarray]] = {
    "kick": _kick,
    "snare": _snare,
    "rim": _rim,
    "clap": _clap,
    "hat": lambda rng, c: _hat(rng, c, 0.03 + 0.02 * c),
    "open_hat": lambda rng, c: _hat(rng, c, 0.2 + 0.12 * c),
    "ride": _ride,
    "shaker": _shaker,
    "brush": _brush,
    "tom_low": lambda rng, c: _drum_tone(rng, 95 + 20 * c, 0.25, 0.15),
    "tom_mid": lambda rng, c: _drum_tone(rng, 135 + 25 * c, 0.22, 0.15),
    "tom_high": lambda rng, c: _drum_tone(rng, 185 + 30 * c, 0.2, 0.15),
    "conga_low": lambda rng, c: _drum_tone(rng, 180 + 30 * c, 0.16, 0.35),
    "conga_high": lambda rng, c: _drum_tone(rng, 270 + 50 * c, 0.13, 0.45),
}


class Kit:
    """One clip's drum kit: a character in [0, 1) per drum, and three noise variants of each."""

    VARIANTS = 3

    def __init__(self, rng: Rng) -> None:
        self.rng = rng
        self.character = {name: float(rng.random()) for name in DRUMS}
        self._pool: dict[str, list[np.ndarray]] = {}

    def sample(self, name: str) -> np.ndarray:
        if name not in self._pool:
            self._pool[name] = [DRUMS[name](self.rng, self.character[name])
                                for _ in range(self.VARIANTS)]
        return self._pool[name][int(self.rng.integers(self.VARIANTS))]


# ---------------------------------------------------------------- pitched instruments

ORGAN_DRAWBARS = {1: 0.5, 2: 1.0, 3: 0.4, 4: 0.6, 6: 0.3, 8: 0.3}   # harmonics of f/2
TIMBRES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "bright": lambda k: 1 / k,
    "mellow": lambda k: 1 / k ** 2.5,
    "saw": lambda k: np.exp(-k / 10) / k,
    "bass": lambda k: np.exp(-k / 5) / k,
    "reed": lambda k: np.where(k % 2 == 1, 1.0, 0.25) / k,
    "organ": lambda k: np.array([ORGAN_DRAWBARS.get(int(h), 0.0) for h in k]),
}


@functools.lru_cache(maxsize=None)
def _table(timbre: str, n_harmonics: int) -> np.ndarray:
    k = np.arange(1, n_harmonics + 1)
    amps = TIMBRES[timbre](k.astype(float))
    x = np.arange(TABLE_SIZE) / TABLE_SIZE
    table = (amps[:, None] * np.sin(2 * np.pi * k[:, None] * x)).sum(axis=0)
    return table / np.abs(table).max()


def _wave(timbre: str, f: float, n: int, phase: float) -> np.ndarray:
    """A band-limited periodic waveform read from a wavetable (harmonics kept below 0.45 SR)."""
    table = _table(timbre, int(np.clip(0.45 * SR / f, 1, MAX_HARMONICS)))
    pos = (phase + f * np.arange(n) / SR) % 1.0 * TABLE_SIZE
    i = pos.astype(np.int64)
    return table[i] + (pos - i) * (table[(i + 1) % TABLE_SIZE] - table[i])


def piano(f: float, dur: float, rng: Rng) -> np.ndarray:
    """Additive: a mellow partial set plus a bright one that dies away faster."""
    tau = float(np.clip(1.8 * (262 / f) ** 0.5, 0.5, 4.0))
    env = _env(min(dur, 3 * tau), 0.003, 0.1, tau, 0.0)
    n, phase = len(env), rng.random()
    tone = _wave("mellow", f, n, phase) + 0.8 * _wave("bright", f, n, phase) * np.exp(-_t(n) / (0.2 * tau))
    return tone * env


def epiano(f: float, dur: float, rng: Rng) -> np.ndarray:
    """FM with a 1:1 ratio and a fast-falling index."""
    tau = float(np.clip(1.5 * (262 / f) ** 0.4, 0.4, 3.0))
    env = _env(min(dur, 3 * tau), 0.002, 0.08, tau, 0.0)
    t = _t(len(env))
    index = 1.8 * np.exp(-t / 0.25)
    return np.sin(2 * np.pi * f * t + index * np.sin(2 * np.pi * f * t)) * env


def bell(f: float, dur: float, rng: Rng) -> np.ndarray:
    """FM bell: inharmonic 3.5:1 modulator."""
    env = _env(min(dur, 3.0), 0.002, 0.3, 1.2, 0.0)
    t = _t(len(env))
    index = 2.5 * np.exp(-t / 0.8)
    return np.sin(2 * np.pi * f * t + index * np.sin(2 * np.pi * 3.5 * f * t)) * env


def organ(f: float, dur: float, rng: Rng) -> np.ndarray:
    env = _env(dur, 0.01, 0.05)
    t = _t(len(env))
    return _wave("organ", f / 2, len(env), rng.random()) * env * (1 + 0.08 * np.sin(2 * np.pi * 6 * t))


def pad(f: float, dur: float, rng: Rng) -> np.ndarray:
    """Two slightly detuned soft saws, slow attack and release."""
    env = _env(dur, min(0.4, 0.3 * dur), 0.4)
    detune = 2 ** (7 / 1200)
    n = len(env)
    saws = _wave("saw", f * detune, n, rng.random()) + _wave("saw", f / detune, n, rng.random())
    return 0.5 * saws * env


def lead(f: float, dur: float, rng: Rng) -> np.ndarray:
    return _wave("reed", f, int((dur + 0.06) * SR), rng.random()) * _env(dur, 0.01, 0.06, 0.4, 0.7)


def synth_bass(f: float, dur: float, rng: Rng) -> np.ndarray:
    env = _env(dur, 0.005, 0.06, 0.3, 0.55)
    n, phase = len(env), rng.random()
    return (0.7 * _wave("bass", f, n, phase) + 0.5 * np.sin(2 * np.pi * (f * _t(n) + phase))) * env


def sub_bass(f: float, dur: float, rng: Rng) -> np.ndarray:
    env = _env(dur, 0.01, 0.1)
    t = _t(len(env))
    return (np.sin(2 * np.pi * f * t) + 0.15 * np.sin(4 * np.pi * f * t)) * env


def _karplus_strong(f: float, dur: float, rng: Rng, brightness: float, tau: float) -> np.ndarray:
    """Plucked string: noise in a delay loop with a two-point average, damped after ``dur``.

    The loop is run at the sample rate that makes its length (an integer delay plus the
    average's half sample) exactly one period, then resampled to SR, so the pitch is exact.
    """
    period = max(2, int(round(SR / f - 0.5)))
    rate = (period + 0.5) * f
    total = dur + RELEASE
    n = max(period + 1, int(total * rate) + 1)
    width = 1 + int((1 - brightness) * period / 3)
    excite = np.convolve(rng.uniform(-1, 1, period), np.ones(width) / width, mode="same")
    z = np.zeros(n + 1)                   # z[i + 1] is sample i; z[0] is the silence before
    z[1:period + 1] = excite - excite.mean()
    loss = 0.5 * np.exp(-1 / (tau * f))
    for s in range(period, n, period):    # each period depends only on the one before
        e = min(s + period, n)
        z[s + 1:e + 1] = loss * (z[s + 1 - period:e + 1 - period] + z[s - period:e - period])
    y = np.interp(np.arange(int(total * SR)) * rate / SR, np.arange(n), z[1:])
    env = _env(dur, 0.001, RELEASE)
    m = min(len(y), len(env))
    return _norm(y[:m] * env[:m])


def pluck(f: float, dur: float, rng: Rng) -> np.ndarray:
    return _karplus_strong(f, dur, rng, 0.7, float(np.clip(1.2 * (220 / f) ** 0.5, 0.3, 3.0)))


def pluck_bass(f: float, dur: float, rng: Rng) -> np.ndarray:
    return _karplus_strong(f, dur, rng, 0.45, 1.5)


def upright(f: float, dur: float, rng: Rng) -> np.ndarray:
    return _karplus_strong(f, dur, rng, 0.2, 1.0)


INSTRUMENTS: dict[str, Callable[[float, float, Rng], np.ndarray]] = {
    fn.__name__: fn for fn in (piano, epiano, bell, organ, pad, lead, synth_bass, sub_bass,
                               pluck, pluck_bass, upright)
}


# ---------------------------------------------------------------- clip plan and rendering

@dataclass(frozen=True)
class ClipPlan:
    name: str
    style: str
    tempo: float                  # quarter notes per minute, rounded to 0.01
    meter: int                    # beats per bar
    tonic: int                    # pitch class
    minor: bool
    seed: tuple[int, int, int]    # (global seed, style index, clip index)

    @property
    def key(self) -> str:
        return f"{PITCH_NAMES[self.tonic]} {'minor' if self.minor else 'major'}"


class Clip:
    """One clip being composed: the beat grid, harmony, humanised note placement, buses."""

    def __init__(self, plan: ClipPlan, seconds: float) -> None:
        self.plan = plan
        self.meter = plan.meter
        self.rng = rng = np.random.default_rng(list(plan.seed))
        self.seconds = seconds
        self.n = int(round(seconds * SR))
        self.spb = 60.0 / plan.tempo
        self.offset = 0.0 if rng.random() < 0.25 else float(rng.uniform(0.05, 0.5))
        self.n_beats = math.ceil((seconds - self.offset) / self.spb)
        self.n_bars = math.ceil(self.n_beats / self.meter)
        cents = float(rng.uniform(-20, 20)) if rng.random() < 0.4 else 0.0
        self.tuning = 2 ** (cents / 1200)
        self.jitter = float(rng.uniform(*JITTER_S))
        self.swing: float | None = None            # where the offbeat eighth falls, in beats
        self.pump: dict[str, float] = {}            # bus -> sidechain depth
        self.chord_low = int(rng.integers(52, 59))  # lowest note of chord voicings
        self.kit = Kit(rng)
        self.buses: dict[str, np.ndarray] = {}
        self.bar_chords: list[Chord] = []
        self.bars_per_chord = 1
        self._notes: dict[tuple[str, int, float], np.ndarray] = {}

    # -- randomness
    def choose(self, options: Sequence[T]) -> T:
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    # -- time
    def bars(self) -> Iterator[tuple[int, int]]:
        """(bar index, first beat of the bar) for every bar that starts within the clip."""
        for bar in range(self.n_bars):
            yield bar, bar * self.meter

    def time(self, beat: float) -> float:
        """Nominal time of a position in beats (offbeat eighths are delayed when swung)."""
        if self.swing is not None and math.isclose(beat % 1, 0.5):
            beat += self.swing - 0.5
        return self.offset + beat * self.spb

    def beat_lines(self) -> list[str]:
        return [f"{self.offset + k * self.spb:.4f}\t{k % self.meter + 1}" for k in range(self.n_beats)]

    # -- harmony
    def progression(self, jazz: bool = False) -> list[Chord]:
        """A chord progression in the clip's key (harmonic or natural minor chosen here)."""
        if self.plan.minor:
            names = self.choose(JAZZ_MINOR_PROGRESSIONS if jazz else MINOR_PROGRESSIONS).split()
            if not jazz:
                harmonic = self.chance(0.5)
                names = [("V" if harmonic else "v") if n in ("V", "v") else n for n in names]
            table = MINOR_CHORDS
        else:
            names = self.choose(JAZZ_MAJOR_PROGRESSIONS if jazz else MAJOR_PROGRESSIONS).split()
            table = MAJOR_CHORDS
        return [Chord((self.plan.tonic + table[n][0]) % 12, QUALITIES[table[n][1]]) for n in names]

    def set_harmony(self, chords: list[Chord], bars_per_chord: int) -> None:
        """Cycle the progression; two bars a chord only where the clip holds 1.5 cycles of it."""
        if self.n_bars < 1.5 * len(chords) * bars_per_chord:
            bars_per_chord = 1
        self.bars_per_chord = bars_per_chord
        self.bar_chords = [chords[(bar // bars_per_chord) % len(chords)] for bar in range(self.n_bars + 1)]

    def chord_at(self, beat: float) -> Chord:
        return self.bar_chords[min(int(beat // self.meter), len(self.bar_chords) - 1)]

    def spans(self) -> Iterator[tuple[int, int, Chord]]:
        """(first beat, length in beats, chord) for each chord change."""
        step = self.bars_per_chord
        for bar in range(0, self.n_bars, step):
            yield bar * self.meter, step * self.meter, self.bar_chords[bar]

    def scale(self, chord: Chord) -> list[int]:
        """Pitch classes of the scale over ``chord``: harmonic minor where the chord has the raised 7th."""
        if not self.plan.minor:
            steps = MAJOR_SCALE
        elif (self.plan.tonic + 11) % 12 in chord.pitch_classes:
            steps = tuple(11 if s == 10 else s for s in NATURAL_MINOR_SCALE)
        else:
            steps = NATURAL_MINOR_SCALE
        return [(self.plan.tonic + s) % 12 for s in steps]

    def voicing(self, chord: Chord, low: int | None = None) -> list[int]:
        """Close voicing of the chord with its lowest note at or above ``low`` (MIDI)."""
        low = self.chord_low if low is None else low
        return sorted(low + (pc - low) % 12 for pc in chord.pitch_classes)

    @staticmethod
    def bass_note(pitch_class: int, low: int = 36) -> int:
        return low + (pitch_class - low) % 12

    # -- placing sound
    def add(self, bus: str, x: np.ndarray, beat: float, gain: float) -> None:
        """Mix ``x`` in at ``beat``, with timing jitter and velocity variation."""
        jitter = float(np.clip(self.rng.normal(0, self.jitter), -3 * self.jitter, 3 * self.jitter))
        t = self.time(beat) + jitter
        gain *= float(np.exp(self.rng.normal(0, 0.08)))
        i = int(round(t * SR))
        if i >= self.n:
            return
        if i < 0:
            x, i = x[-i:], 0
        buf = self.buses.setdefault(bus, np.zeros(self.n))
        m = min(len(x), self.n - i)
        buf[i:i + m] += gain * x[:m]

    def hit(self, drum: str, beat: float, gain: float) -> None:
        if self.time(beat) < self.seconds:
            self.add("drums", self.kit.sample(drum), beat, gain)

    def note(self, bus: str, inst: str, midi: int, beat: float, beats: float, gain: float) -> None:
        if self.time(beat) >= self.seconds:
            return
        dur = beats * self.spb
        key = (inst, midi, round(dur, 3))
        if key not in self._notes:
            f = 440.0 * 2 ** ((midi - 69) / 12) * self.tuning
            self._notes[key] = INSTRUMENTS[inst](f, dur, self.rng)
        self.add(bus, self._notes[key], beat, gain)

    def chord(self, bus: str, inst: str, notes: Sequence[int], beat: float, beats: float,
              gain: float, strum: float = 0.0) -> None:
        """Notes of a chord; ``strum`` seconds between successive notes, low to high."""
        for j, midi in enumerate(notes):
            self.note(bus, inst, midi, beat + j * strum / self.spb, beats, gain)

    # -- parts
    def comp(self, inst: str, pattern: Sequence[tuple[float, float]], gain: float,
             strum: float = 0.0, bus: str = "chords") -> None:
        """Chords on the same (onset, length) pattern in every bar."""
        for _, b0 in self.bars():
            for onset, beats in pattern:
                chord = self.chord_at(b0 + onset)
                self.chord(bus, inst, self.voicing(chord), b0 + onset, beats, gain, strum)

    def sustain(self, inst: str, gain: float, bus: str = "chords") -> None:
        """Each chord held for as long as it lasts."""
        for b0, beats, chord in self.spans():
            self.chord(bus, inst, self.voicing(chord), b0, beats, gain)

    def bassline(self, inst: str, pattern: Sequence[tuple[float, float, str]], gain: float) -> None:
        """A bass riff repeated every bar: (onset, length, degree), degree one of R 3 5 8."""
        for _, b0 in self.bars():
            for onset, beats, degree in pattern:
                chord = self.chord_at(b0 + onset)
                root = self.bass_note(chord.root)
                midi = {"R": root, "3": root + chord.intervals[1], "5": root + chord.intervals[2],
                        "8": root + 12}[degree]
                self.note("bass", inst, midi, b0 + onset, beats, gain)

    def walking_bass(self, inst: str, gain: float) -> None:
        """Quarter notes: root on 1, chord tones, then a chromatic approach to the next root."""
        for _, b0 in self.bars():
            chord, after = self.chord_at(b0), self.chord_at(b0 + self.meter)
            root = self.bass_note(chord.root, 38)
            target = self.bass_note(after.root, 38)
            tones = [m for m in self.voicing(chord, root + 1) if m != root] + [root + 12]
            line = [root] + [self.choose(tones) for _ in range(self.meter - 2)]
            line.append(target + self.choose([-1, 1]))
            for k, midi in enumerate(line):
                self.note("bass", inst, midi, b0 + k, 0.95, gain * (1.1 if k == 0 else 1.0))

    def arpeggio(self, inst: str, per_beat: int, gain: float, low: int) -> None:
        """A broken chord that starts again on every beat: lowest tone first, then upwards.

        In "rolling" clips the figure alternates between two octaves from beat to beat.
        """
        rolling = self.chance(0.5)
        for _, b0 in self.bars():
            for beat in range(self.meter):
                tones = self.voicing(self.chord_at(b0 + beat), low)
                tones = (tones + [m + 12 for m in tones])[:per_beat]
                shift = 12 if rolling and beat % 2 else 0
                for j, midi in enumerate(tones):
                    accent = 1.25 if beat == j == 0 else 1.1 if j == 0 else 1.0
                    self.note("melody", inst, midi + shift, b0 + beat + j / per_beat, 2 / per_beat,
                              gain * accent)

    def melody(self, inst: str, gain: float) -> None:
        """Two one-bar rhythms in an AABA or ABAB form; chord tones on strong beats, mostly steps."""
        cells = MELODY_CELLS[self.meter]
        motifs = [cells[int(i)] for i in self.rng.integers(len(cells), size=2)]
        form = self.choose([(0, 0, 1, 0), (0, 1, 0, 1)])
        low = self.chord_low + 12
        pitch = low + (self.plan.tonic - low) % 12
        for bar, b0 in self.bars():
            for onset, beats in motifs[form[bar % 4]]:
                chord = self.chord_at(b0 + onset)
                pool = [m for m in range(low, low + 17) if m % 12 in self.scale(chord)]
                if onset % 2 == 0:
                    pool = [m for m in pool if m % 12 in chord.pitch_classes]
                weights = np.exp(-np.abs(np.array(pool) - pitch) / 2.0)
                weights[np.array(pool) == pitch] *= 0.3
                pitch = int(self.rng.choice(pool, p=weights / weights.sum()))
                self.note("melody", inst, pitch, b0 + onset, 0.9 * beats, gain)

    # -- output
    def render(self) -> np.ndarray:
        """Sum the buses (pumped ones ducked on every beat), set the level, fade the last 30 ms."""
        t = _t(self.n) - self.offset
        phase = np.mod(t / self.spb, 1.0)
        duck = np.where(t >= 0, np.exp(-phase / 0.25) * np.minimum(1.0, phase * self.spb / 0.01), 0.0)
        out = np.zeros(self.n)
        for bus, x in self.buses.items():
            out += x * (1 - self.pump[bus] * duck) if bus in self.pump else x
        out[-int(0.03 * SR):] *= np.linspace(1, 0, int(0.03 * SR))
        body = out[int(self.offset * SR):]
        out *= 10 ** (self.rng.uniform(*RMS_RANGE_DB) / 20) / np.sqrt(np.mean(body ** 2))
        peak = np.abs(out).max()
        return out * (PEAK_CEILING / peak) if peak > PEAK_CEILING else out


# ---------------------------------------------------------------- styles

def rock44(c: Clip) -> None:
    c.set_harmony(c.progression(), c.choose([1, 1, 2]))
    extra_kick, fills = c.chance(0.5), c.chance(0.5)
    for bar, b0 in c.bars():
        c.hit("kick", b0, 1.0)
        c.hit("kick", b0 + 2, 0.9)
        if extra_kick:
            c.hit("kick", b0 + 2.5, 0.6)
        c.hit("snare", b0 + 1, 0.9)
        c.hit("snare", b0 + 3, 0.9)
        fill = fills and bar % 4 == 3
        for k in range(6 if fill else 8):
            c.hit("hat", b0 + k / 2, 0.3 if k % 2 == 0 else 0.2)
        if fill:
            c.hit("tom_high", b0 + 3.5, 0.6)
            c.hit("tom_mid", b0 + 3.75, 0.6)
    c.bassline(c.choose(["pluck_bass", "synth_bass"]), [(k / 2, 0.45, "R") for k in range(8)], 0.3)
    part = c.choose(["strum", "organ", "piano"])
    if part == "strum":
        c.comp("pluck", [(0, 1.5), (1.5, 1.0), (2.5, 1.5)], 0.25, strum=0.012)
    elif part == "organ":
        c.sustain("organ", 0.15)
    else:
        c.comp("piano", [(0, 2), (2, 2)], 0.25)
    if c.chance(0.5):
        c.melody(c.choose(["lead", "bell"]), 0.25)


def backbeat_accent(c: Clip) -> None:
    c.set_harmony(c.progression(), c.choose([1, 2]))
    kicks = c.choose([(0,), (0, 2), (0, 2.5)])
    clap = c.chance(0.7)
    for _, b0 in c.bars():
        for k in kicks:
            c.hit("kick", b0 + k, 0.4)
        for k in (1, 3):
            c.hit("snare", b0 + k, 1.0)
            if clap:
                c.hit("clap", b0 + k, 0.9)
        for k in range(4):
            c.hit("hat", b0 + k, 0.3)
    if c.chance(0.5):
        c.comp(c.choose(["piano", "epiano"]), [(1, 0.5), (3, 0.5)], 0.22)
    else:
        c.sustain("pad", 0.14)
    riff = [(0, 1.5, "R"), (1.5, 0.5, "R"), (2.5, 1.0, "5")]
    c.bassline(c.choose(["synth_bass", "pluck_bass"]), riff, 0.32)
    if c.chance(0.5):
        c.melody(c.choose(["lead", "epiano", "bell"]), 0.25)


def halftime(c: Clip) -> None:
    c.set_harmony(c.progression(), c.choose([1, 2]))
    kicks = c.choose([(0,), (0, 2.5), (0, 1.75), (0, 3.5)])
    open_hat = c.chance(0.5)
    for _, b0 in c.bars():
        for k in kicks:
            c.hit("kick", b0 + k, 1.0)
        c.hit("snare", b0 + 2, 1.0)
        for k in range(16):
            if open_hat and k == 14:
                c.hit("open_hat", b0 + 3.5, 0.3)
            elif not (open_hat and k == 15):
                c.hit("hat", b0 + k / 4, (0.3, 0.15, 0.22, 0.15)[k % 4])
    c.sustain("pad", 0.2)
    gaps = [b - a for a, b in zip(kicks, kicks[1:] + (4,))]
    c.bassline("sub_bass", [(k, 0.9 * g, "R") for k, g in zip(kicks, gaps)], 0.35)
    if c.chance(0.5):
        c.melody(c.choose(["bell", "epiano"]), 0.3)


def swing(c: Clip) -> None:
    c.swing = float(c.rng.uniform(0.63, 0.68))
    c.set_harmony(c.progression(jazz=True), 1)
    ride = (0, 1, 1.5, 2, 3, 3.5) if c.meter == 4 else (0, 1, 1.5, 2)
    pedal = (1, 3) if c.meter == 4 else (1, 2)
    feather = c.chance(0.5)
    ghost = c.choose(["snare", "brush"])
    for _, b0 in c.bars():
        for k in ride:
            c.hit("ride", b0 + k, 0.3 if k % 1 else 0.45)
        for k in pedal:
            c.hit("hat", b0 + k, 0.3)
        for k in range(2 * c.meter):
            if c.chance(0.2):
                c.hit(ghost, b0 + k / 2, 0.12)
        if feather:
            for k in range(c.meter):
                c.hit("kick", b0 + k, 0.15)
    c.walking_bass("upright", 0.45)
    comping = [(0, 0.5), (1.5, 0.5)] if c.meter == 4 else [(0, 1.0), (1.5, 0.5)]
    c.comp(c.choose(["piano", "epiano"]), comping, 0.16)
    if c.chance(0.4):
        c.melody(c.choose(["lead", "epiano"]), 0.22)


def sparse_perc(c: Clip) -> None:
    c.set_harmony(c.progression(), 2)
    shaker = c.choose(["backbeat", "random", "offbeats"])
    for _, b0 in c.bars():
        c.hit("kick", b0, 0.5)
        for k in range(c.meter):
            if shaker == "backbeat" and k in ((1, 3) if c.meter == 4 else (1, 2)):
                c.hit("shaker", b0 + k, 0.35)
            elif shaker == "random" and k > 0 and c.chance(0.6):
                c.hit("shaker", b0 + k, 0.3)
            elif shaker == "offbeats":
                c.hit("shaker", b0 + k + 0.5, 0.25)
    c.sustain(c.choose(["pad", "organ"]), 0.16)
    for b0, beats, chord in c.spans():
        c.note("bass", "sub_bass", c.bass_note(chord.root), b0, 0.9 * beats, 0.25)
    if c.chance(0.5):
        c.melody(c.choose(["bell", "epiano", "piano"]), 0.25)


def dense_perc(c: Clip) -> None:
    c.set_harmony(c.progression(), c.choose([1, 2]))
    steps = 4 * c.meter
    offs = np.arange(steps) % 2 == 1                     # the "e" and "a" sixteenths
    patterns = {drum: c.rng.random(steps) < np.where(offs, p_off, p_on)
                for drum, p_on, p_off in (("conga_high", 0.35, 0.55), ("conga_low", 0.25, 0.3),
                                          ("tom_mid", 0.1, 0.15))}
    tresillo = ((0, 1.5, 3) if c.meter == 4 else (0, 1.5))
    four_floor = c.chance(0.5)        # else the kick is syncopated and the bass walks the beats
    kicks = range(c.meter) if four_floor else tresillo
    for _, b0 in c.bars():
        for drum, hits in patterns.items():
            for k in np.flatnonzero(hits ^ (c.rng.random(steps) < 0.08)):   # vary a few hits
                c.hit(drum, b0 + k / 4, 0.35 if drum == "tom_mid" else 0.45)
        for k in range(steps):
            c.hit("shaker", b0 + k / 4, 0.35 if k % 4 == 0 else 0.15)
        for k in kicks:
            c.hit("kick", b0 + k, 0.8)
    stabs = c.choose([[(0, 0.5), (1.5, 0.5), (2.5, 0.5)], [(0.5, 0.5), (1.5, 0.5), (2.75, 0.5)]])
    c.comp(c.choose(["piano", "pluck"]), [s for s in stabs if s[0] < c.meter], 0.25)
    if four_floor:
        riff = [(k, b - k, d) for k, b, d in zip(tresillo, tresillo[1:] + (c.meter,), ("R", "5", "8"))]
    else:
        riff = [(k, 0.9, d) for k, d in zip(range(c.meter), ("R", "5", "8", "5"))]
    c.bassline(c.choose(["synth_bass", "pluck_bass"]), riff, 0.35)
    if c.chance(0.3):
        c.melody(c.choose(["lead", "bell"]), 0.22)


def no_perc(c: Clip) -> None:
    c.set_harmony(c.progression(), c.choose([1, 2]))
    inst = c.choose(["piano", "organ", "epiano"])
    if inst == "organ":
        c.sustain("organ", 0.12)
    else:
        c.comp(inst, [(0, c.meter)], 0.2)
    bass = [(0.0, float(c.meter))]
    if c.meter == 4 and c.chance(0.5):
        bass = [(0.0, 2.0), (2.0, 2.0)]
    c.bassline(c.choose(["piano", "sub_bass", "upright"]), [(k, 0.95 * d, "R") for k, d in bass], 0.45)
    c.arpeggio(c.choose(["pluck", "bell", "piano", "epiano"]), c.choose([2, 3]), 0.18, c.chord_low + 12)


def waltz(c: Clip) -> None:
    c.set_harmony(c.progression(), c.choose([1, 2]))
    alternate_fifth = c.chance(0.5)
    bass_inst = c.choose(["piano", "pluck_bass", "upright", "synth_bass"])
    for bar, b0 in c.bars():
        chord = c.chord_at(b0)
        root = c.bass_note(chord.root)
        fifth = chord.intervals[2] if alternate_fifth and bar % 2 else 0
        c.note("bass", bass_inst, root + fifth, b0, 1.0, 0.5)
    c.comp(c.choose(["piano", "organ", "pluck"]), [(1, 0.6), (2, 0.6)], 0.17)
    if c.chance(0.3):
        for _, b0 in c.bars():
            c.hit("brush", b0 + 1, 0.2)
            c.hit("brush", b0 + 2, 0.2)
    if c.chance(0.6):
        c.melody(c.choose(["lead", "bell", "epiano"]), 0.25)


def reggae_skank(c: Clip) -> None:
    c.set_harmony(c.progression(), c.choose([1, 2]))
    bubble = c.chance(0.5)
    for _, b0 in c.bars():
        c.hit("kick", b0 + 2, 1.0)
        c.hit("rim", b0 + 2, 0.7)
        for k in range(8):
            c.hit("hat", b0 + k / 2, 0.22 if k % 2 else 0.15)
    skank = [(k + 0.5, 0.25) for k in range(4)]
    c.comp("pluck", skank, 0.3, strum=0.006)
    if bubble:
        c.comp("organ", skank, 0.12)
    riff = c.choose([
        [(0, 1.5, "R"), (1.5, 0.5, "5"), (2.5, 0.5, "8"), (3, 1, "5")],
        [(0, 0.75, "R"), (1, 0.5, "3"), (1.5, 1.0, "5"), (3, 0.5, "R"), (3.5, 0.5, "8")],
        [(0.5, 1.0, "R"), (2, 0.5, "R"), (2.5, 1.0, "5")],
    ])
    c.bassline(c.choose(["sub_bass", "synth_bass"]), riff, 0.4)
    if c.chance(0.4):
        c.melody(c.choose(["lead", "bell"]), 0.22)


def edm_4otf(c: Clip) -> None:
    c.set_harmony(c.progression(), c.choose([1, 2]))
    clap, sixteenths = c.chance(0.7), c.chance(0.5)
    for _, b0 in c.bars():
        for k in range(4):
            c.hit("kick", b0 + k, 1.0)
            c.hit("open_hat", b0 + k + 0.5, 0.22)
            if clap and k % 2:
                c.hit("clap", b0 + k, 0.7)
            if sixteenths:
                for s in (0.25, 0.75):
                    c.hit("hat", b0 + k + s, 0.12)
    c.pump = {"chords": float(c.rng.uniform(0.6, 0.85)), "bass": 0.5}
    c.sustain("pad", 0.2)
    c.bassline("synth_bass", [(k + 0.5, 0.4, "R") for k in range(4)], 0.35)
    if c.chance(0.4):
        c.arpeggio(c.choose(["pluck", "bell"]), 4, 0.12, c.chord_low + 12)


STYLES: dict[str, tuple[Callable[[Clip], None], float]] = {   # style -> (composer, share in 3/4)
    "rock44": (rock44, 0.0),
    "backbeat-accent": (backbeat_accent, 0.0),
    "halftime": (halftime, 0.0),
    "swing": (swing, 0.4),
    "sparse-perc": (sparse_perc, 0.6),
    "dense-perc": (dense_perc, 0.2),
    "no-perc": (no_perc, 0.6),
    "waltz": (waltz, 1.0),
    "reggae-skank": (reggae_skank, 0.0),
    "edm-4otf": (edm_4otf, 0.0),
}


# ---------------------------------------------------------------- the set

def plan_clips(seed: int, per_style: int) -> list[ClipPlan]:
    """Tempi stratified on a log scale per style, metres by share, keys dealt from shuffled decks of 24."""
    rng = np.random.default_rng(seed)
    n_total = per_style * len(STYLES)
    keys = np.concatenate([rng.permutation(24) for _ in range(math.ceil(n_total / 24))])
    edges = np.linspace(*np.log(TEMPO_RANGE), per_style + 1)
    plans = []
    for s, (style, (_, share_3)) in enumerate(STYLES.items()):
        tempi = rng.permutation(np.exp(rng.uniform(edges[:-1], edges[1:])))
        n_3 = round(share_3 * per_style)
        meters = rng.permutation([3] * n_3 + [4] * (per_style - n_3))
        for i in range(per_style):
            key = int(keys[s * per_style + i])
            plans.append(ClipPlan(f"{style}_{i:02d}", style, round(float(tempi[i]), 2), int(meters[i]),
                                  key % 12, key >= 12, (seed, s, i)))
    return plans


def write_clip(plan: ClipPlan, seconds: float, out_dir: Path) -> dict[str, str]:
    clip = Clip(plan, seconds)
    STYLES[plan.style][0](clip)
    wav, beats = f"clips/{plan.name}.wav", f"beats/{plan.name}.beats"
    sf.write(out_dir / wav, clip.render().astype(np.float32), SR, subtype="PCM_16")
    (out_dir / beats).write_text("\n".join(clip.beat_lines()) + "\n")
    return {"file": wav, "genre": plan.style, "tempo_bpm": f"{plan.tempo:.2f}", "key": plan.key,
            "time_signature": str(plan.meter), "beats_file": beats}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each clip")
    ap.add_argument("--per-style", type=int, default=10, help="clips per style")
    a = ap.parse_args(argv)
    if a.seconds < 5:
        ap.error("--seconds must be at least 5")
    if a.per_style < 1:
        ap.error("--per-style must be at least 1")

    for sub in ("clips", "beats"):
        (a.out_dir / sub).mkdir(parents=True, exist_ok=True)
    plans = plan_clips(a.seed, a.per_style)
    t_start = time.perf_counter()
    rows = []
    for style in STYLES:
        t0 = time.perf_counter()
        mine = [p for p in plans if p.style == style]
        rows += [write_clip(p, a.seconds, a.out_dir) for p in mine]
        tempi = [p.tempo for p in mine]
        n_3 = sum(p.meter == 3 for p in mine)
        print(f"{style:16s} {len(mine):3d} clips  {min(tempi):6.2f}-{max(tempi):6.2f} BPM  "
              f"4/4 x{len(mine) - n_3:<3d} 3/4 x{n_3:<3d} {time.perf_counter() - t0:5.1f} s", flush=True)

    with open(a.out_dir / "labels.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    meters = Counter(p.meter for p in plans)
    modes = Counter("minor" if p.minor else "major" for p in plans)
    elapsed = time.perf_counter() - t_start
    print(f"\n{len(plans)} clips of {a.seconds:g} s in {a.out_dir} ({elapsed:.1f} s): "
          f"tempo {min(p.tempo for p in plans):.2f}-{max(p.tempo for p in plans):.2f} BPM, "
          f"4/4 x{meters[4]}, 3/4 x{meters[3]}, {len({p.key for p in plans})} distinct keys "
          f"({modes['major']} major, {modes['minor']} minor), seed {a.seed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

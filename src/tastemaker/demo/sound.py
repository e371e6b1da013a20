"""The demo world gets sound: one short clip per track, synthesised from its audio parameters.

    >>> summary = write_world_audio(world_dir, seconds=8.0)     # audio/<track_id>.wav

Each clip follows its track's ``tempo``, ``key``/``mode``, ``time_signature``, ``loudness``
(LUFS, approximated by the clip's RMS level), onset ``density`` (lead notes per beat) and
``timbre`` (an instrument family of `styles.TIMBRES`), and its style's ``brightness`` and
``drums``. A clip is four voices over a chord progression in the key: a lead on the timbre's
wavetable playing scale notes at the onset density, sustained chords, a bass on the chord roots
on every beat, and (when the style has drums) kick, snare and hi-hat with an accent on each
downbeat. So sound follows style as taste does, and the audio model has something to learn.

Wavetable synthesis keeps a clip to a few array gathers (no Python loop per sample or note). The
clip of a track depends only on its parameters and the world's seed: the same world gives the
same bytes. Existing clips with the same parameters are kept (``audio/sound.json`` records them).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from ..audio.synth import MAJOR_SCALE, MINOR_SCALE
from ..errors import InputError, check_param
from ..progress import progress
from .styles import TIMBRES

TABLE = 2048
SOUND_VERSION = "1"
#: per instrument family: (harmonic slope, odd harmonics only, attack s, decay s, noise, MIDI register)
_PERCUSSIVE = {"drum machine", "hand percussion", "banjo", "harpsichord", "nylon guitar",
               "clean guitar", "acoustic guitar", "dusty piano", "electric piano", "upright bass"}


def _timbre_params(i: int) -> tuple[float, bool, float, float, float, int]:
    rng = np.random.default_rng(1000 + i)
    name = TIMBRES[i]
    slope = float(rng.uniform(0.7, 2.4))
    odd = bool(rng.random() < 0.35)
    attack = float(rng.uniform(0.002, 0.01)) if name in _PERCUSSIVE else float(rng.uniform(0.02, 0.12))
    decay = float(rng.uniform(0.08, 0.35)) if name in _PERCUSSIVE else float(rng.uniform(0.4, 1.5))
    noise = 0.35 if name in ("drum machine", "hand percussion") else float(rng.uniform(0, 0.06))
    register = 36 + 12 * int(rng.integers(1, 4)) if "bass" not in name else 40
    if name == "distorted guitar":
        slope, odd = 0.5, True
    return slope, odd, attack, decay, noise, register


def wavetable(timbre: int, brightness: float) -> np.ndarray:
    """One period (TABLE samples) of the timbre's waveform; brighter styles keep more harmonics."""
    slope, odd, *_ = _timbre_params(timbre)
    h = np.arange(1, 25)
    amp = h ** -(slope * (1.6 - brightness))
    if odd:
        amp[h % 2 == 0] *= 0.05
    phase = np.random.default_rng(timbre).uniform(0, 2 * np.pi, h.size)
    x = np.arange(TABLE) / TABLE
    w = (amp[:, None] * np.sin(2 * np.pi * h[:, None] * x[None, :] + phase[:, None])).sum(axis=0)
    w = np.tanh(2.5 * w / np.abs(w).max()) if TIMBRES[timbre] == "distorted guitar" else w
    return (w / np.abs(w).max()).astype(np.float32)


def _segments(n: int, onsets: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """For every sample, the index of the last onset at or before it (-1 before the first) and
    the samples elapsed since it."""
    starts = np.unique(np.minimum(np.round(onsets * sr).astype(np.int64), n))
    bounds = np.concatenate([[0], starts, [n]])
    k = np.repeat(np.arange(-1, starts.size, dtype=np.int64), np.diff(bounds))
    tau = np.arange(n, dtype=np.int64) - np.repeat(bounds[:-1], np.diff(bounds))
    return k, tau


def _voice(seg, freqs, table, attack, decay, length, sr):
    """Notes (one per segment) with `freqs` (Hz) on a wavetable, each `length` s long."""
    k, tau = seg
    n_env = max(1, int(length * sr))
    x = np.arange(n_env, dtype=np.float32) / sr
    env = np.append((1 - np.exp(-x / attack)) * np.exp(-x / decay), 0.0).astype(np.float32)
    step = (np.asarray(freqs, dtype=np.float64) * TABLE / sr).astype(np.float32)
    kk = np.maximum(k, 0)
    idx = (tau.astype(np.float32) * step[kk]).astype(np.int64) & (TABLE - 1)
    out = table[idx] * env[np.minimum(tau, n_env)]
    out[k < 0] = 0
    return out


def render_track(row: dict, *, seconds: float, sr: int, seed: int) -> np.ndarray:
    """One track's clip: float32 mono samples at `sr`, RMS at the track's loudness."""
    rng = np.random.default_rng([seed, int(row["index"])])
    n = int(round(seconds * sr))
    beat = 60.0 / float(row["tempo"])
    meter = int(row["time_signature"])
    tonic, mode = int(row["key"]), int(row["mode"])
    scale = np.array(MAJOR_SCALE if mode == 1 else MINOR_SCALE)
    timbre = int(row["timbre"])
    _, _, attack, decay, noise, register = _timbre_params(timbre)
    table = wavetable(timbre, float(row["brightness"]))
    base = register + tonic
    # chord roots per bar: I – IV/VI – V – I as scale degrees
    degrees = np.array([0, 3, 4, 0] if mode == 1 else [0, 5, 4, 0])
    bars = np.arange(0, seconds + meter * beat, meter * beat)
    bar_degree = degrees[np.arange(len(bars)) % 4]

    def degree_hz(deg, octave_shift=0):
        semis = scale[deg % 7] + 12 * (deg // 7)
        return 440.0 * 2 ** ((base + semis + 12 * octave_shift - 69) / 12)

    # lead: density notes per beat, a random walk on the scale around the bar's chord
    step = beat / max(float(row["density"]), 0.25)
    lead_on = np.arange(0, seconds, step)
    walk = np.cumsum(rng.integers(-2, 3, lead_on.size))
    bar_of = np.minimum((lead_on // (meter * beat)).astype(int), len(bars) - 1)
    lead_deg = np.clip(bar_degree[bar_of] + np.mod(walk, 5) * 2 // 2, 0, 13)
    lead_seg = _segments(n, lead_on, sr)
    lead = _voice(lead_seg, degree_hz(lead_deg, 1), table, attack, decay, step * 1.8, sr)
    # chords: root, third, fifth held through each bar
    bar_seg = _segments(n, bars, sr)
    chords = sum(_voice(bar_seg, degree_hz(bar_degree + d), table, 0.05, 2.0 * meter * beat,
                        meter * beat, sr) for d in (0, 2, 4))
    # bass on every beat, the bar's root two octaves down
    beats = np.arange(0, seconds, beat)
    bass_deg = bar_degree[np.minimum((beats // (meter * beat)).astype(int), len(bars) - 1)]
    sine = np.sin(2 * np.pi * np.arange(TABLE) / TABLE).astype(np.float32)
    beat_seg = _segments(n, beats, sr)
    bass = _voice(beat_seg, degree_hz(bass_deg, -2), sine, 0.005, 0.3, beat, sr)
    mix = 0.5 * lead + 0.18 * chords + 0.35 * bass
    if noise > 0.1:                      # a percussive instrument family: noisy attacks
        burst = np.exp(-np.arange(int(0.15 * sr) + 1) / (0.03 * sr)).astype(np.float32)
        burst[-1] = 0
        mix += 0.3 * noise * rng.standard_normal(n, dtype=np.float32) * burst[
            np.minimum(lead_seg[1], burst.size - 1)]
    if bool(row["drums"]):
        mix += _drums(beat_seg, meter, beat, rng, n, sr)
    rms = float(np.sqrt(np.mean(mix ** 2))) or 1.0
    gain = 10 ** ((float(row["loudness"]) + 0.7) / 20) / rms
    return np.clip(mix * gain, -1, 1).astype(np.float32)


def _drums(seg, meter, beat, rng, n, sr):
    """Kick on the beats (full on downbeats and even beats), snare mid-bar, hi-hat on half beats."""
    k, tau = seg
    kk = np.maximum(k, 0)
    x = np.arange(int(beat * sr) + 2, dtype=np.float32) / sr
    kick_tab = (np.sin(2 * np.pi * (50 * x + 1.8 * (1 - np.exp(-x / 0.03))))
                * np.exp(-x / 0.12)).astype(np.float32)
    snare_env = np.exp(-x / 0.06).astype(np.float32)
    half = max(1, int(beat * sr / 2))
    hat_env = np.exp(-np.arange(half, dtype=np.float32) / (0.02 * sr)).astype(np.float32)
    tau_c = np.minimum(tau, x.size - 1)
    accent = np.where((kk % meter == 0) | (kk % 2 == 0), 1.0, 0.4).astype(np.float32)
    noise = rng.standard_normal(n, dtype=np.float32)
    hiss = np.diff(noise, prepend=np.float32(0))
    snare_on = np.where(kk % meter == meter // 2, 0.5, 0.0).astype(np.float32)
    out = 0.6 * kick_tab[tau_c] * accent
    out += 0.25 * hiss * hat_env[np.arange(n) % half] + noise * snare_env[tau_c] * snare_on
    out[k < 0] = 0
    return out


def write_world_audio(world_dir: str | os.PathLike, *, seconds: float = 8.0, sr: int = 22050,
                      workers: int | None = None, seed: int | None = None) -> dict:
    """Write ``audio/<track_id>.wav`` for every track of ``catalog.csv`` (16-bit PCM mono).
    Returns ``{"written", "kept", "seconds", "sr", "folder"}``."""
    check_param("write_world_audio", "seconds", seconds, low=1.0, high=120.0, kind=(int, float))
    world = Path(world_dir)
    try:
        catalog = pd.read_csv(world / "catalog.csv")
        styles = json.loads((world / "styles.json").read_text())["styles"]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{world}: expected a demo world (catalog.csv and styles.json); {exc}") from exc
    if seed is None:
        seed = int(json.loads((world / "world.json").read_text())["params"].get("seed", 0)) \
            if (world / "world.json").exists() else 0
    by_style = {s["name"]: s for s in styles}
    catalog["brightness"] = catalog["style"].map(lambda s: by_style[s]["brightness"])
    catalog["drums"] = catalog["style"].map(lambda s: by_style[s]["drums"])
    catalog["index"] = np.arange(len(catalog))
    out = world / "audio"
    out.mkdir(exist_ok=True)
    stamp = {"version": SOUND_VERSION, "seconds": seconds, "sr": sr, "seed": seed}
    record = out / "sound.json"
    same = record.exists() and json.loads(record.read_text()) == stamp
    rows = catalog.to_dict("records")
    todo = [r for r in rows if not (same and (out / f"{r['track_id']}.wav").exists())]
    record.unlink(missing_ok=True)
    workers = workers or min(4, os.cpu_count() or 1)
    chunks = [todo[i:i + 64] for i in range(0, len(todo), 64)]
    with progress("Synthesising the demo world's audio", total=len(todo)) as step:
        if workers > 1 and len(chunks) > 1:
            with ProcessPoolExecutor(workers) as pool:
                for done in pool.map(_write_chunk, chunks, [out] * len(chunks), [seconds] * len(chunks),
                                     [sr] * len(chunks), [seed] * len(chunks)):
                    step.advance(done)
        else:
            for chunk in chunks:
                step.advance(_write_chunk(chunk, out, seconds, sr, seed))
    record.write_text(json.dumps(stamp))
    return {"written": len(todo), "kept": len(rows) - len(todo), "seconds": seconds, "sr": sr,
            "folder": str(out)}


def _write_chunk(rows: list[dict], out: Path, seconds: float, sr: int, seed: int) -> int:
    for r in rows:
        y = render_track(r, seconds=seconds, sr=sr, seed=seed)
        path = out / f"{r['track_id']}.wav"
        tmp = out / f".{r['track_id']}.tmp.wav"
        sf.write(tmp, y, sr, subtype="PCM_16")
        os.replace(tmp, path)
    return len(rows)

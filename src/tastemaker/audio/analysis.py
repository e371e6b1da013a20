"""One track's analysis, assembled in the shape of the Echo Nest / Spotify `audio-analysis`.

Data flow: `io.decode` (mono 22.05 kHz signal, BS.1770 loudness measured on the original
channels) → `frames.compute_frames` (STFT, mel, constant-Q chroma, onsets, MFCCs: once) →
`rhythm` (tempo, beats, metre, tatums) and `key` → `structure` (sections, segments) → the
document below. `features.flat_features` summarises the same estimates in one flat row.

    >>> doc = analyse_file("song.flac")
    >>> doc["track"]["tempo"], doc["track"]["key"], len(doc["segments"])

Every field of the document has a defined value for silence and for very short clips: no beats,
bars, tatums; tempo 0 and key −1 with confidence 0; one section and one segment.
"""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np

from . import features as feat
from . import frames as fr
from . import key as key_mod
from . import rhythm, structure
from .io import ANALYSIS_SR, Decoded, decode
from .loudness import FLOOR_LUFS, block_powers, gated_loudness, loudness_range, power_to_lufs

ANALYSER_VERSION = "tastemaker-audio 1.1"
#: longest stretch analysed, in seconds (longer files: the start, with a note in meta)
MAX_DURATION = 1800.0


@dataclasses.dataclass
class Estimates:
    """Every estimate of one track, before it is written out as a document."""

    decoded: Decoded
    frames: fr.Frames
    tempo: rhythm.Tempo
    beats: rhythm.Beats
    accents: np.ndarray
    meter: rhythm.Meter
    key: key_mod.Key


def estimate(decoded: Decoded) -> Estimates:
    """The track-level estimates (what the flat features need)."""
    f = fr.compute_frames(y=decoded.y, sr=decoded.sr)
    tempo = rhythm.estimate_tempo(onset=f.onset, frame_rate=f.frame_rate)
    beats = rhythm.track_beats(onset=rhythm.beat_envelope(onset=f.onset, onset_low=f.onset_low),
                               frame_rate=f.frame_rate, bpm=tempo.bpm, hop=f.hop)
    accents = rhythm.beat_features(beat_frames=beats.frames, onset=f.onset,
                                   onset_low=f.onset_low, chroma=f.chroma, rms_db=f.rms_db)
    meter = rhythm.estimate_meter(accents=accents)
    k = key_mod.estimate_key(chroma=f.chroma, bass_chroma=f.bass_chroma, tonalness=f.tonalness)
    return Estimates(decoded, f, tempo, beats, accents, meter, k)


def flat_features(est: Estimates) -> dict:
    """The flat audio-features row (see `features`)."""
    d, f = est.decoded, est.frames
    duration = d.duration
    bright = feat.spectral_centroid_hz(mel_db=f.mel_db, sr=f.sr) / 4000.0
    rate = feat.onset_rate(onset=f.onset, frame_rate=f.frame_rate, hop=f.hop)
    step_loud = power_to_lufs(block_powers(d.step_power))
    fade_in, fade_out = feat.fades(step_loudness=step_loud, loudness_lufs=d.loudness,
                                   duration=min(duration, d.decoded_seconds))
    ibis = np.diff(est.beats.frames) / f.frame_rate
    strength = float(np.mean(est.beats.confidence)) if est.beats.confidence.size else 0.0
    clarity = est.tempo.confidence
    return {
        "duration_ms": int(round(duration * 1000)),
        "loudness": round(d.loudness, 3),
        "loudness_range": round(loudness_range(d.step_power), 2),
        "tempo": round(_tempo(est), 3),
        "tempo_confidence": est.tempo.confidence,
        "time_signature": est.meter.beats_per_bar,
        "time_signature_confidence": est.meter.confidence,
        "key": est.key.key,
        "key_confidence": est.key.confidence,
        "mode": _mode(est.key),
        "mode_confidence": est.key.mode_confidence,
        "energy": round(feat.energy(loudness_lufs=d.loudness, onsets_per_second=rate,
                                    brightness=bright), 3),
        "danceability": round(feat.danceability(tempo_bpm=_tempo(est), pulse_clarity=clarity,
                                                beat_intervals=ibis, beat_strength=strength), 3),
        "brightness": round(float(np.clip(bright, 0, 1)), 3),
        "tonalness": round(float(np.mean(f.tonalness)) if f.tonalness.size else 0.0, 3),
        "onset_rate": round(rate, 3),
        "end_of_fade_in": fade_in,
        "start_of_fade_out": fade_out,
    }


def document(est: Estimates, *, path: str, started: float | None = None) -> dict:
    """The full analysis document (meta, track, bars, beats, tatums, sections, segments) plus
    the flat row under ``audio_features``."""
    d, f = est.decoded, est.frames
    flat = flat_features(est)
    beat_times = f.times(est.beats.frames)
    end = min(d.duration, d.decoded_seconds)
    beats = _events(beat_times, est.beats.confidence, end)
    bars = _bars(est, beat_times, end)
    tatums = _tatums(est, end)
    sections = _sections(est, end)
    segments = _segments(est, end)
    notes = []
    if d.truncated:
        notes.append(f"truncated file: {d.decoded_seconds:.2f} s could be decoded"
                     + (f" of the {d.info.duration:.2f} s its header announces"
                        if d.info.duration else ""))
    if d.limited:
        notes.append(f"analysed the first {d.decoded_seconds:.0f} s of {d.info.duration:.0f} s "
                     f"(the analysis limit)")
    if flat["loudness"] <= FLOOR_LUFS:
        notes.append("silence: no beat, no key")
    elif d.decoded_seconds < 2.0:
        notes.append("very short clip: rhythm and key need a few seconds")
    track = {
        "num_samples": int(d.y.shape[0]),
        "duration": round(d.duration, 5),
        "offset_seconds": 0,
        "window_seconds": round(d.decoded_seconds, 3) if d.limited else 0,
        "analysis_sample_rate": d.sr,
        "analysis_channels": 1,
        "end_of_fade_in": flat["end_of_fade_in"],
        "start_of_fade_out": flat["start_of_fade_out"],
        "loudness": flat["loudness"],
        "tempo": flat["tempo"],
        "tempo_confidence": flat["tempo_confidence"],
        "time_signature": flat["time_signature"],
        "time_signature_confidence": flat["time_signature_confidence"],
        "key": flat["key"],
        "key_confidence": flat["key_confidence"],
        "mode": flat["mode"],
        "mode_confidence": flat["mode_confidence"],
    }
    meta = {
        "analyzer_version": ANALYSER_VERSION,
        "detailed_status": "OK" + (": " + "; ".join(notes) if notes else ""),
        "filename": path,
        "decoder": "audioread" if d.info.format == "audioread" else f"soundfile ({d.info.format})",
        "sample_rate": d.info.sample_rate,
        "channels": d.info.channels,
        "seconds": int(round(d.duration)),
        "status_code": 0,
        "timestamp": int(time.time()),
        "analysis_time": round(time.perf_counter() - started, 5) if started else None,
    }
    return {"meta": meta, "track": track, "bars": bars, "beats": beats, "tatums": tatums,
            "sections": sections, "segments": segments, "audio_features": flat}


def analyse_file(path: str | os.PathLike, *, max_duration: float | None = MAX_DURATION) -> dict:
    """Decode and analyse one file; `AudioError` when it cannot be decoded."""
    started = time.perf_counter()
    decoded = decode(path, sr=ANALYSIS_SR, max_duration=max_duration)
    doc = document(estimate(decoded), path=str(path), started=started)
    doc["meta"]["analysis_time"] = round(time.perf_counter() - started, 5)
    return doc


def features_file(path: str | os.PathLike, *, max_duration: float | None = MAX_DURATION) -> dict:
    """Decode one file and compute only the flat audio-features row."""
    return flat_features(estimate(decode(path, sr=ANALYSIS_SR, max_duration=max_duration)))


def failure_document(path: str | os.PathLike, reason: str) -> dict:
    """What a file that could not be analysed gets: meta with status_code 1 and the reason."""
    return {"meta": {"analyzer_version": ANALYSER_VERSION, "detailed_status": reason,
                     "filename": str(path), "status_code": 1, "timestamp": int(time.time())}}


# ---------------------------------------------------------------------------------------------

def _tempo(est: Estimates) -> float:
    return est.beats.bpm if est.beats.frames.size >= 4 else est.tempo.bpm


def _mode(k: key_mod.Key) -> int:
    return -1 if k.key < 0 else k.mode


def _r(x, n=5) -> float:
    return round(float(x), n)


def _events(starts: np.ndarray, confidence: np.ndarray, end: float) -> list[dict]:
    """Time-stamped events, each lasting until the next (the last: one median interval)."""
    if starts.size == 0:
        return []
    step = float(np.median(np.diff(starts))) if starts.size > 1 else 0.0
    stops = np.r_[starts[1:], min(starts[-1] + step, end)]
    return [{"start": _r(s), "duration": _r(max(e - s, 0.0)), "confidence": _r(c, 3)}
            for s, e, c in zip(starts, stops, confidence)]


def _bars(est: Estimates, beat_times: np.ndarray, end: float) -> list[dict]:
    m, first = est.meter.beats_per_bar, est.meter.downbeat
    if beat_times.size < m:
        return []
    idx = np.arange(first, beat_times.size, m)
    accent = rhythm.ACCENT_WEIGHTS[: est.accents.shape[0]] @ est.accents
    conf = 1.0 / (1.0 + np.exp(-accent[idx]))
    starts = beat_times[idx]
    step = float(np.median(np.diff(beat_times))) * m
    stops = np.r_[starts[1:], min(starts[-1] + step, end)]
    return [{"start": _r(s), "duration": _r(max(e - s, 0.0)), "confidence": _r(c, 3)}
            for s, e, c in zip(starts, stops, conf)]


def _tatums(est: Estimates, end: float) -> list[dict]:
    f = est.frames
    if est.beats.frames.size < 2:
        return []
    _, grid = rhythm.tatum_grid(beat_frames=est.beats.frames, onset=f.onset)
    idx = np.clip(np.round(grid).astype(int), 0, f.n_frames - 1)
    scale = np.percentile(f.onset, 95) or 1.0
    conf = np.clip(f.onset[idx] / scale, 0.0, 1.0)
    return _events(grid / f.frame_rate, conf, end)


def _sections(est: Estimates, end: float) -> list[dict]:
    d, f = est.decoded, est.frames
    beat_frames = est.beats.frames
    if beat_frames.size >= 16:
        units = beat_frames
    else:
        units = np.arange(0, f.n_frames, max(int(f.frame_rate / 2), 1))
    m = est.meter.beats_per_bar
    anchors = beat_frames[est.meter.downbeat::m] if beat_frames.size >= 2 * m else None
    starts, confs = structure.boundaries(unit_frames=units, chroma=f.chroma, mfcc=f.mfcc,
                                         rms_db=f.rms_db, frame_rate=f.frame_rate, anchors=anchors)
    start_s = starts / f.frame_rate
    stop_s = np.r_[start_s[1:], end]
    out = []
    for a, b, c in zip(start_s, stop_s, confs):
        fa, fb = int(a * f.frame_rate), max(int(b * f.frame_rate), int(a * f.frame_rate) + 1)
        steps = d.step_power[int(a * 10): max(int(b * 10), int(a * 10) + 1)]
        loud = gated_loudness(block_powers(steps)) if steps.size else FLOOR_LUFS
        inside = (beat_frames >= fa) & (beat_frames < fb)
        tempo, tempo_conf = _section_tempo(est, inside)
        k = key_mod.estimate_key(chroma=f.chroma[:, fa:fb], tonalness=f.tonalness[fa:fb])
        if inside.sum() >= 8:
            meter = rhythm.estimate_meter(accents=est.accents[:, inside])
            ts, ts_conf = meter.beats_per_bar, meter.confidence
        else:
            ts, ts_conf = est.meter.beats_per_bar, 0.0
        out.append({
            "start": _r(a), "duration": _r(max(b - a, 0.0)), "confidence": _r(c, 3),
            "loudness": _r(loud, 3), "tempo": _r(tempo, 3), "tempo_confidence": _r(tempo_conf, 3),
            "key": k.key, "key_confidence": k.confidence, "mode": _mode(k),
            "mode_confidence": k.mode_confidence, "time_signature": ts,
            "time_signature_confidence": ts_conf,
        })
    return out


def _section_tempo(est: Estimates, inside: np.ndarray) -> tuple[float, float]:
    frames = est.beats.frames[inside]
    if frames.size < 4:
        return _tempo(est), 0.0
    ibi = np.diff(frames) / est.frames.frame_rate
    regularity = float(np.clip(1.0 - 4.0 * ibi.std() / ibi.mean(), 0.0, 1.0))
    return 60.0 / float(ibi.mean()), est.tempo.confidence * regularity


def _segments(est: Estimates, end: float) -> list[dict]:
    f = est.frames
    starts, conf = structure.segment_starts(onset=f.onset, rms_db=f.rms_db,
                                            frame_rate=f.frame_rate, hop=f.hop)
    if starts.size == 0:
        return []
    table = structure.segment_table(starts=starts, n_frames=f.n_frames, frame_rate=f.frame_rate,
                                    rms_db=f.rms_db, chroma=f.chroma, mfcc=f.mfcc)
    out = []
    for i in range(starts.size):
        out.append({
            "start": _r(table["start"][i]),
            "duration": _r(min(table["duration"][i], max(end - table["start"][i], 0.0))),
            "confidence": _r(conf[i], 3),
            "loudness_start": _r(table["loudness_start"][i], 3),
            "loudness_max_time": _r(table["loudness_max_time"][i]),
            "loudness_max": _r(table["loudness_max"][i], 3),
            "loudness_end": _r(table["loudness_end"][i], 3),
            "pitches": [_r(v, 3) for v in table["pitches"][i]],
            "timbre": [_r(v, 3) for v in table["timbre"][i]],
        })
    return out


def describe(doc: dict) -> str:
    """One line for a person: 'A minor, 4/4, 92.3 BPM, −9.1 LUFS, 31.0 s'."""
    t = doc.get("track")
    if not t:
        return doc["meta"]["detailed_status"]
    k = "no key" if t["key"] < 0 else (
        f"{key_mod.PITCH_CLASSES[t['key']]} {'major' if t['mode'] == 1 else 'minor'}")
    return (f"{k}, {t['time_signature']}/4, {t['tempo']:.1f} BPM, {t['loudness']:.1f} LUFS, "
            f"{t['duration']:.1f} s")


__all__ = ["ANALYSER_VERSION", "MAX_DURATION", "Estimates", "estimate", "flat_features",
           "document", "analyse_file", "features_file", "failure_document", "describe"]

"""The flat audio-features summary: one row of numbers per track, for models and playlist order.

It mirrors the fields of Spotify's `audio-features` that can be measured from the signal alone
(duration_ms, loudness, tempo, time_signature, key, mode, each with a confidence where it has
one) and adds a few transparent descriptors, each defined here in one line:

- ``energy`` (0..1): half loudness (−40 LUFS → 0, −5 LUFS → 1), a quarter onset rate
  (8 per second → 1), a quarter brightness;
- ``danceability`` (0..1): how clear and steady the beat is: the square root of the pulse
  clarity (tempo confidence) times the mean of the inter-beat regularity and the mean beat
  strength, damped outside 70–160 BPM (noise, with no pulse, scores 0);
- ``brightness`` (0..1): mean spectral centroid, 4 kHz → 1;
- ``tonalness`` (0..1): share of sustained tonal peaks in the constant-Q spectrum;
- ``onset_rate``: onsets per second;
- ``loudness_range``: EBU R128 loudness range, LU;
- ``end_of_fade_in`` / ``start_of_fade_out``: seconds.

Spotify's speechiness, acousticness, instrumentalness, liveness and valence come from models
trained on labelled audio; we have no such labels and do not pretend to compute them.
"""

from __future__ import annotations

import librosa
import numpy as np

FIELDS = (
    "duration_ms", "loudness", "loudness_range", "tempo", "tempo_confidence", "time_signature",
    "time_signature_confidence", "key", "key_confidence", "mode", "mode_confidence", "energy",
    "danceability", "brightness", "tonalness", "onset_rate", "end_of_fade_in",
    "start_of_fade_out",
)


def spectral_centroid_hz(*, mel_db: np.ndarray, sr: int) -> float:
    """Mean spectral centroid (Hz) over frames with energy, from a dB mel spectrogram."""
    if mel_db.size == 0:
        return 0.0
    freqs = librosa.mel_frequencies(mel_db.shape[0] + 2, fmax=sr / 2)[1:-1]
    power = librosa.db_to_power(mel_db)
    total = power.sum(axis=0)
    active = total > max(total.max() * 1e-4, 1e-7)   # frames louder than about -70 dBFS
    if not active.any():
        return 0.0
    centroid = (freqs[:, None] * power[:, active]).sum(axis=0) / total[active]
    return float(np.mean(centroid))


def onset_rate(*, onset: np.ndarray, frame_rate: float, hop: int) -> float:
    """Detected onsets per second."""
    if onset.size == 0 or not np.any(onset > 0):
        return 0.0
    found = librosa.onset.onset_detect(onset_envelope=onset, sr=frame_rate * hop, hop_length=hop)
    return float(len(found) / (onset.size / frame_rate))


def danceability(*, tempo_bpm: float, pulse_clarity: float, beat_intervals: np.ndarray,
                 beat_strength: float) -> float:
    """0..1: a clear, steady, strong beat at a walkable tempo."""
    if tempo_bpm <= 0 or beat_intervals.size < 2:
        return 0.0
    regularity = float(np.clip(1.0 - 4.0 * beat_intervals.std() / beat_intervals.mean(), 0, 1))
    steady = 0.5 * regularity + 0.5 * float(np.clip(beat_strength, 0, 1))
    score = float(np.sqrt(np.clip(pulse_clarity, 0, 1))) * steady
    octaves_out = max(0.0, np.log2(70.0 / tempo_bpm), np.log2(tempo_bpm / 160.0))
    return float(np.clip(score * np.exp(-2.0 * octaves_out ** 2), 0.0, 1.0))


def energy(*, loudness_lufs: float, onsets_per_second: float, brightness: float) -> float:
    """0..1, see the module docstring."""
    loud = np.clip((loudness_lufs + 40.0) / 35.0, 0.0, 1.0)
    busy = np.clip(onsets_per_second / 8.0, 0.0, 1.0)
    return float(0.5 * loud + 0.25 * busy + 0.25 * np.clip(brightness, 0.0, 1.0))


def fades(*, step_loudness: np.ndarray, loudness_lufs: float, duration: float,
          margin_db: float = 2.0) -> tuple[float, float]:
    """(end_of_fade_in, start_of_fade_out) in seconds from the 400 ms loudness every 100 ms.

    The fade-in ends where the loudness, smoothed over one second, first comes within
    `margin_db` of the track's integrated loudness; the fade-out starts after the last time it
    does. A track that starts (ends) at full level gets 0.0 (its duration); silence gets
    (0.0, duration).
    """
    if step_loudness.size < 3 or loudness_lufs <= -69.9:
        return 0.0, round(duration, 3)
    k = min(9, step_loudness.size)
    smooth = np.convolve(step_loudness, np.ones(k) / k, mode="same")
    above = np.flatnonzero(smooth >= loudness_lufs - margin_db)
    if above.size == 0:
        return 0.0, round(duration, 3)
    # block j covers [0.1 j, 0.1 j + 0.4] s; its centre is 0.1 j + 0.2
    fade_in = float(above[0] * 0.1 + 0.2)
    fade_out = float(above[-1] * 0.1 + 0.2)
    fade_in = 0.0 if fade_in <= 0.6 else fade_in
    fade_out = duration if fade_out >= duration - 0.6 else fade_out
    return round(min(fade_in, duration), 3), round(min(max(fade_out, fade_in), duration), 3)

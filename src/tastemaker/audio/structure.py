"""Sections (structural segmentation) and segments (sound events at onsets).

Sections: beat-synchronous timbre, harmony and loudness are compared beat against beat (a
self-similarity matrix); Foote's checkerboard kernel slid along its diagonal gives a novelty
curve that peaks where the music before a beat is unlike the music after it. Peaks at least
`MIN_SECTION_SECONDS` apart and clearly above the curve's typical level become section
boundaries, moved to the nearest downbeat.

Segments: the Echo Nest's segments are short sound events, each roughly homogeneous in timbre
and harmony. Ours start at detected onsets (moved back to the preceding energy minimum); each
carries its loudness curve (start, maximum and when, end), its 12 pitch-class strengths scaled
so that the strongest is 1, and 12 timbre coefficients (MFCCs of the log-mel spectrum).
"""

from __future__ import annotations

import librosa
import numpy as np
import scipy.signal

MIN_SECTION_SECONDS = 8.0
KERNEL_UNITS = 16
_MAX_UNITS = 3000


def boundaries(*, unit_frames: np.ndarray, chroma: np.ndarray, mfcc: np.ndarray,
               rms_db: np.ndarray, frame_rate: float, anchors: np.ndarray | None = None,
               min_seconds: float = MIN_SECTION_SECONDS) -> tuple[np.ndarray, np.ndarray]:
    """Section starts (frames, the first is 0) and their confidences (0..1).

    `unit_frames` are the frames that start each analysis unit (beats, or fixed-length blocks
    when there are no beats); `anchors` (downbeat frames) attract boundaries within half a bar.
    """
    n_frames = rms_db.shape[0]
    units = np.asarray(unit_frames, dtype=int)
    if units.size > _MAX_UNITS:
        units = units[:: int(np.ceil(units.size / _MAX_UNITS))]
    if units.size < 2 * 4 or n_frames / frame_rate < 2 * min_seconds:
        return np.array([0]), np.array([1.0])
    feats = _unit_features(units, chroma=chroma, mfcc=mfcc, rms_db=rms_db)
    novelty = _novelty(feats, KERNEL_UNITS)
    unit_seconds = np.median(np.diff(units)) / frame_rate
    distance = max(int(round(min_seconds / max(unit_seconds, 1e-3))), 1)
    threshold = np.median(novelty) + 1.0 * novelty.std()
    peaks, _ = scipy.signal.find_peaks(novelty, height=threshold, distance=distance)
    peak_frames = units[peaks]
    if anchors is not None and len(anchors) > 1 and peaks.size:
        bar = np.median(np.diff(anchors))
        nearest = anchors[np.argmin(np.abs(anchors[None, :] - peak_frames[:, None]), axis=1)]
        peak_frames = np.where(np.abs(nearest - peak_frames) <= bar / 2, nearest, peak_frames)
    top = novelty.max() if novelty.max() > 0 else 1.0
    conf = np.clip(novelty[peaks] / top, 0.0, 1.0)
    keep = (peak_frames >= min_seconds * frame_rate / 2) & \
           (peak_frames <= n_frames - min_seconds * frame_rate / 2)
    starts, order = np.unique(np.r_[0, peak_frames[keep]], return_index=True)
    confs = np.r_[1.0, conf[keep]][order]
    return starts, np.round(confs, 3)


def _unit_features(units, *, chroma, mfcc, rms_db) -> np.ndarray:
    """Per-unit features [shape=(units, d)], each dimension z-scored."""
    bounds = np.r_[units, rms_db.shape[0]]
    c = librosa.util.sync(chroma, bounds, aggregate=np.mean, pad=False)[:, : units.size]
    c = c / (np.linalg.norm(c, axis=0, keepdims=True) + 1e-9)
    m = librosa.util.sync(mfcc[1:], bounds, aggregate=np.mean, pad=False)[:, : units.size]
    loud = librosa.util.sync(rms_db[None, :], bounds, aggregate=np.mean, pad=False)[:, : units.size]
    f = np.vstack([c, m / 10.0, loud / 6.0]).T
    f = f - f.mean(axis=0)
    std = f.std(axis=0)
    return f / np.where(std > 0, std, 1.0)


def _novelty(feats: np.ndarray, width: int) -> np.ndarray:
    """Foote novelty along the diagonal of the cosine self-similarity of `feats`."""
    n = feats.shape[0]
    x = feats / (np.linalg.norm(feats, axis=1, keepdims=True) + 1e-9)
    ssm = x @ x.T
    w = min(width, n // 2)
    g = scipy.signal.windows.gaussian(2 * w, std=w / 2)
    kernel = np.outer(g, g) * np.sign(np.outer(np.r_[-np.ones(w), np.ones(w)],
                                               np.r_[-np.ones(w), np.ones(w)]))
    padded = np.pad(ssm, w, mode="edge")
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.sum(kernel * padded[i:i + 2 * w, i:i + 2 * w])
    return np.maximum(out, 0.0)


def segment_starts(*, onset: np.ndarray, rms_db: np.ndarray, frame_rate: float, hop: int,
                   min_seconds: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Segment start frames (the first is 0) and their confidences (0..1)."""
    n = onset.shape[0]
    if n == 0:
        return np.zeros(0, int), np.zeros(0)
    if not np.any(onset > 0):
        return np.array([0]), np.array([1.0])
    energy = librosa.db_to_amplitude(rms_db)
    found = librosa.onset.onset_detect(onset_envelope=onset, sr=frame_rate * hop, hop_length=hop,
                                       backtrack=True, energy=energy, units="frames")
    starts = np.unique(np.r_[0, np.asarray(found, dtype=int)])
    starts = starts[starts < n]
    gap = max(int(round(min_seconds * frame_rate)), 1)
    keep = [starts[0]]
    for s in starts[1:]:
        if s - keep[-1] >= gap:
            keep.append(s)
    starts = np.asarray(keep)
    scale = np.percentile(onset, 99) or 1.0
    peaks = np.array([onset[s:min(s + gap + 2, n)].max() for s in starts])
    conf = np.clip(peaks / scale, 0.0, 1.0)
    conf[0] = 1.0
    return starts, np.round(conf, 3)


def segment_table(*, starts: np.ndarray, n_frames: int, frame_rate: float, rms_db: np.ndarray,
                  chroma: np.ndarray, mfcc: np.ndarray) -> dict[str, np.ndarray]:
    """Per-segment values for segments starting at `starts` and ending at the next start.

    Returns arrays keyed by field: start, duration (s), loudness_start, loudness_max,
    loudness_max_time (s after the start), loudness_end (dB), pitches [shape=(k, 12)], timbre
    [shape=(k, 12)].
    """
    starts = np.asarray(starts, dtype=int)
    stops = np.r_[starts[1:], n_frames]
    lengths = np.maximum(stops - starts, 1)
    loud = np.maximum(rms_db, -60.0)
    loud_max = np.maximum.reduceat(loud, starts)
    # position of the maximum inside each segment
    argmax = np.array([int(np.argmax(loud[a:b])) if b > a else 0 for a, b in zip(starts, stops)])
    chroma_sum = np.add.reduceat(chroma, starts, axis=1).T / lengths[:, None]
    peak = chroma_sum.max(axis=1, keepdims=True)
    pitches = np.where(peak > 0, chroma_sum / np.where(peak > 0, peak, 1.0), 0.0)
    timbre = np.add.reduceat(mfcc, starts, axis=1).T / lengths[:, None]
    return {
        "start": starts / frame_rate,
        "duration": (stops - starts) / frame_rate,
        "loudness_start": loud[starts],
        "loudness_max": loud_max,
        "loudness_max_time": argmax / frame_rate,
        "loudness_end": loud[np.maximum(stops - 1, starts)],
        "pitches": pitches,
        "timbre": timbre,
    }

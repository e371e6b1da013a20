"""Log-mel spectrograms of a 30-second excerpt from the middle of each track, cached by content.

    >>> spec = track_mels("song.flac", params=MelParams(), cache_dir=home / "cache" / "mels")
    >>> spec.mels.shape, spec.short        # ((128, 646), False): 128 bands × frames
    >>> batch = many_mels(paths, params=MelParams(), cache_dir=...)   # failures keep their reason

A spectrogram is computed once per file content: the cache key is the sha256 of the file's bytes
plus a short hash of the parameters, so a renamed or copied file is a cache hit and a re-encoded
one is not. Only the frames that hold audio are stored (float16, dB); a track shorter than the
excerpt is flagged ``short`` and `padded` fills the rest with the floor value.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.fft
from threadpoolctl import threadpool_limits

from ..audio.io import content_sha256, load_audio, probe
from ..errors import AudioError, check_param
from ..progress import progress

#: log-mel value of silence (dB re 1 after the `AMIN` floor); padding uses it
FLOOR_DB = -100.0
AMIN = 1e-10


@dataclass(frozen=True)
class MelParams:
    """How a track becomes a spectrogram: rate (Hz), bands, FFT size and hop (samples), excerpt (s)."""

    sr: int = 22050
    n_mels: int = 128
    n_fft: int = 2048
    hop_length: int = 1024
    excerpt_seconds: float = 30.0
    fmin: float = 0.0
    fmax: float | None = None

    def __post_init__(self):
        check_param("MelParams", "sr", self.sr, low=1000, kind=int)
        check_param("MelParams", "n_mels", self.n_mels, low=8, high=512, kind=int)
        check_param("MelParams", "n_fft", self.n_fft, low=64, kind=int)
        check_param("MelParams", "hop_length", self.hop_length, low=16, high=self.n_fft, kind=int)
        check_param("MelParams", "excerpt_seconds", self.excerpt_seconds, low=1.0, kind=(int, float))

    @property
    def frames(self) -> int:
        """Frames of a full excerpt (646 with the defaults)."""
        return 1 + int(round(self.excerpt_seconds * self.sr)) // self.hop_length

    @property
    def key(self) -> str:
        """A short hash of the parameters, part of every cache key."""
        return hashlib.sha256(json.dumps(dataclasses.asdict(self), sort_keys=True)
                              .encode()).hexdigest()[:10]


@dataclass
class Mels:
    """One track's spectrogram: ``mels`` float32 [shape=(n_mels, valid_frames)] in dB, the
    track's duration in seconds, and ``short`` when the track is shorter than the excerpt."""

    mels: np.ndarray
    duration: float
    short: bool
    sha256: str = ""

    @property
    def valid_frames(self) -> int:
        return int(self.mels.shape[1])

    def padded(self, frames: int) -> np.ndarray:
        """(n_mels, frames): cut to `frames`, or filled with `FLOOR_DB` up to it."""
        out = np.full((self.mels.shape[0], frames), FLOOR_DB, dtype=np.float32)
        n = min(frames, self.valid_frames)
        out[:, :n] = self.mels[:, :n]
        return out


@dataclass
class MelBatch:
    """Spectrograms of many files: ``ok[i]`` is a `Mels` or None, ``reasons[i]`` why not."""

    paths: list[str]
    ok: list[Mels | None]
    reasons: list[str | None]
    cache_hits: int = 0

    @property
    def failed(self) -> dict[str, str]:
        return {p: r for p, r in zip(self.paths, self.reasons) if r is not None}


@lru_cache(maxsize=8)
def _filterbank(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None):
    """The mel filterbank as a sparse (n_mels, 1 + n_fft / 2) matrix: each triangle spans a few
    FFT bins (about 1.5 % of the entries are non-zero with the defaults)."""
    import librosa
    import scipy.sparse
    fb = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    return scipy.sparse.csr_matrix(fb.astype(np.float32))


def log_mel(y: np.ndarray, *, params: MelParams) -> np.ndarray:
    """Log-mel spectrogram of mono samples at ``params.sr``: float32 [shape=(n_mels, t)] in dB,
    t = 1 + len(y) // hop_length (centred frames); silence gives `FLOOR_DB` everywhere; an empty
    signal gives t = 0."""
    if y.size == 0:
        return np.zeros((params.n_mels, 0), dtype=np.float32)
    half = params.n_fft // 2
    y = np.asarray(y, dtype=np.float32)
    padded = np.pad(y, half, mode="reflect" if y.size > half else "constant")
    frames = np.lib.stride_tricks.sliding_window_view(padded, params.n_fft)[::params.hop_length]
    spec = scipy.fft.rfft(frames * _window(params.n_fft), axis=1, overwrite_x=True)
    power = np.square(spec.real)                                  # (t, 1 + n_fft / 2), float32
    power += np.square(spec.imag)
    fb = _filterbank(params.sr, params.n_fft, params.n_mels, params.fmin, params.fmax)
    mel = np.ascontiguousarray(fb @ power.T, dtype=np.float32)   # (n_mels, t)
    np.maximum(mel, AMIN, out=mel)
    np.log10(mel, out=mel)
    mel *= 10.0
    return mel


def timbre_statistics(mel_db: np.ndarray) -> np.ndarray:
    """[shape=(96,)]: mean and std over time of 20 MFCCs, their deltas, and the spectral contrast
    of 8 groups of mel bands (each group's 3 loudest bands minus its 3 quietest, in dB) of a
    log-mel spectrogram [shape=(n_mels ≥ 24, T)]."""
    import librosa

    mel_db = np.asarray(mel_db, dtype=np.float32)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=20)
    width = min(9, mfcc.shape[1] - (1 - mfcc.shape[1] % 2))     # odd, at most the frames
    delta = (librosa.feature.delta(mfcc, width=width) if width >= 3 else np.zeros_like(mfcc))
    groups = np.sort(mel_db[: (mel_db.shape[0] // 8) * 8].reshape(8, -1, mel_db.shape[1]), axis=1)
    contrast = groups[:, -3:].mean(axis=1) - groups[:, :3].mean(axis=1)
    return np.concatenate([np.r_[x.mean(axis=1), x.std(axis=1)] for x in (mfcc, delta, contrast)])


@lru_cache(maxsize=8)
def _window(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


def excerpt(path: str | os.PathLike, *, params: MelParams) -> tuple[np.ndarray, float]:
    """The middle ``excerpt_seconds`` of a file, mono at ``params.sr``, and the file's duration."""
    info = probe(path)
    duration = info.duration
    if duration is None:
        y, _ = load_audio(path, sr=params.sr, mono=True)
        duration = y.size / params.sr
        n = int(round(params.excerpt_seconds * params.sr))
        start = max(0, (y.size - n) // 2)
        return y[start:start + n], float(duration)
    offset = max(0.0, (duration - params.excerpt_seconds) / 2)
    y, _ = load_audio(path, sr=params.sr, mono=True, offset=offset, duration=params.excerpt_seconds)
    return y, float(duration)


def track_mels(path: str | os.PathLike, *, params: MelParams = MelParams(),
               cache_dir: str | os.PathLike | None = None, sha256: str | None = None) -> Mels:
    """The spectrogram of one file, from the cache when these bytes were seen with these params.

    Raises `AudioError` naming the file when it is missing, unreadable or holds no samples.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such audio file (expected a readable file at that path)")
    sha = sha256 or content_sha256(path)
    cached = _cache_path(cache_dir, sha, params)
    if cached is not None and cached.exists():
        try:
            with np.load(cached) as z:
                return Mels(z["mels"].astype(np.float32), float(z["duration"]), bool(z["short"]), sha)
        except (OSError, ValueError, KeyError):
            cached.unlink(missing_ok=True)          # a torn cache file is recomputed
    y, duration = excerpt(path, params=params)
    if y.size == 0:
        raise AudioError(f"{path}: the file holds no audio samples (expected at least one frame "
                         f"of {params.n_fft} samples at {params.sr} Hz, got 0)")
    mels = log_mel(y, params=params)[:, :params.frames]
    out = Mels(mels, duration, duration + 1.0 / params.sr < params.excerpt_seconds, sha)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, mels=mels.astype(np.float16), duration=np.float64(duration),
                 short=np.bool_(out.short))
        os.replace(tmp, cached)
    return out


def is_cached(path: str | os.PathLike, *, params: MelParams, cache_dir) -> bool:
    p = _cache_path(cache_dir, content_sha256(path), params)
    return p is not None and p.exists()


def many_mels(paths: list[str | os.PathLike], *, params: MelParams = MelParams(),
              cache_dir: str | os.PathLike | None = None, description: str = "Spectrograms") -> MelBatch:
    """Spectrograms of many files; a file that cannot be read is skipped with its reason and the
    batch goes on."""
    batch = MelBatch([str(p) for p in paths], [], [])
    # one BLAS thread: the products are small, and threads only fight over a busy machine
    with progress(description, total=len(paths)) as step, threadpool_limits(1):
        for p in paths:
            try:
                sha = content_sha256(p) if Path(p).is_file() else None
                hit = sha is not None and cache_dir is not None and _cache_path(cache_dir, sha, params).exists()
                batch.ok.append(track_mels(p, params=params, cache_dir=cache_dir, sha256=sha))
                batch.reasons.append(None)
                batch.cache_hits += int(hit)
            except AudioError as exc:
                batch.ok.append(None)
                batch.reasons.append(str(exc))
            except (OSError, ValueError, RuntimeError) as exc:   # anything else a decoder throws
                batch.ok.append(None)
                batch.reasons.append(f"{p}: {type(exc).__name__}: {exc}")
            step.advance()
    return batch


def _cache_path(cache_dir, sha: str, params: MelParams) -> Path | None:
    if cache_dir is None:
        return None
    return Path(cache_dir) / sha[:2] / f"{sha}-{params.key}.npz"

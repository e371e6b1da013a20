"""Reading audio files: one validation helper, one loader, one streaming decoder for analysis.

Files are decoded with `soundfile` (libsndfile: WAV, FLAC, OGG/Vorbis, MP3, AIFF, …) block by
block, so memory stays bounded whatever the length or sample rate; files libsndfile cannot read
fall back to `audioread` (through whatever backend the machine has, e.g. ffmpeg). Channels are
averaged to mono (the LFE channel of a 6-channel file is left out) and resampled with soxr.

Defined answers for odd input, pinned by tests:

- an empty file, a file with no samples, a file no decoder can read: `AudioError` naming the
  file and the reason;
- a truncated file: the samples that could be decoded (``Decoded.truncated`` says so);
- silence: zeros (never an error);
- a clip shorter than one analysis frame: its samples, however few (possibly none when an
  ``offset`` lies past the end).

    >>> y, sr = load_audio("song.flac", sr=22050)          # mono float32, shape (n,)
    >>> y, sr = load_audio("song.flac", sr=None, mono=False)  # native rate, shape (channels, n)
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf

from ..errors import AudioError
from .loudness import LoudnessMeter

#: rate at which every analysis runs
ANALYSIS_SR = 22050
#: file name endings picked up when a folder is analysed
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff"})
_BLOCK_SECONDS = 10.0


@dataclasses.dataclass(frozen=True)
class AudioInfo:
    """What the file's header says."""

    path: str
    format: str
    sample_rate: int
    channels: int
    frames: int | None        # None when the container does not tell (some decoders)

    @property
    def duration(self) -> float | None:
        return None if self.frames is None else self.frames / self.sample_rate


@dataclasses.dataclass
class Decoded:
    """A file decoded for analysis: mono signal at `sr`, plus what was measured on the way."""

    y: np.ndarray             # float32 [shape=(n,)]
    sr: int
    info: AudioInfo
    loudness: float           # integrated BS.1770 loudness of the decoded part, LUFS
    step_power: np.ndarray    # K-weighted, channel-weighted mean power of each 100 ms step
    decoded_seconds: float    # seconds decoded at the native rate
    truncated: bool           # fewer samples than the header promised
    limited: bool             # stopped at max_duration

    @property
    def duration(self) -> float:
        """Length of the whole file in seconds (the header's, else what was decoded)."""
        if self.info.duration is not None and not self.truncated:
            return float(self.info.duration)
        return float(self.decoded_seconds)


def valid_audio(y: np.ndarray, *, mono: bool = False) -> np.ndarray:
    """Check an audio buffer once, the same way everywhere, and return it.

    A buffer must be a floating-point `np.ndarray` of shape (n,) or, unless ``mono``, (channels,
    n), with finite values. Empty buffers are valid (they have a defined analysis).
    """
    if not isinstance(y, np.ndarray):
        raise AudioError(f"Audio must be a numpy array. Got {type(y).__name__} instead.")
    if not np.issubdtype(y.dtype, np.floating):
        raise AudioError(f"Audio must be floating point. Got dtype {y.dtype} instead.")
    if y.ndim != 1 and (mono or y.ndim != 2):
        expected = "(n,)" if mono else "(n,) or (channels, n)"
        raise AudioError(f"Audio must have shape {expected}. Got shape {y.shape} instead.")
    if y.size and not np.isfinite(y).all():
        raise AudioError(f"Audio must be finite. Got {int((~np.isfinite(y)).sum())} NaN or "
                         f"infinite samples instead.")
    return y


def probe(path: str | os.PathLike) -> AudioInfo:
    """Read a file's header; `AudioError` with the reason when it is not readable audio."""
    path = Path(path)
    _check_file(path)
    try:
        with sf.SoundFile(str(path)) as f:
            frames = int(f.frames)
            if f.format == "WAV":
                # libsndfile trims the length of a cut-off WAV to what is there; the header
                # still says how long it should be, so truncation can be told
                frames = max(frames, _declared_wav_frames(path) or 0)
            return AudioInfo(str(path), f.format, int(f.samplerate), int(f.channels), frames)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        sf_reason = _short(exc)
    try:
        import audioread
        with audioread.audio_open(str(path)) as f:
            frames = int(round(f.duration * f.samplerate)) if f.duration else None
            return AudioInfo(str(path), "audioread", int(f.samplerate), int(f.channels), frames)
    except Exception as exc:  # audioread raises many unrelated types (NoBackendError, OSError …)
        other = _short(exc) if str(exc).strip() else type(exc).__name__
        if type(exc).__name__ == "NoBackendError":
            other = "no other decoder (e.g. ffmpeg) is installed"
        raise AudioError(f"{path}: not a readable audio file: {_sniff(path, sf_reason)}; "
                         f"audioread: {other}") from None


def load_audio(path: str | os.PathLike, *, sr: int | None = ANALYSIS_SR, mono: bool = True,
               offset: float | None = None, duration: float | None = None) -> tuple[np.ndarray, int]:
    """Decode a file to float32 samples in [-1, 1].

    Parameters
    ----------
    path : the audio file
    sr : target rate in Hz, or None for the file's own rate
    mono : average the channels (LFE left out) into shape (n,); else shape (channels, n)
    offset : seconds to skip at the start (None: 0)
    duration : seconds to read at most (None: to the end)

    Returns
    -------
    (y, sr) : the samples and their rate. Silence comes back as zeros; a clip shorter than asked
    comes back as it is; an offset past the end gives an empty array.
    """
    info = probe(path)
    target = info.sample_rate if sr is None else int(sr)
    parts = []
    resampler = _Resampler(info.sample_rate, target, 1 if mono else info.channels)
    try:
        for block, _last in _blocks(info, offset=offset or 0.0, duration=duration):
            x = _downmix(block)[:, None] if mono else block
            parts.append(resampler(x, last=False))
    except _Truncated:
        pass  # keep what could be decoded
    parts.append(resampler(np.zeros((0, 1 if mono else info.channels), np.float32), last=True))
    y = np.concatenate(parts, axis=0) if parts else np.zeros((0, 1), np.float32)
    y = y[:, 0] if mono else y.T
    return valid_audio(np.ascontiguousarray(y, dtype=np.float32)), target


def decode(path: str | os.PathLike, *, sr: int = ANALYSIS_SR,
           max_duration: float | None = None) -> Decoded:
    """Decode a file for analysis: mono at `sr`, BS.1770 loudness measured at the native rate
    and channel count on the way, at most `max_duration` seconds (None: all of it)."""
    info = probe(path)
    meter = LoudnessMeter(rate=info.sample_rate, channels=info.channels)
    resampler = _Resampler(info.sample_rate, sr, 1)
    parts, frames = [], 0
    truncated = False
    try:
        for block, _last in _blocks(info, offset=0.0, duration=max_duration):
            meter.add(block)
            frames += block.shape[0]
            parts.append(resampler(_downmix(block)[:, None], last=False))
    except _Truncated:
        truncated = True
    parts.append(resampler(np.zeros((0, 1), np.float32), last=True))
    if frames == 0 and not truncated:
        raise AudioError(f"{path}: the file holds no audio samples (header: {info.format}, "
                         f"{info.sample_rate} Hz, {info.channels} channels, 0 frames)")
    if frames == 0:
        raise AudioError(f"{path}: truncated or corrupt; no audio sample could be decoded")
    y = np.concatenate(parts, axis=0)[:, 0].astype(np.float32)
    limited = max_duration is not None and info.frames is not None and frames < info.frames \
        and frames >= int(max_duration * info.sample_rate) - 1
    if info.frames is not None and frames < info.frames and not limited:
        truncated = True
    return Decoded(y=valid_audio(y, mono=True), sr=sr, info=info, loudness=meter.integrated(),
                   step_power=meter.step_powers(), decoded_seconds=frames / info.sample_rate,
                   truncated=truncated, limited=limited)


def content_sha256(path: str | os.PathLike, *, chunk: int = 1 << 20) -> str:
    """The sha256 of a file's bytes (the analysis cache key)."""
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                return h.hexdigest()
            h.update(b)


# ---------------------------------------------------------------------------------------------

class _Truncated(Exception):
    """Decoding stopped early on a damaged stream (the samples before it are kept)."""


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty (0 bytes)")


def _declared_wav_frames(path: Path) -> int | None:
    """Frames a RIFF/WAVE header announces (None when it cannot tell)."""
    import struct
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, block_align = 12, None
    while pos + 8 <= len(head):
        chunk, size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if chunk == b"fmt " and pos + 22 <= len(head):
            block_align = struct.unpack("<H", head[pos + 20:pos + 22])[0]
        if chunk == b"data":
            if not block_align or size == 0xFFFFFFFF:
                return None
            return size // block_align
        pos += 8 + size + (size & 1)
    return None


def _sniff(path: Path, sf_reason: str) -> str:
    """A plain reason why libsndfile refused a file (its own message can mislead)."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in head)
    if head and printable / len(head) > 0.95:
        return f"its bytes are text, not audio ({len(head)} bytes start with {head[:24]!r})"
    if head[:4] == b"RIFF" or head[:4] == b"fLaC" or head[:4] == b"OggS" or head[:3] == b"ID3":
        return f"the {head[:4].decode('latin-1').strip()} container is damaged ({sf_reason})"
    return f"format not recognised by libsndfile ({sf_reason})"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def _blocks(info: AudioInfo, *, offset: float, duration: float | None
            ) -> Iterator[tuple[np.ndarray, bool]]:
    """Float32 blocks [shape=(n, channels)] at the native rate. Raises _Truncated on a decode
    error after at least one good block, AudioError before."""
    rate = info.sample_rate
    start = int(round(max(offset, 0.0) * rate))
    remaining = None if duration is None else max(int(round(duration * rate)), 0)
    block = int(_BLOCK_SECONDS * rate)
    if info.format == "audioread":
        yield from _audioread_blocks(info, start, remaining)
        return
    good = False
    try:
        with sf.SoundFile(info.path) as f:
            if start:
                if info.frames is not None and start >= info.frames:
                    return
                f.seek(start)
            while remaining is None or remaining > 0:
                n = block if remaining is None else min(block, remaining)
                data = f.read(n, dtype="float32", always_2d=True)
                if data.shape[0] == 0:
                    return
                if remaining is not None:
                    remaining -= data.shape[0]
                good = True
                yield _finite(data, info.path), False
                if data.shape[0] < n:
                    return
    except (sf.LibsndfileError, RuntimeError) as exc:
        if good:
            raise _Truncated(_short(exc)) from None
        raise AudioError(f"{info.path}: cannot decode ({_short(exc)})") from None


def _audioread_blocks(info: AudioInfo, start: int, remaining: int | None):
    import audioread
    skip = start * info.channels
    left = None if remaining is None else remaining * info.channels
    try:
        with audioread.audio_open(info.path) as f:
            for buf in f:
                x = np.frombuffer(buf, dtype="<i2").astype(np.float32) / 32768.0
                if skip:
                    cut = min(skip, x.size)
                    x, skip = x[cut:], skip - cut
                if left is not None:
                    x = x[:left]
                    left -= x.size
                if x.size:
                    yield x.reshape(-1, info.channels), False
                if left is not None and left <= 0:
                    return
    except Exception as exc:
        raise _Truncated(_short(exc)) from None


def _finite(data: np.ndarray, path: str) -> np.ndarray:
    if not np.isfinite(data).all():
        raise AudioError(f"{path}: the file holds NaN or infinite samples")
    return data


def _downmix(block: np.ndarray) -> np.ndarray:
    """Mono average of a block [shape=(n, channels)]; a 6-channel file's LFE (4th) is left out."""
    if block.shape[1] == 1:
        return block[:, 0]
    if block.shape[1] == 6:
        return block[:, [0, 1, 2, 4, 5]].mean(axis=1)
    return block.mean(axis=1)


class _Resampler:
    """Streaming soxr resampler (a pass-through when the rates match)."""

    def __init__(self, rate_in: int, rate_out: int, channels: int):
        self._same = int(rate_in) == int(rate_out)
        if not self._same:
            import soxr
            self._stream = soxr.ResampleStream(rate_in, rate_out, channels, dtype="float32",
                                               quality="HQ")

    def __call__(self, x: np.ndarray, *, last: bool) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self._same:
            return x
        return self._stream.resample_chunk(x, last=last)

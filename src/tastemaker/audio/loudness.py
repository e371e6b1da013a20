"""Integrated loudness (ITU-R BS.1770-4) measured while a file streams through the decoder.

`pyloudnorm.Meter` needs the whole signal in memory at its native rate and channel count (a
3-hour 192 kHz file would not fit). `LoudnessMeter` applies the same K-weighting filters (taken
from `pyloudnorm.IIRfilter`, so the coefficients are pyloudnorm's) block by block with filter
state carried over, keeps only one number per 100 ms, and gates at the end exactly as BS.1770
does: 400 ms blocks with 75 % overlap, an absolute gate at −70 LUFS, then a relative gate 10 LU
below the loudness of the blocks that passed the first gate.

    >>> meter = LoudnessMeter(rate=44100, channels=2)
    >>> for block in blocks:            # float arrays [shape=(n, 2)]
    ...     meter.add(block)
    >>> meter.integrated()              # LUFS, or FLOOR_LUFS for silence

Channel weights follow BS.1770: 1.0 for left, right and centre, 1.41 for the surround pair. Up
to five channels are taken in pyloudnorm's order (L, R, C, Ls, Rs); six channels in the WAV/SMPTE
order (L, R, C, LFE, Ls, Rs), with the LFE channel left out as the standard asks; any further
channel counts with weight 1.0.
"""

from __future__ import annotations

import numpy as np
import pyloudnorm
import scipy.signal

#: what silence (every block under the absolute gate) reports, in LUFS
FLOOR_LUFS = -70.0
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 weight of each channel [shape=(channels,)]."""
    if channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    base = [1.0, 1.0, 1.0, 1.41, 1.41]
    return np.array((base + [1.0] * channels)[:channels]) if channels <= 5 else np.ones(channels)


def k_weighting_sos(rate: float) -> np.ndarray:
    """The K-weighting pre-filter (high shelf, then high pass) as second-order sections."""
    shelf = pyloudnorm.IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf")
    high_pass = pyloudnorm.IIRfilter(0.0, 0.5, 38.0, rate, "high_pass")
    rows = []
    for f in (shelf, high_pass):
        b, a = np.asarray(f.b, float), np.asarray(f.a, float)
        rows.append(np.concatenate([b / a[0], a / a[0]]))
    return np.array(rows)


class LoudnessMeter:
    """Streaming BS.1770 meter. Feed float blocks [shape=(n, channels)] in order with `add`."""

    def __init__(self, *, rate: float, channels: int):
        self.rate = float(rate)
        self.channels = int(channels)
        self._sos = k_weighting_sos(self.rate)
        self._zi = np.zeros((self._sos.shape[0], 2, self.channels))
        self._weights = channel_weights(self.channels)
        self._sub_energy: list[float] = []     # weighted energy of each complete 100 ms step
        self._pending = np.zeros(0)            # weighted power not yet in a complete step
        self._samples = 0

    def add(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float64)
        if block.ndim == 1:
            block = block[:, None]
        if block.shape[0] == 0:
            return
        filtered, self._zi = scipy.signal.sosfilt(self._sos, block, axis=0, zi=self._zi)
        power = (filtered ** 2) @ self._weights
        self._samples += power.shape[0]
        pending = np.concatenate([self._pending, power])
        done = len(self._sub_energy)
        # step k spans samples [round(k·rate/10), round((k+1)·rate/10)) of the whole stream
        start = self._step_start(done)
        consumed = 0
        while True:
            stop = self._step_start(done + 1)
            if stop > self._samples:
                break
            n = stop - start
            self._sub_energy.append(float(pending[consumed:consumed + n].sum()))
            consumed += n
            done += 1
            start = stop
        self._pending = pending[consumed:]

    def _step_start(self, k: int) -> int:
        return int(round(k * self.rate / 10.0))

    @property
    def seconds(self) -> float:
        return self._samples / self.rate

    def step_powers(self) -> np.ndarray:
        """Mean weighted power of each complete 100 ms step [shape=(steps,)]; a stream shorter
        than one step gives one value over all of it."""
        e = np.asarray(self._sub_energy)
        if e.size == 0:
            return np.array([self._pending.mean()]) if self._samples else np.zeros(0)
        lengths = np.diff([self._step_start(k) for k in range(e.size + 1)])
        return e / lengths

    def integrated(self) -> float:
        """Gated integrated loudness in LUFS (FLOOR_LUFS when nothing passes the gates)."""
        return gated_loudness(block_powers(self.step_powers()))


def block_powers(step_powers: np.ndarray, *, steps: int = 4) -> np.ndarray:
    """Mean power of blocks of `steps` × 100 ms, one block every 100 ms (4: the 400 ms
    momentary blocks of BS.1770; 30: the 3 s short-term blocks of EBU R128). A stream shorter
    than one block gives one block over all of it, so short clips have a defined loudness."""
    p = np.asarray(step_powers, dtype=np.float64)
    if p.size == 0:
        return p
    if p.size < steps:
        return np.array([p.mean()])
    return np.convolve(p, np.ones(steps) / steps, mode="valid")


def loudness_range(step_powers: np.ndarray) -> float:
    """Loudness range in LU (EBU Tech 3342): spread between the 10th and 95th percentiles of
    the 3 s short-term loudness, after an absolute gate at −70 LUFS and a relative one 20 LU
    below the gated mean. 0 for silence or clips too short to tell."""
    short = block_powers(step_powers, steps=30)
    if short.size < 2:
        return 0.0
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10.0 * np.log10(short)
    kept = short[lufs >= _ABSOLUTE_GATE]
    if kept.size < 2:
        return 0.0
    relative = -0.691 + 10.0 * np.log10(kept.mean()) - 20.0
    values = lufs[(lufs >= _ABSOLUTE_GATE) & (lufs >= relative)]
    if values.size < 2:
        return 0.0
    return float(np.percentile(values, 95) - np.percentile(values, 10))


def power_to_lufs(power: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10.0 * np.log10(np.asarray(power, dtype=np.float64))
    return np.maximum(lufs, FLOOR_LUFS)


def gated_loudness(power: np.ndarray) -> float:
    """BS.1770 two-stage gating over block powers; FLOOR_LUFS when no block passes."""
    power = np.asarray(power, dtype=np.float64)
    if power.size == 0:
        return FLOOR_LUFS
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(power)
    kept = power[block_lufs >= _ABSOLUTE_GATE]
    if kept.size == 0:
        return FLOOR_LUFS
    relative = -0.691 + 10.0 * np.log10(kept.mean()) + _RELATIVE_GATE
    kept = power[(block_lufs >= _ABSOLUTE_GATE) & (block_lufs > relative)]
    if kept.size == 0:
        return FLOOR_LUFS
    return float(max(-0.691 + 10.0 * np.log10(kept.mean()), FLOOR_LUFS))

"""Frame-level intermediates computed once per track and shared by every estimator.

One STFT, one mel spectrogram and one constant-Q transform per track; the estimators in
`rhythm`, `key`, `structure` and `features` only take these arrays (keyword-only), so nothing is
computed twice and each estimator can be tested on arrays whose answer is known.

All frame arrays share one time axis: frame ``t`` is centred on ``t * hop / sr`` seconds.
"""

from __future__ import annotations

import dataclasses

import librosa
import numpy as np
import scipy.ndimage

N_FFT = 2048
HOP = 512
N_MELS = 128
#: constant-Q range: 6 octaves from C2 (65.4 Hz), three bins per semitone
CQT_FMIN_NOTE = "C2"
CQT_OCTAVES = 6
CQT_BINS_PER_SEMITONE = 3
#: mel bands below this frequency make the low-band (kick and bass) onset envelope
LOW_BAND_HZ = 200.0
_DB_FLOOR = -100.0


@dataclasses.dataclass
class Frames:
    """Per-frame views of one mono signal [time axis last, `frame_rate` frames per second]."""

    sr: int
    hop: int
    n_samples: int
    mel_db: np.ndarray        # [shape=(N_MELS, t)] log-power mel spectrogram, dB re full scale
    rms_db: np.ndarray        # [shape=(t,)] frame loudness, dBFS, floored at -100
    onset: np.ndarray         # [shape=(t,)] spectral-flux onset strength, all bands
    onset_low: np.ndarray     # [shape=(t,)] the same below LOW_BAND_HZ (kick drum, bass)
    chroma: np.ndarray        # [shape=(12, t)] harmonic pitch-class energy, C first, tuned
    bass_chroma: np.ndarray   # [shape=(12, t)] the same from C2 to B3 only
    tonalness: np.ndarray     # [shape=(t,)] share of constant-Q energy in tonal peaks, 0..1
    mfcc: np.ndarray          # [shape=(12, t)] mel-frequency cepstral coefficients
    tuning: float             # estimated deviation from A440, in fractions of a semitone

    @property
    def frame_rate(self) -> float:
        return self.sr / self.hop

    @property
    def n_frames(self) -> int:
        return self.onset.shape[0]

    def times(self, frames: np.ndarray | None = None) -> np.ndarray:
        """Seconds at the centre of the given frames (all frames by default)."""
        frames = np.arange(self.n_frames) if frames is None else np.asarray(frames)
        return frames * self.hop / self.sr


def compute_frames(*, y: np.ndarray, sr: int) -> Frames:
    """Every frame-level intermediate of a mono signal [shape=(n,)] at rate `sr`.

    A signal shorter than one FFT frame is zero-padded to one frame; silence gives zero onset
    strength, zero chroma and a loudness at the floor.
    """
    y = np.asarray(y, dtype=np.float32)
    n_samples = y.shape[0]
    if n_samples < N_FFT:
        y = np.pad(y, (0, N_FFT - n_samples))
    power = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP)) ** 2
    mel = librosa.feature.melspectrogram(S=power, sr=sr, n_mels=N_MELS)
    mel_db = np.maximum(10.0 * np.log10(np.maximum(mel, 1e-12)), _DB_FLOOR).astype(np.float32)
    # frame RMS from the spectrum (Parseval with the Hann window's energy)
    window_energy = np.sum(np.hanning(N_FFT) ** 2)
    ms = (power[0] + power[-1] + 2 * power[1:-1].sum(axis=0)) / (N_FFT * window_energy)
    rms_db = np.maximum(10.0 * np.log10(np.maximum(ms, 1e-12)), _DB_FLOOR).astype(np.float32)

    onset = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=HOP, lag=1, max_size=3,
                                         aggregate=np.mean)
    n_low = max(int(np.searchsorted(librosa.mel_frequencies(N_MELS + 2, fmax=sr / 2)[1:-1],
                                    LOW_BAND_HZ)), 2)
    onset_low = librosa.onset.onset_strength(S=mel_db[:n_low], sr=sr, hop_length=HOP, lag=1,
                                             max_size=1, aggregate=np.mean)
    tuning = _tuning(power, sr)
    chroma, bass_chroma, tonalness = _harmonic_chroma(y, sr, tuning)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=12).astype(np.float32)
    t = min(mel_db.shape[1], chroma.shape[1], onset.shape[0])
    return Frames(sr=sr, hop=HOP, n_samples=n_samples, mel_db=mel_db[:, :t], rms_db=rms_db[:t],
                  onset=onset[:t].astype(np.float32), onset_low=onset_low[:t].astype(np.float32),
                  chroma=chroma[:, :t], bass_chroma=bass_chroma[:, :t], tonalness=tonalness[:t],
                  mfcc=mfcc[:, :t], tuning=tuning)


def _tuning(power: np.ndarray, sr: int) -> float:
    if not np.any(power > 0):
        return 0.0
    with np.errstate(all="ignore"):
        tuning = librosa.estimate_tuning(S=power[:, :: max(1, power.shape[1] // 400)], sr=sr,
                                         n_fft=N_FFT)
    return float(tuning) if np.isfinite(tuning) else 0.0


def _harmonic_chroma(y: np.ndarray, sr: int, tuning: float):
    """Chroma that keeps sustained tonal peaks and drops drums and noise.

    Log-compressed constant-Q magnitudes are median-filtered along time (percussive hits are
    short and vanish) and then along frequency (a broadband floor is subtracted, so only
    spectral peaks remain); the three bins of each semitone are summed into its pitch class.
    """
    bps = CQT_BINS_PER_SEMITONE
    n_bins = 12 * bps * CQT_OCTAVES
    fmin = librosa.note_to_hz(CQT_FMIN_NOTE)
    # the top bin must stay below Nyquist
    while fmin * 2 ** (n_bins / (12 * bps)) >= sr / 2 and n_bins > 12 * bps:
        n_bins -= 12 * bps
    # the lowest octaves' filters need about 2 s: a shorter clip is padded with silence (and
    # its frames cut back after), so librosa neither warns nor pads inside each octave
    n_frames = 1 + len(y) // HOP
    padded_y = np.pad(y, (0, max(0, 2 * sr - len(y))))
    cqt = np.abs(librosa.cqt(padded_y, sr=sr, hop_length=HOP, fmin=fmin, n_bins=n_bins,
                             bins_per_octave=12 * bps, tuning=tuning))[:, :n_frames]
    peak = cqt.max()
    if peak <= 0:
        t = cqt.shape[1]
        return np.zeros((12, t), np.float32), np.zeros((12, t), np.float32), np.zeros(t, np.float32)
    log_c = np.log1p(1000.0 * cqt / peak)
    sustained = scipy.ndimage.median_filter(log_c, size=(1, 9), mode="nearest")
    floor = scipy.ndimage.median_filter(sustained, size=(2 * 12 * bps // 3 + 1, 1), mode="nearest")
    peaks = np.maximum(sustained - floor, 0.0)
    total = sustained.sum(axis=0)
    tonalness = np.where(total > 0, peaks.sum(axis=0) / np.maximum(total, 1e-9), 0.0)
    # semitone centres are bins 0, 3, 6 …; sum each centre with its two neighbours
    padded = np.pad(peaks, ((1, 1), (0, 0)))
    semis = padded[0:-2:bps] + padded[1:-1:bps] + padded[2::bps]
    semis = semis[: n_bins // bps]
    chroma = semis.reshape(-1, 12, semis.shape[1]).sum(axis=0)
    bass = semis[:24].reshape(2, 12, semis.shape[1]).sum(axis=0)
    return chroma.astype(np.float32), bass.astype(np.float32), tonalness.astype(np.float32)

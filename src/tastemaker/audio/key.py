"""Key and mode from chroma by key profiles, with a confidence that means something.

A key profile is a 12-vector of how much each pitch class, counted from the tonic, belongs to
a major or a minor key. The pitch-class distribution of a piece is scored against the 24
rotations of the major and minor profiles (a Pearson correlation for the published profiles, a
probability for the learned one); the best score names the key.

Profiles offered (`PROFILES`), all published in the music-cognition literature:

- ``krumhansl``: Krumhansl & Kessler (1982), listeners' probe-tone ratings. Strong tonic and
  fifth, strong minor third in minor; the classic, good on classical and common-practice music.
- ``temperley``: Temperley (2007), frequencies in the Kostka–Payne corpus of tonal music. Flatter
  for chromatic notes, so less easily pulled toward the relative key.
- ``albrecht``: Albrecht & Shanahan (2013), frequencies in a corpus of classical works, tuned to
  separate major from minor.
- ``average``: the mean of the three correlations.
- ``learned`` (the default): weights fitted to labelled recordings by `fit_profile`, a
  conditional logit over the 24 keys with one 12-weight profile per mode, shared by every
  tonic (so each labelled clip teaches all 12 rotations). The weights in `LEARNED_PROFILE` come
  from ``benchmarks/fit_key_profile.py``: the 88 GTZAN clips with a key plus 72 items of the
  synthetic set (seed 1), the regularisation chosen by leave-one-genre-out cross-validation;
  held out by genre it scores 0.67 MIREX-weighted where the best published profile scores 0.58
  (docs/analyser.md). Its scores are the 24 keys' probabilities, not correlations.

The published profiles do well on country and reggae and poorly on blues, rock and disco, where
minor-third melodies over major chords and riffs in the relative key pull toward the parallel
or relative key; the learned one gives the minor third less say in minor and more to the
degrees that separate a tonic from its relatives. Any profile can be chosen per call.

The pitch-class distribution is the mean harmonic chroma (optionally plus `BASS_WEIGHT` times
the mean bass chroma of C2–B3; measured, the bass did not help, so the weight is 0).

Confidence (0..1) is low on drums, noise and atonal audio: it multiplies how tonal the signal
is (share of constant-Q energy in sustained peaks) by how sure the profile is: for the learned
profile the best key's probability (mode confidence: how much more probable the chosen mode's
keys are, together, than the other mode's), for a published one its correlation and margin over
the runner-up. A signal with no tonal energy at all (silence, white noise, a drum loop) gets
key −1.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.optimize
import scipy.special

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "krumhansl": (
        (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88),
        (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17),
    ),
    "temperley": (
        (0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400),
        (0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330),
    ),
    "albrecht": (
        (0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081),
        (0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052),
    ),
}
#: `fit_profile` weights (major, then minor; pitch classes counted from the tonic) applied to
#: the pitch-class distribution scaled to sum to 12; see ``benchmarks/fit_key_profile.py``
LEARNED_PROFILE: tuple[tuple[float, ...], tuple[float, ...]] = (
    (2.448, 0.116, -0.607, -1.596, 1.513, -0.252, -0.796, 1.873, -1.228, -0.047, -2.477, 0.003),
    (2.539, -0.747, -0.619, 1.385, -0.634, -0.489, 0.065, 1.742, -0.750, -0.671, -0.309, -0.465),
)
DEFAULT_PROFILE = "learned"
BASS_WEIGHT = 0.0
#: below this mean tonalness there is no key to speak of
MIN_TONALNESS = 0.02


@dataclasses.dataclass(frozen=True)
class Key:
    key: int                  # 0 = C … 11 = B, −1 = none
    mode: int                 # 1 major, 0 minor (1 when key is −1)
    confidence: float         # 0..1
    mode_confidence: float    # 0..1
    scores: np.ndarray        # [shape=(24,)] C…B major, C…B minor: correlation (probability if learned)

    @property
    def name(self) -> str:
        """'A minor', 'C# major', or 'none'; the spelling mir_eval reads."""
        if self.key < 0:
            return "none"
        return f"{PITCH_CLASSES[self.key]} {'major' if self.mode == 1 else 'minor'}"


def key_scores(pcp: np.ndarray, *, profile: str = DEFAULT_PROFILE) -> np.ndarray:
    """Correlation of a pitch-class distribution [shape=(12,)] with the 24 keys (for
    ``learned``: the keys' probabilities).

    Returns [shape=(24,)]: C…B major, then C…B minor. A flat distribution scores 0 everywhere.
    """
    pcp = np.asarray(pcp, dtype=np.float64)
    if profile not in PROFILES and profile not in ("average", "learned"):
        raise ValueError(f"The 'profile' parameter must be one of "
                         f"{sorted(PROFILES) + ['average', 'learned']}. Got {profile!r} instead.")
    x = pcp - pcp.mean()
    if not np.any(np.abs(x) > 1e-12):
        return np.zeros(24)
    if profile == "learned":
        logits = learned_logits(pcp[None, :] / pcp.sum(), np.asarray(LEARNED_PROFILE))
        return np.exp(scipy.special.log_softmax(logits, axis=1))[0]
    if profile == "average":
        return np.mean([key_scores(pcp, profile=name) for name in PROFILES], axis=0)
    x = x / np.linalg.norm(x)
    out = np.empty(24)
    for m, prof in enumerate(PROFILES[profile]):
        p = np.asarray(prof) - np.mean(prof)
        p = p / np.linalg.norm(p)
        for tonic in range(12):
            out[m * 12 + tonic] = float(np.dot(x, np.roll(p, tonic)))
    return out


def pitch_class_profile(*, chroma: np.ndarray, bass_chroma: np.ndarray | None = None,
                        bass_weight: float = BASS_WEIGHT) -> np.ndarray:
    """Mean chroma [shape=(12,)] (plus weighted mean bass chroma), summing to 1 (zeros if
    there is no energy)."""
    pcp = np.asarray(chroma, dtype=np.float64).mean(axis=-1) if chroma.size else np.zeros(12)
    if bass_chroma is not None and bass_chroma.size and bass_weight:
        bass = np.asarray(bass_chroma, dtype=np.float64).mean(axis=-1)
        if bass.sum() > 0 and pcp.sum() > 0:
            pcp = pcp / pcp.sum() + bass_weight * bass / bass.sum()
    total = pcp.sum()
    return pcp / total if total > 0 else pcp


def estimate_key(*, chroma: np.ndarray, bass_chroma: np.ndarray | None = None,
                 tonalness: float | np.ndarray = 1.0, profile: str = DEFAULT_PROFILE) -> Key:
    """Key and mode of chroma frames [shape=(12, t)] (C first).

    `tonalness` is the mean share of tonal energy (0..1, see `frames.Frames.tonalness`); pass
    1.0 for chroma known to be tonal.
    """
    tonal = float(np.mean(tonalness)) if np.size(tonalness) else 0.0
    pcp = pitch_class_profile(chroma=chroma, bass_chroma=bass_chroma)
    scores = key_scores(pcp, profile=profile)
    if tonal < MIN_TONALNESS or not np.any(scores != 0):
        return Key(-1, 1, 0.0, 0.0, scores)
    order = np.argsort(-scores)
    best, second = int(order[0]), int(order[1])
    mode = 1 if best < 12 else 0
    tonic = best % 12
    # tonal evidence saturates: typical tonal music has tonalness 0.2–0.5
    tonal_term = float(np.clip(tonal / 0.25, 0.0, 1.0))
    if profile == "learned":            # probabilities
        confidence = tonal_term * scores[best]
        in_mode = scores[:12].sum() if mode == 1 else scores[12:].sum()
        mode_confidence = tonal_term * (2.0 * in_mode - 1.0)
    else:                               # correlations
        margin = scores[best] - scores[second]
        confidence = tonal_term * max(scores[best], 0.0) * float(np.clip(margin / 0.15, 0.0, 1.0)) ** 0.5
        other_mode = scores[(12 if mode == 1 else 0):(24 if mode == 1 else 12)]
        mode_margin = scores[best] - float(np.max(other_mode))
        mode_confidence = tonal_term * float(np.clip(mode_margin / 0.15, 0.0, 1.0))
    return Key(tonic, mode, round(float(np.clip(confidence, 0, 1)), 3),
               round(float(np.clip(mode_confidence, 0, 1)), 3), scores)


def _rotations(pcps: np.ndarray) -> np.ndarray:
    """[shape=(n, 12, 12)]: for each distribution, its 12 rotations (row t counts from tonic t),
    scaled so a distribution sums to 12."""
    pcps = np.asarray(pcps, dtype=np.float64)
    idx = (np.arange(12)[:, None] + np.arange(12)[None, :]) % 12
    return 12.0 * pcps[:, idx]


def _logits(rot: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return np.einsum("ntj,mj->nmt", rot, weights).reshape(len(rot), 24)


def learned_logits(pcps: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Logits [shape=(n, 24)] of the 24 keys for distributions [shape=(n, 12)] summing to 1,
    under profile weights [shape=(2, 12)] (major, minor)."""
    return _logits(_rotations(pcps), np.asarray(weights, dtype=np.float64))


def fit_profile(pcps: np.ndarray, keys: np.ndarray, *, l2: float) -> np.ndarray:
    """Profile weights [shape=(2, 12)] fitted to labelled distributions.

    `pcps` [shape=(n, 12)] are pitch-class distributions summing to 1 (`pitch_class_profile`),
    `keys` [shape=(n,)] their keys as integers 0–23 (C…B major, then C…B minor). The model is a
    conditional logit: key k = (mode m, tonic t) scores ``weights[m] · rotation_t(pcp)``; the
    weights minimise the mean negative log-likelihood of the labels plus ``l2 · |weights|²``.
    """
    pcps = np.asarray(pcps, dtype=np.float64)
    keys = np.asarray(keys)
    if pcps.ndim != 2 or pcps.shape[1] != 12 or keys.shape != (len(pcps),) or not len(keys):
        raise ValueError(f"Expected distributions of shape (n, 12) and n keys. Got "
                         f"{pcps.shape} and {keys.shape} instead.")
    if not np.issubdtype(keys.dtype, np.integer) or keys.min() < 0 or keys.max() > 23:
        raise ValueError(f"Keys must be integers 0–23 (C…B major, then C…B minor). Got values "
                         f"from {keys.min()} to {keys.max()} ({keys.dtype}) instead.")
    if not l2 >= 0:
        raise ValueError(f"The 'l2' parameter must be >= 0. Got {l2!r} instead.")
    rot = _rotations(pcps)
    n = len(keys)
    target = np.zeros((n, 24))
    target[np.arange(n), keys] = 1.0

    def loss(flat):
        w = flat.reshape(2, 12)
        log_p = scipy.special.log_softmax(_logits(rot, w), axis=1)
        resid = (np.exp(log_p) - target).reshape(n, 2, 12)
        grad = np.einsum("nmt,ntj->mj", resid, rot) / n + 2 * l2 * w
        return -np.sum(target * log_p) / n + l2 * np.sum(w * w), grad.ravel()

    result = scipy.optimize.minimize(loss, np.zeros(24), jac=True, method="L-BFGS-B")
    if not result.success:
        raise RuntimeError(f"The key profile's fit did not converge: {result.message}")
    return result.x.reshape(2, 12)

"""The musical styles of the demo world, and the words used to name its artists and tracks.

Each `Style` carries everything later stages need to make its music concrete: the ranges that
audio synthesis draws from (tempo, key, mode, metre, loudness, onset density, instruments,
brightness, duration) and the words people write about it (adjectives, bigrams, noun phrases),
which the text corpus is built from. Neighbouring styles share a few descriptors on purpose,
so that words, like listeners, link related music.

Styles live on a small 2-D map (x: acoustic → electronic, y: calm → intense). Their similarity
is a Gaussian of the distance on that map (`style_similarity`); users' tastes and their
spill-over onto neighbouring styles are drawn from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: Instrument families; a track's ``timbre`` is an index into this tuple.
TIMBRES: tuple[str, ...] = (
    "analog synth", "drum machine", "sub bass", "electric piano", "bell synth", "dusty piano",
    "pad", "string ensemble", "bass guitar", "organ", "brass", "clean guitar", "hand percussion",
    "nylon guitar", "upright bass", "harpsichord", "banjo", "fiddle", "acoustic guitar",
    "distorted guitar",
)


@dataclass(frozen=True)
class Style:
    """One generating style: where it sits, how it sounds and how people talk about it.

    Ranges are ``(low, high)``; tempo in BPM, loudness in LUFS (integrated), density in onsets
    per beat, duration in seconds. ``keys`` are the usual tonic pitch classes (0 = C … 11 = B);
    ``major`` is the share of tracks in a major mode and ``triple`` the share in 3/4.
    ``timbres`` index `TIMBRES`; ``brightness`` in [0, 1] is the spectral tilt a synthesiser
    should aim for. ``popularity`` is the style's relative share of artists and listeners.
    The descriptors come in the text model's three kinds: adjectives (adj), bigrams (n2) and
    noun phrases (np).
    """

    name: str
    coords: tuple[float, float]
    popularity: float
    tempo: tuple[float, float]
    keys: tuple[int, ...]
    major: float
    triple: float
    timbres: tuple[int, ...]
    brightness: float
    density: tuple[float, float]
    loudness: tuple[float, float]
    drums: bool
    duration: tuple[float, float]
    adjectives: tuple[str, ...]
    bigrams: tuple[str, ...]
    noun_phrases: tuple[str, ...]

    @property
    def descriptors(self) -> tuple[str, ...]:
        """All the words written about the style: adjectives, then bigrams, then noun phrases."""
        return self.adjectives + self.bigrams + self.noun_phrases

    def to_dict(self) -> dict:
        """A JSON-ready record, with instrument names next to their ids and terms by kind."""
        d = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        d["timbre_names"] = [TIMBRES[i] for i in self.timbres]
        d["descriptors"] = list(self.descriptors)
        d["terms"] = {"adj": list(self.adjectives), "n2": list(self.bigrams),
                      "np": list(self.noun_phrases)}
        return d


def _t(*names: str) -> tuple[int, ...]:
    return tuple(TIMBRES.index(n) for n in names)


STYLES: tuple[Style, ...] = (
    Style("synthpop", (0.8, 0.5), 1.4, (105, 128), (0, 2, 7, 9), 0.75, 0.02,
          _t("analog synth", "drum machine", "bell synth"), 0.75, (2.0, 3.0), (-10, -7), True,
          (190, 260),
          ("perky", "catchy", "glossy", "swedish", "upbeat", "shimmering"),
          ("swedish pop", "synth hooks", "eighties revival", "dance pop", "catchy chorus"),
          ("dance floor", "analog synthesizers", "neon nights", "drum machine")),
    Style("deep house", (1.3, 0.1), 1.1, (118, 126), (5, 9, 10, 2), 0.35, 0.0,
          _t("sub bass", "electric piano", "drum machine"), 0.5, (3.0, 4.0), (-9, -6), True,
          (300, 420),
          ("hypnotic", "warm", "soulful", "groovy", "smooth", "late-night"),
          ("house groove", "club mix", "chicago house", "warm bassline", "deep cuts"),
          ("dance floor", "rolling bassline", "after-hours club", "chord stabs")),
    Style("trap", (1.2, 0.9), 1.3, (130, 150), (1, 6, 8, 11), 0.15, 0.0,
          _t("sub bass", "drum machine", "bell synth"), 0.6, (3.5, 5.0), (-8, -5), True,
          (150, 210),
          ("hard", "menacing", "dark", "bouncy", "aggressive", "catchy"),
          ("rolling hats", "808 bass", "atlanta rap", "hard beat", "street anthem"),
          ("booming 808s", "hi-hat rolls", "southern rap", "club banger")),
    Style("lo-fi hip hop", (0.9, -0.6), 1.2, (70, 90), (2, 4, 9, 11), 0.4, 0.05,
          _t("dusty piano", "electric piano", "drum machine"), 0.3, (1.5, 2.5), (-16, -12), True,
          (120, 180),
          ("mellow", "dusty", "chill", "nostalgic", "cozy", "hazy"),
          ("study beats", "chill beats", "jazzy chords", "vinyl crackle", "rainy day"),
          ("late night study session", "tape hiss", "boom bap drums", "jazz samples")),
    Style("ambient", (0.6, -1.3), 0.8, (60, 80), (0, 4, 7, 2), 0.6, 0.15,
          _t("pad", "string ensemble"), 0.35, (0.25, 0.75), (-24, -18), False, (300, 600),
          ("ethereal", "calm", "spacious", "meditative", "drifting", "glacial"),
          ("ambient textures", "slow drones", "sound design", "deep listening", "sleep music"),
          ("washes of synth", "field recordings", "drone pieces", "long reverb tails")),
    Style("dub", (0.3, -0.5), 0.6, (68, 82), (7, 9, 2, 4), 0.5, 0.0,
          _t("bass guitar", "organ", "hand percussion"), 0.3, (1.5, 2.5), (-14, -10), True,
          (220, 330),
          ("echoing", "heavy", "spacious", "rootsy", "hypnotic", "smoky"),
          ("dub reggae", "echo chamber", "bass heavy", "sound system", "tape delay"),
          ("sound system culture", "spring reverb", "deep basslines", "mixing desk")),
    Style("afrobeat", (-0.5, 0.2), 0.7, (100, 125), (7, 2, 9, 0), 0.55, 0.05,
          _t("brass", "clean guitar", "hand percussion"), 0.65, (3.0, 4.5), (-12, -8), True,
          (300, 540),
          ("groovy", "joyful", "polyrhythmic", "funky", "political", "hypnotic"),
          ("lagos grooves", "horn section", "call and response", "afro funk", "big band"),
          ("interlocking guitars", "horn riffs", "talking drums", "nigerian funk")),
    Style("bossa nova", (-0.6, -0.6), 0.6, (110, 135), (2, 5, 9, 0), 0.45, 0.0,
          _t("nylon guitar", "upright bass", "hand percussion"), 0.45, (2.0, 3.0), (-18, -13),
          True, (150, 240),
          ("breezy", "gentle", "sultry", "relaxed", "brazilian", "intimate"),
          ("brazilian jazz", "soft vocals", "nylon strings", "cafe music", "samba rhythm"),
          ("beach at sunset", "brushed drums", "gentle guitar", "jazz harmony")),
    Style("baroque", (-1.2, -1.0), 0.6, (60, 120), (2, 7, 0, 9, 5), 0.65, 0.3,
          _t("harpsichord", "string ensemble", "organ"), 0.55, (2.0, 4.0), (-22, -16), False,
          (120, 360),
          ("ornate", "stately", "contrapuntal", "elegant", "courtly", "intricate"),
          ("harpsichord concerto", "basso continuo", "period instruments", "string suite",
           "early music"),
          ("fugue subjects", "chamber orchestra", "royal court", "figured bass")),
    Style("bluegrass", (-1.3, 0.3), 0.5, (110, 160), (7, 2, 9, 0), 0.85, 0.2,
          _t("banjo", "fiddle", "acoustic guitar"), 0.7, (3.0, 4.0), (-14, -10), False,
          (140, 220),
          ("twangy", "rustic", "lively", "nimble", "homespun", "high-lonesome"),
          ("banjo rolls", "fiddle tunes", "appalachian music", "mountain music",
           "close harmonies"),
          ("front porch picking", "flatpicked guitar", "kentucky hills", "string band")),
    Style("doom metal", (-0.3, 1.1), 0.5, (50, 75), (4, 2, 7, 9), 0.1, 0.2,
          _t("distorted guitar", "bass guitar"), 0.35, (0.75, 1.5), (-9, -6), True, (360, 720),
          ("crushing", "heavy", "bleak", "sludgy", "funereal", "monolithic"),
          ("slow riffs", "doom riffs", "stoner rock", "detuned guitars", "wall of sound"),
          ("walls of distortion", "down-tuned riffs", "funeral pace", "graveyard atmosphere")),
    Style("shoegaze", (0.2, 0.7), 0.6, (90, 130), (4, 9, 11, 2), 0.5, 0.1,
          _t("distorted guitar", "pad", "bass guitar"), 0.45, (1.5, 2.5), (-11, -7), True,
          (220, 360),
          ("dreamy", "hazy", "swirling", "blurry", "ethereal", "noisy"),
          ("wall of sound", "dream pop", "guitar pedals", "reverb drenched", "buried vocals"),
          ("walls of guitar", "effects pedals", "swirling feedback", "whispered vocals")),
)


def style_similarity(styles: tuple[Style, ...] = STYLES, *, width: float = 0.5) -> np.ndarray:
    """Similarity between styles, ``exp(-d² / 2·width²)`` of their distance on the style map.

    Returns np.ndarray [shape=(n_styles, n_styles)], 1 on the diagonal.

    >>> s = style_similarity()
    >>> bool(s[0, 0] == 1.0 and s[0, 1] > s[0, 8])   # synthpop: nearer deep house than baroque
    True
    """
    xy = np.array([s.coords for s in styles], dtype=np.float64)
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (2.0 * width * width))


# ---- words for names and titles -------------------------------------------------------------

#: Artists named after common English words (a text model must not take them for ordinary words).
WORD_NAMES: tuple[str, ...] = (
    "Yes", "Air", "Low", "Can", "Wire", "Salt", "Rain", "Glass", "Echo", "Bloom", "Tide", "Fog",
    "Honey", "Static", "Ivory", "Ghost", "Ember", "Moth", "Frost", "Paper", "Velvet", "Cloud",
    "Harbor", "Lantern", "Signal", "Copper", "Wolves", "Orchid", "Marble", "Thunder",
)

ONSETS = ("b", "br", "d", "dr", "f", "g", "k", "kr", "l", "m", "n", "p", "r", "s", "sh", "st",
          "t", "th", "v", "z", "j", "h")
VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "ou", "ia", "ee")
CODAS = ("", "", "", "n", "r", "l", "s", "x", "m", "nd", "th")

TITLE_ADJ = (
    "Golden", "Silent", "Broken", "Electric", "Midnight", "Velvet", "Hollow", "Distant", "Crimson",
    "Paper", "Restless", "Endless", "Quiet", "Burning", "Frozen", "Lonely", "Bright", "Wild",
    "Secret", "Fading", "Northern", "Silver", "Sleeping", "Falling", "Open", "Slow", "Little",
    "Summer", "Winter", "Lost", "Blue", "Neon", "Tender", "Heavy", "Sunday", "Last",
)
TITLE_NOUN = (
    "Harbour", "Garden", "River", "Signal", "Window", "Mirror", "Highway", "Letter", "Season",
    "Ocean", "Fever", "Horizon", "Station", "Lantern", "Shadow", "Thunder", "Island", "Avenue",
    "Machine", "Orchard", "Satellite", "Tide", "Heart", "Stranger", "Morning", "Forest", "Echo",
    "Weather", "Kingdom", "Parade", "Chapel", "Desert", "Engine", "Feather", "Compass", "Bridge",
)

"""Every tunable parameter with its default, declared once.

A home may override any of them in `HOME/tastemaker.toml`, section by section::

    [signals]
    save = 8.0
    [als]
    factors = 128
    [weekly]
    max_per_artist = 3
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ParameterError, check_param

DEFAULT_HOME = "tastemaker-home"


@dataclass(frozen=True)
class SignalWeights:
    """How behaviour becomes preference and confidence (Hu, Koren & Volinsky 2008).

    For each (user, track) the signals are summed with these weights::

        s = play·plays + save·saves + artist_visit·visits − skip·skips − dislike·dislikes

    The preference is 1 when s > 0 and 0 otherwise. With ``scheme = "log"`` the confidence is
    ``c = 1 + alpha·log(1 + |s|/epsilon)``; with ``scheme = "linear"`` it is ``1 + alpha·|s|``;
    with ``scheme = "bm25"`` the positive sums are BM25-weighted across users first (popular
    tracks count less), then scaled by alpha. A play shorter than ``min_play_ms`` counts as a skip.

    The defaults (BM25, alpha 1, k1 1.2, b 0.5, with ALS regularization 20) won the validation
    search on both Last.fm HetRec and the demo world; see docs/evaluation.md.
    """

    play: float = 1.0
    save: float = 4.0
    artist_visit: float = 2.0
    skip: float = 1.0
    dislike: float = 4.0             # a thumbs-down: as strong as a save, the other way
    alpha: float = 1.0
    epsilon: float = 1.0
    min_play_ms: int = 30_000
    scheme: str = "bm25"
    bm25_k1: float = 1.2
    bm25_b: float = 0.5

    def __post_init__(self):
        for name in ("play", "save", "artist_visit", "skip", "dislike", "epsilon", "alpha", "bm25_k1"):
            check_param("SignalWeights", name, getattr(self, name), low=0, kind=(int, float))
        check_param("SignalWeights", "epsilon", self.epsilon, low=1e-9)
        check_param("SignalWeights", "bm25_b", self.bm25_b, low=0, high=1, kind=(int, float))
        check_param("SignalWeights", "min_play_ms", self.min_play_ms, low=0, kind=int)
        check_param("SignalWeights", "scheme", self.scheme, choices={"log", "linear", "bm25"})


@dataclass(frozen=True)
class ALSParams:
    """Implicit-feedback ALS (through the `implicit` library).

    ``confidence_scale`` stretches the confidence ALS is fitted on (each ``|c| → 1 + s·(|c| − 1)``,
    Hu et al.'s α for ALS alone; the item-item model reads the home's weighting unchanged).

    With ``tune`` (the default), `tastemaker train collaborative` chooses the factors, the
    regularisation and the confidence scale among ``tune_factors`` × ``tune_regularization`` ×
    ``tune_confidence_scale`` on a validation split of the home's own events (the last full week,
    or a seeded hold-out when events have no time) and records the choice in the model's manifest;
    every later refit (the ranker's) uses the same values. Data with more than ``tune_max_pairs``
    pairs is not tuned (``factors``, ``regularization`` and ``confidence_scale`` as given)."""

    factors: int = 64
    regularization: float = 20.0
    iterations: int = 15
    seed: int = 42
    confidence_scale: float = 1.0
    tune: bool = True
    tune_factors: tuple = (64, 128)
    tune_regularization: tuple = (10.0, 20.0, 35.0, 50.0, 75.0, 100.0, 150.0)
    tune_confidence_scale: tuple = (1.0, 2.0, 4.0)
    tune_max_pairs: int = 5_000_000

    def __post_init__(self):
        check_param("ALSParams", "factors", self.factors, low=1, high=4096, kind=int)
        check_param("ALSParams", "regularization", self.regularization, low=0, kind=(int, float))
        check_param("ALSParams", "iterations", self.iterations, low=1, high=1000, kind=int)
        check_param("ALSParams", "seed", self.seed, low=0, kind=int)
        check_param("ALSParams", "tune", self.tune, kind=bool)
        check_param("ALSParams", "tune_max_pairs", self.tune_max_pairs, low=0, kind=int)
        check_param("ALSParams", "confidence_scale", self.confidence_scale, low=0, kind=(int, float))
        number = (lambda v: isinstance(v, (int, float)) and v >= 0)
        for name, ok, what, cast in (
                ("tune_factors", lambda v: isinstance(v, int) and 1 <= v <= 4096, "whole numbers from 1 to 4096", int),
                ("tune_regularization", number, "numbers ≥ 0", float),
                ("tune_confidence_scale", number, "numbers ≥ 0", float)):
            object.__setattr__(self, name, _grid(name, getattr(self, name), ok, what, cast))


def _grid(name: str, values, ok, what: str, cast) -> tuple:
    """A tuning grid of `ALSParams` as a tuple of ``cast``: a non-empty list of ``what``."""
    if not isinstance(values, (tuple, list)) or not values or not all(
            ok(v) and not isinstance(v, bool) for v in values):
        raise ParameterError(f"The '{name}' parameter of ALSParams must be a non-empty list of {what}. "
                             f"Got {values!r} instead.")
    return tuple(cast(v) for v in values)


@dataclass(frozen=True)
class NeighbourParams:
    """The item-item model trained beside ALS on the same confidence (RP3beta, a sparse random
    walk item → user → item over popularity^beta; `tastemaker.models.baselines.RP3beta`). The
    blend takes candidates and a score from it; ``enabled = false`` trains none."""

    enabled: bool = True
    K: int = 300                       # neighbours kept per track
    alpha: float = 0.8                 # each step's transition probability raised to alpha
    beta: float = 0.3                  # divided by the target track's listeners^beta
    min_users: int = 2                 # tracks with fewer listeners are neither learned nor ranked

    def __post_init__(self):
        check_param("NeighbourParams", "enabled", self.enabled, kind=bool)
        check_param("NeighbourParams", "K", self.K, low=1, high=100_000, kind=int)
        check_param("NeighbourParams", "alpha", self.alpha, low=0, high=4, kind=(int, float))
        check_param("NeighbourParams", "beta", self.beta, low=0, high=2, kind=(int, float))
        check_param("NeighbourParams", "min_users", self.min_users, low=1, kind=int)


@dataclass(frozen=True)
class WeeklyParams:
    """The shape of a weekly playlist."""

    size: int = 30
    max_per_artist: int = 2
    exclude_weeks: int = 4
    min_history: int = 3
    candidates: int = 150
    batch_size: int = 8192
    audio_share: int = 3               # at most this many cold tracks placed by the audio model
    owned_only: bool = False           # only tracks with a file (uri): a self-hosted server plays only those

    def __post_init__(self):
        check_param("WeeklyParams", "size", self.size, low=1, high=1000, kind=int)
        check_param("WeeklyParams", "max_per_artist", self.max_per_artist, low=1, kind=int)
        check_param("WeeklyParams", "exclude_weeks", self.exclude_weeks, low=0, kind=int)
        check_param("WeeklyParams", "min_history", self.min_history, low=0, kind=int)
        check_param("WeeklyParams", "candidates", self.candidates, low=self.size, kind=int)
        check_param("WeeklyParams", "batch_size", self.batch_size, low=1, kind=int)
        check_param("WeeklyParams", "audio_share", self.audio_share, low=0, high=self.size, kind=int)
        check_param("WeeklyParams", "owned_only", self.owned_only, kind=bool)


@dataclass(frozen=True)
class ServiceParams:
    """`tastemaker serve`: whether reads need an API key, each key's (or, for open reads, each
    client address's) budget of requests per minute, the most events in one post, and how many
    of the latest weeks are held in memory (about 20 bytes a listed track: 120 MB for 200,000
    users' weeks)."""

    read_needs_key: bool = False
    requests_per_minute: int = 600
    max_events_per_post: int = 10_000
    memory_weeks: int = 1            # the latest weeks whose lists are held in memory (0: none)

    def __post_init__(self):
        check_param("ServiceParams", "read_needs_key", self.read_needs_key, kind=bool)
        check_param("ServiceParams", "requests_per_minute", self.requests_per_minute, low=1, kind=int)
        check_param("ServiceParams", "max_events_per_post", self.max_events_per_post, low=1, kind=int)
        check_param("ServiceParams", "memory_weeks", self.memory_weeks, low=0, kind=int)


@dataclass(frozen=True)
class IngestParams:
    """What ingest believes of event times: an event before ``earliest`` (ISO date) or more than
    ``future_days`` after the moment of ingest is quarantined as an implausible timestamp (a
    clock reset to 1970, a year 9999 placeholder, milliseconds read as seconds)."""

    earliest: str = "2000-01-01"
    future_days: float = 1.0

    def __post_init__(self):
        check_param("IngestParams", "earliest", self.earliest, kind=str)
        try:
            dt.date.fromisoformat(self.earliest)
        except ValueError:
            raise ParameterError(f"The 'earliest' parameter of IngestParams must be a date as "
                                 f"YYYY-MM-DD. Got {self.earliest!r} instead.") from None
        check_param("IngestParams", "future_days", self.future_days, low=0, high=36500, kind=(int, float))

    def window(self, now: dt.datetime | None = None) -> tuple[str, str]:
        """The plausible window as ISO strings [earliest, now + future_days), in UTC."""
        now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        latest = now + dt.timedelta(days=self.future_days)
        return self.earliest, latest.isoformat(sep=" ", timespec="seconds")


@dataclass(frozen=True)
class AudioModelParams:
    """The audio model (tastemaker.audio_model): spectrograms, network, training, cold tracks.

    Tracks with at least ``min_plays`` plays are trained on (their collaborative vector is the
    target); tracks with fewer get a predicted vector and become cold candidates. With
    ``timbre_weight`` > 0 the network also learns to predict each clip's own timbre statistics
    (`mels.timbre_statistics`, standardised, this weight × the collaborative part's scale), which
    places real recordings nearer their genre (docs/audio-model.md) at some cost in the
    collaborative fit; off by default. A relative
    track ``uri`` resolves against ``audio_root``, else against the folder of the catalogue file
    ingested last.
    """

    min_plays: int = 20
    n_mels: int = 128
    excerpt_seconds: float = 30.0
    channels: int = 64                 # feature maps of each convolution
    kernel: int = 4                    # convolution width in frames
    hidden: int = 256                  # width of the dense layers (the embedding)
    dropout: float = 0.1
    crop_frames: int = 128             # random time crop while training (about 6 s)
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    max_epochs: int = 40
    patience: int = 5                  # epochs without a better validation loss before stopping
    validation_share: float = 0.1
    seed: int = 42
    audio_root: str = ""
    timbre_weight: float = 0.0         # auxiliary targets: the clip's own timbre statistics × this (0: none)

    def __post_init__(self):
        check_param("AudioModelParams", "timbre_weight", self.timbre_weight, low=0, kind=(int, float))
        for name in ("min_plays", "n_mels", "channels", "kernel", "hidden", "crop_frames",
                     "batch_size", "max_epochs", "patience", "seed"):
            check_param("AudioModelParams", name, getattr(self, name), low=0 if name in
                        ("min_plays", "seed") else 1, kind=int)
        check_param("AudioModelParams", "batch_size", self.batch_size, low=2)
        check_param("AudioModelParams", "excerpt_seconds", self.excerpt_seconds, low=1, kind=(int, float))
        check_param("AudioModelParams", "dropout", self.dropout, low=0, high=0.9, kind=(int, float))
        check_param("AudioModelParams", "learning_rate", self.learning_rate, low=1e-9, kind=(int, float))
        check_param("AudioModelParams", "weight_decay", self.weight_decay, low=0, kind=(int, float))
        check_param("AudioModelParams", "validation_share", self.validation_share, low=1e-3, high=0.5,
                    kind=(int, float))
        check_param("AudioModelParams", "audio_root", self.audio_root, kind=str)


@dataclass(frozen=True)
class TextParams:
    """The text model: top terms per artist and track, and their vectors (see tastemaker.text)."""

    half_life_days: float = 730.0      # a document this much older than the newest counts half
    min_support: int = 2               # documents (or taggers) that must use a term for an artist
    max_terms: int = 200               # terms kept per artist/track and kind
    min_artists: int = 2               # a term used about fewer artists is not a vector dimension
    tagger: str = "perceptron"         # or "spacy" (an installed spaCy English pipeline)
    shrink: float = 10.0               # similarity × n / (n + shrink), n = fewer documents of the two artists

    def __post_init__(self):
        check_param("TextParams", "half_life_days", self.half_life_days, low=1e-3, kind=(int, float))
        check_param("TextParams", "min_support", self.min_support, low=1, kind=int)
        check_param("TextParams", "max_terms", self.max_terms, low=1, kind=int)
        check_param("TextParams", "min_artists", self.min_artists, low=1, kind=int)
        check_param("TextParams", "tagger", self.tagger, choices={"perceptron", "spacy"})
        check_param("TextParams", "shrink", self.shrink, low=0, kind=(int, float))


@dataclass(frozen=True)
class BlendParams:
    """One list from three models (tastemaker.blend): candidates, ranking, assembly.

    ``mode``: ``auto`` uses the learned ranker when one is trained (`tastemaker train ranker`),
    else the fixed-weight blend when a text or audio model exists, else collaborative scores;
    ``learned``, ``fixed`` and ``collaborative`` force one. The fixed blend adds, per user,
    standardised scores: collaborative space (user · item vector; the audio model's predicted
    vector stands in for tracks without one, times ``w_audio``), ``w_text`` × the text score
    (nearness of the track's artist to the user's artists by what people write), ``w_item`` ×
    the item-item score (the ``[neighbours]`` model: how strongly the user's tracks lead to it)
    and ``w_pop`` × log popularity (negative: a discount on popular tracks). `tastemaker train ranker` chooses them on its ``ranker_weeks`` weeks (and the
    ranker starts from that blend); these defaults did well on the demo world and Last.fm
    (docs/blend.md); of the grid's points within ``discovery`` (a share) of the best held-out
    recall, the one whose lists reach the most of the catalogue is chosen. A cold track's predicted vector is moved ``artist_prior`` of the way towards
    its artist's place in the collaborative space; ``new_candidates`` more audio candidates come
    from the new releases (fewer than ``new_days`` days old).
    """

    mode: str = "auto"
    cf_candidates: int = 100           # top tracks by the user's collaborative vector
    text_candidates: int = 30          # tracks of the artists nearest the user's by text
    audio_candidates: int = 20         # cold tracks nearest the user's vector by sound
    new_candidates: int = 10           # and more among the new releases (cold, fewer than new_days old)
    new_days: int = 14
    popular_candidates: int = 40       # popular tracks of the last four weeks (the fallback)
    item_candidates: int = 50          # top tracks by the item-item model ([neighbours]) from the user's tracks
    text_neighbours: int = 50          # text neighbours kept per artist
    text_artists: int = 20             # artists per user whose tracks become text candidates
    profile_artists: int = 10          # a user's most-loved artists that define their text taste
    fresh_share: float = 0.05          # share of each list kept for fresh tracks, when good ones exist
    fresh_plays: int = 20              # a track with fewer plays than this is fresh
    artist_prior: float = 0.5          # a cold track's vector: this share from its artist's other tracks
    w_audio: float = 1.0
    w_text: float = 0.25
    w_pop: float = 0.3
    w_item: float = 0.5
    discovery: float = 0.01            # the weights' choice may give up this share of recall for more catalogue coverage
    flow: bool = True                  # order each list for smooth tempo, key and loudness
    ranker_users: int = 50_000         # users (a seeded sample, over all its weeks) the ranker trains on
    ranker_weeks: int = 3              # weeks the ranker and the fixed weights are trained on (the last ones)
    rescore: int = 60                  # candidates per user the learned ranker reorders (best by the fixed blend)
    source_share: float = 0.1          # of those, at least this share from each of text and audio
    trees: int = 150                   # learned ranker (LightGBM lambdarank)
    ranker_prior: float = 1.0          # the trees start from this × the standardised collaborative score
    leaves: int = 15
    learning_rate: float = 0.02
    seed: int = 42

    def __post_init__(self):
        check_param("BlendParams", "mode", self.mode, choices={"auto", "learned", "fixed", "collaborative"})
        for name in ("cf_candidates", "text_candidates", "audio_candidates", "new_candidates", "new_days", "popular_candidates",
                     "item_candidates",
                     "text_neighbours", "text_artists", "profile_artists", "fresh_plays", "seed", "ranker_users"):
            check_param("BlendParams", name, getattr(self, name), low=0, kind=int)
        check_param("BlendParams", "rescore", self.rescore, low=1, kind=int)
        check_param("BlendParams", "ranker_weeks", self.ranker_weeks, low=1, high=52, kind=int)
        for name in ("trees", "leaves"):
            check_param("BlendParams", name, getattr(self, name), low=2, kind=int)
        check_param("BlendParams", "fresh_share", self.fresh_share, low=0, high=1, kind=(int, float))
        check_param("BlendParams", "artist_prior", self.artist_prior, low=0, high=1, kind=(int, float))
        check_param("BlendParams", "source_share", self.source_share, low=0, high=0.3, kind=(int, float))
        check_param("BlendParams", "discovery", self.discovery, low=0, high=0.2, kind=(int, float))
        for name in ("w_audio", "w_text", "w_pop", "w_item", "ranker_prior"):
            check_param("BlendParams", name, getattr(self, name), kind=(int, float))
        check_param("BlendParams", "learning_rate", self.learning_rate, low=1e-6, high=1, kind=(int, float))
        check_param("BlendParams", "flow", self.flow, kind=bool)


@dataclass(frozen=True)
class SparkParams:
    """``[engine.spark]``: the Spark session of the Spark engine (`tastemaker.engine.spark`).

    ``master`` is Spark's master URL (``local[2]``, ``spark://host:7077``, ``yarn``,
    ``k8s://…``); ``conf`` any further Spark settings as strings (``"spark.executor.memory" =
    "8g"``); ``checkpoint_dir`` where ALS checkpoints its lineage (a folder or URI every executor
    reaches; empty: ``HOME/spark/checkpoints``); ``checkpoint_interval`` every how many ALS
    iterations; ``reg_param`` MLlib's regularisation, which it scales by each user's and track's
    number of positive pairs (ALS-WR); 0 maps ``[als] regularization`` onto that scale (divided by
    the mean positives per user); ``partitions`` how many slices the weekly job cuts the users
    into (0: four per core of the master); ``warehouse`` where a home ingested on Spark keeps its
    events and quarantine as Parquet (a folder or URI: ``hdfs://…``, ``s3a://…``; empty:
    ``HOME/spark/warehouse``)."""

    master: str = "local[2]"
    driver_memory: str = "4g"
    conf: dict = field(default_factory=dict)
    checkpoint_dir: str = ""
    checkpoint_interval: int = 5
    reg_param: float = 0.0
    partitions: int = 0
    warehouse: str = ""

    def __post_init__(self):
        check_param("SparkParams", "master", self.master, kind=str)
        check_param("SparkParams", "warehouse", self.warehouse, kind=str)
        check_param("SparkParams", "driver_memory", self.driver_memory, kind=str)
        check_param("SparkParams", "checkpoint_dir", self.checkpoint_dir, kind=str)
        check_param("SparkParams", "checkpoint_interval", self.checkpoint_interval, low=1, high=1000, kind=int)
        check_param("SparkParams", "reg_param", self.reg_param, low=0, kind=(int, float))
        check_param("SparkParams", "partitions", self.partitions, low=0, high=1_000_000, kind=int)
        if not isinstance(self.conf, dict) or not all(isinstance(k, str) for k in self.conf):
            raise ParameterError(f"The 'conf' parameter of SparkParams must be a table of Spark settings "
                                 f"(\"spark.executor.memory\" = \"8g\"). Got {self.conf!r} instead.")
        object.__setattr__(self, "conf", {k: str(v).lower() if isinstance(v, bool) else str(v)
                                          for k, v in self.conf.items()})


ENGINE_KINDS = ("duckdb", "spark")


@dataclass(frozen=True)
class EngineParams:
    """``[engine]``: which engine runs the work. ``duckdb`` (the default) is embedded; with
    ``spark``, collaborative filtering is fitted by Spark MLlib and the weekly job runs on Spark
    (docs/spark.md says what runs where); ``[engine.spark]`` configures the session."""

    kind: str = "duckdb"
    spark: SparkParams = field(default_factory=SparkParams)

    def __post_init__(self):
        check_param("EngineParams", "kind", self.kind, choices=set(ENGINE_KINDS))
        if isinstance(self.spark, dict):
            known = {f.name for f in dataclasses.fields(SparkParams)}
            unknown = set(self.spark) - known
            if unknown:
                raise ParameterError(f"unknown keys {sorted(unknown)} in [engine.spark]; expected some of "
                                     f"{sorted(known)}")
            object.__setattr__(self, "spark", SparkParams(**self.spark))
        elif not isinstance(self.spark, SparkParams):
            raise ParameterError("[engine] spark must be a section ([engine.spark] followed by key = value lines)")


@dataclass(frozen=True)
class Settings:
    home: Path
    signals: SignalWeights = field(default_factory=SignalWeights)
    als: ALSParams = field(default_factory=ALSParams)
    neighbours: NeighbourParams = field(default_factory=NeighbourParams)
    weekly: WeeklyParams = field(default_factory=WeeklyParams)
    text: TextParams = field(default_factory=TextParams)
    audio_model: AudioModelParams = field(default_factory=AudioModelParams)
    blend: BlendParams = field(default_factory=BlendParams)
    ingest: IngestParams = field(default_factory=IngestParams)
    service: ServiceParams = field(default_factory=ServiceParams)
    engine: EngineParams = field(default_factory=EngineParams)

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def spark_dir(self) -> Path:
        """Local working folder of the Spark engine (checkpoints, the weekly job's output)."""
        return self.home / "spark"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"


_SECTIONS = {"signals": SignalWeights, "als": ALSParams, "neighbours": NeighbourParams, "weekly": WeeklyParams, "text": TextParams,
             "audio_model": AudioModelParams, "blend": BlendParams,
             "ingest": IngestParams, "service": ServiceParams, "engine": EngineParams}


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """The home directory: the argument, else $TASTEMAKER_HOME, else ./tastemaker-home."""
    return Path(home or os.environ.get("TASTEMAKER_HOME") or DEFAULT_HOME).expanduser().resolve()


def load_settings(home: str | os.PathLike | None = None) -> Settings:
    """Settings for a home, with the overrides of its `tastemaker.toml` applied and validated."""
    root = resolve_home(home)
    if root.exists() and not root.is_dir():
        raise ParameterError(f"The home {root} is a file; --home (or TASTEMAKER_HOME) must name a "
                             f"folder (it is created if missing).")
    parts = {}
    cfg = root / "tastemaker.toml"
    if cfg.exists():
        if cfg.is_dir():
            raise ParameterError(f"{cfg} is a folder; it must be a TOML file (or absent).")
        try:
            data = tomllib.loads(cfg.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"{cfg} is not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ParameterError(f"{cfg} is not UTF-8 text (byte {exc.start}: "
                                 f"{exc.object[exc.start:exc.start + 1]!r}); save it as UTF-8") from exc
        except OSError as exc:
            raise ParameterError(f"{cfg} cannot be read: {exc.strerror or exc}") from exc
        for section, values in data.items():
            if section not in _SECTIONS:
                raise ParameterError(
                    f"{cfg}: unknown section [{section}]; expected one of {sorted(_SECTIONS)}")
            if not isinstance(values, dict):
                raise ParameterError(
                    f"{cfg}: {section} must be a section ([{section}] followed by key = value lines), "
                    f"not a value ({section} = {values!r})")
            known = {f.name for f in dataclasses.fields(_SECTIONS[section])}
            unknown = set(values) - known
            if unknown:
                raise ParameterError(
                    f"{cfg}: unknown keys {sorted(unknown)} in [{section}]; expected some of {sorted(known)}")
            parts[section] = _SECTIONS[section](**values)
    return Settings(home=root, **parts)

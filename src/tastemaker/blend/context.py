"""Everything the blend needs to score users, gathered once per run (engine-independent arrays).

    >>> ctx = production_context(wh, settings, monday)      # the saved models, all the data
    >>> ctx = split_context(wh, settings, split)            # models fitted on a split's train part

A `Context` holds the collaborative model (and its vectors), the history matrix, per-track facts
(artist, listeners, plays, age, tempo, loudness), the audio model's predicted vectors in the
collaborative space, and the artist neighbour matrix of the text model. Missing models leave
their fields empty; the candidate sources and features then give nothing or NaN.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..config import Settings
from ..errors import NotFoundError
from ..warehouse import Warehouse

DESCRIPTOR_KINDS = ("adj", "np", "tag")   # terms that can describe an artist in a reason


@dataclass
class Context:
    cf: object                         # the collaborative model (ALS): user_factors_, item_factors_, recommend
    user_items: sp.csr_matrix          # (n_users, n_items) signed confidence: what each user heard
    artist_of: np.ndarray              # (n_items,) artist_idx, -1 unknown
    listeners: np.ndarray              # (n_items,) users with a positive pair
    recent: np.ndarray                 # (n_items,) listeners in the four weeks before the week
    plays: np.ndarray                  # (n_items,) plays so far
    age_days: np.ndarray               # (n_items,) days since release at the week's Monday, NaN unknown
    tempo: np.ndarray                  # (n_items,) analyser tempo, NaN unknown
    key: np.ndarray                    # (n_items,) pitch class, -1 unknown
    mode: np.ndarray                   # (n_items,) 1 major, 0 minor, -1 unknown
    loudness: np.ndarray               # (n_items,) analyser loudness (dB), NaN unknown
    unavailable: np.ndarray            # track_idx never to recommend
    min_history: int                   # liked tracks a user needs for a collaborative score
    cold_plays: int                    # fewer plays than this: the audio model places the track
    audio: np.ndarray | None = None    # (n_items, d) predicted vectors, zero rows where none
    has_audio: np.ndarray | None = None
    audio_scale: float = 1.0           # median length of the warm item vectors
    text: sp.csr_matrix | None = None  # (n_artists, n_artists) text neighbours (shrunk cosine)
    artist_names: np.ndarray | None = None
    artist_words: dict = field(default_factory=dict)   # artist_idx -> "dark, hypnotic"
    versions: dict = field(default_factory=dict)

    def __post_init__(self):
        # vectors padded to the current users and tracks (those that arrived since training: zero)
        n_users, n_items = self.user_items.shape
        U, V = self.cf.user_factors_, self.cf.item_factors_
        self.U = np.zeros((n_users, U.shape[1]), dtype=np.float32)
        self.U[:min(n_users, len(U))] = U[:n_users]
        self.V = np.zeros((n_items, V.shape[1]), dtype=np.float32)
        self.V[:min(n_items, len(V))] = V[:n_items]
        self.has_vector = np.abs(self.V).sum(axis=1) > 0

    @property
    def n_items(self) -> int:
        return self.user_items.shape[1]

    @property
    def n_artists(self) -> int:
        return int(max(self.artist_of.max(initial=-1) + 1, 0 if self.text is None else self.text.shape[0]))

    def liked_counts(self) -> np.ndarray:
        return np.asarray((self.user_items > 0).sum(axis=1)).ravel()

    def cold(self) -> np.ndarray:
        """(n_items,) True where the track has fewer than `cold_plays` plays."""
        return self.plays < self.cold_plays


# -- facts about tracks --------------------------------------------------------------------------
def track_counts(wh: Warehouse, n_items: int, *, min_play_ms: int, until=None, since=None):
    """(listeners, plays) per track from the events in [since, until) (all when None)."""
    where, args = ["track_idx IS NOT NULL", "kind = 'play'", "(ms_played IS NULL OR ms_played >= ?)"], [min_play_ms]
    if until is not None:
        where.append("ts < ?")
        args.append(until)
    if since is not None:
        where.append("ts >= ?")
        args.append(since)
    cols = wh.execute(f"SELECT track_idx, count(DISTINCT user_idx) AS u, sum(plays) AS p FROM events "
                      f"WHERE {' AND '.join(where)} GROUP BY 1", args).fetchnumpy()
    listeners = np.zeros(n_items, dtype=np.float32)
    plays = np.zeros(n_items, dtype=np.float32)
    idx = np.asarray(cols["track_idx"], dtype=np.int64)
    keep = idx < n_items
    listeners[idx[keep]] = np.asarray(cols["u"], dtype=np.float32)[keep]
    plays[idx[keep]] = np.asarray(cols["p"], dtype=np.float32)[keep]
    return listeners, plays


def _catalogue(wh: Warehouse, n_items: int, monday: dt.date):
    cols = wh.execute("SELECT track_idx, coalesce(artist_idx, -1) AS a, released, NOT available AS gone "
                      "FROM tracks WHERE track_idx < ?", [n_items]).fetchnumpy()
    idx = np.asarray(cols["track_idx"], dtype=np.int64)
    artist_of = np.full(n_items, -1, dtype=np.int64)
    artist_of[idx] = np.asarray(cols["a"])
    age = np.full(n_items, np.nan, dtype=np.float32)
    released = np.ma.asarray(cols["released"])
    known = ~np.ma.getmaskarray(released)
    if known.any():
        days = (np.datetime64(monday, "D") - np.asarray(released[known]).astype("datetime64[D]")).astype(np.float32)
        age[idx[known]] = days
    # withdrawn tracks, and tracks not released yet on the week's Monday (a list cannot hold them)
    unavailable = np.union1d(idx[np.asarray(cols["gone"], dtype=bool)], np.flatnonzero(age < 0))
    return artist_of, age, unavailable


def _analysis(wh: Warehouse, n_items: int):
    from ..weekly.flow import track_features
    f = track_features(wh, n_items)
    return f["tempo"], f["key"], f["mode"], f["loudness"]


def _artists(wh: Warehouse) -> tuple[np.ndarray, dict]:
    """Artist names, and up to three descriptors per artist from the text model's top terms."""
    n = int(wh.scalar("SELECT coalesce(max(artist_idx) + 1, 0) FROM artists"))
    cols = wh.execute("SELECT artist_idx, name FROM artists").fetchnumpy()
    names = np.full(n, "", dtype=object)
    names[np.asarray(cols["artist_idx"], dtype=np.int64)] = np.asarray(cols["name"], dtype=object)
    rows = wh.execute("""
        SELECT artist_idx, string_agg(term, ', ' ORDER BY weight DESC) FROM (
            SELECT t.artist_idx, t.term, t.weight, row_number() OVER (PARTITION BY t.artist_idx
                   ORDER BY t.weight DESC, t.term) AS r
            FROM terms t JOIN artists a USING (artist_idx)
            WHERE t.track_idx IS NULL AND list_contains(?, t.kind)
              AND position(lower(a.name) IN lower(t.term)) = 0
              AND position(lower(t.term) IN lower(a.name)) = 0)
        WHERE r <= 3 GROUP BY 1""", [list(DESCRIPTOR_KINDS)]).fetchall()
    return names, {int(a): w for a, w in rows}


def _text_neighbours(settings: Settings, k: int) -> tuple[sp.csr_matrix | None, str | None]:
    from ..text.model import load_text
    try:
        model = load_text(settings)
    except NotFoundError:
        return None, None
    from ..models import registry
    version = registry.resolve(settings.models_dir, "text").name
    return model.neighbour_matrix(k), version


def _fill_audio(ctx: Context, track_idx: np.ndarray, vectors: np.ndarray) -> None:
    d = ctx.V.shape[1]
    if not len(track_idx) or vectors.shape[1] != d:
        return
    keep = track_idx < ctx.n_items
    ctx.audio = np.zeros((ctx.n_items, d), dtype=np.float32)
    ctx.audio[track_idx[keep]] = vectors[keep]
    ctx.has_audio = np.zeros(ctx.n_items, dtype=bool)
    ctx.has_audio[track_idx[keep]] = True
    norms = np.linalg.norm(ctx.V, axis=1)
    ctx.audio_scale = float(np.median(norms[norms > 0])) if (norms > 0).any() else 1.0


def _artist_prior(ctx: Context, weight: float) -> None:
    """Each cold track's predicted vector, moved ``weight`` of the way towards its artist's place
    in the collaborative space (the listener-weighted mean direction of the artist's warm
    tracks). A new release by an artist people already play starts where that artist's
    listeners are; the audio network says where within it, and places the tracks of artists
    nobody plays yet on its own. Tracks without an audio prediction are left alone."""
    if weight <= 0 or ctx.audio is None:
        return
    warm = ctx.has_vector & ~ctx.cold() & (ctx.artist_of >= 0)
    cold = np.flatnonzero(ctx.has_audio & ctx.cold() & (ctx.artist_of >= 0))
    if not warm.any() or not len(cold):
        return
    norms = np.linalg.norm(ctx.V[warm], axis=1, keepdims=True)
    unit = ctx.V[warm] / np.maximum(norms, 1e-12)
    w = np.log1p(ctx.listeners[warm])
    art = ctx.artist_of[warm]
    n_art = int(ctx.artist_of.max()) + 1
    total = np.bincount(art, weights=w, minlength=n_art)
    centre = np.stack([np.bincount(art, weights=unit[:, j] * w, minlength=n_art)
                       for j in range(unit.shape[1])], axis=1)
    centre = (centre / np.maximum(total, 1e-12)[:, None]).astype(np.float32)
    cold = cold[total[ctx.artist_of[cold]] > 0]
    ctx.audio[cold] = weight * centre[ctx.artist_of[cold]] + (1 - weight) * ctx.audio[cold]


def _base(wh, settings, cf, user_items, monday: dt.date, until) -> Context:
    n_items = user_items.shape[1]
    w = settings.signals
    listeners, plays = track_counts(wh, n_items, min_play_ms=w.min_play_ms, until=until)
    since = dt.datetime.combine(monday - dt.timedelta(weeks=4), dt.time())
    recent, _ = track_counts(wh, n_items, min_play_ms=w.min_play_ms, until=until, since=since)
    if not recent.any():            # events without timestamps: popularity over all time
        recent = listeners
    artist_of, age, unavailable = _catalogue(wh, n_items, monday)
    tempo, key, mode, loudness = _analysis(wh, n_items)
    names, words = _artists(wh)
    ctx = Context(cf, user_items, artist_of, listeners, recent, plays, age, tempo, key, mode, loudness,
                  unavailable, settings.weekly.min_history, settings.audio_model.min_plays,
                  artist_names=names, artist_words=words)
    ctx.text, text_version = _text_neighbours(settings, settings.blend.text_neighbours)
    if text_version:
        ctx.versions["text"] = text_version
    return ctx


# -- the two ways to build one -------------------------------------------------------------------
def production_context(wh: Warehouse, settings: Settings, monday: dt.date, *, user_items: sp.csr_matrix,
                       model_version: str | None = None) -> Context:
    """The saved models (collaborative, audio, text) and all the data, for the week of `monday`."""
    from ..train import load_collaborative
    cf, manifest = load_collaborative(settings, model_version)
    ctx = _base(wh, settings, cf, user_items, monday, until=None)
    ctx.versions["collaborative"] = manifest["version"]
    audio = _production_audio(wh, settings, ctx)
    if audio is not None:
        ctx.versions["audio"] = audio
    _artist_prior(ctx, settings.blend.artist_prior)
    return ctx


def _production_audio(wh: Warehouse, settings: Settings, ctx: Context) -> str | None:
    """Predicted vectors of the latest audio model (predicting tracks that arrived since)."""
    from ..audio_model.predict import load_vectors, missing, predict_tracks, track_files
    from ..audio_model.train import load_audio_model
    try:
        audio, manifest = load_audio_model(settings)
    except NotFoundError:
        return None
    version = manifest["version"]
    todo = missing(wh, version, np.flatnonzero(ctx.cold()))
    if len(todo):
        files = track_files(wh, settings, todo)
        if len(files.paths):
            predict_tracks(wh, settings, audio, version, files)
    idx, vectors = load_vectors(wh, version)
    trained_on = manifest.get("collaborative_version")
    if trained_on and trained_on != ctx.versions.get("collaborative") and len(idx):
        vectors = _map_space(settings, trained_on, ctx, vectors)
        if vectors is None:
            return None
        version = f"{version} (mapped from collaborative {trained_on})"
    _fill_audio(ctx, idx, vectors)
    return version if ctx.audio is not None else None


def _map_space(settings: Settings, old_version: str, ctx: Context, vectors: np.ndarray) -> np.ndarray | None:
    """Predicted vectors of an audio model trained against an older collaborative model, carried
    into the current one's space by the least-squares linear map between the two models' vectors
    of the tracks both know (a retrained ALS is the old one up to a near-linear change)."""
    from ..train import load_collaborative
    try:
        old, _ = load_collaborative(settings, old_version)
    except NotFoundError:
        return None
    A = old.item_factors_
    n = min(len(A), ctx.n_items)
    both = np.flatnonzero((np.abs(A[:n]).sum(axis=1) > 0) & ctx.has_vector[:n])
    if len(both) < 2 * A.shape[1] or vectors.shape[1] != A.shape[1]:
        return None
    M, *_ = np.linalg.lstsq(A[both], ctx.V[both], rcond=None)
    return (vectors @ M).astype(np.float32)


_SPLIT_CACHE: dict = {}     # the last few split contexts of this process (training the ranker, then evaluating)


def split_context(wh: Warehouse, settings: Settings, split, *, audio: bool = True) -> Context:
    """Models fitted on a time split's training part (ALS, and the audio network on its vectors),
    the text model as saved (documents are not split by time), facts as of the split's week.

    The same warehouse, split week, training data and settings give the same context: it is
    kept for the rest of the process (``[blend] ranker_weeks`` + 2 at most), so training the ranker and evaluating the
    blend in one run fit each week's models once."""
    key = (str(wh.path), split.info.get("week_start"), len(split.train), float(split.train.signal.sum()),
           repr(settings), audio, _text_state(settings))
    if key not in _SPLIT_CACHE:
        while len(_SPLIT_CACHE) >= settings.blend.ranker_weeks + 2:
            _SPLIT_CACHE.pop(next(iter(_SPLIT_CACHE)))
        _SPLIT_CACHE[key] = _fit_split_context(wh, settings, split, audio=audio)
    return _SPLIT_CACHE[key]


def _text_state(settings: Settings) -> str | None:
    from ..models import registry
    try:
        return registry.resolve(settings.models_dir, "text").name
    except NotFoundError:
        return None


def _fit_split_context(wh: Warehouse, settings: Settings, split, *, audio: bool) -> Context:
    from ..audio_model.evaluate import AudioCold
    from ..audio_model.predict import spectrograms, track_files
    from ..models.als import ALS

    monday = dt.date.fromisoformat(split.info["week_start"][:10])
    until = dt.datetime.combine(monday, dt.time())
    train = split.train_matrix(settings.signals)
    a = settings.als
    specs = {}
    if audio:
        files = track_files(wh, settings)
        if len(files.paths):
            batch = spectrograms(settings, files)
            specs = {int(t): m.mels for t, m in zip(files.track_idx, batch.ok) if m is not None}
    if specs:
        _, plays = track_counts(wh, train.shape[1], min_play_ms=settings.signals.min_play_ms, until=until)
        model = AudioCold(specs, plays, params=settings.audio_model, als=a).fit(train)
        cf = model.cf_
    else:
        model = None
        cf = ALS(factors=a.factors, regularization=a.regularization, iterations=a.iterations,
                 seed=a.seed).fit(train)
    ctx = _base(wh, settings, cf, train, monday, until=until)
    if model is not None:
        idx = np.flatnonzero(model.has_audio_)
        _fill_audio(ctx, idx, model.item_vectors_[idx])
        ctx.versions["audio"] = "fitted on the split"
    ctx.versions["collaborative"] = "fitted on the split"
    _artist_prior(ctx, settings.blend.artist_prior)
    return ctx

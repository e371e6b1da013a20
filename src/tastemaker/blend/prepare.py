"""What a run of the blend reads from the engine and the model registry, gathered into a `Context`.

    >>> facts = track_facts(engine, settings, monday, n_items)        # per-track facts as of a week
    >>> ctx = production_context(engine, settings, monday, shape=data.shape, facts=facts)
    >>> contexts = SplitContexts()                                     # owned by the caller
    >>> ctx = split_context(engine, settings, split, cache=contexts)   # models fitted before a week

`production_context` uses the saved models (collaborative with its item-item model, audio, text);
`split_context` fits ALS and the item-item model (and the audio network on its vectors) on a time
split's training part, with the text model
as saved (documents are not split by time) and facts as of the split's week. Both only read: the
audio vectors of tracks that arrived after the audio model are predicted by ``weekly generate``
beforehand (`tastemaker.audio_model.train.predict_missing`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import scipy.sparse as sp

from ..audio_model.cold import AudioCold
from ..audio_model.predict import load_vectors, spectrograms, track_files
from ..audio_model.train import AUDIO
from ..config import Settings
from ..engine import Engine
from ..errors import NotFoundError
from ..models import registry
from ..text.model import TEXT, load_text
from ..train import collaborative_model, fit_neighbours, load_collaborative, load_neighbours
from .context import Context, TrackFacts, build_context
from .flow import track_features

DESCRIPTOR_KINDS = ("adj", "np", "tag")   # terms that can describe an artist in a reason


# -- facts about tracks --------------------------------------------------------------------------
def track_counts(engine: Engine, n_items: int, *, min_play_ms: int, until=None, since=None):
    """(listeners, plays) per track from the events in [since, until) (all when None)."""
    idx, users, plays_ = engine.track_play_counts(min_play_ms, until=until, since=since)
    listeners = np.zeros(n_items, dtype=np.float32)
    plays = np.zeros(n_items, dtype=np.float32)
    keep = idx < n_items
    listeners[idx[keep]] = np.asarray(users, dtype=np.float32)[keep]
    plays[idx[keep]] = np.asarray(plays_, dtype=np.float32)[keep]
    return listeners, plays


def track_facts(engine: Engine, settings: Settings, monday: dt.date, n_items: int, *,
                until: dt.datetime | None = None) -> TrackFacts:
    """Per-track facts for the week of `monday`, from the events before `until` (all when None)."""
    w = settings.signals
    listeners, plays = track_counts(engine, n_items, min_play_ms=w.min_play_ms, until=until)
    since = dt.datetime.combine(monday - dt.timedelta(weeks=4), dt.time())
    recent, _ = track_counts(engine, n_items, min_play_ms=w.min_play_ms, until=until, since=since)
    if not recent.any():            # events without timestamps: popularity over all time
        recent = listeners
    artist_of, age, unavailable = _catalogue(engine, n_items, monday)
    if settings.weekly.owned_only:   # a server plays only what it has: tracks without a file are out
        owned, _ = engine.track_uris()
        unavailable = np.union1d(unavailable, np.setdiff1d(np.arange(n_items), owned))
    sound = track_features(engine, n_items)
    names, words = _artists(engine)
    return TrackFacts(artist_of, listeners, recent, plays, age, sound["tempo"], sound["key"], sound["mode"],
                      sound["loudness"], unavailable, names, words)


def _catalogue(engine: Engine, n_items: int, monday: dt.date):
    cols = engine.track_catalogue()
    keep = cols["track_idx"] < n_items
    idx = cols["track_idx"][keep]
    artist_of = np.full(n_items, -1, dtype=np.int64)
    artist_of[idx] = cols["artist_idx"][keep]
    age = np.full(n_items, np.nan, dtype=np.float32)
    released = cols["released"][keep]
    known = ~np.isnat(released)
    if known.any():
        age[idx[known]] = (np.datetime64(monday, "D") - released[known]).astype(np.float32)
    # withdrawn tracks, and tracks not released yet on the week's Monday (a list cannot hold them)
    unavailable = np.union1d(idx[~cols["available"][keep]], np.flatnonzero(age < 0))
    return artist_of, age, unavailable


def _artists(engine: Engine) -> tuple[np.ndarray, dict]:
    """Artist names, and up to three descriptors per artist from the text model's top terms."""
    cols = engine.artist_names()
    names = np.full(engine.n_artists(), "", dtype=object)
    names[cols["artist_idx"]] = cols["name"]
    return names, engine.artist_descriptors(DESCRIPTOR_KINDS, 3)


# -- the saved models ----------------------------------------------------------------------------
def _text_neighbours(settings: Settings) -> tuple[sp.csr_matrix | None, str | None]:
    try:
        model = load_text(settings)
    except NotFoundError:
        return None, None
    version = registry.resolve(settings.models_dir, TEXT).name
    return model.neighbour_matrix(settings.blend.text_neighbours), version


def _text_state(settings: Settings) -> str | None:
    try:
        return registry.resolve(settings.models_dir, TEXT).name
    except NotFoundError:
        return None


def production_context(engine: Engine, settings: Settings, monday: dt.date, *, shape: tuple[int, int],
                       facts: TrackFacts | None = None, model_version: str | None = None) -> Context:
    """The saved models (collaborative and the item-item model fitted with it, audio, text) and
    all the data, for the week of `monday`."""
    cf, manifest = load_collaborative(settings, model_version)
    item, item_version = load_neighbours(settings, manifest)
    facts = facts if facts is not None else track_facts(engine, settings, monday, shape[1])
    text, text_version = _text_neighbours(settings)
    versions = {"text": text_version} if text_version else {}
    versions["collaborative"] = manifest["version"]
    if item_version:
        versions["neighbours"] = item_version
    audio, audio_version = _production_audio(engine, settings, cf, shape[1], manifest["version"])
    if audio_version:
        versions["audio"] = audio_version
    return build_context(cf, facts, shape=shape, params=settings.blend, min_history=settings.weekly.min_history,
                         cold_plays=settings.audio_model.min_plays, audio=audio, text=text, item=item,
                         versions=versions)


def _production_audio(engine: Engine, settings: Settings, cf, n_items: int, cf_version: str):
    """((track_idx, vectors), version) of the latest audio model's predictions in the space of
    `cf`; (None, None) when there is no audio model or its vectors do not fit that space."""
    try:
        manifest = registry.manifest(settings.models_dir, AUDIO)
    except NotFoundError:
        return None, None
    version = manifest["version"]
    idx, vectors = load_vectors(engine, version)
    _, V = cf.vectors()
    trained_on = manifest.get("collaborative_version")
    if trained_on and trained_on != cf_version and len(idx):
        vectors = _map_space(settings, trained_on, V[:n_items], vectors)
        if vectors is None:
            return None, None
        version = f"{version} (mapped from collaborative {trained_on})"
    if not len(idx) or vectors.shape[1] != V.shape[1]:
        return None, None
    return (idx, vectors), version


def _map_space(settings: Settings, old_version: str, V: np.ndarray, vectors: np.ndarray) -> np.ndarray | None:
    """Predicted vectors of an audio model trained against an older collaborative model, carried
    into the current one's space by the least-squares linear map between the two models' vectors
    of the tracks both know (a retrained ALS is the old one up to a near-linear change)."""
    try:
        old, _ = load_collaborative(settings, old_version)
    except NotFoundError:
        return None
    A = old.item_factors_
    n = min(len(A), len(V))
    both = np.flatnonzero((np.abs(A[:n]).sum(axis=1) > 0) & (np.abs(V[:n]).sum(axis=1) > 0))
    if len(both) < 2 * A.shape[1] or vectors.shape[1] != A.shape[1]:
        return None
    M, *_ = np.linalg.lstsq(A[both], V[both], rcond=None)
    return (vectors @ M).astype(np.float32)


# -- models fitted on a time split ---------------------------------------------------------------
class SplitContexts:
    """Contexts fitted on time splits, kept for the caller's run (training the ranker, then
    evaluating the blend, fit each week's models once). The caller owns it: nothing is kept
    between runs or behind the caller's back."""

    def __init__(self, size: int = 5):
        self.size = size
        self._contexts: dict = {}

    def get(self, key, build) -> Context:
        if key not in self._contexts:
            while len(self._contexts) >= self.size:
                self._contexts.pop(next(iter(self._contexts)))
            self._contexts[key] = build()
        return self._contexts[key]


def split_context(engine: Engine, settings: Settings, split, *, audio: bool = True,
                  cache: SplitContexts | None = None) -> Context:
    """Models fitted on a time split's training part (ALS, and the audio network on its vectors),
    the text model as saved, facts as of the split's week. With `cache`, the same warehouse,
    split week, training data and settings give the context built before."""
    if cache is None:
        return _fit_split_context(engine, settings, split, audio=audio)
    key = (engine.location, split.info.get("week_start"), len(split.train), float(split.train.signal.sum()),
           repr(settings), audio, _text_state(settings))
    return cache.get(key, lambda: _fit_split_context(engine, settings, split, audio=audio))


def _fit_split_context(engine: Engine, settings: Settings, split, *, audio: bool) -> Context:
    monday = dt.date.fromisoformat(split.info["week_start"][:10])
    until = dt.datetime.combine(monday, dt.time())
    train = split.train_matrix(settings.signals)
    facts = track_facts(engine, settings, monday, train.shape[1], until=until)
    return _fit_context(engine, settings, train, facts, audio=audio)


def holdout_context(engine: Engine, settings: Settings, split, *, audio: bool = True) -> Context:
    """Models fitted on a hold-out split's training part (as `split_context`), the catalogue's
    facts as of this week, and listeners counted on the training part only (a held-out pair
    must not make its track look more popular)."""
    train = split.train_matrix(settings.signals)
    today = dt.date.today()
    facts = track_facts(engine, settings, today - dt.timedelta(days=today.weekday()), train.shape[1])
    tr, n = split.train, train.shape[1]
    listeners = np.bincount(tr.items[tr.signal > 0], minlength=n).astype(np.float32)
    # plays, as far as the signal sums tell (a play weighs `play`; other signals blur it a little)
    plays = (np.bincount(tr.items, weights=np.maximum(tr.signal, 0), minlength=n)
             / max(settings.signals.play, 1e-9)).astype(np.float32)
    facts = dataclasses.replace(facts, listeners=listeners, recent=listeners.copy(), plays=plays)
    return _fit_context(engine, settings, train, facts, audio=audio)


def _fit_context(engine: Engine, settings: Settings, train: sp.csr_matrix, facts: TrackFacts, *,
                 audio: bool) -> Context:
    a = settings.als
    specs = {}
    if audio:
        files = track_files(engine, settings)
        if len(files.paths):
            batch = spectrograms(settings, files)
            specs = {int(t): m.mels for t, m in zip(files.track_idx, batch.ok) if m is not None}
    text, text_version = _text_neighbours(settings)
    versions = {"text": text_version} if text_version else {}
    predicted = None
    if specs:
        model = AudioCold(specs, facts.plays, params=settings.audio_model, als=a,
                          collaborative=collaborative_model(settings, a)).fit(train)
        cf = model.cf_
        idx = np.flatnonzero(model.has_audio_)
        predicted = (idx, model.item_vectors_[idx])
        versions["audio"] = "fitted on the split"
    else:
        cf = collaborative_model(settings, a).fit(train)
    versions["collaborative"] = "fitted on the split"
    item = fit_neighbours(train, settings.neighbours)
    if item is not None:
        versions["neighbours"] = "fitted on the split"
    return build_context(cf, facts, shape=train.shape, params=settings.blend,
                         min_history=settings.weekly.min_history, cold_plays=settings.audio_model.min_plays,
                         audio=predicted, text=text, item=item, versions=versions)

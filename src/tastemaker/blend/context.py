"""Everything the blend needs to score users, built once and then frozen (engine-independent).

    >>> facts = TrackFacts.from_matrix(user_items, artist_of)     # or prepare.track_facts(engine, …)
    >>> ctx = build_context(cf, facts, shape=user_items.shape, params=settings.blend, …)

A `Context` holds the collaborative model's vectors (padded to the current users and tracks),
per-track facts (artist, listeners, plays, age, tempo, loudness, availability), the audio
model's predicted vectors in the collaborative space, the text model's artist neighbours, and
every derived array the candidates, features and assembly read (unit vectors, each artist's
tracks by listeners, the cold-track pools of the audio source, listeners per artist). It is
built by one function from arrays and never changes after: a batch of users reads it, nothing
writes to it, and any number of readers can share it. What a user has heard is not part of it:
each call passes the rows of its users.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..config import BlendParams
from ..errors import ParameterError
from ..kernels import unit_rows


@dataclass(frozen=True, eq=False)
class TrackFacts:
    """Per-track facts as of a week (every array has one entry per track_idx)."""

    artist_of: np.ndarray              # artist_idx, -1 unknown
    listeners: np.ndarray              # users with a full play so far
    recent: np.ndarray                 # listeners in the four weeks before the week
    plays: np.ndarray                  # full plays so far
    age_days: np.ndarray               # days since release at the week's Monday, NaN unknown
    tempo: np.ndarray                  # analyser tempo, NaN unknown
    key: np.ndarray                    # pitch class, -1 unknown
    mode: np.ndarray                   # 1 major, 0 minor, -1 unknown
    loudness: np.ndarray               # analyser loudness (dB), NaN unknown
    unavailable: np.ndarray            # track_idx never to recommend (withdrawn, not yet released)
    artist_names: np.ndarray | None = None
    artist_words: dict = field(default_factory=dict)   # artist_idx -> "dark, hypnotic"

    @property
    def n_items(self) -> int:
        return len(self.artist_of)

    @classmethod
    def from_matrix(cls, user_items: sp.csr_matrix, artist_of: np.ndarray | None = None) -> "TrackFacts":
        """Facts read off a confidence matrix alone (no timestamps, analyses or release dates):
        listeners, plays and recent listeners are the users with a positive pair."""
        n_items = user_items.shape[1]
        listeners = np.bincount(sp.csr_matrix(user_items).indices[sp.csr_matrix(user_items).data > 0],
                                minlength=n_items).astype(np.float32)
        artist_of = np.full(n_items, -1, np.int64) if artist_of is None else np.asarray(artist_of, np.int64)
        if len(artist_of) != n_items:
            raise ParameterError(f"artist_of must hold one artist per item ({n_items}); got {len(artist_of)}")
        unknown = np.full(n_items, np.nan, dtype=np.float32)
        return cls(artist_of, listeners, listeners.copy(), listeners.copy(), unknown, unknown.copy(),
                   np.full(n_items, -1, np.int16), np.full(n_items, -1, np.int16), unknown.copy(),
                   np.array([], dtype=np.int64))


@dataclass(frozen=True, eq=False)
class AudioPool:
    """The available cold tracks with a predicted vector that the audio source ranks."""

    tracks: np.ndarray                 # track_idx of the pool
    where: np.ndarray                  # (n_items,) position of each track in the pool, -1 if not there
    vectors: np.ndarray                # (len(tracks), d) predicted vectors, contiguous


@dataclass(frozen=True, eq=False, kw_only=True)
class Context(TrackFacts):
    """The frozen inputs of the blend for one week: the facts, and (see the module docstring)."""

    U: np.ndarray                      # (n_users, d) user vectors, zero rows for users the model lacks
    V: np.ndarray                      # (n_items, d) item vectors, zero rows for tracks the model lacks
    n_model_items: int                 # tracks the collaborative model was trained with (≤ n_items)
    min_history: int                   # liked tracks a user needs for a collaborative score
    cold_plays: int                    # fewer plays than this: the audio model places the track
    has_vector: np.ndarray             # (n_items,) the track has a collaborative vector
    cold: np.ndarray                   # (n_items,) fewer plays than cold_plays
    unit_V: np.ndarray                 # V, rows of length 1
    n_artists: int
    artist_listeners: np.ndarray       # (n_artists,) listeners of each artist's tracks
    artist_tracks: np.ndarray          # (n_artists, per_artist) available tracks by listeners, -1 pad
    audio: np.ndarray | None = None    # (n_items, d) predicted vectors (artist prior applied), zero rows where none
    has_audio: np.ndarray | None = None
    unit_audio: np.ndarray | None = None
    audio_scale: float = 1.0           # median length of the warm item vectors
    audio_pools: dict = field(default_factory=dict)   # None (all cold) / new_days -> AudioPool
    text: sp.csr_matrix | None = None  # (n_artists, n_artists) text neighbours (shrunk cosine)
    item: sp.csr_matrix | None = None  # (n_items, n_items) item-item weights (the neighbour model)
    versions: dict = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.U)


def artist_tracks_width(params: BlendParams) -> int:
    """Tracks kept per artist for the text source: enough for its candidates over its artists."""
    return max(2 * params.text_candidates // max(params.text_artists, 1), 4)


def build_context(cf, facts: TrackFacts, *, shape: tuple[int, int], params: BlendParams, min_history: int,
                  cold_plays: int, audio: tuple[np.ndarray, np.ndarray] | None = None,
                  text: sp.csr_matrix | None = None, item=None, versions: dict | None = None) -> Context:
    """The frozen context of a collaborative model `cf` (anything with ``vectors()``), the facts,
    and optionally the audio model's predicted vectors (``(track_idx, vectors)``, in the
    collaborative space), the text model's artist neighbours and the item-item model (`item`:
    a fitted `RP3beta`, or anything with ``items_`` and ``weights_``)."""
    n_users, n_items = shape
    if facts.n_items != n_items:
        raise ParameterError(f"The facts describe {facts.n_items} tracks; the matrix has {n_items}")
    user_vectors, item_vectors = cf.vectors()
    U = _padded(user_vectors, n_users)
    V = _padded(item_vectors, n_items)
    has_vector = np.abs(V).sum(axis=1) > 0
    cold = facts.plays < cold_plays
    n_artists = int(max(facts.artist_of.max(initial=-1) + 1, 0 if text is None else text.shape[0]))
    ok = facts.artist_of >= 0
    artist_listeners = np.bincount(facts.artist_of[ok], weights=facts.listeners[ok], minlength=n_artists)
    fields = dict(**{f.name: getattr(facts, f.name) for f in dataclasses.fields(TrackFacts)}, U=U, V=V, n_model_items=min(len(item_vectors), n_items), min_history=min_history,
                  cold_plays=cold_plays, has_vector=has_vector, cold=cold, unit_V=unit_rows(V),
                  n_artists=n_artists, artist_listeners=artist_listeners,
                  artist_tracks=_artist_tracks(facts, n_artists, artist_tracks_width(params)),
                  text=text, item=None if item is None else item_graph(item, n_items),
                  versions=dict(versions or {}))
    if audio is not None:
        fields.update(_audio_fields(facts, V, has_vector, cold, *audio, prior=params.artist_prior,
                                    new_days=params.new_days))
    return Context(**fields)


def item_graph(model, n_items: int) -> sp.csr_matrix:
    """The item-item model's weights over the kept items as an (n_items, n_items) matrix in
    track_idx (tracks it does not know, or that came after it, have no row and no column)."""
    items = np.asarray(model.items_, dtype=np.int64)
    W = sp.coo_matrix(model.weights_)
    keep = (items[W.row] < n_items) & (items[W.col] < n_items)
    return sp.csr_matrix((W.data[keep].astype(np.float32), (items[W.row[keep]], items[W.col[keep]])),
                         shape=(n_items, n_items))


def _padded(vectors: np.ndarray, n: int) -> np.ndarray:
    """The first n rows of `vectors` as float32, zero rows where it has fewer."""
    out = np.zeros((n, vectors.shape[1]), dtype=np.float32)
    out[:min(n, len(vectors))] = vectors[:n]
    return out


def _artist_tracks(facts: TrackFacts, n_artists: int, per_artist: int) -> np.ndarray:
    """(n_artists, per_artist) each artist's available tracks by listeners (-1 pad)."""
    ok = facts.artist_of >= 0
    ok[facts.unavailable] = False
    tracks = np.flatnonzero(ok)
    art = facts.artist_of[tracks]
    order = np.lexsort((-facts.listeners[tracks], art))
    tracks, art = tracks[order], art[order]
    start = np.searchsorted(art, np.arange(n_artists))
    rank = np.arange(len(tracks)) - start[art]
    keep = rank < per_artist
    out = np.full((n_artists, per_artist), -1, dtype=np.int64)
    out[art[keep], rank[keep]] = tracks[keep]
    return out


def _audio_fields(facts: TrackFacts, V: np.ndarray, has_vector: np.ndarray, cold: np.ndarray,
                  track_idx: np.ndarray, vectors: np.ndarray, *, prior: float, new_days: int) -> dict:
    """The audio model's part of the context; nothing when its vectors are not in V's space."""
    n_items, d = V.shape
    track_idx = np.asarray(track_idx, dtype=np.int64)
    if not len(track_idx) or vectors.shape[1] != d:
        return {}
    keep = track_idx < n_items
    audio = np.zeros((n_items, d), dtype=np.float32)
    audio[track_idx[keep]] = vectors[keep]
    has_audio = np.zeros(n_items, dtype=bool)
    has_audio[track_idx[keep]] = True
    norms = np.linalg.norm(V, axis=1)
    scale = float(np.median(norms[norms > 0])) if (norms > 0).any() else 1.0
    _artist_prior(audio, facts, V, has_vector, has_audio, cold, prior)
    pools = {days: _audio_pool(facts, audio, has_audio, cold, days) for days in (None, new_days)}
    return {"audio": audio, "has_audio": has_audio, "unit_audio": unit_rows(audio), "audio_scale": scale,
            "audio_pools": pools}


def _artist_prior(audio: np.ndarray, facts: TrackFacts, V: np.ndarray, has_vector: np.ndarray,
                  has_audio: np.ndarray, cold: np.ndarray, weight: float) -> None:
    """Each cold track's predicted vector, moved ``weight`` of the way towards its artist's place
    in the collaborative space (the listener-weighted mean direction of the artist's warm
    tracks), in place. A new release by an artist people already play starts where that
    artist's listeners are; the audio network says where within it, and places the tracks of
    artists nobody plays yet on its own. Tracks without an audio prediction are left alone."""
    if weight <= 0:
        return
    warm = has_vector & ~cold & (facts.artist_of >= 0)
    targets = np.flatnonzero(has_audio & cold & (facts.artist_of >= 0))
    if not warm.any() or not len(targets):
        return
    unit = unit_rows(V[warm])
    w = np.log1p(facts.listeners[warm])
    art = facts.artist_of[warm]
    n_art = int(facts.artist_of.max()) + 1
    total = np.bincount(art, weights=w, minlength=n_art)
    centre = np.stack([np.bincount(art, weights=unit[:, j] * w, minlength=n_art)
                       for j in range(unit.shape[1])], axis=1)
    centre = (centre / np.maximum(total, 1e-12)[:, None]).astype(np.float32)
    targets = targets[total[facts.artist_of[targets]] > 0]
    audio[targets] = weight * centre[facts.artist_of[targets]] + (1 - weight) * audio[targets]


def _audio_pool(facts: TrackFacts, audio: np.ndarray, has_audio: np.ndarray, cold: np.ndarray,
                new_days: int | None) -> AudioPool:
    """The available cold tracks with a predicted vector (with `new_days`: only those released
    fewer than that many days before the week)."""
    keep = has_audio & cold
    if new_days is not None:
        keep &= facts.age_days < new_days           # NaN (unknown release) is not new
    keep[facts.unavailable] = False
    pool = np.flatnonzero(keep)
    where = np.full(len(audio), -1, dtype=np.int64)
    where[pool] = np.arange(len(pool))
    return AudioPool(pool, where, np.ascontiguousarray(audio[pool], dtype=np.float32))

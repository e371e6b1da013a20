"""Neighbours by a model's vectors: similar tracks, artists and users.

    >>> me, found = similar(engine, settings, "artist", "Depeche Mode", n=10, model="text")

Ids are the catalogue's own (``track_id``, ``artist_id`` or artist name, ``user_id``). By model:
``collaborative`` (tracks, users, and artists as the mean of their tracks' unit vectors),
``text`` (artists, by their term vectors; with ``embeddings``, blended with MiniLM), ``audio``
(tracks, by the audio network's embedding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Settings
from ..engine import Engine
from ..errors import NotFoundError, ParameterError, check_param
from ..kernels import unit_rows
from ..models import registry
from ..text import load_text
from ..text.top import find_artist
from ..train import load_collaborative

KINDS = ("track", "artist", "user")


@dataclass
class Neighbour:
    id: str
    name: str
    score: float


def similar(engine: Engine, settings: Settings, kind: str, key: str, n: int = 10,
            model: str = "collaborative", embeddings: bool = False) -> tuple[Neighbour, list[Neighbour]]:
    """The entity asked for and its n nearest neighbours (itself excluded), best first.
    `embeddings` (text model only): blend the term vectors with the MiniLM embeddings."""
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {KINDS}. Got {kind!r} instead.")
    check_param("similar", "n", n, low=1, kind=int)
    if model not in ("collaborative", "text", "audio"):
        raise ParameterError(f"model must be 'collaborative', 'text' or 'audio'. Got {model!r}.")
    if embeddings and model != "text":
        raise ParameterError(f"Only the text model has embeddings: use --model text. Got {model!r}.")
    if model == "text":
        return _similar_text(engine, settings, kind, key, n, embeddings)
    if model == "audio":
        return _similar_audio(engine, settings, kind, key, n)
    als, _ = load_collaborative(settings)
    if kind == "user":
        idx = _found(engine.user_index(key), "user", key)
        vectors = als.user_factors_
    elif kind == "track":
        idx = _found(engine.track_index(key), "track", key)
        vectors = als.item_factors_
    else:
        found = engine.artist_index(key)
        idx = _found(found and found[0], "artist", key)
        vectors = _artist_vectors(engine, als.item_factors_)
    if idx >= len(vectors) or not np.any(vectors[idx]):
        raise NotFoundError(f"{kind} {key!r} has no vector in the collaborative model "
                            f"(no plays when it was trained): retrain with tastemaker train")
    unit = unit_rows(vectors)
    sims = unit @ unit[idx]
    sims[idx] = -np.inf
    k = min(n, len(sims) - 1)
    top = np.argpartition(-sims, k)[:k] if k < len(sims) else np.arange(len(sims))
    top = top[np.argsort(-sims[top], kind="stable")]
    top = top[np.isfinite(sims[top]) & (np.abs(vectors[top]).sum(axis=1) > 0)]
    labels = engine.labels(kind, [int(idx), *map(int, top)])
    me = Neighbour(*labels[int(idx)], 1.0)
    return me, [Neighbour(*labels[int(i)], float(sims[i])) for i in top]


def _similar_text(engine: Engine, settings, kind, key, n, embeddings=False) -> tuple[Neighbour, list[Neighbour]]:
    if kind != "artist":
        raise ParameterError(f"The text model has artist vectors only: kind must be 'artist'. Got {kind!r}.")
    idx, _ = find_artist(engine, key)
    model = load_text(settings)
    if not model.has_vector(idx):
        raise NotFoundError(f"artist {key!r} has no text vector (no documents about it when the text "
                            f"model was trained): ingest documents, then tastemaker train text")
    ids, scores = model.similar_items(idx, N=n, embeddings=embeddings)
    labels = engine.labels("artist", ids)
    me = Neighbour(*labels[idx], 1.0)
    return me, [Neighbour(*labels[int(i)], float(s)) for i, s in zip(ids, scores) if int(i) != idx][:n]


def _similar_audio(engine: Engine, settings, kind, key, n) -> tuple[Neighbour, list[Neighbour]]:
    """Tracks nearest by the audio network's penultimate-layer embedding (cosine)."""
    from ..audio_model.predict import load_vectors   # the audio stack (librosa) only when asked for
    from ..audio_model.train import AUDIO

    if kind != "track":
        raise ParameterError(f"The audio model has track vectors only: kind must be 'track'. Got {kind!r}.")
    idx = _found(engine.track_index(key), "track", key)
    version = registry.manifest(settings.models_dir, AUDIO)["version"]
    tracks, emb = load_vectors(engine, version, embeddings=True)
    where = np.flatnonzero(tracks == idx)
    if not len(where):
        raise NotFoundError(f"track {key!r} has no audio vector in audio model {version} (no readable "
                            f"audio when it ran; see table audio_vectors): tastemaker train audio")
    unit = unit_rows(emb)
    sims = unit @ unit[where[0]]
    sims[where[0]] = -np.inf
    top = np.argsort(-sims, kind="stable")[:min(n, len(sims) - 1)]
    labels = engine.labels("track", [idx, *map(int, tracks[top])])
    return Neighbour(*labels[idx], 1.0), [Neighbour(*labels[int(tracks[i])], float(sims[i])) for i in top]


def _found(idx, what: str, key: str) -> int:
    if idx is None:
        raise NotFoundError(f"No {what} {key!r} in the warehouse")
    return int(idx)


def _artist_vectors(engine: Engine, item_factors: np.ndarray) -> np.ndarray:
    """(n_artists, d): each artist's sum of its tracks' unit vectors (its direction)."""
    cols = engine.track_catalogue()
    keep = (cols["artist_idx"] >= 0) & (cols["track_idx"] < len(item_factors))
    tracks, artists = cols["track_idx"][keep], cols["artist_idx"][keep]
    out = np.zeros((engine.n_artists(), item_factors.shape[1]), dtype=np.float32)
    np.add.at(out, artists, unit_rows(item_factors[tracks]))
    return out

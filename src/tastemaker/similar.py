"""Neighbours by the collaborative vectors: similar tracks, artists and users.

Ids are the catalogue's own (``track_id``, ``artist_id`` or artist name, ``user_id``). An artist's
vector is the mean of its tracks' unit vectors. Later models (text, audio) plug in by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Settings
from .errors import NotFoundError, ParameterError
from .train import load_collaborative
from .warehouse import Warehouse

KINDS = ("track", "artist", "user")


@dataclass
class Neighbour:
    id: str
    name: str
    score: float


def similar(wh: Warehouse, settings: Settings, kind: str, key: str, n: int = 10,
            model: str = "collaborative", embeddings: bool = False) -> tuple[Neighbour, list[Neighbour]]:
    """The entity asked for and its n nearest neighbours (itself excluded), best first.
    `embeddings` (text model only): blend the term vectors with the MiniLM embeddings."""
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {KINDS}. Got {kind!r} instead.")
    if model not in ("collaborative", "text", "audio"):
        raise ParameterError(f"model must be 'collaborative', 'text' or 'audio'. Got {model!r}.")
    if embeddings and model != "text":
        raise ParameterError(f"Only the text model has embeddings: use --model text. Got {model!r}.")
    if model == "text":
        return _similar_text(wh, settings, kind, key, n, embeddings)
    if model == "audio":
        return _similar_audio(wh, settings, kind, key, n)
    als, _ = load_collaborative(settings)
    if kind == "user":
        idx = _lookup(wh, "SELECT user_idx, user_id FROM users WHERE user_id = ?", key, "user")
        vectors, names = als.user_factors_, None
        table = "SELECT user_idx, user_id, user_id FROM users"
    elif kind == "track":
        idx = _lookup(wh, "SELECT track_idx, track_id FROM tracks WHERE track_id = ?", key, "track")
        vectors = als.item_factors_
        table = """SELECT t.track_idx, t.track_id, coalesce(a.name || ' – ', '') || coalesce(t.title, t.track_id)
                   FROM tracks t LEFT JOIN artists a USING (artist_idx)"""
    else:
        idx = _lookup(wh, """SELECT artist_idx, artist_id FROM artists
                             WHERE artist_id = ? OR lower(name) = lower(?)""", key, "artist", twice=True)
        vectors = _artist_vectors(wh, als.item_factors_)
        table = "SELECT artist_idx, artist_id, coalesce(name, artist_id) FROM artists"
    if idx >= len(vectors) or not np.any(vectors[idx]):
        raise NotFoundError(f"{kind} {key!r} has no vector in the collaborative model "
                            f"(no plays when it was trained): retrain with tastemaker train")
    unit = _normalise(vectors)
    sims = unit @ unit[idx]
    sims[idx] = -np.inf
    k = min(n, len(sims) - 1)
    top = np.argpartition(-sims, k)[:k] if k < len(sims) else np.arange(len(sims))
    top = top[np.argsort(-sims[top], kind="stable")]
    top = top[np.isfinite(sims[top]) & (np.abs(vectors[top]).sum(axis=1) > 0)]
    labels = {i: (ext, name) for i, ext, name in wh.execute(
        f"SELECT * FROM ({table}) WHERE list_contains(?, 1 * #1)", [[int(idx), *map(int, top)]]).fetchall()}
    me = Neighbour(*labels[int(idx)], 1.0)
    return me, [Neighbour(*labels[int(i)], float(sims[i])) for i in top]


def _similar_text(wh, settings, kind, key, n, embeddings=False) -> tuple[Neighbour, list[Neighbour]]:
    from .text import load_text
    from .text.top import find_artist

    if kind != "artist":
        raise ParameterError(f"The text model has artist vectors only: kind must be 'artist'. Got {kind!r}.")
    idx, _ = find_artist(wh, key)
    model = load_text(settings)
    if not model.has_vector(idx):
        raise NotFoundError(f"artist {key!r} has no text vector (no documents about it when the text "
                            f"model was trained): ingest documents, then tastemaker train text")
    ids, scores = model.similar_items(idx, N=n, embeddings=embeddings)
    labels = {i: (ext, name) for i, ext, name in wh.execute(
        "SELECT artist_idx, artist_id, coalesce(name, artist_id) FROM artists WHERE list_contains(?, artist_idx)",
        [[int(i) for i in ids]]).fetchall()}
    me = Neighbour(*labels[idx], 1.0)
    return me, [Neighbour(*labels[int(i)], float(s)) for i, s in zip(ids, scores) if int(i) != idx][:n]


def _similar_audio(wh, settings, kind, key, n) -> tuple[Neighbour, list[Neighbour]]:
    """Tracks nearest by the audio network's penultimate-layer embedding (cosine)."""
    from .audio_model.predict import load_vectors
    from .audio_model.train import AUDIO
    from .models import registry

    if kind != "track":
        raise ParameterError(f"The audio model has track vectors only: kind must be 'track'. Got {kind!r}.")
    idx = _lookup(wh, "SELECT track_idx, track_id FROM tracks WHERE track_id = ?", key, "track")
    version = registry.manifest(settings.models_dir, AUDIO)["version"]
    tracks, emb = load_vectors(wh, version, embeddings=True)
    where = np.flatnonzero(tracks == idx)
    if not len(where):
        raise NotFoundError(f"track {key!r} has no audio vector in audio model {version} (no readable "
                            f"audio when it ran; see table audio_vectors): tastemaker train audio")
    unit = _normalise(emb)
    sims = unit @ unit[where[0]]
    sims[where[0]] = -np.inf
    top = np.argsort(-sims, kind="stable")[:min(n, len(sims) - 1)]
    wanted = [idx, *map(int, tracks[top])]
    labels = {i: (ext, name) for i, ext, name in wh.execute(
        """SELECT t.track_idx, t.track_id, coalesce(a.name || ' – ', '') || coalesce(t.title, t.track_id)
           FROM tracks t LEFT JOIN artists a USING (artist_idx) WHERE list_contains(?, t.track_idx)""",
        [wanted]).fetchall()}
    return Neighbour(*labels[idx], 1.0), [Neighbour(*labels[int(tracks[i])], float(sims[i])) for i in top]


def _lookup(wh, sql, key, what, twice=False) -> int:
    row = wh.one(sql, [key, key] if twice else [key])
    if row is None:
        raise NotFoundError(f"No {what} {key!r} in the warehouse")
    return int(row[0])


def _normalise(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms == 0, 1, norms)


def _artist_vectors(wh, item_factors: np.ndarray) -> np.ndarray:
    cols = wh.execute("SELECT track_idx, artist_idx FROM tracks WHERE artist_idx IS NOT NULL").fetchnumpy()
    tracks, artists = np.asarray(cols["track_idx"]), np.asarray(cols["artist_idx"])
    keep = tracks < len(item_factors)
    tracks, artists = tracks[keep], artists[keep]
    n_artists = int(wh.scalar("SELECT coalesce(max(artist_idx) + 1, 0) FROM artists"))
    out = np.zeros((n_artists, item_factors.shape[1]), dtype=np.float32)
    np.add.at(out, artists, _normalise(item_factors[tracks]))
    return out

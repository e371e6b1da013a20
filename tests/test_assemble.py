import numpy as np
import scipy.sparse as sp

from tastemaker.blend.assemble import explain, top_played
from tastemaker.kernels import cap_per_artist, unit_rows


def test_cap_per_artist_keeps_score_order_and_limit():
    ids = np.array([[5, 6, 7, 8, 9, -1], [1, 2, 3, 4, 5, 6]])
    scores = np.arange(12, dtype=np.float32).reshape(2, 6)[:, ::-1].copy()
    artist_of = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, -1])
    out, out_scores, cols = cap_per_artist(ids, scores, artist_of, size=4, max_per_artist=1)
    assert out.tolist() == [[5, 7, 9, -1], [1, 3, -1, -1]]          # track 9 has no artist: its own
    assert out_scores[0, :3].tolist() == [11 - 6, 11 - 8, 11 - 10]
    assert cols.tolist() == [[0, 2, 4, -1], [0, 2, -1, -1]]
    out, _, _ = cap_per_artist(ids, scores, artist_of, size=3, max_per_artist=2)
    assert out.tolist() == [[5, 6, 7], [1, 2, 3]]


def test_top_played_and_explain():
    m = sp.csr_matrix(np.array([[0, 3, 0, 1, -2], [0, 0, 0, 0, 0], [5, 1, 2, 0, 0]], dtype=np.float32))
    ids, vals = top_played(m, 2)
    assert ids.tolist() == [[1, 3], [-1, -1], [0, 2]] and vals[2].tolist() == [5, 2]
    vectors = unit_rows(np.array([[1, 0], [0, 1], [1, 0.1], [0.1, 1], [0, 0]], dtype=np.float32))
    # user 0 played 1 and 3; track 2 is closest to... neither 1 nor 3 well, but 3 less badly
    because = explain(np.array([[2, 0], [0, 1], [3, -1]]), ids, vals, vectors)
    assert because[0].tolist() == [3, 3] and because[1].tolist() == [-1, -1]
    assert because[2].tolist() == [2, -1]     # track 3 looks like 2 (played) more than 0

import numpy as np
import pytest

from tastemaker.config import SignalWeights
from tastemaker.errors import ParameterError
from tastemaker.matrix import load_matrix
from tastemaker.engine.sql import interactions as interactions_sql
from tastemaker.signals import confidence, confidence_matrix, signal_sum
from tastemaker.engine import DuckDBEngine


def test_confidence_log_formula_by_hand():
    w = SignalWeights(alpha=2.0, epsilon=0.5)
    s = np.array([1.0, 3.0, -1.0, 0.0])
    c = confidence(s, w)
    assert c[0] == pytest.approx(1 + 2 * np.log(1 + 1 / 0.5), rel=1e-6)
    assert c[1] == pytest.approx(1 + 2 * np.log(1 + 3 / 0.5), rel=1e-6)
    assert c[2] == pytest.approx(-(1 + 2 * np.log(1 + 1 / 0.5)), rel=1e-6)  # disliked
    assert c[3] == pytest.approx(-1.0)                                         # heard, no preference


def test_signal_sum_weights_every_signal():
    w = SignalWeights(play=1, save=4, artist_visit=2, skip=1.5)
    s = signal_sum(w, plays=[3, 0, 1, 2], short_plays=[0, 2, 0, 0], saves=[1, 0, 0, 0], skips=[0, 1, 2, 0],
                   artist_visits=[1, 0, 0, 0], dislikes=[0, 0, 0, 1])
    assert s.tolist() == [3 + 4 + 2, -1.5 * 3, 1 - 3.0, 2 - 4.0]     # a thumbs-down outweighs two plays


def test_linear_and_bm25_schemes():
    w = SignalWeights(scheme="linear", alpha=0.5)
    assert confidence(np.array([4.0]), w)[0] == pytest.approx(3.0)
    users, items = np.array([0, 0, 1, 2]), np.array([0, 1, 0, 0])
    m = confidence_matrix(users, items, np.array([5.0, 1.0, 5.0, -2.0]), (3, 2),
                          SignalWeights(scheme="bm25", alpha=1.0))
    assert m[2, 0] < 0 and m[0, 0] >= 1 and m[0, 1] >= 1
    # item 0 has two listeners, item 1 one: BM25 discounts the popular item for the same count
    assert m.shape == (3, 2)


def test_bad_weights_are_named():
    with pytest.raises(ParameterError, match="'alpha' parameter of SignalWeights"):
        SignalWeights(alpha=-1)
    with pytest.raises(ParameterError, match="scheme"):
        SignalWeights(scheme="magic")


def test_interactions_from_events_by_hand():
    wh = DuckDBEngine.open(None)
    wh.execute("INSERT INTO users VALUES (0, 'u0'), (1, 'u1')")
    wh.execute("INSERT INTO artists VALUES (0, 'a0', 'A'), (1, 'a1', 'B')")
    wh.execute("INSERT INTO tracks (track_idx, track_id, artist_idx) VALUES (0, 't0', 0), (1, 't1', 0), (2, 't2', 1)")
    ev = [  # file, line, user, track, artist, kind, ts, plays, ms
        (1, 1, 0, 0, 0, "play", "2026-11-02 10:00:00", 2, 400_000),
        (1, 2, 0, 0, 0, "play", "2026-11-03 10:00:00", 1, 10_000),     # short play: a skip
        (1, 3, 0, 0, 0, "save", "2026-11-03 10:01:00", 1, None),
        (1, 4, 0, None, 0, "artist_visit", "2026-11-03 10:02:00", 1, None),  # counts for t0 and t1
        (1, 5, 0, 1, 0, "play", "2026-11-04 10:00:00", 1, None),
        (1, 6, 1, 2, 1, "skip", "2026-11-09 10:00:00", 3, None),
        (1, 7, 1, 1, 0, "play", "2026-11-09 11:00:00", 1, None),
        (1, 8, 1, 1, 0, "dislike", "2026-11-09 11:01:00", 1, None),
    ]
    wh.con.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ev)
    rows = wh.execute(f"SELECT * FROM ({interactions_sql(30_000)}) ORDER BY 1, 2").fetchall()
    t0, t1, disliked, t2 = rows
    assert disliked[:8] == (1, 1, 1, 0, None, 0, 0, 0) and disliked[10] == 1 and t0[10] == 0
    assert t0[:8] == (0, 0, 2, 1, 410_000, 1, 0, 1)
    assert str(t0[8]) == "2026-11-02 10:00:00" and str(t0[9]) == "2026-11-03 10:01:00"
    assert t1[:8] == (0, 1, 1, 0, None, 0, 0, 1)
    assert t2[:8] == (1, 2, 0, 0, None, 0, 3, 0)
    # a time cut keeps only the events before it
    cut = wh.execute(f"SELECT count(*) FROM ({interactions_sql(30_000, until='2026-11-03')})").fetchall()
    assert cut == [(1,)]
    m = load_matrix(wh, SignalWeights(scheme="log")).user_items
    assert m[0, 0] > m[0, 1] > 0 and m[1, 2] < 0 and m[1, 1] < 0    # played, then disliked
    assert load_matrix(wh, SignalWeights()).fingerprint == load_matrix(wh, SignalWeights()).fingerprint

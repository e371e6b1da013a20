"""Flow ordering: a permutation, the first track stays first, never worse than the given order."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tastemaker.errors import ParameterError
from tastemaker.engine import DuckDBEngine
from tastemaker.blend.flow import (FlowWeights, flow_order, flow_order_batch, list_features,
                                    track_features, transition_cost)

NAN = np.nan


def _unknown(k):
    return [-1] * k, [-1] * k, [NAN] * k


def test_close_tempi_are_grouped_and_half_tempo_is_close_ish():
    tempo = [80, 160, 120, 81, 119]
    key, mode, loud = _unknown(5)
    order = list(flow_order(tempo, key, mode, loud))
    assert sorted(order) == [0, 1, 2, 3, 4] and order[0] == 0
    pos = {t: order.index(i) for i, t in enumerate(tempo)}
    assert abs(pos[80] - pos[81]) == 1 and abs(pos[120] - pos[119]) == 1
    # 160 follows 81 (double tempo), not 119/120: a tempo doubling is a smaller step than 1.5×
    assert abs(pos[160] - pos[81]) == 1
    assert transition_cost(tempo, key, mode, loud, order) < transition_cost(tempo, key, mode, loud)


def test_relative_major_and_minor_are_neighbours_on_the_wheel():
    # C major, A minor (its relative minor), F# major (the far side of the wheel)
    tempo, loud = [NAN] * 3, [NAN] * 3

    def cost(k1, m1, k2, m2):
        return transition_cost(tempo[:2], [k1, k2], [m1, m2], loud[:2])

    same, relative, fifth, far = cost(0, 1, 0, 1), cost(0, 1, 9, 0), cost(0, 1, 7, 1), cost(0, 1, 6, 1)
    assert same < relative == fifth < far
    assert cost(0, 1, 9, 0) == cost(9, 0, 0, 1)                          # symmetric
    assert cost(2, 0, 5, 1) == relative                                   # D minor ~ F major
    # C major first, then F# major, A minor, E minor: A minor must follow C major directly
    order = flow_order([NAN] * 4, [0, 6, 9, 4], [1, 1, 0, 0], [NAN] * 4)
    assert list(order[:2]) == [0, 2]


def test_unknown_features_cost_a_neutral_amount():
    w = FlowWeights()
    assert transition_cost([NAN, NAN], [-1, -1], [-1, -1], [NAN, NAN]) == pytest.approx(w.unknown)
    # silence (tempo 0) is unknown too; a key with unknown mode is half a step from its major
    assert transition_cost([0, 120], [0, 0], [1, -1], [-9, -9]) == pytest.approx(
        w.tempo * w.unknown + w.key * 0.5 / w.key_scale)
    order = flow_order([120, NAN, 121, 60], [0, -1, 0, 6], [1, -1, 1, 0], [-8, NAN, -8, -20])
    assert sorted(order) == [0, 1, 2, 3] and order[0] == 0 and order[1] == 2


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(0, 2**32 - 1), st.floats(0, 0.5))
def test_flow_never_costs_more_than_the_given_order(k, seed, missing):
    rng = np.random.default_rng(seed)
    tempo = rng.uniform(55, 180, k)
    key, mode = rng.integers(0, 12, k), rng.integers(0, 2, k)
    loud = rng.uniform(-24, -4, k)
    tempo[rng.random(k) < missing] = NAN
    key[rng.random(k) < missing] = -1
    mode[rng.random(k) < missing] = -1
    loud[rng.random(k) < missing] = NAN
    first = int(rng.integers(0, k))
    order = flow_order(tempo, key, mode, loud, first=first)
    assert sorted(order) == list(range(k)) and order[0] == first
    if first == 0 and k >= 2:
        assert transition_cost(tempo, key, mode, loud, order) <= transition_cost(tempo, key, mode, loud) + 1e-9


def test_batch_matches_single_lists_and_keeps_padding_in_place():
    rng = np.random.default_rng(3)
    B, K = 40, 9
    tempo, loud = rng.uniform(60, 170, (B, K)), rng.uniform(-20, -5, (B, K))
    key, mode = rng.integers(0, 12, (B, K)), rng.integers(0, 2, (B, K))
    lengths = rng.integers(0, K + 1, B)
    pad = np.arange(K)[None, :] >= lengths[:, None]
    tempo[pad], loud[pad], key[pad], mode[pad] = NAN, NAN, -1, -1
    order = flow_order_batch(tempo, key, mode, loud, lengths=lengths, chunk=16)
    for b in range(B):
        n = lengths[b]
        assert sorted(order[b, :n]) == list(range(n)) and list(order[b, n:]) == list(range(n, K))
        if n:
            single = flow_order(tempo[b, :n], key[b, :n], mode[b, :n], loud[b, :n])
            assert list(order[b, :n]) == list(single)
    before = transition_cost(tempo, key, mode, loud, lengths=lengths)
    after = transition_cost(tempo, key, mode, loud, order, lengths=lengths)
    assert np.all(np.isnan(before) == (lengths < 2))
    assert np.all(after[lengths >= 2] <= before[lengths >= 2] + 1e-9)
    assert np.nanmean(after) < np.nanmean(before)


def test_a_long_batch_is_deterministic_and_improves_much():
    rng = np.random.default_rng(0)
    B, K = 600, 30
    feats = (rng.uniform(60, 170, (B, K)), rng.integers(0, 12, (B, K)), rng.integers(0, 2, (B, K)),
             rng.uniform(-20, -5, (B, K)))
    order = flow_order_batch(*feats, first=rng.integers(0, K, B))
    assert np.array_equal(order, flow_order_batch(*feats, first=order[:, 0]))
    assert np.all(np.sort(order, axis=1) == np.arange(K))
    assert transition_cost(*feats, order).mean() < 0.6 * transition_cost(*feats).mean()


def test_bad_arguments_say_what_to_change():
    with pytest.raises(ParameterError, match="first track"):
        flow_order([100, 120], [0, 0], [1, 1], [-8, -8], first=2)
    with pytest.raises(ParameterError, match="one shape"):
        flow_order([100, 120], [0], [1, 1], [-8, -8])
    with pytest.raises(ParameterError, match="lengths"):
        flow_order_batch([[100, 120]], [[0, 0]], [[1, 1]], [[-8, -8]], lengths=[3])
    with pytest.raises(ParameterError, match="'tempo' parameter of FlowWeights"):
        FlowWeights(tempo=-1)


def test_features_come_from_ok_analyses_then_the_catalogue():
    wh = DuckDBEngine.open(None)
    wh.execute("""INSERT INTO tracks (track_idx, track_id, attrs) VALUES
                  (0, 't0', '{"tempo": 90.5, "key": 2, "mode": 0, "loudness": -11.0}'),
                  (1, 't1', '{"tempo": 100, "key": 99}'), (2, 't2', NULL), (3, 't3', NULL)""")
    wh.execute("""INSERT INTO audio_analyses (content_sha256, path, track_idx, analyser_version, status,
                      loudness, tempo, key, mode, analysed_at) VALUES
                  ('a', 'x.wav', 1, 'v', 'ok', -7.5, 128.0, 9, 0, TIMESTAMP '2026-11-01'),
                  ('b', 'y.wav', 1, 'v', 'ok', -6.0, 64.0, 4, 1, TIMESTAMP '2026-11-02'),
                  ('c', 'z.wav', 2, 'v', 'failed', NULL, NULL, NULL, NULL, TIMESTAMP '2026-11-02'),
                  ('d', 'w.wav', 3, 'v', 'ok', -9.0, 0.0, -1, -1, TIMESTAMP '2026-11-02'),
                  ('e', 'v.wav', 9, 'v', 'ok', -9.0, 70.0, 1, 1, TIMESTAMP '2026-11-02')""")
    f = track_features(wh, 5)
    np.testing.assert_array_equal(f["tempo"], np.array([90.5, 64.0, NAN, 0.0, NAN], dtype=np.float32))
    assert list(f["key"]) == [2, 4, -1, -1, -1] and list(f["mode"]) == [0, 1, -1, -1, -1]
    np.testing.assert_array_equal(f["loudness"], np.array([-11, -6, NAN, -9, NAN], dtype=np.float32))
    assert np.isnan(track_features(wh, 5, catalogue=False)["tempo"][0])
    lists = list_features(np.array([[1, 0, -1], [3, -1, -1]]), f)
    assert list(lists["lengths"]) == [2, 1] and lists["key"].tolist() == [[4, 2, -1], [-1, -1, -1]]
    order = flow_order_batch(**lists)
    assert order.tolist() == [[0, 1, 2], [0, 1, 2]]
    with pytest.raises(ParameterError, match="Padding"):
        list_features(np.array([[1, -1, 0]]), f)
    wh.close()

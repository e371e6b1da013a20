"""Every ranking metric on lists small enough to compute by hand."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.errors import ParameterError
from tastemaker.evaluate.metrics import (
    METRICS,
    artist_diversity,
    average_precision_at_k,
    catalogue_coverage,
    hit_rate_at_k,
    hits_at_k,
    item_popularity,
    ndcg_at_k,
    novelty,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
)

N_ITEMS = 10
# user 0: hits at ranks 2 and 4 of 4, 3 test items; user 1: no hit, one padded slot pair
RECS = np.array([[1, 2, 3, 4],
                 [5, 6, -1, -1]])
TEST = sp.csr_matrix(([1, 1, 1, 1], ([0, 0, 0, 1], [2, 4, 7, 9])), shape=(2, N_ITEMS))
LOG3, LOG5 = math.log2(3), math.log2(5)


def test_hits_mark_test_items_and_never_padding():
    hits = hits_at_k(RECS, TEST)
    assert hits.tolist() == [[False, True, False, True], [False, False, False, False]]
    # an id of -1 must not match item 0 even when item 0 is a test item
    assert not hits_at_k(np.array([[-1, 0]]), sp.csr_matrix([[1, 0]]))[0, 0]


def test_precision_recall_hit_rate():
    hits = hits_at_k(RECS, TEST)
    n_rel = np.array([3, 1])
    np.testing.assert_allclose(precision_at_k(hits), [2 / 4, 0])
    np.testing.assert_allclose(recall_at_k(hits, n_rel), [2 / 3, 0])
    np.testing.assert_allclose(hit_rate_at_k(hits), [1, 0])


def test_ndcg_binary_gains_ideal_over_min_k_and_test_size():
    hits = hits_at_k(RECS, TEST)
    dcg = 1 / LOG3 + 1 / LOG5                     # ranks 2 and 4
    ideal = 1 + 1 / LOG3 + 1 / 2                   # min(K=4, |T|=3) = 3 hits on top
    np.testing.assert_allclose(ndcg_at_k(hits, np.array([3, 1])), [dcg / ideal, 0])
    # more test items than K: the ideal list is K hits, so a list of K hits scores 1
    assert ndcg_at_k(np.array([[True, True]]), np.array([5]))[0] == pytest.approx(1.0)


def test_average_precision_over_min_k_and_test_size():
    hits = hits_at_k(RECS, TEST)
    # precision 1/2 at rank 2 and 2/4 at rank 4, over min(4, 3)
    np.testing.assert_allclose(average_precision_at_k(hits, np.array([3, 1])), [(0.5 + 0.5) / 3, 0])
    assert average_precision_at_k(np.array([[True, True]]), np.array([5]))[0] == pytest.approx(1.0)
    # recall keeps the standard hits / |T| even when |T| > K
    assert recall_at_k(np.array([[True, True]]), np.array([5]))[0] == pytest.approx(2 / 5)


def test_coverage_counts_distinct_items_without_padding():
    assert catalogue_coverage(RECS, N_ITEMS) == pytest.approx(6 / 10)
    assert catalogue_coverage(np.array([[1, 2], [2, 1]]), 4) == pytest.approx(2 / 4)


def test_novelty_is_mean_self_information():
    popularity = np.zeros(N_ITEMS)
    popularity[[1, 2, 3, 5, 6]] = [4, 2, 1, 4, 4]     # item 4 unseen: counted as one user
    info = novelty(RECS, popularity, n_users=4)
    # user 0: -log2(4/4), -log2(2/4), -log2(1/4), -log2(1/4)
    np.testing.assert_allclose(info, [(0 + 1 + 2 + 2) / 4, 0.0])
    assert np.isnan(novelty(np.array([[-1, -1]]), popularity, 4)[0])


def test_item_popularity_counts_positive_users():
    train = sp.csr_matrix(np.array([[2.0, -1.0, 0], [1.0, 3.0, 0]]))
    assert item_popularity(train).tolist() == [2, 1, 0]


def test_artist_diversity_counts_distinct_artists_over_k():
    artists = np.array([0, 0, 0, 1, 1, 2, -1, -1, 3, 3])
    # [1,2,3,4] -> artists 0,0,1,1; [5,6,-1,-1] -> artist 2 and one unknown
    np.testing.assert_allclose(artist_diversity(RECS, artists), [2 / 4, 2 / 4])
    # two unknown artists are two artists, not one
    assert artist_diversity(np.array([[6, 7]]), artists)[0] == pytest.approx(1.0)


def test_ranking_metrics_average_over_users():
    popularity = np.array([0, 4, 2, 1, 0, 4, 4, 0, 0, 0])
    artists = np.arange(N_ITEMS)
    out = ranking_metrics(RECS, TEST, n_items=N_ITEMS, popularity=popularity, n_users=4,
                          item_artists=artists)
    assert set(out) == set(METRICS)
    assert out["precision"] == pytest.approx((0.5 + 0) / 2)
    assert out["recall"] == pytest.approx((2 / 3) / 2)
    assert out["hit_rate"] == pytest.approx(0.5)
    assert out["coverage"] == pytest.approx(0.6)
    assert out["diversity"] == pytest.approx((4 / 4 + 2 / 4) / 2)
    no_artists = ranking_metrics(RECS, TEST, n_items=N_ITEMS, popularity=popularity, n_users=4)
    assert math.isnan(no_artists["diversity"])


def test_bad_shapes_say_what_was_expected():
    with pytest.raises(ParameterError, match="one row per row of recs"):
        hits_at_k(RECS, TEST[:1])
    with pytest.raises(ParameterError, match="at least one test item"):
        recall_at_k(np.array([[True]]), np.array([0]))
    with pytest.raises(ParameterError, match="2-D"):
        hits_at_k(np.array([1, 2]), TEST)

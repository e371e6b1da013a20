"""The recommender contract, run against every model on a tiny "checkerboard" whose answer is
obvious: two groups of users like two disjoint groups of items, and each user has not yet heard
a few items of their own group — those must come first."""

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.errors import NotFittedError, ParameterError
from tastemaker.models.als import ALS
from tastemaker.models.base import Recommender
from tastemaker.models.baselines import BPR, EASE, ItemKNN, Popularity, RP3beta, positive_part

N_USERS, N_ITEMS, GROUP_ITEMS, UNHEARD = 20, 20, 10, 3


def checkerboard(seed: int = 0) -> sp.csr_matrix:
    """Users 0-9 like items 0-9, users 10-19 items 10-19; each misses 3 of their group's items."""
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    for u in range(N_USERS):
        group = np.arange(GROUP_ITEMS) + (0 if u < N_USERS // 2 else GROUP_ITEMS)
        heard = np.sort(rng.choice(group, GROUP_ITEMS - UNHEARD, replace=False))
        rows += [u] * len(heard)
        cols += heard.tolist()
        vals += (1.0 + rng.integers(1, 5, len(heard))).tolist()
    return sp.csr_matrix((vals, (rows, cols)), shape=(N_USERS, N_ITEMS), dtype=np.float32)


def group_unheard(m: sp.csr_matrix, u: int) -> set[int]:
    group = set(range(GROUP_ITEMS)) if u < N_USERS // 2 else set(range(GROUP_ITEMS, N_ITEMS))
    return group - set(m[u].indices.tolist())


PERSONAL = {
    "itemknn": lambda: ItemKNN(K=20),
    "ease": lambda: EASE(regularization=10.0, min_users=1),
    "rp3beta": lambda: RP3beta(K=20, block=7),
    "bpr": lambda: BPR(factors=8, learning_rate=0.05, regularization=0.01, iterations=100, seed=1),
    "als": lambda: ALS(factors=2, regularization=0.1, iterations=15, seed=1),
}
ALL = {"popularity": lambda: Popularity(), **PERSONAL}


@pytest.fixture(scope="module")
def data():
    return checkerboard()


@pytest.fixture(scope="module", params=sorted(ALL))
def fitted(request, data):
    model = ALL[request.param]()
    assert model.fit(data) is model
    return request.param, model


def test_is_a_recommender_and_states_its_params():
    for make in ALL.values():
        model = make()
        assert isinstance(model, Recommender)
        assert not model.is_fitted
        assert model.get_params()
        with pytest.raises(NotFittedError, match="not fitted"):
            model.recommend(0, checkerboard(), N=3)


@pytest.mark.parametrize("name", sorted(PERSONAL))
def test_recommends_the_unheard_items_of_the_users_group_first(name, data):
    model = PERSONAL[name]().fit(data)
    ids, scores = model.recommend(np.arange(N_USERS), data, N=UNHEARD)
    for u in range(N_USERS):
        assert set(ids[u].tolist()) == group_unheard(data, u), f"{name} user {u}: {ids[u]}"


def test_single_and_batch_agree(fitted, data):
    name, model = fitted
    batch_ids, batch_scores = model.recommend(np.arange(N_USERS), data, N=5)
    assert batch_ids.shape == batch_scores.shape == (N_USERS, 5)
    for u in range(N_USERS):
        ids, scores = model.recommend(u, data[u], N=5)
        assert ids.shape == (5,)
        np.testing.assert_array_equal(ids, batch_ids[u], err_msg=name)
        np.testing.assert_allclose(scores, batch_scores[u], rtol=1e-5, err_msg=name)
        # rows of the whole matrix or of those users only give the same answer
        np.testing.assert_array_equal(model.recommend(u, data, N=5)[0], ids, err_msg=name)


def test_scores_are_sorted_and_heard_items_filtered(fitted, data):
    name, model = fitted
    ids, scores = model.recommend(np.arange(N_USERS), data, N=8)
    for u in range(N_USERS):
        valid = ids[u] >= 0
        assert not set(ids[u][valid].tolist()) & set(data[u].indices.tolist()), name
        assert np.all(np.diff(scores[u][valid]) <= 1e-6), name


def test_filter_items_are_never_returned(fitted, data):
    name, model = fitted
    banned = np.array([0, 1, 2, 10, 11, 12])
    ids, _ = model.recommend(np.arange(N_USERS), data, N=10, filter_items=banned)
    assert not np.isin(ids, banned).any(), name


def test_without_filtering_heard_items_may_come_back(fitted, data):
    name, model = fitted
    ids, _ = model.recommend(np.arange(N_USERS), data, N=N_ITEMS, filter_already_liked_items=False)
    assert (ids >= 0).sum() > 0
    heard_back = sum(len(set(ids[u].tolist()) & set(data[u].indices.tolist())) for u in range(N_USERS))
    assert heard_back > 0, name


def test_short_catalogues_are_padded(fitted, data):
    name, model = fitted
    ids, scores = model.recommend(0, data, N=N_ITEMS + 5)
    assert ids.shape == (N_ITEMS + 5,)
    assert (ids[-5:] == -1).all() and np.isneginf(scores[-5:]).all(), name
    # every unheard item at most once
    valid = ids[ids >= 0]
    assert len(valid) == len(set(valid.tolist())) <= N_ITEMS - data[0].nnz


def test_disliked_pairs_count_as_heard(fitted, data):
    name, model = fitted
    signed = data.copy()
    u, item = 0, sorted(group_unheard(data, 0))[0]
    signed = sp.lil_matrix(signed)
    signed[u, item] = -3.0
    signed = signed.tocsr()
    ids, _ = model.recommend(u, signed, N=N_ITEMS)
    assert item not in ids.tolist(), name


def test_save_and_load_give_the_same_lists(fitted, data, tmp_path):
    name, model = fitted
    folder = model.save(tmp_path / name)
    again = type(model).load(folder)
    assert again.get_params() == model.get_params()
    np.testing.assert_array_equal(again.recommend(np.arange(N_USERS), data, N=5)[0],
                                  model.recommend(np.arange(N_USERS), data, N=5)[0])


def test_popularity_by_users_or_by_confidence(data):
    m = sp.csr_matrix(np.array([[1.0, 9.0, 0, 0], [1.0, 0, 0, 1.0], [1.0, 0, 0, 1.0],
                                [0, 0, -5.0, 0]], dtype=np.float32))
    by_users = Popularity().fit(m)
    assert by_users.popularity_.tolist() == [3, 1, 0, 2]          # the dislike counts for nothing
    assert by_users.recommend(3, m, N=3)[0].tolist() == [0, 3, 1]  # item 2 was heard (disliked)
    by_conf = Popularity(by="confidence").fit(m)
    assert by_conf.recommend(3, m, N=2)[0].tolist() == [1, 0]
    with pytest.raises(ParameterError, match="'by' parameter of Popularity"):
        Popularity(by="plays").fit(m)


def test_bpr_is_reproducible_with_a_seed(data):
    a = BPR(factors=8, iterations=20, seed=3).fit(data)
    b = BPR(factors=8, iterations=20, seed=3).fit(data)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)


def test_itemknn_learns_from_positive_pairs_only(data):
    signed = sp.lil_matrix(data)
    signed[0, 19] = -4.0                                            # a dislike across groups
    model = ItemKNN(K=20).fit(signed.tocsr())
    assert model.similarity_[19, :GROUP_ITEMS].nnz == 0
    assert positive_part(signed.tocsr()).nnz == data.nnz
    assert model.similar_items(0, N=3)[0].shape == (3,)


def test_bad_parameters_name_the_model_and_the_value(data):
    with pytest.raises(ParameterError, match="'K' parameter of ItemKNN"):
        ItemKNN(K=0).fit(data)
    with pytest.raises(ParameterError, match="'iterations' parameter of BPR"):
        BPR(iterations=0).fit(data)
    with pytest.raises(ParameterError, match="sparse"):
        BPR().fit(np.ones((3, 3)))


def test_ease_is_its_closed_form(data):
    """B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, zero diagonal, on the binary matrix."""
    model = EASE(regularization=3.0, min_users=1).fit(data)
    X = (data.toarray() > 0).astype(np.float64)
    P = np.linalg.inv(X.T @ X + 3.0 * np.eye(N_ITEMS))
    B = -P / np.diag(P)[None, :]
    np.fill_diagonal(B, 0.0)
    np.testing.assert_allclose(model.weights_, B, atol=1e-4)
    ids, scores = model.recommend(np.arange(N_USERS), data, N=N_ITEMS, filter_already_liked_items=False)
    np.testing.assert_allclose(np.sort(scores, axis=1)[:, ::-1], np.sort(X @ B, axis=1)[:, ::-1], atol=1e-4)


def test_item_item_models_rank_only_the_items_they_kept():
    """Items below min_users are not learned and never recommended; max_items keeps the most
    popular."""
    m = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 1, 0], [1, 0, 0, 0], [0, 1, 0, 1]], dtype=np.float32))
    for model in (EASE(regularization=1.0, min_users=2), RP3beta(K=5, min_users=2)):
        model.fit(m)
        assert model.items_.tolist() == [0, 1]
        ids, _ = model.recommend(np.arange(4), m, N=4)
        assert set(ids[ids >= 0].tolist()) <= {0, 1}
    assert EASE(regularization=1.0, max_items=1).fit(m).items_.tolist() == [0]


def test_ease_says_when_the_gram_matrix_cannot_be_inverted():
    m = sp.csr_matrix(np.array([[1, 1], [1, 1]], dtype=np.float32))     # two identical columns
    with pytest.raises(ParameterError, match="raise 'regularization'"):
        EASE(regularization=0.0, min_users=1).fit(m)


def test_rp3beta_is_the_three_step_walk_over_popularity():
    """w(i, j) = Σ_u P(u | i)·P(j | u) / pop(j)^β, diagonal 0, by hand on a 3 × 3 matrix."""
    X = np.array([[1, 1, 0], [0, 1, 1], [1, 1, 1]], dtype=np.float64)
    model = RP3beta(K=3, alpha=1.0, beta=0.5, min_users=1).fit(sp.csr_matrix(X.astype(np.float32)))
    p_ui = X / X.sum(axis=1, keepdims=True)
    p_iu = X.T / X.T.sum(axis=1, keepdims=True)
    W = (p_iu @ p_ui) / X.sum(axis=0)[None, :] ** 0.5
    np.fill_diagonal(W, 0.0)
    np.testing.assert_allclose(model.weights_.toarray(), W, atol=1e-6)

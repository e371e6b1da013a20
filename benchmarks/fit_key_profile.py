"""Fit the learned key profile and measure it held out by genre.

    python benchmarks/fit_key_profile.py [--clips ../shared/data/audio-labelled-clips]
        [--synthetic DIR] [--held-out labels.csv ...]

Training data: the GTZAN clips of ``audio-labelled-clips`` that carry a key (88), plus 72 items
of the analyser's synthetic set made with seed 1 (``tastemaker analyze --make-test-set DIR
--seed 1``, made in a temporary folder unless ``--synthetic`` names one), so that the seed-0 set
that docs/analyser.md reports stays unseen. Each clip becomes its pitch-class distribution,
computed by the product's own code (`frames.compute_frames`, `key.pitch_class_profile`).

1. Nested leave-one-genre-out: for each GTZAN genre, the L2 weight is chosen by
   leave-one-genre-out on the other genres, the profile fitted on them (plus the synthetic
   items) and scored on the held-out genre. These held-out scores are the ones to report; the
   published profiles, which have no parameter, are scored on the same clips beside them.
2. The L2 weight is then chosen by leave-one-genre-out on all genres, the profile fitted on
   everything, and printed as the Python constant `key.LEARNED_PROFILE`.
3. Every ``--held-out`` labels file (e.g. ``benchmarks/groove_clips.py``'s) is scored with that
   profile and the published ones; nothing is chosen on it.

Prints Markdown tables. About 2½ minutes on two cores (one of them making the synthetic items).
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
L2_GRID = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03)
PUBLISHED = ("albrecht", "temperley", "krumhansl")
SYNTHETIC_ITEMS, SYNTHETIC_SEED = 72, 1


class Labelled:
    """Pitch-class distributions with their keys (0–23), key labels and groups (genres)."""

    def __init__(self, csv_path: Path, jobs: int, keep=lambda path: True):
        rows = []
        with open(csv_path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                label = key_label(row.get("key", ""))
                path = (csv_path.parent / row["file"]).resolve()
                if label is not None and keep(path):
                    rows.append((str(path), row.get("genre") or "", label))
        with ProcessPoolExecutor(jobs) as pool:
            self.pcps = np.array(list(pool.map(pcp_of, [r[0] for r in rows], chunksize=4)))
        self.labels = np.array([r[2] for r in rows])
        self.groups = np.array([r[1] for r in rows])
        self.keys = np.array([key_index(label) for label in self.labels])

    def __len__(self) -> int:
        return len(self.keys)


def pcp_of(path: str) -> np.ndarray:
    d = io.decode(path)
    f = frames.compute_frames(y=d.y, sr=d.sr)
    return key.pitch_class_profile(chroma=f.chroma)


def key_index(label: str) -> int:
    tonic, mode = label.split()
    return key.PITCH_CLASSES.index(tonic) + (0 if mode == "major" else 12)


def key_name(index: int) -> str:
    """The name of a key index 0–23 ('C# major', 'A minor')."""
    return key.Key(int(index) % 12, int(index < 12), 0.0, 0.0, np.zeros(24)).name


def scores_of(predicted: np.ndarray, labels: np.ndarray) -> list[float]:
    """MIREX-weighted key score of each predicted key index against its label."""
    return [mir_eval.key.weighted_score(ref, key_name(p)) for p, ref in zip(predicted, labels)]


def score(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Mean MIREX-weighted key score of predicted key indices against key labels."""
    return float(np.mean(scores_of(predicted, labels)))


def predict_learned(weights, pcps) -> np.ndarray:
    return np.argmax(key.learned_logits(pcps, weights), axis=1)


def predict_published(profile, pcps) -> np.ndarray:
    return np.array([int(np.argmax(key.key_scores(p, profile=profile))) for p in pcps])


def fit(pcps, keys, synthetic: Labelled, l2: float) -> np.ndarray:
    return key.fit_profile(np.vstack([pcps, synthetic.pcps]), np.r_[keys, synthetic.keys], l2=l2)


def leave_one_genre_out(pcps, keys, groups, synthetic: Labelled, l2: float) -> np.ndarray:
    """Held-out predictions, one genre at a time, for one L2 weight."""
    predicted = np.zeros(len(keys), dtype=int)
    for genre in np.unique(groups):
        out = groups == genre
        predicted[out] = predict_learned(fit(pcps[~out], keys[~out], synthetic, l2), pcps[out])
    return predicted


def best_l2(pcps, keys, labels, groups, synthetic: Labelled) -> tuple[float, dict]:
    """The L2 weight with the best leave-one-genre-out score (ties: the larger), and every score."""
    scores = {l2: score(leave_one_genre_out(pcps, keys, groups, synthetic, l2), labels)
              for l2 in L2_GRID}
    return max(L2_GRID, key=lambda l2: (scores[l2], l2)), scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=Path, default=DEFAULT_CLIPS)
    ap.add_argument("--synthetic", type=Path, help="a folder made by --make-test-set --seed 1")
    ap.add_argument("--held-out", type=Path, action="append", default=[])
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    started = time.time()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.synthetic or Path(tmp)
        if not (folder / "labels.csv").exists():
            print(f"making {SYNTHETIC_ITEMS} synthetic items (seed {SYNTHETIC_SEED}) in {folder} …",
                  flush=True)
            synth.make_test_set(folder, n=SYNTHETIC_ITEMS, seed=SYNTHETIC_SEED)
        synthetic = Labelled(folder / "labels.csv", args.jobs)
    gtzan = Labelled(args.clips / "labels.csv", args.jobs,
                     keep=lambda path: path.parent.parent.name == "gtzan")
    genres = list(np.unique(gtzan.groups))
    print(f"{len(gtzan)} GTZAN clips with a key in {len(genres)} genres, {len(synthetic)} synthetic "
          f"items ({time.time() - started:.0f} s)\n", flush=True)

    # 1. nested leave-one-genre-out
    nested = np.zeros(len(gtzan), dtype=int)
    chosen = {}
    for genre in genres:
        out = gtzan.groups == genre
        chosen[genre], _ = best_l2(gtzan.pcps[~out], gtzan.keys[~out], gtzan.labels[~out],
                                   gtzan.groups[~out], synthetic)
        weights = fit(gtzan.pcps[~out], gtzan.keys[~out], synthetic, chosen[genre])
        nested[out] = predict_learned(weights, gtzan.pcps[out])
    published = {p: predict_published(p, gtzan.pcps) for p in PUBLISHED}
    print("| genre | n | learned (held out) | " + " | ".join(PUBLISHED) + " | L2 chosen |")
    print("|---|---|---|" + "---|" * len(PUBLISHED) + "---|")
    for genre in genres + ["all"]:
        sel = np.ones(len(gtzan), bool) if genre == "all" else gtzan.groups == genre
        cells = [f"{score(published[p][sel], gtzan.labels[sel]):.3f}" for p in PUBLISHED]
        name = f"**GTZAN ({len(gtzan)})**" if genre == "all" else genre
        print(f"| {name} | {sel.sum()} | {score(nested[sel], gtzan.labels[sel]):.3f} | "
              + " | ".join(cells) + f" | {chosen.get(genre, '')} |")
    per_genre = [score(nested[gtzan.groups == g], gtzan.labels[gtzan.groups == g]) for g in genres]
    parallel = sum(x == 0.2 for x in scores_of(nested, gtzan.labels))
    print(f"\nheld-out genres: mean {np.mean(per_genre):.3f}, sd {np.std(per_genre, ddof=1):.3f}; "
          f"{parallel} clips on the parallel key")

    # 2. the shipped profile
    l2, scores = best_l2(gtzan.pcps, gtzan.keys, gtzan.labels, gtzan.groups, synthetic)
    weights = fit(gtzan.pcps, gtzan.keys, synthetic, l2)
    print("\nleave-one-genre-out by L2 weight: "
          + ", ".join(f"{w}: {v:.3f}" for w, v in scores.items()) + f" -> {l2}")
    print("\nLEARNED_PROFILE = (")
    for row in weights:
        print("    (" + ", ".join(f"{v:.3f}" for v in row) + "),")
    print(")")

    # 3. other held-out sets, scored once
    for path in args.held_out:
        other = Labelled(path, args.jobs)
        cells = [f"{p} {score(predict_published(p, other.pcps), other.labels):.3f}" for p in PUBLISHED]
        print(f"\n{path} ({len(other)} with a key): learned "
              f"{score(predict_learned(weights, other.pcps), other.labels):.3f}, " + ", ".join(cells))
    print(f"\n({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()

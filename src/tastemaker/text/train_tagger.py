"""Train the shipped POS tagger on UD English EWT (train split only) and report its accuracy.

    python -m tastemaker.text.train_tagger ../shared/data/ud-english            # writes the weights
    python -m tastemaker.text.train_tagger ../shared/data/ud-english --no-save  # accuracy only

Only EWT (CC BY-SA 4.0) is used for the shipped weights: GUM, LinES and ParTUT are
non-commercial. Accuracy is universal-POS accuracy on ``en_ewt-ud-test`` (gold tokenisation).
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import time
from pathlib import Path

from ..errors import InputError
from ..progress import progress
from .tagger import COMMON_WORDS_FILE, WEIGHTS_FILE, PerceptronTagger

DATA = Path(__file__).resolve().parent / "data"


def read_conllu(path: str | Path) -> list[tuple[list[str], list[str]]]:
    """(words, UPOS tags) per sentence; multiword-token ranges and empty nodes are skipped."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: expected a CoNLL-U file (.conllu or .conllu.gz); it does not exist")
    opener = gzip.open if path.suffix == ".gz" else open
    out, words, tags = [], [], []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                if words:
                    out.append((words, tags))
                words, tags = [], []
            elif not line.startswith("#"):
                cols = line.split("\t")
                if len(cols) != 10:
                    raise InputError(f"{path}: expected 10 tab-separated columns; got {len(cols)}: {line[:80]!r}")
                if cols[0].isdigit():
                    words.append(cols[1])
                    tags.append(cols[3])
    if words:
        out.append((words, tags))
    return out


def common_words(sentences, *, min_count: int = 2, min_lower: float = 0.6) -> list[str]:
    """Words that are ordinary English in the training text: seen at least `min_count` times,
    mostly in lower case. Artist names made of such words ("Yes", "Air", "Low") need context
    before they count as mentions (see tastemaker.text.mentions)."""
    total, lower = collections.Counter(), collections.Counter()
    for words, _ in sentences:
        for w in words[1:]:  # a sentence's first word is capitalised whatever it is
            if w.isalpha():
                total[w.lower()] += 1
                lower[w.lower()] += w.islower()
    return sorted(w for w, n in total.items() if n >= min_count and lower[w] / n >= min_lower)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ud_folder", type=Path, help="folder with en_ewt-ud-{train,test}.conllu.gz")
    ap.add_argument("--iterations", type=int, default=6)
    ap.add_argument("--prune", type=float, default=0.05, help="drop averaged weights below this")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--out", type=Path, default=DATA / WEIGHTS_FILE)
    args = ap.parse_args(argv)
    train = read_conllu(args.ud_folder / "en_ewt-ud-train.conllu.gz")
    test = read_conllu(args.ud_folder / "en_ewt-ud-test.conllu.gz")
    started = time.perf_counter()
    with progress("Training the tagger (EWT)", total=len(train) * args.iterations) as step:
        tagger = PerceptronTagger().train(train, iterations=args.iterations, seed=args.seed, progress=step)
    fit_s = time.perf_counter() - started
    full = tagger.accuracy(test)
    n_before = sum(len(r) for r in tagger.weights.values())
    tagger.prune(args.prune)
    pruned = tagger.accuracy(test)
    result = {"train": "en_ewt-ud-train (UD 2.16)", "test": "en_ewt-ud-test",
              "train_sentences": len(train), "test_words": sum(len(t) for _, t in test),
              "iterations": args.iterations, "seed": args.seed, "prune": args.prune,
              "weights_before_pruning": n_before, "weights": sum(len(r) for r in tagger.weights.values()),
              "accuracy_unpruned": round(full, 4), "accuracy": round(pruned, 4),
              "fit_seconds": round(fit_s, 1)}
    tagger.meta = {**result, "licence": "CC BY-SA 4.0 (trained on UD English EWT; see ATTRIBUTION.md)"}
    if not args.no_save:
        tagger.save(args.out)
        with gzip.open(args.out.parent / COMMON_WORDS_FILE, "wt", encoding="utf-8", compresslevel=9) as fh:
            fh.write("\n".join(common_words(train)) + "\n")
        result["file"] = str(args.out)
        result["bytes"] = args.out.stat().st_size
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()

"""Part-of-speech tagging with an averaged perceptron, trained on UD English EWT, no download.

The tagger reads a sentence left to right; each token's tag is the best-scoring of the 17
Universal POS tags under a linear model of sparse features (the word, its affixes and shape,
the neighbouring words, the two previous tags). Training (`train`) is the averaged perceptron:
after each mistake the weights of the gold tag's features go up and those of the guess go down,
and the final weights are the average over all updates, which generalises far better than the
last ones. Frequent words that always carry one tag in training skip the model (`tagdict`).

    >>> tagger = load_tagger()                      # the shipped EWT weights
    >>> tagger.tag(["a", "perky", "swedish", "pop", "band"])
    ['DET', 'ADJ', 'ADJ', 'NOUN', 'NOUN']

Weights are shipped in ``tastemaker/text/data/tagger-ewt.json.gz`` (see ``ATTRIBUTION.md`` there;
rebuilt by ``python -m tastemaker.text.train_tagger``). `load_tagger("spacy")` uses an installed
spaCy English pipeline instead.
"""

from __future__ import annotations

import collections
import gzip
import json
import random
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import NotFoundError, ParameterError

UPOS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
        "PUNCT", "SCONJ", "SYM", "VERB", "X")
WEIGHTS_FILE = "tagger-ewt.json.gz"
COMMON_WORDS_FILE = "common-words-ewt.txt.gz"
_START = ("-START-", "-START2-")
_END = ("-END-", "-END2-")


def _shape(word: str) -> str:
    out = []
    for ch in word[:6]:
        c = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def _norm(word: str) -> str:
    if word.isdigit() and len(word) == 4:
        return "!YEAR"
    if word[:1].isdigit():
        return "!DIGITS"
    return word.lower()


def features(i: int, words: Sequence[str], normed: Sequence[str], prev: str, prev2: str) -> list[str]:
    """The sparse features of token i (words padded with two start and end markers on each side)."""
    w, n = words[i], normed[i]
    return [
        "b",
        "w " + n,
        "s3 " + n[-3:],
        "s2 " + n[-2:],
        "p1 " + n[:1],
        "p3 " + n[:3],
        "sh " + _shape(w),
        "cap " + str(w[:1].isupper()) + str(i == 2),
        "t1 " + prev,
        "t2 " + prev + " " + prev2,
        "t1w " + prev + " " + n,
        "w-1 " + normed[i - 1],
        "s-1 " + normed[i - 1][-3:],
        "w-2 " + normed[i - 2],
        "w+1 " + normed[i + 1],
        "s+1 " + normed[i + 1][-3:],
        "w+2 " + normed[i + 2],
        "w-1w " + normed[i - 1] + " " + n,
        "ww+1 " + n + " " + normed[i + 1],
    ]


class PerceptronTagger:
    """Averaged-perceptron UPOS tagger. `train` fits, `tag` predicts, `save`/`load` persist."""

    def __init__(self, weights: dict[str, dict[str, float]] | None = None,
                 tagdict: dict[str, str] | None = None, meta: dict | None = None):
        self.weights = weights or {}
        self.tagdict = tagdict or {}
        self.meta = meta or {}

    # -- prediction ------------------------------------------------------------------------
    def _predict(self, feats: Iterable[str]) -> str:
        scores: dict[str, float] = collections.defaultdict(float)
        weights = self.weights
        for f in feats:
            row = weights.get(f)
            if row:
                for tag, w in row.items():
                    scores[tag] += w
        return max(UPOS, key=lambda t: (scores.get(t, 0.0), t)) if scores else "NOUN"

    def tag(self, words: Sequence[str]) -> list[str]:
        """One UPOS tag per word of one tokenised sentence."""
        if not words:
            return []
        padded = [*_START, *words, *_END]
        normed = [*_START, *(_norm(w) for w in words), *_END]
        prev, prev2 = _START
        out = []
        for i in range(2, len(words) + 2):
            tag = self.tagdict.get(normed[i]) or self._predict(features(i, padded, normed, prev, prev2))
            out.append(tag)
            prev2, prev = prev, tag
        return out

    # -- training --------------------------------------------------------------------------
    def train(self, sentences: list[tuple[list[str], list[str]]], *, iterations: int = 5,
              seed: int = 0, progress=None) -> "PerceptronTagger":
        """Fit on (words, tags) sentences. Deterministic for a given seed and sentence order."""
        self.tagdict = _make_tagdict(sentences)
        weights: dict[str, dict[str, float]] = collections.defaultdict(dict)
        totals: dict[tuple[str, str], float] = collections.defaultdict(float)
        stamps: dict[tuple[str, str], int] = collections.defaultdict(int)
        self.weights = weights
        step = 0
        order = list(sentences)
        rng = random.Random(seed)
        for _ in range(iterations):
            for words, gold in order:
                padded = [*_START, *words, *_END]
                normed = [*_START, *(_norm(w) for w in words), *_END]
                prev, prev2 = _START
                for i, truth in enumerate(gold, start=2):
                    guess = self.tagdict.get(normed[i])
                    if guess is None:
                        feats = features(i, padded, normed, prev, prev2)
                        guess = self._predict(feats)
                        step += 1
                        if guess != truth:
                            for f in feats:
                                row = weights[f]
                                for tag, delta in ((truth, 1.0), (guess, -1.0)):
                                    key = (f, tag)
                                    old = row.get(tag, 0.0)
                                    totals[key] += (step - stamps[key]) * old
                                    stamps[key] = step
                                    row[tag] = old + delta
                    prev2, prev = prev, truth
                if progress is not None:
                    progress.advance(1)
            rng.shuffle(order)
        averaged: dict[str, dict[str, float]] = {}
        for f, row in weights.items():
            new = {}
            for tag, w in row.items():
                key = (f, tag)
                total = totals[key] + (step - stamps[key]) * w
                avg = round(total / max(step, 1), 3)
                if avg:
                    new[tag] = avg
            if new:
                averaged[f] = new
        self.weights = averaged
        return self

    def prune(self, min_abs: float) -> "PerceptronTagger":
        """Drop weights smaller than `min_abs` in absolute value (smaller file, ~same accuracy)."""
        self.weights = {f: r for f, r in ((f, {t: w for t, w in row.items() if abs(w) >= min_abs})
                                          for f, row in self.weights.items()) if r}
        return self

    def accuracy(self, sentences: list[tuple[list[str], list[str]]]) -> float:
        right = total = 0
        for words, gold in sentences:
            right += sum(p == g for p, g in zip(self.tag(words), gold))
            total += len(gold)
        return right / max(total, 1)

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        path = Path(path)
        doc = {"meta": self.meta, "tagdict": self.tagdict, "weights": self.weights}
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
            json.dump(doc, fh, separators=(",", ":"), sort_keys=True)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "PerceptronTagger":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            doc = json.load(fh)
        return cls(doc["weights"], doc["tagdict"], doc.get("meta"))


def _make_tagdict(sentences, min_count: int = 20, min_share: float = 0.97) -> dict[str, str]:
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for words, tags in sentences:
        for w, t in zip(words, tags):
            counts[_norm(w)][t] += 1
    out = {}
    for w, c in counts.items():
        tag, n = c.most_common(1)[0]
        total = sum(c.values())
        if total >= min_count and n / total >= min_share:
            out[w] = tag
    return out


class SpacyTagger:
    """The UPOS tags of an installed spaCy English pipeline, on our own tokens."""

    def __init__(self, model: str = "en_core_web_sm"):
        try:
            import spacy
            from spacy.tokens import Doc
        except ImportError as exc:
            raise NotFoundError("--tagger spacy needs spaCy and an English pipeline "
                                "(pip install spacy; python -m spacy download en_core_web_sm); "
                                "spaCy is not installed") from exc
        try:
            self._nlp = spacy.load(model, disable=["parser", "ner", "lemmatizer"])
        except OSError as exc:
            raise NotFoundError(f"--tagger spacy needs the spaCy pipeline {model!r}; it is not "
                                f"installed ({exc})") from exc
        self._doc = Doc

    def tag(self, words: Sequence[str]) -> list[str]:
        if not words:
            return []
        doc = self._doc(self._nlp.vocab, words=list(words))
        for _name, proc in self._nlp.pipeline:
            doc = proc(doc)
        return [t.pos_ or "X" for t in doc]


@lru_cache(maxsize=4)
def load_tagger(kind: str = "perceptron"):
    """The tagger by name: ``perceptron`` (shipped EWT weights) or ``spacy``."""
    if kind == "spacy":
        return SpacyTagger()
    if kind != "perceptron":
        raise ParameterError(f"The 'tagger' parameter must be one of ['perceptron', 'spacy']. "
                             f"Got {kind!r} instead.")
    ref = resources.files(__package__) / "data" / WEIGHTS_FILE
    if not ref.is_file():
        raise NotFoundError(f"The tagger weights {WEIGHTS_FILE} are missing from the package; "
                            f"rebuild them with python -m tastemaker.text.train_tagger")
    with resources.as_file(ref) as path:
        return PerceptronTagger.load(path)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Ordinary English words (lower case) seen in EWT training text (shipped beside the weights)."""
    ref = resources.files(__package__) / "data" / COMMON_WORDS_FILE
    if not ref.is_file():
        return frozenset()
    with resources.as_file(ref) as path, gzip.open(path, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())

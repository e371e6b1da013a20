"""Terms of one document, by kind: ``unigram``, ``n2`` (bigrams), ``np`` (noun phrases), ``adj``.

    >>> extract("A perky Swedish pop band with a catchy chorus.", tagger=load_tagger())["np"]
    {'perky swedish pop band': 1, 'catchy chorus': 1}

- unigram: content words (nouns, proper nouns, adjectives, verbs), lower-cased, no stop words;
- n2: two adjacent words of one sentence, neither a stop word nor punctuation ("swedish pop");
- np: maximal runs of adjectives, nouns and numbers that end in a noun (tag-pattern chunker,
  determiners and possessives left out: "its chorus" → "chorus"), at most 5 words;
- adj: words tagged ADJ.
- tag: for documents that are tags (Last.fm), the whole folded tag ("synth pop"), one per line.

Each kind maps a term to how many times the document uses it; the model only needs presence.
"""

from __future__ import annotations

import collections
import re

from .tokenize import fold, sentences, tokens

KINDS = ("unigram", "n2", "np", "adj", "tag")

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each even ever every few for
from further get gets got had has have having he her here hers herself him himself his how i if in
into is it its itself just let like ll me more most much must my myself no nor not now n't of off
on once one only or other our ours ourselves out over own re s same she should so some such than
that the their theirs them themselves then there these they this those through to too under until
up upon us ve very was we were what when where which while who whom why will with would yet you
your yours yourself yourselves d m t 's 're 've 'll 'd 'm also really still though although quite
may might shall oh yeah okay ok gonna wanna lot lots thing things way ways something anything
everything nothing someone anyone everyone kind sort bit maybe well back new uh um uhm hmm
""".split())

_WORD = re.compile(r"^[^\W_][\w&'.-]*$")
_NP_BODY = {"ADJ", "NOUN", "PROPN", "NUM"}
_NP_HEAD = {"NOUN", "PROPN"}
_CONTENT = {"NOUN", "PROPN", "ADJ", "VERB"}


def _word(tok: str) -> str | None:
    """The lower-cased comparable form of a token, or None for punctuation, numbers-only and URLs."""
    if not _WORD.match(tok) or tok.startswith(("http", "www.")):
        return None
    low = fold(tok)
    if not low or low.isdigit() and len(low) != 4 or " " in low and "-" not in tok:
        return low.replace(" ", "-") if low and not low.isdigit() else None
    return low


def tag_sentences(text: str, tagger) -> list[list[tuple[str, str]]]:
    """(token, UPOS) pairs per sentence."""
    out = []
    for s in sentences(text):
        toks = tokens(s)
        if toks:
            out.append(list(zip(toks, tagger.tag(toks))))
    return out


def extract_tagged(tagged: list[list[tuple[str, str]]], *, is_tags: bool = False) -> dict[str, collections.Counter]:
    """Terms by kind from already tagged sentences (see the module docstring)."""
    out = {k: collections.Counter() for k in KINDS}
    for sent in tagged:
        words = [_word(t) for t, _ in sent]
        tags = [p for _, p in sent]
        if is_tags:
            whole = " ".join(w for w in words if w)
            if whole:
                out["tag"][whole] += 1
        for w, p in zip(words, tags):
            if w is None or w in STOP_WORDS or len(w) < 2:
                continue
            if p in _CONTENT:
                out["unigram"][w] += 1
            if p == "ADJ":
                out["adj"][w] += 1
        for a, b in zip(words, words[1:]):
            if a and b and a not in STOP_WORDS and b not in STOP_WORDS:
                out["n2"][f"{a} {b}"] += 1
        run: list[int] = []
        for i in range(len(sent) + 1):
            if i < len(sent) and tags[i] in _NP_BODY and words[i] and words[i] not in STOP_WORDS:
                run.append(i)
                continue
            while run and tags[run[-1]] not in _NP_HEAD:
                run.pop()
            if run:
                phrase = " ".join(words[j] for j in run[-5:])
                out["np"][phrase] += 1
            run = []
    return out


def extract(text: str, *, tagger, is_tags: bool = False) -> dict[str, collections.Counter]:
    """Terms by kind of one document's text."""
    return extract_tagged(tag_sentences(text, tagger), is_tags=is_tags)

"""Sentences and tokens for English text about music, and the folding used to compare names.

Tokens follow the Universal Dependencies conventions the tagger was trained on: clitics are
split ("don't" → "do", "n't"; "band's" → "band", "'s"), punctuation is its own token, and
hyphenated words ("synth-pop") stay whole.

    >>> tokens("They don't play synth-pop anymore.")
    ['They', 'do', "n't", 'play', 'synth-pop', 'anymore', '.']
    >>> fold("Björk & The Sugarcubes!")
    'bjork and the sugarcubes'
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                         "\u2014": " - ", "\u00a0": " "})

_TOKEN = re.compile(r"""
    (?:https?://|www\.)\S+                         # a URL stays whole
  | \w+(?:[-'.&]\w+)*(?=n't\b)                     # "do" of "don't" (before the clitic)
  | n't\b
  | '(?:s|re|ve|ll|d|m)\b                          # clitics
  | (?:[A-Za-z]\.){2,}                             # U.S., L.A.
  | \d+(?:[.,:]\d+)*(?:s|th|st|nd|rd)?             # 1980s, 3:45, 1,000
  | \w+(?:[-&]\w+)*                                # words, synth-pop, R&B
  | \.\.\.|--|[^\w\s]                              # punctuation
""", re.VERBOSE | re.IGNORECASE)

_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|(?<=[a-z0-9][.!?])(?=[A-Z][a-z])")


def normalise(text: str) -> str:
    """Unicode NFC, typographic quotes and dashes to ASCII, no control characters."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def sentences(text: str) -> list[str]:
    """Split text into sentences at ., ! or ? followed by a capital, and at blank lines.

    Text with no punctuation at all (speech transcripts) is cut into chunks of 40 words, so
    that n-grams never run across a whole document.
    """
    text = normalise(text)
    parts = [p.strip() for p in _SPLIT.split(text)]
    out: list[str] = []
    for p in parts:
        if not p:
            continue
        words = p.split()
        if len(words) > 80 and not re.search(r"[.!?,;]", p):
            out.extend(" ".join(words[i:i + 40]) for i in range(0, len(words), 40))
        else:
            out.append(p)
    return out


def tokens(sentence: str) -> list[str]:
    """The tokens of one sentence (see the module docstring)."""
    return _TOKEN.findall(normalise(sentence))


def fold(text: str) -> str:
    """Case-, punctuation- and diacritics-insensitive form of a name or a text, for matching:
    lower case, accents removed, "&" → "and", punctuation dropped ("AC/DC" → "acdc",
    "Guns N' Roses" → "guns n roses"), single spaces."""
    text = unicodedata.normalize("NFKD", normalise(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ").replace("$", "s")
    text = re.sub(r"[/'.\u00b4`]", "", text)
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.split())

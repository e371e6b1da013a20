"""Who a document is about: mentions of catalogue artists and tracks, and co-mentions.

Names are compared folded (case, punctuation and diacritics ignored, "&" = "and"), with and
without a leading "The", plus any aliases given. A name made only of ordinary English words
("Yes", "Air", "Low", "Live", "Massive Attack") counts only with context: the document must be
about music (music words, or a music source such as tags, bios, reviews) **and** the mention must
be capitalised away from the start of a sentence, or be the artist the document names as its
subject, or sit within a few words of one of the artist's track titles. In text without case
(speech transcripts), every one-word name needs that context. Track titles count only
in documents that mention their artist (titles are too often ordinary phrases).

    >>> m = Matcher({0: "Yes", 1: "Depeche Mode"}, {})
    >>> m.find([[("I", "PRON"), ("love", "VERB"), ("Depeche", "PROPN"), ("Mode", "PROPN")]], music=True)
    {(1, None): 1}
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

from .tagger import common_words
from .tokenize import fold

MUSIC_WORDS = frozenset("""album albums song songs track tracks band bands singer singers music musician
record records ep lp single singles tour guitar guitarist bass drummer drums vocals vocalist
lyrics chorus melody melodies producer rapper mixtape genre concert gig debut label sound
sounds rock pop jazz punk metal hip-hop rap techno house folk soul funk indie electronic
listen listening playlist""".split())
#: words of writing about music that EWT (web text) rarely shows but music text always does:
#: artist names made of them ("The Drums", "Verse", "Soundtrack") need context like "Yes"
MUSIC_VOCABULARY = frozenset("""drum drums verse verses melody melodies soundtrack soundtracks sample samples
mixtape mixtapes ambient hook hooks beat beats vocal vocals riff riffs synth synths bassline
groove grooves loop loops rhythm rhythms tempo harmony harmonies lyric bridge intro outro interlude
remix remixes cover covers demo demos hit hits chart charts studio session sessions stage encore
crowd fans anthem anthems ballad ballads jam jams noise echo reverb distortion feedback tape
cassette vinyl radio dj mc producer producers rapper rappers banger bangers skit skits feature
features grammy grammys""".split())
#: always capitalised, so capitalisation says nothing: only as a document's named subject
CALENDAR = frozenset("""january february march april may june july august september october november
december monday tuesday wednesday thursday friday saturday sunday""".split())
_ARTICLE = "the"
_NEAR = 8  # tokens


@dataclass
class Name:
    artist_idx: int
    track_idx: int | None
    common: bool


def _only_function_words(folded: str) -> bool:
    from .terms import STOP_WORDS
    words = folded.split()
    return all(w in STOP_WORDS or w in CALENDAR or len(w) < 2 for w in words)


def is_common_name(folded: str, common: frozenset[str]) -> bool:
    words = [w for w in folded.split() if w != _ARTICLE]
    return bool(words) and all(w in common for w in words)


class Matcher:
    """Finds artist and track mentions in tagged, tokenised sentences."""

    def __init__(self, artists: dict[int, str], tracks: dict[int, tuple[int, str]], *,
                 aliases: dict[int, list[str]] | None = None, common: frozenset[str] | None = None):
        self.common = (common_words() if common is None else common) | MUSIC_VOCABULARY | MUSIC_WORDS
        self.names: dict[tuple[str, ...], list[Name]] = collections.defaultdict(list)
        self.titles_by_artist: dict[int, set[tuple[str, ...]]] = collections.defaultdict(set)
        self.subject_only: dict[str, Name] = {}
        for idx, name in artists.items():
            for variant in {name, *(aliases or {}).get(idx, [])}:
                self._add(variant, Name(idx, None, False))
        for tidx, (aidx, title) in tracks.items():
            f = fold(title or "")
            if len(f) >= 4:
                key = tuple(f.split())
                self.names[key].append(Name(aidx, tidx, False))
                self.titles_by_artist[aidx].add(key)
        self.max_len = max((len(k) for k in self.names), default=1)

    def _add(self, name: str, entry: Name) -> None:
        f = fold(name or "")
        if not f:
            return
        entry.common = is_common_name(f, self.common)
        keys = {f}
        if f.startswith(_ARTICLE + " ") and len(f) > 4 and not _only_function_words(f[4:]):
            keys.add(f[4:])
        for k in keys:
            if _only_function_words(k):       # "I", "The The", "X": only as a document's subject
                self.subject_only[k] = entry
            else:
                self.names[tuple(k.split())].append(entry)

    def resolve(self, name: str | None) -> int | None:
        """The artist of a name given as a document's subject, or None."""
        if not name:
            return None
        f = tuple(fold(name).split())
        for key in (f, f[1:] if f[:1] == (_ARTICLE,) else ("the", *f)):
            for e in self.names.get(key, []):
                if e.track_idx is None:
                    return e.artist_idx
            if " ".join(key) in self.subject_only:
                return self.subject_only[" ".join(key)].artist_idx
        return None

    def find(self, tagged: list[list[tuple[str, str]]], *, music: bool | None = None,
             subject: int | None = None) -> dict[tuple[int, int | None], int]:
        """Mentions as {(artist_idx, track_idx or None): count}."""
        flat: list[tuple[str, str, bool]] = []     # folded word, original token, sentence-initial
        for sent in tagged:
            first = True
            for tok, _tag in sent:
                f = fold(tok)
                if not f:
                    continue
                for part in f.split():
                    flat.append((part, tok, first))
                first = False
        words = [w for w, _, _ in flat]
        inner = [tok for _w, tok, first in flat if not first and tok.isalpha() and tok != "I"]
        cased = bool(inner) and sum(t[:1].isupper() for t in inner) / len(inner) > 0.02
        if music is None:
            music = sum(w in MUSIC_WORDS for w in words) >= 2
        hits: list[tuple[int, int, Name]] = []      # start, end, name
        i = 0
        while i < len(words):
            for n in range(min(self.max_len, len(words) - i), 0, -1):
                entries = self.names.get(tuple(words[i:i + n]))
                if entries:
                    hits.extend((i, i + n, e) for e in entries)
                    i += n - 1
                    break
            i += 1
        title_positions = collections.defaultdict(list)
        for s, _, e in hits:
            if e.track_idx is not None:
                title_positions[e.artist_idx].append(s)
        artists_seen = {e.artist_idx for s, _, e in hits if e.track_idx is None and (
            not e.common or any(abs(p - s) <= _NEAR for p in title_positions.get(e.artist_idx, [])))}
        if subject is not None:
            artists_seen.add(subject)
        out: collections.Counter = collections.Counter()
        for s, end, e in hits:
            if e.track_idx is not None:
                if e.artist_idx in artists_seen:
                    out[(e.artist_idx, e.track_idx)] += 1
                continue
            # in text without case (speech transcripts), a one-word name is as doubtful as "Yes"
            if e.common or not cased and end - s == 1 + (words[s] == _ARTICLE):
                if not music:
                    continue
                tok, initial = flat[s][1], flat[s][2]
                capitalised = tok[:1].isupper() and not initial and not tok.isupper() or \
                    tok[:1].isupper() and end - s > 1 and flat[s + 1][1][:1].isupper()
                near_title = any(abs(p - s) <= _NEAR for p in title_positions.get(e.artist_idx, []))
                if not (capitalised or near_title or e.artist_idx == subject):
                    continue
            out[(e.artist_idx, None)] += 1
        return dict(out)

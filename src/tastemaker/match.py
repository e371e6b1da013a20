"""Track matching: which catalogue track an imported play is, when services name the same
recording differently.

Rules, in order: the catalogue's own track id (an export that names the catalogue's ids), the
MusicBrainz recording id, then the ISRC, then the normalised artist and
title with the durations within a tolerance (when both are known). Normalising folds case,
diacritics, "&"/"+"/"and", a leading "The", punctuation, a featured artist ("feat.", "ft.",
"featuring", "with"), and version words that do not change the recording ("Remastered 2011",
"- Bonus Track", "Single Version", "Mono"); words that do ("Live", "Acoustic", "Remix", "Demo",
"Instrumental", …) are kept as markers that must agree, so a live take never matches the studio
one.

    >>> index = MatchIndex.build(rows)            # the catalogue: track_id, artist, title, …
    >>> index.match(artist="The Beatles", title="Let It Be - Remastered 2009", duration_ms=243000)
    Match(track_id='t042', rule='name')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

#: duration tolerance of a name match: this many milliseconds, or this share of the longer one
TOLERANCE_MS, TOLERANCE_SHARE = 10_000, 0.05

#: version words that name another recording: they must agree between play and catalogue
MARKERS = ("live", "acoustic", "remix", "mix", "demo", "instrumental", "karaoke", "unplugged", "cover",
           "reprise", "rehearsal", "session", "orchestral", "a cappella", "acapella", "dub", "extended")
#: version words that do not: dropped
_NEUTRAL = re.compile(
    r"\b(\d{4}\s+)?(digital(ly)?\s+)?remaster(ed)?(\s+version)?(\s+\d{4})?\b|\bbonus\s+track\b|"
    r"\b(single|album|lp|original|stereo|mono)\s+(version|mix)\b|\bmono\b|\bstereo\b|\bexplicit\b|"
    r"\bdeluxe(\s+edition)?\b|\bfrom\s+[\"“].*?[\"”]|\bsoundtrack\s+version\b")
_FEAT = re.compile(r"\s*[\(\[]?\s*\b(feat\.?|ft\.?|featuring|with)\s+[^\)\]]*[\)\]]?")
_BRACKETS = re.compile(r"[\(\[]([^\)\]]*)[\)\]]")


def fold(text: str) -> str:
    """Lower case, no diacritics, "&"/"+" as "and", punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ").replace("+", " and ").replace("’", "'")
    text = re.sub(r"'", "", text)
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def artist_key(name: str | None) -> str:
    """An artist's name folded, without a featured artist or a leading "the"."""
    if not name:
        return ""
    name = _FEAT.sub(" ", name)
    key = fold(name)
    return key[4:] if key.startswith("the ") else key


def title_key(title: str | None) -> tuple[str, frozenset[str]]:
    """(the title folded without featured artists and neutral version words, its markers)."""
    if not title:
        return "", frozenset()
    title = _FEAT.sub(" ", title)
    # "Song - Live at Wembley" and "Song (Live)" both carry their version after the core title
    parts = re.split(r"\s+[-–—]\s+", title, maxsplit=1)
    core, version = parts[0], (parts[1] if len(parts) > 1 else "")
    version += " " + " ".join(_BRACKETS.findall(core))
    core = _BRACKETS.sub(" ", core)
    version = _NEUTRAL.sub(" ", fold(version))
    core = _NEUTRAL.sub(" ", fold(core))
    words = set(version.split()) | set(core.split())
    markers = frozenset(m for m in MARKERS if (" " in m and m in version) or m in words)
    core = " ".join(w for w in core.split() if w not in markers or len(core.split()) == 1)
    core = core[4:] if core.startswith("the ") else core
    return core, markers


@dataclass(frozen=True)
class Match:
    track_id: str | None
    rule: str                     # id | mbid | isrc | name | or why none: no match, ambiguous, duration


def _mbid(value) -> str:
    return str(value).lower()


def _isrc(value) -> str:
    return str(value).upper().replace("-", "")


@dataclass
class MatchIndex:
    by_mbid: dict[str, str] = field(default_factory=dict)
    by_isrc: dict[str, str] = field(default_factory=dict)
    by_name: dict[tuple, list[tuple[str, int | None]]] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, rows) -> "MatchIndex":
        """From catalogue rows: dicts (or tuples in this order) of track_id, artist, title,
        duration_ms, mbid, isrc (None where unknown)."""
        index = cls()
        for row in rows:
            index.add(*((row[k] for k in ("track_id", "artist", "title", "duration_ms", "mbid", "isrc"))
                        if isinstance(row, dict) else row))
        return index

    def add(self, track_id: str, artist, title, duration_ms, mbid, isrc) -> None:
        """One more track (an import's later plays of a track it added match it)."""
        self.ids.add(track_id)
        if mbid:
            self.by_mbid.setdefault(_mbid(mbid), track_id)
        if isrc:
            self.by_isrc.setdefault(_isrc(isrc), track_id)
        if title:
            key = (artist_key(artist), *title_key(title))
            self.by_name.setdefault(key, []).append((track_id, int(duration_ms) if duration_ms else None))

    def __len__(self) -> int:
        """Tracks that can be matched by name (an import adds tracks when there are none)."""
        return sum(len(v) for v in self.by_name.values())

    def match(self, *, artist: str | None = None, title: str | None = None, duration_ms: int | None = None,
              mbid: str | None = None, isrc: str | None = None, track_id: str | None = None) -> Match:
        if track_id and track_id in self.ids:
            return Match(track_id, "id")
        if mbid and (found := self.by_mbid.get(_mbid(mbid))):
            return Match(found, "mbid")
        if isrc and (found := self.by_isrc.get(_isrc(isrc))):
            return Match(found, "isrc")
        if not title:
            return Match(None, "no title")
        candidates = self.by_name.get((artist_key(artist), *title_key(title)), [])
        if not candidates:
            return Match(None, "no match")
        if duration_ms:
            timed = [(abs(d - duration_ms), t) for t, d in candidates if d]
            close = sorted((gap, t) for gap, t in timed
                           if gap <= max(TOLERANCE_MS, TOLERANCE_SHARE * max(duration_ms, gap)))
            if close:
                return Match(close[0][1], "name")
            if timed and len(timed) == len(candidates):
                return Match(None, "duration")   # same name, another length: another recording
        if len(candidates) == 1:
            return Match(candidates[0][0], "name")
        return Match(None, "ambiguous")

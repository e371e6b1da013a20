"""The top terms of an artist (or track), by kind, as in The Echo Nest's "cultural vectors".

    >>> top_terms(engine, "ABBA", kinds=("n2", "np", "adj"), n=10)["adj"][0]
    ('perky', 0.8157, 12)
"""

from __future__ import annotations

from ..engine import Engine
from ..errors import NotFoundError
from .tokenize import fold


def find_artist(engine: Engine, key: str) -> tuple[int, str]:
    """(artist_idx, name) of an artist by id or name (case-insensitive, then folded: accents,
    punctuation and a leading "the" do not matter)."""
    found = engine.artist_index(key)
    if found is not None:
        return found
    target = fold(key)
    names = engine.artist_names()
    for idx, aid, name in zip(names["artist_idx"], names["artist_id"], names["name"]):
        shown = name if name is not None else aid
        if fold(shown) == target or fold(shown) == "the " + target:
            return int(idx), shown
    raise NotFoundError(f"No artist {key!r} in the warehouse (by id or name)")


def top_terms(engine: Engine, artist: str, *, kinds=("n2", "np", "adj"), n: int = 10,
              track: str | None = None) -> dict[str, list[tuple[str, float, int]]]:
    """{kind: [(term, weight, support), …]} best first, for the artist (or one of its tracks)."""
    idx, _name = find_artist(engine, artist)
    track_idx = None
    if track is not None:
        track_idx = engine.artist_track_index(idx, track)
        if track_idx is None:
            raise NotFoundError(f"No track {track!r} by {artist!r} in the warehouse")
        track_idx = int(track_idx)
    return {kind: [(t, round(float(w), 4), int(s)) for t, w, s in engine.top_terms(idx, track_idx, kind, n)]
            for kind in kinds}


def format_table(terms: dict[str, list[tuple[str, float, int]]]) -> str:
    """The seed's layout: for each kind a "KIND Term" and a "Score" column, side by side."""
    kinds = list(terms)
    width = {k: max([len(f"{k} Term")] + [len(t) for t, _, _ in terms[k]]) for k in kinds}
    lines = ["\t".join(f"{k} Term".ljust(width[k]) + "\tScore " for k in kinds).rstrip()]
    for i in range(max((len(v) for v in terms.values()), default=0)):
        cells = []
        for k in kinds:
            if i < len(terms[k]):
                t, w, _ = terms[k][i]
                cells.append(f"{t.ljust(width[k])}\t{w:.4f}")
            else:
                cells.append(" " * width[k] + "\t      ")
        lines.append("\t".join(cells).rstrip())
    return "\n".join(lines)

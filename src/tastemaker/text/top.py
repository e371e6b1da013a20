"""The top terms of an artist (or track), by kind, as in The Echo Nest's "cultural vectors".

    >>> top_terms(wh, "ABBA", kinds=("n2", "np", "adj"), n=10)["adj"][0]
    ('perky', 0.8157, 12)
"""

from __future__ import annotations

from ..errors import NotFoundError
from ..warehouse import Warehouse


def find_artist(wh: Warehouse, key: str) -> tuple[int, str]:
    row = wh.one("""SELECT artist_idx, coalesce(name, artist_id) FROM artists
                    WHERE artist_id = ? OR lower(name) = lower(?) ORDER BY artist_id = ? DESC LIMIT 1""",
                 [key, key, key])
    if row is None:
        from .tokenize import fold
        target = fold(key)
        for idx, name in wh.execute("SELECT artist_idx, coalesce(name, artist_id) FROM artists").fetchall():
            if fold(name) == target or fold(name) == "the " + target:
                return int(idx), name
        raise NotFoundError(f"No artist {key!r} in the warehouse (by id or name)")
    return int(row[0]), row[1]


def top_terms(wh: Warehouse, artist: str, *, kinds=("n2", "np", "adj"), n: int = 10,
              track: str | None = None) -> dict[str, list[tuple[str, float, int]]]:
    """{kind: [(term, weight, support), …]} best first, for the artist (or one of its tracks)."""
    idx, _name = find_artist(wh, artist)
    track_idx = None
    if track is not None:
        row = wh.one("SELECT track_idx FROM tracks WHERE artist_idx = ? AND (track_id = ? OR lower(title) = lower(?))",
                     [idx, track, track])
        if row is None:
            raise NotFoundError(f"No track {track!r} by {artist!r} in the warehouse")
        track_idx = int(row[0])
    out = {}
    for kind in kinds:
        out[kind] = [(t, round(float(w), 4), int(s)) for t, w, s in wh.execute(
            """SELECT term, weight, support FROM terms WHERE artist_idx = ? AND track_idx IS NOT DISTINCT FROM ?
               AND kind = ? ORDER BY weight DESC, term LIMIT ?""", [idx, track_idx, kind, n]).fetchall()]
    return out


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

"""The catalogue: users, artists and tracks, their dense indices and the facts the models read."""

from __future__ import annotations

import numpy as np

from .connection import Connection

_MBID = "coalesce(attrs->>'mbid', attrs->>'recording_mbid', attrs->>'musicbrainz_recording_id')"
_TRACK_LABEL = "coalesce(a.name || ' – ', '') || coalesce(t.title, t.track_id)"


def _objects(values) -> np.ndarray:
    """A fetched column as objects with None where NULL (``np.ma.filled(…, None)`` would fill
    with the object dtype's default, '?')."""
    masked = np.ma.asarray(values, dtype=object)
    out = np.asarray(masked.data, dtype=object).copy()
    out[np.ma.getmaskarray(masked)] = None
    return out


class Catalogue(Connection):

    def dimensions(self) -> tuple[int, int]:
        n_users = self.scalar("SELECT coalesce(max(user_idx) + 1, 0) FROM users")
        n_tracks = self.scalar("SELECT coalesce(max(track_idx) + 1, 0) FROM tracks")
        return int(n_users), int(n_tracks)

    def n_artists(self) -> int:
        return int(self.scalar("SELECT coalesce(max(artist_idx) + 1, 0) FROM artists"))

    def track_catalogue(self) -> dict[str, np.ndarray]:
        cols = self.numpy("SELECT track_idx, coalesce(artist_idx, -1) AS artist_idx, released, "
                          "available FROM tracks ORDER BY track_idx")
        released = np.ma.asarray(cols["released"])
        days = np.full(len(released), np.datetime64("NaT"), dtype="datetime64[D]")
        known = ~np.ma.getmaskarray(released)
        if known.any():
            days[known] = np.asarray(released[known]).astype("datetime64[D]")
        return {"track_idx": np.asarray(cols["track_idx"], np.int64),
                "artist_idx": np.asarray(cols["artist_idx"], np.int64),
                "released": days, "available": np.asarray(cols["available"], dtype=bool)}

    def artist_names(self) -> dict[str, np.ndarray]:
        cols = self.numpy("SELECT artist_idx, artist_id, name FROM artists ORDER BY artist_idx")
        return {"artist_idx": np.asarray(cols["artist_idx"], np.int64),
                "artist_id": np.asarray(cols["artist_id"], dtype=object),
                "name": _objects(cols["name"])}

    def track_sound(self, n_items: int, *, catalogue: bool = True) -> dict[str, np.ndarray]:
        analysed = """
            SELECT track_idx, tempo, key, mode, loudness, 0 AS rank FROM audio_analyses
            WHERE status = 'ok' AND track_idx >= 0 AND track_idx < $n
            QUALIFY row_number() OVER (PARTITION BY track_idx ORDER BY analysed_at DESC, content_sha256) = 1"""
        listed = """
            SELECT track_idx, TRY_CAST(attrs->>'tempo' AS DOUBLE), TRY_CAST(attrs->>'key' AS INTEGER),
                   TRY_CAST(attrs->>'mode' AS INTEGER), TRY_CAST(attrs->>'loudness' AS DOUBLE), 1
            FROM tracks WHERE attrs IS NOT NULL AND track_idx < $n"""
        query = f"""SELECT track_idx, tempo, key, mode, loudness FROM ({analysed}
                    {"UNION ALL " + listed if catalogue else ""})
                    QUALIFY row_number() OVER (PARTITION BY track_idx ORDER BY rank) = 1"""
        return self.numpy(query, {"n": int(n_items)})

    def track_uris(self) -> tuple[np.ndarray, list[str]]:
        cols = self.numpy("SELECT track_idx, uri FROM tracks WHERE uri IS NOT NULL AND uri <> '' "
                          "ORDER BY track_idx")
        return np.asarray(cols["track_idx"], dtype=np.int64), list(cols["uri"])

    def titled_tracks(self) -> list[tuple[int, int, str]]:
        return self.execute(
            """SELECT t.track_idx, t.artist_idx, t.title FROM tracks t JOIN artists a USING (artist_idx)
               WHERE t.title IS NOT NULL AND lower(t.title) <> lower(coalesce(a.name, ''))""").fetchall()

    # -- lookups by the ids of the user's own data ------------------------------------------------
    def user_index(self, user_id: str) -> int | None:
        return self.scalar("SELECT user_idx FROM users WHERE user_id = ?", [user_id])

    def user_ids(self) -> np.ndarray:
        cols = self.numpy("SELECT user_idx, user_id FROM users ORDER BY user_idx")
        out = np.full(int(cols["user_idx"].max()) + 1 if len(cols["user_idx"]) else 0, None, dtype=object)
        out[np.asarray(cols["user_idx"], np.int64)] = np.asarray(cols["user_id"], dtype=object)
        return out

    def recording_ids(self, track_ids: list[str]) -> dict[str, str]:
        return dict(self.execute(f"""
            SELECT track_id, {_MBID} FROM tracks
            WHERE track_id IN (SELECT unnest(?)) AND {_MBID} IS NOT NULL""", [list(track_ids)]).fetchall())

    def match_rows(self) -> list[tuple]:
        return self.execute(f"""
            SELECT t.track_id, a.name, t.title, t.duration_ms, {_MBID.replace("attrs", "t.attrs")},
                   t.attrs->>'isrc'
            FROM tracks t LEFT JOIN artists a ON a.artist_idx = t.artist_idx""").fetchall()

    def track_listing(self) -> dict[str, np.ndarray]:
        cols = self.numpy("""SELECT t.track_idx, t.track_id, t.title, a.name AS artist, t.album,
                                    coalesce(t.duration_ms, -1) AS duration_ms, t.uri
                             FROM tracks t LEFT JOIN artists a ON a.artist_idx = t.artist_idx
                             ORDER BY t.track_idx""")
        idx = np.asarray(cols["track_idx"], np.int64)
        n = int(idx.max()) + 1 if len(idx) else 0
        out = {}
        for name in ("track_id", "title", "artist", "album", "uri"):
            out[name] = np.full(n, None, dtype=object)
            out[name][idx] = _objects(cols[name])
        out["duration_ms"] = np.full(n, -1, np.int64)
        out["duration_ms"][idx] = np.asarray(cols["duration_ms"], np.int64)
        return out

    def track_index(self, track_id: str) -> int | None:
        return self.scalar("SELECT track_idx FROM tracks WHERE track_id = ?", [track_id])

    def artist_index(self, key: str) -> tuple[int, str] | None:
        row = self.one("""SELECT artist_idx, coalesce(name, artist_id) FROM artists
                          WHERE artist_id = ? OR lower(name) = lower(?) ORDER BY artist_id = ? DESC LIMIT 1""",
                       [key, key, key])
        return (int(row[0]), row[1]) if row else None

    def artist_track_index(self, artist_idx: int, key: str) -> int | None:
        return self.scalar("SELECT track_idx FROM tracks WHERE artist_idx = ? AND (track_id = ? OR "
                           "lower(title) = lower(?)) ORDER BY track_idx LIMIT 1", [artist_idx, key, key])

    def labels(self, kind: str, idx) -> dict[int, tuple[str, str]]:
        queries = {
            "user": "SELECT user_idx, user_id, user_id FROM users WHERE list_contains(?, user_idx)",
            "track": f"""SELECT t.track_idx, t.track_id, {_TRACK_LABEL}
                         FROM tracks t LEFT JOIN artists a USING (artist_idx) WHERE list_contains(?, t.track_idx)""",
            "artist": "SELECT artist_idx, artist_id, coalesce(name, artist_id) FROM artists "
                      "WHERE list_contains(?, artist_idx)"}
        return {int(i): (ext, name) for i, ext, name in
                self.execute(queries[kind], [[int(i) for i in idx]]).fetchall()}

    def track_details(self, track_idx: int) -> dict | None:
        row = self.one("""SELECT t.track_idx, t.track_id, t.title, a.artist_id, a.name, t.album, t.duration_ms,
                                 t.released, t.style, t.uri, t.available, t.attrs
                          FROM tracks t LEFT JOIN artists a USING (artist_idx) WHERE t.track_idx = ?""",
                       [int(track_idx)])
        if row is None:
            return None
        keys = ("track_idx", "track_id", "title", "artist_id", "artist", "album", "duration_ms", "released",
                "style", "uri", "available", "attrs")
        return dict(zip(keys, row))

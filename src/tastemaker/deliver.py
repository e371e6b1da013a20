"""Delivery of the week into the player a listener uses: a playlist on a Subsonic-API server
(Navidrome, Airsonic, Gonic, …), one per user, replacing last week's.

The server's password is asked once and never stored: what is kept (``HOME/delivery/
subsonic.json``, mode 600) is the salted token the Subsonic API accepts instead of it
(``t = md5(password + salt)``). Each listed track is found on the server by its id when the
catalogue came from that server (``tastemaker import navidrome``), else by a search for its
artist and title, matched by `tastemaker.match`.

    >>> client = SubsonicClient.login(settings, "http://127.0.0.1:4533", "alice", password="…")
    >>> deliver_week(engine, settings, client, "alice", dry_run=True)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from . import queries
from .config import Settings
from .engine import Engine
from .errors import InputError, ParameterError
from .match import MatchIndex

API_VERSION = "1.16.1"
#: the playlist's name; {week} is replaced by the week (a name without it is one rotating playlist)
DEFAULT_NAME = "Discover Weekly {week}"


class SubsonicError(InputError):
    """The server refused or could not be reached."""


def _tokens_path(settings: Settings):
    return settings.home / "delivery" / "subsonic.json"


def kept_tokens(settings: Settings) -> dict:
    path = _tokens_path(settings)
    return json.loads(path.read_text()) if path.exists() else {}


@dataclass
class SubsonicClient:
    url: str
    user: str
    salt: str
    token: str
    timeout: float = 30

    @classmethod
    def login(cls, settings: Settings, url: str, user: str, password: str | None = None) -> "SubsonicClient":
        """A client for `user` on the server at `url`: with `password`, a new token is made,
        checked with ``ping`` and kept; without, the kept token is used."""
        url = url.rstrip("/")
        if not re.match(r"^https?://", url):
            raise ParameterError(f"--url must start with http:// or https://; got {url!r}")
        kept = kept_tokens(settings)
        if password is None:
            found = kept.get(url, {}).get(user)
            if not found:
                raise ParameterError(f"No token kept for {user} on {url}: give the password once "
                                     f"(TASTEMAKER_SUBSONIC_PASSWORD or the prompt)")
            return cls(url, user, found["salt"], found["token"])
        salt = secrets.token_hex(8)
        client = cls(url, user, salt, hashlib.md5((password + salt).encode()).hexdigest())
        client.call("ping")
        kept.setdefault(url, {})[user] = {"salt": salt, "token": client.token}
        path = _tokens_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(kept, indent=2))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return client

    def call(self, method: str, **params) -> dict:
        """One API call; the ``subsonic-response`` body, or `SubsonicError` with the server's word."""
        query = [("u", self.user), ("t", self.token), ("s", self.salt), ("v", API_VERSION), ("c", "tastemaker"),
                 ("f", "json")]
        for name, value in params.items():
            for v in value if isinstance(value, (list, tuple)) else [value]:
                query.append((name, str(v)))
        address = f"{self.url}/rest/{method}.view?{urllib.parse.urlencode(query)}"
        try:
            with urllib.request.urlopen(address, timeout=self.timeout) as r:
                body = json.loads(r.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SubsonicError(f"{self.url} did not answer {method} ({exc})") from exc
        answer = body.get("subsonic-response", {})
        if answer.get("status") != "ok":
            error = answer.get("error", {})
            raise SubsonicError(f"{self.url} refused {method}: {error.get('message', 'no reason given')} "
                                f"(code {error.get('code', '?')})")
        return answer


@dataclass
class Delivery:
    user: str
    week: str
    playlist: str
    songs: list[str] = field(default_factory=list)       # the server's ids, in the list's order
    missing: list[str] = field(default_factory=list)     # tracks the server does not have
    replaced: list[str] = field(default_factory=list)    # earlier playlists of this name removed
    playlist_id: str | None = None
    dry_run: bool = False


def _find_song(client: SubsonicClient, track) -> str | None:
    try:
        return client.call("getSong", id=track.track_id)["song"]["id"]
    except (SubsonicError, KeyError):
        pass
    query = " ".join(x for x in (track.artist, track.title) if x)
    if not query:
        return None
    try:
        found = client.call("search3", query=query, songCount=20, artistCount=0, albumCount=0)
    except SubsonicError:
        return None
    songs = found.get("searchResult3", {}).get("song", [])
    index = MatchIndex.build([(s["id"], s.get("artist"), s.get("title"),
                               int(s["duration"]) * 1000 if s.get("duration") else None, s.get("musicBrainzId"),
                               None) for s in songs])
    return index.match(artist=track.artist, title=track.title, duration_ms=track.duration_ms).track_id


def deliver_week(engine: Engine, settings: Settings, client: SubsonicClient, listener: str, *,
                 week: str | None = None, name: str = DEFAULT_NAME, dry_run: bool = False) -> Delivery:
    """Write `listener`'s list of `week` (default the latest) as a playlist of `client`'s user,
    replacing the earlier playlists of the same name pattern; with `dry_run`, only find the songs."""
    found = queries.user_list(engine, listener, week)
    if not found.tracks:
        raise InputError(f"{listener} has no list in {found.week}: nothing to deliver")
    title = name.replace("{week}", found.week)
    out = Delivery(client.user, found.week, title, dry_run=dry_run)
    for track in found.tracks:
        song = _find_song(client, track)
        (out.songs.append(song) if song else out.missing.append(track.track_id))
    pattern = re.compile("^" + re.escape(name).replace(re.escape("{week}"), r"\d{4}-W\d{2}") + "$")
    mine = [p for p in client.call("getPlaylists").get("playlists", {}).get("playlist", [])
            if pattern.match(p.get("name", "")) and p.get("owner", client.user) == client.user]
    same = [p for p in mine if p["name"] == title]
    out.replaced = [p["name"] for p in mine if p not in same[:1]]
    if dry_run:
        return out
    if same:
        out.playlist_id = same[0]["id"]
        client.call("createPlaylist", playlistId=out.playlist_id, songId=out.songs)   # replaces its songs
    else:
        made = client.call("createPlaylist", name=title, songId=out.songs)
        out.playlist_id = (made.get("playlist") or {}).get("id")
    for p in mine:
        if p not in same[:1]:
            client.call("deletePlaylist", id=p["id"])
    return out

"""API keys of the service: ``tastemaker keys create --scope read|write|admin``.

A key is shown once, when it is made; the home keeps only its SHA-256 (``HOME/service/keys.json``,
written atomically), with its id, name, scope and dates. ``write`` covers ``read``; ``admin``
covers both. The service reads the file again when it changes, so a new or revoked key counts at
once, without a restart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import Settings
from ..errors import NotFoundError, ParameterError

SCOPES = ("read", "write", "admin")
_RANK = {s: i for i, s in enumerate(SCOPES)}
PREFIX = "tmk_"


@dataclass(frozen=True)
class Key:
    key_id: str
    name: str
    scope: str
    sha256: str
    created_at: str
    revoked_at: str | None = None

    def allows(self, scope: str) -> bool:
        return self.revoked_at is None and _RANK[self.scope] >= _RANK[scope]


def path(settings: Settings) -> Path:
    return settings.home / "service" / "keys.json"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load(settings: Settings) -> list[Key]:
    try:
        doc = json.loads(path(settings).read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise ParameterError(f"{path(settings)} cannot be read as the service's keys ({exc}); "
                             f"restore it or remove it and create the keys again") from exc
    return [Key(**k) for k in doc.get("keys", [])]


def _save(settings: Settings, keys: list[Key]) -> None:
    target = path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"keys": [asdict(k) for k in keys]}, indent=2))
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)


def create(settings: Settings, scope: str, name: str = "") -> tuple[Key, str]:
    """A new key of `scope`: (its record, the token to give the client — shown only now)."""
    if scope not in SCOPES:
        raise ParameterError(f"scope must be one of {', '.join(SCOPES)}. Got {scope!r} instead.")
    token = PREFIX + secrets.token_urlsafe(24)
    key = Key(secrets.token_hex(4), name, scope, _digest(token),
              dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    _save(settings, load(settings) + [key])
    return key, token


def revoke(settings: Settings, key_id: str) -> Key:
    keys = load(settings)
    found = [k for k in keys if k.key_id == key_id]
    if not found:
        raise NotFoundError(f"No key {key_id!r}; keys: {', '.join(k.key_id for k in keys) or 'none'}")
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    keys = [Key(**{**asdict(k), "revoked_at": k.revoked_at or now}) if k.key_id == key_id else k for k in keys]
    _save(settings, keys)
    return next(k for k in keys if k.key_id == key_id)


class KeyRing:
    """The keys as the service sees them: read again whenever the file changes."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._stamp = None
        self._by_digest: dict[str, Key] = {}

    def find(self, token: str) -> Key | None:
        try:
            stat = path(self.settings).stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._by_digest = {k.sha256: k for k in load(self.settings)}
            self._stamp = stamp
        return self._by_digest.get(_digest(token))

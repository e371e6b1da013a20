"""Versioned model artefacts on disk: ``HOME/models/KIND/VERSION/`` plus a ``LATEST`` pointer.

Each version folder holds the model's own files and ``manifest.json``: the version, when and how
long it took, the parameters, the fingerprint of the training data, the matrix shape, metrics,
and the version of any model it was trained against. A version is written into a temporary
folder and renamed into place, so a crash never leaves half a model behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, NotFoundError
from .base import Recommender


@dataclass
class TrainResult:
    """What a train stage made: the kind and version saved, its manifest, the fitted model."""

    kind: str
    version: str
    manifest: dict
    model: object


def new_version(fingerprint: str) -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S%f}-{fingerprint[:8]}"


def save_version(models_dir: Path, kind: str, model: Recommender, manifest: dict) -> str:
    """Write `model` as a new version of `kind` and point LATEST at it. Returns the version."""
    version = manifest.get("version") or new_version(manifest.get("data_fingerprint", "nodata"))
    root = Path(models_dir) / kind
    tmp = root / f".tmp-{version}"
    final = root / version
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save(tmp)
    doc = {"version": version, "kind": kind, "model": type(model).__name__,
           "params": model.get_params(), **manifest}
    (tmp / "manifest.json").write_text(json.dumps(doc, indent=2, default=str))
    os.replace(tmp, final)
    pointer = root / ".LATEST.tmp"
    pointer.write_text(version)
    os.replace(pointer, root / "LATEST")
    return version


def versions(models_dir: Path, kind: str) -> list[str]:
    root = Path(models_dir) / kind
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def resolve(models_dir: Path, kind: str, version: str | None = None) -> Path:
    root = Path(models_dir) / kind
    if version is None:
        latest = root / "LATEST"
        if not latest.exists():
            raise NotFoundError(f"No {kind} model in {models_dir}: train one first "
                                f"(tastemaker train {kind})")
        version = latest.read_text().strip()
    folder = root / version
    if not folder.is_dir():
        raise NotFoundError(f"No {kind} model version {version!r} in {root}; "
                            f"versions: {versions(models_dir, kind) or 'none'}")
    return folder


def load(models_dir: Path, kind: str, loader, version: str | None = None):
    """(loader(folder), manifest) of a saved version; a version whose files are missing or
    damaged is an `InputError` that says so and how to make it again."""
    folder = resolve(models_dir, kind, version)
    try:
        doc = json.loads((folder / "manifest.json").read_text())
        return loader(folder), doc
    except Exception as exc:  # noqa: BLE001 - numpy, torch and LightGBM each fail their own way
        if isinstance(exc, (InputError, NotFoundError)):
            raise
        what = f"{type(exc).__name__}: {exc}" if not isinstance(exc, OSError) else (
            f"{Path(exc.filename).name if exc.filename else 'a file'}: {exc.strerror or exc}")
        raise InputError(f"The {kind} model {folder.name} in {folder.parent} is incomplete or damaged "
                         f"({what}). Train it again: tastemaker train {kind}") from exc


def manifest(models_dir: Path, kind: str, version: str | None = None) -> dict:
    return json.loads((resolve(models_dir, kind, version) / "manifest.json").read_text())


def update_manifest(models_dir: Path, kind: str, version: str, **fields) -> None:
    """Add fields (e.g. evaluation metrics) to a saved version's manifest."""
    path = resolve(models_dir, kind, version) / "manifest.json"
    doc = json.loads(path.read_text())
    doc.update(fields)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str))
    os.replace(tmp, path)

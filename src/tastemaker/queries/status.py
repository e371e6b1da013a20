"""What a home holds: its warehouse's tables, its models, its weeks.

    >>> s = status(engine, settings)
    >>> s.counts["events"], [m.kind for m in s.models], s.weeks[-1]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Settings
from ..engine import Engine
from ..errors import NotFoundError
from ..models import registry


@dataclass(frozen=True)
class ModelInfo:
    kind: str                          # collaborative | text | audio | ranker
    latest: str                        # the version LATEST points at
    versions: int
    created_at: str | None = None
    fitted_by: str | None = None       # collaborative: implicit, or spark and its master


@dataclass(frozen=True)
class Status:
    home: str
    warehouse: str
    engine: str
    counts: dict[str, int]
    models: list[ModelInfo] = field(default_factory=list)
    weeks: list[str] = field(default_factory=list)


def models(settings: Settings) -> list[ModelInfo]:
    """Every kind of model in the home with its latest version, by kind."""
    root = settings.models_dir
    kinds = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.exists() else []
    out = []
    for kind in kinds:
        found = registry.versions(root, kind)
        if not found:
            continue
        try:
            manifest = registry.manifest(root, kind)
        except NotFoundError:
            manifest = {"version": found[-1]}
        out.append(ModelInfo(kind, manifest.get("version", found[-1]), len(found), manifest.get("created_at"),
                             _fitted_by(manifest) if kind == "collaborative" else None))
    return out


def _fitted_by(manifest: dict) -> str:
    spark = manifest.get("spark")
    return f"spark {spark['master']}" if spark else "implicit"


def status(engine: Engine, settings: Settings) -> Status:
    counts = engine.table_counts()
    counts["rejected_files"] = engine.rejected_count()
    return Status(str(settings.home), engine.location, engine.kind, counts, models(settings), engine.playlist_weeks())

"""What an evaluation shows: a Markdown table (one row per model) and a JSON document with the
split, the parameters chosen, the seeds and the timings of every model."""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
from importlib import metadata
from pathlib import Path

from .search import Comparison

#: (metric key, column title with {k}) in table order
COLUMNS = (("ndcg", "NDCG@{k}"), ("recall", "recall@{k}"), ("precision", "precision@{k}"),
           ("map", "MAP@{k}"), ("hit_rate", "hit rate@{k}"), ("coverage", "coverage"),
           ("novelty", "novelty"), ("diversity", "diversity"))

_VERSIONED = ("tastemaker", "numpy", "scipy", "implicit", "duckdb")


def _num(value: float, digits: int = 4) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


#: parameters that do not change what a model learns, left out of the table's notes
_QUIET_PARAMS = {"num_threads", "use_gpu"}


def _kv(d: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in d.items() if k not in _QUIET_PARAMS) or "defaults"


def split_line(comp: Comparison) -> str:
    s = comp.split
    what = {"time": lambda: f"time split, test week {s['week']} (Monday {s['week_start'][:10]} "
                            f"00:00 UTC, 7 days): the tracks each user newly played that week",
            "holdout": lambda: f"seeded per-user hold-out of {s['fraction']:.0%} "
                               f"(users with ≥ {s['min_items']} items, seed {s['seed']})"}
    head = what.get(s["kind"], lambda: f"{s['kind']} split")()
    line = (f"Split: {head}; {s['users_evaluated']:,} of {s['users']:,} users evaluated, "
            f"{s['test_pairs']:,} test pairs, {s['candidate_items']:,} items ranked; K = {comp.k}.")
    if comp.validation is not None:
        line += (f" Parameters chosen by NDCG@{comp.k} on a validation split cut from train "
                 f"({comp.validation['users_evaluated']:,} users).")
    else:
        line += " Parameters as configured (no search)."
    return line


def table_rows(comp: Comparison) -> tuple[list[str], list[list[str]]]:
    """Column titles and formatted rows (shared by the Markdown and the console table)."""
    header = ["model"] + [t.format(k=comp.k) for _, t in COLUMNS] + ["fit s", "rank s"]
    rows = []
    for r in comp.results:
        rows.append([r.name] + [_num(r.metrics.get(key), 3 if key == "novelty" else 4)
                                for key, _ in COLUMNS]
                    + [f"{r.fit_seconds:.2f}", f"{r.recommend_seconds:.2f}"])
    return header, rows


def markdown(comp: Comparison) -> str:
    """The table, a line on the split and the parameters each model ran with."""
    header, rows = table_rows(comp)
    lines = [split_line(comp), "", "| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "Parameters:"]
    for r in comp.results:
        found = comp.searches.get(r.name)
        changes = f"; signals {_kv(found.signals)}" if found is not None and found.signals else ""
        tried = f" ({len(found.trials)} trials)" if found is not None else ""
        lines.append(f"- {r.name}: {_kv(r.params)}{changes}{tried}")
    return "\n".join(lines) + "\n"


def document(comp: Comparison, *, extra: dict | None = None) -> dict:
    """The JSON document of an evaluation."""
    versions = {}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "k": comp.k,
        "seed": comp.seed,
        "split": comp.split,
        "validation": comp.validation,
        "selection": f"ndcg@{comp.k} on the validation split" if comp.validation else None,
        "models": [r.to_dict() for r in comp.results],
        "seconds": comp.seconds,
        "environment": {"python": platform.python_version(), "machine": platform.machine(),
                        **versions},
        **(extra or {}),
    }


def json_ready(value):
    """JSON has no NaN: write null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def write_json(comp: Comparison, path: str | Path, *, extra: dict | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_ready(document(comp, extra=extra)), indent=2, default=str) + "\n",
                    encoding="utf-8")
    return path

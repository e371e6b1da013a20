"""`tastemaker analyze PATH… [--json-dir DIR]`, `--evaluate LABELS.csv`, `--make-test-set DIR`."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError, ParameterError
from ..progress import progress
from . import common


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze_cmd)


def analyze_cmd(
    paths: Optional[List[Path]] = typer.Argument(
        None, help="Audio files or folders (WAV, FLAC, OGG, MP3; folders are searched recursively)."),
    json_dir: Optional[Path] = typer.Option(
        None, "--json-dir", help="Also write one audio-analysis JSON per file here, named after its stem."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Worker processes (0: one per core)."),
    force: bool = typer.Option(False, "--force", help="Analyse again even when the bytes are cached."),
    max_duration: float = typer.Option(
        1800.0, "--max-duration", help="Analyse at most this many seconds of each file."),
    evaluate: Optional[Path] = typer.Option(
        None, "--evaluate", help="Score the files of a labels CSV (file, tempo_bpm, key, "
                                 "time_signature, loudness, beats_file …) against their labels."),
    report: Optional[Path] = typer.Option(
        None, "--report", help="With --evaluate: write the per-file scores to this CSV."),
    make_test_set: Optional[Path] = typer.Option(
        None, "--make-test-set", help="Write the synthetic labelled test set into this folder."),
    count: int = typer.Option(72, "--count", help="With --make-test-set: number of items."),
    seed: int = typer.Option(0, "--seed", help="With --make-test-set: random seed."),
):
    """Analyse audio files like The Echo Nest did (tempo, key, metre, loudness, structure).

    Results go to the warehouse, cached by content hash; failures are recorded with their reason.
    """
    from ..audio import batch, synth

    if make_test_set is not None:
        if count < 1:
            raise ParameterError(f"The 'count' parameter of analyze must be >= 1. Got {count} instead.")
        with progress("Synthesising the test set", total=None):
            labels = synth.make_test_set(make_test_set, n=count, seed=seed)
        common.console.print(f"Wrote {count} items and their labels to {labels}. Score them with:\n"
                             f"  tastemaker analyze --evaluate {labels}")
        if not paths and evaluate is None:
            return
    items = None
    if evaluate is not None:
        from ..audio import evaluate as ev
        items = ev.read_labels(evaluate)
        files = [it.path for it in items]
        missing = [str(p) for p in files if not p.exists()]
        files = [p for p in files if p.exists()]
        if missing:
            common.console.print(f"[yellow]{len(missing)} labelled files are missing and count "
                                 f"as failed:[/] {common.esc(', '.join(missing[:5]))}{' …' if len(missing) > 5 else ''}",
                                 markup=True)
    elif paths:
        files = batch.find_audio(paths)
    else:
        raise InputError("Nothing to analyse: give audio files or folders, --evaluate LABELS.csv "
                         "or --make-test-set DIR")
    if max_duration <= 0:
        raise ParameterError(f"The 'max_duration' parameter of analyze must be > 0. "
                             f"Got {max_duration} instead.")
    jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
    jobs = max(1, min(jobs, len(files)))
    if json_dir is not None:
        json_dir.mkdir(parents=True, exist_ok=True)

    results = {}
    counts = {"ok": 0, "cached": 0, "failed": 0}
    from ..audio import store
    with common.engine() as engine:
        cached = None if force else (lambda sha: store.cached_document(engine, sha))
        written_stems: dict[str, str] = {}
        with progress("Analysing audio", total=len(files)) as step:
            for result in batch.run([p.resolve() for p in files], jobs=jobs, cached=cached,
                                    max_duration=max_duration):
                store.save(engine, result)
                counts[result.status] += 1
                results[Path(result.path)] = result.document
                if json_dir is not None:
                    _write_json(json_dir, result, written_stems)
                step.advance()
        linked = store.link_tracks(engine)
        failures = engine.analysis_failures([str(p.resolve()) for p in files])

    common.console.print(common.table(
        "Audio analysis", ["files", "analysed", "cached", "failed", "matched to tracks"],
        [(len(files), counts["ok"], counts["cached"], counts["failed"], linked)]))
    for path, reason in failures:
        common.console.print(f"[red]failed:[/] {common.esc(str(reason or path))}", markup=True)
    if items is not None:
        _print_evaluation(items, results, report)
    if files and counts["failed"] == len(files):
        raise typer.Exit(1)     # nothing could be analysed: a script must notice


def _write_json(folder: Path, result, written: dict[str, str]) -> None:
    stem = Path(result.path).stem
    name = stem if written.get(stem, result.path) == result.path else f"{stem}-{result.sha256[:8]}"
    written.setdefault(stem, result.path)
    (folder / f"{name}.json").write_text(json.dumps(result.document, indent=1), encoding="utf-8")


def _print_evaluation(items, results: dict, report: Optional[Path]) -> None:
    from ..audio import evaluate as ev
    summary, rows = ev.score(items, results)
    shown = [(k, v) for k, v in summary.items() if not k.endswith("_n") and k != "key_outcomes"]
    common.console.print(common.table("Evaluation", ["measure", "value", "files"],
                                      [(k, v, summary.get(k + "_n", "")) for k, v in shown]))
    if "key_outcomes" in summary:
        common.console.print("key outcomes: " + ", ".join(f"{k} {v}" for k, v in summary["key_outcomes"].items()))
    groups = ev.by_genre(rows)
    if groups:
        measures = [(k, name) for k, name in ev.HEADLINE.items() if k in summary]

        def cell(part, k):
            return f"{part[k]:.3f} ({part[k + '_n']})" if k in part else "–"

        per_genre = [(g, part["files"], *(cell(part, k) for k, _ in measures))
                     for g, part in groups.items()]
        header = ["genre", "files"] + [name for _, name in measures]
        common.console.print(common.table("By genre (value and files)", header, per_genre))
    if report is not None:
        fields = sorted({k for r in rows for k in r}, key=lambda k: (k != "file", k))
        with open(report, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
        common.console.print(f"Per-file scores written to {report}")

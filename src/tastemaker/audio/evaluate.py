"""Scoring analyses against a labelled set (a CSV), with the measures the literature uses.

The labels CSV has a ``file`` column (relative to the CSV's folder) and any of:

- ``tempo_bpm``: tempo Accuracy1 (within 4 %) and Accuracy2 (also at ×2, ×3, ×½, ×⅓);
- ``key`` ("A minor", "C# major"; a bare tonic like "F" is skipped): MIREX weighted score
  through `mir_eval.key` (same 1.0, fifth 0.5, relative 0.3, parallel 0.2), and the counts;
- ``time_signature`` (beats per bar), or else ``beats_file`` with "time<TAB>beat-in-bar" lines,
  whose largest beat-in-bar is taken: time-signature accuracy;
- ``beats_file``: beat F-measure (`mir_eval.beat.f_measure`, ±70 ms, first 5 s ignored);
- ``loudness`` (LUFS): mean and maximum absolute error in dB;
- ``end_of_fade_in``, ``start_of_fade_out``: mean absolute error in seconds;
- ``sections`` ("0;12.5;30.1"): boundary hit rate within 3 s (`mir_eval.segment.detection`).

Rows whose analysis failed count as wrong for every label they carry. A ``genre`` column, when
it holds several values, gives the same measures per genre (`by_genre`).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import warnings
from pathlib import Path

import mir_eval
import numpy as np

from ..errors import InputError

TEMPO_TOLERANCE = 0.04
TEMPO_FACTORS = (1.0, 2.0, 3.0, 0.5, 1.0 / 3.0)


@dataclasses.dataclass(frozen=True)
class LabelledFile:
    path: Path
    labels: dict
    root: Path                # the labels file's folder; other paths in the row are relative to it


def read_labels(csv_path: str | Path) -> list[LabelledFile]:
    """Rows of a labels CSV, with paths resolved against the CSV's folder."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise InputError(f"{csv_path}: no such labels file (expected a CSV with a 'file' column)")
    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "file" not in rows[0]:
        raise InputError(f"{csv_path}: expected a CSV with a 'file' column. Got columns "
                         f"{list(rows[0]) if rows else []} instead.")
    root = csv_path.parent.resolve()
    return [LabelledFile((root / r["file"]).resolve(), r, root) for r in rows]


def tempo_accuracy(estimated: float, reference: float) -> tuple[bool, bool]:
    """(Accuracy1, Accuracy2) hits for one track."""
    acc1 = abs(estimated - reference) <= TEMPO_TOLERANCE * reference
    acc2 = any(abs(estimated - f * reference) <= TEMPO_TOLERANCE * f * reference
               for f in TEMPO_FACTORS)
    return bool(acc1), bool(acc2)


def key_label(text: str) -> str | None:
    """A key in mir_eval's spelling, or None when the label has no mode (or no key)."""
    text = (text or "").strip()
    parts = text.split()
    if len(parts) != 2 or parts[1].lower() not in ("major", "minor"):
        return None
    return f"{parts[0]} {parts[1].lower()}"


def meter_from_beats(path: Path) -> int | None:
    """Beats per bar from a 'time<TAB>beat-in-bar' file: its most common bar length."""
    try:
        positions = [int(float(line.split()[1])) for line in path.read_text().splitlines()
                     if len(line.split()) >= 2]
    except (OSError, ValueError):
        return None
    if not positions:
        return None
    lengths = [a for a, b in zip(positions, positions[1:]) if b == 1]
    return max(set(lengths), key=lengths.count) if lengths else max(positions)


def beat_times(path: Path) -> np.ndarray | None:
    try:
        return np.array([float(line.split()[0]) for line in path.read_text().splitlines()
                         if line.strip()])
    except (OSError, ValueError):
        return None


def score(items: list[LabelledFile], analyses: dict[Path, dict]) -> tuple[dict, list[dict]]:
    """Summary measures and one row per file. `analyses` maps each path to its document (a
    failed analysis is a document whose meta.status_code is not 0, or is missing)."""
    rows = []
    for item in items:
        doc = analyses.get(item.path)
        ok = bool(doc) and doc.get("meta", {}).get("status_code") == 0
        track = doc["track"] if ok else {}
        lab = item.labels
        row = {"file": lab["file"], "status": "ok" if ok else "failed"}
        if (lab.get("genre") or "").strip():
            row["genre"] = lab["genre"].strip()
        if _num(lab.get("tempo_bpm")) is not None:
            ref = _num(lab["tempo_bpm"])
            est = track.get("tempo", 0.0)
            row.update(tempo_ref=ref, tempo_est=est)
            row["acc1"], row["acc2"] = tempo_accuracy(est, ref) if ok else (False, False)
        ref_key = key_label(lab.get("key", ""))
        if ref_key:
            est_key = track_key_name(track) if ok else "X"
            row.update(key_ref=ref_key, key_est=est_key,
                       key_score=mir_eval.key.weighted_score(ref_key, est_key) if est_key != "X" else 0.0)
        beats_file = item.root / lab["beats_file"] if lab.get("beats_file") else None
        ts_ref = _num(lab.get("time_signature"))
        if ts_ref is None and beats_file is not None and beats_file.exists():
            ts_ref = meter_from_beats(beats_file)
        if ts_ref is not None:
            row.update(ts_ref=int(ts_ref), ts_est=track.get("time_signature"),
                       ts_ok=bool(ok and track.get("time_signature") == int(ts_ref)))
        if beats_file is not None and beats_file.exists():
            ref_beats = beat_times(beats_file)
            est_beats = np.array([b["start"] for b in doc.get("beats", [])]) if ok else np.zeros(0)
            if ref_beats is not None and ref_beats.size:
                with warnings.catch_warnings():   # no beats found scores 0; no need to warn
                    warnings.simplefilter("ignore", UserWarning)
                    row["beat_f"] = float(mir_eval.beat.f_measure(
                        mir_eval.beat.trim_beats(ref_beats), mir_eval.beat.trim_beats(est_beats)))
        if _num(lab.get("loudness")) is not None and ok:
            row.update(loudness_ref=_num(lab["loudness"]), loudness_est=track["loudness"],
                       loudness_err=abs(track["loudness"] - _num(lab["loudness"])))
        for name in ("end_of_fade_in", "start_of_fade_out"):
            if _num(lab.get(name)) is not None and ok:
                row[f"{name}_err"] = abs(track[name] - _num(lab[name]))
        if lab.get("sections") and ok:
            ref_b = np.array([float(x) for x in lab["sections"].split(";")])
            est_b = np.array([s["start"] for s in doc["sections"]])
            dur = track["duration"]
            row["sections_f"] = _boundary_f(ref_b, est_b, dur)
        rows.append(row)
    return summarise(rows), rows


def summarise(rows: list[dict]) -> dict:
    def mean(key):
        vals = [float(r[key]) for r in rows if key in r]
        return (round(float(np.mean(vals)), 4), len(vals)) if vals else (None, 0)

    out = {"files": len(rows), "failed": sum(r["status"] != "ok" for r in rows)}
    for key, name in [("acc1", "tempo_accuracy1"), ("acc2", "tempo_accuracy2"),
                      ("key_score", "key_weighted"), ("ts_ok", "time_signature_accuracy"),
                      ("beat_f", "beat_f_measure"), ("loudness_err", "loudness_mae_db"),
                      ("end_of_fade_in_err", "fade_in_mae_s"),
                      ("start_of_fade_out_err", "fade_out_mae_s"), ("sections_f", "sections_f_3s")]:
        value, count = mean(key)
        if count:
            out[name] = value
            out[name + "_n"] = count
    errs = [r["loudness_err"] for r in rows if "loudness_err" in r]
    if errs:
        out["loudness_max_err_db"] = round(float(max(errs)), 3)
    scores = [r["key_score"] for r in rows if "key_score" in r]
    if scores:
        names = {1.0: "same", 0.5: "fifth", 0.3: "relative", 0.2: "parallel", 0.0: "other"}
        out["key_outcomes"] = {names[k]: sum(1 for s in scores if math.isclose(s, k)) for k in names}
    return out


#: the measures shown per genre, with their short names
HEADLINE = {"tempo_accuracy1": "tempo Acc1", "tempo_accuracy2": "tempo Acc2",
            "key_weighted": "key", "time_signature_accuracy": "metre", "beat_f_measure": "beat F"}


def by_genre(rows: list[dict]) -> dict[str, dict]:
    """`summarise` per value of the labels' ``genre`` column (rows without one: "(none)"), in
    name order; empty when the column is absent or holds one value."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.get("genre", "(none)"), []).append(row)
    if len(groups) < 2:
        return {}
    return {name: summarise(groups[name]) for name in sorted(groups)}


def _boundary_f(ref: np.ndarray, est: np.ndarray, duration: float) -> float:
    """F-measure of section boundaries (the start at 0 excluded) within 3 s."""
    ref, est = ref[ref > 0], est[est > 0]
    if ref.size == 0 and est.size == 0:
        return 1.0
    if ref.size == 0 or est.size == 0:
        return 0.0
    ref_i = mir_eval.util.boundaries_to_intervals(np.r_[0.0, ref, max(duration, ref.max() + 1)])
    est_i = mir_eval.util.boundaries_to_intervals(np.r_[0.0, est, max(duration, est.max() + 1)])
    _, _, f = mir_eval.segment.detection(ref_i, est_i, window=3.0, trim=True)
    return float(f)


def track_key_name(track: dict) -> str:
    """'A minor', 'C# major' from a document's track section; 'X' when it has no key."""
    from .key import PITCH_CLASSES
    if track.get("key", -1) < 0:
        return "X"
    return f"{PITCH_CLASSES[track['key']]} {'major' if track['mode'] == 1 else 'minor'}"


def _num(value) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None

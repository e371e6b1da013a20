"""The analyser beside librosa and Essentia on a labelled set: tempo and key, per genre.

    python benchmarks/analyser_side_by_side.py LABELS.csv [--jobs 2]

For every row of a labels CSV with a tempo or a key (``tastemaker analyze --evaluate``'s
format), three analysers run on the same audio (mono, 22 050 Hz for tastemaker and librosa,
44 100 Hz for Essentia, which expects it):

- **tastemaker**: `analyse_file` (tempo refined on the tracked beats; the learned key profile);
- **librosa** 0.11 as a user would call it: ``librosa.beat.beat_track`` (its tempo; librosa has
  no key estimator);
- **Essentia**, when installed (``pip install essentia``; AGPL-3.0, so it is not a dependency of
  the project): ``RhythmExtractor2013(method="multifeature")`` for tempo, ``KeyExtractor`` with
  its default profile (``bgate``) and with ``temperley`` for key. Skipped, with the reason
  printed, when it cannot be imported.

Prints a Markdown table per measure (tempo Accuracy1, Accuracy2, key MIREX-weighted) with one
row per genre and the total. Nothing is tuned here.
"""

from __future__ import annotations

import argparse
import csv
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import librosa
import mir_eval
import numpy as np

from tastemaker.audio import analyse_file
from tastemaker.audio.evaluate import key_label, tempo_accuracy, track_key_name

try:
    import essentia
    import essentia.standard as es
    essentia.log.infoActive = False
    ESSENTIA = None
except ImportError as exc:            # optional: AGPL, installed by hand for this comparison
    es, ESSENTIA = None, f"Essentia not importable ({exc}); install it with `pip install essentia`"


def analyse(path: str) -> dict:
    """Tempo and key of one file by every analyser available: {name: (bpm or None, key or None)}."""
    out = {}
    track = analyse_file(path)["track"]
    out["tastemaker"] = (track["tempo"], track_key_name(track))
    y, sr = librosa.load(path, sr=22050, mono=True)
    tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
    out["librosa beat_track"] = (float(np.atleast_1d(tempo)[0]), None)
    if es is not None:
        audio = es.MonoLoader(filename=path, sampleRate=44100)()
        bpm = es.RhythmExtractor2013(method="multifeature")(audio)[0]
        keys = {}
        for profile in ("bgate", "temperley"):
            k, scale, _ = es.KeyExtractor(profileType=profile)(audio)
            keys[profile] = f"{_sharp(k)} {scale}"
        out["Essentia (bgate key)"] = (float(bpm), keys["bgate"])
        out["Essentia (temperley key)"] = (float(bpm), keys["temperley"])
    return out


def _sharp(name: str) -> str:
    flats = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}
    return flats.get(name, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("labels", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    started = time.time()
    with open(args.labels, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("tempo_bpm") or key_label(r.get("key", ""))]
    paths = [str((args.labels.parent / r["file"]).resolve()) for r in rows]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(analyse, paths, chunksize=2))
    if ESSENTIA:
        print(ESSENTIA + ": skipped\n")
    names = list(results[0])
    genres = sorted({r.get("genre") or "(none)" for r in rows})

    def measure(name: str, kind: str, sel: list[int]) -> str:
        vals = []
        for i in sel:
            bpm, key = results[i][name]
            if kind in ("acc1", "acc2") and rows[i].get("tempo_bpm"):
                hit1, hit2 = tempo_accuracy(bpm, float(rows[i]["tempo_bpm"]))
                vals.append(hit1 if kind == "acc1" else hit2)
            elif kind == "key" and key is not None and key_label(rows[i].get("key", "")):
                vals.append(mir_eval.key.weighted_score(key_label(rows[i]["key"]), key))
        return f"{np.mean(vals):.3f}" if vals else "–"

    tables = (("acc1", "tempo Accuracy1"), ("acc2", "tempo Accuracy2"), ("key", "key, MIREX weighted"))
    for kind, title in tables:
        print(f"{title} ({args.labels})\n")
        print("| genre | n | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for genre in genres + ["all"]:
            sel = [i for i, r in enumerate(rows) if genre == "all" or (r.get("genre") or "(none)") == genre]
            print(f"| {'**all**' if genre == 'all' else genre} | {len(sel)} | "
                  + " | ".join(measure(name, kind, sel) for name in names) + " |")
        print()
    print(f"({len(rows)} files, {time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()

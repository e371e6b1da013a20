"""Speed of the audio model: spectrogram + inference (tracks/s) and training time.

    python benchmarks/bench_audio_model.py --tracks 200 --seconds 30            # throughput
    python benchmarks/bench_audio_model.py --train 5000 --seconds 30 --epochs 40  # training
    python benchmarks/bench_audio_model.py --tracks 0 --train 5000 --unique 500 --epochs 40

Clips are synthesised with the demo world's synthesiser (random styles) into a temporary folder;
spectrograms are computed without the cache (a cold start), then pushed through a network.
Training fits the default network on ``--train`` clips against random (seeded) unit targets
(64-d) with early stopping switched off for ``--epochs`` epochs, so the time is a worst case; the
time printed includes the spectrograms of the training clips. ``--unique K`` synthesises only K
distinct clips and copies them to make up the count (synthesis is slow and is not what is timed;
every copy is still decoded and transformed, and the targets stay distinct per track).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from tastemaker.audio_model import AudioModel, many_mels
from tastemaker.audio_model.predict import mel_params
from tastemaker.config import AudioModelParams
from tastemaker.demo.sound import render_track


def clips(folder: Path, n: int, seconds: float, seed: int = 0, unique: int | None = None) -> list[Path]:
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        if unique and i >= unique:
            p = folder / f"c{i:05d}.wav"
            shutil.copyfile(paths[i % unique], p)
            paths.append(p)
            continue
        row = {"index": i, "tempo": float(rng.uniform(60, 160)), "key": int(rng.integers(12)),
               "mode": int(rng.integers(2)), "time_signature": 4, "loudness": float(rng.uniform(-16, -7)),
               "density": float(rng.uniform(0.5, 3)), "timbre": int(rng.integers(20)),
               "brightness": float(rng.uniform(0.2, 0.9)), "drums": bool(rng.integers(2))}
        p = folder / f"c{i:05d}.wav"
        sf.write(p, render_track(row, seconds=seconds, sr=22050, seed=seed), 22050, subtype="PCM_16")
        paths.append(p)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracks", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--train", type=int, default=0, help="also time training on this many tracks")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--unique", type=int, default=0,
                    help="synthesise only this many distinct clips and copy them (0: all distinct)")
    args = ap.parse_args()
    params = AudioModelParams()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{'cuda' if torch.cuda.is_available() else 'cpu'}")
    with tempfile.TemporaryDirectory() as tmp:
        paths = clips(Path(tmp), max(args.tracks, args.train), args.seconds, unique=args.unique or None)
        model = AudioModel(params).fit(
            [np.random.default_rng(0).normal(-40, 10, (128, 200)).astype(np.float32) for _ in range(8)],
            np.eye(64, dtype=np.float32)[:8]) if not args.train else None
        if args.tracks:
            t0 = time.perf_counter()
            batch = many_mels(paths[:args.tracks], params=mel_params(params), cache_dir=None)
            t1 = time.perf_counter()
            specs = [m.mels for m in batch.ok if m is not None]
            if model is not None:
                model.predict(specs)
            t2 = time.perf_counter()
            print(f"{args.tracks} clips of {args.seconds:g} s: spectrograms {t1 - t0:.1f} s, inference "
                  f"{t2 - t1:.1f} s → {args.tracks / (t2 - t0):.1f} tracks/s")
        if args.train:
            t3 = time.perf_counter()
            batch = many_mels(paths[:args.train], params=mel_params(params), cache_dir=None)
            specs = [m.mels for m in batch.ok]
            t4 = time.perf_counter()
            y = np.random.default_rng(1).standard_normal((len(specs), 64)).astype(np.float32)
            y /= np.linalg.norm(y, axis=1, keepdims=True)
            p = AudioModelParams(max_epochs=args.epochs, patience=args.epochs)
            m = AudioModel(p).fit(specs, y)
            t5 = time.perf_counter()
            print(f"training on {len(specs)} tracks ({m.n_train_} train + {m.n_val_} validation), "
                  f"{len(m.history_)} epochs: spectrograms {t4 - t3:.0f} s, fit {t5 - t4:.0f} s "
                  f"({(t5 - t4) / max(1, len(m.history_)):.1f} s/epoch), total {t5 - t3:.0f} s")


if __name__ == "__main__":
    main()

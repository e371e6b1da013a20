"""Speed of the audio analyser on one core, as multiples of real time.

    python benchmarks/bench_analyser.py                      # the real clips in ../shared/data
    python benchmarks/bench_analyser.py --folder music/ --limit 20

Times two paths per file, after one warm-up file (numba compiles librosa's beat tracker on
first use, about 2 s per process): the flat audio-features row (`features_file`) and the full
audio-analysis document (`analyse_file`). Both include decoding. BLAS and OpenMP are held to one
thread. Prints a table and the totals; × real time is audio seconds per second of work.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "audio-labelled-clips"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT, help="audio files to time")
    parser.add_argument("--limit", type=int, default=30, help="at most this many files")
    parser.add_argument("--repeat", type=int, default=1, help="time each path this many times")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
    from tastemaker.audio import analyse_file, features_file
    from tastemaker.audio.batch import find_audio
    from tastemaker.audio.io import probe

    if not args.folder.exists():
        print(f"no audio at {args.folder}; pass --folder", file=sys.stderr)
        return 2
    files = [p for p in find_audio([args.folder]) if (probe(p).duration or 0) >= 2.0]
    files = sorted(files, key=lambda p: (-probe(p).duration, str(p)))[: args.limit]
    if not files:
        print(f"no audio file of 2 s or more under {args.folder}", file=sys.stderr)
        return 2
    analyse_file(files[-1])                                   # warm-up (numba, caches)

    audio = flat = full = 0.0
    print(f"{'file':44s} {'seconds':>8s} {'flat ×rt':>9s} {'full ×rt':>9s}")
    for path in files:
        seconds = probe(path).duration
        t_flat = _best(lambda: features_file(path), args.repeat)
        t_full = _best(lambda: analyse_file(path), args.repeat)
        audio, flat, full = audio + seconds, flat + t_flat, full + t_full
        print(f"{path.name[:44]:44s} {seconds:8.1f} {seconds / t_flat:9.1f} {seconds / t_full:9.1f}")
    print(f"\n{len(files)} files, {audio:.0f} s of audio on one core: flat features "
          f"{audio / flat:.1f}× real time ({flat:.1f} s), full analysis {audio / full:.1f}× real "
          f"time ({full:.1f} s)")
    return 0


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


if __name__ == "__main__":
    sys.exit(main())

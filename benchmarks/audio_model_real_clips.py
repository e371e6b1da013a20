"""The trained audio network on real recordings: embeddings, nearest neighbours, genre agreement.

    python benchmarks/audio_model_real_clips.py --home /tmp/a5 [--clips ../shared/data/audio-labelled-clips]

Takes the latest audio model of a home (e.g. the demo home of ``tastemaker --home /tmp/a5 demo``)
and runs it end to end on the real clips of ``audio-labelled-clips``: load, spectrogram (the
middle 30 s, as in training), penultimate-layer embedding, cosine neighbours. Prints Markdown:

1. for one clip per GTZAN genre (``<genre>.00000``), its 5 nearest real clips (all collections);
2. leave-one-out genre agreement on the 101 GTZAN clips: how often the nearest clip (and the
   5 nearest) share the query's genre, against chance ((n_genre − 1) / (N − 1) per clip) and
   against three references with no training: the mean and standard deviation of each mel band
   (standardised), timbre statistics (MFCCs, their deltas and band contrast, standardised), and
   an untrained network of the same shape (same band standardisation, weights drawn from a
   fixed seed).

Genre comes from the GTZAN file name (``labels.csv`` agrees); the other collections' genres are
taken from ``labels.csv`` where it has one and are only shown, never scored.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch

from tastemaker.audio_model import many_mels
from tastemaker.audio_model.mels import timbre_statistics
from tastemaker.audio_model.network import AudioCNN
from tastemaker.audio_model.predict import cache_dir, mel_params
from tastemaker.audio_model.train import load_audio_model
from tastemaker.config import load_settings

DEFAULT_CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "audio-labelled-clips"
AUDIO_ENDINGS = (".wav", ".ogg", ".flac", ".mp3")


def real_clips(root: Path) -> tuple[list[Path], list[str], list[bool]]:
    """Every audio file of the collection, its genre ('' when none) and whether it is GTZAN."""
    labels = {}
    with open(root / "labels.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            labels[row["file"]] = row.get("genre") or ""
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_ENDINGS)
    rel = [p.relative_to(root).as_posix() for p in paths]
    gtzan = [r.startswith("gtzan/audio/") for r in rel]
    genres = [Path(r).name.split(".")[0] if g else labels.get(r, "") for r, g in zip(rel, gtzan)]
    return paths, genres, gtzan


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def agreement(vectors: np.ndarray, genres: np.ndarray, k: int = 5) -> tuple[float, float]:
    """Leave-one-out: share of clips whose nearest clip has their genre; mean share of the k
    nearest that do."""
    u = unit(vectors)
    sims = u @ u.T
    np.fill_diagonal(sims, -np.inf)
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    same = genres[order] == genres[:, None]
    return float(same[:, 0].mean()), float(same.mean())


def standardise(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-9)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True, help="a tastemaker home with a trained audio model")
    ap.add_argument("--clips", type=Path, default=DEFAULT_CLIPS, help="the audio-labelled-clips folder")
    ap.add_argument("--k", type=int, default=5, help="neighbours shown and scored")
    ap.add_argument("--seed", type=int, default=0, help="seed of the untrained reference network")
    args = ap.parse_args()

    settings = load_settings(args.home)
    model, manifest = load_audio_model(settings)
    paths, genres, is_gtzan = real_clips(args.clips)
    t0 = time.perf_counter()
    batch = many_mels(paths, params=mel_params(model.params), cache_dir=cache_dir(settings))
    keep = [i for i, m in enumerate(batch.ok) if m is not None]
    specs = [batch.ok[i].mels for i in keep]
    vectors, emb = model.predict(specs)
    seconds = time.perf_counter() - t0
    names = [paths[i].relative_to(args.clips).as_posix() for i in keep]
    genre = np.array([genres[i] for i in keep])
    gt = np.array([is_gtzan[i] for i in keep])

    print(f"Audio model {manifest['version']} (trained against collaborative "
          f"{manifest['collaborative_version']}, {manifest['tracks']['trained_on']} tracks, "
          f"{manifest['epochs']} epochs); {len(keep)} of {len(paths)} clips readable "
          f"({len(batch.failed)} failed), {int(gt.sum())} GTZAN; spectrograms + embeddings "
          f"{seconds:.1f} s ({batch.cache_hits} cache hits).\n")

    u = unit(emb)
    sims = u @ u.T
    np.fill_diagonal(sims, -np.inf)
    print(f"### {args.k} nearest real clips (cosine of the embeddings) of one clip per GTZAN genre\n")
    print("| clip | " + " | ".join(f"#{j + 1}" for j in range(args.k)) + " | same genre |")
    print("|---|" + "---|" * args.k + "---|")
    for g in sorted(set(genre[gt])):
        q = int(np.flatnonzero(gt & (genre == g))[0])
        top = np.argsort(-sims[q], kind="stable")[:args.k]
        cells = [f"{Path(names[j]).stem if gt[j] else Path(names[j]).name[:24]} ({sims[q, j]:.3f})"
                 for j in top]
        print(f"| {Path(names[q]).stem} | " + " | ".join(cells)
              + f" | {int(sum(genre[j] == g for j in top))}/{args.k} |")

    sel = np.flatnonzero(gt)
    g_sel = genre[sel]
    counts = {g: int((g_sel == g).sum()) for g in set(g_sel)}
    chance = float(np.mean([(counts[g] - 1) / (len(sel) - 1) for g in g_sel]))
    mels = [specs[i] for i in sel]
    band = np.stack([np.concatenate([s.mean(axis=1), s.std(axis=1)]) for s in mels])
    band = standardise(band)
    timbre = standardise(np.stack([timbre_statistics(s) for s in mels]))
    p = model.params
    torch.manual_seed(args.seed)
    raw = AudioCNN(n_mels=p.n_mels, channels=p.channels, kernel=p.kernel, hidden=p.hidden,
                   out_dim=model.out_dim_, dropout=p.dropout)
    raw.band_mean.copy_(model.net_.band_mean.cpu())
    raw.band_std.copy_(model.net_.band_std.cpu())
    raw.eval()
    with torch.no_grad():
        untrained = np.stack([raw.embed(torch.from_numpy(s[None].astype(np.float32)))[0].numpy()
                              for s in mels])
    rows = [("trained network, embedding (256-d)", emb[sel]),
            ("trained network, predicted collaborative vector (64-d)", vectors[sel]),
            ("untrained network of the same shape, embedding", untrained),
            ("mel-band mean and std, standardised (256-d)", band),
            ("timbre statistics: 20 MFCCs, their deltas, band contrast; mean and std, "
             "standardised (96-d)", timbre)]
    print(f"\n### Genre agreement, leave-one-out on {len(sel)} GTZAN clips "
          f"({len(counts)} genres), cosine\n")
    print(f"| vectors | nearest clip same genre | share of {args.k} nearest same genre |")
    print("|---|---|---|")
    for name, v in rows:
        top1, topk = agreement(v, g_sel, args.k)
        print(f"| {name} | {top1:.3f} | {topk:.3f} |")
    print(f"| chance | {chance:.3f} | {chance:.3f} |")


if __name__ == "__main__":
    main()

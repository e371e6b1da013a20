"""`AudioModel`: the network with its training loop, prediction and artefact files.

    >>> model = AudioModel(params).fit(spectrograms, unit_cf_vectors)   # list of (n_mels, T)
    >>> vectors, embeddings = model.predict(spectrograms)

Training minimises the mean squared error between the network's output and the unit-normalised
collaborative vectors, on random time crops of ``crop_frames`` frames (augmentation), keeps a
seeded ``validation_share`` of the tracks aside (scored on whole excerpts), and stops when the
validation loss has not improved for ``patience`` epochs, restoring the best weights. Everything is
drawn from ``seed``, and deterministic algorithms are enforced during `fit`: the same data and
seed give the same weights on the same machine. A CUDA GPU is used when there is one.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from ..config import AudioModelParams
from ..errors import NotFittedError, ParameterError
from ..progress import progress
from .mels import FLOOR_DB, timbre_statistics
from .network import AudioCNN

#: spectrogram frames pushed through the network at once when predicting
PREDICT_FRAMES = 64 * 700


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@contextlib.contextmanager
def deterministic(seed: int):
    """Seed torch and enforce deterministic algorithms inside the block (restored after)."""
    before = torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


class AudioModel:
    """Spectrograms → collaborative vectors. Constructor stores; `fit` validates and trains."""

    name = "audio"

    def __init__(self, params: AudioModelParams | None = None):
        self.params = params or AudioModelParams()

    def get_params(self) -> dict:
        import dataclasses
        return dataclasses.asdict(self.params)

    # -- training ------------------------------------------------------------------------------
    def fit(self, specs: list[np.ndarray], targets: np.ndarray) -> "AudioModel":
        """Train on spectrograms [each shape=(n_mels, T_i)] and their target vectors (n, d)."""
        p = self.params
        targets = np.asarray(targets, dtype=np.float32)
        if targets.ndim != 2 or len(specs) != len(targets):
            raise ParameterError(f"AudioModel.fit needs one target row per spectrogram; got "
                                 f"{len(specs)} spectrograms and targets of shape {targets.shape}")
        if len(specs) < 4:
            raise ParameterError(f"AudioModel.fit needs at least 4 tracks; got {len(specs)}")
        n_mels = {s.shape[0] for s in specs}
        if n_mels != {p.n_mels}:
            raise ParameterError(f"Spectrograms must have {p.n_mels} mel bands; got {sorted(n_mels)}")
        dev = device()
        rng = np.random.default_rng(p.seed)
        order = rng.permutation(len(specs))
        n_val = max(1, int(round(p.validation_share * len(specs))))
        val, train = order[:n_val], order[n_val:]
        out_dim = targets.shape[1]
        if p.timbre_weight > 0:
            targets = np.hstack([targets, self._timbre_targets(specs, targets, train)])
        t0 = time.perf_counter()
        with deterministic(p.seed):
            net = AudioCNN(n_mels=p.n_mels, channels=p.channels, kernel=p.kernel, hidden=p.hidden,
                           out_dim=targets.shape[1], dropout=p.dropout)
            frames = np.concatenate([specs[i] for i in train], axis=1).astype(np.float32)
            net.band_mean.copy_(torch.from_numpy(frames.mean(axis=1)))
            net.band_std.copy_(torch.from_numpy(frames.std(axis=1) + 1e-3))
            del frames
            net.to(dev)
            opt = torch.optim.Adam(net.parameters(), lr=p.learning_rate, weight_decay=p.weight_decay)
            crop = max(p.crop_frames, net.min_frames)
            best, best_state, stale, history = np.inf, None, 0, []
            y_all = torch.from_numpy(targets)
            with progress("Training the audio network", total=p.max_epochs) as step:
                for epoch in range(p.max_epochs):
                    net.train()
                    perm = train[rng.permutation(len(train))]
                    losses = []
                    for start in range(0, len(perm), p.batch_size):
                        idx = perm[start:start + p.batch_size]
                        if len(idx) < 2:      # batch norm needs two examples
                            continue
                        x = torch.from_numpy(_crops([specs[i] for i in idx], crop, rng)).to(dev)
                        loss = torch.mean((net(x) - y_all[idx].to(dev)) ** 2)
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                        losses.append(float(loss.detach()))
                    val_loss = float(np.mean((_predict(net, [specs[i] for i in val], dev)[0]
                                              - targets[val]) ** 2))
                    history.append({"epoch": epoch + 1, "train_mse": round(float(np.mean(losses)), 6),
                                    "val_mse": round(val_loss, 6)})
                    step.advance()
                    if val_loss < best - 1e-6:
                        best, stale = val_loss, 0
                        best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
                    else:
                        stale += 1
                        if stale >= p.patience:
                            break
            net.load_state_dict(best_state)
        self.net_ = net.eval()
        self.out_dim_ = int(out_dim)
        self.history_ = history
        self.best_val_mse_ = float(best)
        self.fit_seconds_ = round(time.perf_counter() - t0, 3)
        self.n_train_, self.n_val_ = int(len(train)), int(len(val))
        return self

    def _timbre_targets(self, specs, targets: np.ndarray, train: np.ndarray) -> np.ndarray:
        """Each clip's timbre statistics, standardised on the training clips and scaled so that
        at weight 1 their total variance equals the collaborative targets'."""
        stats = np.stack([timbre_statistics(s) for s in specs]).astype(np.float64)
        stats = (stats - stats[train].mean(axis=0)) / np.maximum(stats[train].std(axis=0), 1e-6)
        scale = np.sqrt(targets[train].var(axis=0).sum() / stats.shape[1])
        return (self.params.timbre_weight * scale * stats).astype(np.float32)

    # -- prediction ----------------------------------------------------------------------------
    def predict(self, specs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Predicted vectors (n, out_dim) and penultimate-layer embeddings (n, hidden), each
        spectrogram taken whole (tracks of equal length go through the network together)."""
        self._check_fitted()
        vectors, embeds = _predict(self.net_, specs, next(self.net_.parameters()).device)
        return vectors[:, :self.out_dim_], embeds

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError("AudioModel is not fitted yet: call fit() or load() first")

    # -- persistence ---------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(self.net_.state_dict(), folder / "network.pt")
        (folder / "params.json").write_text(json.dumps({
            "model": type(self).__name__, "params": self.get_params(), "out_dim": self.out_dim_,
            "network_out_dim": self.net_.head[-1].out_features,
            "history": getattr(self, "history_", []), "best_val_mse": getattr(self, "best_val_mse_", None),
        }, indent=2))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "AudioModel":
        folder = Path(folder)
        doc = json.loads((folder / "params.json").read_text())
        model = cls(AudioModelParams(**doc["params"]))
        p = model.params
        net = AudioCNN(n_mels=p.n_mels, channels=p.channels, kernel=p.kernel, hidden=p.hidden,
                       out_dim=doc.get("network_out_dim", doc["out_dim"]), dropout=p.dropout)
        net.load_state_dict(torch.load(folder / "network.pt", map_location="cpu", weights_only=True))
        model.net_ = net.to(device()).eval()
        model.out_dim_ = int(doc["out_dim"])
        model.history_ = doc.get("history", [])
        return model


def _crops(specs: list[np.ndarray], frames: int, rng: np.random.Generator) -> np.ndarray:
    """(B, n_mels, frames): a random window of each spectrogram (padded with the floor if short)."""
    out = np.full((len(specs), specs[0].shape[0], frames), FLOOR_DB, dtype=np.float32)
    for b, s in enumerate(specs):
        t = s.shape[1]
        start = int(rng.integers(0, t - frames + 1)) if t > frames else 0
        w = s[:, start:start + frames]
        out[b, :, :w.shape[1]] = w
    return out


def _predict(net: AudioCNN, specs: list[np.ndarray], dev) -> tuple[np.ndarray, np.ndarray]:
    was_training = net.training
    net.eval()
    lengths = np.array([max(s.shape[1], net.min_frames) for s in specs])
    vectors = np.zeros((len(specs), net.head[-1].out_features), dtype=np.float32)
    embeds = np.zeros((len(specs), net.dense[-2].out_features), dtype=np.float32)
    with torch.no_grad():
        for length in np.unique(lengths):
            group = np.flatnonzero(lengths == length)
            step = max(1, PREDICT_FRAMES // int(length))
            for start in range(0, len(group), step):
                idx = group[start:start + step]
                x = np.full((len(idx), specs[idx[0]].shape[0], length), FLOOR_DB, dtype=np.float32)
                for b, i in enumerate(idx):
                    x[b, :, :specs[i].shape[1]] = specs[i]
                e = net.embed(torch.from_numpy(x).to(dev))
                embeds[idx] = e.cpu().numpy()
                vectors[idx] = net.head(e).cpu().numpy()
    net.train(was_training)
    return vectors, embeds

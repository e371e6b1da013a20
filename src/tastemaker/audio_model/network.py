"""The convolutional network: a log-mel spectrogram in, a collaborative-filtering vector out.

    spectrogram (n_mels, T)
      → standardise each band (mean and std of the training set, stored with the weights)
      → 4 × [1-D convolution over time across all bands → batch norm → ReLU → max-pool over time]
      → global temporal pooling: mean ‖ max ‖ L2 (root mean square) of each feature over all of T
      → dense → ReLU → dense → ReLU (the *embedding*) → dense → vector (dim of the CF vectors)

Convolutions are "valid" and the pooling is global, so the network takes any T ≥ `min_frames`
(shorter inputs are padded with the silence floor). As in Dieleman & Schrauwen (2014) and van den
Oord et al. (2013), the network learns to place a track among the ones users love from its sound.
"""

from __future__ import annotations

import torch
from torch import nn

from .mels import FLOOR_DB


class AudioCNN(nn.Module):
    """Four temporal convolutions, global mean/max/L2 pooling, three dense layers.

    Parameters: ``n_mels`` input bands, ``channels`` feature maps per convolution, ``kernel``
    width in frames, ``pools`` max-pool sizes after the first three convolutions, ``hidden``
    width of the dense layers, ``out_dim`` dimension of the predicted vector, ``dropout`` before
    the last layer.
    """

    def __init__(self, *, n_mels: int = 128, channels: int = 64, kernel: int = 4,
                 pools: tuple[int, int, int] = (4, 2, 2), hidden: int = 256, out_dim: int = 64,
                 dropout: float = 0.1):
        super().__init__()
        self.kernel, self.pools = kernel, tuple(pools)
        layers: list[nn.Module] = []
        c_in = n_mels
        for i in range(4):
            layers += [nn.Conv1d(c_in, channels, kernel), nn.BatchNorm1d(channels), nn.ReLU()]
            if i < 3:
                layers.append(nn.MaxPool1d(self.pools[i]))
            c_in = channels
        self.convs = nn.Sequential(*layers)
        self.dense = nn.Sequential(nn.Linear(3 * channels, hidden), nn.ReLU(),
                                   nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, out_dim))
        self.register_buffer("band_mean", torch.zeros(n_mels))
        self.register_buffer("band_std", torch.ones(n_mels))

    @property
    def min_frames(self) -> int:
        """The shortest input that leaves at least one frame after the last convolution."""
        t = 1 + self.kernel - 1
        for p in reversed(self.pools):
            t = t * p + self.kernel - 1
        return t

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, n_mels, T) → (B, 3·channels): mean, max and L2 over time of the last convolution."""
        if x.shape[-1] < self.min_frames:
            x = nn.functional.pad(x, (0, self.min_frames - x.shape[-1]), value=FLOOR_DB)
        x = (x - self.band_mean[:, None]) / self.band_std[:, None]
        h = self.convs(x)
        return global_pool(h)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, n_mels, T) → (B, hidden): the penultimate layer, the track's sound as a vector."""
        return self.dense(self.features(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, n_mels, T) → (B, out_dim): the predicted collaborative vector."""
        return self.head(self.embed(x))


def global_pool(h: torch.Tensor) -> torch.Tensor:
    """(B, C, T) → (B, 3C): per feature its mean, max and L2 norm (root mean square) over T."""
    return torch.cat([h.mean(dim=-1), h.amax(dim=-1), torch.sqrt((h * h).mean(dim=-1) + 1e-8)], dim=1)

"""The audio model: a convolutional network that predicts a track's collaborative vector from its
sound, so that a track nobody has played yet can be scored for every user (issue #5).

- `mels`: log-mel spectrograms of a 30-second excerpt from the middle, cached by content hash;
- `network`: the CNN (four temporal convolutions, mean/max/L2 pooling, three dense layers);
- `model`: `AudioModel` (fit with validation and early stopping, predict, save/load);
- `predict`: where tracks' audio is, predicted vectors in the warehouse (``audio_vectors``);
- `train`: the train stage (``tastemaker train audio``);
- `evaluate`: the cold-start evaluation (``tastemaker evaluate --cold audio``).
"""

from .mels import MelParams, Mels, log_mel, many_mels, track_mels
from .model import AudioModel

__all__ = ["AudioModel", "MelParams", "Mels", "log_mel", "many_mels", "track_mels"]

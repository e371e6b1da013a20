"""The audio analyser: Echo Nest-style analysis of any audio file, and what feeds it.

- `io`: decoding (`load_audio`, `decode`), one validation helper;
- `frames`: the per-track intermediates computed once (STFT, mel, chroma, onsets, MFCCs);
- `rhythm`, `key`, `structure`, `features`: estimators that take those intermediates;
- `analysis`: the assembled `audio-analysis` document and the flat audio-features row;
- `batch`: many files in parallel worker processes, cached by content hash;
- `synth`: a synthetic labelled test set with exact ground truth; `evaluate`: its scoring.

    >>> from tastemaker.audio import analyse_file
    >>> doc = analyse_file("song.flac")
"""

from .analysis import ANALYSER_VERSION, analyse_file, features_file
from .io import load_audio

__all__ = ["ANALYSER_VERSION", "analyse_file", "features_file", "load_audio"]

"""The catalogue of a demo world: artists with names, styles and popularity; tracks with audio
parameters, albums and release dates (see `tastemaker.demo.world` for the story)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .styles import (CODAS, ONSETS, TITLE_ADJ, TITLE_NOUN, VOWELS, WORD_NAMES, Style,
                     style_similarity)


@dataclass(frozen=True)
class Catalogue:
    """The catalogue as aligned numpy arrays, one entry per track (what listening draws from)."""

    artist: np.ndarray       # int32 artist index
    style: np.ndarray        # int16 style index
    scene: np.ndarray        # int16 scene within the style
    weight: np.ndarray       # float64 artist popularity × track quality
    quality: np.ndarray      # float64
    available: np.ndarray    # int16 first logged week it can be played (weeks = never: cold)
    duration_ms: np.ndarray  # int64
    track_ids: np.ndarray    # str
    artist_ids: np.ndarray   # str, per artist


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(5, len(str(n - 1)))
    return np.char.add(prefix, np.char.zfill(np.arange(n).astype(str), width)).astype(object)


def _categorical(rng, p: np.ndarray, size: int) -> np.ndarray:
    cum = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(p) - 1)


def _word(rng, syllables: int, coda: bool = True) -> str:
    parts = [ONSETS[rng.integers(len(ONSETS))] + VOWELS[rng.integers(len(VOWELS))]
             for _ in range(syllables)]
    end = CODAS[rng.integers(len(CODAS))] if coda else ""
    return ("".join(parts) + end).capitalize()


def _artist_names(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pronounceable fake names, all different; a few are common English words."""
    n_word = min(len(WORD_NAMES), max(3, round(0.03 * n))) if n >= 20 else 0
    word_at = rng.choice(n, n_word, replace=False) if n_word else np.array([], dtype=int)
    names = np.empty(n, dtype=object)
    names[word_at] = [WORD_NAMES[i] for i in rng.permutation(len(WORD_NAMES))[:n_word]]
    seen = set(names[word_at])
    for i in range(n):
        if names[i] is not None:
            continue
        for attempt in range(50):
            form = rng.random()
            if form < 0.45:
                name = f"{_word(rng, 1 + rng.integers(2))} {_word(rng, 2 + rng.integers(2))}"
            elif form < 0.75:
                name = f"The {_word(rng, 2, coda=False)}s"
            else:
                name = _word(rng, 2 + rng.integers(2))
            if attempt == 49:
                name = f"{name} {i}"
            if name not in seen:
                break
        seen.add(name)
        names[i] = name
    is_word = np.zeros(n, dtype=bool)
    is_word[word_at] = True
    return names, is_word


def _titles(rng, n: int) -> np.ndarray:
    nouns = np.array(TITLE_NOUN, dtype=object)
    adj = np.array(TITLE_ADJ, dtype=object)[rng.integers(len(TITLE_ADJ), size=n)]
    i = rng.integers(len(nouns), size=n)
    noun, noun2 = nouns[i], nouns[(i + rng.integers(1, len(nouns), size=n)) % len(nouns)]
    form = rng.random(n)
    return np.where(form < 0.6, adj + " " + noun,
                    np.where(form < 0.8, noun, np.where(form < 0.9, "The " + adj + " " + noun,
                                                        noun + " of the " + noun2)))


def _pick_from_lists(rng, lists: list[tuple], idx: np.ndarray, prefer=None) -> np.ndarray:
    """For each entry, one element of ``lists[idx]`` (uniformly, or ``prefer`` where given)."""
    width = max(len(x) for x in lists)
    table = np.array([list(x) + [x[0]] * (width - len(x)) for x in lists])
    lengths = np.array([len(x) for x in lists])
    pos = (rng.random(len(idx)) * lengths[idx]).astype(np.int64)
    if prefer is not None:
        pos = np.where(prefer >= 0, prefer % lengths[idx], pos)
    return table[idx, pos]


def build_catalogue(params, styles: tuple[Style, ...], rng):
    """Artists and tracks (DataFrames, with ground truth) and the aligned `Catalogue` arrays."""
    n_a, n_t, weeks = params.n_artists, params.n_tracks, params.weeks
    sim = style_similarity(styles)
    style_pop = np.array([s.popularity for s in styles])

    # artists: main style, maybe a neighbouring secondary one, a scene, a heavy-tailed popularity
    a_style = _categorical(rng, style_pop, n_a)
    neigh = sim[a_style] * (1 - np.eye(len(styles))[a_style])
    cum = np.cumsum(neigh, axis=1)
    a_second = (cum < rng.random(n_a)[:, None] * cum[:, -1:]).sum(1)
    a_second = np.where(rng.random(n_a) < 0.33, a_second, -1)
    a_scene = rng.integers(params.scenes, size=n_a)
    a_pop = rng.lognormal(0.0, 1.2, size=n_a)
    a_pop /= a_pop.mean()
    names, is_word = _artist_names(rng, n_a)
    artist_ids = _ids("a", n_a)

    # tracks: at least one per artist, popular artists a few more
    extra = rng.multinomial(n_t - n_a, a_pop ** 0.3 / (a_pop ** 0.3).sum())
    t_artist = np.repeat(np.arange(n_a), 1 + extra)
    second = a_second[t_artist]
    use_second = (second >= 0) & (rng.random(n_t) < 0.3)
    t_style = np.where(use_second, second, a_style[t_artist])
    t_scene = np.where(use_second, rng.integers(params.scenes, size=n_t), a_scene[t_artist])
    quality = rng.lognormal(0.0, 0.6, size=n_t)

    # audio parameters from the style; the scene picks a tempo band and a favourite instrument
    st = list(styles)
    ranges = {a: np.array([getattr(s, a) for s in st], dtype=np.float64)[t_style]
              for a in ("tempo", "loudness", "density", "duration")}

    def within(name: str, frac: np.ndarray) -> np.ndarray:
        return ranges[name][:, 0] + frac * (ranges[name][:, 1] - ranges[name][:, 0])

    band = np.clip(rng.normal((t_scene + 0.5) / params.scenes, 0.2), 0, 1)
    tempo = np.round(within("tempo", band), 1)
    u = rng.random((3, n_t))
    loudness = np.round(within("loudness", u[0]), 1)
    density = np.round(within("density", u[1]), 2)
    duration_ms = np.round(within("duration", u[2]) * 1000).astype(np.int64)
    key = _pick_from_lists(rng, [s.keys for s in st], t_style)
    key = np.where(rng.random(n_t) < 0.8, key, rng.integers(12, size=n_t))
    mode = (rng.random(n_t) < np.array([s.major for s in st])[t_style]).astype(np.int8)
    metre = np.where(rng.random(n_t) < np.array([s.triple for s in st])[t_style], 3, 4)
    timbre = _pick_from_lists(rng, [s.timbres for s in st], t_style,
                              prefer=np.where(rng.random(n_t) < 0.6, t_scene, -1))

    # albums of 3-10 tracks per artist, released before the window
    first = np.concatenate([[0], np.cumsum(1 + extra)[:-1]])
    pos = np.arange(n_t) - first[t_artist]
    album_size = rng.integers(3, 11, size=n_a)
    album_key = t_artist.astype(np.int64) * n_t + pos // album_size[t_artist]
    _, album = np.unique(album_key, return_inverse=True)
    n_albums = album.max() + 1
    album_title = _titles(rng, n_albums)[album]
    album_days = 1 + np.minimum(rng.exponential(1200.0, size=n_albums), 15_000).astype(np.int64)
    released = np.datetime64(params.start) - album_days[album].astype("timedelta64[D]")

    # fresh releases (played from their Monday on) and cold singles (released, never played)
    available = np.zeros(n_t, dtype=np.int16)
    n_cold = min(round(params.cold_share * n_t), n_t - 1)
    n_fresh = min(round(params.fresh_share * n_t), n_t - 1 - n_cold)
    chosen = rng.permutation(n_t)[:n_cold + n_fresh]
    cold, fresh = chosen[:n_cold], chosen[n_cold:]
    fresh_week = rng.integers(1, weeks, size=n_fresh)
    available[fresh] = fresh_week
    available[cold] = weeks
    released[fresh] = np.datetime64(params.start) + (7 * fresh_week).astype("timedelta64[D]")
    released[cold] = (np.datetime64(params.test_week_start)
                      + rng.integers(7, size=n_cold).astype("timedelta64[D]"))
    titles = _titles(rng, n_t)
    album_title[chosen] = titles[chosen] + " (single)"

    track_ids = _ids("t", n_t)
    style_names = np.array([s.name for s in st], dtype=object)
    tracks = pd.DataFrame({
        "track_id": track_ids, "title": titles, "artist_id": artist_ids[t_artist],
        "artist_name": names[t_artist], "album": album_title, "duration_ms": duration_ms,
        "released": released.astype("datetime64[D]"), "style": style_names[t_style],
        "uri": "audio/" + track_ids + ".wav",
        "tempo": tempo, "key": key.astype(np.int64), "mode": mode.astype(np.int64),
        "time_signature": metre.astype(np.int64), "loudness": loudness, "density": density,
        "timbre": timbre.astype(np.int64),
        "scene": t_scene.astype(np.int64), "quality": np.round(quality, 4),
        "available_week": available.astype(np.int64), "cold": available == weeks,
    })
    artists = pd.DataFrame({
        "artist_id": artist_ids, "name": names, "style": style_names[a_style],
        "secondary_style": np.where(a_second >= 0, style_names[np.maximum(a_second, 0)], None),
        "scene": a_scene.astype(np.int64), "popularity": np.round(a_pop, 4), "word_name": is_word,
    })
    catalogue = Catalogue(
        artist=t_artist.astype(np.int32), style=t_style.astype(np.int16),
        scene=t_scene.astype(np.int16), weight=a_pop[t_artist] * quality, quality=quality,
        available=available, duration_ms=duration_ms, track_ids=track_ids,
        artist_ids=artist_ids)
    return artists, tracks, catalogue

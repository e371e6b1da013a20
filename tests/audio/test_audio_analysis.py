"""The assembled document: Echo Nest shape, defined answers for odd files."""

import json
import warnings

import numpy as np
import pytest

from .audio_helpers import spec, write_item
from tastemaker.audio import analyse_file, features_file
from tastemaker.audio.analysis import ANALYSER_VERSION
from tastemaker.audio.features import FIELDS
from tastemaker.errors import AudioError

TRACK_FIELDS = {"duration", "loudness", "tempo", "tempo_confidence", "time_signature",
                "time_signature_confidence", "key", "key_confidence", "mode", "mode_confidence",
                "end_of_fade_in", "start_of_fade_out"}
SECTION_FIELDS = {"start", "duration", "confidence", "loudness", "tempo", "tempo_confidence", "key",
                  "key_confidence", "mode", "mode_confidence", "time_signature",
                  "time_signature_confidence"}
SEGMENT_FIELDS = {"start", "duration", "confidence", "loudness_start", "loudness_max",
                  "loudness_max_time", "loudness_end", "pitches", "timbre"}


@pytest.fixture(scope="module")
def item_doc(tmp_path_factory):
    s = spec(tempo=120.0, tonic=2, mode=1, meter=3, bars=16, fade_in=3.0, target_lufs=-18.0)
    path = write_item(tmp_path_factory.mktemp("doc"), s)
    return s, analyse_file(path)


def test_document_has_the_echo_nest_shape(item_doc):
    s, doc = item_doc
    json.dumps(doc)                                      # plain JSON all the way down
    assert doc["meta"]["analyzer_version"] == ANALYSER_VERSION and doc["meta"]["status_code"] == 0
    assert TRACK_FIELDS <= set(doc["track"])
    for name in ("bars", "beats", "tatums"):
        assert doc[name] and all(set(e) == {"start", "duration", "confidence"} for e in doc[name])
        starts = [e["start"] for e in doc[name]]
        assert starts == sorted(starts)
        assert all(0 <= e["confidence"] <= 1 and e["duration"] >= 0 for e in doc[name])
    assert len(doc["tatums"]) >= len(doc["beats"]) >= len(doc["bars"])
    assert all(SECTION_FIELDS <= set(x) for x in doc["sections"])
    assert doc["sections"][0]["start"] == 0.0
    for seg in doc["segments"]:
        assert SEGMENT_FIELDS <= set(seg)
        assert len(seg["pitches"]) == 12 and len(seg["timbre"]) == 12
        assert max(seg["pitches"]) in (0.0, 1.0)
        assert seg["loudness_max"] >= seg["loudness_start"] - 1e-6
        assert 0 <= seg["loudness_max_time"] <= seg["duration"] + 1e-6
    total = sum(seg["duration"] for seg in doc["segments"])
    assert total == pytest.approx(doc["track"]["duration"], abs=0.1)
    assert set(doc["audio_features"]) == set(FIELDS)


def test_document_values_match_the_generator(item_doc):
    s, doc = item_doc
    t = doc["track"]
    assert t["tempo"] == pytest.approx(s.tempo, rel=0.04)
    assert (t["key"], t["mode"], t["time_signature"]) == (2, 1, 3)
    assert t["loudness"] == pytest.approx(-18.0, abs=0.5)
    assert t["duration"] == pytest.approx(s.duration, abs=0.01)
    assert 1.5 < t["end_of_fade_in"] < 3.5
    beat_gaps = np.diff([b["start"] for b in doc["beats"]])
    assert np.median(beat_gaps) == pytest.approx(0.5, abs=0.02)
    bar_gaps = np.diff([b["start"] for b in doc["bars"]])
    assert np.median(bar_gaps) == pytest.approx(1.5, abs=0.03)


def test_flat_features_alone(item_doc, tmp_path):
    s, doc = item_doc
    path = write_item(tmp_path, s)
    flat = features_file(path)
    assert flat == {**doc["audio_features"]}


def test_silence_document(bad_files):
    doc = analyse_file(bad_files["silence"])
    t = doc["track"]
    assert (t["tempo"], t["tempo_confidence"], t["key"], t["key_confidence"]) == (0.0, 0.0, -1, 0.0)
    assert t["loudness"] == -70.0 and doc["beats"] == doc["bars"] == doc["tatums"] == []
    assert len(doc["sections"]) == 1 and len(doc["segments"]) == 1
    assert "silence" in doc["meta"]["detailed_status"]
    assert doc["audio_features"]["energy"] == 0.0 and doc["audio_features"]["danceability"] == 0.0


@pytest.mark.parametrize("name", ["one_second", "mono", "six_channel", "rate_8k", "rate_192k",
                                  "truncated"])
def test_odd_files_get_a_full_document(bad_files, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)     # nothing for the user to puzzle over
        doc = analyse_file(bad_files[name])
    assert doc["meta"]["status_code"] == 0
    assert TRACK_FIELDS <= set(doc["track"])
    assert doc["track"]["duration"] > 0
    assert 0 <= doc["track"]["tempo_confidence"] <= 1
    json.dumps(doc)
    if name == "truncated":
        assert "truncated" in doc["meta"]["detailed_status"]
    if name == "one_second":
        assert "very short" in doc["meta"]["detailed_status"]


def test_click_tracks_at_odd_rates_keep_their_tempo(bad_files):
    assert analyse_file(bad_files["rate_8k"])["track"]["tempo"] == pytest.approx(100, rel=0.04)
    assert analyse_file(bad_files["rate_192k"])["track"]["tempo"] == pytest.approx(100, rel=0.04)
    assert analyse_file(bad_files["mono"])["track"]["tempo"] == pytest.approx(120, rel=0.04)


def test_three_hour_file_is_analysed_up_to_the_limit(bad_files):
    doc = analyse_file(bad_files["three_hours"], max_duration=20.0)
    assert doc["track"]["duration"] == pytest.approx(10800.0)
    assert doc["track"]["window_seconds"] == pytest.approx(20.0)
    assert "analysed the first 20 s of 10800 s" in doc["meta"]["detailed_status"]
    assert doc["track"]["tempo"] == pytest.approx(120, rel=0.04)


@pytest.mark.parametrize("name,reason", [("empty", "empty"), ("text_mp3", "text, not audio")])
def test_unreadable_files_raise_with_the_reason(bad_files, name, reason):
    with pytest.raises(AudioError, match=reason):
        analyse_file(bad_files[name])

"""The query layer: what a reader asks of a home, answered as dataclasses.

The command line (``weekly show``, ``status``, ``similar``, ``terms``, …) and the HTTP service
call these same functions; each takes an open engine (read-only is enough) and the settings
where it needs models.

* `weeks` — `latest_week`, `user_list` (a user's list with reasons, model versions and when it
  was written), `user_weeks`, `list_feedback` (what a user did with a list), `feedback_report`;
* `catalogue` — `track`, `track_analysis`, `track_features`, `artist_terms`, `comentioned`;
* `similar` — neighbours of a track, artist or user by a model's vectors;
* `status` — tables, models and weeks of a home.
"""

from .catalogue import (ArtistTerms, Comention, Term, Track, artist_terms, comentioned, track, track_analysis,
                        track_features)
from .similar import KINDS as SIMILAR_KINDS
from .similar import Neighbour, similar
from .status import ModelInfo, Status, models, status
from .weeks import (FeedbackReport, ListFeedback, ListedTrack, TrackFeedback, UserWeek, feedback_report,
                    latest_week, list_feedback, listed_users, user_list, user_weeks, weeks)

__all__ = ["ArtistTerms", "Comention", "FeedbackReport", "ListFeedback", "ListedTrack", "ModelInfo", "Neighbour",
           "SIMILAR_KINDS", "Status", "Term", "Track", "TrackFeedback", "UserWeek", "artist_terms", "comentioned",
           "feedback_report", "latest_week", "list_feedback", "listed_users", "models", "similar", "status", "track",
           "track_analysis", "track_features", "user_list", "user_weeks", "weeks"]

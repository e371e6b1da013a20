"""The evaluation stage: splits, ranking metrics at K, an evaluator over the `Recommender`
protocol, a small parameter search, and reports.

Data flow of `tastemaker evaluate`:

1. `splits.warehouse_split` cuts the warehouse's events into train and test: by time (the last
   full week's new plays) when the events carry timestamps, else a seeded per-user hold-out.
2. `splits.validation_split` cuts train again by the same rule; `search.search` tries each
   model's grid on it and keeps the best NDCG@K.
3. `runner.evaluate_model` fits each chosen model on the full train, asks it (in batches, through
   ``recommend``) for K unheard items per test user and scores the lists with `metrics`.
4. `report.markdown` and `report.write_json` show the side-by-side result.
"""

from .metrics import METRICS, ranking_metrics
from .runner import MODELS, ModelResult, evaluate_model, evaluate_models, make_model
from .search import GRIDS, Comparison, SearchResult, compare, search
from .splits import (Interactions, Split, cold_item_split, holdout_split, time_split,
                     validation_split, warehouse_split)

__all__ = [
    "METRICS", "MODELS", "GRIDS", "Comparison", "Interactions", "ModelResult", "SearchResult",
    "Split", "cold_item_split", "compare", "evaluate_model", "evaluate_models", "holdout_split",
    "make_model", "ranking_metrics", "search", "time_split", "validation_split", "warehouse_split",
]

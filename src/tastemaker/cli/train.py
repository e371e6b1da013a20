"""`tastemaker train [collaborative|text|audio|ranker]`"""

from __future__ import annotations

import dataclasses
from typing import Optional

import typer

from ..train import TUNED, train_collaborative
from . import common

train_app = typer.Typer(help="Train the models on everything in the warehouse.", invoke_without_command=True)


@train_app.callback()
def _default(ctx: typer.Context):
    """With no subcommand, trains every model that has data: collaborative (ALS and the item-item
    model), text (when there are documents or tags), audio (when tracks have audio), and the
    blend's ranker and weights (from the last weeks, or from a hold-out when events have no
    timestamps)."""
    if ctx.invoked_subcommand is None:
        from ..errors import InputError
        run_collaborative()
        try:
            run_text()
        except InputError as exc:
            common.console.print(f"[yellow]No text model trained[/]: {common.esc(str(exc))}", markup=True)
        if _has_audio():
            run_audio()
        try:
            run_ranker()
        except InputError as exc:
            common.console.print(f"[yellow]No ranker trained[/]: {common.esc(str(exc))}", markup=True)


@train_app.command("collaborative")
def collaborative_cmd(
    factors: Optional[int] = typer.Option(None, help="Dimension of the vectors, not tuned [config: als.factors]"),
    regularization: Optional[float] = typer.Option(None, help="λ, not tuned [config: als.regularization]"),
    confidence_scale: Optional[float] = typer.Option(
        None, help="Stretch of the confidence ALS fits, not tuned [config: als.confidence_scale]"),
    iterations: Optional[int] = typer.Option(None, help="ALS sweeps [config: als.iterations]"),
    seed: Optional[int] = typer.Option(None, help="Random seed [config: als.seed]"),
    validate: bool = typer.Option(False, "--validate", help="Also fit on an 80/20 hold-out and "
                                  "record its metrics in the model's manifest (twice the time)"),
):
    """Implicit-feedback ALS on the confidence of all signals; the factors, λ and confidence scale
    not given here are chosen on a validation split of the home's events ([als] tune)."""
    run_collaborative(validate, factors=factors, regularization=regularization,
                      confidence_scale=confidence_scale, iterations=iterations, seed=seed)


def run_collaborative(validate: bool = False, **overrides) -> None:
    settings = common.settings()
    given = {k: v for k, v in overrides.items() if v is not None}
    fixed = {f"tune_{k}": (given[k],) for k in TUNED if k in given}   # a value given is used as it is
    params = dataclasses.replace(settings.als, **given, **fixed) if given else settings.als
    with common.engine() as engine:
        result = train_collaborative(engine, settings, params=params, validate=validate)
    m = result.manifest
    model = result.model
    spark = m.get("spark")
    reg = (f"regularisation {model.regularization:g}" if not spark else
           f"MLlib regularisation {spark['reg_param']:.4g} per positive pair"
           + (f" (mapped from {model.regularization:g})" if spark["reg_param_mapped"] else ""))
    common.console.print(
        f"collaborative model {result.version}: {m['n_users']:,} users × {m['n_items']:,} tracks, "
        f"{m['nnz']:,} pairs, {model.factors} factors, {reg}, "
        f"{'on Spark ' + spark['master'] + ', ' if spark else ''}confidence scale {model.confidence_scale:g}, fitted in {m['fit_seconds']:.1f} s\n"
        f"  {tuning_line(m.get('tuning', {}), given)}\n"
        f"  saved in {settings.models_dir / 'collaborative' / result.version}", highlight=False)
    if m["metrics"]:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in m["metrics"].items()
                          if k.split("@")[0] in ("ndcg", "recall", "coverage"))
        common.console.print(f"  hold-out: {shown} ({m['metrics']['protocol']})")


def tuning_line(tuning: dict, given: dict) -> str:
    """How the collaborative model's parameters were chosen, in one line."""
    words = {"factors": "factors", "regularization": "regularisation", "confidence_scale": "confidence scale"}
    fixed = [words[k] for k in TUNED if k in given]
    named = ", ".join(fixed) + " given on the command line" if fixed else ""
    if not tuning.get("tuned"):
        return "as set (" + (named or tuning.get("reason", "not tuned")) + ")"
    tried = sorted(tuning["tried"], key=lambda t: -t["score"])
    runner_up = tried[1] if len(tried) > 1 else None
    return (f"chosen on {tuning['split']} validation ({tuning['users']:,} users): {tuning['metric']} "
            f"{tuning['score']:.4f}, best of {len(tried)} tried" +
            (f" (next: {runner_up['factors']} factors, λ {runner_up['regularization']:g}, scale "
             f"{runner_up['confidence_scale']:g}, {runner_up['score']:.4f})" if runner_up else "") +
            (f"; {named}" if named else ""))


@train_app.command("text")
def text_cmd(
    half_life_days: Optional[float] = typer.Option(None, help="Newer text counts more: a document this "
                                                   "many days older than the newest counts half [config: text.half_life_days]"),
    min_support: Optional[int] = typer.Option(None, help="Documents that must use a term [config: text.min_support]"),
    tagger: Optional[str] = typer.Option(None, help="perceptron (shipped) or spacy [config: text.tagger]"),
    redo: bool = typer.Option(False, "--redo", help="Re-analyse every document (after a catalogue change)"),
    embeddings: bool = typer.Option(False, "--embeddings", help="Also dense MiniLM artist embeddings "
                                    "(pip install 'tastemaker[text-embeddings]')"),
):
    """Text model: terms and mentions of new documents, top terms, co-mentions, term vectors."""
    run_text(redo=redo, embeddings=embeddings, half_life_days=half_life_days, min_support=min_support,
             tagger=tagger)


def run_text(*, redo: bool = False, embeddings: bool = False, **overrides) -> None:
    from ..text import train_text

    settings = common.settings()
    given = {k: v for k, v in overrides.items() if v is not None}
    params = dataclasses.replace(settings.text, **given)
    with common.engine() as engine:
        result = train_text(engine, settings, params=params, redo=redo, embeddings=embeddings)
    m = result.manifest
    common.console.print(
        f"text model {result.version}: {m['documents']:,} documents ({m['analysed_now']:,} new), "
        f"{m['terms']:,} top terms, {m['artists_with_vectors']:,} artists with vectors of "
        f"{m['dimensions']:,} terms, {m['comention_pairs']:,} co-mention pairs, {m['total_seconds']:.1f} s\n"
        f"  saved in {settings.models_dir / 'text' / result.version}")


@train_app.command("audio")
def audio_cmd(
    min_plays: Optional[int] = typer.Option(None, help="Train on tracks with at least this many plays; "
                                            "fewer: cold [config: audio_model.min_plays]"),
    max_epochs: Optional[int] = typer.Option(None, help="Epochs at most [config: audio_model.max_epochs]"),
    seed: Optional[int] = typer.Option(None, help="Random seed [config: audio_model.seed]"),
):
    """Audio model: a CNN on mel-spectrograms that predicts each track's collaborative vector."""
    run_audio(min_plays=min_plays, max_epochs=max_epochs, seed=seed)


def _has_audio() -> bool:
    """Whether some track's audio file is there (then a bare `train` trains audio too)."""
    from pathlib import Path

    from ..audio_model.predict import track_files

    with common.engine(read_only=True) as engine:
        files = track_files(engine, common.settings())
    return any(Path(p).is_file() for p in files.paths[:200])


def run_audio(**overrides) -> None:
    from ..audio_model.train import train_audio

    settings = common.settings()
    given = {k: v for k, v in overrides.items() if v is not None}
    params = dataclasses.replace(settings.audio_model, **given)
    with common.engine() as engine:
        result = train_audio(engine, settings, params=params)
    m, t = result.manifest, result.manifest["tracks"]
    p = m["predicted"]
    common.console.print(
        f"audio model {result.version} (against collaborative {m['collaborative_version']}): "
        f"trained on {t['trained_on']:,} tracks (+{t['validation']:,} validation), {m['epochs']} epochs, "
        f"validation MSE {m['best_val_mse']:.4f}, {m['fit_seconds']:.0f} s on {m['device']}\n"
        f"  predicted vectors for {p['ok']:,} tracks ({p['short']:,} shorter than the excerpt, padded); "
        f"{p['failed']:,} skipped (unreadable audio, reasons in table audio_vectors)\n"
        f"  saved in {settings.models_dir / 'audio' / result.version}")
    for reason in p["reasons"]:
        common.console.print(f"  [yellow]skipped[/]: {common.esc(reason)}", markup=True, highlight=False)


@train_app.command("ranker")
def ranker_cmd(
    week: Optional[str] = typer.Option(None, help="Newest week whose new plays are the labels, e.g. 2026-W47 "
                                       "(default: the last full week of events); the [blend] ranker_weeks "
                                       "- 1 weeks before it are used too"),
):
    """Learned ranker of the weekly blend (LightGBM lambdarank) on time splits of the last weeks."""
    run_ranker(week)


def run_ranker(week: str | None = None) -> None:
    import datetime as dt

    from ..blend.rank import LIGHT, MIN_SEGMENT_USERS, chosen_rankings
    from ..blend.train import train_ranker
    from ..train import tuned_settings
    from ..weekly.weeks import parse_week

    settings = tuned_settings(common.settings())       # the ALS of the saved collaborative model
    start = dt.datetime.combine(parse_week(week), dt.time()) if week else None
    with common.engine() as engine:
        r = train_ranker(engine, settings, week_start=start)
    h = r.held_out
    labels = ("a seeded 20 % hold-out of each user's tracks (the events have no timestamps)"
              if r.weeks == ["hold-out"] else ", ".join(r.weeks))
    main, light = chosen_rankings(h)
    names = {"learned": "learned ranker", "fixed": "fixed blend", "collaborative": "collaborative order"}
    seg = h.get("little history", {})
    why = ("too few of them to trust a blend" if seg.get("users", 0) < MIN_SEGMENT_USERS
           else "better on them")
    winner = names[main] + ("" if light == main else f" ({names[light]} for users with little history: {why})")
    w = r.weights
    tried = next((t for t in r.tried if all(t.get(k) == v for k, v in w.items())), {})
    common.console.print(
        f"ranker {r.version}: labels from {labels}, {r.users:,} user-weeks with a new "
        f"play among their candidates, {r.rows:,} candidates ({r.seconds:.0f} s)\n"
        f"  fixed blend's weights chosen: w_pop {w['w_pop']}, w_text {w['w_text']}, w_audio {w['w_audio']}, "
        f"w_item {w['w_item']}" + (f" (held-out recall {tried['recall']:.3f}, catalogue coverage {tried['coverage']:.3f}; "
                                   f"[blend] discovery {settings.blend.discovery})" if "coverage" in tried else "") +
        f"\n  the weekly job will use the {winner}"
        f"\n  every user-week ({h['users']:,}), the ranker's lists out of fold ({h.get('folds', 1)} folds over "
        f"users), recall / NDCG at the list size: " +
        ", ".join(f"{name} {h[name]['recall']:.3f} / {h[name]['ndcg']:.3f}"
                  for name in ("learned", "fixed", "collaborative")) +
        (f"\n  of them with fewer than {LIGHT} liked tracks ({seg['users']:,}): " +
         ", ".join(f"{name} {seg[name]['recall']:.3f} / {seg[name]['ndcg']:.3f}"
                   for name in ("learned", "fixed", "collaborative")) if seg.get("users") else "") +
        "\n  most useful features: " + ", ".join(f"{k} {v:.2f}" for k, v in list(r.importance.items())[:5]) +
        f"\n  saved in {settings.models_dir / 'ranker' / r.version}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")

"""Plots drawn on the server as SVG text (no plotting library in the page, nothing fetched)."""

from __future__ import annotations

from xml.sax.saxutils import escape

WIDTH, HEIGHT, PAD = 640, 220, 36


def flow_svg(title: str, series: dict[str, list[float | None]], units: dict[str, str],
             ends: tuple[str, str] | None = None, names: dict[str, list[str]] | None = None) -> str:
    """Lines over the positions of a list (1, 2, …; or the labels `ends` at its two ends): each
    series scaled to its own range, its range written in the legend (with `names` for the
    values, e.g. keys). A position without a value leaves a gap."""
    n = max((len(v) for v in series.values()), default=0)
    colours = ["#1b7f5b", "#b5482a", "#3b5ba5", "#8a5a9e"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>']
    drawn = 0
    for i, (name, values) in enumerate(series.items()):
        known = [v for v in values if v is not None]
        if not known or n < 1:
            continue
        low, high = min(known), max(known)
        span = (high - low) or 1.0
        colour = colours[i % len(colours)]
        points, segment = [], []
        for pos, v in enumerate(values):
            if v is None:
                if segment:
                    points.append(segment)
                segment = []
                continue
            x = PAD + (WIDTH - 2 * PAD) * (pos / max(1, n - 1))
            y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * ((v - low) / span)
            segment.append(f"{x:.1f},{y:.1f}")
        if segment:
            points.append(segment)
        for seg in points:
            parts.append(f'<polyline class="series" data-series="{escape(name)}" fill="none" '
                         f'stroke="{colour}" stroke-width="2" points="{" ".join(seg)}"/>')
            if len(seg) == 1:                     # a lone value: a dot, or it would not show
                cx, cy = seg[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
        label = names.get(name) if names else None
        shown = (f"{label[int(low)]} to {label[int(high)]}" if label else f"{low:.0f} to {high:.0f}")
        parts.append(f'<text x="{PAD + 200 * drawn}" y="16" font-size="12" fill="{colour}">'
                     f'{escape(name)} {escape(shown)} {escape(units.get(name, ""))}</text>')
        drawn += 1
    if not drawn:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" font-size="13" text-anchor="middle" fill="#555">'
                     'no audio analysis for these tracks yet (tastemaker analyze)</text>')
    first, last = ends or ("1", str(n))
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 12}" font-size="11" fill="#555">{escape(first)}</text>'
                 f'<text x="{WIDTH - PAD}" y="{HEIGHT - 12}" font-size="11" fill="#555" '
                 f'text-anchor="end">{escape(last)}</text></svg>')
    return "".join(parts)


PITCHES = ("C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B")


def _key_name(key, mode) -> str:
    if key is None or key < 0:
        return "key unknown"
    return f"{PITCHES[int(key) % 12]} {'major' if mode == 1 else 'minor' if mode == 0 else ''}".strip()


def analysis_svg(title: str, doc: dict, bins: int = 160) -> str:
    """A track's analysis drawn: sections as bands (with their key), loudness over time from the
    segments, beats and bars as ticks, and the chroma (12 pitch classes) as a heat map averaged
    into at most `bins` columns."""
    track = doc.get("track", {})
    duration = float(track.get("duration") or 0) or max(
        (s["start"] + s["duration"] for s in doc.get("segments", [])), default=1.0)
    width, left, right = 720, 44, 12
    plot_w = width - left - right
    loud_top, loud_h = 28, 120
    ticks_top = loud_top + loud_h + 8
    chroma_top, row_h = ticks_top + 30, 9
    height = chroma_top + 12 * row_h + 26

    def x(t: float) -> float:
        return left + plot_w * min(max(t / duration, 0.0), 1.0)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="16" font-size="12" fill="#333">{escape(_key_name(track.get("key"), track.get("mode")))}'
             f' · {float(track.get("tempo") or 0):.0f} BPM · {float(track.get("loudness") or 0):.1f} dB · '
             f'{duration:.0f} s</text>']
    for i, s in enumerate(doc.get("sections", [])):
        x0, x1 = x(s["start"]), x(s["start"] + s["duration"])
        parts.append(f'<rect class="section" x="{x0:.1f}" y="{loud_top}" width="{max(x1 - x0, 0.5):.1f}" '
                     f'height="{loud_h}" fill="{"#f1f4f9" if i % 2 else "#e3e9f3"}"/>'
                     f'<text x="{x0 + 3:.1f}" y="{loud_top + 11}" font-size="10" fill="#556">'
                     f'{escape(_key_name(s.get("key"), s.get("mode")))}</text>')
    segments = doc.get("segments", [])
    if segments:
        levels = [float(s.get("loudness_max", -60)) for s in segments]
        low, high = min(levels), max(levels)
        span = (high - low) or 1.0
        points = " ".join(f"{x(s['start'] + float(s.get('loudness_max_time', 0))):.1f},"
                          f"{loud_top + loud_h - loud_h * (v - low) / span:.1f}" for s, v in zip(segments, levels))
        parts.append(f'<polyline class="loudness" fill="none" stroke="#b5482a" stroke-width="1.2" points="{points}"/>'
                     f'<text x="{left - 4}" y="{loud_top + 10}" font-size="10" text-anchor="end" fill="#b5482a">'
                     f'{high:.0f}</text><text x="{left - 4}" y="{loud_top + loud_h}" font-size="10" '
                     f'text-anchor="end" fill="#b5482a">{low:.0f} dB</text>')
    for kind, height_, colour in (("beats", 8, "#999"), ("bars", 18, "#333")):
        ticks = "".join(f"M{x(b['start']):.1f} {ticks_top + 20 - height_}v{height_}" for b in doc.get(kind, []))
        if ticks:
            parts.append(f'<path class="{kind}" d="{ticks}" stroke="{colour}" stroke-width="1"/>')
    parts.append(f'<text x="{left - 4}" y="{ticks_top + 18}" font-size="10" text-anchor="end" fill="#333">beats</text>')
    if segments:
        columns = min(bins, len(segments))
        sums = [[0.0] * 12 for _ in range(columns)]
        weights = [0.0] * columns
        for s in segments:
            c = min(columns - 1, int(columns * s["start"] / duration))
            for p, v in enumerate(s.get("pitches", [])[:12]):
                sums[c][p] += float(v) * s["duration"]
            weights[c] += s["duration"]
        col_w = plot_w / columns
        cells = []
        for c in range(columns):
            if weights[c] <= 0:
                continue
            for p in range(12):
                level = sums[c][p] / weights[c]
                if level > 0.05:
                    cells.append(f'<rect x="{left + c * col_w:.1f}" y="{chroma_top + (11 - p) * row_h}" '
                                 f'width="{col_w + 0.3:.1f}" height="{row_h}" fill-opacity="{min(level, 1):.2f}"/>')
        parts.append(f'<g class="chroma" fill="#3b5ba5">{"".join(cells)}</g>')
        for p in (0, 4, 7, 11):
            parts.append(f'<text x="{left - 4}" y="{chroma_top + (11 - p) * row_h + 8}" font-size="9" '
                         f'text-anchor="end" fill="#3b5ba5">{PITCHES[p]}</text>')
    parts.append(f'<text x="{left}" y="{height - 8}" font-size="10" fill="#555">0 s</text>'
                 f'<text x="{width - right}" y="{height - 8}" font-size="10" fill="#555" text-anchor="end">'
                 f'{duration:.0f} s</text></svg>')
    return "".join(parts)

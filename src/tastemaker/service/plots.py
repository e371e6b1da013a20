"""Plots drawn on the server as SVG text (no plotting library in the page, nothing fetched)."""

from __future__ import annotations

from xml.sax.saxutils import escape

WIDTH, HEIGHT, PAD = 640, 220, 36


def flow_svg(title: str, series: dict[str, list[float | None]], units: dict[str, str]) -> str:
    """Lines over the positions of a list (1, 2, …): each series scaled to its own range, its
    range written in the legend. A position without a value leaves a gap."""
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
        parts.append(f'<text x="{PAD + 190 * drawn}" y="16" font-size="12" fill="{colour}">'
                     f'{escape(name)} {low:.0f} to {high:.0f} {escape(units.get(name, ""))}</text>')
        drawn += 1
    if not drawn:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" font-size="13" text-anchor="middle" fill="#555">'
                     'no audio analysis for these tracks yet (tastemaker analyze)</text>')
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 12}" font-size="11" fill="#555">1</text>'
                 f'<text x="{WIDTH - PAD}" y="{HEIGHT - 12}" font-size="11" fill="#555" '
                 f'text-anchor="end">{n}</text></svg>')
    return "".join(parts)

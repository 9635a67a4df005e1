"""Charts drawn on the server as SVG: no script and no inline style (the CSP allows neither), a title
and a description for screen readers, every colour an attribute. The analytics page's lines (per day,
decay by a post's age, followers) and the best-time heatmap's colour scale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Line colours, each at least 3:1 against white (WCAG 1.4.11, graphics).
PALETTE = ("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0f766e", "#4b5563")
INK = "#374151"  # axis text, 10:1 on white


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (x, y)


def _fmt(v: float) -> str:
    if abs(v) >= 1_000_000:
        return f"{v / 1_000_000:.1f}M"
    if abs(v) >= 10_000:
        return f"{v / 1000:.0f}k"
    if abs(v) >= 1000:
        return f"{v / 1000:.1f}k"
    return f"{v:.0f}" if float(v).is_integer() or abs(v) >= 10 else f"{v:.2f}"


def line_chart(
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    description: str,
    x_ticks: Sequence[tuple[float, str]],
    y_min: float | None = None,
    y_max: float | None = None,
    y_format: str = "",
    width: int = 640,
    height: int = 220,
) -> Markup:
    """Lines over shared axes; ``x_ticks`` place the x labels; ``y_format`` "%" shows the y axis as percents."""
    left, right, top, bottom = 52, 12, 12, 28
    xs = [x for s in series for x, _ in s.points] + [x for x, _ in x_ticks]
    ys = [y for s in series for _, y in s.points]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    y0 = min(ys + [0.0]) if y_min is None else y_min
    y1 = (max(ys) if ys else 1.0) if y_max is None else y_max
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return round(left + (x - x0) / (x1 - x0) * pw, 1)

    def py(y: float) -> float:
        return round(top + ph - (y - y0) / (y1 - y0) * ph, 1)

    def ylabel(v: float) -> str:
        return f"{v * 100:.0f}%" if y_format == "%" else _fmt(v)

    out = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title><desc id="{escape(chart_id)}-d">{escape(description)}</desc>',
    ]
    for i in range(5):
        v = y0 + (y1 - y0) * i / 4
        y = py(v)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y}" y2="{y}" stroke="#e5e7eb" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" font-size="11" fill="{INK}">{escape(ylabel(v))}</text>')
    for x, label in x_ticks:
        out.append(f'<text x="{px(x)}" y="{height - 8}" text-anchor="middle" font-size="11" fill="{INK}">{escape(label)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{py(y0)}" y2="{py(y0)}" stroke="{INK}" stroke-width="1"/>')
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        pts = " ".join(f"{px(x)},{py(y)}" for x, y in s.points)
        if len(s.points) > 1:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{pts}"/>')
        for x, y in s.points:
            out.append(
                f'<circle cx="{px(x)}" cy="{py(y)}" r="2.5" fill="{colour}"><title>{escape(s.label)}: {escape(ylabel(y))}</title></circle>'
            )
    out.append("</svg>")
    return Markup("".join(out))


def legend(series: Sequence[Series]) -> list[tuple[str, str]]:
    """(label, colour) per series, in the chart's order."""
    return [(s.label, PALETTE[n % len(PALETTE)]) for n, s in enumerate(series)]


def heat_class(lift: float) -> str:
    """A best-time cell's colour class by its expected lift over the default slots."""
    bounds = ((-0.1, "h0"), (-0.02, "h1"), (0.02, "h2"), (0.1, "h3"), (0.25, "h4"))
    for bound, name in bounds:
        if lift <= bound:
            return name
    return "h5"

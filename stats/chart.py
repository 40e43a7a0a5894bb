"""The 12-month trend chart of net lending and bond debt outstanding, drawn by the server as SVG (no script, no
CDN): two panels over the same months, bond debt as a line, net lending as bars around a zero line."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from common.templatetags.money import format_money

WIDTH, PANEL, GAP, LEFT, RIGHT, TOP = 760, 130, 40, 150, 16, 24


@dataclass(frozen=True)
class Point:
    label: str  # YYYY-MM
    net_lending: Decimal | None  # None: not computable (e.g. a missing rate)
    bond_debt: Decimal | None


def _scale(values: list[Decimal], top: float, height: float, *, with_zero: bool):
    low = min(values + ([Decimal(0)] if with_zero else []))
    high = max(values + ([Decimal(0)] if with_zero else []))
    if high == low:
        high = low + 1
    span = float(high - low)
    return (lambda v: top + height - (float(v - low) / span) * height), low, high


def trend_svg(points: list[Point]) -> SafeString:
    """The chart; each point has a <title> with its figure (a tooltip, and text for screen readers)."""
    n = max(len(points), 1)
    step = (WIDTH - LEFT - RIGHT) / n
    height = TOP + PANEL + GAP + PANEL + 30
    # xgettext does not read inside f-strings: the texts are translated here, outside them
    title = escape(_("Bond debt outstanding and net lending, 12 months"))
    debt_title = escape(_("Bond debt outstanding"))
    net_title = escape(_("Net lending"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="trend-title" class="trend-chart" style="max-width: 900px">',
        f'<title id="trend-title">{title}</title>',
        "<style>.chart-axis{font-size:10px;fill:#333}.chart-title{font-size:12px;font-weight:600}</style>",
    ]
    debt = [p.bond_debt for p in points if p.bond_debt is not None]
    net = [p.net_lending for p in points if p.net_lending is not None]

    def x(i: int) -> float:
        return LEFT + step * i + step / 2

    # Panel 1: bond debt outstanding (line)
    parts.append(f'<text x="4" y="{TOP - 8}" class="chart-title">{debt_title}</text>')
    if debt:
        y, low, high = _scale(debt, TOP, PANEL, with_zero=False)
        for value in (low, high):
            parts.append(
                f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="chart-axis">'
                f"{escape(format_money(value))}</text>"
            )
        path = [(x(i), y(p.bond_debt)) for i, p in enumerate(points) if p.bond_debt is not None]
        parts.append(
            '<polyline fill="none" stroke="#1f5f99" stroke-width="2" points="'
            + " ".join(f"{px:.1f},{py:.1f}" for px, py in path)
            + '"/>'
        )
        for i, p in enumerate(points):
            if p.bond_debt is not None:
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(p.bond_debt):.1f}" r="3.5" fill="#1f5f99" class="debt-point">'
                    f"<title>{escape(p.label)}: {escape(format_money(p.bond_debt))}</title></circle>"
                )
    # Panel 2: net lending (bars around zero)
    top2 = TOP + PANEL + GAP
    parts.append(f'<text x="4" y="{top2 - 8}" class="chart-title">{net_title}</text>')
    if net:
        y, low, high = _scale(net, top2, PANEL, with_zero=True)
        zero = y(Decimal(0))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#555"/>'
        )
        for value in (low, high):
            parts.append(
                f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="chart-axis">'
                f"{escape(format_money(value))}</text>"
            )
        for i, p in enumerate(points):
            if p.net_lending is None:
                continue
            top_y, bottom_y = sorted((y(p.net_lending), zero))
            colour = "#2e7d32" if p.net_lending >= 0 else "#b3261e"
            parts.append(
                f'<rect x="{x(i) - step * 0.3:.1f}" y="{top_y:.1f}" width="{step * 0.6:.1f}" '
                f'height="{max(bottom_y - top_y, 1):.1f}" fill="{colour}" class="net-bar">'
                f"<title>{escape(p.label)}: {escape(format_money(p.net_lending))}</title></rect>"
            )
    for i, p in enumerate(points):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" class="chart-axis">{escape(p.label)}</text>'
        )
        if p.bond_debt is None:
            parts.append(
                f'<text x="{x(i):.1f}" y="{TOP + PANEL / 2:.1f}" text-anchor="middle" class="chart-axis">–</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above

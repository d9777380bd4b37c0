"""The report's one picture: twelve weeks of spend stacked by workload, with the budget line.

Drawn with Pillow (already needed to check Chromium's screenshot in the tests) instead of
matplotlib: a stacked bar chart is a few rectangles and labels, and Pillow keeps the install small
and the PNG a few kilobytes (a palette image), so the email stays well under 100 KB. The figures
come from ``report_breakdown`` (and ``budgets`` when it exists); this module only draws them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.ImageDraw import ImageDraw
    from PIL.ImageFont import FreeTypeFont

WIDTH, HEIGHT = 552, 250
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 52, 540, 12, 178
MAX_SERIES = 7  # the largest categories get their own colour; the rest are stacked as "everything else"
COLOURS = ("#1f2d5c", "#3867d6", "#20a39e", "#f5a623", "#8e44ad", "#e4572e", "#7fb800", "#b0b8c4")
BUDGET_COLOUR = "#c0392b"
AXIS_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#52606d", "#e4e7eb", "#1f2933"


@dataclass
class ChartData:
    """Weeks in order, each week's spend per category, and the weekly budget where there is one."""

    weeks: list[str]
    spend: dict[str, dict[str, Decimal]]  # week -> category -> EffectiveCost
    budget: dict[str, Decimal] = field(default_factory=dict)  # week -> budget for that week

    def series(self) -> list[str]:
        """Categories largest first over the whole chart, the small ones folded into one."""
        totals: dict[str, Decimal] = {}
        for parts in self.spend.values():
            for name, cost in parts.items():
                totals[name] = totals.get(name, Decimal(0)) + max(cost, Decimal(0))
        ranked = sorted((n for n in totals if totals[n] > 0), key=lambda n: (-totals[n], n))
        return ranked if len(ranked) <= MAX_SERIES + 1 else [*ranked[:MAX_SERIES], OTHERS]

    def stack(self, week: str, series: list[str]) -> list[Decimal]:
        """The week's spend per series (negative parts, credits, drawn as nothing)."""
        parts = {name: max(cost, Decimal(0)) for name, cost in self.spend.get(week, {}).items()}
        named = [parts.get(name, Decimal(0)) for name in series if name != OTHERS]
        if OTHERS in series:
            named.append(sum((v for k, v in parts.items() if k not in series), Decimal(0)))
        return named


OTHERS = "everything else"


def draw(data: ChartData, label: dict[str, str], axis_money: Callable[[Decimal], str]) -> bytes:
    """The chart as PNG bytes; ``label`` words each category, ``axis_money`` formats axis amounts."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=11)
    image = Image.new("RGB", (WIDTH, HEIGHT), "#ffffff")
    pen = ImageDraw.Draw(image)
    series = data.series()
    stacks = {week: data.stack(week, series) for week in data.weeks}
    top = max([sum(s, Decimal(0)) for s in stacks.values()] + list(data.budget.values()) + [Decimal(1)])
    step = _nice_step(top / 4)
    ceiling = step * ((top / step).to_integral_value(rounding="ROUND_CEILING"))

    def y(amount: Decimal) -> float:
        return PLOT_BOTTOM - float(amount / ceiling) * (PLOT_BOTTOM - PLOT_TOP)

    tick = Decimal(0)
    while tick <= ceiling:
        pen.line([(PLOT_LEFT, y(tick)), (PLOT_RIGHT, y(tick))], fill=GRID_COLOUR)
        pen.text((PLOT_LEFT - 6, y(tick)), axis_money(tick), font=font, fill=AXIS_COLOUR, anchor="rm")
        tick += step
    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(data.weeks), 1)
    for i, week in enumerate(data.weeks):
        left, base = PLOT_LEFT + i * slot + slot * 0.18, Decimal(0)
        for colour, part in zip(COLOURS, stacks[week]):
            if part > 0:
                pen.rectangle([left, y(base + part), left + slot * 0.64, y(base)], fill=colour)
            base += part
        pen.text((left + slot * 0.32, PLOT_BOTTOM + 4), f"W{week[6:]}", font=font, fill=AXIS_COLOUR, anchor="mt")
    _budget_line(pen, data, slot, y)
    _legend(pen, font, [label.get(name, name) for name in series], bool(data.budget))
    buffer = io.BytesIO()
    image.quantize(colors=64).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _budget_line(pen: ImageDraw, data: ChartData, slot: float, y: Callable[[Decimal], float]) -> None:
    """A dashed line at each week's budget, where the week has one."""
    for i, week in enumerate(data.weeks):
        if week in data.budget:
            left, level = PLOT_LEFT + i * slot, y(data.budget[week])
            for x in range(int(left), int(left + slot), 6):
                pen.line([(x, level), (min(x + 3, left + slot), level)], fill=BUDGET_COLOUR, width=2)


def _legend(pen: ImageDraw, font: FreeTypeFont, names: list[str], budget: bool) -> None:
    """Colour keys under the plot, wrapped onto as many rows as they need."""
    x, row = PLOT_LEFT, PLOT_BOTTOM + 24
    keys = [(COLOURS[i], name, False) for i, name in enumerate(names)] + ([(BUDGET_COLOUR, "budget", True)] if budget else [])
    for colour, name, is_line in keys:
        width = 16 + pen.textlength(name, font=font) + 14
        if x + width > WIDTH - 4:
            x, row = PLOT_LEFT, row + 16
        if is_line:
            pen.line([(x, row + 5), (x + 10, row + 5)], fill=colour, width=2)
        else:
            pen.rectangle([x, row, x + 10, row + 10], fill=colour)
        pen.text((x + 14, row + 5), name, font=font, fill=TEXT_COLOUR, anchor="lm")
        x += width


def _nice_step(rough: Decimal) -> Decimal:
    """1, 2 or 5 times a power of ten, at least ``rough``: round axis ticks."""
    if rough <= 0:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(rough))) - 1) if rough >= 1 else Decimal("0.01")
    for factor in (1, 2, 5, 10):
        if power * factor >= rough:
            return power * factor
    return power * 10

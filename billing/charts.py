"""Bar charts as server-rendered SVG: data in, markup out, no JavaScript and nothing fetched.

A chart is a row of groups (a month, an aging bucket), each with one bar per series (billed and
collected; a bucket's amount). Every bar is a link when given one, names itself in a <title>
(what screen readers and the browser's tooltip read), and is clickable across the group's full
height, so a zero bar is still a link. Every text is escaped here: callers pass plain strings.
Sizes are in the viewBox's units; the SVG scales to its container's width."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Series:
    key: str  # a CSS class suffix: the bars are class "bar bar-<key>"
    name: str  # the legend's text
    color: str  # the fill, inline so the chart reads without a stylesheet


@dataclass(frozen=True)
class Bar:
    series: str  # a Series.key
    value: Decimal
    title: str  # what the bar says in words, e.g. "Billed in March 2026: $1,200.00"
    href: str | None = None


@dataclass(frozen=True)
class Group:
    label: str  # under the group, e.g. "Mar"
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Layout:
    width: int = 720
    plot_height: int = 160
    top: int = 24  # room for the scale's label
    bottom: int = 36  # room for the group labels and the legend
    left: int = 8
    gap: int = 6  # between groups


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    groups: Sequence[Group],
    *,
    chart_id: str,
    title: str,
    series: Sequence[Series],
    value_format: Callable[[Decimal], str] = str,
    layout: Layout = Layout(),
) -> SafeString:
    """The groups as an SVG bar chart titled `title`, scaled to the largest value (labelled at
    the top left); negative values draw as zero. `chart_id` is the <svg>'s id, unique on the
    page (its <title> is named after it)."""
    chart_id = _attr(chart_id)
    colors = {s.key: s.color for s in series}
    top_value = max((bar.value for group in groups for bar in group.bars), default=Decimal(0))
    scale = float(top_value) if top_value > 0 else 1.0
    base = layout.top + layout.plot_height
    height = base + layout.bottom
    slot = (layout.width - layout.left) / max(len(groups), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img" '
        f'viewBox="0 0 {layout.width} {height}" aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{_attr(title)}</title>',
        f'<text class="chart-scale" x="{layout.left}" y="{layout.top - 8}" font-size="11">'
        f"{_attr(value_format(top_value))}</text>",
        f'<line x1="{layout.left}" y1="{base}" x2="{layout.width}" y2="{base}" '
        f'stroke="#999" stroke-width="1"/>',
    ]
    for index, group in enumerate(groups):
        x = layout.left + index * slot + layout.gap / 2
        bar_width = (slot - layout.gap) / max(len(group.bars), 1)
        parts.append('<g class="chart-group">')
        for position, bar in enumerate(group.bars):
            bar_x = x + position * bar_width
            bar_height = max(float(bar.value), 0.0) / scale * layout.plot_height
            shapes = (
                f"<title>{_attr(bar.title)}</title>"
                f'<rect class="chart-hit" x="{_num(bar_x)}" y="{layout.top}" '
                f'width="{_num(bar_width)}" height="{layout.plot_height}" fill="transparent"/>'
                f'<rect class="bar bar-{_attr(bar.series)}" x="{_num(bar_x)}" '
                f'y="{_num(base - bar_height)}" width="{_num(bar_width)}" '
                f'height="{_num(bar_height)}" fill="{_attr(colors.get(bar.series, "#888"))}"/>'
            )
            if bar.href is None:
                parts.append(f'<g class="chart-bar">{shapes}</g>')
            else:
                parts.append(f'<a class="chart-bar" href="{_attr(bar.href)}">{shapes}</a>')
        parts.append(
            f'<text class="chart-label" x="{_num(x + (slot - layout.gap) / 2)}" y="{base + 14}" '
            f'font-size="11" text-anchor="middle">{_attr(group.label)}</text>'
        )
        parts.append("</g>")
    legend_x = float(layout.left)
    for entry in series:
        parts.append(
            f'<rect x="{_num(legend_x)}" y="{height - 12}" width="10" height="10" '
            f'fill="{_attr(entry.color)}"/>'
            f'<text class="chart-legend" x="{_num(legend_x + 14)}" y="{height - 3}" '
            f'font-size="11">{_attr(entry.name)}</text>'
        )
        legend_x += 24 + 7 * len(entry.name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through _attr

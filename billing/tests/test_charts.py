"""billing.charts: the SVG a bar chart renders to, read back as XML."""

import xml.etree.ElementTree as ET
from decimal import Decimal

from billing.charts import Bar, Group, Series, bar_chart

SVG = "{http://www.w3.org/2000/svg}"
SERIES = [Series("billed", "Billed", "#447e9b"), Series("collected", "Collected", "#5b9b5b")]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own markup


def bars(root: ET.Element) -> list[tuple[str | None, str, float]]:
    """(link, title, height) of every bar, in drawing order."""
    found = []
    for holder in root.iter():
        if holder.get("class") != "chart-bar":
            continue
        rect = next(r for r in holder.iter(f"{SVG}rect") if "bar" in r.get("class", "").split())
        found.append(
            (
                holder.get("href"),
                holder.find(f"{SVG}title").text,
                float(rect.get("height")),
            )
        )
    return found


def test_bars_scale_to_the_largest_value_and_link_with_their_titles():
    groups = [
        Group(
            "Jan",
            (
                Bar("billed", Decimal("200.00"), "Billed in January: $200.00", "/i?m=1&s=sent"),
                Bar("collected", Decimal("50.00"), "Collected in January: $50.00", "/p?m=1"),
            ),
        ),
        Group(
            "Feb",
            (
                Bar("billed", Decimal("0.00"), "Billed in February: $0.00", "/i?m=2"),
                Bar("collected", Decimal("100.00"), "Collected in February: $100.00"),
            ),
        ),
    ]
    markup = bar_chart(
        groups,
        chart_id="months",
        title="Billed and collected",
        series=SERIES,
        value_format=lambda value: f"${value}",
    )
    root = parse(markup)
    assert root.get("id") == "months" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "months-title"
    assert root.find(f"{SVG}title").text == "Billed and collected"
    assert bars(root) == [
        ("/i?m=1&s=sent", "Billed in January: $200.00", 160.0),
        ("/p?m=1", "Collected in January: $50.00", 40.0),
        # A zero bar is still a link (its group's full height is clickable).
        ("/i?m=2", "Billed in February: $0.00", 0.0),
        (None, "Collected in February: $100.00", 80.0),
    ]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["$200.00", "Jan", "Feb", "Billed", "Collected"]
    # The ampersand of a link is escaped in the markup (the parser above read it back).
    assert "/i?m=1&amp;s=sent" in markup
    assert "<script" not in markup


def test_text_is_escaped():
    markup = bar_chart(
        [Group("<b>", (Bar("x", Decimal(1), 'a "quoted" <title>', '/x?q="1"'),))],
        chart_id='c"1',
        title="</title><script>alert(1)</script>",
        series=[Series("x", "<i>", "red")],
    )
    root = parse(markup)
    assert root.find(f"{SVG}title").text == "</title><script>alert(1)</script>"
    assert [t.text for t in root.iter(f"{SVG}text")] == ["1", "<b>", "<i>"]
    assert bars(root) == [('/x?q="1"', 'a "quoted" <title>', 160.0)]
    assert "<script>" not in markup


def test_an_empty_or_all_zero_chart_draws_without_dividing_by_zero():
    root = parse(bar_chart([], chart_id="e", title="Nothing", series=SERIES))
    assert bars(root) == []
    zero = [Group("Jan", (Bar("billed", Decimal("0.00"), "none"),))]
    assert bars(parse(bar_chart(zero, chart_id="z", title="Zero", series=SERIES))) == [
        (None, "none", 0.0)
    ]

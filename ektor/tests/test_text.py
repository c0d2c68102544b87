import pytest

from ektor.text import plural


@pytest.mark.parametrize(
    ("count", "words", "expected"),
    [
        (0, ("customer",), "0 customers"),
        (1, ("customer",), "1 customer"),
        (2, ("customer",), "2 customers"),
        (1, ("property", "properties"), "1 property"),
        (4, ("property", "properties"), "4 properties"),
        (3, ("overdue invoice",), "3 overdue invoices"),
    ],
)
def test_plural(count, words, expected):
    assert plural(count, *words) == expected

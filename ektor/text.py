"""Wording shared by every app's messages."""


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """The count with the word that agrees with it: "1 customer", "2 customers", "0 customers".

    `plural` is for words that do not just add an s ("1 property", "2 properties").
    """
    return f"{count} {singular if count == 1 else plural or singular + 's'}"

"""Wording shared by the admin's messages and the commands' output."""


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """ "1 customer", "2 customers"; irregular plurals are given ("properties")."""
    word = singular if count == 1 else (plural or f"{singular}s")
    return f"{count} {word}"

"""Operator commands; failures from services become a CommandError (non-zero exit)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError

from core.errors import ApplicationError


@contextmanager
def service_errors(command: str) -> Iterator[None]:
    """Service refusals as one readable line, prefixed by the command's name."""
    try:
        yield
    except ApplicationError as exc:
        if exc.fields:
            raise CommandError(f"{command}: " + " ".join(e.msg for e in exc.fields)) from None
        raise CommandError(f"{command}: {exc.message} ({exc.reason}).") from None

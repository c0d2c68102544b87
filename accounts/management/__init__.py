"""Operator commands; failures from services become a CommandError (non-zero exit)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError

from ektor.api.errors import ApplicationError, RequestValidationError


@contextmanager
def service_errors(command: str) -> Iterator[None]:
    """Service refusals as one readable line, prefixed by the command's name."""
    try:
        yield
    except RequestValidationError as exc:
        raise CommandError(
            f"{command}: " + " ".join(error["msg"] for error in exc.errors)
        ) from None
    except ApplicationError as exc:
        raise CommandError(f"{command}: {exc.message} ({exc.reason}).") from None

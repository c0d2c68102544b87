"""Typed readers for configuration that comes from the environment."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


class ConfigurationError(ImproperlyConfigured):
    """A variable the operator must set or fix: the message says which and how."""


@contextmanager
def exit_on_configuration_error(program: str) -> Iterator[None]:
    """Stop with the message as one line on stderr (exit status 1), not a traceback: the
    operator needs the variable's name, not the import chain that read it."""
    try:
        yield
    except ConfigurationError as exc:
        raise SystemExit(f"{program}: {exc}") from None


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


_EMAIL_FLAGS = {"tls": "EMAIL_USE_TLS", "ssl": "EMAIL_USE_SSL"}


def email_settings(url: str) -> dict[str, object]:
    """Django's EMAIL_* settings from EMAIL_URL: empty or `console:` prints messages (the
    development default), `smtp://user:password@host:port/?tls=true` sends through a server
    (`smtps://` or `ssl=true` for implicit TLS on 465; `timeout=` seconds, default 10).
    User and password are percent-encoded in the URL."""
    if not url or url.startswith("console:"):
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "EMAIL_HOST": "localhost",
            "EMAIL_PORT": 25,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 10,
        }
    parts = urlsplit(url)
    if parts.scheme in {"smtp", "smtps"} and not parts.hostname:
        raise ConfigurationError("EMAIL_URL names no host: smtp://user:password@host:port/")
    if parts.scheme not in {"smtp", "smtps"}:
        raise ConfigurationError(
            "EMAIL_URL must be empty (print messages), console: or "
            f"smtp://user:password@host:port/?tls=true, got scheme {parts.scheme!r}"
        )
    result: dict[str, object] = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_TIMEOUT": 10,
    }
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError("EMAIL_URL has a port that is not a number") from None
    for key, value in parse_qsl(parts.query):
        if key in _EMAIL_FLAGS:
            if value.lower() not in _TRUE | _FALSE:
                raise ConfigurationError(f"EMAIL_URL: {key} must be true or false, got {value!r}")
            result[_EMAIL_FLAGS[key]] = value.lower() in _TRUE
        elif key == "timeout" and value.isdigit():
            result["EMAIL_TIMEOUT"] = int(value)
        else:
            raise ConfigurationError(f"EMAIL_URL: unknown or bad parameter {key}={value!r}")
    if result["EMAIL_USE_TLS"] and result["EMAIL_USE_SSL"]:
        raise ConfigurationError("EMAIL_URL: use either tls (STARTTLS) or ssl, not both")
    result["EMAIL_PORT"] = port or (465 if result["EMAIL_USE_SSL"] else 25)
    return result

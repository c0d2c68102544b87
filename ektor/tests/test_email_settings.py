"""EMAIL_URL: printed in development, SMTP in production, a clear line for a bad value."""

import pytest

from ektor.env import ConfigurationError, email_settings
from ektor.testing import GOOD_KEY, run_django

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_empty_or_console_prints_messages():
    for url in ("", "console:"):
        assert email_settings(url)["EMAIL_BACKEND"] == (
            "django.core.mail.backends.console.EmailBackend"
        )


def test_smtp_with_starttls_and_encoded_credentials():
    assert email_settings(
        "smtp://office%40pools.example:p%40ss%2Fw@mail.example:587/?tls=true"
    ) == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "mail.example",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "office@pools.example",
        "EMAIL_HOST_PASSWORD": "p@ss/w",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
    }


def test_smtps_is_implicit_tls_on_465_and_the_timeout_is_read():
    settings = email_settings("smtps://mail.example?timeout=30")
    assert (settings["EMAIL_PORT"], settings["EMAIL_USE_SSL"], settings["EMAIL_USE_TLS"]) == (
        465,
        True,
        False,
    )
    assert settings["EMAIL_TIMEOUT"] == 30
    assert email_settings("smtp://localhost")["EMAIL_PORT"] == 25


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example", "got scheme 'http'"),
        ("smtp://", "EMAIL_URL names no host"),
        ("smtp://mail.example:25x", "EMAIL_URL has a port that is not a number"),
        ("smtp://mail.example?tls=maybe", "EMAIL_URL: tls must be true or false, got 'maybe'"),
        ("smtp://mail.example?starttls=1", "EMAIL_URL: unknown or bad parameter starttls='1'"),
        ("smtp://mail.example?tls=1&ssl=1", "use either tls (STARTTLS) or ssl, not both"),
    ],
)
def test_bad_urls_are_refused_by_name(url, message):
    with pytest.raises(ConfigurationError, match="EMAIL_URL") as refused:
        email_settings(url)
    assert message in str(refused.value)


def test_the_settings_read_email_url_and_the_sender():
    result = run_django(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL, "
        "s.EMAIL_FROM_NAME, s.EMAIL_REPLY_TO, sep='|')",
        SECRET_KEY=GOOD_KEY,
        EMAIL_URL="smtp://mail.example:587?tls=1",
        DEFAULT_FROM_EMAIL="office@pools.example",
        EMAIL_FROM_NAME="Blue Lagoon Pools",
        EMAIL_REPLY_TO="billing@pools.example",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        SMTP,
        "mail.example",
        "587",
        "True",
        "office@pools.example",
        "Blue Lagoon Pools",
        "billing@pools.example",
    ]

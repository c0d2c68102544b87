import pytest
from django.test import override_settings

from accounts.checks import check_rate_limits


def test_default_rates_pass():
    assert check_rate_limits(None) == []


@pytest.mark.parametrize("value", ["", "ten/min", "10", "10/", "10/week", "0/min", None])
def test_a_malformed_rate_is_reported_at_check_time(value):
    with override_settings(AUTH_RATE_LIMIT=value):
        errors = check_rate_limits(None)
    assert [e.id for e in errors] == ["accounts.E001"]
    assert "AUTH_RATE_LIMIT must look like 10/min" in errors[0].msg


def test_every_sign_in_rate_is_checked():
    with override_settings(AUTH_USERNAME_CEILING="30/fortnight"):
        errors = check_rate_limits(None)
    assert [e.id for e in errors] == ["accounts.E001"]
    assert "AUTH_USERNAME_CEILING must look like 10/min" in errors[0].msg

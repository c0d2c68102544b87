"""POST /water/lsi: the contract's shape, its defaults, and bad input in the envelope."""

import pytest

from conftest import client_for
from operations.tests.test_chemistry import SECOND_CHECK

pytestmark = pytest.mark.django_db

URL = "/api/v1/water/lsi"


def lsi(client, **body):
    return client.post(URL, body, format="json")


def test_the_contracts_second_check(admin_client_api):
    response = lsi(admin_client_api, **SECOND_CHECK)
    assert response.status_code == 200
    assert response.json() == {
        "lsi": -0.14,
        "carbonate_alkalinity": 70.3,
        "factors": {"temperature": 0.6, "calcium": 1.9, "alkalinity": 1.8624, "tds_constant": 12.1},
        "status": "balanced",
        "method": "chart-v1",
    }


def test_cyanuric_acid_defaults_to_0_and_tds_to_1000(admin_client_api):
    body = lsi(
        admin_client_api, ph=7.0, temperature_f=84, calcium_hardness=300, total_alkalinity=25
    )
    # The first check's water at TDS 1000 (C = 12.2): -0.90 - 0.1.
    assert body.json()["lsi"] == -1.0
    assert body.json()["factors"]["tds_constant"] == 12.2
    assert body.json()["carbonate_alkalinity"] == 25.0
    assert body.json()["status"] == "corrosive"


def test_numbers_may_come_as_strings(admin_client_api):
    body = lsi(admin_client_api, ph="7.0", temperature_f="84", calcium_hardness="300",
               total_alkalinity="25", tds="500")  # fmt: skip
    assert body.json()["lsi"] == -0.9


def test_a_technician_uses_it(technician_user):
    technician_client_api = client_for(technician_user)
    body = lsi(technician_client_api, ph=7.5, temperature_f=84, calcium_hardness=300,
               total_alkalinity=100)  # fmt: skip
    assert body.status_code == 200 and body.json()["status"] == "balanced"


def errors(response):
    assert response.status_code == 422, response.content
    return {tuple(e["loc"]): e["msg"] for e in response.json()["details"]["errors"]}


def test_missing_and_out_of_range_values_are_422_naming_each(admin_client_api):
    found = errors(lsi(admin_client_api, ph=15, temperature_f=20, calcium_hardness=-1, tds=20001))
    assert found == {
        ("body", "ph"): "Ensure this value is less than or equal to 14.",
        ("body", "temperature_f"): "Ensure this value is greater than or equal to 32.",
        ("body", "calcium_hardness"): "Ensure this value is greater than or equal to 0.",
        ("body", "total_alkalinity"): "This field is required.",
        ("body", "tds"): "Ensure this value is less than or equal to 20000.",
    }


@pytest.mark.parametrize("bad", [True, "7,5", "seven", None, [7.5], "\u0667.\u0665"])
def test_a_value_that_is_not_a_number_is_422(admin_client_api, bad):
    found = errors(lsi(admin_client_api, ph=bad, temperature_f=80, calcium_hardness=250,
                       total_alkalinity=90))  # fmt: skip
    assert list(found) == [("body", "ph")]


def test_anonymous_is_401(anon_client):
    assert lsi(anon_client, ph=7.5).status_code == 401

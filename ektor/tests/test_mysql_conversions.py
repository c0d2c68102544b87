"""The faster DATE/DATETIME converters read exactly what mysqlclient's own do."""

import datetime

import pytest
from django.db import connection
from MySQLdb import times

from ektor.db.mysql.conversions import date_or_none, datetime_or_none

DATES = ["2026-11-22", "2024-02-29", "0001-01-01", "9999-12-31", "2026-02-30", "0000-00-00", "x"]
DATETIMES = [
    "2026-11-22 04:33:52",
    "2026-11-22 04:33:52.525063",
    "2026-11-22 04:33:52.000001",
    "2026-11-22 04:33:52.5",
    "2026-11-22",
    "9999-12-31 23:59:59.999999",
    "2026-13-01 00:00:00",
    "0000-00-00 00:00:00",
    "garbage",
]


@pytest.mark.parametrize("text", DATES)
def test_date_as_mysqlclient_reads_it(text):
    assert date_or_none(text) == times.Date_or_None(text)


@pytest.mark.parametrize("text", DATETIMES)
def test_datetime_as_mysqlclient_reads_it(text):
    assert datetime_or_none(text) == times.DateTime_or_None(text)


@pytest.mark.mariadb
@pytest.mark.django_db
def test_connections_use_the_faster_converters():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CAST('2026-11-22' AS DATE), CAST('2026-11-22 04:33:52.5' AS DATETIME(6))"
        )
        assert cursor.fetchone() == (
            datetime.date(2026, 11, 22),
            datetime.datetime(2026, 11, 22, 4, 33, 52, 500000),
        )
    assert connection.connection.converter[10] is date_or_none  # FIELD_TYPE.DATE

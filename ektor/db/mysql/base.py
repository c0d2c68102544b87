"""Django's MySQL backend with the faster DATE/DATETIME converters (see conversions.py)."""

from django.db.backends.mysql import base

from ektor.db.mysql.conversions import with_fast_dates


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        params["conv"] = with_fast_dates(params["conv"])
        return params

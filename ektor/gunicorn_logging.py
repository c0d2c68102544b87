"""Gunicorn's logs as JSON lines, like the application's (see gunicorn.conf.py)."""

import json
from datetime import UTC, datetime

from gunicorn import glogging

from ektor.logging import JsonFormatter


class JsonAtoms(glogging.SafeAtoms):
    """Access-log atoms escaped for a JSON string.

    Gunicorn only escapes double quotes; a backslash or a control character in a decoded path or
    a user agent would still break the line.
    """

    def __init__(self, atoms):
        dict.__init__(self)
        for key, value in atoms.items():
            self[key] = json.dumps(value)[1:-1] if isinstance(value, str) else value


class JsonLogger(glogging.Logger):
    """Access lines from `access_log_format` with JSON-safe values; error lines as JSON."""

    atoms_wrapper_class = JsonAtoms

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # The same timestamp shape as the application's log lines.
        atoms["ts"] = datetime.now(UTC).isoformat(timespec="milliseconds")
        return atoms

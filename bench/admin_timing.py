"""What the in-process admin timings share: a signed-in client and median timings."""

import os
import statistics
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from accounts.models import Role, User  # noqa: E402

PLAIN_STATIC = "django.contrib.staticfiles.storage.StaticFilesStorage"


def signed_in_client() -> Client:
    """A client signed in as the benchmark admin (made if missing)."""
    # No collectstatic here: the pages name the static files without the hashed manifest.
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": PLAIN_STATIC}}
    override_settings(STORAGES=plain).enable()
    user = User.objects.filter(username="bench").first() or User.objects.create_user(
        username="bench", email="bench@example.com", password=None, role=Role.ADMIN
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def get(client: Client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return response


def median_ms(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `runs` calls."""
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(wall), statistics.median(cpu)

"""Settings for the test suite: the real settings with test-only secrets and fast hashing."""

import os

os.environ.setdefault(
    "SECRET_KEY", "test-only-Vq3pX9zL2mK8wR4tY7uB1nC6dF0gH5jS-not-a-secret-0123456789"
)
os.environ.setdefault("API_DOCS_ENABLED", "true")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from ektor.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
TENANCY_TRIPWIRE = True
# The suite's tests run in a transaction a replica never sees, so reads stay on the primary;
# the replica tests (ektor/tests/test_replicas.py) commit, and turn routing on.
TEST_DATABASE_REPLICAS = DATABASE_REPLICAS  # noqa: F405
DATABASE_REPLICAS = []

"""`manage.py release`: the release step (migrate, then the first admin), run once per release."""

from ektor.testing import GOOD_KEY, run_manage


def test_release_migrates_and_creates_the_first_admin_and_runs_again_as_a_no_op(tmp_path):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": GOOD_KEY,
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'release.sqlite3'}",
        "BOOTSTRAP_ADMIN_USERNAME": "boss",
        "BOOTSTRAP_ADMIN_EMAIL": "boss@example.com",
        "BOOTSTRAP_ADMIN_PASSWORD": "Pool-Blue-2026-release",
    }
    first = run_manage("release", **env)
    assert first.returncode == 0, first.stderr
    assert "Applying billing.0001_initial... OK" in first.stdout
    assert first.stdout.rstrip().endswith("bootstrap_admin: created admin 'boss'.")

    again = run_manage("release", **env)
    assert again.returncode == 0, again.stderr
    assert "No migrations to apply." in again.stdout
    assert "bootstrap_admin: an active admin already exists; nothing to do." in again.stdout

"""DATABASE_REPLICA_URLS as the settings read it (the routing itself: test_replicas.py)."""

import json

from ektor.testing import run_django

SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({'databases': s.DATABASES, 'replicas': s.DATABASE_REPLICAS,"
    " 'routers': s.DATABASE_ROUTERS, 'pin': s.REPLICA_PIN_SECONDS,"
    " 'lag': s.REPLICA_MAX_LAG_SECONDS, 'check': s.REPLICA_CHECK_SECONDS}, default=str))"
)
PRIMARY = "mysql://u:p@primary:3306/ektor"


def test_each_replica_url_is_a_database_the_router_reads_from():
    result = run_django(
        SHOW,
        DEBUG="true",
        DATABASE_URL=PRIMARY,
        DATABASE_REPLICA_URLS="mysql://r:q@replica-a:3306/ektor, mysql://r:q@replica-b:3307/ektor",
        REPLICA_PIN_SECONDS="30",
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["replicas"] == ["replica_1", "replica_2"]
    assert shown["routers"] == ["ektor.db.router.ReplicaRouter"]
    assert (shown["pin"], shown["lag"], shown["check"]) == (30, 10, 5)
    a, b = shown["databases"]["replica_1"], shown["databases"]["replica_2"]
    assert (a["HOST"], a["PORT"], b["HOST"], b["PORT"]) == ("replica-a", 3306, "replica-b", 3307)
    # Configured as the primary is (utf8mb4, strict), quick to give up on a replica that is down.
    assert a["ENGINE"] == "ektor.db.mysql" and a["OPTIONS"]["charset"] == "utf8mb4"
    assert a["OPTIONS"]["connect_timeout"] == 2
    # The test runner reads the primary's test database there, brought by replication.
    assert a["TEST"]["MIRROR"] == "default"
    assert shown["databases"]["default"]["TEST"]["MIRROR"] is None


def test_a_writer_is_pinned_at_least_as_long_as_a_replica_may_lag():
    replicas = {"DATABASE_URL": PRIMARY, "DATABASE_REPLICA_URLS": "mysql://r:q@replica:3306/ektor"}
    default = json.loads(run_django(SHOW, DEBUG="true", **replicas).stdout)
    assert default["pin"] == 15  # the lag limit (10) + the check interval (5)
    short = run_django(SHOW, DEBUG="true", REPLICA_PIN_SECONDS="14", **replicas)
    assert short.returncode != 0
    assert (
        "REPLICA_PIN_SECONDS must be at least REPLICA_MAX_LAG_SECONDS + REPLICA_CHECK_SECONDS"
        " (15)" in short.stderr
    )
    # Without replicas nothing is pinned, whatever it says.
    alone = run_django(SHOW, DEBUG="true", DATABASE_URL=PRIMARY, REPLICA_PIN_SECONDS="1")
    assert alone.returncode == 0, alone.stderr


def test_without_replica_urls_nothing_is_routed():
    result = run_django(SHOW, DEBUG="true", DATABASE_URL=PRIMARY)
    shown = json.loads(result.stdout)
    assert list(shown["databases"]) == ["default"]
    assert (shown["replicas"], shown["routers"]) == ([], [])


def test_a_replica_must_be_mysql_as_the_primary():
    for primary, replica in (
        (PRIMARY, "sqlite:////tmp/replica.sqlite3"),
        ("sqlite:////tmp/primary.sqlite3", "mysql://r:q@replica:3306/ektor"),
    ):
        result = run_django(SHOW, DEBUG="true", DATABASE_URL=primary, DATABASE_REPLICA_URLS=replica)
        assert result.returncode != 0
        assert (
            "DATABASE_REPLICA_URLS: replicas are mysql:// URLs of a MySQL/MariaDB primary's "
            "replicas (DATABASE_URL must be mysql:// too)."
        ) in result.stderr

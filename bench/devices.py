"""What four of the app's speed devices buy, each measured with and without (issue 13):

- the session SQL (accounts/authentication.py) against the same query through the ORM;
- the cached whole-table count (ektor/db/counts.py) against COUNT(*) every time;
- the MySQL DATE/DATETIME converters (ektor/db/mysql) against mysqlclient's, on the 50-row
  invoice page read by the driver and on the whole API list request;
- the statement's queries compiled once (ektor/db/prepared.py) against the same querysets
  built and compiled by the ORM every time.

CPU (`time.process_time()`) and wall microseconds a call, best of three rounds:

    DATABASE_URL=mysql://... .venv/bin/python -m bench.devices

(The receivables projection is bench/projection.py.)
"""

import datetime
import time
from collections.abc import Callable

import MySQLdb
from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef
from django.test import Client
from django.utils import timezone
from MySQLdb.converters import conversions

# bench.admin_timing sets Django up, so it comes before any model import.
import bench.admin_timing  # noqa: F401
from accounts.authentication import open_session_get
from accounts.models import AuthSession, Role, User
from accounts.services import session_start
from bench.floor import INVOICE_LIST_SQL
from billing import selectors
from billing.models import Invoice
from core.context import Ctx
from ektor.db.counts import total_count
from ektor.db.mysql import base as fast_base
from ektor.db.mysql.conversions import with_fast_dates


def best(call: Callable[[], object], calls: int) -> str:
    rounds = []
    for _ in range(3):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(calls):
            call()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        rounds.append((cpu / calls * 1e6, wall / calls * 1e6))
    return f"cpu {min(r[0] for r in rounds):.0f} us, wall {min(r[1] for r in rounds):.0f} us"


def orm_session(session_id):
    """open_session_get's query written with the ORM (what it replaced)."""
    member = User.groups.through.objects.filter(user_id=OuterRef("user_id"))
    role_only = (
        Exists(member.filter(group__name=OuterRef("user__role")))
        & ~Exists(member.exclude(group__name=OuterRef("user__role")))
        & ~Exists(User.user_permissions.through.objects.filter(user_id=OuterRef("user_id")))
    )
    return (
        AuthSession.objects.select_related("user")
        .annotate(role_only=ExpressionWrapper(role_only, output_field=BooleanField()))
        .filter(pk=session_id, ended_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def orm_statement(*, customer_id, from_date, to_date):
    """The statement's three queries as querysets built and compiled each time (what
    PreparedQuery replaced)."""
    dates = {"from_date": from_date, "to_date": to_date}
    list(selectors._statement_customer_queryset(customer_id=customer_id, from_date=from_date))
    list(selectors._statement_items_queryset(customer_id=customer_id, **dates))
    list(selectors._statement_payments_queryset(customer_id=customer_id, **dates))


def main() -> None:
    user = User.objects.filter(username="bench").first() or User.objects.create_user(
        username="bench", email="bench@example.com", password=None, role=Role.ADMIN
    )
    token = session_start(Ctx.system(), user=user, user_agent="bench", ip_address="127.0.0.1")[
        "access_token"
    ]
    session_id = user.auth_sessions.order_by("-created_at").values_list("pk", flat=True)[0]
    print("session, precompiled:", best(lambda: open_session_get(session_id, timezone.now()), 500))
    print("session, ORM:        ", best(lambda: orm_session(session_id), 500))

    total_count(Invoice.objects.all())
    print("count, cached:       ", best(lambda: total_count(Invoice.objects.all()), 300))
    print("count, COUNT(*):     ", best(Invoice.objects.count, 5))

    customer_id = Invoice.objects.order_by("-id").values_list("customer_id", flat=True)[0]
    period = {
        "customer_id": customer_id,
        "from_date": datetime.date(2020, 1, 1),
        "to_date": datetime.date(2030, 1, 1),
    }
    statement = lambda: selectors.customer_statement(Ctx.system(), **period)  # noqa: E731
    print("statement, prepared: ", best(statement, 300))
    print("statement, ORM:      ", best(lambda: orm_statement(**period), 300))

    params = connection.get_connection_params()
    for name, conv in (("mysqlclient's", conversions), ("fast", with_fast_dates(conversions))):
        cursor = MySQLdb.connect(**{**params, "conv": conv}).cursor()
        fetch = lambda c=cursor: (c.execute(INVOICE_LIST_SQL, (50, 0)), c.fetchall())  # noqa: E731
        print(f"50-row page, {name} date converters:", best(fetch, 300))

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    list_page = lambda: client.get("/api/v1/invoices?limit=50")  # noqa: E731
    print("API list, fast date converters:", best(list_page, 200))
    # The same request on a connection opened with Django's own MySQL connection parameters.
    fast = fast_base.DatabaseWrapper.get_connection_params
    fast_base.DatabaseWrapper.get_connection_params = (
        fast_base.base.DatabaseWrapper.get_connection_params
    )
    connection.close()
    print("API list, mysqlclient's converters:", best(list_page, 200))
    fast_base.DatabaseWrapper.get_connection_params = fast


if __name__ == "__main__":
    main()

"""Aging as of a day over a large company (issue 19): load the data set, then time the report
in-process against a plain SQL floor. Run by scripts/bench_aging.sh, or by hand on a migrated
MariaDB:

    DATABASE_URL=mysql://... .venv/bin/python -m bench.aging load --invoices 1000000
    DATABASE_URL=mysql://... .venv/bin/python -m bench.aging measure [--runs 7]

The data set (deterministic): customers with one property each, billed monthly from 2023-01 to
the month before today (issued the month's last day, due 30 days later, 2% without a due date),
so --invoices / 47 customers. Payments as a pool company's books look: 88% paid in full 3 to 40
days after issue, 6% in full 41 to 150 days after, 2% half paid, 2% never paid, 2% paid in two
halves; 1% of the paid ones also carry a reversed payment. A payment dated after today is not
made (that invoice is still open). The database makes the rows (INSERT ... SELECT from MariaDB's
sequence tables, pseudo-random by CRC32 of the row's number), settled_on set as
billing.settlement sets it.

`measure` times, as of today, 90 days ago and a year ago (median of --runs, wall clock, in this
process, after a warm call):
- `billing.aging.aging` alone (the selector);
- the API, `GET /api/v1/reports/aging?as_of=...` through the whole WSGI application (a bearer
  token, middleware, the JSON answer): its server time;
- the admin page `/admin/billing/invoice/aging/?as_of=...` (signed in, rendered);
- the floor: one plain SQL statement computing the same figures (per customer and bucket, through
  the same index) and the same JSON made from its rows with integer cents, with a check that
  its body equals the API's byte for byte; the ratio is the floor's time / the API's (the API's
  rate as a share of the floor's);
- the naive SQL without settled_on (every invoice issued by the day, its balance computed, the
  zero ones dropped), to show what the column saves.
"""

import argparse
import datetime
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import session_start  # noqa: E402
from billing.aging import BUCKET_ENDS, BUCKETS, aging  # noqa: E402
from billing.models import Invoice, Payment  # noqa: E402
from core.context import Ctx  # noqa: E402
from customers.models import Customer  # noqa: E402
from tenancy.models import Company, Membership  # noqa: E402

FIRST_MONTH = datetime.date(2023, 1, 1)
BATCH = 5000
D = datetime.timedelta


def months_until(today: datetime.date) -> list[datetime.date]:
    """The first days of the months billed: FIRST_MONTH to the month before today's."""
    months, month = [], FIRST_MONTH
    while (month.year, month.month) < (today.year, today.month):
        months.append(month)
        month = (month + D(days=32)).replace(day=1)
    return months


PLAN_SQL = """
CREATE TABLE bench_aging_plan ENGINE=InnoDB AS
SELECT k, n, m, issued, total, due,
  CASE WHEN kind = 'A' THEN total WHEN kind IN ('B') THEN total
       WHEN kind IN ('C', 'E') THEN total / 2 END AS a1,
  CASE kind WHEN 'A' THEN issued + INTERVAL 3 + r1 %% 38 DAY
            WHEN 'B' THEN issued + INTERVAL 41 + r1 %% 110 DAY
            WHEN 'C' THEN issued + INTERVAL 10 + r1 %% 51 DAY
            WHEN 'E' THEN issued + INTERVAL 5 + r1 %% 26 DAY END AS d1,
  IF(kind = 'E', total / 2, NULL) AS a2,
  IF(kind = 'E', issued + INTERVAL 10 + r1 %% 26 + r2 %% 56 DAY, NULL) AS d2,
  rev
FROM (
  SELECT s.seq AS k, s.seq %% %(customers)s AS n, s.seq DIV %(customers)s AS m,
    LAST_DAY('2023-01-01' + INTERVAL s.seq DIV %(customers)s MONTH) AS issued,
    ELT(1 + CRC32(CONCAT('t', s.seq)) %% 6, 50, 70, 100, 120, 150, 250) + 0.50 AS total,
    IF(CRC32(CONCAT('n', s.seq)) %% 100 < 2, NULL,
       LAST_DAY('2023-01-01' + INTERVAL s.seq DIV %(customers)s MONTH) + INTERVAL 30 DAY) AS due,
    CASE WHEN CRC32(CONCAT('d', s.seq)) %% 100 < 88 THEN 'A'
         WHEN CRC32(CONCAT('d', s.seq)) %% 100 < 94 THEN 'B'
         WHEN CRC32(CONCAT('d', s.seq)) %% 100 < 96 THEN 'C'
         WHEN CRC32(CONCAT('d', s.seq)) %% 100 < 98 THEN 'D' ELSE 'E' END AS kind,
    CRC32(CONCAT('a', s.seq)) %% 1000 AS r1,
    CRC32(CONCAT('b', s.seq)) %% 1000 AS r2,
    CRC32(CONCAT('r', s.seq)) %% 100 AS rev
  FROM seq_0_to_%(last)s s
) x
"""
# A payment dated after today is not made; the invoice is settled when its counted payments
# (those made) add up to its total.
SETTLE_SQL = """
UPDATE bench_aging_plan SET
  a1 = IF(d1 <= %(today)s, a1, NULL), d1 = IF(d1 <= %(today)s, d1, NULL),
  a2 = IF(d2 <= %(today)s, a2, NULL), d2 = IF(d2 <= %(today)s, d2, NULL)
"""
INVOICES_SQL = """
INSERT INTO billing_invoice (id, company_id, number, customer_id, property_id, period_start,
  period_end, status, issued_date, due_date, subtotal, tax, total, sent_at, paid_at, created_at,
  updated_at, disputed, amount_credited, settled_on, first_received_on, last_received_on,
  payments_total)
SELECT %(invoice)s + k, %(company)s, CONCAT('AGE-', LPAD(m, 2, '0'), '-', LPAD(n, 7, '0')),
  %(customer)s + n, %(customer)s + n, issued - INTERVAL DAY(issued) - 1 DAY, issued,
  IF(settled, 'paid', 'sent'), issued, due, total, 0, total, NOW(6), IF(settled, NOW(6), NULL),
  NOW(6), NOW(6), 0, 0, IF(settled, GREATEST(issued, COALESCE(d1, issued), COALESCE(d2, issued)),
  NULL), LEAST(COALESCE(d1, d2), COALESCE(d2, d1)), GREATEST(COALESCE(d1, d2), COALESCE(d2, d1)),
  COALESCE(a1, 0) + COALESCE(a2, 0)
FROM (SELECT p.*, COALESCE(a1, 0) + COALESCE(a2, 0) = total AS settled
      FROM bench_aging_plan p) x
"""
# Three statements, not one UNION: its temporary table in the server's tmpdir is what the shared
# machine's /tmp cleaning broke once.
PAYMENT_COLUMNS = """
INSERT INTO billing_payment (company_id, invoice_id, amount, paid_date, method, reference,
  created_at, counted, reversed_at, reversal_reason)
"""
PAYMENTS_SQL = (
    PAYMENT_COLUMNS
    + """
SELECT %(company)s, %(invoice)s + k, a1, d1, 'check', CONCAT('CHK-', k, '-1'), NOW(6), 1, NULL,
  NULL FROM bench_aging_plan WHERE d1 IS NOT NULL
""",
    PAYMENT_COLUMNS
    + """
SELECT %(company)s, %(invoice)s + k, a2, d2, 'check', CONCAT('CHK-', k, '-2'), NOW(6), 1, NULL,
  NULL FROM bench_aging_plan WHERE d2 IS NOT NULL
""",
    PAYMENT_COLUMNS
    + """
SELECT %(company)s, %(invoice)s + k, total, issued + INTERVAL 2 DAY, 'check',
  CONCAT('BOUNCED-', k), NOW(6), NULL, NOW(6), 'Bounced'
FROM bench_aging_plan WHERE rev = 0 AND COALESCE(a1, 0) + COALESCE(a2, 0) = total
""",
)
PEOPLE_SQL = (
    """
INSERT INTO customers_customer (id, company_id, first_name, last_name, email, is_active,
  created_at, updated_at)
SELECT %(customer)s + s.seq, %(company)s, CONCAT('First', s.seq %% 997),
  CONCAT('Last', LPAD(s.seq, 7, '0')), CONCAT('aging', %(customer)s + s.seq, '@example.com'), 1,
  NOW(6), NOW(6)
FROM seq_0_to_%(last_customer)s s
""",
    """
INSERT INTO customers_property (id, company_id, customer_id, label, address1, is_active,
  created_at, updated_at)
SELECT %(customer)s + s.seq, %(company)s, %(customer)s + s.seq, 'Home',
  CONCAT(s.seq, ' Ocean View St'), 1, NOW(6), NOW(6)
FROM seq_0_to_%(last_customer)s s
""",
)


def load(invoices: int) -> None:
    """The data set, made by the database itself (MariaDB's sequence tables): the bulk insert
    of a million rows through Python took over an hour on the shared 2 cores."""
    company = Company.objects.order_by("id").first()
    today = timezone.localdate()
    months = months_until(today)
    customers = -(-invoices // len(months))
    params = {
        "company": company.pk,
        "customer": (Customer.unscoped.order_by("-id").values_list("id", flat=True).first() or 0)
        + 1,
        "invoice": (Invoice.unscoped.order_by("-id").values_list("id", flat=True).first() or 0) + 1,
        "customers": customers,
        "last_customer": customers - 1,
        "last": invoices - 1,
        "today": today,
    }
    steps = [
        ("customers and properties", PEOPLE_SQL),
        ("plan", (PLAN_SQL, SETTLE_SQL)),
        ("invoices", (INVOICES_SQL,)),
        ("payments", PAYMENTS_SQL),
    ]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_aging_plan")
        for name, statements in steps:
            start = time.perf_counter()
            for sql in statements:
                cursor.execute(sql, params)
            print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)
        cursor.execute("DROP TABLE bench_aging_plan")
        for table in ("billing_invoice", "billing_payment", "customers_customer"):
            cursor.execute(f"ANALYZE TABLE {table}")
            cursor.fetchall()
    print(
        f"loaded {Invoice.unscoped.count()} invoices and {Payment.unscoped.count()} payments for "
        f"{customers} customers"
    )


# --- the floor: the same figures from one plain SQL statement ----------------------------------

FLOOR_SQL = """
SELECT x.customer_id, c.last_name, c.first_name,
  SUM(CASE WHEN x.due_date IS NULL OR x.due_date >= %(d0)s THEN x.balance ELSE 0 END),
  SUM(CASE WHEN x.due_date < %(d0)s AND x.due_date >= %(d30)s THEN x.balance ELSE 0 END),
  SUM(CASE WHEN x.due_date < %(d30)s AND x.due_date >= %(d60)s THEN x.balance ELSE 0 END),
  SUM(CASE WHEN x.due_date < %(d60)s AND x.due_date >= %(d90)s THEN x.balance ELSE 0 END),
  SUM(CASE WHEN x.due_date < %(d90)s THEN x.balance ELSE 0 END)
FROM (
  SELECT i.customer_id, i.due_date,
    CASE WHEN {received} THEN i.total ELSE i.total
    - COALESCE((SELECT SUM(p.amount) FROM billing_payment p WHERE p.invoice_id = i.id
                AND p.reversed_at IS NULL AND p.paid_date <= %(as_of)s), 0)
    - CASE WHEN i.amount_credited = 0 THEN 0 ELSE
        COALESCE((SELECT SUM(a.amount) FROM billing_creditapplication a
                  WHERE a.invoice_id = i.id AND a.applied_date <= %(as_of)s), 0) END END
      AS balance
  FROM billing_invoice i
  WHERE i.company_id = %(company)s AND i.status IN ('sent', 'paid')
    AND i.issued_date <= %(as_of)s AND {open}
) x JOIN customers_customer c ON c.id = x.customer_id
GROUP BY x.customer_id, c.last_name, c.first_name
HAVING SUM(x.balance) <> 0
ORDER BY c.last_name, c.first_name, x.customer_id
"""
OPEN = "(i.settled_on IS NULL OR i.settled_on > %(as_of)s)"
NOTHING_RECEIVED = "(i.first_received_on IS NULL OR i.first_received_on > %(as_of)s)"
# Without the columns: every invoice issued by the day, each balance computed.
NAIVE = {"open": "1 = 1", "received": "1 = 0"}


def floor_params(company_id: int, as_of: datetime.date) -> dict:
    ends = {f"d{end}": as_of - D(days=end) for end in BUCKET_ENDS}
    return {"company": company_id, "as_of": as_of, **ends}


def cents(text) -> int:
    whole, _, part = str(text).partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int((part + "00")[:2]))


def money(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def floor_body(raw, company_id: int, as_of: datetime.date, naive: bool = False) -> bytes:
    cursor = raw.cursor()
    sql = FLOOR_SQL.format(**(NAIVE if naive else {"open": OPEN, "received": NOTHING_RECEIVED}))
    cursor.execute(sql, floor_params(company_id, as_of))
    totals = [0] * len(BUCKETS)
    customers = []
    for customer_id, last_name, first_name, *amounts in cursor.fetchall():
        values = [cents(amount) for amount in amounts]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        row = {"customer_id": customer_id, "name": f"{first_name} {last_name}"}
        row.update(zip(BUCKETS, map(money, values), strict=True))
        row["total"] = money(sum(values))
        customers.append(row)
    cursor.close()
    body = {
        "as_of": as_of.isoformat(),
        "buckets": list(BUCKETS),
        "totals": dict(zip(BUCKETS, map(money, totals), strict=True)),
        "total": money(sum(totals)),
        "customers": customers,
    }
    return json.dumps(body, separators=(",", ":")).encode()


# --- the app, in-process -----------------------------------------------------------------------


def bench_token(company: Company) -> str:
    user = User.objects.filter(username="bench").first() or User.objects.create_user(
        username="bench", email="bench@example.com", password=None, role=Role.ADMIN
    )
    Membership.objects.get_or_create(
        user=user, company=company, defaults={"role": Role.ADMIN, "is_owner": False}
    )
    return session_start(Ctx.system(), user=user, user_agent="bench", ip_address="127.0.0.1")[
        "access_token"
    ]


def api_call(application, token: str, as_of: datetime.date) -> bytes:
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/reports/aging",
        "QUERY_STRING": f"as_of={as_of}",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    body = application(environ, lambda code, headers: status.append(code))
    content = b"".join(body)
    if hasattr(body, "close"):
        body.close()
    if not status[0].startswith("200"):
        raise SystemExit(f"the API answered {status[0]}: {content[:300]!r}")
    return content


def median_ms(call: Callable[[], object], runs: int) -> float:
    call()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(runs: int) -> None:
    from bench.admin_timing import get, signed_in_client
    from ektor.wsgi import application

    company = Company.objects.order_by("id").first()
    ctx = Ctx.system(company)
    token = bench_token(company)
    web = signed_in_client()
    # The floor's own connection, kept open (Django's closes at the end of each request).
    raw = connection.get_new_connection(connection.get_connection_params())
    today = timezone.localdate()
    print(
        f"{Invoice.unscoped.count()} invoices, {Payment.unscoped.count()} payments, "
        f"{Customer.unscoped.count()} customers; median of {runs} runs, ms (wall, in-process)"
    )
    print(
        f"{'as of':<12}{'open':>8}{'owing':>8}{'selector':>10}{'API':>8}{'admin':>8}"
        f"{'floor':>8}{'ratio':>7}{'naive SQL':>11}"
    )
    for as_of in (today, today - D(days=90), today - D(days=365)):
        api = api_call(application, token, as_of)
        floor = floor_body(raw, company.pk, as_of)
        if json.loads(api) != json.loads(floor):
            raise SystemExit(f"the floor's answer differs from the API's as of {as_of}")
        open_count = aging_open_count(ctx, as_of)
        selector_ms = median_ms(lambda d=as_of: aging(ctx, as_of=d), runs)
        api_ms = median_ms(lambda d=as_of: api_call(application, token, d), runs)
        path = f"/admin/billing/invoice/aging/?as_of={as_of}"
        admin_ms = median_ms(lambda p=path: get(web, p), runs)
        floor_ms = median_ms(lambda d=as_of: floor_body(raw, company.pk, d), runs)
        naive_ms = median_ms(lambda d=as_of: floor_body(raw, company.pk, d, naive=True), 1)
        owing = len(json.loads(api)["customers"])
        print(
            f"{as_of.isoformat():<12}{open_count:>8}{owing:>8}{selector_ms:>10.0f}{api_ms:>8.0f}"
            f"{admin_ms:>8.0f}{floor_ms:>8.0f}{floor_ms / api_ms:>7.2f}{naive_ms:>11.0f}"
        )


def aging_open_count(ctx: Ctx, as_of: datetime.date) -> int:
    from billing.aging import open_on

    return open_on(ctx, as_of).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("load").add_argument("--invoices", type=int, default=1_000_000)
    commands.add_parser("measure").add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if args.command == "load":
        start = time.perf_counter()
        load(args.invoices)
        print(f"load: {time.perf_counter() - start:.0f} s")
    else:
        measure(args.runs)


if __name__ == "__main__":
    main()

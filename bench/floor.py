"""The bare floor: a WSGI app with no framework that runs the API's SQL and returns its JSON.

It answers the five benchmarked requests the way /api/v1 does (same queries, same bodies) so
the benchmark can print each endpoint's ratio to it. Not part of the product; run by
bench/run.py under gunicorn with the same worker settings as the app.
"""

import base64
import datetime
import os
import pickle
import re
import threading
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import MySQLdb
import orjson
from MySQLdb.converters import conversions

from ektor.db.mysql.conversions import with_fast_dates

_local = threading.local()
_url = urlparse(os.environ["DATABASE_URL"])


def db():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = MySQLdb.connect(
            host=_url.hostname,
            port=_url.port or 3306,
            user=_url.username,
            password=_url.password or "",
            database=_url.path.lstrip("/"),
            charset="utf8mb4",
            autocommit=True,
            # The app's driver settings (ektor/db/mysql), so the comparison is of the rest.
            conv=with_fast_dates(conversions),
        )
        _local.conn = conn
    return conn


def money(value) -> str:
    return f"{value:.2f}"


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


# The SQL below is what the app runs (captured with CaptureQueriesContext on MariaDB), with
# the parameters as placeholders; bench/run.py checks that both serve the same bodies.
SESSION_SQL = (
    "SELECT `accounts_authsession`.`id`, `accounts_authsession`.`user_id`, "
    "`accounts_authsession`.`user_agent`, `accounts_authsession`.`ip_address`, "
    "`accounts_authsession`.`created_at`, `accounts_authsession`.`last_used_at`, "
    "`accounts_authsession`.`expires_at`, `accounts_authsession`.`refresh_jti`, "
    "`accounts_authsession`.`ended_at`, `accounts_authsession`.`end_reason`, "
    "`accounts_user`.`id`, `accounts_user`.`password`, `accounts_user`.`last_login`, "
    "`accounts_user`.`is_superuser`, `accounts_user`.`username`, `accounts_user`.`first_name`, "
    "`accounts_user`.`last_name`, `accounts_user`.`is_staff`, `accounts_user`.`is_active`, "
    "`accounts_user`.`date_joined`, `accounts_user`.`email`, `accounts_user`.`role`, "
    "(EXISTS(SELECT 1 FROM `accounts_user_groups` ug JOIN `auth_group` g ON ug.`group_id` = "
    "g.`id` WHERE ug.`user_id` = `accounts_authsession`.`user_id` AND g.`name` = "
    "`accounts_user`.`role`) AND NOT EXISTS(SELECT 1 FROM `accounts_user_groups` ug JOIN "
    "`auth_group` g ON ug.`group_id` = g.`id` WHERE ug.`user_id` = "
    "`accounts_authsession`.`user_id` AND g.`name` <> `accounts_user`.`role`) AND NOT "
    "EXISTS(SELECT 1 FROM `accounts_user_user_permissions` up WHERE up.`user_id` = "
    "`accounts_authsession`.`user_id`)) FROM `accounts_authsession` JOIN `accounts_user` ON "
    "`accounts_authsession`.`user_id` = `accounts_user`.`id` WHERE `accounts_authsession`.`id` "
    "= %s AND `accounts_authsession`.`ended_at` IS NULL AND `accounts_authsession`.`expires_at` "
    "> %s"
)


def check_session(cur, environ) -> None:
    # The app looks up the sign-in session named by the token on every request.
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    cur.execute(SESSION_SQL, (environ.get("HTTP_X_BENCH_SESSION", ""), now))
    cur.fetchone()


def cached_count(cur, table: str, label: str) -> int:
    """The app's cached whole-table count (ektor/api/counts.py in the database cache)."""
    keys = (f":1:rowcount:{label}:version", f":1:rowcount:{label}")
    cur.execute(
        "SELECT `cache_key`, `value`, `expires` FROM `ektor_cache` WHERE `cache_key` IN (%s, %s)",
        keys,
    )
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    found = {
        # Django's DatabaseCache stores pickles; these are the app's own rows.
        key: pickle.loads(base64.b64decode(value))  # noqa: S301
        for key, value, expires in cur.fetchall()
        if expires > now
    }
    stored = found.get(keys[1])
    if stored is not None and stored[0] == found.get(keys[0]):
        return stored[1]
    cur.execute(f"SELECT COUNT(*) AS `__count` FROM `{table}`")
    return cur.fetchone()[0]


PAID_SQL = (
    "COALESCE((SELECT SUM(U0.`amount`) AS `paid` FROM `billing_payment` U0 WHERE "
    "U0.`invoice_id` = (`billing_invoice`.`id`) GROUP BY U0.`invoice_id` ORDER BY NULL), 0.00)"
)
INVOICE_LIST_SQL = (
    "SELECT `billing_invoice`.`id` AS `id`, `billing_invoice`.`number` AS `number`, "
    "`billing_invoice`.`customer_id` AS `customer_id`, `billing_invoice`.`property_id` AS "
    "`property_id`, `billing_invoice`.`period_start` AS `period_start`, "
    "`billing_invoice`.`period_end` AS `period_end`, `billing_invoice`.`status` AS `status`, "
    "`billing_invoice`.`issued_date` AS `issued_date`, `billing_invoice`.`due_date` AS "
    "`due_date`, `billing_invoice`.`subtotal` AS `subtotal`, `billing_invoice`.`tax` AS `tax`, "
    f"`billing_invoice`.`total` AS `total`, {PAID_SQL} AS `amount_paid`, "
    "`billing_invoice`.`notes` AS `notes`, "
    "`billing_invoice`.`created_at` AS `created_at`, `billing_invoice`.`updated_at` AS "
    "`updated_at` FROM `billing_invoice` ORDER BY 1 DESC LIMIT %s"
)


def page_headers(environ, limit: int, offset: int, total: int) -> dict:
    """X-Total-Count and Link, as the app's pagination writes them."""
    url = f"http://{environ['HTTP_HOST']}{environ['PATH_INFO']}"
    links = []
    if offset + limit < total:
        links.append(f'<{url}?limit={limit}&offset={offset + limit}>; rel="next"')
    if offset > 0:
        links.append(f'<{url}?limit={limit}&offset={max(0, offset - limit)}>; rel="prev"')
    headers = {"X-Total-Count": str(total)}
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def invoice_json(row) -> dict:
    return {
        "invoice_id": row[0],
        "number": row[1],
        "customer_id": row[2],
        "property_id": row[3],
        "period_start": iso(row[4]),
        "period_end": iso(row[5]),
        "status": row[6],
        "issued_date": iso(row[7]),
        "due_date": iso(row[8]),
        "subtotal": money(row[9]),
        "tax": money(row[10]),
        "total": money(row[11]),
        "amount_paid": money(row[12]),
        "balance_due": money(Decimal("0.00") if row[6] == "void" else row[11] - row[12]),
        "notes": row[13],
        "created_at": iso(row[14]),
        "updated_at": iso(row[15]),
    }


def invoices(cur, environ, query):
    limit, offset = int(query.get("limit", ["50"])[0]), int(query.get("offset", ["0"])[0])
    total = cached_count(cur, "billing_invoice", "billing.invoice")
    sql, params = INVOICE_LIST_SQL, [limit]
    if offset:
        sql, params = f"{sql} OFFSET %s", [limit, offset]
    cur.execute(sql, params)
    rows = [invoice_json(r) for r in cur.fetchall()]
    return 200, rows, page_headers(environ, limit, offset, total)


CUSTOMER_SQL = (
    "SELECT `customers_customer`.`id`, `customers_customer`.`first_name`, "
    "`customers_customer`.`last_name`, `customers_customer`.`email`, "
    "`customers_customer`.`phone`, `customers_customer`.`created_at`, "
    "`customers_customer`.`updated_at` FROM `customers_customer` WHERE "
    "`customers_customer`.`id` = %s ORDER BY `customers_customer`.`id` DESC LIMIT 1"
)


def customer(cur, environ, customer_id):
    cur.execute(CUSTOMER_SQL, (int(customer_id),))
    r = cur.fetchone()
    if r is None:
        return 404, {"code": "HTTP_404", "message": "Customer not found"}, {}
    body = {
        "customer_id": r[0],
        "first_name": r[1],
        "last_name": r[2],
        "email": r[3],
        "phone": r[4],
        "created_at": iso(r[5]),
        "updated_at": iso(r[6]),
    }
    return 200, body, {}


STATEMENT_ITEMS_SQL = (
    "SELECT `billing_invoice`.`id`, `billing_invoice`.`number`, `billing_invoice`.`status`, "
    "`billing_invoice`.`issued_date`, `billing_invoice`.`due_date`, `billing_invoice`.`total`, "
    f"{PAID_SQL} AS `amount_paid`, CASE WHEN `billing_invoice`.`status` = 'void' THEN 0.00 "
    f"ELSE (`billing_invoice`.`total` - {PAID_SQL}) END AS `balance_due` FROM "
    "`billing_invoice` WHERE (`billing_invoice`.`customer_id` = %s AND "
    "`billing_invoice`.`issued_date` >= %s AND `billing_invoice`.`issued_date` <= %s) "
    "ORDER BY `billing_invoice`.`issued_date` ASC, `billing_invoice`.`id` ASC"
)


def statement(cur, environ, customer_id, query):
    date_from, date_to = query["from"][0], query["to"][0]
    cur.execute(CUSTOMER_SQL, (int(customer_id),))
    c = cur.fetchone()
    cur.execute(STATEMENT_ITEMS_SQL, (int(customer_id), date_from, date_to))
    items, total, paid_total = [], Decimal("0.00"), Decimal("0.00")
    for r in cur.fetchall():
        items.append(
            {
                "invoice_id": r[0],
                "number": r[1],
                "issued_date": iso(r[3]),
                "due_date": iso(r[4]),
                "status": r[2],
                "total": money(r[5]),
                "amount_paid": money(r[6]),
                "balance_due": money(r[7]),
            }
        )
        if r[2] != "void":
            total += r[5]
            paid_total += r[6]
    body = {
        "customer_id": c[0],
        "customer_name": f"{c[1]} {c[2]}",
        "from_date": date_from,
        "to_date": date_to,
        "items": items,
        "total": money(total),
        "paid_total": money(paid_total),
        "balance_due": money(total - paid_total),
    }
    return 200, body, {}


PROPERTY_LIST_SQL = (
    "SELECT `customers_property`.`id` AS `id`, `customers_property`.`customer_id` AS "
    "`customer_id`, `customers_property`.`label` AS `label`, `customers_property`.`address1` "
    "AS `address1`, `customers_property`.`address2` AS `address2`, `customers_property`.`city` "
    "AS `city`, `customers_property`.`state` AS `state`, `customers_property`.`postal_code` AS "
    "`postal_code`, `customers_property`.`notes` AS `notes`, `customers_property`.`is_active` "
    "AS `is_active`, `customers_property`.`created_at` AS `created_at`, "
    "`customers_property`.`updated_at` AS `updated_at` FROM `customers_property` "
    "ORDER BY 1 DESC LIMIT %s"
)
PROPERTY_KEYS = (
    "property_id",
    "customer_id",
    "label",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "notes",
    "is_active",
    "created_at",
    "updated_at",
)


def properties(cur, environ, query):
    limit, offset = int(query.get("limit", ["50"])[0]), int(query.get("offset", ["0"])[0])
    total = cached_count(cur, "customers_property", "customers.property")
    sql, params = PROPERTY_LIST_SQL, [limit]
    if offset:
        sql, params = f"{sql} OFFSET %s", [limit, offset]
    cur.execute(sql, params)
    rows = []
    for r in cur.fetchall():
        item = dict(zip(PROPERTY_KEYS, r, strict=True))
        item["is_active"] = bool(item["is_active"])
        item["created_at"], item["updated_at"] = iso(r[10]), iso(r[11])
        rows.append(item)
    return 200, rows, page_headers(environ, limit, offset, total)


LOCK_INVOICE_SQL = (
    "SELECT `billing_invoice`.`id`, `billing_invoice`.`number`, `billing_invoice`.`customer_id`, "
    "`billing_invoice`.`property_id`, `billing_invoice`.`period_start`, "
    "`billing_invoice`.`period_end`, `billing_invoice`.`status`, `billing_invoice`.`issued_date`, "
    "`billing_invoice`.`due_date`, `billing_invoice`.`subtotal`, `billing_invoice`.`tax`, "
    "`billing_invoice`.`total`, `billing_invoice`.`notes`, `billing_invoice`.`sent_at`, "
    "`billing_invoice`.`paid_at`, `billing_invoice`.`voided_at`, `billing_invoice`.`void_reason`, "
    "`billing_invoice`.`created_at`, `billing_invoice`.`updated_at` FROM `billing_invoice` "
    "WHERE `billing_invoice`.`id` = %s ORDER BY `billing_invoice`.`id` DESC LIMIT 1 FOR UPDATE"
)
TALLY_SQL = (
    "INSERT INTO `billing_invoicetally` (`status`, `due_by`, `invoice_count`, `total`, `paid`) "
    "VALUES (%s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE `invoice_count` = `invoice_count` + %s, "
    "`total` = ROUND(`total` + %s, 2), `paid` = ROUND(`paid` + %s, 2)"
)
PAYMENT_VERSION_KEY = ":1:rowcount:billing.payment:version"


def payment(cur, environ):
    data = orjson.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    amount = Decimal(str(data["amount"]))
    conn = db()
    conn.begin()
    try:
        cur.execute(LOCK_INVOICE_SQL, (data["invoice_id"],))
        inv = cur.fetchone()
        if inv is None:
            conn.rollback()
            return 404, {"code": "HTTP_404", "message": "Invoice not found"}, {}
        status, total = inv[6], inv[11]
        if status in ("paid", "void"):
            conn.rollback()
            return 409, {"code": "HTTP_409", "message": f"Invoice {status}"}, {}
        cur.execute(
            "SELECT COALESCE(SUM(`billing_payment`.`amount`), 0.00) AS `paid` FROM "
            "`billing_payment` WHERE `billing_payment`.`invoice_id` = %s",
            (inv[0],),
        )
        paid = cur.fetchone()[0]
        if paid + amount > total:
            conn.rollback()
            return 409, {"code": "HTTP_409", "message": "Payment exceeds total"}, {}
        today = datetime.date.today()
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        cur.execute("SAVEPOINT `floor`")
        cur.execute(
            "INSERT INTO `billing_payment` (`invoice_id`, `amount`, `paid_date`, `method`, "
            "`reference`, `notes`, `created_at`) VALUES (%s, %s, %s, %s, NULL, NULL, %s) "
            "RETURNING `billing_payment`.`id`",
            (inv[0], amount, today, data.get("method", "other"), now),
        )
        payment_id = cur.fetchone()[0]
        cur.execute("DELETE FROM `ektor_cache` WHERE `cache_key` IN (%s)", (PAYMENT_VERSION_KEY,))
        cur.execute("RELEASE SAVEPOINT `floor`")
        if paid + amount == total:
            cur.execute(
                "UPDATE `billing_invoice` SET `status` = 'paid', `paid_at` = %s, "
                "`updated_at` = %s WHERE `billing_invoice`.`id` = %s",
                (now, now, inv[0]),
            )
            # Paid: the invoice leaves its due date's running figures.
            tally = (-1, -total, -paid)
        else:
            tally = (0, Decimal("0.00"), amount)
        due_by = inv[8] or datetime.date.max
        cur.execute(TALLY_SQL, ("sent", due_by, *tally, *tally))
        conn.commit()
        cur.execute("DELETE FROM `ektor_cache` WHERE `cache_key` IN (%s)", (PAYMENT_VERSION_KEY,))
    except Exception:
        conn.rollback()
        raise
    body = {
        "payment_id": payment_id,
        "invoice_id": inv[0],
        "amount": money(amount),
        "paid_date": today.isoformat(),
        "method": data.get("method", "other"),
        "reference": None,
        "notes": None,
        "created_at": iso(now),
    }
    return 201, body, {}


ROUTES = [
    ("GET", re.compile(r"^/api/v1/invoices$"), lambda c, e, q, m: invoices(c, e, q)),
    ("GET", re.compile(r"^/api/v1/customers/(\d+)$"), lambda c, e, q, m: customer(c, e, m[1])),
    (
        "GET",
        re.compile(r"^/api/v1/reports/customers/(\d+)/statement$"),
        lambda c, e, q, m: statement(c, e, m[1], q),
    ),
    ("GET", re.compile(r"^/api/v1/properties$"), lambda c, e, q, m: properties(c, e, q)),
    ("POST", re.compile(r"^/api/v1/payments$"), lambda c, e, q, m: payment(c, e)),
]

REASONS = {200: "200 OK", 201: "201 Created", 404: "404 Not Found", 409: "409 Conflict"}


def application(environ, start_response):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    for route_method, pattern, handler in ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            cur = db().cursor()
            try:
                check_session(cur, environ)
                status, body, headers = handler(cur, environ, query, match)
            finally:
                cur.close()
            payload = orjson.dumps(body)
            start_response(
                REASONS[status],
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(payload))),
                    *list(headers.items()),
                ],
            )
            return [payload]
    start_response("404 Not Found", [("Content-Type", "application/json")])
    return [b'{"code": "HTTP_404"}']

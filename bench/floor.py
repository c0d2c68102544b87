"""The bare floor: the least a Python WSGI server can do to give the API's answers.

It answers the benchmarked requests the way /api/v1 does (the same rows, the same JSON
bytes, X-Total-Count and Link) so the benchmark can print each endpoint's ratio to it. It is a
floor, not a second app:

- one MySQL connection per server thread, opened once and kept;
- every value read from the driver as the server's text (`str`, in C): no Decimal, date or
  datetime objects. Money is added in integer cents, datetimes are reformatted by slicing;
- each body is one dict/list handed to orjson once;
- the same auth check, where it is cheap: the JWT's HS256 signature and expiry are checked
  with hmac (not PyJWT), then the app's session query (session live, user active, still a
  member of the session's company, with the role of that membership) runs, one round trip; the
  role's permissions are a constant here (the app keeps them in memory too);
- the same company filter on every business row (`company_id` = the session's company), as the
  app's `Model.objects.of(ctx)`, and the company on every row it writes;
- the same count of the company's rows the app uses for X-Total-Count (its cache row, one
  query);
- the same audit event the app records with a payment (one insert).

What it skips (the app does it; it is not needed to produce these answers): routing through a
framework, middleware (security headers are sent as constants), the per-request JSON log line,
input validation beyond what the benchmarked requests need, `last_used_at` (the app writes it at
most once a minute), the error envelope for bad input (the benchmark sends none).

Not part of the product; run by bench/run.py under gunicorn with the same worker settings as the
app. The SQL is the app's, captured on MariaDB (see docs/performance.md); recapture it when a
query of these endpoints changes (bench/run.py stops when the answers differ).
"""

import base64
import datetime
import hashlib
import hmac
import os
import pickle
import threading
import time
import uuid
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlparse

import MySQLdb
import orjson
from MySQLdb.constants import FIELD_TYPE
from MySQLdb.converters import conversions

from operations import chemistry

_local = threading.local()
_url = urlparse(os.environ["DATABASE_URL"])
_key = (os.environ.get("JWT_SECRET_KEY") or os.environ["SECRET_KEY"]).encode()

# The server's text for everything but integers: `str` and `int` are mysqlclient's C fast paths.
# (The parameters are still written as SQL literals by mysqlclient's own encoders.)
AS_TEXT = {
    **conversions,
    **dict.fromkeys(
        (FIELD_TYPE.TINY, FIELD_TYPE.SHORT, FIELD_TYPE.LONG, FIELD_TYPE.LONGLONG, FIELD_TYPE.INT24),
        int,
    ),
    **dict.fromkeys(
        (
            FIELD_TYPE.NEWDECIMAL,
            FIELD_TYPE.DECIMAL,
            FIELD_TYPE.DATE,
            FIELD_TYPE.DATETIME,
            FIELD_TYPE.TIMESTAMP,
            FIELD_TYPE.VARCHAR,
            FIELD_TYPE.VAR_STRING,
            FIELD_TYPE.STRING,
            FIELD_TYPE.BLOB,
            FIELD_TYPE.LONG_BLOB,
            FIELD_TYPE.MEDIUM_BLOB,
            FIELD_TYPE.TINY_BLOB,
        ),
        str,
    ),
}


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
            conv=AS_TEXT,
        )
        _local.conn = conn
    return conn


def cents(text: str) -> int:
    """A DECIMAL(_, 2) as the server writes it ("-12.50") in integer cents."""
    return int(text.replace(".", ""))


def money(value: int) -> str:
    sign, value = ("-", -value) if value < 0 else ("", value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def iso_datetime(text: str | None) -> str | None:
    # "2026-11-22 04:33:52.525063" (UTC, as stored) -> the API's "2026-11-22T04:33:52Z".
    return None if text is None else f"{text[:10]}T{text[11:19]}Z"


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Unauthorized(Exception):
    pass


# The app's session query (accounts/authentication.py: the session, its user, its company and
# the user's membership there), reading only what the check and the writes need.
SESSION_SQL = (
    "SELECT `accounts_user`.`is_active`, `tenancy_membership`.`role`, "
    "`accounts_authsession`.`company_id`, `accounts_user`.`id`, `accounts_user`.`username`, "
    "`tenancy_company`.`slug` FROM `accounts_authsession` JOIN `accounts_user` ON "
    "`accounts_authsession`.`user_id` = `accounts_user`.`id` LEFT JOIN `tenancy_company` ON "
    "`accounts_authsession`.`company_id` = `tenancy_company`.`id` LEFT JOIN "
    "`tenancy_membership` ON `tenancy_membership`.`user_id` = `accounts_authsession`.`user_id` "
    "AND `tenancy_membership`.`company_id` = `accounts_authsession`.`company_id` WHERE "
    "`accounts_authsession`.`id` = %s AND `accounts_authsession`.`ended_at` IS NULL AND "
    "`accounts_authsession`.`expires_at` > %s"
)
# The benchmark signs in an admin; the other roles' permission sets are not needed here.
ALLOWED_ROLES = {"admin"}


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_auth(cur, environ) -> tuple:
    """The bearer JWT (HS256 signature, expiry, `sid`) and its live session: the session's
    company id, the user's id and username."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer "):
        raise Unauthorized
    signed, _, signature = header[7:].rpartition(".")
    expected = hmac.digest(_key, signed.encode(), hashlib.sha256)
    if not hmac.compare_digest(expected, b64url(signature)):
        raise Unauthorized
    claims = orjson.loads(b64url(signed.partition(".")[2]))
    if claims.get("token_type") != "access" or claims["exp"] <= time.time():
        raise Unauthorized
    cur.execute(SESSION_SQL, (claims["sid"], utc_now()))
    row = cur.fetchone()
    # A member (role not NULL) of a company the session still has (its slug not NULL).
    if row is None or not row[0] or row[5] is None or row[1] not in ALLOWED_ROLES:
        raise Unauthorized
    return row[2], row[3], row[4]


def cached_count(cur, table: str, label: str, company_id: int) -> int:
    """The app's cached count of a company's rows (ektor/db/counts.py in the database cache)."""
    keys = (f":1:rowcount:{label}:{company_id}:version", f":1:rowcount:{label}:{company_id}")
    cur.execute(
        "SELECT `cache_key`, `value` FROM `ektor_cache` WHERE `cache_key` IN (%s, %s) "
        "AND `expires` > %s",
        (*keys, utc_now()),
    )
    # Django's DatabaseCache stores pickles; these are the app's own rows.
    found = {key: pickle.loads(base64.b64decode(value)) for key, value in cur.fetchall()}  # noqa: S301
    stored = found.get(keys[1])
    if stored is not None and stored[0] == found.get(keys[0]):
        return stored[1]
    cur.execute(f"SELECT COUNT(*) FROM `{table}` WHERE `{table}`.`company_id` = %s", (company_id,))
    return cur.fetchone()[0]


def page(environ, query) -> tuple[int, int]:
    return int(query.get("limit", "50")), int(query.get("offset", "0"))


def page_headers(environ, limit: int, offset: int, total: int) -> list[tuple[str, str]]:
    """X-Total-Count and Link, as the app's pagination writes them."""
    url = f"http://{environ['HTTP_HOST']}{environ['PATH_INFO']}"
    links = []
    if offset + limit < total:
        links.append(f'<{url}?limit={limit}&offset={offset + limit}>; rel="next"')
    if offset > 0:
        links.append(f'<{url}?limit={limit}&offset={max(0, offset - limit)}>; rel="prev"')
    headers = [("X-Total-Count", str(total))]
    if links:
        headers.append(("Link", ", ".join(links)))
    return headers


PAID_SQL = (
    "COALESCE((SELECT SUM(U0.`amount`) AS `paid` FROM `billing_payment` U0 WHERE "
    "(U0.`reversed_at` IS NULL AND U0.`invoice_id` = (`billing_invoice`.`id`)) "
    "GROUP BY U0.`invoice_id` ORDER BY NULL), 0.00)"
)
INVOICE_LIST_SQL = (
    "SELECT `billing_invoice`.`id`, `billing_invoice`.`number`, `billing_invoice`.`customer_id`, "
    "`billing_invoice`.`property_id`, `billing_invoice`.`period_start`, "
    "`billing_invoice`.`period_end`, `billing_invoice`.`status`, `billing_invoice`.`issued_date`, "
    "`billing_invoice`.`due_date`, `billing_invoice`.`subtotal`, `billing_invoice`.`tax`, "
    f"`billing_invoice`.`total`, {PAID_SQL}, `billing_invoice`.`amount_credited`, "
    "`billing_invoice`.`notes`, `billing_invoice`.`disputed`, "
    "`billing_invoice`.`created_at`, `billing_invoice`.`updated_at` FROM `billing_invoice` "
    "WHERE `billing_invoice`.`company_id` = %s ORDER BY 1 DESC LIMIT %s OFFSET %s"
)
LINE_COLUMNS = (
    "`billing_invoiceline`.`id`, `billing_invoiceline`.`invoice_id`, "
    "`billing_invoiceline`.`kind`, `billing_invoiceline`.`description`, "
    "`billing_invoiceline`.`item_id`, `billing_invoiceline`.`visit_id`, "
    "`billing_invoiceline`.`plan_id`, `billing_invoiceline`.`quantity`, "
    "`billing_invoiceline`.`unit_price`, `billing_invoiceline`.`tax_rate`, "
    "`billing_invoiceline`.`amount`, `billing_invoiceline`.`tax`"
)
INVOICE_LINES_SQL = (
    f"SELECT {LINE_COLUMNS} FROM `billing_invoiceline` WHERE "
    "(`billing_invoiceline`.`company_id` = %s AND `billing_invoiceline`.`invoice_id` IN %s) "
    "ORDER BY `billing_invoiceline`.`id` ASC"
)
INVOICE_REMINDERS_SQL = (
    "SELECT `billing_invoicereminder`.`invoice_id`, `billing_invoicereminder`.`days`, "
    "`billing_invoicereminder`.`sent_at` FROM `billing_invoicereminder` WHERE "
    "(`billing_invoicereminder`.`company_id` = %s AND "
    "`billing_invoicereminder`.`invoice_id` IN %s) "
    "ORDER BY `billing_invoicereminder`.`days` ASC"
)


def line_rows(rows) -> dict[int, list[dict]]:
    """The lines of each invoice, as InvoiceLineOut (rows of LINE_COLUMNS, in id order)."""
    lines: dict[int, list[dict]] = {}
    for r in rows:
        lines.setdefault(r[1], []).append(
            {
                "line_id": r[0],
                "kind": r[2],
                "description": r[3],
                "item_id": r[4],
                "visit_id": r[5],
                "plan_id": r[6],
                "quantity": r[7],
                "unit_price": r[8],
                "tax_rate": r[9],
                "amount": r[10],
                "tax": r[11],
            }
        )
    return lines


def balance_due(status: str, total: str, paid: str, credited: str) -> str:
    return "0.00" if status == "void" else money(cents(total) - cents(paid) - cents(credited))


def invoices(cur, environ, company_id, query):
    limit, offset = page(environ, query)
    total = cached_count(cur, "billing_invoice", "billing.invoice", company_id)
    cur.execute(INVOICE_LIST_SQL, (company_id, limit, offset))
    found = cur.fetchall()
    ids = tuple(r[0] for r in found)
    lines: dict[int, list[dict]] = {}
    reminders: dict[int, list[dict]] = {}
    if ids:
        cur.execute(INVOICE_LINES_SQL, (company_id, ids))
        lines = line_rows(cur.fetchall())
        cur.execute(INVOICE_REMINDERS_SQL, (company_id, ids))
        for invoice_id, days, sent_at in cur.fetchall():
            reminders.setdefault(invoice_id, []).append(
                {"days": days, "sent_at": iso_datetime(sent_at)}
            )
    rows = [
        {
            "invoice_id": r[0],
            "number": r[1],
            "customer_id": r[2],
            "property_id": r[3],
            "period_start": r[4],
            "period_end": r[5],
            "status": r[6],
            "issued_date": r[7],
            "due_date": r[8],
            "subtotal": r[9],
            "tax": r[10],
            "total": r[11],
            "amount_paid": r[12],
            "amount_credited": r[13],
            "balance_due": balance_due(r[6], r[11], r[12], r[13]),
            "notes": r[14],
            "disputed": bool(r[15]),
            "lines": lines.get(r[0], []),
            "reminders_sent": reminders.get(r[0], []),
            "created_at": iso_datetime(r[16]),
            "updated_at": iso_datetime(r[17]),
        }
        for r in found
    ]
    return 200, rows, page_headers(environ, limit, offset, total)


CUSTOMER_COLUMNS = (
    "`customers_customer`.`id`, `customers_customer`.`first_name`, "
    "`customers_customer`.`last_name`, `customers_customer`.`email`, "
    "`customers_customer`.`phone`, `customers_customer`.`is_active`, "
    "`customers_customer`.`created_at`, `customers_customer`.`updated_at`"
)
CUSTOMER_SQL = (
    f"SELECT {CUSTOMER_COLUMNS} FROM `customers_customer` WHERE "
    "(`customers_customer`.`company_id` = %s AND `customers_customer`.`id` = %s) ORDER BY "
    "`customers_customer`.`id` DESC LIMIT 1"
)
NOT_FOUND = {"code": "HTTP_404", "message": "Not found"}


def customer(cur, environ, company_id, customer_id):
    cur.execute(CUSTOMER_SQL, (company_id, int(customer_id)))
    r = cur.fetchone()
    if r is None:
        return 404, NOT_FOUND, []
    body = {
        "customer_id": r[0],
        "first_name": r[1],
        "last_name": r[2],
        "email": r[3],
        "phone": r[4],
        "is_active": bool(r[5]),
        "created_at": iso_datetime(r[6]),
        "updated_at": iso_datetime(r[7]),
    }
    return 200, body, []


STATEMENT_CUSTOMER_SQL = (
    "SELECT `customers_customer`.`id`, `customers_customer`.`first_name`, "
    "`customers_customer`.`last_name`, COALESCE((SELECT SUM(U0.`total`) AS `s` FROM "
    "`billing_invoice` U0 WHERE (U0.`company_id` = %(company)s AND U0.`status` IN ('sent', 'paid') "
    "AND U0.`customer_id` = (`customers_customer`.`id`) AND U0.`issued_date` < %(from)s)), 0.00) "
    "AS `billed_before`, COALESCE((SELECT SUM(U0.`amount`) AS `s` FROM `billing_payment` U0 "
    "INNER JOIN `billing_invoice` U2 ON (U0.`invoice_id` = U2.`id`) WHERE (U0.`company_id` = "
    "%(company)s AND U0.`reversed_at` IS NULL AND NOT (U2.`status` = 'void') AND U2.`customer_id` "
    "= (`customers_customer`.`id`) AND U0.`paid_date` < %(from)s)), 0.00) AS `paid_before`, "
    "COALESCE((SELECT SUM(U0.`amount`) AS `s` FROM `billing_credit` U0 WHERE (U0.`company_id` = "
    "%(company)s AND U0.`customer_id` = (`customers_customer`.`id`) AND U0.`voided_at` IS NULL "
    "AND U0.`credit_date` < %(from)s)), 0.00) AS `credited_before`, COALESCE((SELECT "
    "SUM(U0.`amount`) AS `s` FROM `billing_credit` U0 WHERE (U0.`company_id` = %(company)s AND "
    "U0.`customer_id` = (`customers_customer`.`id`) AND U0.`voided_at` IS NULL AND "
    "U0.`credit_date` <= %(to)s)), 0.00) AS `credited_by_end`, COALESCE((SELECT SUM(U0.`amount`) "
    "AS `s` FROM `billing_creditapplication` U0 INNER JOIN `billing_invoice` U2 ON "
    "(U0.`invoice_id` = U2.`id`) INNER JOIN `billing_credit` U3 ON (U0.`credit_id` = U3.`id`) "
    "WHERE (U0.`company_id` = %(company)s AND NOT (U2.`status` = 'void') AND U0.`applied_date` <= "
    "%(to)s AND U3.`customer_id` = (`customers_customer`.`id`))), 0.00) AS `applied_by_end` "
    "FROM `customers_customer` WHERE (`customers_customer`.`company_id` = %(company)s AND "
    "`customers_customer`.`id` = %(customer)s) ORDER BY `customers_customer`.`id` ASC LIMIT 1"
)
STATEMENT_ITEMS_SQL = (
    "SELECT `billing_invoice`.`id`, `billing_invoice`.`number`, `billing_invoice`.`status`, "
    "`billing_invoice`.`issued_date`, `billing_invoice`.`due_date`, `billing_invoice`.`total`, "
    f"`billing_invoice`.`amount_credited`, {PAID_SQL} AS `amount_paid` FROM `billing_invoice` "
    "WHERE (`billing_invoice`.`company_id` = %(company)s AND `billing_invoice`.`customer_id` = "
    "%(customer)s AND `billing_invoice`.`issued_date` >= %(from)s AND "
    "`billing_invoice`.`issued_date` <= %(to)s) "
    "ORDER BY `billing_invoice`.`issued_date` ASC, `billing_invoice`.`id` ASC"
)
STATEMENT_LINES_SQL = (
    f"SELECT {LINE_COLUMNS} FROM `billing_invoiceline` INNER JOIN `billing_invoice` ON "
    "(`billing_invoiceline`.`invoice_id` = `billing_invoice`.`id`) WHERE "
    "(`billing_invoiceline`.`company_id` = %(company)s AND `billing_invoice`.`customer_id` = "
    "%(customer)s AND `billing_invoice`.`issued_date` >= %(from)s AND "
    "`billing_invoice`.`issued_date` <= %(to)s) ORDER BY `billing_invoiceline`.`id` ASC"
)
STATEMENT_PAYMENTS_SQL = (
    "SELECT `billing_payment`.`id`, `billing_payment`.`invoice_id`, `billing_payment`.`amount`, "
    "`billing_payment`.`paid_date`, `billing_payment`.`method`, `billing_payment`.`reference`, "
    "`billing_invoice`.`number` AS `number` FROM `billing_payment` INNER JOIN `billing_invoice` "
    "ON (`billing_payment`.`invoice_id` = `billing_invoice`.`id`) WHERE "
    "(`billing_payment`.`company_id` = %(company)s AND `billing_payment`.`reversed_at` IS NULL "
    "AND NOT (`billing_invoice`.`status` = 'void') AND `billing_invoice`.`customer_id` = "
    "%(customer)s AND `billing_payment`.`paid_date` BETWEEN %(from)s AND %(to)s) "
    "ORDER BY `billing_payment`.`paid_date` ASC, `billing_payment`.`id` ASC"
)
STATEMENT_CREDITS_SQL = (
    "SELECT `billing_credit`.`id`, `billing_credit`.`source`, `billing_credit`.`amount`, "
    "`billing_credit`.`reason`, `billing_credit`.`invoice_id`, `billing_credit`.`credit_date`, "
    "`billing_invoice`.`number` AS `number` FROM `billing_credit` LEFT OUTER JOIN "
    "`billing_invoice` ON (`billing_credit`.`invoice_id` = `billing_invoice`.`id`) WHERE "
    "(`billing_credit`.`company_id` = %(company)s AND `billing_credit`.`credit_date` BETWEEN "
    "%(from)s AND %(to)s AND `billing_credit`.`customer_id` = %(customer)s AND "
    "`billing_credit`.`voided_at` IS NULL) "
    "ORDER BY `billing_credit`.`credit_date` ASC, `billing_credit`.`id` ASC"
)
STATEMENT_APPLICATIONS_SQL = (
    "SELECT `billing_creditapplication`.`id`, `billing_creditapplication`.`credit_id`, "
    "`billing_creditapplication`.`invoice_id`, `billing_creditapplication`.`amount`, "
    "`billing_creditapplication`.`applied_date`, `billing_invoice`.`number` AS `number` FROM "
    "`billing_creditapplication` INNER JOIN `billing_invoice` ON "
    "(`billing_creditapplication`.`invoice_id` = `billing_invoice`.`id`) INNER JOIN "
    "`billing_credit` ON (`billing_creditapplication`.`credit_id` = `billing_credit`.`id`) WHERE "
    "(`billing_creditapplication`.`company_id` = %(company)s AND NOT (`billing_invoice`.`status` "
    "= 'void') AND `billing_creditapplication`.`applied_date` BETWEEN %(from)s AND %(to)s AND "
    "`billing_credit`.`customer_id` = %(customer)s) ORDER BY "
    "`billing_creditapplication`.`applied_date` ASC, `billing_creditapplication`.`id` ASC"
)


def listed(cur, sql: str, params: dict, columns: dict[str, int]) -> tuple[list[dict], int]:
    """The rows of `sql` as dicts of `columns` (a name: its index, in the answer's order), and
    their amounts added in cents."""
    cur.execute(sql, params)
    found = [{name: r[index] for name, index in columns.items()} for r in cur.fetchall()]
    return found, sum(cents(row["amount"]) for row in found)


def statement(cur, environ, company_id, customer_id, query):
    period = {
        "company": company_id,
        "customer": int(customer_id),
        "from": query["from"],
        "to": query["to"],
    }
    cur.execute(STATEMENT_CUSTOMER_SQL, period)
    c = cur.fetchone()
    if c is None:
        return 404, NOT_FOUND, []
    cur.execute(STATEMENT_ITEMS_SQL, period)
    found = cur.fetchall()
    cur.execute(STATEMENT_LINES_SQL, period)
    lines = line_rows(cur.fetchall())
    items, total, paid_total, credited_total, invoiced_total = [], 0, 0, 0, 0
    for r in found:
        items.append(
            {
                "invoice_id": r[0],
                "number": r[1],
                "issued_date": r[3],
                "due_date": r[4],
                "status": r[2],
                "total": r[5],
                "amount_paid": r[7],
                "amount_credited": r[6],
                "balance_due": balance_due(r[2], r[5], r[7], r[6]),
                "lines": lines.get(r[0], []),
            }
        )
        if r[2] != "void":
            total += cents(r[5])
            paid_total += cents(r[7])
            credited_total += cents(r[6])
        if r[2] in ("sent", "paid"):
            invoiced_total += cents(r[5])
    payments, payments_total = listed(
        cur,
        STATEMENT_PAYMENTS_SQL,
        period,
        {
            "payment_id": 0,
            "invoice_id": 1,
            "number": 6,
            "paid_date": 3,
            "amount": 2,
            "method": 4,
            "reference": 5,
        },
    )
    credits, credits_total = listed(
        cur,
        STATEMENT_CREDITS_SQL,
        period,
        {
            "credit_id": 0,
            "credit_date": 5,
            "source": 1,
            "reason": 3,
            "invoice_id": 4,
            "number": 6,
            "amount": 2,
        },
    )
    applications, applied_total = listed(
        cur,
        STATEMENT_APPLICATIONS_SQL,
        period,
        {
            "application_id": 0,
            "credit_id": 1,
            "invoice_id": 2,
            "number": 5,
            "applied_date": 4,
            "amount": 3,
        },
    )
    opening = cents(c[3]) - cents(c[4]) - cents(c[5])
    body = {
        "customer_id": c[0],
        "customer_name": f"{c[1]} {c[2]}",
        "from_date": period["from"],
        "to_date": period["to"],
        "items": items,
        "total": money(total),
        "paid_total": money(paid_total),
        "credited_total": money(credited_total),
        "balance_due": money(total - paid_total - credited_total),
        "opening_balance": money(opening),
        "invoiced_total": money(invoiced_total),
        "payments": payments,
        "payments_total": money(payments_total),
        "credits": credits,
        "credits_total": money(credits_total),
        "credit_applications": applications,
        "applied_total": money(applied_total),
        "closing_balance": money(opening + invoiced_total - payments_total - credits_total),
        "unapplied_credit": money(cents(c[6]) - cents(c[7])),
    }
    return 200, body, []


PROPERTY_LIST_SQL = (
    "SELECT `customers_property`.`id`, `customers_property`.`customer_id`, "
    "`customers_property`.`label`, `customers_property`.`address1`, "
    "`customers_property`.`address2`, `customers_property`.`city`, `customers_property`.`state`, "
    "`customers_property`.`postal_code`, `customers_property`.`notes`, "
    "`customers_property`.`is_active`, `customers_property`.`created_at`, "
    "`customers_property`.`updated_at` FROM `customers_property` WHERE "
    "`customers_property`.`company_id` = %s ORDER BY 1 DESC LIMIT %s OFFSET %s"
)


def properties(cur, environ, company_id, query):
    limit, offset = page(environ, query)
    total = cached_count(cur, "customers_property", "customers.property", company_id)
    cur.execute(PROPERTY_LIST_SQL, (company_id, limit, offset))
    rows = [
        {
            "property_id": r[0],
            "customer_id": r[1],
            "label": r[2],
            "address1": r[3],
            "address2": r[4],
            "city": r[5],
            "state": r[6],
            "postal_code": r[7],
            "notes": r[8],
            "is_active": bool(r[9]),
            "created_at": iso_datetime(r[10]),
            "updated_at": iso_datetime(r[11]),
        }
        for r in cur.fetchall()
    ]
    return 200, rows, page_headers(environ, limit, offset, total)


ITEM_COLUMNS = (
    "`catalog_item`.`id`, `catalog_item`.`sku`, `catalog_item`.`name`, `catalog_item`.`kind`, "
    "`catalog_item`.`category`, `catalog_item`.`description`, `catalog_item`.`unit`, "
    "`catalog_item`.`price`, `catalog_item`.`cost`, `catalog_item`.`taxable`, "
    "`catalog_item`.`track_stock`, `catalog_item`.`stock_quantity`, "
    "`catalog_item`.`reorder_level`, `catalog_item`.`is_active`, `catalog_item`.`created_at`, "
    "`catalog_item`.`updated_at`"
)
ITEM_WHERE = "`catalog_item`.`company_id` = %s AND `catalog_item`.`deleted_at` IS NULL"
# One word of `q` (catalog.selectors.item_search): in the name, the SKU or the description.
ITEM_WORD = (
    " AND (`catalog_item`.`name` LIKE %s OR `catalog_item`.`sku` LIKE %s OR "
    "`catalog_item`.`description` LIKE %s)"
)


def items(cur, environ, company_id, query):
    """The catalog's list, uncached (the floor keeps no cache): the count and the page."""
    limit, offset = page(environ, query)
    where, params = ITEM_WHERE, [company_id]
    for word in query.get("q", "").split():
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where += ITEM_WORD
        params += [like, like, like]
    cur.execute(f"SELECT COUNT(*) FROM `catalog_item` WHERE ({where})", params)
    total = cur.fetchone()[0]
    cur.execute(
        f"SELECT {ITEM_COLUMNS} FROM `catalog_item` WHERE ({where}) "
        "ORDER BY `catalog_item`.`id` DESC LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    rows = [
        {
            "item_id": r[0],
            "sku": r[1],
            "name": r[2],
            "kind": r[3],
            "category": r[4],
            "description": r[5],
            "unit": r[6],
            "price": r[7],
            "cost": r[8],
            "taxable": bool(r[9]),
            "track_stock": bool(r[10]),
            "stock_quantity": r[11],
            "reorder_level": r[12],
            "is_active": bool(r[13]),
            "created_at": iso_datetime(r[14]),
            "updated_at": iso_datetime(r[15]),
        }
        for r in cur.fetchall()
    ]
    return 200, rows, query_page_headers(environ, query, limit, offset, total)


def query_page_headers(environ, query, limit: int, offset: int, total: int):
    """page_headers for a list with more parameters than the page's (sorted, as the app)."""
    url = f"http://{environ['HTTP_HOST']}{environ['PATH_INFO']}"

    def link(at: int) -> str:
        params = {**query, "limit": str(limit), "offset": str(at)}
        return f"<{url}?{urlencode(sorted(params.items()))}>"

    links = []
    if offset + limit < total:
        links.append(f'{link(offset + limit)}; rel="next"')
    if offset > 0:
        links.append(f'{link(max(0, offset - limit))}; rel="prev"')
    headers = [("X-Total-Count", str(total))]
    if links:
        headers.append(("Link", ", ".join(links)))
    return headers


LOCK_INVOICE_SQL = (
    "SELECT `billing_invoice`.`id`, `billing_invoice`.`status`, `billing_invoice`.`due_date`, "
    "`billing_invoice`.`total` FROM `billing_invoice` WHERE (`billing_invoice`.`company_id` = "
    "%s AND `billing_invoice`.`id` = %s) ORDER BY `billing_invoice`.`id` DESC LIMIT 1 FOR UPDATE"
)
PAID_ON_SQL = (
    "SELECT COALESCE(SUM(`billing_payment`.`amount`), 0.00) AS `paid` FROM `billing_payment` "
    "WHERE (`billing_payment`.`invoice_id` = %s AND `billing_payment`.`reversed_at` IS NULL)"
)
INSERT_PAYMENT_SQL = (
    "INSERT INTO `billing_payment` (`company_id`, `invoice_id`, `amount`, `paid_date`, `method`, "
    "`reference`, `notes`, `created_at`, `reversed_at`, `reversed_by_id`, `reversal_reason`, "
    "`counted`) VALUES (%s, %s, %s, %s, %s, NULL, NULL, %s, NULL, NULL, NULL, 1) RETURNING "
    "`billing_payment`.`id`"
)
RECEIVABLES_SQL = (
    "INSERT INTO `billing_receivablesbyduedate` "
    "(`company_id`, `status`, `due_by`, `invoice_count`, `total`, `paid`) "
    "VALUES (%s, 'sent', %s, %s, %s, %s) ON DUPLICATE KEY UPDATE `invoice_count` = "
    "`invoice_count` + %s, `total` = ROUND(`total` + %s, 2), `paid` = ROUND(`paid` + %s, 2)"
)
PAYMENT_VERSION_SQL = "DELETE FROM `ektor_cache` WHERE `cache_key` IN (%s)"
# The audit trail's row for the payment, and for the invoice it settles (audit/).
AUDIT_SQL = (
    "INSERT INTO `audit_auditevent` (`at`, `company_id`, `actor_id`, `actor`, `action`, "
    "`object_type`, `object_id`, `changes`, `request_id`) VALUES (%s, %s, %s, %s, %s, %s, %s, "
    "%s, %s)"
)
# An invoice with no due date is counted under the app's NO_DUE_DATE (billing.models).
NO_DUE_DATE = "9999-12-31"


def conflict(message: str):
    return 409, {"code": "HTTP_409", "message": message}, []


def payment(cur, environ, company_id, user_id, username, request_id):
    data = orjson.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    whole, _, fraction = str(data["amount"]).partition(".")
    amount = int(whole) * 100 + int(f"{fraction}00"[:2])
    method = data.get("method", "other")
    conn = db()
    conn.begin()
    try:
        cur.execute(LOCK_INVOICE_SQL, (company_id, data["invoice_id"]))
        inv = cur.fetchone()
        if inv is None:
            conn.rollback()
            return 404, NOT_FOUND, []
        invoice_id, status, due_date, total = inv[0], inv[1], inv[2], cents(inv[3])
        if status in ("paid", "void"):
            conn.rollback()
            return conflict(f"Invoice {status}")
        cur.execute(PAID_ON_SQL, (invoice_id,))
        paid = cents(cur.fetchone()[0])
        if paid + amount > total:
            conn.rollback()
            return conflict("Payment exceeds total")
        now = utc_now()
        today = now[:10]
        version_key = f":1:rowcount:billing.payment:{company_id}:version"
        cur.execute("SAVEPOINT `floor`")
        cur.execute(INSERT_PAYMENT_SQL, (company_id, invoice_id, money(amount), today, method, now))
        payment_id = cur.fetchone()[0]
        cur.execute(PAYMENT_VERSION_SQL, (version_key,))
        cur.execute("RELEASE SAVEPOINT `floor`")
        changes = (
            f'{{"company_id": [null, {company_id}], "invoice_id": [null, {invoice_id}], '
            f'"amount": [null, "{money(amount)}"], "paid_date": [null, "{today}"], '
            f'"method": [null, {orjson.dumps(method).decode()}]}}'
        )
        audit = (company_id, user_id, username)
        cur.execute(AUDIT_SQL, (now, *audit, "create", "payment", payment_id, changes, request_id))
        if paid + amount == total:
            cur.execute(
                "UPDATE `billing_invoice` SET `status` = 'paid', `paid_at` = %s, "
                "`updated_at` = %s WHERE `billing_invoice`.`id` = %s",
                (now, now, invoice_id),
            )
            changes = f'{{"status": ["{status}", "paid"], "paid_at": [null, "{now}"]}}'
            cur.execute(AUDIT_SQL, (now, *audit, "pay", "invoice", invoice_id, changes, request_id))
            # Paid: the invoice leaves its due date's running figures.
            figures = (-1, money(-total), money(-paid))
        else:
            figures = (0, "0.00", money(amount))
        cur.execute(RECEIVABLES_SQL, (company_id, due_date or NO_DUE_DATE, *figures, *figures))
        conn.commit()
        cur.execute(PAYMENT_VERSION_SQL, (version_key,))
    except Exception:
        conn.rollback()
        raise
    body = {
        "payment_id": payment_id,
        "invoice_id": invoice_id,
        "amount": money(amount),
        "paid_date": today,
        "method": method,
        "reference": None,
        "notes": None,
        "created_at": iso_datetime(now),
        "reversed_at": None,
        "reversed_by": None,
        "reversal_reason": None,
    }
    return 201, body, []


# A visit's completion (operations.visits.visit_complete): the visit's row locked, its pools, the
# items locked in id order, the visit's update, the reading with its chemistry (the pure module
# the app uses: the answer needs its figures), per stocked line the item's stock, the usage
# movement, its audit event and the catalog cache's version, the lines, the events of the
# reading and the lines, and the answer's readings, lines and photos.
LOCK_VISIT_SQL = (
    "SELECT `id`, `kind`, `plan_id`, `property_id`, `customer_id`, `technician_id`, "
    "`scheduled_date`, `route_position`, `status`, `started_at`, `skip_reason`, `skip_note`, "
    "`cancel_reason`, `title`, `created_at` FROM `operations_visit` WHERE "
    "(`company_id` = %s AND `id` = %s) LIMIT 1 FOR UPDATE"
)
VISIT_POOLS_SQL = (
    "SELECT `id`, `volume_gallons`, `surface`, `sanitizer` FROM `pools_pool` WHERE "
    "(`company_id` = %s AND (`property_id` = %s OR `id` IN (SELECT U0.`pool_id` FROM "
    "`operations_serviceplan` U0 WHERE (U0.`company_id` = %s AND U0.`id` = %s))))"
)
LOCK_ITEMS_SQL = (
    "SELECT `id`, `name`, `price`, `taxable`, `track_stock`, `stock_quantity` FROM "
    "`catalog_item` WHERE (`company_id` = %s AND `id` IN ({}) AND `deleted_at` IS NULL)"
)
# The stocked items locked together in id order, their new stock in one UPDATE.
LOCK_STOCK_SQL = (
    "SELECT `id`, `stock_quantity` FROM `catalog_item` WHERE (`company_id` = %s AND `id` IN ({}) "
    "AND `deleted_at` IS NULL) ORDER BY `id` ASC FOR UPDATE"
)
USE_STOCK_SQL = (
    "UPDATE `catalog_item` SET `stock_quantity` = CASE {} ELSE NULL END, `updated_at` = CASE {} "
    "ELSE NULL END WHERE (`company_id` = %s AND `id` IN ({}))"
)
COMPLETE_VISIT_SQL = (
    "UPDATE `operations_visit` SET `status` = 'completed', `started_at` = %s, "
    "`completed_at` = %s, `checklist` = %s, `customer_notes` = %s, `office_notes` = %s, "
    "`updated_at` = %s WHERE `id` = %s"
)
READING_FIELDS = (
    "free_chlorine",
    "combined_chlorine",
    "ph",
    "total_alkalinity",
    "calcium_hardness",
    "cyanuric_acid",
    "salt",
    "temperature_f",
    "tds",
    "phosphates",
)
INSERT_READING_SQL = (
    "INSERT INTO `operations_reading` (`company_id`, `visit_id`, `pool_id`, "
    + ", ".join(f"`{name}`" for name in READING_FIELDS)
    + ", `lsi`, `flags`, `suggestions`, `created_at`) VALUES ("
    + ", ".join(["%s"] * (len(READING_FIELDS) + 7))
    + ") RETURNING `id`"
)
INSERT_MOVEMENTS_SQL = (
    "INSERT INTO `catalog_stockmovement` (`company_id`, `item_id`, `kind`, `quantity`, "
    "`stock_after`, `unit_cost`, `visit_id`, `note`, `created_by_id`, `created_at`) VALUES {} "
    "RETURNING `id`"
)
INSERT_LINES_SQL = (
    "INSERT INTO `operations_visitline` (`company_id`, `visit_id`, `item_id`, `pool_id`, "
    "`description`, `quantity`, `unit_price`, `taxable`, `movement_id`, `created_at`) VALUES {} "
    "RETURNING `id`"
)
AUDIT_MANY_SQL = (
    "INSERT INTO `audit_auditevent` (`at`, `company_id`, `actor_id`, `actor`, `action`, "
    "`object_type`, `object_id`, `changes`, `request_id`) VALUES {}"
)
VISIT_PHOTOS_SQL = "SELECT `id`, `caption` FROM `operations_photo` WHERE `visit_id` = %s"


TWO = Decimal("0.01")


def thousandths(text: str) -> int:
    """A DECIMAL(_, 3) (a stock quantity) in integer thousandths."""
    whole, _, fraction = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return int(whole) * 1000 + sign * int(f"{fraction}000"[:3])


def stock(value: int) -> str:
    sign, value = ("-", -value) if value < 0 else ("", value)
    return f"{sign}{value // 1000}.{value % 1000:03d}"


def _reading(company_id, visit_id, pool, values: dict) -> dict:
    measured = {
        name: None if values.get(name) is None else Decimal(str(values[name])).quantize(TWO)
        for name in READING_FIELDS
    }
    water = chemistry.Reading(**{k: v for k, v in measured.items() if k != "phosphates"})
    target = chemistry.Pool(volume_gallons=pool[1], surface=pool[2], sanitizer=pool[3])
    lsi = water.lsi()
    return {
        "pool_id": pool[0],
        **{name: None if v is None else f"{v:.2f}" for name, v in measured.items()},
        "lsi": None if lsi is None else f"{lsi.lsi:.2f}",
        "flags": chemistry.flags(water, target),
        "suggestions": [
            {"chemical": d.chemical, "amount": str(d.amount), "unit": d.unit, "reason": d.reason}
            for d in chemistry.suggestions(water, target)
        ],
    }


def visit_complete(cur, environ, company_id, user_id, username, request_id, visit_id):
    data = orjson.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    conn = db()
    conn.begin()
    try:
        cur.execute(LOCK_VISIT_SQL, (company_id, visit_id))
        visit = cur.fetchone()
        if visit is None:
            conn.rollback()
            return 404, NOT_FOUND, []
        if visit[8] not in ("scheduled", "in_progress"):
            conn.rollback()
            return conflict(f"Visit {visit_id} is {visit[8]}")
        cur.execute(VISIT_POOLS_SQL, (company_id, visit[3], company_id, visit[2] or 0))
        pools = {row[0]: row for row in cur.fetchall()}
        lines = data.get("lines", [])
        item_ids = sorted({line["item_id"] for line in lines})
        items = {}
        if item_ids:
            cur.execute(
                LOCK_ITEMS_SQL.format(", ".join(["%s"] * len(item_ids))), (company_id, *item_ids)
            )
            items = {row[0]: row for row in cur.fetchall()}
        now = utc_now()
        started = visit[9] or now
        checklist = orjson.dumps(data.get("checklist", [])).decode()
        notes = (data.get("customer_notes"), data.get("office_notes"))
        cur.execute(COMPLETE_VISIT_SQL, (started, now, checklist, *notes, now, visit_id))
        audit = (company_id, user_id, username)
        events = [
            (
                now,
                *audit,
                "complete",
                "visit",
                visit_id,
                orjson.dumps(
                    {
                        "status": [visit[8], "completed"],
                        "completed_at": [None, now],
                        "checklist": [[], data.get("checklist", [])],
                        "customer_notes": [None, notes[0]],
                        "office_notes": [None, notes[1]],
                    }
                ).decode(),
                request_id,
            ),
        ]
        readings = []
        for values in data.get("readings", []):
            reading = _reading(company_id, visit_id, pools[values["pool_id"]], values)
            cur.execute(
                INSERT_READING_SQL,
                (
                    company_id,
                    visit_id,
                    reading["pool_id"],
                    *(reading[name] for name in READING_FIELDS),
                    reading["lsi"],
                    orjson.dumps(reading["flags"]).decode(),
                    orjson.dumps(reading["suggestions"]).decode(),
                    now,
                ),
            )
            reading = {"reading_id": cur.fetchone()[0], **reading, "created_at": iso_datetime(now)}
            readings.append(reading)
            changes = orjson.dumps({k: [None, v] for k, v in reading.items()}).decode()
            events.append(
                (now, *audit, "create", "reading", reading["reading_id"], changes, request_id)
            )
        version_key = f":1:catalog:items:{company_id}:version"
        tracked = sorted({line["item_id"] for line in lines if items[line["item_id"]][4]})
        movements, movement_ids = [], []
        if tracked:
            marks = ", ".join(["%s"] * len(tracked))
            cur.execute("SAVEPOINT `floor`")
            cur.execute(LOCK_STOCK_SQL.format(marks), (company_id, *tracked))
            on_hand = {row[0]: thousandths(row[1]) for row in cur.fetchall()}
            for line in lines:
                item_id = line["item_id"]
                if item_id in on_hand:
                    quantity = thousandths(str(line["quantity"]))
                    on_hand[item_id] -= quantity
                    if on_hand[item_id] < 0:
                        conn.rollback()
                        return conflict("Not enough stock")
                    movements.append((item_id, stock(-quantity), stock(on_hand[item_id])))
            cases = " ".join(["WHEN (`id` = %s) THEN %s"] * len(tracked))
            cur.execute(
                USE_STOCK_SQL.format(cases, cases, marks),
                [
                    *(v for i in tracked for v in (i, stock(on_hand[i]))),
                    *(v for i in tracked for v in (i, now)),
                    company_id,
                    *tracked,
                ],
            )
            row_marks = ", ".join(
                ["(%s, %s, 'usage', %s, %s, NULL, %s, %s, %s, %s)"] * len(movements)
            )
            cur.execute(
                INSERT_MOVEMENTS_SQL.format(row_marks),
                [
                    v
                    for item_id, quantity, after in movements
                    for v in (
                        company_id,
                        item_id,
                        quantity,
                        after,
                        visit_id,
                        f"Visit {visit_id}",
                        user_id,
                        now,
                    )
                ],
            )
            movement_ids = [row[0] for row in cur.fetchall()]
            stock_events = [
                (
                    now,
                    *audit,
                    "create",
                    "stockmovement",
                    movement_id,
                    orjson.dumps(
                        {
                            "item_id": [None, item_id],
                            "kind": [None, "usage"],
                            "quantity": [None, quantity],
                            "stock_after": [None, after],
                            "visit_id": [None, visit_id],
                        }
                    ).decode(),
                    request_id,
                )
                for movement_id, (item_id, quantity, after) in zip(
                    movement_ids, movements, strict=True
                )
            ]
            cur.execute(
                AUDIT_MANY_SQL.format(
                    ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(stock_events))
                ),
                [v for event in stock_events for v in event],
            )
            cur.execute(PAYMENT_VERSION_SQL, (version_key,))
            cur.execute("RELEASE SAVEPOINT `floor`")
        taken = iter(movement_ids)
        rows = [
            {
                "item_id": line["item_id"],
                "pool_id": line.get("pool_id"),
                "description": items[line["item_id"]][1],
                "quantity": stock(thousandths(str(line["quantity"]))),
                "unit_price": items[line["item_id"]][2],
                "taxable": bool(items[line["item_id"]][3]),
                "movement_id": next(taken) if line["item_id"] in tracked else None,
            }
            for line in lines
        ]
        if rows:
            cur.execute(
                INSERT_LINES_SQL.format(
                    ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
                ),
                [
                    v
                    for r in rows
                    for v in (
                        company_id,
                        visit_id,
                        r["item_id"],
                        r["pool_id"],
                        r["description"],
                        r["quantity"],
                        r["unit_price"],
                        r["taxable"],
                        r["movement_id"],
                        now,
                    )
                ],
            )
            for row, (line_id,) in zip(rows, cur.fetchall(), strict=True):
                row["line_id"] = line_id
                changes = orjson.dumps({k: [None, v] for k, v in row.items()}).decode()
                events.append((now, *audit, "create", "visitline", line_id, changes, request_id))
        cur.execute(
            AUDIT_MANY_SQL.format(
                ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(events))
            ),
            [v for event in events for v in event],
        )
        cur.execute(VISIT_PHOTOS_SQL, (visit_id,))
        photos = [{"photo_id": r[0], "caption": r[1]} for r in cur.fetchall()]
        conn.commit()
        if any(row["movement_id"] for row in rows):
            cur.execute(PAYMENT_VERSION_SQL, (version_key,))
    except Exception:
        conn.rollback()
        raise
    body = {
        "visit_id": visit_id,
        "kind": visit[1],
        "plan_id": visit[2],
        "property_id": visit[3],
        "customer_id": visit[4],
        "technician_id": visit[5],
        "scheduled_date": visit[6],
        "route_position": visit[7],
        "status": "completed",
        "started_at": iso_datetime(started),
        "completed_at": iso_datetime(now),
        "skip_reason": visit[10],
        "skip_note": visit[11],
        "cancel_reason": visit[12],
        "title": visit[13],
        "customer_notes": notes[0],
        "office_notes": notes[1],
        "readings": readings,
        "lines": [
            {
                "line_id": r["line_id"],
                **{k: v for k, v in r.items() if k != "line_id"},
                "created_at": iso_datetime(now),
            }
            for r in rows
        ],
        "checklist": data.get("checklist", []),
        "photos": photos,
        "created_at": iso_datetime(visit[14]),
        "updated_at": iso_datetime(now),
    }
    return 200, body, []


# The app's response headers that do not change from one request to the next (its middleware).
CONSTANT_HEADERS = [
    ("Content-Type", "application/json"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; font-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
    ("X-Frame-Options", "DENY"),
    ("Vary", "origin"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]
REASONS = {
    200: "200 OK",
    201: "201 Created",
    401: "401 Unauthorized",
    404: "404 Not Found",
    409: "409 Conflict",
}
UNAUTHORIZED = {"code": "HTTP_401", "message": "Not authenticated"}


ROUTE_MEMBER_SQL = (
    "SELECT 1 FROM `tenancy_membership` WHERE `company_id` = %s AND `user_id` = %s AND "
    "`role` = 'technician' LIMIT 1"
)
ROUTE_SQL = (
    "SELECT v.`id`, v.`route_position`, v.`status`, v.`kind`, v.`scheduled_date`, v.`plan_id`, "
    "c.`id`, c.`first_name`, c.`last_name`, c.`phone`, r.`id`, r.`label`, r.`address1`, "
    "r.`address2`, r.`city`, r.`state`, r.`postal_code`, o.`id`, o.`name`, o.`kind`, "
    "o.`volume_gallons`, o.`access_notes` FROM `operations_visit` v "
    "INNER JOIN `customers_customer` c ON v.`customer_id` = c.`id` "
    "INNER JOIN `customers_property` r ON v.`property_id` = r.`id` "
    "LEFT JOIN `operations_serviceplan` p ON v.`plan_id` = p.`id` "
    "LEFT JOIN `pools_pool` o ON p.`pool_id` = o.`id` "
    "WHERE v.`company_id` = %s AND v.`scheduled_date` = %s AND v.`technician_id` = %s "
    "ORDER BY v.`route_position` ASC, v.`id` ASC"
)
ROUTE_POOLS_SQL = (
    "SELECT `property_id`, `id`, `name`, `kind`, `volume_gallons`, `access_notes` FROM "
    "`pools_pool` WHERE `company_id` = %s AND `is_active` AND `property_id` IN ({}) ORDER BY `id`"
)


def day_route(cur, environ, company_id, query):
    technician_id = int(query["technician_id"])
    cur.execute(ROUTE_MEMBER_SQL, (company_id, technician_id))
    if cur.fetchone() is None:
        return 404, NOT_FOUND, []
    cur.execute(ROUTE_SQL, (company_id, query["date"], technician_id))
    rows = cur.fetchall()
    unplanned = sorted({r[10] for r in rows if r[5] is None})
    pools: dict[int, list] = {}
    if unplanned:
        cur.execute(
            ROUTE_POOLS_SQL.format(", ".join(["%s"] * len(unplanned))), (company_id, *unplanned)
        )
        for p in cur.fetchall():
            pools.setdefault(p[0], []).append(
                {
                    "pool_id": p[1],
                    "name": p[2],
                    "kind": p[3],
                    "volume_gallons": p[4],
                    "access_notes": p[5],
                }
            )
    body = [
        {
            "visit_id": r[0],
            "route_position": r[1],
            "status": r[2],
            "kind": r[3],
            "scheduled_date": r[4],
            "customer": {"customer_id": r[6], "name": f"{r[7]} {r[8]}", "phone": r[9]},
            "property": {
                "property_id": r[10],
                "label": r[11],
                "address1": r[12],
                "address2": r[13],
                "city": r[14],
                "state": r[15],
                "postal_code": r[16],
            },
            "pools": (
                [
                    {
                        "pool_id": r[17],
                        "name": r[18],
                        "kind": r[19],
                        "volume_gallons": r[20],
                        "access_notes": r[21],
                    }
                ]
                if r[5] is not None
                else pools.get(r[10], [])
            ),
        }
        for r in rows
    ]
    return 200, body, []


def route(cur, environ, auth: tuple, request_id: str, method: str, path: str, query: dict):
    company_id = auth[0]
    parts = path.split("/")  # "", "api", "v1", resource, ...
    if method == "POST" and path == "/api/v1/payments":
        return payment(cur, environ, *auth, request_id)
    if method == "POST" and len(parts) == 6 and parts[3] == "visits" and parts[5] == "complete":
        return visit_complete(cur, environ, *auth, request_id, int(parts[4]))
    if method != "GET":
        return None
    if path == "/api/v1/invoices":
        return invoices(cur, environ, company_id, query)
    if path == "/api/v1/properties":
        return properties(cur, environ, company_id, query)
    if path == "/api/v1/items":
        return items(cur, environ, company_id, query)
    if path == "/api/v1/route":
        return day_route(cur, environ, company_id, query)
    if len(parts) == 5 and parts[3] == "customers" and parts[4].isdigit():
        return customer(cur, environ, company_id, parts[4])
    if len(parts) == 7 and parts[3:5] == ["reports", "customers"] and parts[6] == "statement":
        return statement(cur, environ, company_id, parts[5], query)
    return None


def application(environ, start_response):
    query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    request_id = str(uuid.uuid4())
    cur = db().cursor()
    try:
        try:
            auth = check_auth(cur, environ)
            answer = route(
                cur,
                environ,
                auth,
                request_id,
                environ["REQUEST_METHOD"],
                environ["PATH_INFO"],
                query,
            )
        except Unauthorized:
            answer = 401, UNAUTHORIZED, []
    finally:
        cur.close()
    status, body, headers = answer or (404, NOT_FOUND, [])
    payload = orjson.dumps(body)
    start_response(
        REASONS[status],
        [
            *CONSTANT_HEADERS,
            ("Content-Length", str(len(payload))),
            *headers,
            ("X-Request-Id", request_id),
        ],
    )
    return [payload]

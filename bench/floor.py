"""The bare floor: a WSGI app with no framework that runs the API's SQL and returns its JSON.

It answers the five benchmarked requests the way /api/v1 does (same queries, same bodies) so
the benchmark can print each endpoint's ratio to it. Not part of the product; run by
bench/run.py under gunicorn with the same worker settings as the app.
"""

import datetime
import os
import re
import threading
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import MySQLdb
import orjson

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


def check_session(cur, environ) -> None:
    # The app looks up the sign-in session named by the token on every request.
    cur.execute(
        "SELECT s.id, u.id, u.is_active FROM accounts_authsession s "
        "JOIN accounts_user u ON u.id = s.user_id "
        "WHERE s.id = %s AND s.ended_at IS NULL AND s.expires_at > UTC_TIMESTAMP() LIMIT 1",
        (environ.get("HTTP_X_BENCH_SESSION", "").replace("-", ""),),
    )
    cur.fetchone()


INVOICE_COLS = (
    "i.id, i.number, i.customer_id, i.property_id, i.period_start, i.period_end, i.status, "
    "i.issued_date, i.due_date, i.subtotal, i.tax, i.total, "
    "COALESCE((SELECT SUM(p.amount) FROM billing_payment p WHERE p.invoice_id = i.id), 0), "
    "i.notes, i.created_at, i.updated_at"
)


def invoice_json(row) -> dict:
    paid = row[12]
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
        "amount_paid": money(paid),
        "balance_due": money(row[11] - paid),
        "notes": row[13],
        "created_at": iso(row[14]),
        "updated_at": iso(row[15]),
    }


def invoices(cur, environ, query):
    limit, offset = int(query.get("limit", ["50"])[0]), int(query.get("offset", ["0"])[0])
    cur.execute("SELECT COUNT(*) FROM billing_invoice")
    total = cur.fetchone()[0]
    cur.execute(
        f"SELECT {INVOICE_COLS} FROM billing_invoice i ORDER BY i.id DESC LIMIT %s OFFSET %s",
        (limit, offset),
    )
    return 200, [invoice_json(r) for r in cur.fetchall()], {"X-Total-Count": str(total)}


def customer(cur, environ, customer_id):
    cur.execute(
        "SELECT id, first_name, last_name, email, phone, created_at, updated_at "
        "FROM customers_customer WHERE id = %s",
        (customer_id,),
    )
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


def statement(cur, environ, customer_id, query):
    date_from, date_to = query["from"][0], query["to"][0]
    cur.execute(
        "SELECT id, first_name, last_name FROM customers_customer WHERE id = %s", (customer_id,)
    )
    c = cur.fetchone()
    cur.execute(
        "SELECT i.id, i.number, i.issued_date, i.due_date, i.status, i.total, "
        "COALESCE((SELECT SUM(p.amount) FROM billing_payment p WHERE p.invoice_id = i.id), 0) "
        "FROM billing_invoice i WHERE i.customer_id = %s AND i.issued_date BETWEEN %s AND %s "
        "ORDER BY i.issued_date, i.id",
        (customer_id, date_from, date_to),
    )
    items, total, paid_total = [], Decimal("0"), Decimal("0")
    for r in cur.fetchall():
        items.append(
            {
                "invoice_id": r[0],
                "number": r[1],
                "issued_date": iso(r[2]),
                "due_date": iso(r[3]),
                "status": r[4],
                "total": money(r[5]),
                "amount_paid": money(r[6]),
                "balance_due": money(r[5] - r[6]),
            }
        )
        if r[4] != "void":
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


def properties(cur, environ, query):
    limit, offset = int(query.get("limit", ["50"])[0]), int(query.get("offset", ["0"])[0])
    cur.execute("SELECT COUNT(*) FROM customers_property")
    total = cur.fetchone()[0]
    cur.execute(
        "SELECT id, customer_id, label, address1, address2, city, state, postal_code, notes, "
        "is_active, created_at, updated_at FROM customers_property "
        "ORDER BY id DESC LIMIT %s OFFSET %s",
        (limit, offset),
    )
    keys = [
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
    ]
    rows = []
    for r in cur.fetchall():
        item = dict(zip(keys, r, strict=True))
        item["is_active"] = bool(item["is_active"])
        item["created_at"], item["updated_at"] = iso(r[10]), iso(r[11])
        rows.append(item)
    return 200, rows, {"X-Total-Count": str(total)}


def payment(cur, environ):
    data = orjson.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    amount = Decimal(str(data["amount"]))
    conn = db()
    conn.begin()
    try:
        cur.execute(
            "SELECT id, status, total FROM billing_invoice WHERE id = %s FOR UPDATE",
            (data["invoice_id"],),
        )
        inv = cur.fetchone()
        if inv is None:
            conn.rollback()
            return 404, {"code": "HTTP_404", "message": "Invoice not found"}, {}
        if inv[1] in ("paid", "void"):
            conn.rollback()
            return 409, {"code": "HTTP_409", "message": f"Invoice {inv[1]}"}, {}
        cur.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM billing_payment WHERE invoice_id = %s", (inv[0],)
        )
        paid = cur.fetchone()[0]
        if paid + amount > inv[2]:
            conn.rollback()
            return 409, {"code": "HTTP_409", "message": "Payment exceeds total"}, {}
        today = datetime.date.today()
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        cur.execute(
            "INSERT INTO billing_payment (invoice_id, amount, paid_date, method, reference, "
            "notes, created_at) VALUES (%s, %s, %s, %s, NULL, NULL, %s)",
            (inv[0], amount, today, data.get("method", "other"), now),
        )
        payment_id = cur.lastrowid
        if paid + amount == inv[2]:
            cur.execute(
                "UPDATE billing_invoice SET status='paid', paid_at=%s, updated_at=%s WHERE id=%s",
                (now, now, inv[0]),
            )
        conn.commit()
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

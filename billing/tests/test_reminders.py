"""Payment reminders (billing.reminders, billing.reminder_email, manage.py send_reminders): the
rule, once per invoice and step, through a real SMTP server."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from billing import services
from billing.models import InvoiceReminder
from billing.reminders import reminders_due
from billing.tests.conftest import make_invoice
from core.context import Ctx
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor.testing import free_port
from ektor.text import day
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


def late(days: int | None, *, total: str = "100.00", **kw):
    """A sent invoice due `days` before TODAY (None: no due date) of a new customer Ana Rivera
    (`email`, `company`: hers when given)."""
    who = {key: kw.pop(key) for key in ("email", "company") if key in kw}
    customer = CustomerFactory(first_name="Ana", last_name="Rivera", **who)
    prop = PropertyFactory(customer=customer, label="Casa")
    due = TODAY - datetime.timedelta(days=days) if days is not None else None
    issued = min(due, TODAY) if due else TODAY - datetime.timedelta(days=90)
    return make_invoice(prop=prop, total=total, issued=issued.isoformat(), due_date=due, **kw)


def due_now(ctx, today: datetime.date = TODAY) -> list[tuple[str, int, int]]:
    return [(str(d.invoice), d.days, d.days_past_due) for d in reminders_due(ctx, today=today)]


def send(*args: str, today: datetime.date = TODAY) -> list[str]:
    out = io.StringIO()
    call_command("send_reminders", "--date", today.isoformat(), *args, stdout=out)
    return out.getvalue().splitlines()


def sent(invoice) -> list[int]:
    return list(InvoiceReminder.unscoped.filter(invoice=invoice).values_list("days", flat=True))


def test_the_rule(ctx, company):
    assert company.reminder_days == [7, 30, 60]
    before = late(6)
    at_first = late(7)
    past_first = late(12)
    at_second = late(30)
    missed_several = late(75)
    assert due_now(ctx) == [
        (str(missed_several), 60, 75),  # one reminder, for the highest step reached
        (str(at_second), 30, 30),
        (str(past_first), 7, 12),
        (str(at_first), 7, 7),
    ]
    send()
    assert [sent(i) for i in (before, at_first, past_first, at_second, missed_several)] == [
        [],
        [7],
        [7],
        [30],
        [60],
    ]
    # Sent steps are not sent again; the next step comes when reached, never a lower one.
    assert due_now(ctx) == []
    assert due_now(ctx, TODAY + datetime.timedelta(days=1)) == [(str(before), 7, 7)]
    assert due_now(ctx, TODAY + datetime.timedelta(days=18)) == [
        (str(past_first), 30, 30),
        (str(before), 7, 24),  # at_first is 25 days late: step 7 sent, 30 not yet reached
    ]
    # Steps added later: an invoice that reached a higher step never gets a lower one after it.
    company.reminder_days = [3, 7, 30, 60, 90]
    company.save(update_fields=["reminder_days"])
    assert due_now(ctx) == [(str(before), 3, 6)]
    assert due_now(ctx, TODAY + datetime.timedelta(days=15)) == [
        (str(missed_several), 90, 90),
        (str(before), 7, 21),
    ]


def test_what_is_never_reminded(ctx, company):
    disputed = late(40)
    services.invoice_dispute_set(ctx, invoice_id=disputed.pk, disputed=True)
    paid = late(40)
    services.payment_record(ctx, invoice_id=paid.pk, amount=Decimal("100.00"))
    voided = late(40)
    services.invoice_void(ctx, invoice=voided, reason="Billed twice")
    late(40, status="draft")
    late(None)  # no due date
    partly_paid = late(40)
    services.payment_record(ctx, invoice_id=partly_paid.pk, amount=Decimal("99.99"))
    assert due_now(ctx) == [(str(partly_paid), 30, 40)]
    # A dispute closed: reminded again from the next run.
    services.invoice_dispute_set(ctx, invoice_id=disputed.pk, disputed=False)
    assert [days for _, days, _ in due_now(ctx)] == [30, 30]
    company.reminder_days = []
    company.save(update_fields=["reminder_days"])
    assert due_now(ctx) == []


def test_the_command_says_what_it_sent_and_skipped_and_records_it(ctx, company):
    reminded = late(31, total="250.00", email="ana@example.com")
    no_email = late(8, email=None)
    lines = send("--company", company.slug)
    assert lines == [
        f"{company.slug} (2026-03-10): 1 sent, 1 skipped, 0 failed",
        f"  sent {reminded} (Ana Rivera, $250.00 due Feb 7, 2026, 31 days late): "
        "30-day reminder to ana@example.com",
        f"  skipped {no_email} (Ana Rivera, $100.00 due Mar 2, 2026, 8 days late): "
        "7-day reminder: the customer has no email address",
    ]
    (message,) = mail.outbox
    assert message.to == ["ana@example.com"]
    assert message.subject == (
        f"Reminder: invoice {reminded.number} from {company.name} is 31 days past due"
    )
    assert "Balance:   $250.00" in message.body and "Due:       Feb 7, 2026" in message.body
    reminder = InvoiceReminder.unscoped.get()
    assert (reminder.invoice_id, reminder.days, reminder.recipient) == (
        reminded.pk,
        30,
        "ana@example.com",
    )
    event = AuditEvent.objects.get(action="remind")
    assert (event.object_type, event.object_id, event.actor) == (
        "invoice",
        reminded.pk,
        "command:send_reminders",
    )
    assert event.changes == {"reminder_days": [None, 30], "sent_to": [None, "ana@example.com"]}
    # The second run of the day: nothing new; the customer without an email is said again.
    assert (
        send("--company", company.slug)[0]
        == f"{company.slug} (2026-03-10): 0 sent, 1 skipped, 0 failed"
    )
    assert len(mail.outbox) == 1


def test_every_company_with_its_own_steps(company):
    other = CompanyFactory(slug="zeta", name="Zeta Pools", reminder_days=[5])
    ours = late(6)
    theirs = late(6, company=other, email="bo@example.com")
    lines = send()
    assert lines[0] == f"{company.slug} (2026-03-10): 0 sent, 0 skipped, 0 failed"
    assert lines[1] == "zeta (2026-03-10): 1 sent, 0 skipped, 0 failed"
    assert lines[2].startswith(f"  sent {theirs} ") and lines[2].endswith("to bo@example.com")
    assert (sent(ours), sent(theirs)) == ([], [5])
    (message,) = mail.outbox
    assert "from Zeta Pools" in message.subject
    assert send("--company", "zeta") == ["zeta (2026-03-10): 0 sent, 0 skipped, 0 failed"]


def test_a_bad_date_or_company_is_a_clear_error():
    with pytest.raises(CommandError, match="--date must be a day, YYYY-MM-DD"):
        call_command("send_reminders", "--date", "10/03/2026")
    with pytest.raises(CommandError, match="No company has the slug 'nope'"):
        call_command("send_reminders", "--company", "nope")


def test_twice_on_a_day_sends_each_reminder_once_through_smtp(company, smtp_server):
    first, second = late(7, email="ana@example.com"), late(33, email="bo@example.com")
    assert send()[0].endswith("2 sent, 0 skipped, 0 failed")
    assert send()[0].endswith("0 sent, 0 skipped, 0 failed")
    messages = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["ana@example.com", "bo@example.com"]
    by_to = {m["To"]: m for m in messages}
    assert by_to["bo@example.com"]["Subject"] == (
        f"Reminder: invoice {second.number} from {company.name} is 33 days past due"
    )
    html = by_to["ana@example.com"].get_body(("html",)).get_content()
    assert f"<strong>{first.number}</strong>" in html and "7 days</strong>" not in html
    assert (sent(first), sent(second)) == ([7], [30])
    # The next day brings nothing new either.
    assert send(today=TODAY + datetime.timedelta(days=1))[0].endswith("0 sent, 0 skipped, 0 failed")
    assert len(smtp_server.messages) == 2


def test_a_mail_server_down_leaves_the_step_unsent_for_the_next_run(company, settings):
    invoice = late(7)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 5
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 reminder could not be sent; the next run tries"):
        call_command("send_reminders", "--date", TODAY.isoformat(), stdout=out, stderr=err)
    assert out.getvalue().splitlines()[0].endswith("0 sent, 0 skipped, 1 failed")
    assert err.getvalue().startswith(f"  failed {invoice} (Ana Rivera")
    assert sent(invoice) == []
    assert not AuditEvent.objects.filter(action="remind").exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send()[0].endswith("1 sent, 0 skipped, 0 failed")
    assert sent(invoice) == [7]


def test_due_reminders_read_in_a_fixed_number_of_queries(ctx, django_assert_num_queries):
    for days in (7, 8, 31, 61, 62):
        late(days)
    # The company's steps are on ctx; the invoices, their customers, properties and reminders.
    with django_assert_num_queries(4):
        assert len(reminders_due(ctx, today=TODAY)) == 5


def test_a_claim_by_another_ctx_of_another_company_finds_nothing(company):
    from billing.reminders import reminder_claim

    invoice = late(7)
    other = Ctx.system(CompanyFactory(slug="other"))
    assert reminder_claim(other, invoice_id=invoice.pk, days=7, today=TODAY) is None
    assert sent(invoice) == []


def test_the_api_shows_the_reminders_sent(company, staff_client_api):
    reminded, other = late(33), late(3)
    send(today=TODAY - datetime.timedelta(days=20))  # 13 days late then: the 7-day step
    send()
    body = staff_client_api.get(f"/api/v1/invoices/{reminded.pk}").json()
    assert [r["days"] for r in body["reminders_sent"]] == [7, 30]
    assert all(r["sent_at"].endswith("Z") for r in body["reminders_sent"])
    assert body["disputed"] is False
    listed = {row["invoice_id"]: row for row in staff_client_api.get("/api/v1/invoices").json()}
    assert listed[reminded.pk]["reminders_sent"] == body["reminders_sent"]
    assert listed[other.pk]["reminders_sent"] == []


def test_the_invoice_page_shows_the_reminders_sent(company, admin_web):
    reminded = late(8, email="ana@example.com")
    page = admin_web.get(f"/admin/billing/invoice/{reminded.pk}/change/").content.decode()
    assert "Reminders sent:" in page
    send()
    page = admin_web.get(f"/admin/billing/invoice/{reminded.pk}/change/").content.decode()
    sent_on = day(InvoiceReminder.unscoped.get().sent_at)
    assert f"7-day reminder, {sent_on} to ana@example.com" in page

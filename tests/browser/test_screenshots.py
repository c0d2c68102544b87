"""The README's screenshots, taken on the demo data. Runs only when asked:

    SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshots.py

and writes docs/screenshots/*.png (commit them)."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.tests.factories import DEFAULT_PASSWORD
from billing.models import Invoice

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def shoot(page, name: str, height: int = 1000, width: int = 1400) -> None:
    page.driver.set_window_size(width, height)
    page.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_take_the_readme_screenshots(page, admin_user, tmp_path):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.sign_in(admin_user.username, DEFAULT_PASSWORD)

    page.open("/admin/")
    page.wait_for("#office-summary")
    shoot(page, "index")

    page.open("/admin/billing/invoice/")
    page.wait_for("#result_list")
    shoot(page, "invoice-changelist", height=860)  # every column fits 1,400 pixels

    with_payments = (
        Invoice.unscoped.annotate(n=Count("payments")).filter(n__gte=2).order_by("-n", "id").first()
        or Invoice.unscoped.filter(payments__isnull=False).first()
    )
    page.open(f"/admin/billing/invoice/{with_payments.pk}/change/")
    page.wait_for("#payments-group")
    height = page.driver.execute_script("return document.body.scrollHeight")
    shoot(page, "invoice-change", height=min(height + 40, 2400))

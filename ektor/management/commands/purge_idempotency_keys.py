"""Delete the Idempotency-Key records past their 24 hours (the API already treats them as
absent); run it periodically (docs/deployment.md, "Periodic jobs")."""

from django.core.management.base import BaseCommand

from ektor.models import IdempotencyRecord

# Rows per DELETE: short statements, so MySQL never holds a long lock on the table.
BATCH = 5000


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than 24 hours (run it hourly or daily)."

    def handle(self, *args, **options):
        expired = IdempotencyRecord.objects.expired()
        deleted = 0
        while ids := list(expired.order_by("pk").values_list("pk", flat=True)[:BATCH]):
            deleted += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]
        self.stdout.write(f"Deleted {deleted} expired Idempotency-Key record(s).")

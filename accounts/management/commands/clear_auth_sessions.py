from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from accounts.services import sessions_clear_expired
from core.context import command_ctx
from ektor.text import plural


class Command(BaseCommand):
    help = (
        "Delete API sign-in sessions that have expired or ended (logout, revoked, password "
        "changed). Django's own `clearsessions` is a different thing: it cleans the admin's "
        "browser sessions. Run both from cron, e.g. daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-ended-days",
            type=int,
            default=0,
            metavar="DAYS",
            help="keep sessions that ended within the last DAYS days, for review in the admin "
            "(default 0: delete them all)",
        )

    def handle(self, *args, keep_ended_days: int, **options):
        if keep_ended_days < 0:
            raise CommandError("clear_auth_sessions: --keep-ended-days cannot be negative.")
        deleted = sessions_clear_expired(
            command_ctx(self), keep_ended_for=timedelta(days=keep_ended_days)
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"clear_auth_sessions: deleted {plural(deleted, 'expired or ended session')}."
            )
        )

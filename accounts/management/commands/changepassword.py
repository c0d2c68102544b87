"""Django's `changepassword`, which also ends the user's API sign-in sessions.

Django's command asks for the password, validates it and saves it; the rule for what follows
a password change lives in accounts.services. This app is listed before django.contrib.auth in
INSTALLED_APPS, so `manage.py changepassword` runs this command.
"""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError

from accounts.services import sessions_end_after_password_change
from core.context import command_ctx
from ektor.text import plural


class Command(changepassword.Command):
    help = (
        "Change a user's password (asked for twice at the terminal). Every API sign-in "
        "session of the user ends, as with a password change in the API or the admin."
    )

    def handle(self, *args, **options):
        if options["database"] != DEFAULT_DB_ALIAS:
            # The sign-in sessions live in the default database, beside the users.
            raise CommandError("changepassword: only the default database holds the users.")
        # Django's code sets and saves the password (or raises CommandError and nothing changes).
        changed = super().handle(*args, **options)
        user_model = get_user_model()
        username = options["username"] or getpass.getuser()
        try:
            user = user_model._default_manager.get(**{user_model.USERNAME_FIELD: username})
            ended = sessions_end_after_password_change(command_ctx(self), user=user)
        except DatabaseError as exc:
            raise CommandError(
                f"changepassword: the password of {username!r} was changed, but ending their "
                f"API sign-in sessions failed ({exc}); end them in the admin (Sign-in "
                "sessions) or run the command again."
            ) from None
        return f"{changed}; {plural(ended, 'API sign-in session')} ended."

#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
    from django.core.management import execute_from_command_line

    from ektor.env import exit_on_configuration_error

    with exit_on_configuration_error("manage.py"):
        from django.conf import settings

        # Read the configuration first: Django's command runner swallows a settings error and
        # some commands (makemigrations) then fail later with an unrelated traceback.
        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

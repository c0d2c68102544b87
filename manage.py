#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
    from django.core.management import execute_from_command_line

    from ektor.env import exit_on_configuration_error

    with exit_on_configuration_error("manage.py"):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

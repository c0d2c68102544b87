from django.apps import AppConfig
from django_tasks_db.apps import TasksAppConfig


class EktorConfig(AppConfig):
    name = "ektor"
    verbose_name = "Ektor"
    default = True  # this module holds two configs

    def ready(self):
        from django.urls import register_converter
        from django.urls.converters import get_converters

        from ektor.admin_tools import IdConverter
        from ektor.db import counts

        counts.connect()
        # Before any URLconf is built: the apps' admin URLs and pages name `<id:...>`. Once:
        # a test's override of INSTALLED_APPS runs ready() again.
        if "id" not in get_converters():
            register_converter(IdConverter, "id")


class TaskResultsConfig(TasksAppConfig):
    """django-tasks-db's app, named for the office and declaring its roles: admins see the
    background tasks' results (read-only, ektor/admin.py)."""

    default = False
    verbose_name = "Background tasks"
    role_defaults = ("admin",)

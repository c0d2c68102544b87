from django.apps import AppConfig
from django_tasks_db.apps import TasksAppConfig


class EktorConfig(AppConfig):
    name = "ektor"
    verbose_name = "Ektor"
    default = True  # this module holds two configs

    def ready(self):
        from ektor.db import counts

        counts.connect()


class TaskResultsConfig(TasksAppConfig):
    """django-tasks-db's app, named for the office and declaring its roles: admins see the
    background tasks' results (read-only, ektor/admin.py)."""

    default = False
    verbose_name = "Background tasks"
    role_defaults = ("admin",)

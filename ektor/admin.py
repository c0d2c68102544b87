"""The background tasks' page: django-tasks-db's read-only admin on the office's base (fast
changelist, and listed with every other page in the completeness tests)."""

from django.contrib import admin
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from ektor.admin_tools import OfficeAdmin
from ektor.tasks import ATTEMPT

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin, OfficeAdmin):
    list_display = (
        "task_name",
        "attempt",
        "status",
        "enqueued_at",
        "display_run_after",
        "finished_at",
        "queue_name",
    )
    search_fields = ("task_path",)
    # Newest first: a failure and its retries read together.
    ordering = ["-enqueued_at"]

    @admin.display(description="attempt")
    def attempt(self, obj: DBTaskResult) -> int:
        return int(obj.args_kwargs.get("kwargs", {}).get(ATTEMPT, 1))

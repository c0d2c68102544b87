"""The audit trail's query filters: each value is validated (a bad one is a 422)."""

from audit.models import AuditEvent
from ektor.api.filters import IdFilter, MomentFilter, StrictFilterSet, TextFilter


class AuditEventFilter(StrictFilterSet):
    object_type = TextFilter(max_length=100, help_text="A model's name: invoice, payment, ...")
    object_id = IdFilter(field_name="object_id", help_text="The object's id (with object_type)")
    actor_id = IdFilter(field_name="actor_user_id", help_text="Events by this user")
    action = TextFilter(max_length=40, help_text="create, update, delete, send, void, pay, ...")
    # `from` and `to` are Python keywords: declared through the class namespace.
    locals()["from"] = MomentFilter(
        field_name="at", lookup_expr="gte", help_text="From this moment (or day) on"
    )
    locals()["to"] = MomentFilter(
        field_name="at",
        lookup_expr="lt",
        help_text="Before this moment (or to the end of this day)",
    )

    class Meta:
        model = AuditEvent
        fields = ["object_type", "object_id", "actor_id", "action", "from", "to"]

"""`ctx`: who acts (a user, a command, the system, or an anonymous caller), for which company
and in which role there. Every service and selector takes it first, passed
explicitly: the API base and the admin build one per request, each command one per run.

Building a Ctx never queries: it keeps the user object the caller already holds.
"""

import uuid
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class ActorKind(StrEnum):
    USER = "user"
    COMMAND = "command"
    SYSTEM = "system"
    # A caller not signed in: sign-in, token refresh, registration while it is open.
    ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class Ctx:
    kind: ActorKind
    # The signed-in user; for a command, the user it runs as, if any.
    user: "AbstractBaseUser | None" = None
    # The manage.py command's name.
    command: str | None = None
    # The company acted for (a tenancy.models.Company): every tenant row read or written is
    # its. None only where no tenant row is touched (signing in, a command over users).
    company: Any = None
    # The user's role in that company (tenancy.models.Role's value); None for the system and
    # commands, which act with every right the services allow.
    role: str | None = None
    # What ties the audit events of one request (its X-Request-Id) or one command run together;
    # empty for the system and in tests' own calls.
    request_id: str = ""

    @classmethod
    def for_user(
        cls,
        user: "AbstractBaseUser",
        company: Any = None,
        role: str | None = None,
        request_id: str = "",
    ) -> "Ctx":
        return cls(
            kind=ActorKind.USER, user=user, company=company, role=role, request_id=request_id
        )

    @classmethod
    def for_command(
        cls,
        name: str,
        user: "AbstractBaseUser | None" = None,
        company: Any = None,
        request_id: str = "",
    ) -> "Ctx":
        return cls(
            kind=ActorKind.COMMAND, command=name, user=user, company=company, request_id=request_id
        )

    @classmethod
    def anonymous(cls, request_id: str = "") -> "Ctx":
        return cls(kind=ActorKind.ANONYMOUS, request_id=request_id)

    @classmethod
    def system(cls, company: Any = None) -> "Ctx":
        return cls(kind=ActorKind.SYSTEM, company=company)

    def for_company(self, company: Any, role: str | None = None) -> "Ctx":
        """The same actor acting for `company` (with `role` there)."""
        return replace(self, company=company, role=role)

    @property
    def actor_label(self) -> str:
        """Who acts, for logs and the audit trail: "user:boss", "command:seed_demo",
        "command:changepassword (user:boss)", "system", "anonymous"."""
        user = f"user:{self.user.get_username()}" if self.user is not None else None
        if self.kind == ActorKind.USER:
            return str(user)
        if self.kind == ActorKind.COMMAND:
            return f"command:{self.command}" + (f" ({user})" if user else "")
        return str(self.kind)

    @property
    def audit_actor(self) -> str:
        """Who acts, as the audit trail names them: the username, "command:<name>" (the user
        it runs as, if any, is the event's actor_id), "system" or "anonymous"."""
        if self.kind == ActorKind.USER and self.user is not None:
            return self.user.get_username()
        if self.kind == ActorKind.COMMAND:
            return f"command:{self.command}"
        return str(self.kind)


def command_ctx(command: object) -> Ctx:
    """The ctx of a manage.py command, named after it (its module's last name, as typed), with
    a request id of its own, so the audit events of one run can be found together."""
    return Ctx.for_command(
        type(command).__module__.rsplit(".", 1)[-1], request_id=f"command-{uuid.uuid4()}"
    )

"""The ctx of an HTTP request, built once: the API base and the admin take it from here and
pass it explicitly to every service and selector they call."""

from core.context import Ctx
from tenancy.membership import COMPANY_ROLE

_ATTRIBUTE = "_ektor_ctx"


def request_ctx(request) -> Ctx:
    """The signed-in user of `request` (a Django or a DRF request) acting for the company
    `request.company` (the token's, set by accounts.authentication; the admin's, set by
    tenancy.middleware) in their role there, or an anonymous caller; built on first use (no
    query: the user and company are already loaded by then) and kept on the request, so every
    later call of the same request gets the same Ctx."""
    ctx = getattr(request, _ATTRIBUTE, None)
    if ctx is None:
        user = request.user
        # The id RequestContextMiddleware gave the request (none on a hand-made test request).
        request_id = getattr(request, "request_id", "")
        ctx = (
            Ctx.for_user(
                user,
                company=getattr(request, "company", None),
                role=getattr(user, COMPANY_ROLE, None),
                request_id=request_id,
            )
            if user.is_authenticated
            else Ctx.anonymous(request_id=request_id)
        )
        setattr(request, _ATTRIBUTE, ctx)
    return ctx

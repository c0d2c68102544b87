"""The admin's company: the one chosen with the company switcher (kept in the browser's
session), or the user's default membership. One query per admin request (the membership with
its company); API requests choose theirs by token (accounts.authentication) and skip this."""

from core.context import Ctx
from tenancy.membership import act_as
from tenancy.models import Membership

SESSION_KEY = "_ektor_company_id"
API_PREFIX = "/api/"


def chosen_membership(request) -> Membership | None:
    """The signed-in user's membership of the company chosen in this browser, or their
    default (oldest) one when none is chosen or they left the chosen company. All their
    memberships are read in the one query (`request.memberships`: the company switcher)."""
    memberships = list(
        Membership.unscoped.filter(user_id=request.user.pk).select_related("company").order_by("id")
    )
    request.memberships = memberships
    chosen = request.session.get(SESSION_KEY)
    found = [m for m in memberships if m.company_id == chosen]
    return (found or memberships or [None])[0]


class CompanyMiddleware:
    """After AuthenticationMiddleware: `request.company` and the user's role in it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX) and hasattr(request, "user"):
            _choose(request)
        return self.get_response(request)


def _choose(request) -> None:
    user = request.user
    request.memberships = []
    if not user.is_authenticated:
        request.company = None
        return
    membership = chosen_membership(request)
    if membership is None:
        act_as(user, role=None)
        request.company = None
        return
    act_as(user, role=membership.role, is_owner=membership.is_owner)
    request.company = membership.company


def company_choose(ctx: Ctx, request, *, company_id: int) -> Membership | None:
    """Choose the admin's company for this browser (None when the user is not a member)."""
    for membership in getattr(request, "memberships", []):
        if membership.company_id == company_id:
            request.session[SESSION_KEY] = company_id
            return membership
    return None

"""`--company SLUG` for the manage.py commands that read or write a company's rows."""

from django.core.management.base import CommandError

from core.context import Ctx, command_ctx
from tenancy.models import Company


def add_company_argument(parser) -> None:
    parser.add_argument(
        "--company",
        metavar="SLUG",
        help="the company to act for (needed only when more than one exists)",
    )


def company_command_ctx(command: object, slug: str | None) -> Ctx:
    """The command's ctx, acting for the company `slug` names, or for the only company."""
    ctx = command_ctx(command)
    if slug:
        company = Company.objects.filter(slug__iexact=slug.strip()).first()
        if company is None:
            raise CommandError(f"No company has the slug {slug!r} ({_known()})")
        return ctx.for_company(company)
    companies = list(Company.objects.order_by("id")[:2])
    if not companies:
        raise CommandError("No company exists yet: create one with manage.py create_company")
    if len(companies) > 1:
        raise CommandError(f"Several companies exist: name one with --company SLUG ({_known()})")
    return ctx.for_company(companies[0])


def _known() -> str:
    slugs = list(Company.objects.order_by("slug").values_list("slug", flat=True)[:20])
    return "companies: " + (", ".join(slugs) if slugs else "none")

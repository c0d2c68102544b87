import factory

from accounts.models import Role, User
from core.context import Ctx
from tenancy.tests.factories import default_company

DEFAULT_PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.STAFF
    is_staff = True

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def role_group(self, create, extracted, **kwargs):
        if create:
            from accounts.services import user_sync_role_group

            user_sync_role_group(Ctx.system(), user=self)

    @factory.post_generation
    def company(self, create, extracted, **kwargs):
        """A member of `company` (the test company by default; False: of none) with the
        user's role; `is_owner=True` makes them its owner."""
        if create and extracted is not False:
            from tenancy.models import Membership

            Membership.unscoped.create(
                user=self,
                company=extracted or default_company(),
                role=self.role,
                is_owner=bool(kwargs.get("is_owner")),
            )

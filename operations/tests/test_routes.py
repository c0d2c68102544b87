"""What a technician sees: their own visits and plans, and the customers, properties, pools and
equipment those take them to; nothing else of the company."""

from accounts.models import User
from core.context import Ctx
from customers.models import Customer, Property
from customers.selectors import customer_list, property_list
from customers.tests.factories import PropertyFactory
from operations.selectors import plan_list, visit_list
from operations.tests.factories import ServicePlanFactory, VisitFactory
from pools.selectors import equipment_list, pool_list
from pools.tests.factories import EquipmentFactory, PoolFactory
from tenancy.models import Role


def technician_ctx(ctx: Ctx, user: User) -> Ctx:
    return Ctx.for_user(user, company=ctx.company, role=Role.TECHNICIAN)


def test_a_technician_sees_what_their_visits_and_plans_take_them_to(ctx, technician_user):
    me = technician_ctx(ctx, technician_user)
    visited = VisitFactory(plan__technician=None, technician=technician_user)
    planned = ServicePlanFactory(technician=technician_user)
    EquipmentFactory(pool=planned.pool)
    others = VisitFactory()  # unassigned
    PoolFactory(property=PropertyFactory())

    assert set(visit_list(me)) == {visited}
    assert set(plan_list(me)) == {planned}
    assert set(property_list(me)) == {visited.property, planned.pool.property}
    assert set(customer_list(me)) == {visited.customer, planned.pool.property.customer}
    assert set(pool_list(me)) == {visited.plan.pool, planned.pool}
    assert [e.pool for e in equipment_list(me)] == [planned.pool]
    # The office sees everything.
    assert visit_list(ctx).count() == 2
    assert others.property in property_list(ctx)
    assert Customer.unscoped.count() == 4 and Property.unscoped.count() == 4


def test_an_ended_plan_no_longer_puts_its_pool_on_the_route(ctx, technician_user):
    me = technician_ctx(ctx, technician_user)
    ServicePlanFactory(technician=technician_user, status="ended")
    assert not pool_list(me).exists() and not plan_list(me).filter(status="active").exists()

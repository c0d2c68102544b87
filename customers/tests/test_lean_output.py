"""The lean customer and property output renders the same bytes as the output serializers."""

import pytest

from customers.api import serializers as s
from customers.models import Customer, Property
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor.api.renderers import JSONRenderer

pytestmark = pytest.mark.django_db

render = JSONRenderer().render


def test_customer_rows_match_customerout():
    CustomerFactory(email=None, phone=None)
    CustomerFactory(first_name="José", last_name="Núñez")
    rows = Customer.objects.order_by("-id")
    lean = s.customer_rows_out(rows.values(*s.CustomerOut.Meta.columns))
    assert render(lean) == render(s.CustomerOut(rows, many=True).data)
    # The detail path renders a model instance's attributes.
    assert s.customer_rows_out([vars(rows[0])]) == [s.CustomerOut(rows[0]).data]


def test_property_rows_match_propertyout():
    PropertyFactory(address2=None, notes="Gate code 1234", is_active=False)
    PropertyFactory()
    rows = Property.objects.order_by("-id")
    lean = s.property_rows_out(rows.values(*s.PropertyOut.Meta.columns))
    assert render(lean) == render(s.PropertyOut(rows, many=True).data)
    assert s.property_rows_out([vars(rows[0])]) == [s.PropertyOut(rows[0]).data]

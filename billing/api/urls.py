from django.urls import re_path

from billing.api.views import (
    AgingView,
    BillingRunViewSet,
    CreditViewSet,
    CustomerBalanceView,
    CustomerStatementView,
    InvoiceViewSet,
    PaymentViewSet,
)
from ektor.api.routers import Router

router = Router()
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("payments", PaymentViewSet, basename="payment")
router.register("billing-runs", BillingRunViewSet, basename="billingrun")
router.register("credits", CreditViewSet, basename="credit")

urlpatterns = [
    *router.urls,
    re_path(
        r"^reports/customers/(?P<customer_id>[^/.]+)/statement/?$",
        CustomerStatementView.as_view(),
        name="customer-statement",
    ),
    re_path(
        r"^customers/(?P<customer_id>[^/.]+)/balance/?$",
        CustomerBalanceView.as_view(),
        name="customer-balance",
    ),
    re_path(r"^reports/aging/?$", AgingView.as_view(), name="aging"),
]

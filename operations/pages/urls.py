"""Mounted at /admin/my-day/ (ektor/urls.py), inside the back office: its sign-in, its look
and its 403 page."""

from django.urls import path

from operations.pages import views

app_name = "my-day"

urlpatterns = [
    path("", views.route, name="route"),
    path("items/", views.items, name="items"),
    path("<id:visit_id>/", views.stop, name="stop"),
    path("<id:visit_id>/chemistry/", views.chemistry, name="chemistry"),
    path("<id:visit_id>/start/", views.start, name="start"),
    path("<id:visit_id>/complete/", views.complete, name="complete"),
    path("<id:visit_id>/skip/", views.skip, name="skip"),
]

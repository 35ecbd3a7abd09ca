"""The short case link an SMS carries (``/c/<pk>/``), outside ``/cases/`` to keep it short."""

from django.urls import path

from . import views

urlpatterns = [path("<int:pk>/", views.short, name="case_short")]

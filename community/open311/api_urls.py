from django.urls import path

from .openapi import openapi_json

urlpatterns = [path("openapi.json", openapi_json, name="openapi")]

from django.urls import path

from accounts import apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="api-me"),
]

from django.urls import path

from findings.web.dashboard import overview

urlpatterns = [path("", overview, name="home")]

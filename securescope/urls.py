from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from findings.views_dashboard import overview

urlpatterns = [
    path("", overview, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("scans/", include("scans.urls")),
    path("findings/", include("findings.urls")),
    path("advice/", include("advice.urls")),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

# Included by dotted path: the project package sits under every app and imports none of them.
urlpatterns = [
    path("", include("findings.web.home_urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("scans/", include("scans.web.urls")),
    path("scans/", include("findings.web.scan_urls")),
    path("findings/", include("findings.web.urls")),
    path("organizations/", include("findings.web.organization_urls")),
    path("advice/", include("advice.web.urls")),
    path("rules/", include("rules.web.urls")),
    path("api/", include("findings.api.urls")),
    path("tokens/", include("findings.api.token_urls")),
]

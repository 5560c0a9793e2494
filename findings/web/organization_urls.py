from django.urls import path

from findings.web import organizations

app_name = "organizations"
urlpatterns = [
    path("", organizations.organization_list, name="list"),
    path("<uuid:run_id>/", organizations.organization_overview, name="detail"),
    path(
        "<uuid:run_id>/export.<str:export_format>",
        organizations.organization_export,
        name="export",
    ),
]

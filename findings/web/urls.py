from django.urls import path

from findings.web import dashboard as views_dashboard
from findings.web import triage, views
from findings.web.exposure import exposure_page

app_name = "findings"
urlpatterns = [
    path("", views.findings_page, name="list"),
    path("scan/<uuid:scan_id>/", views.findings_table, name="table"),
    path("scan/<uuid:scan_id>/export.<str:export_format>", views.findings_export, name="export"),
    path(
        "scan/<uuid:scan_id>/revealed.<str:export_format>",
        views.findings_export_revealed,
        name="export_revealed",
    ),
    path("scan/<uuid:scan_id>/rule/<str:rule_id>/", triage.rule_rows, name="rule"),
    path("scan/<uuid:scan_id>/selection/", triage.selection_action, name="selection"),
    path("scan/<uuid:scan_id>/diff/", views_dashboard.diff_page, name="diff"),
    path(
        "scan/<uuid:scan_id>/diff/export.<str:export_format>",
        views_dashboard.diff_export,
        name="diff_export",
    ),
    path("<int:finding_id>/", views.finding_detail, name="detail"),
    path("<int:finding_id>/identify/", views.finding_identify, name="identify"),
    path("<int:finding_id>/mute/", views.finding_mute, name="mute"),
    path("exposure/", exposure_page, name="exposure"),
    path("mutes/", views.mutes_page, name="mutes"),
    path("mutes/<int:mute_id>/delete/", views.mute_remove, name="mute_delete"),
    path("severity/", views.severity_set, name="severity"),
]

from django.urls import path

from findings.web import scans

app_name = "scan_pages"
urlpatterns = [
    path("<uuid:scan_id>/", scans.scan_detail, name="detail"),
    path("<uuid:scan_id>/compliance/", scans.scan_compliance, name="compliance"),
]

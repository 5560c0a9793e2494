from django.urls import path

from findings.web import scans

app_name = "scan_pages"
urlpatterns = [
    path("<uuid:scan_id>/", scans.scan_detail, name="detail"),
    path("<uuid:scan_id>/compliance/", scans.scan_compliance, name="compliance"),
    path("<uuid:scan_id>/reveal/", scans.scan_reveal, name="reveal"),
    path("<uuid:scan_id>/reveal/forget/", scans.scan_reveal_forget, name="reveal_forget"),
]

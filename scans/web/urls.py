from django.urls import path

from scans.web import accounts, views

app_name = "scans"
urlpatterns = [
    path("", views.scan_list, name="list"),
    path("new/", views.scan_new, name="new"),
    path("demo/", views.scan_demo, name="demo"),
    path("<uuid:scan_id>/progress/", views.scan_progress, name="progress"),
    path("<uuid:scan_id>/cancel/", views.scan_cancel_view, name="cancel"),
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/new/", accounts.account_new, name="account_new"),
    path("accounts/<int:account_id>/", accounts.account_detail, name="account_detail"),
    path("accounts/<int:account_id>/edit/", accounts.account_edit, name="account_edit"),
    path("accounts/<int:account_id>/test/", accounts.account_test, name="account_test"),
    path("accounts/<int:account_id>/scan/", accounts.account_scan, name="account_scan"),
]

from django.urls import path

from scans.web import views

app_name = "scans"
urlpatterns = [
    path("", views.scan_list, name="list"),
    path("new/", views.scan_new, name="new"),
    path("demo/", views.scan_demo, name="demo"),
    path("<uuid:scan_id>/progress/", views.scan_progress, name="progress"),
    path("<uuid:scan_id>/cancel/", views.scan_cancel_view, name="cancel"),
]

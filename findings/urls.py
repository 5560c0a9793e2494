from django.urls import path

from findings import views

app_name = "findings"
urlpatterns = [
    path("scan/<uuid:scan_id>/", views.findings_table, name="table"),
    path("scan/<uuid:scan_id>/export.<str:export_format>", views.findings_export, name="export"),
]

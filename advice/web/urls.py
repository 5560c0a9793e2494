from django.urls import path

from advice.web import views

app_name = "advice"
urlpatterns = [
    path("scan/<uuid:scan_id>/", views.scan_advice, name="scan"),
]

from django.urls import path

from rules.web import views

app_name = "rules"
urlpatterns = [path("", views.rule_list, name="list")]

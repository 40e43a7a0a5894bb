from django.urls import path

from . import views

app_name = "common"
urlpatterns = [
    path("", views.operations_page, name="operations"),
    path("run/", views.operations_job_run, name="operations-run"),
]

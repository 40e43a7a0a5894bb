from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.month_view, name="month"),
    path("download/", views.download_view, name="download"),
    path("drill/", views.drill_view, name="drill"),
    path("reconcile/", views.reconcile_view, name="reconcile"),
    path("close/", views.close_view, name="close"),
    path("reopen/", views.reopen_view, name="reopen"),
    path("recompute/", views.recompute_view, name="recompute"),
]

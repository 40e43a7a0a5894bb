from django.urls import path  # noqa: F401

from . import register_views, views  # noqa: F401

app_name = "loanregister"
urlpatterns: list = [
    path("", register_views.register_list, name="register"),
    path("export/", register_views.register_export, name="export"),
    path("loans/id/<int:pk>/", register_views.loan_by_id, name="loan_by_id"),
    path("loans/<str:loan_number>/", register_views.loan_detail, name="loan"),
]

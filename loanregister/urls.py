from django.urls import path

from . import views

app_name = "loanregister"
urlpatterns = [
    path("", views.register_list, name="register"),
    path("export/", views.register_export, name="export"),
    path("loans/id/<int:pk>/", views.loan_by_id, name="loan_by_id"),
    path("loans/<str:loan_number>/", views.loan_detail, name="loan"),
]

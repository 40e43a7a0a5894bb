from django.urls import path

app_name = "servicing"
urlpatterns: list = []

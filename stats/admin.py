from django.contrib import admin  # noqa: F401  (the statistics admin comes with issue 13)

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from loanregister import views as register_views

urlpatterns = [
    path("health/", register_views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("preferences/language/", register_views.language_set, name="language-set"),
    path("admin/", admin.site.urls),
    path("servicing/", include("servicing.urls")),
    path("", register_views.home, name="home"),
    path("register/", include("loanregister.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

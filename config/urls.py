from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from common import views as common_views
from loanregister import views as register_views

# The error pages in the site's layout and the user's language (common/views.py); 405 is drawn by
# common.middleware.RefusalMiddleware through common_views.method_not_allowed.
handler403 = "common.views.permission_denied"
handler404 = "common.views.page_not_found"
handler500 = "common.views.server_error"

urlpatterns = [
    path("health/", register_views.health, name="health"),
    path("favicon.ico", common_views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("preferences/language/", register_views.language_set, name="language-set"),
    path("admin/", admin.site.urls),
    path("servicing/", include("servicing.urls")),
    path("statistics/", include("stats.urls")),
    path("operations/", include("common.urls")),
    path("applications/", include("origination.urls")),
    path("", register_views.home, name="home"),
    path("register/", include("loanregister.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

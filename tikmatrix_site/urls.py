from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The HTTP API (TikMatrix-compatible /api/v1, schema, docs); every answer is an envelope.
    path("api/", include("web.api.urls")),
    # The dashboard's pages: the farm (web) and the owner's team pages (team).
    path("", include("web.urls")),
    path("", include("team.urls")),
]

# /api/ paths answer in the {code, message, data} envelope; other paths keep Django's pages.
handler400 = "core.api.envelope.bad_request"
handler403 = "core.api.envelope.permission_denied"
handler404 = "core.api.envelope.not_found"
handler500 = "core.api.envelope.server_error"

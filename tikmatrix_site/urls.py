from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tikmatrix_site import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The HTTP API (TikMatrix-compatible /api/v1, schema, docs); every answer is an envelope.
    path("api/", include("tikmatrix_site.api.urls")),
    # The dashboard's pages, one urls.py per app.
    path("", include("devices.urls")),
    path("", include("tasks.urls")),
    path("", include("team.urls")),
]

# /api/ paths answer in the {code, message, data} envelope; other paths keep Django's pages.
handler400 = "tikmatrix_site.api.envelope.bad_request"
handler403 = "tikmatrix_site.api.envelope.permission_denied"
handler404 = "tikmatrix_site.api.envelope.not_found"
handler500 = "tikmatrix_site.api.envelope.server_error"

"""Everything under /api/: the v1 routes, the schema and docs, and a catch-all so that unknown
routes answer in the envelope (40401) instead of an HTML page or a slash redirect."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api.base import ApiRouter
from core.api.envelope import unknown_route
from web.api.devices import AccountViewSet, DeviceViewSet, LicenseCheckView
from web.api.schema import SCHEMA_SETTINGS
from web.api.tasks import MaterialViewSet, TaskViewSet

router = ApiRouter()
router.register("task", TaskViewSet, basename="task")
router.register("devices", DeviceViewSet, basename="device")
router.register("accounts", AccountViewSet, basename="account")
router.register("materials", MaterialViewSet, basename="material")

v1 = [
    re_path(r"^license/check/?$", LicenseCheckView.as_view(), name="license-check"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="api")),
    path(
        "schema/",
        SpectacularAPIView.as_view(custom_settings=SCHEMA_SETTINGS, permission_classes=[]),
        name="api-schema",
    ),
    # The split view serves Swagger UI's init script as a file (?script), not inline: the
    # Content-Security-Policy allows scripts from this server only.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", permission_classes=[], template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    re_path(r"^.*$", unknown_route),
]

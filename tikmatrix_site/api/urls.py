"""Everything under /api/: the v1 routes, the schema and docs, and a catch-all so that unknown
routes answer in the envelope (40401) instead of an HTML page or a slash redirect."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from devices.api.views import AccountViewSet, DeviceViewSet, LicenseCheckView
from tasks.api.views import MaterialViewSet, TaskViewSet
from tikmatrix_site.api.base import ApiRouter
from tikmatrix_site.api.envelope import unknown_route
from tikmatrix_site.api.schema import SCHEMA_SETTINGS

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
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[]),
        name="api-docs",
    ),
    re_path(r"^.*$", unknown_route),
]

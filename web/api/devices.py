"""``/api/v1/devices``, ``/api/v1/accounts`` and ``/api/v1/license/check``."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.access import audit_kwargs, licence_data, plan_has_no_api
from core.api.base import ApiViewMixin, paginated
from core.api.envelope import ApiError, Code
from core.licensing import current_entitlement
from devices import actions
from devices.access import LIVE_SCREENSHOT
from devices.models import Account, Device
from tasks.models import Task
from web.api import device_serializers as s
from web.filters import AccountFilter, DeviceFilter


def _running_task_id():
    running = Task.objects.filter(device=OuterRef("pk"), status=Task.Status.RUNNING)
    return Subquery(running.values("pk")[:1])


@extend_schema(tags=["devices"])
class DeviceViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Phones as the adb server lists them, by friendly number. `state` is online, offline or
    unauthorized; `busy_task_id` is the task running on it, if any."""

    queryset = (
        Device.objects.annotate(busy_task_id=_running_task_id())
        .prefetch_related("groups", "tags")
        .order_by("index")
    )
    serializer_class = s.DeviceSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DeviceFilter
    pagination_class = paginated("devices")
    lookup_field = "serial"
    lookup_value_regex = r"[^/]+"  # serials hold ':' and '.' (192.168.1.20:5555)
    action_roles = {"screenshot": LIVE_SCREENSHOT}  # the dashboard's rule

    @extend_schema(
        summary="Connect a phone over TCP (adb connect)",
        request=s.ConnectSerializer,
        responses=s.ConnectedSerializer,
    )
    @action(detail=False, methods=["post"])
    def connect(self, request: Request) -> Response:
        address = _address(request)
        message = actions.connect(address, **audit_kwargs(request))
        return Response({"address": address, "message": message})

    @extend_schema(
        summary="Disconnect a TCP phone (adb disconnect)",
        request=s.ConnectSerializer,
        responses=s.DisconnectedSerializer,
    )
    @action(detail=False, methods=["post"])
    def disconnect(self, request: Request) -> Response:
        address = _address(request)
        known = actions.disconnect(address, **audit_kwargs(request))
        return Response({"address": address, "disconnected": known})

    @extend_schema(
        summary="A screenshot of the phone (image/png); operators and owners",
        responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="PNG")},
    )
    @action(detail=True, methods=["get"])
    def screenshot(self, request: Request, serial: str) -> HttpResponse:
        png = actions.screenshot(self.get_object().serial)
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "no-store"
        return response


def _address(request: Request) -> str:
    if not isinstance(request.data, dict):
        raise ApiError(Code.INVALID, "expected a JSON object", {"errors": {"body": ["invalid"]}})
    serializer = s.ConnectSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["address"]


@extend_schema(tags=["accounts"])
class AccountViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Accounts with their phone's live status, newest first. Passwords are never returned."""

    queryset = (
        Account.objects.select_related("device")
        .prefetch_related("tags")
        .order_by("-created_at", "-id")
    )
    serializer_class = s.AccountSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AccountFilter
    pagination_class = paginated("accounts")
    lookup_value_regex = r"\d{1,18}"


@extend_schema(
    tags=["licence"], summary="Does this licence allow API access?", responses=s.LicenceSerializer
)
class LicenseCheckView(ApiViewMixin, APIView):
    """The one endpoint outside the licence gate: Free/Starter get 40301 with the same data."""

    licence_exempt = True

    def get(self, request: Request) -> Response:
        entitlement = current_entitlement()
        if not entitlement.api_enabled:
            raise plan_has_no_api(entitlement)
        return Response(licence_data(entitlement))

"""``/api/v1/task`` and ``/api/v1/materials``: thin views over ``tasks.creation``,
``tasks.actions`` and the dashboard's material form."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse, QueryDict
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.access import audit_kwargs
from core.api.base import ApiViewMixin, paginated
from core.api.envelope import invalid
from core.audit import record
from tasks import actions, creation, idempotency
from tasks.models import Material, Task
from tasks.scripts.registry import get_script
from web.api import task_serializers as s
from web.api.schema import CREATE_EXAMPLE
from web.filters import MaterialFilter, TaskFilter


@extend_schema(tags=["tasks"])
class TaskViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Tasks: one script run on one phone, as one account. Status 0 pending, 1 running,
    2 completed, 3 failed."""

    queryset = Task.objects.select_related("device")
    serializer_class = s.TaskSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TaskFilter
    pagination_class = paginated("tasks")
    lookup_url_kwarg = "task_id"
    # An integer that fits the database; anything else is an unknown route (40401).
    lookup_value_regex = r"\d{1,18}"

    @extend_schema(
        summary="Create tasks",
        request=s.TaskCreateSerializer,
        responses=s.CreatedSerializer,
        examples=[CREATE_EXAMPLE],
        parameters=[
            OpenApiParameter(
                idempotency.HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description="Retrying with the same key within 24 h returns the first "
                "answer instead of creating the tasks again.",
            )
        ],
    )
    def create(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict):
            raise invalid({"body": ["expected a JSON object"]})
        get_script(body.get("script_name"), api=True)  # 40002/40003 before anything else
        serializer = s.TaskCreateSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        req = creation.CreateRequest(**serializer.validated_data, source=Task.Source.API)

        def run() -> dict:
            return creation.create_tasks(req, **audit_kwargs(request)).as_data()

        key = request.headers.get(idempotency.HEADER)
        if key is None:
            return Response(run())
        return Response(idempotency.run_once(_caller(request), key, body, run))

    @extend_schema(summary="List tasks, newest first")
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One task", responses=s.TaskSerializer)
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Delete a task (a running one is stopped)", responses=s.DeletedSerializer
    )
    def destroy(self, request: Request, task_id: str) -> Response:
        deleted = actions.delete_task(self.get_object(), **audit_kwargs(request))
        return Response({"deleted_count": deleted})

    @extend_schema(
        summary="Delete many tasks", request=s.BatchDeleteSerializer, responses=s.DeletedSerializer
    )
    @action(detail=False, methods=["delete"], url_path="batch")
    def batch(self, request: Request) -> Response:
        serializer = s.BatchDeleteSerializer(data=_object(request.data))
        serializer.is_valid(raise_exception=True)
        deleted, not_found = actions.delete_tasks(
            serializer.validated_data["task_ids"], **audit_kwargs(request)
        )
        return Response({"deleted_count": deleted, "not_found": not_found})

    @extend_schema(summary="Counts by status", responses=s.StatsSerializer)
    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Response:
        by_status = Task.objects.count_by_status()
        return Response({"total": sum(by_status.values()), **by_status})

    @extend_schema(summary="Retry every failed task", request=None, responses=s.RetriedSerializer)
    @action(detail=False, methods=["post"], url_path="retry-all")
    def retry_all(self, request: Request) -> Response:
        return Response({"retried_count": actions.retry_all_failed(**audit_kwargs(request))})

    @extend_schema(
        summary="Stop a pending or running task", request=None, responses=s.TaskSerializer
    )
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, task_id: str) -> Response:
        task = actions.stop_task(self.get_object(), **audit_kwargs(request))
        return Response(self.get_serializer(task).data)

    @extend_schema(
        summary="The screenshot taken when the task failed (image/png) [ours]",
        responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="PNG")},
    )
    @action(detail=True, methods=["get"], url_path="failure-screenshot")
    def failure_screenshot(self, request: Request, task_id: str) -> HttpResponse:
        task = self.get_object()
        if not task.failure_screenshot:
            raise Http404("this task has no failure screenshot")
        with task.failure_screenshot.open("rb") as handle:
            return HttpResponse(handle.read(), content_type="image/png")

    @extend_schema(
        summary="The UI hierarchy (uiautomator XML) when the task failed [ours]",
        responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.STR)},
    )
    @action(detail=True, methods=["get"], url_path="failure-hierarchy")
    def failure_hierarchy(self, request: Request, task_id: str) -> HttpResponse:
        task = self.get_object()
        if not task.failure_hierarchy:
            raise Http404("this task has no failure hierarchy")
        return HttpResponse(task.failure_hierarchy, content_type="application/xml; charset=utf-8")

    @extend_schema(summary="Retry a failed task", request=None, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, task_id: str) -> Response:
        task = actions.retry_task(self.get_object(), **audit_kwargs(request))
        return Response(self.get_serializer(task).data)


def _object(data) -> dict:
    if not isinstance(data, dict):
        raise invalid({"body": ["expected a JSON object"]})
    return data


def _caller(request: Request) -> str:
    """Whose Idempotency-Keys these are: one namespace per user (or per actor)."""
    user = request.user
    return f"user:{user.pk}" if getattr(user, "pk", None) else f"actor:{user}"


@extend_schema(tags=["materials"])
class MaterialViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The media library: upload here, then name the returned `path` (or `material:<id>`) in a
    post's `material_list`. mp4/mov videos, jpg/png images."""

    queryset = Material.objects.prefetch_related("tags").order_by("-created_at", "-id")
    serializer_class = s.MaterialSerializer
    parser_classes = [MultiPartParser]
    filter_backends = [DjangoFilterBackend]
    filterset_class = MaterialFilter
    pagination_class = paginated("materials")
    lookup_value_regex = r"\d{1,18}"

    @extend_schema(
        summary="Upload a video or image",
        request={"multipart/form-data": s.MaterialUploadSerializer},
        responses=s.MaterialSerializer,
    )
    def create(self, request: Request) -> Response:
        from tasks.forms import MaterialUploadForm

        _refuse_oversized(request)
        # No body parses as a plain {}; a form always has getlist.
        data = request.data if isinstance(request.data, QueryDict) else QueryDict()
        form = MaterialUploadForm(
            data={
                "tag_names": ",".join(data.getlist("tags")),
                "caption": data.get("caption", ""),
                "username": data.get("username", ""),
                "sort": data.get("sort") or "0",
            },
            files=request.FILES,
        )
        if not form.is_valid():
            raise invalid({_UPLOAD_FIELDS.get(f, f): list(m) for f, m in form.errors.items()})
        material = form.save()
        record(
            "material.upload",
            obj=material,
            **audit_kwargs(request),
            detail={"name": material.file.name, "size": material.size},
        )
        return Response(self.get_serializer(material).data)

    @extend_schema(summary="List materials, newest first")
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Delete a material and its file", responses=s.DeletedSerializer)
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        from tasks.forms import material_storage

        material = self.get_object()
        name = material.file.name
        record("material.delete", obj=material, detail={"name": name}, **audit_kwargs(request))
        material.delete()
        material_storage().delete(name)
        return Response({"deleted_count": 1})


# The dashboard form's field names → the API's.
_UPLOAD_FIELDS = {"tag_names": "tags", "__all__": "body"}


def _refuse_oversized(request: Request) -> None:
    """Refuse a too-large upload from its declared length, before it is written to disk."""
    limit = settings.MATERIAL_MAX_UPLOAD_MB * 1024 * 1024
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit + 1024 * 1024:  # room for the form fields
        raise invalid({"file": [f"larger than {settings.MATERIAL_MAX_UPLOAD_MB} MB"]})

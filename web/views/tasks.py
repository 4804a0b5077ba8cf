"""Dashboard pages for tasks and the media library. Thin: form → service → audit → redirect."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.audit import record
from core.jsonview import masked
from core.pages import paginate, redirect_back, render_invalid, render_page
from core.roles import Role, role_required
from tasks.access import material_for, task_for
from tasks.forms import (
    BulkActionForm,
    MaterialEditForm,
    MaterialUploadForm,
    TaskCreateForm,
    chosen_script,
    create_from_form,
    material_storage,
)
from tasks.models import Material, Task
from tasks.scripts.registry import script_choices
from web import bulk
from web.filters import MaterialFilter, TaskFilter

TASKS_PER_PAGE = 50
MATERIALS_PER_PAGE = 40

# -- tasks --------------------------------------------------------------------------------------


def listed_tasks(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """Tasks for a table: without their config and UI hierarchy, which no table shows and
    which can weigh tens of kilobytes a row, so a page stays light whatever the rows hold."""
    return queryset.select_related("device").defer("script_config", "failure_hierarchy")


@role_required(Role.VIEWER)
def task_list(request: HttpRequest) -> HttpResponse:
    filterset = TaskFilter(request.GET, queryset=listed_tasks(Task.objects.all()))
    context = {
        "filterset": filterset,
        "page": paginate(request, filterset.qs, TASKS_PER_PAGE),
        "failed_count": Task.objects.filter(status=Task.Status.FAILED).count(),
    }
    return render_page(request, "tasks/list.html", context, fragment="tasks/_list.html")


@role_required(Role.VIEWER)
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_for(request.user, pk)
    shown = masked(task.script_config or {})
    config = json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True)
    context = {"task": task, "events": task.events.all(), "config_json": config}
    return render_page(request, "tasks/detail.html", context, fragment="tasks/_detail.html")


@require_POST
@role_required(Role.OPERATOR)
def task_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action and tick at least one task."))
        return redirect_back(request, "task-list")
    outcome = bulk.apply(
        form.cleaned_data["action"], form.cleaned_data["ids"], user=request.user, request=request
    )
    bulk.flash(request, outcome)
    return redirect_back(request, "task-list")


@require_POST
@role_required(Role.OPERATOR)
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    task = task_for(request.user, pk, Role.OPERATOR)
    outcome = bulk.apply(action, [task.pk], user=request.user, request=request)
    bulk.flash(request, outcome)
    if action == "delete":
        return redirect("task-list")
    return redirect("task-detail", pk=pk)


@require_POST
@role_required(Role.OPERATOR)
def task_retry_all(request: HttpRequest) -> HttpResponse:
    outcome = bulk.apply("retry_all", [], user=request.user, request=request)
    bulk.flash(request, outcome)
    return redirect("task-list")


@role_required(Role.VIEWER)
def task_failure_screenshot(request: HttpRequest, pk: int) -> FileResponse:
    task = task_for(request.user, pk)
    if not task.failure_screenshot:
        raise Http404("no failure screenshot")
    return FileResponse(task.failure_screenshot.open("rb"), content_type="image/png")


# -- materials ----------------------------------------------------------------------------------


def listed_materials() -> QuerySet[Material]:
    return Material.objects.prefetch_related("tags")


@role_required(Role.VIEWER)
def material_list(request: HttpRequest) -> HttpResponse:
    filterset = MaterialFilter(request.GET, queryset=listed_materials())
    page = paginate(request, filterset.qs, MATERIALS_PER_PAGE)
    context = {"filterset": filterset, "page": page, "upload_form": MaterialUploadForm()}
    return render_page(request, "materials/list.html", context)


@require_POST
@role_required(Role.OPERATOR)
def material_upload(request: HttpRequest) -> HttpResponse:
    form = MaterialUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        context = {
            "filterset": MaterialFilter(queryset=listed_materials()),
            "upload_form": form,
            "page": paginate(request, listed_materials(), MATERIALS_PER_PAGE),
        }
        return render_invalid(request, "materials/list.html", context)
    material = form.save()
    record(
        "material.upload",
        user=request.user,
        obj=material,
        request=request,
        detail={"name": material.file.name, "size": material.size},
    )
    messages.success(request, _("Uploaded %(name)s.") % {"name": Path(material.file.name).name})
    return redirect("material-list")


@role_required(Role.OPERATOR)
def material_edit(request: HttpRequest, pk: int) -> HttpResponse:
    material = material_for(request.user, pk)
    form = MaterialEditForm(request.POST or None, instance=material)
    if request.method != "POST":
        return render_page(request, "materials/form.html", {"form": form, "material": material})
    if not form.is_valid():
        return render_invalid(request, "materials/form.html", {"form": form, "material": material})
    form.save()
    record(
        "material.update",
        user=request.user,
        obj=material,
        request=request,
        detail={"fields": form.changed_data},
    )
    messages.success(request, _("Material saved."))
    return redirect("material-list")


@require_POST
@role_required(Role.OPERATOR)
def material_delete(request: HttpRequest, pk: int) -> HttpResponse:
    material = material_for(request.user, pk)
    name = material.file.name
    record(
        "material.delete", user=request.user, obj=material, request=request, detail={"name": name}
    )
    material.delete()
    material_storage().delete(name)
    messages.success(request, _("Material deleted."))
    return redirect("material-list")


@role_required(Role.VIEWER)
def material_file(request: HttpRequest, pk: int) -> FileResponse:
    material = material_for(request.user, pk, Role.VIEWER)
    storage = material_storage()
    if not storage.exists(material.file.name):
        raise Http404("file missing")
    return FileResponse(storage.open(material.file.name, "rb"))


@role_required(Role.OPERATOR)
def task_create(request: HttpRequest) -> HttpResponse:
    script = chosen_script(request.POST.get("script") or request.GET.get("script"))
    form = TaskCreateForm(script, request.POST or None)
    context = {"form": form, "script": script, "scripts": script_choices()}
    if request.method != "POST":
        return render_page(request, "tasks/form.html", context)
    task_ids = create_from_form(form, user=request.user, request=request)
    if task_ids is None:
        return render_invalid(request, "tasks/form.html", context)
    messages.success(
        request,
        ngettext("%(n)d task created.", "%(n)d tasks created.", len(task_ids))
        % {"n": len(task_ids)},
    )
    if len(task_ids) == 1:
        return redirect("task-detail", pk=task_ids[0])
    return redirect("task-list")

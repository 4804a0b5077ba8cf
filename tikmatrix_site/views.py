from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from devices import licensing
from devices.models import Device
from tasks.models import Task
from tikmatrix_site.health import health


@require_GET
@never_cache
def healthz(request):
    report = health()
    ok = report["database"] == "ok"
    return JsonResponse({"status": "ok" if ok else "error", **report}, status=200 if ok else 503)


@login_required
def overview(request):
    task_counts = {s.label: Task.objects.filter(status=s).count() for s in Task.Status}
    device_counts = {s.label: Device.objects.filter(state=s).count() for s in Device.State}
    return render(
        request,
        "overview.html",
        {
            "task_counts": task_counts,
            "device_counts": device_counts,
            "entitlement": licensing.current_entitlement(),
        },
    )

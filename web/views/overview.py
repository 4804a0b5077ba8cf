from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import licensing
from core.pages import render_page
from core.roles import Role, role_required
from web import health
from web import overview as data


@require_GET
@never_cache
def healthz(request):
    body, status = health.answer(request.user)
    return JsonResponse(body, status=status)


@role_required(Role.VIEWER)
def overview(request):
    period = "7d" if request.GET.get("period") == "7d" else "24h"
    context = {
        "task_counts": data.task_counts(),
        "running": data.running_tasks(),
        "hosts": data.farm_health(),
        "chart": data.history(period),
        "period": period,
        "entitlement": licensing.current_entitlement(),
    }
    return render_page(request, "overview.html", context, fragment="_overview.html")

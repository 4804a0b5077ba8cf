"""Dashboard pages for phones and accounts. Thin: form → service → audit → redirect."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.audit import record
from core.pages import paginate, redirect_back, render_invalid, render_page
from core.roles import Role, role_required
from devices import accounts_csv, actions
from devices.access import LIVE_SCREENSHOT, account_for, device_for
from devices.forms import AccountForm, AccountImportForm, ConnectForm, DeviceForm
from devices.models import Account, Device
from tasks.models import Task
from web.filters import AccountFilter, DeviceFilter
from web.views.tasks import listed_tasks

DEVICES_PER_PAGE = 60
ACCOUNTS_PER_PAGE = 50


# -- devices ------------------------------------------------------------------------------------


def grid_devices() -> QuerySet[Device]:
    """Phones for the grid: a fixed number of queries however many are shown."""
    running = Task.objects.running().only("id", "device_id", "script_name", "progress", "step")
    return Device.objects.prefetch_related(
        "groups", "tags", Prefetch("tasks", queryset=running, to_attr="running_tasks")
    )


@role_required(Role.VIEWER)
def device_list(request: HttpRequest) -> HttpResponse:
    filterset = DeviceFilter(request.GET, queryset=grid_devices())
    page = paginate(request, filterset.qs, DEVICES_PER_PAGE)
    context = {"filterset": filterset, "page": page, "connect_form": ConnectForm()}
    return render_page(request, "devices/list.html", context, fragment="devices/_grid.html")


@role_required(Role.VIEWER)
def device_detail(request: HttpRequest, serial: str) -> HttpResponse:
    device = device_for(request.user, serial)
    tasks = listed_tasks(device.tasks.select_related("account"))
    context = {
        "device": device,
        "form": DeviceForm(instance=device),
        "accounts": device.accounts.all(),
        "page": paginate(request, tasks, 25),
    }
    return render_page(request, "devices/detail.html", context, fragment="devices/_detail.html")


@require_POST
@role_required(Role.OPERATOR)
def device_edit(request: HttpRequest, serial: str) -> HttpResponse:
    device = device_for(request.user, serial, Role.OPERATOR)
    form = DeviceForm(request.POST, instance=device)
    if not form.is_valid():
        context = {"device": device, "form": form, "page": paginate(request, device.tasks.all())}
        return render_invalid(request, "devices/detail.html", context)
    form.save()
    record(
        "device.update",
        user=request.user,
        obj=device,
        request=request,
        detail={"fields": form.changed_data},
    )
    messages.success(request, _("Phone saved."))
    return redirect("device-detail", serial=device.serial)


@require_POST
@role_required(Role.OPERATOR)
def device_connect(request: HttpRequest) -> HttpResponse:
    form = ConnectForm(request.POST)
    if not form.is_valid():
        context = {
            "filterset": DeviceFilter(queryset=grid_devices()),
            "connect_form": form,
            "page": paginate(request, grid_devices(), DEVICES_PER_PAGE),
        }
        return render_invalid(request, "devices/list.html", context)
    address = form.cleaned_data["address"]
    try:
        actions.connect(address, user=request.user, request=request)
    except actions.PhoneActionError as exc:
        messages.error(
            request,
            _("Could not connect %(address)s: %(error)s")
            % {"address": address, "error": exc.reason},
        )
    else:
        messages.success(
            request,
            _("Connected %(address)s; it appears here within seconds.") % {"address": address},
        )
    return redirect("device-list")


@require_POST
@role_required(LIVE_SCREENSHOT)
def device_screenshot(request: HttpRequest, serial: str) -> HttpResponse:
    device = device_for(request.user, serial, LIVE_SCREENSHOT)
    try:
        actions.take_thumbnail(device.serial)
    except actions.PhoneActionError as exc:
        messages.error(request, _("No screenshot: %(error)s") % {"error": exc.reason})
    return redirect("device-detail", serial=device.serial)


@never_cache
@role_required(Role.VIEWER)
def device_thumbnail(request: HttpRequest, serial: str) -> FileResponse:
    device = device_for(request.user, serial)
    path = actions.thumbnail_path(device.serial)
    if not path.is_file():
        raise Http404("no screenshot yet")
    return FileResponse(path.open("rb"), content_type="image/png")


# -- accounts -----------------------------------------------------------------------------------


def listed_accounts() -> QuerySet[Account]:
    return Account.objects.select_related("device").prefetch_related("tags")


@role_required(Role.VIEWER)
def account_list(request: HttpRequest) -> HttpResponse:
    filterset = AccountFilter(request.GET, queryset=listed_accounts())
    context = {
        "filterset": filterset,
        "page": paginate(request, filterset.qs, ACCOUNTS_PER_PAGE),
        "import_form": AccountImportForm(),
        "totals": Account.objects.aggregate(
            all=Count("id"), enabled=Count("id", filter=Q(status=Account.Status.ENABLED))
        ),
    }
    return render_page(request, "accounts/list.html", context)


@role_required(Role.OPERATOR)
def account_create(request: HttpRequest) -> HttpResponse:
    return _account_form(request, Account())


@role_required(Role.OPERATOR)
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_form(request, account_for(request.user, pk, Role.OPERATOR))


def _account_form(request: HttpRequest, account: Account) -> HttpResponse:
    creating = account.pk is None
    form = AccountForm(request.POST or None, instance=account)
    if request.method != "POST":
        return render_page(request, "accounts/form.html", {"form": form, "account": account})
    if not form.is_valid():
        return render_invalid(request, "accounts/form.html", {"form": form, "account": account})
    account = form.save()
    record(
        "account.create" if creating else "account.update",
        user=request.user,
        obj=account,
        request=request,
        detail={"fields": form.changed_for_audit()},
    )
    messages.success(request, _("Account @%(username)s saved.") % {"username": account.username})
    return redirect("account-list")


@require_POST
@role_required(Role.OPERATOR)
def account_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    account = account_for(request.user, pk, Role.OPERATOR)
    enable = not account.is_enabled
    account.status = Account.Status.ENABLED if enable else Account.Status.DISABLED
    account.save(update_fields=["status", "updated_at"])
    record(
        "account.enable" if enable else "account.disable",
        user=request.user,
        obj=account,
        request=request,
    )
    return redirect_back(request, "account-list")


@require_POST
@role_required(Role.OPERATOR)
def account_delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = account_for(request.user, pk, Role.OPERATOR)
    record(
        "account.delete",
        user=request.user,
        obj=account,
        request=request,
        detail={"username": account.username, "platform": account.platform},
    )
    account.delete()
    messages.success(request, _("Account @%(username)s deleted.") % {"username": account.username})
    return redirect("account-list")


@require_POST
@role_required(Role.OPERATOR)
def account_import(request: HttpRequest) -> HttpResponse:
    form = AccountImportForm(request.POST, request.FILES)
    result = accounts_csv.import_upload(form.files.get("file")) if form.is_valid() else None
    if result is None or not result.ok:
        context = {
            "filterset": AccountFilter(queryset=listed_accounts()),
            "import_form": form,
            "import_result": result,
            "page": paginate(request, listed_accounts(), ACCOUNTS_PER_PAGE),
        }
        return render_invalid(request, "accounts/list.html", context)
    record(
        "account.import",
        user=request.user,
        object_type="account",
        request=request,
        detail={"created": result.created, "updated": result.updated},
    )
    messages.success(
        request,
        _("Imported: %(created)d created, %(updated)d updated.")
        % {"created": result.created, "updated": result.updated},
    )
    return redirect("account-list")


@role_required(Role.VIEWER)
def account_export(request: HttpRequest) -> StreamingHttpResponse:
    rows = AccountFilter(request.GET, queryset=listed_accounts()).qs
    response = StreamingHttpResponse(accounts_csv.export_lines(rows), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="accounts.csv"'
    return response

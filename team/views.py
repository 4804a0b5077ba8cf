"""Owner pages (team, API tokens, licences) and the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core import licensing
from core.audit import record
from core.models import ApiToken, AuditEntry, Licence
from core.pages import paginate, render_invalid, render_page
from core.roles import Role, role_of, role_required, set_role
from team import signins
from team.access import member_for, token_for
from team.forms import (
    AuditFilterForm,
    FarmSettingsForm,
    LicenceInstallForm,
    MemberCreateForm,
    MemberRoleForm,
    SignInUnlockForm,
    TokenForm,
    other_active_owners,
)

# -- team ---------------------------------------------------------------------------------------


def team_context(**forms) -> dict:
    members = list(get_user_model().objects.order_by("-is_active", "username"))
    for member in members:
        member.team_role = role_of(member) if member.is_active else None
    return {
        "members": members,
        "tokens": ApiToken.objects.select_related("user")[:200],
        "create_form": forms.get("create_form") or MemberCreateForm(),
        "token_form": forms.get("token_form") or TokenForm(),
        "locks": signins.current_locks(),
        "settings_form": forms.get("settings_form") or FarmSettingsForm.current(),
    }


@role_required(Role.OWNER)
def team(request: HttpRequest) -> HttpResponse:
    return render_page(request, "team/team.html", team_context())


@never_cache
@require_POST
@role_required(Role.OWNER)
def member_create(request: HttpRequest) -> HttpResponse:
    form = MemberCreateForm(request.POST)
    if not form.is_valid():
        return render_invalid(request, "team/team.html", team_context(create_form=form))
    member, password = form.save()
    record(
        "user.create",
        user=request.user,
        obj=member,
        request=request,
        detail={"role": form.cleaned_data["role"]},
    )
    # Shown on this response only, never stored or put in a flash message (cookies).
    return render_page(request, "team/secret.html", {"member": member, "password": password})


@require_POST
@role_required(Role.OWNER)
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_for(request.user, pk)
    form = MemberRoleForm(request.POST, member=member)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("role", [])))
        return redirect("team")
    set_role(member, form.cleaned_data["role"])
    record(
        "user.role",
        user=request.user,
        obj=member,
        request=request,
        detail={"role": form.cleaned_data["role"].label},
    )
    messages.success(request, _("%(user)s's role changed.") % {"user": member.username})
    return redirect("team")


@require_POST
@role_required(Role.OWNER)
def member_active(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_for(request.user, pk)
    if member.is_active and (member == request.user or not other_active_owners(member)):
        messages.error(request, _("You cannot deactivate yourself or the last owner."))
        return redirect("team")
    member.is_active = not member.is_active
    member.save(update_fields=["is_active"])
    record(
        "user.activate" if member.is_active else "user.deactivate",
        user=request.user,
        obj=member,
        request=request,
    )
    return redirect("team")


@never_cache
@require_POST
@role_required(Role.OWNER)
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render_invalid(request, "team/team.html", team_context(token_form=form))
    token, key = ApiToken.issue(form.cleaned_data["user"], name=form.cleaned_data["name"])
    record(
        "token.create",
        user=request.user,
        obj=token,
        request=request,
        detail={"for": token.user.username, "prefix": token.prefix},
    )
    return render_page(request, "team/secret.html", {"token": token, "key": key})


@require_POST
@role_required(Role.OWNER)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = token_for(request.user, pk)
    token.revoke()
    record(
        "token.revoke",
        user=request.user,
        obj=token,
        request=request,
        detail={"for": token.user.username, "prefix": token.prefix},
    )
    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("team")


@require_POST
@role_required(Role.OWNER)
def signin_unlock(request: HttpRequest) -> HttpResponse:
    form = SignInUnlockForm(request.POST)
    if form.is_valid():
        kind, value = form.cleaned_data["kind"], form.cleaned_data["value"]
        signins.unlock(kind, value, user=request.user, request=request)
        messages.success(request, _("Sign-in unlocked for %(who)s.") % {"who": value})
    return redirect("team")


@require_POST
@role_required(Role.OWNER)
def farm_settings_update(request: HttpRequest) -> HttpResponse:
    form = FarmSettingsForm(request.POST)
    if not form.is_valid():
        return render_invalid(request, "team/team.html", team_context(settings_form=form))
    if form.save(user=request.user, request=request):
        messages.success(request, _("Settings saved."))
    return redirect("team")


# -- everyone's own password ------------------------------------------------------------------


class PasswordChange(auth_views.PasswordChangeView):
    """Any signed-in member changes their own password (old one first); audited."""

    template_name = "team/password.html"
    success_url = reverse_lazy("password-change")  # every member may see it, whatever the role

    def form_valid(self, form):
        response = super().form_valid(form)  # also keeps this session signed in
        record("user.password", user=self.request.user, obj=self.request.user, request=self.request)
        messages.success(self.request, _("Your password was changed."))
        return response

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=422)


# -- licences -----------------------------------------------------------------------------------


def licence_context(form: LicenceInstallForm | None = None) -> dict:
    return {
        "entitlement": licensing.current_entitlement(),
        "licences": Licence.objects.select_related("installed_by"),
        "plans": licensing.PLANS.values(),
        "form": form or LicenceInstallForm(),
    }


@role_required(Role.OWNER)
def licences(request: HttpRequest) -> HttpResponse:
    return render_page(request, "team/licences.html", licence_context())


@require_POST
@role_required(Role.OWNER)
def licence_install(request: HttpRequest) -> HttpResponse:
    form = LicenceInstallForm(request.POST, user=request.user)
    licence = form.save() if form.is_valid() else None
    if licence is None:
        return render_invalid(request, "team/licences.html", licence_context(form))
    record(
        "licence.install",
        user=request.user,
        obj=licence,
        request=request,
        detail={"plan": licence.plan, "devices": licence.device_limit},
    )
    messages.success(request, _("Licence installed: %(plan)s.") % {"plan": licence.plan})
    return redirect("licences")


# -- audit --------------------------------------------------------------------------------------


@role_required(Role.VIEWER)
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    page = paginate(request, form.filter(AuditEntry.objects.all()), 50)
    return render_page(request, "team/audit.html", {"form": form, "page": page})

"""Looking up team members and API tokens: owners only, then the object (else 404)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404

from core.models import ApiToken
from core.roles import Role, require_role


def member_for(user, pk: int):
    require_role(user, Role.OWNER)
    return get_object_or_404(get_user_model(), pk=pk)


def token_for(user, pk: int) -> ApiToken:
    require_role(user, Role.OWNER)
    return get_object_or_404(ApiToken.objects.select_related("user"), pk=pk)

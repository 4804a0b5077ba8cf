from core.roles import Role, role_of


def role(request) -> dict:
    """Expose the user's role to templates (navigation and buttons shown by role)."""
    current = role_of(getattr(request, "user", None))
    return {
        "role": current,
        "can_operate": current >= Role.OPERATOR,
        "is_owner": current >= Role.OWNER,
    }

"""``follow``: follow one user (the create request fans out one task per target)."""

from django.utils.translation import gettext_lazy as _

from tasks.scripts.base import ScriptContext, ScriptFailure
from tasks.scripts.fields import TARGET_FIELDS, check_targets, one_task_per_target
from tasks.scripts.flows import (
    ACCOUNT_SELECTORS,
    PROFILE_SELECTORS,
    ensure_account,
    follow_state,
    open_profile,
)
from tasks.scripts.registry import Script


def run(ctx: ScriptContext) -> str:
    target = ctx.config["target_user"]
    ctx.step("opening the app", 10)
    ctx.open_app()
    ensure_account(ctx)
    ctx.step(f"opening @{target}", 40, ctx.config.get("access_method", "direct"))
    open_profile(ctx, target, ctx.config.get("access_method", "direct"))
    button, following = follow_state(ctx)
    if following:
        return f"already following @{target}"
    ctx.step(f"following @{target}", 70)
    ctx.phone.tap(*button.centre)
    ctx.pause(0.8, 1.5)
    if not follow_state(ctx)[1]:
        raise ScriptFailure(
            f"tapped Follow on @{target} but the app did not confirm it "
            "(the platform may be limiting this account)"
        )
    return f"followed @{target}"


SCRIPT = Script(
    name="follow",
    label=_("Follow users"),
    fields=TARGET_FIELDS,
    run=run,
    time_limit=lambda config: 300,
    check=check_targets,
    fan_out=one_task_per_target,
    daily_limit="follow",
    selectors=(*ACCOUNT_SELECTORS, *PROFILE_SELECTORS),
)

"""``unfollow``: stop following one user (one task per target)."""

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
    if not following:
        return f"not following @{target}; nothing to do"
    ctx.step(f"unfollowing @{target}", 70)
    ctx.phone.tap(*button.centre)
    ctx.pause(0.6, 1.0)
    # Instagram asks in a sheet; TikTok unfollows at once.
    if "unfollow_confirm" in ctx.selectors["elements"] and ctx.exists("unfollow_confirm", 2):
        ctx.tap("unfollow_confirm")
    if follow_state(ctx)[1]:
        raise ScriptFailure(f"tapped Unfollow on @{target} but the app still shows Following")
    return f"unfollowed @{target}"


SCRIPT = Script(
    name="unfollow",
    label=_("Unfollow users"),
    fields=TARGET_FIELDS,
    run=run,
    time_limit=lambda config: 300,
    check=check_targets,
    fan_out=one_task_per_target,
    daily_limit="unfollow",
    selectors=(*ACCOUNT_SELECTORS, *PROFILE_SELECTORS),
    platform_selectors={"instagram": ("unfollow_confirm",)},  # TikTok unfollows at once
)

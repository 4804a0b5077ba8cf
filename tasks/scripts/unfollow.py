"""``unfollow``: stop following one user (one task per target)."""

from tasks.scripts.base import ScriptContext, ScriptFailure
from tasks.scripts.flows import ensure_account, follow_state, open_profile


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

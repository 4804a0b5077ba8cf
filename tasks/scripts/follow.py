"""``follow``: follow one user (the create request fans out one task per target)."""

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

"""``diagnostic``: ask the phone for its model. Not offered through the API; used to check a
phone end to end and by the dispatch benchmark as the cheapest real task."""

from tasks.scripts.base import ScriptContext


def run(ctx: ScriptContext) -> str:
    ctx.step("asking the phone", 50)
    model = ctx.phone.shell("getprop ro.product.model").strip()
    return f"phone answered: {model or 'no model'}"

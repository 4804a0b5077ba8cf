"""``diagnostic``: ask the phone for its model. Not offered through the API; used to check a
phone end to end and by the dispatch benchmark as the cheapest real task."""

from django.utils.translation import gettext_lazy as _

from tasks.scripts.base import ScriptContext
from tasks.scripts.fields import APP_FIELDS
from tasks.scripts.registry import Script


def run(ctx: ScriptContext) -> str:
    ctx.step("asking the phone", 50)
    model = ctx.phone.shell("getprop ro.product.model").strip()
    return f"phone answered: {model or 'no model'}"


SCRIPT = Script(
    name="diagnostic",
    label=_("Diagnostic"),
    fields=APP_FIELDS,
    run=run,
    time_limit=lambda config: 60,
    api=False,  # a tool for the farm, not a TikMatrix script
)

"""Steps several scripts share: be the right account, open a user's profile, post a comment."""

from __future__ import annotations

import time

from tasks.scripts.base import ScriptContext, ScriptFailure, find_in, iter_nodes

# The selector names each flow looks up; a script that uses a flow declares them too.
ACCOUNT_SELECTORS = ("nav_profile", "account_switcher", "account_row")
PROFILE_SELECTORS = ("nav_search", "search_field", "search_user_row", "search_user_name",
                     "profile_missing", "profile_follow_button")  # fmt: skip
COMMENT_SELECTORS = ("comment_open", "comment_field", "comment_send", "comment_row")


def node_text(node) -> str:
    return (node.text or node.content_desc or "").strip()


def bare(username: str) -> str:
    """``"@maria ⌄"`` → ``"maria"``: account names as the apps show them."""
    return username.replace("⌄", "").strip().lstrip("@").strip()


def ensure_account(ctx: ScriptContext) -> None:
    """Switch the app to the task's account (multi-account phones) if it is not current
    (ACCOUNT_SELECTORS)."""
    account = ctx.task.account
    if account is None:
        return
    ctx.tap("nav_profile")
    current = bare(node_text(ctx.find("account_switcher")))
    if current == account.username:
        ctx.step("account", message=f"already @{account.username}")
        return
    ctx.step("switching account", message=f"@{current} → @{account.username}")
    ctx.tap("account_switcher")
    row = _account_row(ctx, account.username)
    if row is None:
        raise ScriptFailure(
            f"@{account.username} is not logged in on this phone's {ctx.app_name} app "
            "(log it in on the phone, or bind the account to the right phone)"
        )
    ctx.phone.tap(*row.centre)
    ctx.pause()
    now = bare(node_text(ctx.find("account_switcher")))
    if now != account.username:
        raise ScriptFailure(f"switching to @{account.username} did not work (the app shows @{now})")


def _account_row(ctx: ScriptContext, username: str):
    ctx.find("account_row")
    rules = ctx.rules("account_row")
    for node in iter_nodes(ctx.screen()):
        if find_in(node, rules) is node and bare(node_text(node)) == username:
            return node
    return None


def open_profile(ctx: ScriptContext, username: str, method: str = "direct") -> None:
    """Open ``username``'s profile by URL (``direct``) or through the app's search
    (PROFILE_SELECTORS)."""
    if method == "search":
        _search_profile(ctx, username)
    else:
        ctx.phone.open_url(ctx.selectors["profile_url"].format(username=username), ctx.package)
        ctx.pause(0.8, 1.2)
    _wait_for_profile(ctx, username)


def _search_profile(ctx: ScriptContext, username: str) -> None:
    ctx.tap("nav_search")
    field = ctx.find("search_field")
    if not field.focused:
        ctx.phone.tap(*field.centre)
        ctx.pause()
    ctx.type_text(username, "the search field")
    ctx.phone.press_key("ENTER")
    ctx.pause(0.8, 1.2)
    ctx.find("search_user_row", timeout=8, required=False)
    rows, names = ctx.rules("search_user_row"), ctx.rules("search_user_name")
    for node in iter_nodes(ctx.screen()):
        if find_in(node, rows) is node:
            name = find_in(node, names)
            if name is not None and bare(node_text(name)) == username:
                ctx.phone.tap(*node.centre)
                ctx.pause(0.8, 1.2)
                return
    raise ScriptFailure(f"searching {ctx.app_name} for @{username} found no such account")


def _wait_for_profile(ctx: ScriptContext, username: str, timeout: float = 12.0) -> None:
    started = time.monotonic()
    while True:
        if ctx.exists("profile_missing"):
            raise ScriptFailure(f"@{username} does not exist on {ctx.app_name}")
        if ctx.exists("profile_follow_button"):
            return
        waited = time.monotonic() - started
        if waited >= timeout:
            raise ScriptFailure(
                f"@{username}'s {ctx.app_name} profile never showed 'profile_follow_button' "
                f"(looked for {waited:.0f}s; the app may have changed, or a screen is in the way)"
            )
        ctx.pause(0.4, 0.6)


def follow_state(ctx: ScriptContext) -> tuple[object, bool]:
    """(the profile's follow button, whether we already follow this user)."""
    button = ctx.find("profile_follow_button")
    return button, node_text(button) in ctx.selectors["texts"]["following"]


def commented(ctx: ScriptContext, text: str) -> bool:
    """The open comment sheet lists ``text`` (the apps put the author's name before it; a
    dump shows an emoji as "..", so the text is compared as it reads there)."""
    shown = ctx.as_shown(text)
    return any(shown in node_text(row) for row in find_all(ctx, "comment_row"))


def find_all(ctx: ScriptContext, name: str, root=None) -> list:
    """Every node on screen matching the element called ``name`` (not only the first)."""
    rules = ctx.rules(name)
    root = root if root is not None else ctx.screen()
    return [node for node in iter_nodes(root) if find_in(node, rules) is node]


def post_comment(
    ctx: ScriptContext, text: str, *, timeout: float = 8.0, once: dict | None = None
) -> None:
    """On an open post or video: open its comment sheet, type ``text``, send it, and wait until
    the sheet lists it. The sheet is left open (BACK closes it). COMMENT_SELECTORS. ``once``:
    the comment is the task's action, written down (``ctx.commit``) before the tap on send."""
    ctx.tap("comment_open")
    field = ctx.find("comment_field")
    if not field.focused:
        ctx.phone.tap(*field.centre)
        ctx.pause()
    ctx.type_text(text, "the comment field")
    ctx.pause(0.3, 0.6)
    send = ctx.find("comment_send")
    if once is not None:
        ctx.commit("comment", text=text, **once)
    ctx.phone.tap(*send.centre)
    ctx.pause()
    deadline = time.monotonic() + timeout
    while not commented(ctx, text):
        if time.monotonic() >= deadline:
            raise ScriptFailure(
                f"sent the comment but {ctx.app_name} does not show it "
                "(the platform may be limiting comments from this account)"
            )
        ctx.pause(0.4, 0.7)

"""``comment``: comment on one post, opened by its URL (one task per URL per phone/account).

The text is one line of ``comment_content``: a random one, or (``sequential``) the line at the
task's position in its batch, cycling. ``insert_emoji`` appends a random emoji. Accents and
emoji are typed as they are (``ScriptContext.type_text``).
"""

from __future__ import annotations

import random
import re
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from devices.models import Platform
from tasks import materials
from tasks.scripts.base import ScriptContext, ScriptFailure
from tasks.scripts.fields import APP_FIELDS, COMMENT_ORDER, INSERT_EMOJI, split_list, unique
from tasks.scripts.flows import (
    ACCOUNT_SELECTORS,
    COMMENT_SELECTORS,
    commented,
    ensure_account,
    post_comment,
)
from tasks.scripts.registry import Errors, Field, Script

EMOJI = ("🔥", "😍", "👏", "😂", "💯", "✨", "🙌", "❤️", "😮", "🥰")
POST_URLS = [
    re.compile(r"^https?://(www\.|m\.)?tiktok\.com/@[\w.]+/video/\d+/?(\?\S*)?$"),
    re.compile(r"^https?://(vm|vt)\.tiktok\.com/\w+/?$"),
    re.compile(r"^https?://(www\.)?instagram\.com/(p|reel|reels)/[\w-]+/?(\?\S*)?$"),
]

FIELDS = (
    *APP_FIELDS,
    Field("target_post_urls", "str_list", [], label=_("Post URLs"),
          help_text=_("One per line; each becomes its own task.")),
    Field("target_post_url", "str", "", label=_("More post URLs"), long_text=True,
          in_form=False),
    Field("comment_content", "str", "", label=_("Comments"), help_text=_("One per line."),
          long_text=True),
    COMMENT_ORDER,
    INSERT_EMOJI,
    # TikMatrix's: an image to attach, from the material roots (checked below).
    Field("comment_image_path", "str", None, label=_("Comment image"), in_form=False),
)  # fmt: skip


def run(ctx: ScriptContext) -> str:
    config = ctx.config
    url = config.get("target_post_url") or config["target_post_urls"][0]
    use_platform_of(ctx, url)
    rng = random.Random()
    text = pick_comment(
        config["comment_content"], config.get("comment_order"), ctx.task.batch_position, rng
    )
    if config.get("insert_emoji"):
        text = with_emoji(text, rng)
    ctx.step("opening the app", 10)
    ctx.open_app()
    ensure_account(ctx)
    ctx.step("opening the post", 40, url)
    open_post(ctx, url)
    ctx.step("commenting", 70, text)
    post_comment(ctx, text, once={"url": url})
    return f"commented “{text}” on {url}"


def open_post(ctx: ScriptContext, url: str) -> None:
    ctx.phone.open_url(url, ctx.package)
    ctx.pause(0.8, 1.2)
    ctx.find("comment_open")


def verify(ctx: ScriptContext) -> str | None:
    """Did the comment the last run sent go out? Open the post's comments in the app and look
    for it. Returns the remark if it is there, None if not."""
    effect = ctx.task.effect
    url, text = effect["url"], effect["text"]
    use_platform_of(ctx, url)
    ctx.step("checking the last comment", 10, f"looking for “{text}” under {url}")
    ctx.open_app()
    ensure_account(ctx)
    open_post(ctx, url)
    ctx.tap("comment_open")
    ctx.find("comment_row", timeout=5, required=False)
    return f"commented “{text}” on {url}" if commented(ctx, text) else None


# --- choosing the text (pure, unit-tested) ---------------------------------------------------


def comment_lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def pick_comment(text: str, order: str | None, position: int, rng: random.Random) -> str:
    """One comment from ``text`` (one per line): ``sequential`` takes line ``position``,
    cycling; anything else a random line. ScriptFailure when there is no line at all."""
    lines = comment_lines(text)
    if not lines:
        raise ScriptFailure("there is no comment text to send (one comment per line)")
    if order == "sequential":
        return lines[position % len(lines)]
    return rng.choice(lines)


def with_emoji(text: str, rng: random.Random) -> str:
    return f"{text} {rng.choice(EMOJI)}"


# --- which app ---------------------------------------------------------------------------------


def platform_of_url(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return Platform.INSTAGRAM if host.endswith("instagram.com") else Platform.TIKTOK


def use_platform_of(ctx: ScriptContext, url: str) -> None:
    """Open the URL in its own app: a phone task without account or ``platform`` takes the
    URL's app; an account of the other platform cannot comment there."""
    wanted = platform_of_url(url)
    if not ctx.task.account_id and not ctx.config.get("platform"):
        ctx.config["platform"] = wanted  # in memory only: it decides ctx.platform/package
    if ctx.platform != wanted:
        who = f"@{ctx.task.account.username}" if ctx.task.account_id else "this task"
        raise ScriptFailure(
            f"{url} is a {Platform(wanted).label} post but {who} uses "
            f"{Platform(ctx.platform).label}"
        )


# --- the script ----------------------------------------------------------------------------------


def check(config: dict, errors: Errors) -> None:
    """One or more post URLs (``target_post_urls`` or else ``target_post_url``) and text."""
    urls = unique(config["target_post_urls"] or split_list(config["target_post_url"]))
    urls = [url.strip() for url in urls if url.strip()]
    bad = [url for url in urls if not any(p.match(url) for p in POST_URLS)]
    if bad:
        errors.setdefault("target_post_urls", []).append(
            "not a TikTok video or Instagram post/reel URL: " + ", ".join(bad)
        )
    elif not urls:
        errors.setdefault("target_post_urls", []).append(
            "give at least one post URL (target_post_urls, or target_post_url)"
        )
    config["target_post_urls"] = urls
    if not config["comment_content"].strip():
        errors.setdefault("comment_content", []).append("required: the comments, one per line")
    if config.get("comment_image_path"):
        _check_image_path(config, errors)


def _check_image_path(config: dict, errors: Errors) -> None:
    """``comment_image_path`` (TikMatrix's, not offered in the form) must be an image inside
    the material roots."""
    try:
        config["comment_image_path"] = materials.check_image(config["comment_image_path"])
    except ValueError as exc:
        errors.setdefault("comment_image_path", []).append(str(exc))


def one_task_per_url(config: dict) -> list[dict]:
    return [
        {**config, "target_post_urls": [url], "target_post_url": url}
        for url in config["target_post_urls"]
    ]


SCRIPT = Script(
    name="comment",
    label=_("Comment on posts"),
    fields=FIELDS,
    run=run,
    time_limit=lambda config: 300,
    check=check,
    fan_out=one_task_per_url,
    daily_limit="comment",
    verify=verify,
    selectors=(*ACCOUNT_SELECTORS, *COMMENT_SELECTORS),
)

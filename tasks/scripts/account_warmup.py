"""``account_warmup``: watch the feed like a person for ``task_duration`` seconds.

The app opens as the task's account on its video feed (TikTok: For You; Instagram: Reels), or
on the results of a random ``topic`` keyword. Each item is watched a random time in
[``min_duration``, ``max_duration``] (likes, follows, collects and comments happen while it
plays), then a swipe up shows the next one. Ads (Sponsored) and LIVE items are swiped past at
once. The last item is cut short when the time is up: the task lasts ``task_duration``.

Follows and comments count against the account's daily limits (``tasks.limits``): once the
budget for today is used, the warm-up keeps watching but stops following / commenting.
AI comments (``generate_by_chatgpt``) are accepted but not generated; the remark says so.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from tasks import limits
from tasks.scripts.base import ScriptContext, ScriptFailure, find_in
from tasks.scripts.comment import comment_lines, pick_comment, with_emoji
from tasks.scripts.fields import APP_FIELDS, COMMENT_ORDER, INSERT_EMOJI, PERCENT
from tasks.scripts.flows import (
    ACCOUNT_SELECTORS,
    COMMENT_SELECTORS,
    ensure_account,
    find_all,
    node_text,
    post_comment,
)
from tasks.scripts.registry import Errors, Field, Script

FIELDS = (
    *APP_FIELDS,
    Field("task_duration", "number", 600, minimum=1, maximum=86400, label=_("Duration (s)")),
    Field("topic", "str", "", label=_("Topics"), long_text=True,
          help_text=_("Keywords, one per line; a random one is searched.")),
    Field("min_duration", "number", 15, minimum=0, maximum=3600,
          label=_("Min watch per video (s)")),
    Field("max_duration", "number", 30, minimum=0, maximum=3600,
          label=_("Max watch per video (s)")),
    Field("like_probable", "number", 0, **PERCENT, label=_("Like %")),
    Field("floow_probable", "number", 0, aliases=("follow_probable",), **PERCENT,
          label=_("Follow %")),
    Field("collect_probable", "number", 0, **PERCENT, label=_("Save %")),
    Field("comment_probable", "number", 0, **PERCENT, label=_("Comment %")),
    Field("comment", "str", "", label=_("Comments"), help_text=_("One per line."),
          long_text=True),
    INSERT_EMOJI,
    COMMENT_ORDER,
    # Accepted and stored; AI comments are not generated (the remark says so).
    Field("generate_by_chatgpt", "bool", False, label=_("Generate comments with ChatGPT"),
          in_form=False),
    Field("chatgpt_settings", "object", {}, label=_("ChatGPT settings"), in_form=False),
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """What the config asks for, as numbers (probabilities in percent)."""

    duration: float
    min_watch: float
    max_watch: float
    like: float
    follow: float
    collect: float
    comment: float

    @classmethod
    def from_config(cls, config: dict) -> Plan:
        low = float(config.get("min_duration", 15))
        return cls(
            duration=float(config.get("task_duration", 600)),
            min_watch=low,
            max_watch=max(low, float(config.get("max_duration", 30))),
            like=float(config.get("like_probable", 0)),
            follow=float(config.get("floow_probable", 0)),
            collect=float(config.get("collect_probable", 0)),
            comment=float(config.get("comment_probable", 0)),
        )


@dataclass
class Tally:
    watched: int = 0
    seconds: float = 0.0
    liked: int = 0
    followed: int = 0
    collected: int = 0
    commented: int = 0
    skipped: int = 0
    stopped: dict[str, str] = field(default_factory=dict)  # action → why it stopped


def chance(percent: float, rng: random.Random) -> bool:
    """True with ``percent`` % probability: 0 never, 100 always."""
    return rng.random() * 100 < percent


def pick_keyword(topic: str, rng: random.Random) -> str:
    """A random keyword from ``topic`` (one per line); "" without topic."""
    keywords = comment_lines(topic)
    return rng.choice(keywords) if keywords else ""


def run(ctx: ScriptContext) -> str:
    rng = random.Random()
    ctx.step("opening the app", 5)
    ctx.open_app()
    ensure_account(ctx)
    keyword = pick_keyword(ctx.config.get("topic", ""), rng)
    open_stream(ctx, keyword, rng)
    tally = Warmup(ctx, Plan.from_config(ctx.config), rng).watch()
    # Leaving the app ends the last item's watch, as a person putting the phone down.
    ctx.phone.press_key("HOME")
    return summary(ctx, tally, keyword)


def open_stream(ctx: ScriptContext, keyword: str, rng: random.Random) -> None:
    if not keyword:
        ctx.tap("nav_video_feed")
        ctx.step("watching the feed", 10)
        return
    ctx.step(f"searching “{keyword}”", 8)
    if not ctx.exists("nav_search"):  # TikTok's search sits on the home feed
        ctx.tap("nav_video_feed")
    ctx.tap("nav_search")
    search = ctx.find("search_field")
    if not search.focused:
        ctx.phone.tap(*search.centre)
        ctx.pause()
    ctx.type_text(keyword, "the search field")
    ctx.phone.press_key("ENTER")
    ctx.find("search_video_result", timeout=8)
    tile = rng.choice(find_all(ctx, "search_video_result"))
    ctx.phone.tap(*tile.centre)
    ctx.pause(0.8, 1.2)
    ctx.step(f"watching “{keyword}”", 10)


class Warmup:
    """One warm-up session on the stream already on screen."""

    def __init__(self, ctx: ScriptContext, plan: Plan, rng: random.Random):
        self.ctx, self.plan, self.rng = ctx, plan, rng
        self.tally = Tally()
        self.comments = CommentPicker(ctx, rng)

    def watch(self) -> Tally:
        started = time.monotonic()
        deadline = started + self.plan.duration
        # Every item the swipe shows is handled, even one shown just after the deadline (its
        # watch is cut to nothing), so the counts match what the app saw.
        while True:
            root, pager = self.current_item()
            n = self.tally.watched + self.tally.skipped + 1
            progress = 10 + int(85 * (time.monotonic() - started) / self.plan.duration)
            if self.is_ad_or_live(root):
                self.tally.skipped += 1
                self.ctx.step(f"item {n}", progress, "ad or LIVE: skipped")
                self.ctx.pause(0.3, 0.6)
            else:
                author = node_text(find_in(root, self.ctx.rules("feed_author")) or pager)
                self.ctx.step(f"item {n}", progress, author)
                self.watch_one(root, author.lstrip("@"), deadline)
            if time.monotonic() >= deadline:
                break
            self.swipe_up(pager)
        return self.tally

    def current_item(self):
        """(screen, pager node); waits for the pager when a screen is in the way (and fails
        with the standard 'never showed' reason if it never comes)."""
        root = self.ctx.screen()
        pager = find_in(root, self.ctx.rules("feed_pager"))
        if pager is None:
            pager = self.ctx.find("feed_pager", timeout=8)
            root = self.ctx.screen()
        return root, pager

    def is_ad_or_live(self, root) -> bool:
        return any(find_in(root, self.ctx.rules(n)) for n in ("feed_ad_label", "feed_live_tag"))

    def watch_one(self, root, author: str, deadline: float) -> None:
        """Watch the item for its random time, acting on it while it plays."""
        plan, tally, rng = self.plan, self.tally, self.rng
        started = time.monotonic()
        dwell = min(rng.uniform(plan.min_watch, plan.max_watch), deadline - started)
        if chance(plan.like, rng) and self.tap_unselected(root, "feed_like"):
            tally.liked += 1
        if chance(plan.follow, rng) and self.follow(root, author):
            tally.followed += 1
        if chance(plan.collect, rng) and self.tap_unselected(root, "feed_collect"):
            tally.collected += 1
        if chance(plan.comment, rng) and self.comment(author):
            tally.commented += 1
        rest = dwell - (time.monotonic() - started)
        if rest > 0:
            self.ctx.pause(rest, rest)  # cancel-aware: a stop request ends the wait at once
        tally.watched += 1
        tally.seconds += time.monotonic() - started

    def tap_unselected(self, root, name: str) -> bool:
        """Tap a toggle (like, collect) unless it is on already: never undo an earlier one."""
        node = find_in(root, self.ctx.rules(name))
        if node is None or node.selected:
            return False
        self.ctx.phone.tap(*node.centre)
        self.ctx.pause(0.2, 0.5)
        return True

    def follow(self, root, author: str) -> bool:
        button = find_in(root, self.ctx.rules("feed_follow"))
        if button is None or not self.may("follow"):  # None: already following, or our own
            return False
        self.ctx.phone.tap(*button.centre)
        self.ctx.pause(0.4, 0.7)
        if self.ctx.exists("feed_follow"):
            return False  # the app did not take it: not counted
        limits.record(self.ctx.task, "follow", f"@{author}")
        return True

    def comment(self, author: str) -> bool:
        if not self.may("comment"):
            return False
        text = self.comments.next()
        try:
            post_comment(self.ctx, text)
        except ScriptFailure as exc:
            # One comment that does not land should not end the warm-up: stop commenting.
            self.stop("comment", f"a comment failed ({exc})")
            return False
        finally:
            if self.ctx.exists("comment_field"):  # the sheet is open: close it, back to the video
                self.ctx.phone.press_key("BACK")
                self.ctx.pause(0.3, 0.6)
        limits.record(self.ctx.task, "comment", f"@{author}: {text}")
        return True

    def may(self, action: str) -> bool:
        """Whether this warm-up still does ``action``: not stopped, text to comment with, and
        budget left under the account's daily limit."""
        if action in self.tally.stopped:
            return False
        if action == "comment" and not self.comments.lines:
            self.stop(action, "no comment lines to comment with")
            return False
        if not limits.allows(self.ctx.task.account, action):
            self.stop(action, f"daily {action} limit reached")
            return False
        return True

    def stop(self, action: str, reason: str) -> None:
        self.tally.stopped[action] = reason
        self.ctx.task.log(self.ctx.task.step, f"no more {action}s: {reason}", level="warning")

    def swipe_up(self, pager) -> None:
        x1, y1, x2, y2 = pager.bounds
        x, height = (x1 + x2) // 2 + self.rng.randint(-20, 20), y2 - y1
        duration = self.rng.randint(200, 350)  # 500 ms or more would be a long press
        self.ctx.phone.swipe(x, y1 + height * 3 // 4, x, y1 + height // 4, duration)
        self.ctx.pause(0.3, 0.6)


class CommentPicker:
    """Comments from the ``comment`` lines, random or sequential (from the task's batch
    position on), with an emoji when asked."""

    def __init__(self, ctx: ScriptContext, rng: random.Random):
        self.ctx, self.rng = ctx, rng
        self.text = ctx.config.get("comment", "")
        self.lines = comment_lines(self.text)
        self.order = ctx.config.get("comment_order", "random")
        self.position = ctx.task.batch_position
        self.emoji = bool(ctx.config.get("insert_emoji"))

    def next(self) -> str:
        text = pick_comment(self.text, self.order, self.position, self.rng)
        self.position += 1
        return with_emoji(text, self.rng) if self.emoji else text


# --- the remark ----------------------------------------------------------------------------------


def summary(ctx: ScriptContext, tally: Tally, keyword: str) -> str:
    remark = (
        f"watched {tally.watched} videos ({tally.seconds:.0f} s), liked {tally.liked}, "
        f"followed {tally.followed}, collected {tally.collected}, commented {tally.commented}"
    )
    extras = []
    if tally.skipped:
        extras.append(f"skipped {tally.skipped} ads/LIVE")
    if keyword:
        extras.append(f"topic “{keyword}”")
    extras.extend(f"no more {action}s: {why}" for action, why in tally.stopped.items())
    if ctx.config.get("generate_by_chatgpt"):
        extras.append("generate_by_chatgpt was not executed (AI comments are not supported)")
    return "; ".join([remark, *extras])


# --- the script ----------------------------------------------------------------------------------


def check(config: dict, errors: Errors) -> None:
    if config["min_duration"] > config["max_duration"]:
        errors.setdefault("min_duration", []).append("must not exceed max_duration")


SCRIPT = Script(
    name="account_warmup",
    label=_("Warm up the account"),
    fields=FIELDS,
    run=run,
    # Five minutes for opening the app and searching, plus the watching asked for.
    time_limit=lambda config: 300 + float(config.get("task_duration", 600)),
    check=check,
    records=("follow", "comment"),  # counted against the account's daily limits
    selectors=(*ACCOUNT_SELECTORS, *COMMENT_SELECTORS, "nav_video_feed", "nav_search",
               "search_field", "search_video_result", "feed_pager", "feed_author",
               "feed_ad_label", "feed_live_tag", "feed_like", "feed_follow", "feed_collect"),
)  # fmt: skip

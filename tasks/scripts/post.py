"""``post``: publish a video or images on TikTok or Instagram.

Steps: pick the media (library, folder or explicit list), push it to the phone's DCIM folder and
index it in MediaStore, open the app as the right account, go through the app's upload flow (or
share the file to the app), type the caption, post, wait for the confirmation, then delete the
pushed files. Library materials are claimed atomically and marked used just before the final tap
(the post may go out even if this run never sees it confirmed), and freed again only when the
app says the upload failed. A run that does not see the confirmation leaves the post
*uncertain*: the next run opens the account's profile and looks for it (:func:`verify`) before
posting again.

``post_way=share`` sends ONE file the way Android's share sheet does (ACTION_SEND with its
MediaStore content Uri, to the app's share activity). Android's `am` cannot put a list of Uris
in an intent (research real-app-ui.md §4.4), so several files always go through the app's own
gallery picker, as ``addButton`` does.
"""

from __future__ import annotations

import mimetypes
import os
import random
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from tasks import materials
from tasks.materials import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, material_file
from tasks.scripts.base import ScriptContext, ScriptFailure, find_in, iter_nodes
from tasks.scripts.captions import caption_for
from tasks.scripts.fields import APP_FIELDS, PERCENT
from tasks.scripts.flows import ACCOUNT_SELECTORS, ensure_account, find_all
from tasks.scripts.registry import Errors, Field, Script

APP_FOLDERS = {"tiktok": "TikTok", "instagram": "Instagram"}
# Shared storage as MediaStore records paths (/sdcard is a link to it).
SHARED_STORAGE = "/storage/emulated/0"
# How many of the profile's newest posts a check of an uncertain post looks at (the account may
# have posted since, from other tasks).
RECENT_POSTS = 5

FIELDS = (
    *APP_FIELDS,
    Field("content_type", "int", 0, choices=(0, 1), label=_("Content"),
          choice_labels={0: _("video"), 1: _("images")}),
    Field("image_count", "int", 1, minimum=1, maximum=35, label=_("Images per post")),
    Field("captions", "str", "", label=_("Captions"), long_text=True,
          help_text=_("One caption per line, rotated over the tasks; ### = line break.")),
    Field("caption_format", "str", "multiline", choices=("multiline", "spintax"),
          label=_("Caption format")),
    Field("post_way", "str", "share", choices=("share", "addButton", "useSound"),
          value_aliases={"add_button": "addButton", "use_sound": "useSound"},
          label=_("How to post")),
    Field("material_list", "str_list", [], label=_("Files"),
          help_text=_("One path per line, or material:<id>; empty = library.")),
    Field("material_source", "str", "materialLibrary",
          choices=("materialLibrary", "localFolder"), label=_("Material source")),
    Field("material_path", "str", "", label=_("Local folder"),
          help_text=_("Inside the material folders.")),
    Field("materials_tags", "str", "", label=_("Library tags"), help_text=_("Comma-separated.")),
    Field("upload_wait_time", "int", 30, minimum=1, maximum=3600, label=_("Upload wait (s)")),
    Field("sound_wait_time", "int", 10, minimum=0, maximum=600, label=_("Sound wait (s)")),
    Field("add_sound", "str_or_int", "-1", choices=("-1", "0", "1", "custom"), label=_("Sound"),
          choice_labels={"-1": _("app default"), "0": _("off"), "1": _("on"),
                         "custom": _("search a sound")}),
    Field("custom_sound_keyword", "str", "", label=_("Sound keyword")),
    Field("origin_sound_volume", "int", 50, **PERCENT, label=_("Original sound volume")),
    Field("add_sound_volume", "int", 50, **PERCENT, label=_("Added sound volume")),
    Field("add_product_link", "int", 0, choices=(0, 1), label=_("Add product link"),
          help_text=_("TikTok only."), choice_labels={0: _("no"), 1: _("yes")}),
    Field("placement", "str", "reel", choices=("reel", "story"), label=_("Placement"),
          help_text=_("Instagram only.")),
)  # fmt: skip


def run(ctx: ScriptContext) -> str:
    config = ctx.config
    images = int(config.get("content_type", 0)) == 1
    count = int(config.get("image_count", 1)) if images else 1
    ctx.step("choosing media", 5)
    files = choose_media(ctx, images, count)
    ctx.step("opening the app", 15)
    ctx.open_app()
    ensure_account(ctx)
    ctx.step("copying media to the phone", 30, ", ".join(Path(f).name for f in files))
    uris = push_media(ctx, files)
    caption = caption_for(config, ctx.task.batch_position, random.Random(ctx.task.pk))
    if not caption and ctx.claimed_captions:
        caption = ctx.claimed_captions[0]
    way = config.get("post_way", "share")
    if way == "useSound":
        ctx.task.log("posting", "useSound is not available here; posting with the app's sound")
    if way == "share" and len(uris) == 1:
        share_to_app(ctx, uris[0], files[0], images)
    else:
        if way == "share":
            ctx.task.log("posting", "several files: picked in the app's gallery (a share "
                         "from adb carries one file)")  # fmt: skip
        open_upload(ctx, len(uris), images)
    write_caption_and_post(ctx, caption, images)
    wait_for_confirmation(ctx, int(config.get("upload_wait_time", 30)))
    materials.mark_used(ctx.task)
    return posted(ctx, caption, images, len(uris))


def posted(ctx: ScriptContext, caption: str, images: bool, count: int = 1) -> str:
    what = f"{count} image{'s' if count > 1 else ''}" if images else "1 video"
    where = f" to {placement(ctx, images)}" if ctx.platform == "instagram" else ""
    return f"posted {what}{where}" + (f" with caption “{caption[:60]}”" if caption else "")


# --- media ----------------------------------------------------------------------------------


def choose_media(ctx: ScriptContext, images: bool, count: int) -> list[str]:
    config, kind = ctx.config, "image" if images else "video"
    extensions = IMAGE_EXTENSIONS if images else VIDEO_EXTENSIONS
    if config.get("material_list"):
        candidates = [material_file(e) for e in config["material_list"]]
        candidates = [f for f in candidates if f.lower().endswith(extensions)]
        return _on_this_pc(_rotate(ctx, candidates, count, "material_list"))
    if config.get("material_source") == "localFolder":
        folder = config.get("material_path", "")
        if not os.path.isdir(folder):
            raise ScriptFailure(f"the folder {folder} is missing from this PC")
        candidates = sorted(
            str(Path(folder) / name)
            for name in os.listdir(folder)
            if name.lower().endswith(extensions)
        )
        return _on_this_pc(_rotate(ctx, candidates, count, f"the folder {folder}"))
    tags = [t.strip() for t in config.get("materials_tags", "").split(",") if t.strip()]
    ctx.on_cleanup(lambda: materials.release(ctx.task))
    claimed = _claim_library(ctx, kind, count, tags)
    ctx.claimed_captions = [m.caption for m in claimed if m.caption]
    return [m.file.path for m in claimed]


def _claim_library(ctx: ScriptContext, kind: str, count: int, tags: list[str]) -> list:
    """Claim ``count`` library materials whose files are there; materials whose file is gone
    are set aside (with the reason) on the way, never to be picked again."""
    # What an earlier run of this task claimed and never posted (its worker was killed before
    # it could let go) goes back first: this run may pick it again.
    materials.release(ctx.task)
    while True:
        claimed = materials.claim(ctx.task, kind, count, tags=tags, username=ctx.task.username)
        if not claimed:
            tagged = f" tagged {', '.join(tags)}" if tags else ""
            raise ScriptFailure(f"not enough unused {kind}s{tagged} in the library (need {count})")
        missing = materials.set_aside_missing(claimed)
        if not missing:
            return claimed
        materials.release(ctx.task)
        for material in missing:
            ctx.task.log(ctx.task.step, f"set aside material {material.pk}: its file is missing")


def _on_this_pc(files: list[str]) -> list[str]:
    """``files``, if they are all still on this PC (they were when the task was created)."""
    for path in files:
        if not os.path.isfile(path):
            raise ScriptFailure(
                f"the file {path} is missing from this PC (deleted or moved since the task "
                "was created)"
            )
    return files


def _rotate(ctx: ScriptContext, candidates: list[str], count: int, source: str) -> list[str]:
    """Tasks of one batch take turns through the files (task n starts at file n × count)."""
    if len(candidates) < count:
        raise ScriptFailure(f"{source} has {len(candidates)} usable files; this post needs {count}")
    start = (ctx.task.batch_position * count) % len(candidates)
    return [candidates[(start + i) % len(candidates)] for i in range(count)]


def push_media(ctx: ScriptContext, files: list[str]) -> list[str]:
    """Copy ``files`` to the phone's gallery folder and index them; return their MediaStore
    content Uris in posting order. The first file is made the newest, so the galleries (newest
    first) show the files in posting order."""
    folder = f"{SHARED_STORAGE}/DCIM/{APP_FOLDERS[ctx.platform]}"
    remote = [
        f"{folder}/tmx-{ctx.task.pk}-{n}{Path(f).suffix.lower()}" for n, f in enumerate(files)
    ]
    ctx.on_cleanup(lambda: ctx.phone.remove_media(remote))
    for local, target in zip(files, remote, strict=True):
        ctx.check_cancel()
        ctx.phone.push(local, target)
    return ctx.phone.index_media(remote)


# --- the app's flows --------------------------------------------------------------------------


def placement(ctx: ScriptContext, images: bool) -> str:
    if ctx.config.get("placement") == "story":
        return "story"
    return "post" if images else "reel"


def share_to_app(ctx: ScriptContext, uri: str, local: str, images: bool) -> None:
    """Share one file to the app's share activity (named in the selector file)."""
    ctx.step("sharing the media to the app", 45)
    mime = mimetypes.guess_type(local)[0] or ("image/*" if images else "video/*")
    ctx.phone.share_file(f"{ctx.package}/{ctx.selectors['share_activity']}", uri, mime)
    ctx.pause(0.8, 1.2)
    if ctx.platform == "instagram":
        ctx.tap(f"share_to_{placement(ctx, images)}")


def open_upload(ctx: ScriptContext, count: int, images: bool) -> None:
    ctx.step("opening the upload screen", 45)
    ctx.tap("nav_create")
    if ctx.platform == "instagram":
        ctx.tap(f"placement_{placement(ctx, images)}")
        pick_instagram(ctx, count)
    else:
        ctx.tap("upload_button")
        tab = "gallery_photos_tab" if images else "gallery_videos_tab"
        if ctx.exists(tab, timeout=2):
            ctx.tap(tab)
        pick_in_order(ctx, count, skip=0)
    ctx.tap("gallery_next")


def pick_instagram(ctx: ScriptContext, count: int) -> None:
    # The newest item starts selected; with several, switch to multi-select and add the rest.
    if count > 1:
        ctx.tap("gallery_multi_select")
        pick_in_order(ctx, count, skip=1)


def pick_in_order(ctx: ScriptContext, count: int, *, skip: int) -> None:
    ctx.step("picking the media", 55)
    ctx.find("gallery_item")
    rules = ctx.rules("gallery_item")
    items = [n for n in iter_nodes(ctx.screen()) if find_in(n, rules) is n]
    if len(items) < count:
        raise ScriptFailure(f"the gallery shows {len(items)} items; this post needs {count}")
    for node in items[skip:count]:
        ctx.phone.tap(*node.centre)
        ctx.pause(0.3, 0.6)


def write_caption_and_post(ctx: ScriptContext, caption: str, images: bool) -> None:
    if ctx.platform == "instagram" and placement(ctx, False) == "story":
        ctx.step("sharing the story", 80)
        button = ctx.find("story_share")
        commit_post(ctx, "", images)
        ctx.phone.tap(*button.centre)
        return
    ctx.tap("editor_next")
    if caption:
        ctx.step("typing the caption", 70)
        ctx.tap("caption_field")
        ctx.type_text(caption, "the caption field")
    ctx.step("posting", 80)
    button = ctx.find("publish_button")
    commit_post(ctx, caption, images)
    ctx.phone.tap(*button.centre)
    ctx.pause()


def commit_post(ctx: ScriptContext, caption: str, images: bool) -> None:
    """From the next tap on, the post may go out whatever happens to this run: write it down
    (with what identifies it on the profile: the caption) and take its materials off the
    library for good. A post without caption cannot be told apart on the profile."""
    ctx.commit(
        "post",
        platform=ctx.platform,
        placement=placement(ctx, images),
        images=images,
        caption=caption,
        checkable=bool(caption.strip()),
    )
    materials.mark_used(ctx.task)


def wait_for_confirmation(ctx: ScriptContext, seconds: int) -> None:
    ctx.step("waiting for the upload", 90, f"up to {seconds}s")
    try:
        done = ctx.find_any(["post_done", "post_failed"], timeout=seconds)
    except ScriptFailure:
        raise ScriptFailure(
            f"{ctx.app_name} did not confirm the post within the upload wait ({seconds}s)"
        ) from None
    if done == "post_failed":
        # The app says so: nothing went out, the materials may be posted again.
        materials.unuse(ctx.task)
        ctx.task.settle_effect()
        raise ScriptFailure(f"{ctx.app_name} said the upload failed")
    if ctx.exists("post_finish"):
        ctx.tap("post_finish")


# --- checking an uncertain post ---------------------------------------------------------------


def verify(ctx: ScriptContext) -> str | None:
    """Did the post the last run sent go out? Look at the account's profile in the app, as a
    person would: its newest posts and their captions. An upload still in progress is waited for.
    Returns the remark if it is there (its materials stay used), None if not (they are freed)."""
    effect = ctx.task.effect
    caption = effect.get("caption", "")
    ctx.step("checking the last post", 10, f"looking for “{caption[:60]}” on the profile")
    ctx.open_app(cold=False)  # a cold start would kill an upload still in progress
    if ctx.exists("post_uploading"):
        seconds = int(ctx.config.get("upload_wait_time", 30))
        ctx.find_any(["post_done", "post_failed"], timeout=seconds)
    if ctx.exists("post_finish"):
        ctx.tap("post_finish")
    if not ctx.exists("nav_profile", timeout=2):
        ctx.open_app()  # left on some other screen: nothing is uploading, start afresh
    if ctx.task.account_id:
        ensure_account(ctx)
    else:
        ctx.tap("nav_profile")
    if any(_same_text(shown, ctx.as_shown(caption)) for shown in _recent_captions(ctx)):
        materials.mark_used(ctx.task)
        return posted(ctx, caption, effect.get("images", False))
    materials.unuse(ctx.task)
    return None


def _recent_captions(ctx: ScriptContext, count: int = RECENT_POSTS):
    """The captions of the newest ``count`` posts on the open profile, newest first: each
    opened from the grid, read, and closed (BACK)."""
    for index in range(count):
        tiles = find_all(ctx, "own_post") if ctx.exists("own_post", timeout=3) else []
        if index >= len(tiles):
            return
        ctx.phone.tap(*tiles[index].centre)
        ctx.pause(0.6, 1.0)
        shown = ctx.find("post_caption", timeout=5)
        yield shown.text or shown.content_desc or ""
        ctx.phone.press_key("BACK")
        ctx.pause(0.5, 0.8)


def _same_text(shown: str, caption: str) -> bool:
    """The app shows the caption on one line and may put the author first (Instagram).
    ``caption`` as a dump reads it (``ctx.as_shown``: an emoji is "..")."""
    wanted = " ".join(caption.split())
    return bool(wanted) and wanted in " ".join(shown.split())


# --- the script -------------------------------------------------------------------------------


def check(config: dict, errors: Errors) -> None:
    """The files exist inside the material roots and suit the content type; a folder when the
    source is a local folder; a keyword when the sound is searched."""
    extensions = IMAGE_EXTENSIONS if config["content_type"] == 1 else VIDEO_EXTENSIONS
    if config["material_list"]:
        resolved, problems = materials.check_material_list(config["material_list"], extensions)
        config["material_list"] = resolved
        if problems:
            errors.setdefault("material_list", []).extend(problems)
    elif config["material_source"] == "localFolder" and not config["material_path"]:
        errors.setdefault("material_path", []).append(
            "required when material_source is localFolder (or give material_list)"
        )
    if config["material_path"]:
        try:
            config["material_path"] = materials.check_folder(config["material_path"])
        except ValueError as exc:
            errors.setdefault("material_path", []).append(str(exc))
    if config["add_sound"] == "custom" and not config["custom_sound_keyword"].strip():
        errors.setdefault("custom_sound_keyword", []).append("required when add_sound is custom")


def time_limit(config: dict) -> float:
    """Ten minutes for the steps, plus the upload and sound waits the config asks for."""
    return 600 + config.get("upload_wait_time", 30) + config.get("sound_wait_time", 10)


SCRIPT = Script(
    name="post",
    label=_("Post a video or images"),
    fields=FIELDS,
    run=run,
    time_limit=time_limit,
    check=check,
    daily_limit="post",
    verify=verify,
    selectors=(*ACCOUNT_SELECTORS, "nav_create", "gallery_item", "gallery_next", "editor_next",
               "caption_field", "publish_button", "post_done", "post_failed", "post_finish",
               "post_uploading", "own_post", "post_caption"),
    platform_selectors={
        "tiktok": ("upload_button", "gallery_photos_tab", "gallery_videos_tab"),
        "instagram": ("share_to_post", "share_to_reel", "share_to_story", "placement_post",
                      "placement_reel", "placement_story", "gallery_multi_select",
                      "story_share"),
    },
)  # fmt: skip

"""``post``: publish a video or images on TikTok or Instagram.

Steps: pick the media (library, folder or explicit list), push it to the phone's DCIM folder and
index it in MediaStore, open the app as the right account, go through the app's upload flow (or
share the file to the app), type the caption, post, wait for the confirmation, then delete the
pushed files. Library materials are claimed atomically and marked used only after a successful
post.

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
from tasks.scripts.flows import ACCOUNT_SELECTORS, ensure_account
from tasks.scripts.registry import Errors, Field, Script

APP_FOLDERS = {"tiktok": "TikTok", "instagram": "Instagram"}
# Shared storage as MediaStore records paths (/sdcard is a link to it).
SHARED_STORAGE = "/storage/emulated/0"

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
    write_caption_and_post(ctx, caption)
    wait_for_confirmation(ctx, int(config.get("upload_wait_time", 30)))
    materials.mark_used(ctx.task)
    what = f"{len(uris)} image{'s' if len(uris) > 1 else ''}" if images else "1 video"
    where = f" to {placement(ctx, images)}" if ctx.platform == "instagram" else ""
    return f"posted {what}{where}" + (f" with caption “{caption[:60]}”" if caption else "")


# --- media ----------------------------------------------------------------------------------


def choose_media(ctx: ScriptContext, images: bool, count: int) -> list[str]:
    config, kind = ctx.config, "image" if images else "video"
    extensions = IMAGE_EXTENSIONS if images else VIDEO_EXTENSIONS
    if config.get("material_list"):
        candidates = [material_file(e) for e in config["material_list"]]
        candidates = [f for f in candidates if f.lower().endswith(extensions)]
        return _rotate(ctx, candidates, count, "material_list")
    if config.get("material_source") == "localFolder":
        folder = config.get("material_path", "")
        candidates = sorted(
            str(Path(folder) / name)
            for name in os.listdir(folder)
            if name.lower().endswith(extensions)
        )
        return _rotate(ctx, candidates, count, f"the folder {folder}")
    tags = [t.strip() for t in config.get("materials_tags", "").split(",") if t.strip()]
    claimed = materials.claim(ctx.task, kind, count, tags=tags, username=ctx.task.username)
    if not claimed:
        tagged = f" tagged {', '.join(tags)}" if tags else ""
        raise ScriptFailure(f"not enough unused {kind}s{tagged} in the library (need {count})")
    ctx.on_cleanup(lambda: materials.release(ctx.task))
    ctx.claimed_captions = [m.caption for m in claimed if m.caption]
    return [material_file(f"material:{m.pk}") for m in claimed]


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


def write_caption_and_post(ctx: ScriptContext, caption: str) -> None:
    if ctx.platform == "instagram" and placement(ctx, False) == "story":
        ctx.step("sharing the story", 80)
        ctx.tap("story_share")
        return
    ctx.tap("editor_next")
    if caption:
        ctx.step("typing the caption", 70)
        ctx.tap("caption_field")
        ctx.type_text(caption, "the caption field")
    ctx.step("posting", 80)
    ctx.tap("publish_button")


def wait_for_confirmation(ctx: ScriptContext, seconds: int) -> None:
    ctx.step("waiting for the upload", 90, f"up to {seconds}s")
    done = ctx.find_any(["post_done", "post_failed"], timeout=seconds)
    if done == "post_failed":
        raise ScriptFailure(f"{ctx.app_name} said the upload failed")
    if ctx.exists("post_finish"):
        ctx.tap("post_finish")


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
    selectors=(*ACCOUNT_SELECTORS, "nav_create", "gallery_item", "gallery_next", "editor_next",
               "caption_field", "publish_button", "post_done", "post_failed", "post_finish"),
    platform_selectors={
        "tiktok": ("upload_button", "gallery_photos_tab", "gallery_videos_tab"),
        "instagram": ("share_to_post", "share_to_reel", "share_to_story", "placement_post",
                      "placement_reel", "placement_story", "gallery_multi_select",
                      "story_share"),
    },
)  # fmt: skip

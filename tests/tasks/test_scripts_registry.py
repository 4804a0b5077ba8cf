"""The script registry: the one validator of script_config, shared by the API and the dashboard,
and the completeness of every script module it lists."""

from __future__ import annotations

import os
import pkgutil
from dataclasses import replace
from importlib import import_module

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import translation
from django.utils.module_loading import import_string

import tasks.scripts
from tasks import limits, materials
from tasks.forms import TaskCreateForm
from tasks.models import Material
from tasks.scripts.base import load_selectors
from tasks.scripts.registry import (
    SCRIPT_NAMES,
    SCRIPTS,
    Field,
    Registry,
    Script,
    ScriptNameMissing,
    ScriptNotSupported,
    fan_out,
    get_script,
    script_choices,
    timeout_for,
    validate_config,
)


def problems(script: str, config) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        validate_config(script, config)
    return caught.value.message_dict


def test_every_api_script_fills_in_its_documented_defaults():
    assert validate_config("post", {}) == {
        "content_type": 0,
        "image_count": 1,
        "captions": "",
        "caption_format": "multiline",
        "post_way": "share",
        "material_list": [],
        "material_source": "materialLibrary",
        "material_path": "",
        "materials_tags": "",
        "upload_wait_time": 30,
        "sound_wait_time": 10,
        "add_sound": "-1",
        "custom_sound_keyword": "",
        "origin_sound_volume": 50,
        "add_sound_volume": 50,
        "add_product_link": 0,
        "placement": "reel",
    }
    warmup = validate_config("account_warmup", {})
    assert (warmup["task_duration"], warmup["min_duration"], warmup["max_duration"]) == (
        600,
        15,
        30,
    )
    assert warmup["floow_probable"] == 0 and warmup["comment_order"] == "random"
    assert warmup["insert_emoji"] is False and warmup["chatgpt_settings"] == {}
    follow = validate_config("follow", {"target_user": "a"})
    assert follow["access_method"] == "direct"


def test_defaults_are_copies_not_shared_lists():
    first = validate_config("post", {})
    first["material_list"].append("x")
    assert validate_config("post", {})["material_list"] == []


def test_follow_targets_come_from_a_list_or_a_string_and_the_list_wins():
    assert validate_config("follow", {"target_user": "@a, b\n@c"})["target_users"] == [
        "a",
        "b",
        "c",
    ]
    config = validate_config("unfollow", {"target_users": ["@x", "x", "y"], "target_user": "z"})
    assert config["target_users"] == ["x", "y"]


def test_legacy_and_misspelt_keys_are_accepted_under_their_real_names():
    assert validate_config("follow", {"target_username": "@t"})["target_users"] == ["t"]
    assert validate_config("account_warmup", {"follow_probable": 30})["floow_probable"] == 30
    assert validate_config("post", {"post_way": "use_sound"})["post_way"] == "useSound"
    assert validate_config("post", {"add_sound": 1})["add_sound"] == "1"


def test_unknown_keys_are_dropped_and_can_be_named():
    sent = {"repeat_times": 2, "ai_label": {"on": True}, "captions": "hi", "platform": "tiktok"}
    config = validate_config("post", sent)
    assert "repeat_times" not in config and "ai_label" not in config
    assert config["captions"] == "hi" and config["platform"] == "tiktok"
    assert get_script("post").unknown_keys(sent) == ["repeat_times", "ai_label"]
    # Aliases are known keys; the context's own keys (the app to open) are declared fields.
    sent = {"follow_probable": 5, "packagename": "com.clone.tt"}
    assert get_script("account_warmup").unknown_keys(sent) == []
    assert validate_config("account_warmup", sent)["packagename"] == "com.clone.tt"


def test_a_null_value_means_the_default():
    assert validate_config("post", {"captions": None})["captions"] == ""


@pytest.mark.parametrize(
    ("script", "config", "key"),
    [
        ("post", {"image_count": 0}, "image_count"),
        ("post", {"image_count": 1.5}, "image_count"),
        ("post", {"captions": 5}, "captions"),
        ("post", {"add_sound": "loud"}, "add_sound"),
        ("post", {"add_sound": "custom"}, "custom_sound_keyword"),
        ("post", {"placement": "feed"}, "placement"),
        ("post", {"material_source": "localFolder"}, "material_path"),
        ("account_warmup", {"task_duration": "600"}, "task_duration"),
        ("account_warmup", {"comment_probable": -1}, "comment_probable"),
        ("account_warmup", {"chatgpt_settings": "key"}, "chatgpt_settings"),
        ("follow", {"target_users": ["https://tiktok.com/@x"]}, "target_users"),
        ("follow", {"target_users": [1]}, "target_users"),
        ("comment", {"target_post_url": "https://www.tiktok.com/@a/video/1"}, "comment_content"),
        ("comment", {"comment_content": "hi"}, "target_post_urls"),
        ("post", {"platform": "myspace"}, "platform"),
    ],
)
def test_wrong_types_and_values_are_refused_naming_the_key(script, config, key):
    assert key in problems(script, config)


def test_every_problem_is_reported_at_once():
    found = problems("post", {"content_type": "video", "upload_wait_time": "30"})
    assert set(found) == {"content_type", "upload_wait_time"}


@pytest.mark.parametrize(
    "url",
    [
        "https://www.tiktok.com/@some.one/video/7234567890123456789",
        "https://vm.tiktok.com/ZMabc123/",
        "https://www.instagram.com/p/Cx_1-2/",
        "https://instagram.com/reel/Cx12/",
    ],
)
def test_comment_accepts_tiktok_and_instagram_post_urls(url):
    config = validate_config("comment", {"target_post_urls": [url], "comment_content": "nice"})
    assert config["target_post_urls"] == [url]


def test_fan_out_gives_each_task_exactly_one_target():
    follow = validate_config("follow", {"target_users": ["a", "b"]})
    assert [(c["target_users"], c["target_user"]) for c in fan_out("follow", follow)] == [
        (["a"], "a"),
        (["b"], "b"),
    ]
    urls = ["https://vm.tiktok.com/A1/", "https://vm.tiktok.com/B2/"]
    comment = validate_config("comment", {"target_post_urls": urls, "comment_content": "x"})
    assert [c["target_post_url"] for c in fan_out("comment", comment)] == urls
    assert fan_out("post", {"captions": ""}) == [{"captions": ""}]


# --- materials ----------------------------------------------------------------------------------


def test_material_paths_are_resolved_inside_the_roots(settings, tmp_path):
    root = settings.MATERIAL_ROOTS[0]
    (root / "a.mp4").write_bytes(b"x")
    config = validate_config("post", {"material_list": ["a.mp4", str(root / "a.mp4")]})
    assert config["material_list"] == [os.path.realpath(root / "a.mp4")] * 2


def test_a_second_material_root_is_allowed_too(settings, tmp_path):
    second = tmp_path / "second"
    second.mkdir()
    (second / "b.png").write_bytes(b"x")
    settings.MATERIAL_ROOTS = [*settings.MATERIAL_ROOTS, second]
    config = validate_config("post", {"content_type": 1, "material_list": [str(second / "b.png")]})
    assert config["material_list"] == [os.path.realpath(second / "b.png")]


@pytest.mark.parametrize("entry", ["/etc/passwd", "../escape.mp4", "sub/../../escape.mp4"])
def test_paths_escaping_the_roots_are_refused(settings, entry):
    (settings.MATERIAL_ROOTS[0].parent / "escape.mp4").write_bytes(b"x")
    assert (
        "outside the material folders"
        in problems("post", {"material_list": [entry]})["material_list"][0]
    )


def test_a_symlink_out_of_the_roots_is_refused(settings, tmp_path):
    target = tmp_path / "secret.mp4"
    target.write_bytes(b"x")
    os.symlink(target, settings.MATERIAL_ROOTS[0] / "innocent.mp4")
    assert "material_list" in problems("post", {"material_list": ["innocent.mp4"]})


def test_the_kind_of_file_must_match_the_content_type(settings):
    (settings.MATERIAL_ROOTS[0] / "a.png").write_bytes(b"x")
    assert "material_list" in problems("post", {"material_list": ["a.png"]})
    assert validate_config("post", {"content_type": 1, "material_list": ["a.png"]})


@pytest.mark.django_db
def test_library_references_must_exist_be_unused_and_of_the_right_kind(settings):
    from django.utils import timezone

    video = Material.objects.create(file="uploads/v.mp4", kind=Material.Kind.VIDEO)
    image = Material.objects.create(file="uploads/i.png", kind=Material.Kind.IMAGE)
    used = Material.objects.create(
        file="uploads/u.mp4", kind=Material.Kind.VIDEO, used_at=timezone.now()
    )

    assert validate_config("post", {"material_list": [f"material:{video.pk}"]})
    messages = problems(
        "post", {"material_list": [f"material:{n}" for n in (image.pk, used.pk, 999)]}
    )["material_list"]
    assert len(messages) == 3
    path = materials.material_file(f"material:{video.pk}")
    assert path == str(settings.MATERIAL_UPLOAD_ROOT / "uploads" / "v.mp4")


# --- names --------------------------------------------------------------------------------------


def test_names_missing_unknown_or_not_offered_through_the_api():
    with pytest.raises(ScriptNameMissing):
        get_script("")
    with pytest.raises(ScriptNameMissing):
        get_script(None)
    with pytest.raises(ScriptNotSupported, match="not supported via the API"):
        get_script("like", api=True)
    with pytest.raises(ScriptNotSupported, match="unknown"):
        get_script("teleport")
    with pytest.raises(ScriptNotSupported):
        get_script("diagnostic", api=True)


def test_the_worker_finds_every_scripts_runner_and_forms_get_choices():
    assert get_script("diagnostic").runner == "tasks.scripts.diagnostic.run"
    assert get_script("post").runner == "tasks.scripts.post.run"
    assert [name for name, _ in script_choices(api_only=True)] == [
        "post",
        "follow",
        "unfollow",
        "account_warmup",
        "comment",
    ]
    assert "diagnostic" in dict(script_choices())


def test_a_comment_image_must_be_an_image_path_inside_the_roots(settings):
    (settings.MATERIAL_ROOTS[0] / "pic.png").write_bytes(b"x")
    base = {"target_post_url": "https://vm.tiktok.com/A1/", "comment_content": "hi"}
    config = validate_config("comment", {**base, "comment_image_path": "pic.png"})
    assert config["comment_image_path"] == os.path.realpath(settings.MATERIAL_ROOTS[0] / "pic.png")
    for wrong in ("/etc/passwd", "missing.png", 5):
        assert "comment_image_path" in problems("comment", {**base, "comment_image_path": wrong})


# --- time limits ----------------------------------------------------------------------------------


def test_time_limits_follow_the_config_and_the_settings(settings):
    settings.TASK_TIMEOUTS, settings.TASK_TIMEOUT_MAX = {}, 3600
    assert timeout_for("post", validate_config("post", {"upload_wait_time": 100})) == 710
    assert timeout_for("account_warmup", {"task_duration": 1200}) == 1500
    assert timeout_for("follow", {}) == 300 and timeout_for("diagnostic", {}) == 60
    assert timeout_for("account_warmup", {"task_duration": 86400}) == 3600  # capped
    settings.TASK_TIMEOUTS = {"follow": 120}
    assert timeout_for("follow", {}) == 120
    assert timeout_for("retired_script", {}) == 600  # an old task of a script no longer listed


# --- completeness: adding a script is adding one complete module -------------------------------


def script_problems(script: Script) -> list[str]:
    """What ``script`` lacks to be registered: empty when it is complete."""
    problems = []
    if not str(script.label).strip():
        problems.append("the script has no label")
    if not callable(script.run):
        problems.append("its runner is not callable")
    elif not importable(script.runner, script.run):
        problems.append(f"the worker cannot import its runner as {script.runner}")
    if not callable(script.time_limit):
        problems.append("it has no time limit")
    elif not script.time_limit(defaults_of(script)) > 0:
        problems.append("its time limit is not a positive number of seconds")
    problems += [f"the field {f.name} has no label" for f in script.fields if not str(f.label)]
    for platform in set(script.platform_selectors) - set(script.platforms):
        problems.append(f"selectors for {platform}, a platform it does not run on")
    for platform in script.platforms:
        elements = load_selectors(platform)["elements"]
        missing = [name for name in script.selectors_on(platform) if name not in elements]
        problems += [f"the selector {name} is not in {platform}.json" for name in missing]
    account_limits = limits.account_limits()
    for action in filter(None, (script.daily_limit, *script.records)):
        if action not in account_limits:
            problems.append(f"{action} is not an Account daily limit")
    return problems


def importable(path: str, target) -> bool:
    try:
        return import_string(path) is target
    except ImportError:
        return False


def defaults_of(script: Script) -> dict:
    """The config every cleaned config of ``script`` starts from."""
    return {spec.name: spec.default for spec in script.fields}


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_every_registered_script_is_complete(name):
    assert script_problems(SCRIPTS[name]) == []


COMPLETE = get_script("follow")


@pytest.mark.parametrize(
    ("incomplete", "problem"),
    [
        (replace(COMPLETE, label=""), "no label"),
        (replace(COMPLETE, run="tasks.scripts.follow.run"), "runner is not callable"),
        (replace(COMPLETE, run=lambda ctx: "done"), "cannot import its runner"),
        (replace(COMPLETE, time_limit=None), "no time limit"),
        (replace(COMPLETE, time_limit=lambda config: 0), "not a positive number"),
        (
            replace(COMPLETE, fields=(*COMPLETE.fields, Field("speed", "int", 1, label=""))),
            "the field speed has no label",
        ),
        (replace(COMPLETE, selectors=("follow_btn",)), "follow_btn is not in tiktok.json"),
        # Instagram's unfollow confirmation does not exist on TikTok.
        (
            replace(COMPLETE, platform_selectors={"tiktok": ("unfollow_confirm",)}),
            "unfollow_confirm is not in tiktok.json",
        ),
        (replace(COMPLETE, platform_selectors={"vine": ()}), "does not run on"),
        (replace(COMPLETE, daily_limit="likes"), "likes is not an Account daily limit"),
        (replace(COMPLETE, records=("like",)), "like is not an Account daily limit"),
    ],
)
def test_an_incomplete_script_is_caught(incomplete, problem):
    assert any(problem in found for found in script_problems(incomplete)), script_problems(
        incomplete
    )


def test_every_script_module_is_registered():
    modules = [m.name for m in pkgutil.iter_modules(tasks.scripts.__path__)]
    declaring = {m for m in modules if hasattr(import_module(f"tasks.scripts.{m}"), "SCRIPT")}
    assert declaring == set(SCRIPT_NAMES)


def test_a_listed_module_must_declare_the_script_named_after_it(monkeypatch):
    assert Registry(["follow"])["follow"] is COMPLETE
    with pytest.raises(AttributeError, match="SCRIPT"):
        Registry(["captions"]).get("captions")
    monkeypatch.setattr(import_module("tasks.scripts.follow"), "SCRIPT",
                        replace(COMPLETE, name="befriend"))  # fmt: skip
    with pytest.raises(ImproperlyConfigured, match="named after it"):
        Registry(["follow"]).get("befriend")


def test_every_account_limit_can_be_recorded_and_only_declared_actions_are():
    assert set(limits.ACTION_STEPS) == set(limits.account_limits())
    assert limits.limited_scripts() == {
        "post": "post",
        "follow": "follow",
        "unfollow": "unfollow",
        "comment": "comment",
    }
    assert limits.recording_scripts() == {
        "follow": ["account_warmup"],
        "comment": ["account_warmup"],
    }


# --- the form shows what the fields declare -----------------------------------------------------


def test_the_task_form_is_built_from_the_fields_labels_and_hints():
    with translation.override("pt-br"):
        form = TaskCreateForm(get_script("post"))
        assert str(form.fields["cfg_image_count"].label) == "Imagens por post"
        sounds = dict(form.fields["cfg_add_sound"].choices)
        assert str(sounds["custom"]) == "buscar um som"
    assert form.fields["cfg_captions"].widget.__class__.__name__ == "Textarea"
    comment = TaskCreateForm(get_script("comment"))
    assert "cfg_comment_content" in comment.fields and "cfg_target_post_url" not in comment.fields
    warmup = TaskCreateForm(get_script("account_warmup"))
    assert "cfg_floow_probable" in warmup.fields
    assert "cfg_generate_by_chatgpt" not in warmup.fields
    assert str(warmup.fields["cfg_floow_probable"].label) == "Follow %"

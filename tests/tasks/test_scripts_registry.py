"""The script registry: the one validator of script_config, shared by the API and the dashboard."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import ValidationError

from tasks.models import Material
from tasks.scripts import registry
from tasks.scripts.registry import (
    ScriptNameMissing,
    ScriptNotSupported,
    fan_out,
    get_script,
    script_choices,
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


def test_unknown_keys_are_kept_as_sent():
    config = validate_config("post", {"repeat_times": 2, "ai_label": {"on": True}})
    assert config["repeat_times"] == 2 and config["ai_label"] == {"on": True}


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
    path = registry.material_file(f"material:{video.pk}")
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

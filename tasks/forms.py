"""Dashboard forms for tasks and the media library."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from devices.forms import NamesField, tags_named
from tasks import storage
from tasks.actions import MAX_ID
from tasks.models import Material, Task, material_upload_to

# -- task list ----------------------------------------------------------------------------------


class BulkActionForm(forms.Form):
    ACTIONS = [("stop", _("Stop")), ("retry", _("Retry")), ("delete", _("Delete"))]

    action = forms.ChoiceField(choices=ACTIONS)
    ids = forms.TypedMultipleChoiceField(
        coerce=int, error_messages={"required": _("Tick at least one task.")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id a task could have is acceptable here; the action service reports those that
        # do not exist. Anything else makes the form invalid.
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw if _could_be_an_id(v)]


def _could_be_an_id(value: str) -> bool:
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    return re.fullmatch(r"[0-9]{1,19}", str(value)) is not None and 1 <= int(value) <= MAX_ID


# -- media library ------------------------------------------------------------------------------

# Extension → (kind, the file's first bytes must match one of these signatures).
MEDIA_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".mp4": (Material.Kind.VIDEO, (b"ftyp",)),
    ".mov": (Material.Kind.VIDEO, (b"ftyp", b"moov", b"wide", b"mdat", b"free")),
    ".jpg": (Material.Kind.IMAGE, (b"\xff\xd8\xff",)),
    ".jpeg": (Material.Kind.IMAGE, (b"\xff\xd8\xff",)),
    ".png": (Material.Kind.IMAGE, (b"\x89PNG\r\n\x1a\n",)),
}


# Material.sort is a 32-bit integer on PostgreSQL: the same bounds on every database, checked by
# the form rather than refused by the database.
SORT_LIMITS = {"min_value": -(2**31), "max_value": 2**31 - 1}


def material_storage() -> FileSystemStorage:
    """Uploads go under MATERIAL_UPLOAD_ROOT, one of the folders post tasks may read from."""
    return storage.material_storage


def _signature_ok(head: bytes, signatures: tuple[bytes, ...]) -> bool:
    # MP4/MOV boxes carry their type at offset 4 (after the box size); images start at 0.
    return any(head.startswith(sig) or head[4:].startswith(sig) for sig in signatures)


class MaterialUploadForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("MP4 or MOV video, JPG or PNG image."))
    tag_names = NamesField(label=_("Tags"))
    caption = forms.CharField(
        label=_("Caption"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    username = forms.CharField(
        label=_("Only for account"), required=False, max_length=100, help_text=_("optional")
    )
    sort = forms.IntegerField(label=_("Sort"), initial=0, **SORT_LIMITS)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = Path(upload.name).suffix.lower()
        if extension not in MEDIA_TYPES:
            raise forms.ValidationError(_("Only .mp4, .mov, .jpg and .png files are accepted."))
        limit = settings.MATERIAL_MAX_UPLOAD_MB
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB.") % {"mb": limit})
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        head = upload.read(16)
        upload.seek(0)
        kind, signatures = MEDIA_TYPES[extension]
        if not _signature_ok(head, signatures):
            raise forms.ValidationError(
                _("The file's contents are not a %(ext)s file.") % {"ext": extension[1:]}
            )
        self.kind = kind
        return upload

    @transaction.atomic
    def save(self) -> Material:
        upload = self.cleaned_data["file"]
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        material = Material(
            kind=self.kind,
            size=upload.size,
            sha256=digest.hexdigest(),
            caption=self.cleaned_data["caption"],
            username=self.cleaned_data["username"].strip().lstrip("@"),
            sort=self.cleaned_data["sort"] or 0,
        )
        # Names are relative to MATERIAL_UPLOAD_ROOT (not MEDIA_ROOT): see material_storage().
        material.file.name = material_storage().save(
            material_upload_to(material, Path(upload.name).name), upload
        )
        material.save()
        material.tags.set(tags_named(self.cleaned_data["tag_names"]))
        return material


class MaterialEditForm(forms.ModelForm):
    sort = forms.IntegerField(label=_("Sort"), **SORT_LIMITS)
    tag_names = NamesField(label=_("Tags"))
    used = forms.BooleanField(label=_("Used"), required=False)

    class Meta:
        model = Material
        fields = ["caption", "username", "sort"]
        widgets = {"caption": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["tag_names"] = [t.name for t in self.instance.tags.all()]
            self.initial["used"] = self.instance.used_at is not None

    @transaction.atomic
    def save(self, commit: bool = True) -> Material:
        material = super().save(commit=False)
        if not self.cleaned_data["used"]:
            material.used_at, material.used_by_task = None, None
        elif material.used_at is None:
            material.used_at = timezone.now()
        material.save()
        material.tags.set(tags_named(self.cleaned_data["tag_names"]))
        return material


# -- task creation ------------------------------------------------------------------------------


def config_field(spec) -> forms.Field | None:
    """A form field for one script ``Field``, labelled as the field says; the script still does
    the validating."""
    common = {"label": spec.label, "help_text": spec.help_text, "required": False}
    if spec.choices:
        choices = [(c, spec.choice_labels.get(c, c)) for c in spec.choices]
        if spec.default is None:
            choices = [("", "—"), *choices]
        return forms.TypedChoiceField(
            choices=choices, coerce=type(spec.choices[0]), initial=spec.default, **common
        )
    bounds = {"min_value": spec.minimum, "max_value": spec.maximum}
    if spec.kind == "int":
        return forms.IntegerField(initial=spec.default, **bounds, **common)
    if spec.kind == "number":
        return forms.FloatField(initial=spec.default, **bounds, **common)
    if spec.kind == "bool":
        return forms.BooleanField(initial=spec.default, **common)
    if spec.kind == "str_list":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if spec.kind == "str":
        widget = forms.Textarea(attrs={"rows": 3}) if spec.long_text else None
        return forms.CharField(widget=widget, strip=False, initial=spec.default, **common)
    return None  # objects (chatgpt_settings): API only


class TaskCreateForm(forms.Form):
    """Targets and timing, plus one field per ``script_config`` key of the chosen script."""

    MODES = [("devices", _("Phones")), ("accounts", _("Accounts"))]

    mode = forms.ChoiceField(
        label=_("Run on"), choices=MODES, initial="devices", widget=forms.RadioSelect
    )
    devices = forms.ModelMultipleChoiceField(
        label=_("Phones"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Groups"),
        required=False,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every phone in these groups."),
    )
    enable_multi_account = forms.BooleanField(
        label=_("Once per enabled account on each phone"), required=False
    )
    accounts = forms.ModelMultipleChoiceField(
        label=_("Accounts"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple
    )
    start_time = forms.DateTimeField(
        label=_("Start at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty = now."),
    )
    min_interval = forms.IntegerField(
        label=_("Space tasks by at least (min)"), required=False, min_value=0, max_value=1440
    )
    max_interval = forms.IntegerField(
        label=_("… and at most (min)"), required=False, min_value=0, max_value=1440
    )

    def __init__(self, script, *args, **kwargs):
        from devices.models import Account, Device, DeviceGroup

        super().__init__(*args, **kwargs)
        self.script = script
        self.fields["devices"].queryset = Device.objects.order_by("index")
        self.fields["devices"].label_from_instance = lambda d: (
            f"#{d.index} {d.display_name} · {d.get_state_display()}"
        )
        self.fields["groups"].queryset = DeviceGroup.objects.all()
        self.fields["accounts"].queryset = Account.objects.enabled().select_related("device")
        self.fields["accounts"].label_from_instance = lambda a: (
            f"@{a.username} ({a.get_platform_display()})"
            + (f" · #{a.device.index}" if a.device else "")
        )
        self.config_names = []
        for spec in script.fields:
            field = config_field(spec) if spec.in_form else None
            if field is not None:
                self.fields[f"cfg_{spec.name}"] = field
                self.config_names.append(spec.name)

    @property
    def config_fields(self):
        return [self[f"cfg_{name}"] for name in self.config_names]

    def raw_config(self) -> dict:
        """The config as the API would receive it; empty fields are left to the defaults."""
        config = {}
        for spec in self.script.fields:
            if spec.name not in self.config_names:
                continue
            value = self.cleaned_data.get(f"cfg_{spec.name}")
            if spec.kind == "str_list":
                value = [line.strip() for line in (value or "").splitlines() if line.strip()]
            if value in (None, "") or (spec.kind == "str_list" and not value):
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # 600.0 from the number input is stored as 600, like the API
            config[spec.name] = value
        return config

    def clean(self):
        from django.core.exceptions import ValidationError

        from tasks.scripts.registry import validate_config

        data = super().clean()
        if data.get("mode") == "accounts" and not data.get("accounts"):
            self.add_error("accounts", _("Tick at least one account."))
        if data.get("mode") == "devices" and not (data.get("devices") or data.get("groups")):
            self.add_error("devices", _("Tick at least one phone or group."))
        low, high = data.get("min_interval") or 0, data.get("max_interval") or 0
        if high < low:
            self.add_error("max_interval", _("Must not be less than the minimum."))
        try:
            data["script_config"] = validate_config(self.script.name, self.raw_config())
        except ValidationError as exc:
            for key, problems in exc.message_dict.items():
                target = f"cfg_{key}" if key in self.config_names else None
                for problem in problems:
                    self.add_error(target, f"{key}: {problem}" if target is None else problem)
        return data

    def serials(self) -> list[str]:
        devices = {d.serial: d for d in self.cleaned_data["devices"]}
        for group in self.cleaned_data["groups"]:
            devices.update({d.serial: d for d in group.devices.all()})
        return sorted(devices, key=lambda s: devices[s].index)

    def usernames(self) -> list[str]:
        return [a.username for a in self.cleaned_data["accounts"]]


def chosen_script(name: str | None):
    """The script the form is for (``?script=``), falling back to the first one offered."""
    from tasks.scripts.registry import SCRIPTS, ScriptError, get_script

    try:
        return get_script(name or "")
    except ScriptError:
        return next(iter(SCRIPTS.values()))


def create_from_form(form: TaskCreateForm, *, user, request=None) -> list[int] | None:
    """Create the tasks a valid form describes (through the API's own service, so the rules are
    the same); None, with the problems put on the form, if it cannot."""
    from django.core.exceptions import ValidationError

    from tasks.creation import CreateRequest, create_tasks

    if not form.is_valid():
        return None
    data = form.cleaned_data
    by_account = data["mode"] == "accounts"
    create = CreateRequest(
        script_name=form.script.name,
        script_config=form.raw_config(),
        serials=None if by_account else form.serials(),
        usernames=form.usernames() if by_account else None,
        enable_multi_account=not by_account and data["enable_multi_account"],
        start_time=data["start_time"],
        min_interval=data["min_interval"] or 0,
        max_interval=data["max_interval"] or 0,
        source=Task.Source.UI,
    )
    try:
        return create_tasks(create, user=user, request=request).task_ids
    except ValidationError as exc:
        for key, problems in exc.message_dict.items():
            name = key.removeprefix("script_config.")
            target = {"serials": "devices", "usernames": "accounts"}.get(name, name)
            if name in form.config_names:
                target = f"cfg_{name}"
            elif target not in form.fields:
                target = None
            for problem in problems:
                form.add_error(target, problem)
        return None

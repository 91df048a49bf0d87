"""The settings form of a messaging platform account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import Team
from bihuan.channels.messaging.choices import Platform

# What each platform calls the generic fields (labels) and where its console shows them.
LABELS: dict[str, dict[str, Any]] = {
    Platform.WECOM: {
        "app_id": _("Corp ID (企业ID)"),
        "secret": _("Customer-service Secret (微信客服 Secret)"),
        "token": _("Callback Token"),
        "aes_key": _("EncodingAESKey"),
        "open_kfid": _("Customer-service account ID (open_kfid)"),
    },
    Platform.WECHAT: {
        "app_id": _("AppID"),
        "secret": _("AppSecret"),
        "token": _("Token"),
        "aes_key": _("EncodingAESKey (safe mode; empty for plain mode)"),
    },
    Platform.FEISHU: {
        "app_id": _("App ID"),
        "secret": _("App Secret"),
        "token": _("Verification Token"),
        "aes_key": _("Encrypt Key"),
    },
    Platform.DINGTALK: {
        "app_id": _("AppKey (Client ID)"),
        "secret": _("AppSecret (Client Secret)"),
        "token": _("Event subscription Token"),
        "aes_key": _("Event subscription aes_key"),
        "robot_code": _("Robot code (RobotCode)"),
    },
}
SECRET_FIELDS = ("secret", "token", "aes_key")


class AccountForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    app_id = forms.CharField(max_length=128)
    secret = forms.CharField(max_length=256, required=False, widget=forms.PasswordInput)
    token = forms.CharField(max_length=256, required=False, widget=forms.PasswordInput)
    aes_key = forms.CharField(max_length=256, required=False, widget=forms.PasswordInput)
    open_kfid = forms.CharField(max_length=128, required=False)
    robot_code = forms.CharField(max_length=128, required=False)
    base_url = forms.URLField(
        assume_scheme="https",
        label=_("API address"),
        max_length=255,
        required=False,
        help_text=_("Leave empty for the platform's own address."),
    )
    team = forms.ModelChoiceField(
        label=_("Queue for new tickets"), queryset=Team.objects.order_by("name"), required=False
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, platform: str, is_new: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = LABELS[platform]
        for name in ("app_id", *SECRET_FIELDS, "open_kfid", "robot_code"):
            if name in labels:
                self.fields[name].label = labels[name]
            elif name in ("open_kfid", "robot_code"):
                del self.fields[name]
        for name in SECRET_FIELDS:
            field = self.fields[name]
            field.required = is_new and name != "aes_key"
            if not is_new:
                field.help_text = _("Stored encrypted; leave empty to keep the stored value.")
        if platform == Platform.WECOM:
            self.fields["aes_key"].required = is_new
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                widget.attrs["class"] = "form-control form-control-sm"

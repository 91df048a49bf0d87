"""What the access matrix needs to know of the messaging routes: the settings pages of an
account (admins only; everyone else gets the same 404 as for a missing account). The
platforms' callbacks under /messaging/ are public and signed; their tests are their matrix."""

from __future__ import annotations

from typing import Any

from bihuan.channels.messaging.services import AccountSettings, save_account
from bihuan.testing.access import AccessSpec


def _objects(org: Any, objects: dict[str, Any]) -> dict[str, Any]:
    account = save_account(
        AccountSettings(
            platform="feishu",
            name="飞书客服",
            app_id="cli_9dbb2dd6f5e0d104",
            secret="secret",
            token="token",
            aes_key="key",
            base_url="http://127.0.0.1:9",
        ),
        actor=org.admin,
    )
    return {"messaging_account": account}


ACCESS = AccessSpec(
    parameter_kinds={"account_id": "messaging_account"},
    web_post_data={
        "messaging:account": {"name": "改", "app_id": "cli_x", "is_active": "on"},
        "messaging:account_test": {},
    },
    get_and_post=frozenset({"messaging:account"}),
    make_objects=_objects,
    public_prefixes=("/messaging/",),
    db_apps=frozenset({"bihuan_messaging"}),
)

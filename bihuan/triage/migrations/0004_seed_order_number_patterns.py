"""Default order and tracking number patterns for Chinese e-commerce, so a new installation
recognises them from the first message: Taobao/Tmall (18–19 digits, never an ID card
number), JD (10–13 digits after 京东/JD), Pinduoduo (YYMMDD-15 digits), SF Express (SF + 12–13
digits), ZTO (14 digits from 73/75/78). Admins change or switch them off on the order number
patterns page. Copied here, not imported (a migration does not import the app). Back: the
seeded rows that were not changed since are removed.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.utils import timezone

# An 18-character Chinese ID card number: region, birth date, sequence, check digit.
_ID_CARD = (
    r"(?!\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dXx]))"
)
DEFAULTS = [
    (
        "淘宝/天猫订单号",
        r"(?<![0-9A-Za-z_-])" + _ID_CARD + r"(?P<number>\d{18,19})(?![0-9A-Za-z_-])",
        "淘宝订单号 3527819264051837264 还没发货",
    ),
    (
        "京东订单号",
        r"(?:京东|JD|jd)[^\d\n]{0,12}(?P<number>\d{10,13})(?!\d)",
        "京东订单号：286523490187，显示已签收",
    ),
    (
        "拼多多订单号",
        r"(?<![\d-])(?P<number>\d{6}-\d{15})(?![\d-])",
        "拼多多订单 240611-483920175620394 申请退款",
    ),
    (
        "顺丰运单号",
        r"(?<![A-Za-z0-9])(?P<number>SF\d{12,13})(?!\d)",
        "顺丰单号 SF1408923475612 三天没更新",
    ),
    (
        "中通运单号",
        r"(?<![0-9A-Za-z_])(?P<number>7[358]\d{12})(?![0-9A-Za-z_])",
        "中通快递 75318240693715 显示派送中",
    ),
]


def seed(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    pattern = apps.get_model("triage", "OrderNumberPattern")
    now = timezone.now()
    for position, (name, regex, example) in enumerate(DEFAULTS):
        if not pattern.objects.filter(name=name).exists():
            pattern.objects.create(
                name=name,
                regex=regex,
                example=example,
                position=position,
                created_at=now,
                updated_at=now,
            )


def unseed(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    pattern = apps.get_model("triage", "OrderNumberPattern")
    for name, regex, example in DEFAULTS:
        pattern.objects.filter(name=name, regex=regex, example=example).delete()


class Migration(migrations.Migration):
    dependencies = [("triage", "0003_order_number_patterns")]

    operations = [migrations.RunPython(seed, unseed)]

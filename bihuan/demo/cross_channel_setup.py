"""One customer across channels, for the demo: the shop's own order numbers as an
admin-configured pattern (beside the seeded Taobao/JD/Pinduoduo/SF/ZTO ones), the numbers
found in the demo tickets' messages, and one customer recorded twice (same name, same
organisation) so the customer page suggests a merge on first start."""

from __future__ import annotations

from django.db import transaction

from bihuan.core.models import Event
from bihuan.customers.merging import chunked
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.customers.services import ContactDetails, create_customer
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation as org
from bihuan.tickets.models import Message
from bihuan.triage import order_numbers
from bihuan.triage.models import OrderNumberMention, OrderNumberPattern

# The demo shop numbers its orders YYMMDD + 10 digits (bihuan.demo.conversation).
SHOP_PATTERN = order_numbers.PatternInput(
    name="本店订单号",
    regex=r"订单号\s*[:：]?\s*(?P<number>\d{16})(?!\d)",
    example="订单号2511031234567890还没发货",
    position=100,
)
DUPLICATE_SOURCE = "demo-duplicate"


def set_up_cross_channel(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """The shop's pattern, the numbers in the demo messages, one likely duplicate."""
    admin = cast.users[org.ADMIN_USERNAME]
    if not OrderNumberPattern.objects.filter(name=SHOP_PATTERN.name).exists():
        order_numbers.save_order_number_pattern(SHOP_PATTERN, actor=admin)
    message_ids = list(
        Message.objects.filter(ticket_id__in=ticket_ids).order_by("pk").values_list("pk", flat=True)
    )
    for chunk in chunked(message_ids):
        order_numbers.record_order_numbers(chunk)
    duplicates = 0
    original = (
        Customer.objects.filter(organisation__isnull=False, merged_into__isnull=True)
        .exclude(identities__source=DUPLICATE_SOURCE)
        .order_by("pk")
        .first()
    )
    already = CustomerIdentity.objects.filter(source=DUPLICATE_SOURCE).exists()
    if original is not None and original.organisation is not None and not already:
        with transaction.atomic():
            create_customer(
                details=ContactDetails(
                    name=original.name,
                    external_id="crm-demo-duplicate",  # not the pk: two loads stay the same
                    external_source=DUPLICATE_SOURCE,
                ),
                organisation=original.organisation.name,
                actor=cast.supervisor,
            )
        duplicates = 1
    return {
        "order numbers found": OrderNumberMention.objects.filter(ticket_id__in=ticket_ids).count(),
        "likely duplicate customers": duplicates,
    }


def delete_cross_channel_setup() -> None:
    """Remove the shop's pattern (with its audit events) and the duplicate customer."""
    for pattern in OrderNumberPattern.objects.filter(name=SHOP_PATTERN.name):
        Event.objects.filter(
            subject_type="triage.ordernumberpattern", subject_id=pattern.pk
        ).delete()
        pattern.delete()
    duplicates = list(
        Customer.objects.filter(identities__source=DUPLICATE_SOURCE, tickets__isnull=True)
        .values_list("pk", flat=True)
        .distinct()
    )
    Event.objects.filter(customer_id__in=duplicates).delete()
    Customer.objects.filter(pk__in=duplicates).delete()

# ruff: noqa: E501 - one template per line reads best
"""The default reply templates (话术) of a Chinese customer-service team, in both languages.

One or more per scenario; loaded as shared templates by ``install_default_templates`` (the
demo loader and ``bihuan knowledge defaults --as USERNAME``). Wording follows common service practice:
address the customer, restate the need, own the answer (首问负责制), promise a time and keep it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy

from bihuan.accounts.models import User
from bihuan.core.errors import PermissionDenied
from bihuan.knowledge import services
from bihuan.knowledge.choices import Language, Scenario
from bihuan.knowledge.models import ReplyTemplate
from bihuan.knowledge.permissions import is_editor

ZH, EN = Language.ZH, Language.EN

DEFAULT_TEMPLATES: list[tuple[str, str, str, str]] = [
    # (scenario, language, title, body)
    (Scenario.GREETING, ZH, "问候", "{{ customer.name }}您好，我是客服{{ agent.name }}，很高兴为您服务。您的问题我已经收到（工单号 {{ ticket.number }}），由我负责跟进到底。"),
    (Scenario.GREETING, EN, "Greeting", "Hello {{ customer.name }}, this is {{ agent.name }} from customer service. I have your request (ticket {{ ticket.number }}) and I will look after it personally until it is solved."),
    (Scenario.CALMING, ZH, "安抚情绪", "{{ customer.name }}，非常理解您现在的心情，遇到这种情况换作是我也会着急。请您放心，这件事我会亲自跟进，先把情况核实清楚，再给您一个明确的处理方案。"),
    (Scenario.CALMING, EN, "Calming", "{{ customer.name }}, I completely understand how frustrating this is, and I would feel the same. I will handle this myself: I am checking the details now and will come back to you with a clear solution."),
    (Scenario.APOLOGY, ZH, "致歉", "{{ customer.name }}，给您带来不便，我们深表歉意。这是我们工作中的疏漏，我们已经在改进，同时会尽快为您解决。"),
    (Scenario.APOLOGY, EN, "Apology", "{{ customer.name }}, we are sincerely sorry for the trouble this has caused you. It was our mistake; we are putting it right for you now and improving so that it does not happen again."),
    (Scenario.SOLUTION, ZH, "确认需求并给出方案", "{{ customer.name }}，跟您确认一下：您希望的是“{{ ticket.subject }}”这件事得到处理，对吗？我们的处理方案是：\n1. \n2. \n如您同意，我们马上为您办理。"),
    (Scenario.SOLUTION, EN, "Confirm the need and propose a solution", "{{ customer.name }}, let me make sure I have understood: you would like “{{ ticket.subject }}” sorted out, is that right? Here is what we propose:\n1. \n2. \nIf that works for you, we will go ahead straight away."),
    (Scenario.SOLUTION, ZH, "退款已受理", "{{ customer.name }}，您的退款申请已经受理，款项将在 1–3 个工作日内原路退回，请留意到账通知。如有疑问，回复此消息即可找到我。"),
    (Scenario.SOLUTION, EN, "Refund approved", "{{ customer.name }}, your refund has been approved. The money goes back to your original payment method within 1–3 working days. Reply to this message if anything is unclear and it will reach me."),
    (Scenario.PROGRESS, ZH, "进度同步", "{{ customer.name }}，向您同步一下工单 {{ ticket.number }} 的最新进展：\n\n我们会在 {{ commitment.due }} 前再次与您联系。"),
    (Scenario.PROGRESS, EN, "Progress update", "{{ customer.name }}, here is the latest on ticket {{ ticket.number }}:\n\nWe will be in touch again by {{ commitment.due }}."),
    (Scenario.DELAY, ZH, "延迟告知", "{{ customer.name }}，非常抱歉，原定的处理时间需要延后。原因是：\n\n新的预计完成时间是 {{ commitment.due }}，期间有任何进展我都会第一时间告诉您。"),
    (Scenario.DELAY, EN, "Delay notice", "{{ customer.name }}, I am sorry: we need more time than we promised. The reason:\n\nOur new expected time is {{ commitment.due }}, and I will tell you at once if anything changes before then."),
    (Scenario.CALLBACK, ZH, "回访", "{{ customer.name }}您好，我是客服{{ agent.name }}。之前您反映的“{{ ticket.subject }}”问题已经处理，想跟您确认一下现在是否已经解决？您对这次的处理还满意吗？"),
    (Scenario.CALLBACK, EN, "Call-back", "Hello {{ customer.name }}, this is {{ agent.name }}. We dealt with “{{ ticket.subject }}” recently: is everything working for you now, and were you happy with how we handled it?"),
    (Scenario.CLOSING, ZH, "结束语", "{{ customer.name }}，感谢您的耐心与支持！如果还有其他问题，随时回复此消息联系我们。祝您生活愉快！"),
    (Scenario.CLOSING, EN, "Closing", "Thank you for your patience, {{ customer.name }}! If anything else comes up, just reply to this message. Have a good day!"),
]  # fmt: skip


def install_default_templates(*, actor: User) -> int:
    """Create the default shared templates that do not exist yet (by title and language);
    returns how many were created. Safe to run again."""
    if not is_editor(actor):
        raise PermissionDenied(gettext_lazy("Only supervisors and admins may do this."))
    created = 0
    with transaction.atomic():
        existing = set(
            ReplyTemplate.objects.filter(owner__isnull=True).values_list("title", "language")
        )
        for scenario, language, title, body in DEFAULT_TEMPLATES:
            if (title, language) in existing:
                continue
            services.create_template(
                services.TemplateFields(
                    title=title, body=body, scenario=scenario, language=language, shared=True
                ),
                actor=actor,
            )
            created += 1
    return created

"""Automatic answers (智能预处理) for the demo: switched on for the web form and the chat
widget, sent as the presales agent 张伟. A question sent through either of them after the
demo loads (say 发票怎么开) is answered from the demo's public articles at once
(``knowledge_setup`` runs first): the answer model is trained on the dev part of the labelled
questions (``bihuan/knowledge/labelled``, written for the demo's public articles). Nothing
here depends on the time of the load, so two loads of the demo stay the same."""

from __future__ import annotations

import contextlib

from bihuan.core.errors import ValidationFailed
from bihuan.core.models import Event
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation
from bihuan.knowledge import answer_evaluation as evaluation
from bihuan.knowledge import answer_training as training
from bihuan.knowledge import auto_answers
from bihuan.knowledge.models import AnswerModelVersion, AutoAnswerChannel
from bihuan.tickets.choices import Channel

CHANNELS = (Channel.WEB, Channel.CHAT)
SENDER = "zhangwei"


def set_up_auto_answers(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """Switch automatic answers on for the web form and chat (the demo's own tickets, all
    answered long ago, are left as they are)."""
    admin = cast.users[organisation.ADMIN_USERNAME]
    switched = 0
    for channel in CHANNELS:
        if not AutoAnswerChannel.objects.filter(channel=channel).exists():
            auto_answers.configure_auto_answers(
                auto_answers.ChannelSetting(
                    channel=channel, is_enabled=True, sender=cast.users[SENDER]
                ),
                actor=admin,
            )
            switched += 1
    counts = {"channels with automatic answers": switched}
    if not AnswerModelVersion.objects.filter(is_active=True).exists():
        dev = [q for q in evaluation.load_questions() if q.split == "dev"]
        slugs = evaluation.article_slugs(evaluation.load_articles(), strict=False)
        examples = training.labelled_examples(dev, slugs) + training.insertion_examples()
        # Refused when the demo's articles are not there: the coverage score stays in charge.
        with contextlib.suppress(ValidationFailed):
            training.train_answer_model(examples, actor=admin)
    # The model in charge, whether this load trained it or an earlier one did (a reload that
    # keeps the model reports the same counts as the first load).
    counts["active answer models"] = AnswerModelVersion.objects.filter(is_active=True).count()
    return counts


def delete_auto_answer_setup() -> None:
    """Remove the channel settings and their events; call it before the demo's users go (a
    setting keeps its sender). Tickets answered meanwhile go with the demo customers."""
    settings = list(
        AutoAnswerChannel.objects.filter(channel__in=CHANNELS).values_list("pk", flat=True)
    )
    Event.objects.filter(
        subject_type="knowledge.autoanswerchannel", subject_id__in=settings
    ).delete()
    AutoAnswerChannel.objects.filter(pk__in=settings).delete()
    # The answer models the demo trained (as its admin) and their events: a reload trains
    # again and shows the same history. Their files stay: a file is not rolled back with the
    # rows (a reset inside a transaction that is then undone would leave a row without its
    # file), and a reload writes the same file again.
    trained = Event.objects.filter(
        verb="knowledge.answer_model_trained", actor__username=organisation.ADMIN_USERNAME
    )
    AnswerModelVersion.objects.filter(pk__in=trained.values("subject_id")).delete()
    trained.delete()

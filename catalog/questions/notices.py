"""What questions tell people: the producer's members of a new question, the asker of the answer, each in
their own language, in the inbox (and by e-mail where they have it on).

Functions flush but never commit: a message exists only if the question or the answer commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from catalog.products.models import Product
from catalog.questions.models import Question
from core.i18n import in_language_of
from core.notifications.services import notify
from core.urls import path_for

ASKED_KIND = "catalog.question_asked"
ANSWERED_KIND = "catalog.question_answered"


def tell_new_question(session: Session, question: Question, product: Product) -> None:
    """Tell each member of the product's producer that a buyer asked about it and waits for an answer."""
    link = path_for("questions.index")
    for member in product.producer.members:
        with in_language_of(member.user):
            notify(
                session,
                member.user,
                ASKED_KIND,
                _("New question about %(product)s", product=product.name),
                _(
                    "A buyer asked about %(product)s: “%(text)s” Answer it on your questions page; the "
                    "answer is shown on the product page.",
                    product=product.name,
                    text=question.text,
                ),
                link=link,
                data={"question_id": question.id},
            )


def tell_answer(session: Session, question: Question) -> None:
    """Tell the asker (if their account still exists) that the producer answered their question."""
    asker = question.asker
    if asker is None:
        return
    with in_language_of(asker):
        notify(
            session,
            asker,
            ANSWERED_KIND,
            _("Your question about %(product)s is answered", product=question.product.name),
            _(
                "%(producer)s answered your question “%(text)s”: %(answer)s",
                producer=question.producer.name,
                text=question.text,
                answer=question.answer or "",
            ),
            link=path_for("questions.product_questions", product_id=question.product_id),
            data={"question_id": question.id},
        )

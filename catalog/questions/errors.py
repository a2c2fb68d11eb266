"""What can go wrong with a question, each with its message and status code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, InvalidTransition, PermissionDenied


class InvalidQuestion(DomainError):
    """A question is 5 to 500 characters, without control characters."""

    status = 422
    message = _l("Write a question of 5 to 500 characters, without invisible control characters.")


class InvalidAnswer(DomainError):
    """An answer is 1 to 1000 characters, without control characters."""

    status = 422
    message = _l("Write an answer of 1 to 1000 characters, without invisible control characters.")


class InvalidHideReason(DomainError):
    """Hiding a question needs a reason of 2 to 500 characters."""

    status = 422
    message = _l("Give a reason of 2 to 500 characters for hiding the question.")


class NotQuestionProducer(PermissionDenied):
    """Only members of the product's producer answer its questions."""

    message = _l("Only members of the product's producer can answer its questions.")


class MayNotHide(PermissionDenied):
    """Only the producer's members, the county's reviewers and admins hide a question."""

    message = _l("Only the producer, the county's reviewers and admins can hide a question.")


class QuestionHidden(InvalidTransition):
    """A hidden question is no longer answered, edited or hidden again."""

    message = _l("This question was hidden and can no longer be changed.")


class QuestionShown(InvalidTransition):
    """Only a hidden question is shown again."""

    message = _l("This question is not hidden.")

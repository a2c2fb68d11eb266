"""WTForms' own messages follow the request's language, from a catalog read once per process."""

from __future__ import annotations

from flask import Flask, session
from flask_wtf import FlaskForm
from wtforms import IntegerField

from core.i18n import wtforms_translations


class NumberForm(FlaskForm):
    """A form whose only message is WTForms' own."""

    n = IntegerField()


def _errors(app: Flask, **session_values: str) -> list[str]:
    """The errors of a POSTed ``n=abc`` in a request that goes through the app's before-request hooks."""
    with app.test_request_context("/", method="POST", data={"n": "abc"}):
        session.update(session_values)
        app.preprocess_request()
        form = NumberForm(meta={"csrf": False})
        assert not form.validate()
        return list(form.n.errors)


def test_wtforms_messages_are_in_the_visitors_language_and_read_once(app: Flask) -> None:
    wtforms_translations.cache_clear()
    assert [_errors(app) for _ in range(3)] == [["不是有效的整数。"]] * 3
    assert _errors(app, locale="en") == ["Not a valid integer value."]
    assert wtforms_translations.cache_info().misses == 2  # once per language, not once per request

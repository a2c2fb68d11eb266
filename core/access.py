"""Reusable access checks: decorators for whole views and helpers for checks on loaded objects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from core.models import Region, User

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["admin_required", "ensure", "login_required", "reviewer_required", "user_passes"]


def user_passes(check: Callable[[User], bool]) -> Callable[[F], F]:
    """Require a signed-in user passing ``check(user)``: anonymous users go to log in, others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


#: Only administrators.
admin_required = user_passes(lambda user: user.is_admin)

#: Only county reviewers (of any county); check the specific county with :func:`ensure`.
reviewer_required = user_passes(lambda user: user.is_reviewer)


def ensure(allowed: bool) -> None:
    """Abort with 403 unless ``allowed`` — for checks that need the loaded object."""
    if not allowed:
        abort(403)


def can_review(user: User, county: Region | None) -> bool:
    """Whether ``user`` may decide matters of ``county`` (its reviewers, and admins)."""
    return bool(user.is_authenticated) and (user.is_admin or user.reviews_county(county))

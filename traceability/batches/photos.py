"""The new-batch form's photo, kept across the form's round trips.

A photo sent with a − / + tap (no JavaScript) or with a form refused for another field is stored at once, and
the form names it in a signed hidden field: the producer never takes it again, and the batch recorded from the
form uses it. The signature means a form can only name a photo this site stored for a form.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from catalog.images import store_upload
from traceability.batches.forms import NewBatchForm

SALT = "batch-photo"


def _signer() -> URLSafeSerializer:
    """Signs the kept photo's key with the site's secret."""
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt=SALT)


def keep_sent_photo(form: NewBatchForm, upload_dir: Path) -> None:
    """Store the photo the form sent, if any, and name it in ``form.photo_kept``. Raises ImageError (nothing
    stored then, the photo kept before still named)."""
    upload = form.photo_upload
    if upload is not None:
        form.photo_kept.data = _signer().dumps(store_upload(upload.stream, upload_dir).key)


def kept_photo(form: NewBatchForm) -> str | None:
    """The key of the photo kept for this form; ``None`` when none is, or its name was not signed here."""
    if not form.photo_kept.data:
        return None
    try:
        return str(_signer().loads(form.photo_kept.data))
    except BadData:
        return None

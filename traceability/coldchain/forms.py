"""The form that uploads a data logger's CSV for a batch."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from core.forms import strip_text
from core.text import no_control_characters
from traceability.coldchain.upload import MAX_BYTES


class LoggerUploadForm(FlaskForm):
    """A logger's CSV (time, temperature °C, optional humidity %) and where the logger was."""

    file = FileField(
        _l("Logger file (CSV)"),
        validators=[
            FileRequired(_l("Choose the logger's CSV file.")),
            FileAllowed(["csv", "txt"], _l("Upload a CSV file.")),
        ],
        description=_l(
            "Columns: time, temperature (°C), optionally humidity (%%). Times without an offset are Beijing "
            "time. Up to %(size)s KB.",
            size=MAX_BYTES // 1024,
        ),
        render_kw={"accept": ".csv,text/csv"},
    )
    place = StringField(
        _l("Where the logger was"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=200), no_control_characters],
        description=_l("For example: the cold store or the truck (喀什冷库, 冷藏车 新Q·12345)."),
    )

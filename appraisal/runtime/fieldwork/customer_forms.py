"""The customer page's forms: the edit form (values checked by the service, so the page,
the import and the API refuse alike) and the list's filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import Length

from ...forms import SelectMultipleField, VersionedForm, id_coerce
from .customers import COLUMN_NAMES, TEXT_LIMITS


class CustomerForm(VersionedForm):
    # Text fields only: `customers.check_customer` reads them, with the same words as the
    # import and the API, and what was typed stays in the field when it is refused.
    code = StringField(COLUMN_NAMES["code"], validators=[Length(max=TEXT_LIMITS["code"])])
    name = StringField(COLUMN_NAMES["name"], validators=[Length(max=TEXT_LIMITS["name"])])
    address = StringField(COLUMN_NAMES["address"], validators=[Length(max=TEXT_LIMITS["address"])])
    kind = StringField(
        COLUMN_NAMES["kind"],
        validators=[Length(max=TEXT_LIMITS["kind"])],
        description=_l("For example store, supermarket, distributor, site."),
    )
    # not `reps`: the 409 page shows what is saved under fields named like the row's
    rep_ids = SelectMultipleField(
        _l("Assigned reps"),
        coerce=id_coerce,
        description=_l("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    latitude = StringField(
        COLUMN_NAMES["latitude"],
        render_kw={"inputmode": "decimal"},
        description=_l("Decimal degrees, e.g. 31.188 (optional; give both or neither)."),
    )
    longitude = StringField(
        COLUMN_NAMES["longitude"],
        render_kw={"inputmode": "decimal"},
        description=_l("Decimal degrees, e.g. 121.437."),
    )
    radius_m = StringField(
        COLUMN_NAMES["radius_m"],
        render_kw={"inputmode": "numeric"},
        description=_l("Check-ins farther from the site than this are flagged, not refused."),
    )
    submit = SubmitField(_l("Save"))

    def values(self) -> dict[str, str]:
        """What was typed, for `customers.check_customer`."""
        return {
            name: self[name].data or ""
            for name in ("code", "name", "address", "kind", "latitude", "longitude", "radius_m")
        }

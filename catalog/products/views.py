"""A producer's products: list with quick edit, create, edit, tiers, quality marks, photos, and the
application for certification. Every page is for members of the product's producer only (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from catalog.access import is_member, producer_member_required, producers_of
from catalog.certification import services as certification
from catalog.certification.services import CertificationError, application_blocker, certificate_state
from catalog.products import certified, photos
from catalog.products import services as products
from catalog.products.errors import ProductError
from catalog.products.forms import (
    ConfirmForm,
    ImageForm,
    NewProductForm,
    ProductForm,
    QualityMarksForm,
    QuickEditForm,
    TiersForm,
    suffix_ids,
)
from catalog.products.models import CERTIFIED_FACTS, Certification, Product
from core.access import ensure
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.ids import query_id
from core.pagination import paginate

bp = Blueprint("products", __name__, url_prefix="/producer/products")


def member_product(product_id: int) -> Product:
    """Load a product the signed-in user acts for: 404 if it does not exist, 403 if it is not theirs."""
    product = get_or_404(Product, product_id)
    ensure(is_member(current_user, product.producer))
    return product


def field_error(form: Any, exc: ProductError | CertificationError) -> str | None:
    """Put a service error on its form field; return the message if it belongs to no field of ``form``."""
    db_session.rollback()
    name = exc.field
    if name and name in form:
        form[name].errors = [*form[name].errors, str(exc)]
        return None
    return str(exc)


def product_data(product: Product) -> dict[str, Any]:
    """A product's values as form data (price in fen: the yuan field formats it)."""
    return {
        "name": product.name,
        "name_en": product.name_en,
        "category": product.category.value,
        "description": product.description,
        "unit": product.unit.value,
        "net_weight_g": product.net_weight_g,
        "specification": product.specification,
        "price": product.price_fen,
        "institution_moq": product.institution_moq,
        "monthly_capacity": product.monthly_capacity,
        "season_start": product.season_start,
        "season_end": product.season_end,
        "is_cold_chain": product.is_cold_chain,
        "brand": product.brand,
        "gtin": product.gtin,
        "is_active": product.is_active,
    }


def quick_form(product: Product) -> QuickEditForm:
    """The quick-edit form of one product in the list, filled from the product (never from the request)."""
    return suffix_ids(QuickEditForm(formdata=None, data=product_data(product)), str(product.id))


def render_index(
    failed: QuickEditForm | None = None, failed_id: int | None = None, status: int = 200
) -> ResponseReturnValue:
    """The product list; ``failed`` is the quick-edit form of product ``failed_id`` that did not validate."""
    query = (
        select(Product)
        .where(products.member_product_filter(current_user))
        .order_by(Product.producer_id, Product.name, Product.id)
    )
    page = paginate(db_session, query, request.args.get("page", type=int) or 1)
    today = shanghai_date()
    rows = []
    for product in page.items:
        form = (
            suffix_ids(failed, str(product.id)) if failed and product.id == failed_id else quick_form(product)
        )
        rows.append((product, certificate_state(product, today), form))
    producers = producers_of(current_user)
    return render_template(
        "catalog/products/index.html", page=page, rows=rows, producers=producers, failed_id=failed_id
    ), status


@bp.get("/")
@producer_member_required
def index() -> ResponseReturnValue:
    """The member's products across their producers, with certification state and quick edit."""
    return render_index()


@bp.post("/<id:product_id>/quick")
@producer_member_required
def quick_edit(product_id: int) -> ResponseReturnValue:
    """Save price, institution minimum, capacity, season and availability from the list."""
    product = member_product(product_id)
    form = QuickEditForm()
    status = 400
    if form.validate_on_submit():
        try:
            products.quick_update(db_session, current_user, product, form.to_edit())
        except ProductError as exc:
            if message := field_error(form, exc):
                flash(message, "error")
            status = exc.status
        else:
            db_session.commit()
            flash(_("Saved %(name)s.", name=product.name), "success")
            page = request.args.get("page", type=int)
            return redirect(url_for(".index", page=page) + f"#product-{product.id}")
    return render_index(form, product.id, status)


def certified_form(product: Product, frozen: Certification | None) -> ProductForm:
    """The details form of ``product``; while a certificate is valid (``frozen``), the facts it vouches for
    are shown read-only and, since browsers do not send disabled inputs, taken from the product."""
    formdata: Any = None
    if request.method == "POST":
        formdata = MultiDict(request.form)
        if frozen is not None:
            for name, value in product.fact_values().items():
                if name not in formdata:
                    formdata[name] = "" if value is None else str(value)
    form = ProductForm(formdata=formdata, data=product_data(product))
    if frozen is not None:
        for name in CERTIFIED_FACTS:
            form[name].render_kw = {**(form[name].render_kw or {}), "disabled": True}
            form[name].description = _("Certified: cannot change while the certificate is valid.")
    return form


def render_edit(
    product: Product, form: ProductForm, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    """The product's details page with its certification card."""
    today = shanghai_date()
    return render_template(
        "catalog/products/edit.html",
        product=product,
        form=form,
        frozen=certified.frozen_by(product, today),
        state=certificate_state(product, today),
        valid=product.valid_certificate_on(today),
        latest=product.current_certification(),
        blocker=application_blocker(product, today),
        apply_form=ConfirmForm(formdata=None),
        error=error,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@producer_member_required
def new() -> ResponseReturnValue:
    """Create a product for one of the member's producers."""
    producers = producers_of(current_user)
    form = NewProductForm(producer_id=query_id("producer"))
    form.producer_id.choices = [(p.id, p.name) for p in producers]
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        producer = next(p for p in producers if p.id == form.producer_id.data)
        try:
            product = products.create_product(db_session, current_user, producer, form.to_data())
        except ProductError as exc:
            if message := field_error(form, exc):
                flash(message, "error")
            status = exc.status
        else:
            db_session.commit()
            flash(
                _("Product %(name)s created. Add photos and apply for certification.", name=product.name),
                "success",
            )
            return redirect(url_for(".edit", product_id=product.id))
    return render_template("catalog/products/new.html", form=form), status


@bp.route("/<id:product_id>", methods=["GET", "POST"])
@producer_member_required
def edit(product_id: int) -> ResponseReturnValue:
    """Show and change a product's details."""
    product = member_product(product_id)
    form = certified_form(product, certified.frozen_by(product, shanghai_date()))
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            products.update_product(db_session, current_user, product, form.to_data())
        except ProductError as exc:
            if message := field_error(form, exc):
                flash(message, "error")
            status = exc.status
        else:
            db_session.commit()
            flash(_("Saved %(name)s.", name=product.name), "success")
            return redirect(url_for(".edit", product_id=product.id))
    return render_edit(product, form, status)


@bp.route("/<id:product_id>/tiers", methods=["GET", "POST"])
@producer_member_required
def tiers(product_id: int) -> ResponseReturnValue:
    """Set quantity tiers (from N units, each costs less)."""
    product = member_product(product_id)
    form = TiersForm(data=TiersForm.initial([(t.min_quantity, t.unit_price_fen) for t in product.tiers]))
    status, error = (400 if form.is_submitted() else 200), None
    if form.validate_on_submit():
        try:
            products.set_tiers(db_session, current_user, product, form.to_tiers())
        except ProductError as exc:
            error, status = field_error(form, exc), exc.status
        else:
            db_session.commit()
            flash(_("Quantity prices of %(name)s saved.", name=product.name), "success")
            return redirect(url_for(".tiers", product_id=product.id))
    return render_template("catalog/products/tiers.html", product=product, form=form, error=error), status


@bp.route("/<id:product_id>/quality-marks", methods=["GET", "POST"])
@producer_member_required
def quality_marks(product_id: int) -> ResponseReturnValue:
    """Set the green-food, organic and geographical-indication certificate numbers."""
    product = member_product(product_id)
    form = QualityMarksForm(data={mark.kind.value: mark.certificate_no for mark in product.quality_marks})
    status, error = (400 if form.is_submitted() else 200), None
    if form.validate_on_submit():
        try:
            products.set_quality_marks(db_session, current_user, product, form.to_marks())
        except ProductError as exc:
            error, status = field_error(form, exc), exc.status
        else:
            db_session.commit()
            flash(_("Quality marks of %(name)s saved.", name=product.name), "success")
            return redirect(url_for(".quality_marks", product_id=product.id))
    return render_template(
        "catalog/products/quality_marks.html", product=product, form=form, error=error
    ), status


@bp.post("/<id:product_id>/certification")
@producer_member_required
def apply(product_id: int) -> ResponseReturnValue:
    """Apply for 消费帮扶产品认定 of the product."""
    product = member_product(product_id)
    form = ConfirmForm()
    frozen = certified.frozen_by(product, shanghai_date())
    if not form.validate_on_submit():
        return render_edit(product, certified_form(product, frozen), 400)
    try:
        certification.apply_for_certification(db_session, current_user, product)
    except CertificationError as exc:
        db_session.rollback()
        return render_edit(product, certified_form(product, frozen), exc.status, str(exc))
    db_session.commit()
    flash(_("Application for %(name)s sent to the county office.", name=product.name), "success")
    return redirect(url_for(".edit", product_id=product.id))


def render_images(
    product: Product, form: ImageForm, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    """The product's photos with the upload form."""
    return render_template(
        "catalog/products/images.html",
        product=product,
        form=form,
        remove_form=ConfirmForm(formdata=None),
        max_images=photos.MAX_IMAGES,
        error=error,
    ), status


@bp.get("/<id:product_id>/images")
@producer_member_required
def images(product_id: int) -> ResponseReturnValue:
    """The product's photos."""
    product = member_product(product_id)
    return render_images(product, ImageForm(formdata=None))


@bp.post("/<id:product_id>/images")
@producer_member_required
def upload_image(product_id: int) -> ResponseReturnValue:
    """Add a photo through the safe image pipeline."""
    product = member_product(product_id)
    form = ImageForm()
    if not form.validate_on_submit():
        return render_images(product, form, 400)
    try:
        photos.add_product_image(
            db_session, current_user, product, form.image.data.stream, current_app.config["UPLOAD_DIR"]
        )
    except ProductError as exc:
        return render_images(product, form, exc.status, field_error(form, exc))
    db_session.commit()
    flash(_("Photo added."), "success")
    return redirect(url_for(".images", product_id=product.id))


@bp.post("/<id:product_id>/images/<id:image_id>/remove")
@producer_member_required
def remove_image(product_id: int, image_id: int) -> ResponseReturnValue:
    """Remove a photo and its files."""
    product = member_product(product_id)
    image = photos.image_of(product, image_id)
    if image is None:
        return render_images(product, ImageForm(formdata=None), 404, _("This photo no longer exists."))
    if not ConfirmForm().validate_on_submit():
        return render_images(product, ImageForm(formdata=None), 400)
    photos.remove_product_image(db_session, current_user, image, current_app.config["UPLOAD_DIR"])
    db_session.commit()
    flash(_("Photo removed."), "success")
    return redirect(url_for(".images", product_id=product.id))

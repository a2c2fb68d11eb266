"""Reading and checking bulk order lists: encodings, separators, headers, limits, the line-by-line report."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session

from catalog.producers.models import ProducerStatus
from catalog.products.models import CertificationStatus
from catalog.validators import compute_gtin_check_digit
from core.clock import shanghai_date
from procurement.ordering import bulk
from procurement.ordering.bulk_csv import (
    MAX_FILE_BYTES,
    EmptyList,
    FileTooLarge,
    ListLine,
    MalformedCsv,
    NotCsv,
    TooManyLines,
    parse_text,
    read_upload,
)
from procurement.ordering.services import BelowMinimum, PurchaseLineInput
from tests.conftest import make_certificate
from tests.procurement.conftest import ProcurementWorld


def gtin(body: str) -> str:
    """A GTIN-13 with its correct check digit."""
    return body + compute_gtin_check_digit(body)


def read(data: bytes) -> list[tuple[str, str, str]]:
    """The (reference, quantity, origin) triples read from an uploaded file's bytes."""
    return [(line.reference, line.quantity, line.origin) for line in read_upload(io.BytesIO(data)).lines]


def check(db: Session, *lines: tuple[str, str]) -> bulk.BulkReport:
    """Check list lines given as (reference, quantity) pairs."""
    return bulk.check_list(db, [ListLine(ref, qty, str(n)) for n, (ref, qty) in enumerate(lines, 1)], today())


def today() -> date:
    """Today in Asia/Shanghai."""
    return shanghai_date()


# --- reading the file ---------------------------------------------------------------------------------------


def test_utf8_with_bom_header_and_blank_lines() -> None:
    data = "\ufeff产品编号,数量\r\n\r\n12,100\r\n  \r\n6901234567892 , 20\r\n".encode()
    parsed = read_upload(io.BytesIO(data))
    assert [(line.reference, line.quantity, line.origin) for line in parsed.lines] == [
        ("12", "100", "3"),
        ("6901234567892", "20", "5"),
    ]
    assert parsed.header_line == 1 and parsed.blank_lines == 2 and parsed.encoding == "utf-8"


def test_gbk_file_with_chinese_semicolons_and_full_width_digits() -> None:
    data = "条码；数量\n６９０１２３４５６７８９２；１５\n".encode("gbk")
    parsed = read_upload(io.BytesIO(data))
    assert [(line.reference, line.quantity) for line in parsed.lines] == [("6901234567892", "15")]
    assert parsed.encoding == "gb18030"


def test_chinese_commas_without_header() -> None:
    assert read("12，30\n13，40\n".encode()) == [("12", "30", "1"), ("13", "40", "2")]


def test_utf16_spreadsheet_text_with_tabs() -> None:
    data = "id\tquantity\n7\t3\n".encode("utf-16")
    assert read(data) == [("7", "3", "2")]


def test_header_names_columns_in_any_order_and_other_columns_are_ignored() -> None:
    text = "名称,数量,条码,备注\n西红柿,50,6901234567892,早上送\n腊肉,,6901234567892,\n"
    parsed = parse_text(text)
    assert [(line.reference, line.quantity) for line in parsed.lines] == [
        ("6901234567892", "50"),
        ("6901234567892", ""),
    ]


def test_spreadsheet_file_is_refused_with_advice() -> None:
    with pytest.raises(NotCsv) as caught:
        read_upload(io.BytesIO(b"PK\x03\x04\x14\x00\x06\x00 xlsx body"))
    assert "CSV" in str(caught.value)


def test_file_over_one_megabyte_is_refused() -> None:
    with pytest.raises(FileTooLarge):
        read_upload(io.BytesIO(b"12,1\n" * (MAX_FILE_BYTES // 5 + 1)))


def test_two_hundred_lines_are_read_but_not_two_hundred_and_one() -> None:
    assert len(read(b"12,1\n" * 200)) == 200
    with pytest.raises(TooManyLines) as caught:
        read(b"12,1\n\n" * 201)
    assert "201" in str(caught.value) and "200" in str(caught.value)


def test_empty_file_and_header_only_file_are_refused() -> None:
    for data in (b"", b"\n \n", "产品编号,数量\n".encode()):
        with pytest.raises(EmptyList):
            read(data)


def test_unclosed_quotation_mark_names_the_line() -> None:
    with pytest.raises(MalformedCsv) as caught:
        read(b'12,5\n"13,6\n14,7\n')
    assert "2" in str(caught.value)


# --- checking the lines -------------------------------------------------------------------------------------


def test_ready_lines_get_tier_prices_and_totals_per_producer(db: Session, pw: ProcurementWorld) -> None:
    report = check(db, (str(pw.tomatoes.id), "120"), (str(pw.pork.id), "3"))
    assert report.is_ready
    tomato, pork = report.lines
    assert (tomato.product, tomato.quantity, tomato.unit_price_fen, tomato.total_fen) == (
        pw.tomatoes,
        120,
        500,
        60_000,
    )
    assert tomato.below_retail and not pork.below_retail
    assert report.total_fen == 60_000 + 3 * 9800
    assert [(g.producer, g.subtotal_fen) for g in report.groups()] == [
        (pw.shule, 60_000),
        (pw.chengkou, 29_400),
    ]
    assert report.order_lines() == [PurchaseLineInput(pw.tomatoes.id, 120), PurchaseLineInput(pw.pork.id, 3)]


def test_products_are_found_by_barcode(db: Session, pw: ProcurementWorld) -> None:
    pw.pork.gtin = "0" + gtin("697123456789")
    db.flush()
    report = check(db, (gtin("697123456789"), "2"), ("0" + gtin("697123456789"), "1"))
    assert report.is_ready and len(report.lines) == 1  # the same product twice: merged
    assert report.lines[0].product == pw.pork and report.lines[0].quantity == 3


def test_wrong_check_digit_is_named(db: Session, pw: ProcurementWorld) -> None:
    good = gtin("697123456789")
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    line = check(db, (wrong, "5")).lines[0]
    assert isinstance(line.problems[0], bulk.BarcodeCheckDigit)
    assert f"should be {good[-1]}" in str(line.problems[0])
    assert line.product is None and not line.is_ok


def test_unknown_ids_and_barcodes_and_garbage(db: Session, pw: ProcurementWorld) -> None:
    report = check(
        db, ("999999", "5"), (gtin("697000000001"), "5"), ("西红柿", "5"), ("", "5"), ("123456789", "1")
    )
    kinds = [type(line.problems[0]) for line in report.lines]
    assert kinds == [
        bulk.UnknownProductId,
        bulk.UnknownBarcode,
        bulk.UnreadableReference,
        bulk.MissingReference,
        bulk.BarcodeInvalid,  # nine digits: not a barcode length
    ]
    assert "999999" in str(report.lines[0].problems[0])
    assert not report.is_ready and report.total_fen == 0 and report.order_lines() == []


def test_quantities_must_be_whole_numbers_in_range(db: Session, pw: ProcurementWorld) -> None:
    pid = str(pw.pork.id)
    report = check(db, (pid, "2.5"), (pid, "3kg"), (pid, ""), (pid, "0"), (pid, "-4"), (pid, "99999999"))
    kinds = [type(line.problems[0]) for line in report.lines]
    assert kinds == [
        bulk.QuantityNotWhole,
        bulk.QuantityNotWhole,
        bulk.MissingQuantity,
        bulk.QuantityOutOfRange,
        bulk.QuantityNotWhole,
        bulk.QuantityOutOfRange,
    ]
    assert "2.5" in str(report.lines[0].problems[0])


def test_spreadsheet_number_formats_are_accepted(db: Session, pw: ProcurementWorld) -> None:
    report = check(db, (str(pw.tomatoes.id), "1,200"), (str(pw.pork.id), "12.00"))
    assert [line.quantity for line in report.lines] == [1200, 12] and report.is_ready


def test_below_minimum_is_checked_after_merging_duplicates(db: Session, pw: ProcurementWorld) -> None:
    report = check(db, (str(pw.tomatoes.id), "30"), (str(pw.pork.id), "1"), (str(pw.tomatoes.id), "30"))
    assert report.is_ready and [line.quantity for line in report.lines] == [60, 1]
    assert "3" in str(report.lines[0].notes[0])  # says which line was merged into it
    below = check(db, (str(pw.tomatoes.id), "20"), (str(pw.tomatoes.id), "20")).lines
    assert len(below) == 1 and isinstance(below[0].problems[0], BelowMinimum)
    assert "50" in str(below[0].problems[0])


def test_uncertified_expired_and_withdrawn_products_are_refused(
    db: Session, pw: ProcurementWorld, make_product: Callable, make_producer: Callable
) -> None:
    plain = make_product(pw.shule, name="未认定的南瓜")
    expired = make_product(pw.shule, name="过期的红枣")
    make_certificate(
        db,
        expired,
        valid_from=today().replace(year=today().year - 2),
        valid_to=today().replace(year=today().year - 1),
    )
    revoked = make_product(pw.shule, name="撤销的核桃")
    make_certificate(db, revoked, status=CertificationStatus.REVOKED)
    hidden = make_product(pw.shule, name="下架的洋葱", certified=True, is_active=False)
    suspended = make_product(
        make_producer(status=ProducerStatus.SUSPENDED), name="暂停的羊肉", certified=True
    )
    lines = check(db, *((str(p.id), "100") for p in (plain, expired, revoked, hidden, suspended))).lines
    kinds = [type(line.problems[0]) for line in lines]
    assert kinds == [bulk.NotCertified] * 3 + [bulk.ProductUnavailable] * 2
    assert "未认定的南瓜" in str(lines[0].problems[0])
    assert "下架的洋葱" not in str(lines[3].problems[0]) and lines[3].product is None  # not revealed


def test_more_than_two_hundred_lines_are_refused(db: Session, pw: ProcurementWorld) -> None:
    with pytest.raises(TooManyLines):
        bulk.check_list(db, [ListLine(str(pw.pork.id), "1")] * 201, today())


def test_long_ids_can_be_marked_so_they_are_not_read_as_barcodes(db: Session, pw: ProcurementWorld) -> None:
    line = check(db, (f"#{pw.pork.id}", "1")).lines[0]
    assert line.product == pw.pork and line.is_ok
    assert bulk.reference_for(pw.pork) == str(pw.pork.id)

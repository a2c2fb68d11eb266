"""Fuzzing the institution's CSV order upload with CSV-shaped files: hostile rows and broken encodings.

The generic form fuzzer sends random bytes to file inputs; here the files look like order lists. Hypothesis
writes them with valid and invalid headers, every separator (half and full width, tabs), quoting with
embedded line breaks and unbalanced quotes, mixed line endings, formula-injection and markup cells, huge,
negative and full-width quantities, barcodes with wrong check digits, ids beyond 64 bits, from none to
hundreds of thousands of rows, in UTF-8 with and without BOM, GBK/GB18030, UTF-16 LE/BE with and without
BOM, UTF-32, Latin-1, with invalid UTF-8, NUL bytes and truncations.

Properties: a well-formed list is read back exactly (cells, file line numbers, encoding); an upload is
answered 200 with the line-by-line review or a 4xx whose message is the Chinese one for what was wrong, never
a 5xx; markup in a cell is escaped; and nothing is ever written to the purchase-order tables (an upload only
stages the list for the review page).
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from catalog.validators import compute_gtin_check_digit
from core.clock import shanghai_date
from core.models import User
from procurement.ordering import bulk
from procurement.ordering.bulk_csv import (
    MAX_CELL,
    MAX_FILE_BYTES,
    MAX_LIST_LINES,
    EmptyList,
    FileTooLarge,
    ListFileError,
    MalformedCsv,
    NotCsv,
    TooManyLines,
    UnreadableText,
    read_upload,
)
from procurement.ordering.services import MAX_QUANTITY
from tests.conftest import row_count
from tests.procurement import conftest as procurement
from tests.procurement.conftest import ProcurementWorld
from tests.support import examples

pw = procurement.pw  # the procurement world fixture (a verified institution, two certified products)

#: Where a submitted list would be written; an upload must leave them alone.
ORDER_TABLES = (
    "shop_purchase_order",
    "shop_supplier_order",
    "shop_supplier_line",
    "shop_supplier_allocation",
)
#: The Chinese messages (translations/zh_Hans_CN) of the errors about a file as a whole.
ZH_FILE_ERRORS: dict[type[ListFileError], str] = {
    FileTooLarge: "文件超过 {max} KB，请将清单拆分后分批上传。",
    NotCsv: "这不是 CSV 文本文件。请在 Excel 或 WPS 中选择“另存为”→“CSV（逗号分隔）”，再上传该文件。",
    UnreadableText: "无法识别文件的文字编码。请另存为 UTF-8 或 GBK 编码的 CSV 后重试。",
    MalformedCsv: "文件第 {line} 行无法读取：引号位置有误或未闭合。",
    EmptyList: "文件中没有填写产品和数量的行。",
    TooManyLines: "清单共 {count} 行，一次最多可订购 {max} 行。",
}
ZH_WRONG_EXTENSION = "请上传 .csv 文件（从表格软件另存的 .txt 文件也可以）。"
#: Cells that must never reach a page unescaped.
MARKUP = ("<script>alert(1)</script>", '"><svg onload=alert(1)>', "'><img src=x onerror=alert(1)>")
RAW_MARKUP = ("<script>alert(1)", "<svg onload", "<img src=x")
FORMULAS = ("=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.test","点我")', "+1+1", "-2+3", "@SUM(1+1)")
GTIN = "697123456789" + compute_gtin_check_digit("697123456789")
WRONG_GTIN = GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10)
ORIGIN = re.compile(r'name="origin" value="([^"]*)"')


def upload(client: FlaskClient, data: bytes, name: str = "list.csv") -> TestResponse:
    """Post ``data`` as the order-list file of the upload form.

    The body is encoded in memory: the test client would spool a large one to a temporary file it never
    closes (a ResourceWarning, an error under ``filterwarnings=error``).
    """
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name, content_type="text/csv")})
    return client.post(
        "/procurement/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def order_rows(db: Session) -> tuple[int, ...]:
    """Row counts of the purchase-order tables."""
    return tuple(row_count(db, table) for table in ORDER_TABLES)


def zh_message(exc: ListFileError) -> str:
    """The Chinese text the upload page shows for ``exc``."""
    return ZH_FILE_ERRORS[type(exc)].format(**exc.params)


def expected_outcome(db: Session, data: bytes) -> ListFileError | bulk.BulkReport:
    """What the upload of ``data`` should answer: the error about the file, or the checked list."""
    try:
        parsed = read_upload(io.BytesIO(data))
        return bulk.check_list(db, parsed.lines, shanghai_date())
    except ListFileError as exc:
        return exc


def cleaned(cell: str) -> str:
    """A cell as the list reader keeps it: NFKC, no control or format characters, spaces collapsed, cut."""
    text = unicodedata.normalize("NFKC", cell)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    return " ".join(text.split())[:MAX_CELL]


def line_breaks(text: str) -> int:
    """How many line ends (``\\r\\n``, ``\\r`` or ``\\n``) ``text`` has."""
    return len(re.findall(r"\r\n|\r|\n", text))


@pytest.fixture(autouse=True)
def nothing_ordered(db: Session) -> Iterator[None]:
    """After every test: the purchase-order tables hold what they held before (an upload stages only)."""
    before = order_rows(db)
    yield
    db.expire_all()
    assert order_rows(db) == before


@pytest.fixture()
def buyer(db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]) -> FlaskClient:
    """The institution's buyer, signed in, reading the default language (Chinese); pork has a barcode."""
    pw.pork.gtin = "0" + GTIN
    db.flush()
    return as_user(pw.buyer)


# --- well-formed lists are read back exactly ----------------------------------------------------------------

#: Headers with the column of the product reference and of the quantity; other columns are ignored.
HEADERS = (
    (("产品编号", "数量"), 0, 1),
    (("数量", "商品编码", "品名"), 1, 0),
    (("Product ID", "Qty"), 0, 1),
    (("品名", "条码", "订购数量"), 1, 2),
    (("编号", "备注", "数量"), 0, 2),
    (("ＩＤ", "数量（箱）"), 0, 1),
)
#: Characters of a reference or quantity cell: digits of every width, separators of every width, quotes,
#: spaces and invisible or odd separators (which do not end a line), formula and markup signs.
CELL_CHARS = "0123456789１２３０#-+=@.,;，；\"'＂ \t\u3000\u00a0\u200b\ufeff\u2028\u0085\x0b\x0c\x1e<>/|!A"
CELL = st.one_of(
    st.sampled_from(
        ["12", "１２", "6901234567892", "#99999999999999999999", "1,200", "1，200", "12.0", "-5"]
    ),
    st.sampled_from(FORMULAS + MARKUP),
    st.text(alphabet=CELL_CHARS, max_size=12),
    st.text(max_size=50).filter(lambda text: not set(text) & set("\r\n\x00")),
)
#: A free-text cell (a product name, a note): anything, line breaks included.
TEXT = st.one_of(
    st.sampled_from(["西红柿，新鲜", "请尽快送达；谢谢", "第一行\n第二行", "a\r\nb\rc", '“引号”"', ""]),
    st.text(max_size=30).filter(lambda text: "\x00" not in text),
)
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le+bom", "utf-16-be+bom")


def encode(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding`` (``…+bom``: with the byte-order mark; ``…-nobom``: without)."""
    name, _, mark = encoding.partition("+")
    name = name.removesuffix("-nobom")
    data = text.encode(name, errors="replace")
    if mark == "bom":
        data = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[name] + data
    return data


@dataclass
class WrittenList:
    """A list file as written, and what reading it must give back."""

    data: bytes
    expected: list[tuple[str, str, str]]  # (reference, quantity, file line)
    encoding: str


@st.composite
def well_formed_lists(draw: st.DrawFn) -> WrittenList:
    """A list written by the csv module: a header, rows with a reference, a quantity and free text."""
    names, ref_at, qty_at = draw(st.sampled_from(HEADERS))
    delimiter = draw(st.sampled_from([",", ";", "\t", "，", "；"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    text, expected = "", []

    def write(cells: list[str]) -> None:
        nonlocal text
        buffer = io.StringIO()
        ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        # Written with \r\n so that the writer quotes every cell with a \r or \n, then the chosen ending
        csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\r\n").writerow(cells)
        text += buffer.getvalue()[:-2] + ending * draw(st.integers(1, 2))  # sometimes a blank line after it

    text += draw(st.sampled_from(["", "\n", "\r\n \r\n"]))  # blank lines before the header
    write(list(names))
    for _ in range(draw(st.integers(0, 12))):
        cells = [draw(TEXT) for _ in names]
        cells[ref_at], cells[qty_at] = draw(CELL), draw(CELL)
        if any(cleaned(cell) for cell in cells):
            expected.append((cleaned(cells[ref_at]), cleaned(cells[qty_at]), str(line_breaks(text) + 1)))
        write(cells)
    encoding = draw(st.sampled_from(ENCODINGS))
    return WrittenList(encode(text, encoding), expected, encoding)


@settings(max_examples=examples(120), deadline=None, database=None, derandomize=True)
@given(written=well_formed_lists())
def test_well_formed_lists_are_read_back_exactly(written: WrittenList) -> None:
    """Cells (also with full-width commas, U+2028 or form feeds inside), file line numbers and encoding."""
    data, utf16 = written.data, written.encoding.startswith("utf-16")
    if written.encoding == "gb18030":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            assume(False)  # ASCII, or GB18030 bytes that happen to be valid UTF-8 too: read as UTF-8
    if not written.expected:
        with pytest.raises(EmptyList):
            read_upload(io.BytesIO(data))
        return
    parsed = read_upload(io.BytesIO(data))
    assert [(line.reference, line.quantity, line.origin) for line in parsed.lines] == written.expected
    assert parsed.encoding == ("utf-16" if utf16 else "gb18030" if written.encoding == "gb18030" else "utf-8")


# --- any upload: never a 5xx, a clear Chinese 4xx, nothing ordered ----------------------------------------


HOSTILE_HEADERS = (
    None,
    None,
    "产品编号,数量",
    "条码；数量",
    "数量\t商品编号\t备注",
    "产品编号，数量",
    "名称,规格",
    "=1+1,@A1",
)
HOSTILE_ENCODINGS = (
    *("utf-8", "utf-8", "utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le+bom", "utf-16-be+bom"),
    *("utf-16-le-nobom", "utf-16-be-nobom", "utf-32", "latin-1"),
)


@st.composite
def hostile_uploads(draw: st.DrawFn, references: list[str]) -> tuple[bytes, str]:
    """A CSV-shaped file, often broken, and its file name."""
    reference = st.one_of(
        st.sampled_from([*references, "#" + references[0], "9" * 25, "#" + "9" * 25, "0", "-1", ""]),
        st.sampled_from(["0" + GTIN, GTIN, WRONG_GTIN, "6901234567890", "123456789", "１２"]),
        st.sampled_from(FORMULAS + MARKUP),
        CELL,
    )
    quantity = st.one_of(
        st.sampled_from(["1", "60", "１２", "1,200", "1，200", "12.0", "2.5", "0", "-5", "1e9", "+3", ""]),
        st.sampled_from(["1" + "0" * 30, "9" * 40, str(MAX_QUANTITY), str(MAX_QUANTITY + 1), "NaN", "∞"]),
        st.sampled_from(FORMULAS + MARKUP),
        CELL,
    )
    header = draw(st.sampled_from(HOSTILE_HEADERS))
    delimiter = draw(st.sampled_from([",", ";", "\t", "，", "；", "|", " "]))
    rows = [
        [draw(reference), draw(quantity), *draw(st.lists(TEXT, max_size=2))][: draw(st.integers(0, 4))]
        for _ in range(draw(st.integers(0, 12)))
    ]
    lines = [header] if header else []
    quoting = draw(st.sampled_from(["writer", "writer", "writer", "naive", "all"]))
    for cells in rows:
        if quoting == "writer":  # as a spreadsheet would: quotes where needed (line breaks, separators)
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(cells)
            lines.append(buffer.getvalue()[:-2])
        elif quoting == "all":  # every cell quoted, quotes doubled
            lines.append(delimiter.join('"' + cell.replace('"', '""') + '"' for cell in cells))
        else:  # as typed by hand: stray quotes and line breaks left as they are
            lines.append(delimiter.join(cells))
    endings = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    text = "".join(
        line + (draw(st.sampled_from(["\n", "\r\n", "\r"])) if endings == "mixed" else endings)
        for line in lines
    )
    # around the line limit, thousands of lines, and over the size limit
    many = draw(st.sampled_from([0] * 8 + [MAX_LIST_LINES - 1, MAX_LIST_LINES + 1, 3000, 250_000]))
    text += f"{references[0]},1\n" * many
    data = encode(text, draw(st.sampled_from(HOSTILE_ENCODINGS)))
    damage = draw(st.sampled_from(["none"] * 6 + ["insert", "truncate", "prefix"]))
    if damage == "insert":  # invalid UTF-8, a NUL, a stray quote or half a UTF-16 character
        at = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff\xfe\xfd", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b'"', b"\x81"]))
        data = data[:at] + bad + data[at:]
    elif damage == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == "prefix":
        data = (
            draw(st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"PK\x03\x04", b"%PDF-1.7\n"])) + data
        )
    name = draw(
        st.sampled_from(["list.csv"] * 12 + ["清单.CSV", "list.txt", "list.tsv", "list.xlsx", "list"])
    )
    return data, name


def test_hostile_uploads_are_answered_200_or_a_chinese_4xx_and_order_nothing(
    db: Session, pw: ProcurementWorld, buyer: FlaskClient
) -> None:
    before = order_rows(db)
    references = [str(pw.pork.id), str(pw.tomatoes.id)]
    seen: set[int] = set()

    @settings(
        max_examples=examples(60),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(file=hostile_uploads(references))
    def check(file: tuple[bytes, str]) -> None:
        data, name = file
        response = upload(buyer, data, name)
        page = response.get_data(as_text=True)
        seen.add(response.status_code)
        assert response.status_code in (200, 400), (response.status_code, page[-500:])
        assert not any(raw in page for raw in RAW_MARKUP)
        if not name.lower().endswith((".csv", ".txt", ".tsv")):
            assert response.status_code == 400 and ZH_WRONG_EXTENSION in page
            return
        outcome = expected_outcome(db, data)
        if isinstance(outcome, ListFileError):
            assert response.status_code == outcome.status == 400
            assert html.escape(zh_message(outcome), quote=False) in page
        else:
            assert response.status_code == 200 and "核对采购清单" in page
            assert ORIGIN.findall(page) == [line.origin for line in outcome.lines]
        assert order_rows(db) == before

    check()
    assert seen == {200, 400}  # both kinds of answer were exercised


# --- the nastiest cases, one by one -------------------------------------------------------------------------

LIST = "产品编号,数量\r\n{pork},3\r\n\r\n{tomatoes},120\r\n"


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE], ids=["le", "be"])
def test_utf16_with_bom_is_read_to_the_right_lines(
    db: Session, pw: ProcurementWorld, buyer: FlaskClient, bom: bytes
) -> None:
    text = LIST.format(pork=pw.pork.id, tomatoes=pw.tomatoes.id)
    data = bom + text.encode("utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be")
    response = upload(buyer, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ORIGIN.findall(page) == ["2", "4"]
    assert "测试老腊肉" in page and "测试西红柿" in page and "第 1 行识别为表头。" in page
    assert "从文件中读取了 2 行。" in page and "已忽略 1 个空行。" in page


def test_utf16_without_bom_is_refused_in_chinese(pw: ProcurementWorld, buyer: FlaskClient) -> None:
    data = LIST.format(pork=pw.pork.id, tomatoes=pw.tomatoes.id).encode("utf-16-le")
    response = upload(buyer, data)
    assert response.status_code == 400
    assert html.escape(ZH_FILE_ERRORS[NotCsv], quote=False) in response.get_data(as_text=True)


def test_gbk_is_read_and_said_so(db: Session, pw: ProcurementWorld, buyer: FlaskClient) -> None:
    text = f"品名；产品编号；数量\n老腊肉，切片；{pw.pork.id}；２\n西红柿；{pw.tomatoes.id}；1，200\n"
    response = upload(buyer, text.encode("gbk"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "文件按 GBK/GB18030 编码读取。" in page
    assert ORIGIN.findall(page) == ["2", "3"]
    assert 'name="qty" value="2"' in page and 'name="qty" value="1,200"' in page


def test_formula_and_markup_cells_are_shown_as_escaped_text(
    db: Session, pw: ProcurementWorld, buyer: FlaskClient
) -> None:
    rows = [f'"{cell.replace(chr(34), chr(34) * 2)}",1' for cell in FORMULAS + MARKUP]
    rows.append(f"{pw.pork.id},=1+2")
    response = upload(buyer, ("\n".join(rows) + "\n").encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert not any(raw in page for raw in RAW_MARKUP)
    for cell in FORMULAS + MARKUP:
        shown = str(escape(cell))
        assert f'name="ref" value="{shown}"' in page  # kept as typed, escaped in the attribute
        assert f"“{shown}”既不是产品编号，也不是商品条码（只能填写数字）。" in page
    assert "“=1+2”不是整数数量。" in page  # the formula is text, never evaluated to 3


def test_huge_negative_and_oddly_written_quantities_and_references(
    db: Session, pw: ProcurementWorld, buyer: FlaskClient
) -> None:
    pork = pw.pork.id
    text = (
        f"{pork},{10**30}\n{pork},-5\n{pork},1e9\n{pork},１２\n{WRONG_GTIN},1\n{'9' * 25},1\n#{'9' * 25},1\n"
    )
    response = upload(buyer, text.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count(f"请输入 1 至 {MAX_QUANTITY} 之间的数量。") == 1  # 10**30 is whole, but out of range
    assert "“-5”不是整数数量。" in page and "“1e9”不是整数数量。" in page
    assert 'name="qty" value="12"' in page  # full-width digits
    assert f"商品条码 {WRONG_GTIN} 有误：最后一位（校验位）应为 {GTIN[-1]}" in page
    assert f"没有编号为 {'9' * 25} 的产品。" in page


def test_line_separators_inside_a_cell_do_not_split_the_line() -> None:
    """Regression: U+2028, NEL, form feeds and record separators are text, not line ends."""
    text = "产品编号,品名,数量\n12,西红柿\u2028新鲜\x0c特级\u0085,5\n13,腊肉\x1e,6\n"
    parsed = read_upload(io.BytesIO(text.encode()))
    assert [(line.reference, line.quantity, line.origin) for line in parsed.lines] == [
        ("12", "5", "2"),
        ("13", "6", "3"),
    ]


def test_a_full_width_comma_inside_a_cell_does_not_split_it() -> None:
    """Regression: a name or a Chinese thousands separator with ， no longer shifts or cuts the quantity,
    while lines typed with the other width of separator are still read."""
    text = "产品编号,品名,数量\n12,西红柿，新鲜,5\n13,腊肉,1，200\n14，咸菜，7\n"
    parsed = read_upload(io.BytesIO(text.encode()))
    assert [(line.reference, line.quantity) for line in parsed.lines] == [
        ("12", "5"),
        ("13", "1,200"),
        ("14", "7"),
    ]
    text = "产品编号；数量\n12；3\n13;4\n"
    assert [(line.reference, line.quantity) for line in read_upload(io.BytesIO(text.encode())).lines] == [
        ("12", "3"),
        ("13", "4"),
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EmptyList),
        ("产品编号,数量\r\n\r\n".encode(), EmptyList),
        (codecs.BOM_UTF8, EmptyList),
        (b"12,3\n\xff\xfe\xfd,4\n", UnreadableText),
        ("Menge;Stück\n12;3\nÄpfel;Maß\n".encode("latin-1"), UnreadableText),  # ß then \n: not GB18030
        (b"12,3\x00\n", NotCsv),
        (b'12,"3\n34,5\n', MalformedCsv),
        (b"12,3\n" * (MAX_LIST_LINES + 1), TooManyLines),
        (b"12,3\n" * 5000, TooManyLines),
        (b"12,3\n" * (MAX_FILE_BYTES // 5 + 1), FileTooLarge),
    ],
    ids=["empty", "header-only", "bom-only", "bad-utf8", "latin1", "nul", "unclosed", "201", "5000", "1mb"],
)
def test_unreadable_files_are_refused_with_their_chinese_message(
    db: Session, buyer: FlaskClient, data: bytes, error: type[ListFileError]
) -> None:
    response = upload(buyer, data)
    outcome = expected_outcome(db, data)
    assert isinstance(outcome, error) and response.status_code == 400
    assert html.escape(zh_message(outcome), quote=False) in response.get_data(as_text=True)


def test_two_hundred_lines_are_reviewed(db: Session, pw: ProcurementWorld, buyer: FlaskClient) -> None:
    response = upload(buyer, "".join(f"{n},1\n" for n in range(1, MAX_LIST_LINES + 1)).encode())
    assert response.status_code == 200 and len(ORIGIN.findall(response.get_data(as_text=True))) == 200


def test_a_request_over_the_upload_limit_is_refused_with_413(buyer: FlaskClient) -> None:
    response = upload(buyer, b"12,3\n" * (16 * 1024 * 1024 // 5 + 1))
    assert response.status_code == 413 and "文件太大。" in response.get_data(as_text=True)

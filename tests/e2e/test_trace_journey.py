"""A producer records a batch with its 合格证, ships it, prints labels; the label's QR opens the trace page.

Issue 5's journey, in real Chromium on a phone-sized page. The QR codes are decoded from the printed label
(PNG) and the label sheet (PDF, rasterised by poppler's pdftoppm) with zxing-cpp.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, expect

from core.clock import shanghai_date
from tests.e2e.helpers import log_in, phone

pytestmark = pytest.mark.e2e


def test_batch_to_label_to_trace_page_on_a_phone(browser: Browser, live_server: str, tmp_path: Path) -> None:
    base = live_server
    context = phone(browser)
    page = context.new_page()
    log_in(page, base, "producer@demo.bangfu.cn")

    # a batch of peppers with its compliance certificate
    page.goto(base + "/producer/batches/new")
    page.locator("label.pick-card", has_text="疏勒辣椒").click()
    page.fill("#quantity", "500")
    today = shanghai_date()
    page.fill("#produced_on", (today - timedelta(days=1)).isoformat())
    page.fill("#best_before", (today + timedelta(days=20)).isoformat())
    page.get_by_text("更多：产地和备注").click()  # the origin comes prefilled, folded away
    page.select_option("#origin_id", label="牙甫泉镇")
    page.get_by_text("合格证信息：").click()  # so does the contact number
    page.fill("#contact_phone", "139 1234 5678")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text("HGZ")  # the certificate number
    lot = re.search(r"\d{6}-[2-9A-Z]{4}", page.locator("main").inner_text()).group(0)  # type: ignore[union-attr]

    # record shipping
    page.get_by_role("link", name="运输", exact=True).first.click()
    page.fill("#ship_from", "疏勒县绿源蔬菜种植农民专业合作社")
    page.fill("#ship_to", "喀什地区冷链物流中心")
    page.fill("#waybill", "SF1234567890")
    page.locator("form[action$='/events'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("喀什地区冷链物流中心")

    # print: one PNG label and a sheet of 12; both carry the same scannable code
    batch_url = page.url.split("?")[0].split("#")[0]
    png = context.request.get(batch_url + "/label.png")
    assert png.status == 200 and png.headers["content-type"] == "image/png"
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.body())))
    trace_url = decoded.text
    assert trace_url == f"{base}/t/{lot}"
    pdf = context.request.get(batch_url + "/labels.pdf?count=12")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    (tmp_path / "sheet.pdf").write_bytes(pdf.body())
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-gray",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "sheet.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    [sheet] = sorted(tmp_path.glob("page*.png"))
    codes = {code.text for code in zxingcpp.read_barcodes(Image.open(sheet))}
    assert codes == {trace_url}

    # a consumer scans it: the trace page on a phone shows the chain, verified
    consumer = phone(browser).new_page()
    consumer.goto(trace_url)
    main = consumer.locator("main")
    expect(main).to_contain_text("疏勒辣椒")
    expect(main).to_contain_text(lot)
    expect(main).to_contain_text("牙甫泉镇")
    expect(main).to_contain_text("喀什地区冷链物流中心")
    expect(main).to_contain_text("SF1234567890")
    expect(consumer.get_by_text("记录链校验通过（共 3 个环节）")).to_be_visible()
    assert consumer.evaluate("document.documentElement.scrollWidth") <= 360
    data = consumer.request.get(trace_url, headers={"Accept": "application/json"}).json()
    assert data["chain"]["valid"] is True and data["recalled"] is False
    assert [e["kind"] for e in data["events"]] == ["commissioning", "inspection", "shipping"]
    consumer.context.close()
    context.close()

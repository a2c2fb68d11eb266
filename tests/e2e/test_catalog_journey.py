"""A cooperative registers, is approved, lists a product and gets it certified; the public then finds it.

Issue 4's journey, in real Chromium on phone-sized pages, with CSRF and everything else on.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from catalog.validators import compute_credit_code_check_digit, compute_org_code_check_digit
from core.clock import shanghai_date
from tests.e2e.helpers import log_in, phone, sign_up

pytestmark = pytest.mark.e2e


def credit_code() -> str:
    """A valid code for a cooperative (93) registered in 疏勒县 (653122)."""
    org = "MA7K3Q9P"
    org += compute_org_code_check_digit(org)
    first17 = "93" + "653122" + org
    return first17 + compute_credit_code_check_digit(first17)


def test_cooperative_to_certified_product_in_listing_search_public_list_and_api(
    browser: Browser, live_server: str
) -> None:
    base = live_server
    coop = phone(browser).new_page()
    sign_up(coop, base, "阿依古丽", "ayiguli@example.com", "ayiguli-pass-2026")

    # register the cooperative: a wrong check digit is explained, then the right code goes through
    coop.goto(base + "/producer/register")
    coop.fill("#name", "疏勒县巴仁乡胡萝卜种植农民专业合作社")
    coop.select_option("#kind", "cooperative")
    good = credit_code()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    coop.fill("#credit_code", wrong)
    coop.select_option("#county", "653122")
    coop.fill("#contact_name", "阿依古丽")
    coop.fill("#contact_phone", "13912345678")
    coop.fill("#lifted_households", "36")
    coop.fill("#monitored_households", "4")
    coop.locator("main button[type=submit]").click()
    expect(coop.get_by_text(re.compile("统一社会信用代码最后一位"))).to_be_visible()
    coop.fill("#credit_code", good)
    coop.locator("main button[type=submit]").click()
    expect(coop.locator("main")).to_contain_text("待审核")
    producer_id = int(re.search(r"/producer/(\d+)", coop.url).group(1))  # type: ignore[union-attr]

    # the reviewer of another county neither sees nor decides it
    other = phone(browser).new_page()
    log_in(other, base, "reviewer.chengkou@demo.bangfu.cn")
    other.goto(base + "/review/producers")
    expect(other.locator("main")).not_to_contain_text("胡萝卜种植")
    assert other.goto(base + f"/review/producers/{producer_id}").status == 403

    # the 疏勒县 reviewer approves it
    reviewer = phone(browser).new_page()
    log_in(reviewer, base, "reviewer.shule@demo.bangfu.cn")
    reviewer.goto(base + "/review/producers")
    reviewer.get_by_role("link", name=re.compile("胡萝卜种植")).click()
    reviewer.locator("button[name=action][value=approve]").click()
    expect(reviewer.locator("main")).to_contain_text("已通过")

    # the cooperative lists a product and applies for certification
    coop.goto(base + "/producer/products/new")
    coop.fill("#name", "疏勒巴仁胡萝卜")
    coop.select_option("#category", "vegetables")
    coop.select_option("#unit", "kg")
    coop.fill("#price", "6.50")
    coop.locator("main button[type=submit]").click()
    expect(coop.locator("main")).to_contain_text("疏勒巴仁胡萝卜")
    coop.get_by_role("button", name="申请认定").click()
    expect(coop.locator("main")).to_contain_text("审核中")

    # the reviewer certifies it
    reviewer.goto(base + "/review/certifications")
    reviewer.get_by_role("link", name=re.compile("疏勒巴仁胡萝卜")).first.click()
    today = shanghai_date()
    reviewer.fill("#certificate_no", "疏勒消帮认〔2026〕第101号")
    reviewer.fill("#authority", "疏勒县乡村振兴局")
    reviewer.fill("#valid_from", today.isoformat())
    reviewer.fill("#valid_to", (today + timedelta(days=365)).isoformat())
    reviewer.get_by_role("button", name="认定产品").click()
    expect(reviewer.locator("main")).to_contain_text("疏勒消帮认〔2026〕第101号")

    # anyone now finds it: listing, search inside names, public list, API
    visitor = phone(browser).new_page()
    visitor.goto(base + "/products?county=653122")
    expect(visitor.locator("main")).to_contain_text("疏勒巴仁胡萝卜")
    visitor.goto(base + "/products?q=胡萝卜")
    expect(visitor.locator("main")).to_contain_text("疏勒巴仁胡萝卜")
    visitor.goto(base + "/certified?county=653122")
    expect(visitor.locator("main")).to_contain_text("疏勒消帮认〔2026〕第101号")
    api = visitor.request.get(base + "/api/v1/products?q=胡萝卜").json()
    [item] = [i for i in api["items"] if i["name"] == "疏勒巴仁胡萝卜"]
    assert item["certified"] is True and item["price_fen"] == 650 and item["county_code"] == "653122"
    assert item["certificate"]["number"] == "疏勒消帮认〔2026〕第101号"
    for context in {p.context for p in (coop, other, reviewer, visitor)}:
        context.close()

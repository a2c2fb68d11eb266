"""No request may carry NUL (core.inputs): refused with a 400 that says why, on both databases alike."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from core.models import User


def test_nul_in_a_query_string_path_or_form_is_a_400_that_says_why(
    client: FlaskClient,
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    english: None,
) -> None:
    for url in ("/products?q=a%00b", "/t/261207%00X", "/certified?county%00=1"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "not allowed (NUL)" in response.get_data(as_text=True)
    api = client.get("/api/v1/products?q=%00")
    assert api.status_code == 400 and api.get_json()["error"]["status"] == 400
    signed_in = as_user(make_user())
    response = signed_in.post("/cart/add", data={"product_id": "1", "quantity": "1", "note": "x\x00"})
    assert response.status_code == 400


def test_other_text_passes(client: FlaskClient) -> None:
    assert client.get("/products?q=%E7%95%AA%E8%8C%84%20%0A").status_code == 200

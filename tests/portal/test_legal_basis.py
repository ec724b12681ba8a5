"""The legal basis of a Leistung split into laws and their links (portal/views.py)."""

import time

import pytest

from amtsweg.portal.views import _legal_basis


def test_laws_and_links():
    assert _legal_basis("Gesetz (X) [https://example.org/x], § 1 Y,  Z  [http://e.org/z]") == [
        ("Gesetz (X)", "https://example.org/x"), ("§ 1 Y", ""), ("Z", "http://e.org/z")]
    assert _legal_basis("Nur Text [kein Link], Rest") == [("Nur Text [kein Link]", ""),
                                                        ("Rest", "")]


@pytest.mark.parametrize("text", [
    pytest.param("a" + " " * 20000 + "b", id="spaces"),  # 1.1 s with the former regex
    pytest.param(" " * 20000 + "[b", id="bracket"),
    pytest.param(("x " * 5000 + "[") * 4, id="words"),
])
def test_long_texts_take_linear_time(text):
    started = time.perf_counter()
    _legal_basis(text)
    assert time.perf_counter() - started < 0.2

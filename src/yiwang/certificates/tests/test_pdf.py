"""The PDF: the CJK font is embedded (it must read on a machine without CJK fonts), the text extracts with
the holder's name and the 证照标识, the QR code and seal are drawn, and only the holder or the issuer gets it."""

import io
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from yiwang.certificates import pdf as pdf_mod
from yiwang.certificates import seal, services

from .conftest import ZHANG_ID, City, issue_hukou, issue_licence, logged_in

pytestmark = pytest.mark.django_db


def _fonts(reader: PdfReader) -> list[Any]:
    out = []
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        for desc in font.get("/DescendantFonts", []):
            out.append(desc.get_object())
    return out


def _text(data: bytes) -> str:
    return PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_holder_downloads_a_pdf_with_the_font_embedded(city: City) -> None:
    cert = issue_hukou(city)
    r = logged_in(city.zhang.user).get(f"/certificates/c/{cert.identifier}/pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in r["Content-Disposition"] and r["Cache-Control"] == "private, no-store"
    data = r.content
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    fonts = _fonts(reader)
    assert fonts, "a Type0/CID font is used"
    for f in fonts:
        descriptor = f["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, "the CJK font must be embedded"
        assert "NotoSans" in str(f["/BaseFont"])
    text = reader.pages[0].extract_text()
    assert "居民户口簿" in text and "张伟" in text and cert.identifier in text
    assert "示范市公安局" in text and "电子证照专用章" in text and "状态：有效" in text
    assert "人民路12号" in text  # a 照面 field
    assert "1993" in text and "长期" in text
    assert ZHANG_ID not in text and cert.holder_code_masked in text  # the holder's code is masked
    assert reader.metadata is not None and reader.metadata.title == f"居民户口簿 {cert.number}"


def test_pdf_permissions(city: City) -> None:
    cert = issue_hukou(city)
    url = f"/certificates/c/{cert.identifier}/pdf"
    assert Client().get(url).status_code == 302  # login first
    assert logged_in(city.chen.user).get(url).status_code == 404  # not hers
    assert logged_in(city.market.user).get(url).status_code == 404  # another department
    assert logged_in(city.police.user).get(url).status_code == 200  # the issuing department's approver
    assert logged_in(city.zhang.user).get("/certificates/c/1.2.156.3005.2.X/pdf").status_code == 404
    # the enterprise's certificate for the legal representative
    licence = issue_licence(city)
    r = logged_in(city.li.user).get(f"/certificates/c/{licence.identifier}/pdf")
    assert r.status_code == 200 and "示范市青禾餐饮有限公司" in _text(r.content)


def test_pdf_api(city: City) -> None:
    cert = issue_hukou(city)
    url = f"/api/v1/certificates/{cert.identifier}/pdf"
    assert Client().get(url).status_code == 401
    r = logged_in(city.chen.user).get(url)
    assert r.status_code == 404 and r.json()["error"]["code"] == "certificate.not_found"
    r = logged_in(city.zhang.user).get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and cert.identifier in _text(r.content)


def test_revoked_certificate_pdf_says_so(city: City) -> None:
    cert = issue_hukou(city)
    services.certificate_revoke(identifier=cert.identifier, reason="户口迁出")
    text = _text(logged_in(city.zhang.user).get(f"/certificates/c/{cert.identifier}/pdf").content)
    assert "已撤销" in text and "户口迁出" in text and "状态：有效" not in text


def test_characters_outside_the_font_become_placeholders() -> None:
    assert pdf_mod.printable("张伟") == "张伟"
    assert pdf_mod.printable("张𠀀伟") == "张□伟"  # CJK Ext. B is not in the GB 2312 subset
    assert pdf_mod.FONT_PATH.stat().st_size < 3_000_000
    assert (pdf_mod.FONT_PATH.parent / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE") >= 1


def test_seal_is_deterministic_per_issuer() -> None:
    a = seal.layout("示范市公安局", "11990100MB0000000X")
    assert a == seal.layout("示范市公安局", "11990100MB0000000X")
    assert a != seal.layout("示范市民政局", "11990100MB0000001X")
    top = [g for g in a.glyphs if g.char in "示范市公安局"][:6]
    assert [g.char for g in top] == list("示范市公安局")
    assert all(g.y < a.cy for g in top)  # the name runs along the upper arc, left to right
    assert [g.x for g in top] == sorted(g.x for g in top)
    assert len(a.star) == 10
    svg = seal.svg("示范市公安局", "11990100MB0000000X")
    assert svg.startswith("<svg") and "公" in svg and "电" in svg and "<polygon" in svg
    assert seal.svg("<script>", "") .count("<script>") == 0

"""The certificate as a PDF (版式文件): title, 照面 fields, 证照标识, issuer, validity, the issuer's seal and a QR
code to the public verification page.

The font (a GB 2312 subset of Noto Sans CJK SC, SIL OFL 1.1, `data/fonts/`) is embedded — subset again to
the characters used — so that the file reads on a machine without any CJK font. Characters outside the
font are drawn as □ (and logged) rather than silently dropped. The holder's code is masked, as on the
certificate page; the full signed payload stays with the register and the verification API.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from django.utils import timezone
from fpdf import FPDF

from yiwang.certificates import seal as seal_mod
from yiwang.certificates.models import Certificate

log = logging.getLogger(__name__)

FONT_PATH = Path(__file__).parent / "data" / "fonts" / "NotoSansSC-GB2312.ttf"
FONT = "NotoSansSC"
PLACEHOLDER = "□"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
FRAME = (165, 128, 60)
STATUS_COLOURS = {"valid": (25, 135, 84), "expired": (176, 104, 0), "suspended": (176, 104, 0)}


@lru_cache(maxsize=1)
def font_codepoints() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(FONT_PATH), lazy=True) as font:
        return frozenset(font.getBestCmap())


def printable(text: Any) -> str:
    """`text` with the characters the embedded font lacks replaced by □."""
    text = "" if text is None else str(text)
    cps = font_codepoints()
    missing = {ch for ch in text if ord(ch) not in cps and not ch.isspace()}
    if not missing:
        return text
    log.warning("certificate PDF: characters outside the embedded font: %s", "".join(sorted(missing)))
    return "".join(PLACEHOLDER if ch in missing else ch for ch in text)


def _pt(mm: float) -> float:
    return mm / 25.4 * 72


class _Doc(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(22, 20, 22)
        self.add_font(FONT, "", str(FONT_PATH))
        self.set_font(FONT, size=11)

    def write_at(self, x: float, y: float, text: str, size: float, colour: tuple[int, int, int] = INK) -> None:
        self.set_font(FONT, size=size)
        self.set_text_color(*colour)
        self.text(x, y, printable(text))


def _draw_seal(pdf: _Doc, name: str, code: str, cx: float, cy: float, radius: float = 21.0) -> None:
    s = seal_mod.layout(name, code, cx=cx, cy=cy, radius=radius)
    pdf.set_draw_color(*seal_mod.RED)
    pdf.set_fill_color(*seal_mod.RED)
    pdf.set_text_color(*seal_mod.RED)
    pdf.set_line_width(s.ring)
    r = s.radius - s.ring / 2
    with pdf.local_context(fill_opacity=0.88, stroke_opacity=0.88):  # ink over the printed text
        pdf.ellipse(s.cx - r, s.cy - r, 2 * r, 2 * r, style="D")
        pdf.polygon(s.star, style="F")
        for g in s.glyphs:
            pdf.set_font(FONT, size=_pt(g.size))
            ch = printable(g.char)
            w = pdf.get_string_width(ch)
            with pdf.rotation(-g.angle, g.x, g.y):  # fpdf2 turns counter-clockwise; the layout clockwise
                pdf.text(g.x - w / 2, g.y + g.size * 0.36, ch)


def _draw_qr(pdf: _Doc, url: str, x: float, y: float, size: float) -> None:
    qr = segno.make(url, error="m")
    rows = [list(r) for r in qr.matrix]
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for j, row in enumerate(rows):
        i = 0
        while i < len(row):  # one rectangle per run of dark modules
            if row[i] & 1:
                start = i
                while i < len(row) and row[i] & 1:
                    i += 1
                pdf.rect(x + start * module, y + j * module, (i - start) * module, module, style="F")
            else:
                i += 1


def render(cert: Certificate, *, verify_url: str, status: str, status_label: str, status_reason: str = "",
           generated_at: datetime | None = None) -> bytes:
    """The PDF bytes of `cert`; `status` and its label come from `services.certificate_verify`."""
    generated_at = generated_at or timezone.now()
    pdf = _Doc()
    pdf.set_title(f"{cert.name} {cert.number}")
    pdf.set_author(cert.issuer_name)
    pdf.set_subject(f"电子证照 {cert.identifier}")
    pdf.set_creator("一网 yiwang")
    pdf.set_keywords(f"电子证照 {cert.identifier} {cert.issuer_code}")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(generated_at)
    pdf.add_page()
    width = pdf.w
    # frame
    pdf.set_draw_color(*FRAME)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, width - 20, pdf.h - 20)
    pdf.set_line_width(0.3)
    pdf.rect(12.5, 12.5, width - 25, pdf.h - 25)
    # title
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(20, 22)
    pdf.cell(width - 40, 6, printable("电子证照"), align="C")
    pdf.set_font(FONT, size=26)
    pdf.set_text_color(*INK)
    pdf.set_xy(20, 30)
    pdf.cell(width - 40, 14, printable(cert.name), align="C")
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(20, 45)
    pdf.cell(width - 40, 6, printable(f"证照编号：{cert.number}"), align="C")
    # status
    colour = STATUS_COLOURS.get(status, seal_mod.RED)
    pdf.set_font(FONT, size=11)
    pdf.set_text_color(*colour)
    pdf.set_xy(20, 52)
    line = f"状态：{status_label}" + (f"（{status_reason}）" if status != "valid" and status_reason else "")
    pdf.multi_cell(width - 40, 6, printable(line), align="C")
    # fields
    rows: list[tuple[str, str]] = [("持证主体", cert.holder_name),
                                   (cert.holder_code_type or "持证主体代码", cert.holder_code_masked)]
    rows += [(str(f["label"]), str(cert.content.get(f["key"], ""))) for f in cert.type.fields
             if f["key"] in cert.content]
    validity = f"{cert.valid_from:%Y年%m月%d日} 至 " + (f"{cert.valid_until:%Y年%m月%d日}" if cert.valid_until
                                                       else "长期")
    rows += [("颁发机构", cert.issuer_name), ("颁发机构代码", cert.issuer_code),
             ("颁发日期", f"{cert.issued_on:%Y年%m月%d日}"), ("有效期", validity), ("证照标识", cert.identifier)]
    label_w, value_w = 38.0, width - 44 - 38.0
    y = max(pdf.get_y() + 4, 64.0)
    pdf.set_draw_color(222, 226, 230)
    pdf.set_line_width(0.2)
    for label, value in rows:
        pdf.set_font(FONT, size=11)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(22, y)
        pdf.multi_cell(label_w, 7, printable(label))
        pdf.set_text_color(*INK)
        pdf.set_font(FONT, size=9 if label == "证照标识" else 11.5)
        pdf.set_xy(22 + label_w, y)
        pdf.multi_cell(value_w, 7, printable(value or "—"))
        y = max(pdf.get_y(), y + 7) + 1.5
        pdf.line(22, y - 0.8, width - 22, y - 0.8)
        if y > 200:  # keep room for the seal and the QR code; long content is cut, the register has it all
            break
    # issuer block with the seal over it, QR code on the left
    bottom = max(y + 8, 212.0)
    pdf.write_at(width - 100, bottom + 12, f"颁发机构：{cert.issuer_name}", 11)
    pdf.write_at(width - 100, bottom + 20, f"颁发日期：{cert.issued_on:%Y年%m月%d日}", 11)
    _draw_seal(pdf, cert.issuer_name, cert.issuer_code, width - 52, bottom + 14)
    qr_size = 34.0
    _draw_qr(pdf, verify_url, 24, bottom - 4, qr_size)
    pdf.write_at(24, bottom + qr_size + 1, "扫码核验真伪和状态", 8.5, MUTED)
    # footer
    pdf.set_font(FONT, size=7.5)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(20, pdf.h - 44)
    pdf.multi_cell(width - 40, 4, printable(
        f"核验地址：{verify_url}\n"
        f"签名内容摘要（SHA-256）：{cert.payload_digest}\n"
        f"SM2 签名：{cert.signature_sm2[:40]}…  Ed25519 签名：{cert.signature_ed25519[:40]}…\n"
        "本证照由颁发机构以 SM2 和 Ed25519 签名并记入可信账本；纸面或本文件仅供查看，以扫码核验结果为准。\n"
        f"生成时间：{timezone.localtime(generated_at):%Y-%m-%d %H:%M}"), align="L")
    return bytes(pdf.output())

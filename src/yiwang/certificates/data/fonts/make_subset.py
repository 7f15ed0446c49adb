"""Dev-time tool (not imported by the app): rebuild NotoSansSC-GB2312.ttf from Noto Sans CJK SC.

    python src/yiwang/certificates/data/fonts/make_subset.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

Keeps ASCII, the GB 2312 symbol rows (1–9), all 6763 GB 2312 hanzi (levels 1 and 2) and a few common
punctuation marks; drops layout and vertical tables and hinting; converts the CFF outlines to TrueType
(quadratic) so that PDF writers embed it as a CIDFontType2 with FontFile2 and a clean ToUnicode map.
Needs fontTools (a dependency of fpdf2). The font is under the SIL Open Font License 1.1 (OFL.txt).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

EXTRA = "·—–“”‘’…《》（）【】、。，：；！？％°№￥"


def gb2312(rows: range) -> set[str]:
    out: set[str] = set()
    for row in rows:
        for cell in range(1, 95):
            try:
                out.add(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def charset() -> str:
    chars = {chr(c) for c in range(0x20, 0x7F)} | gb2312(range(1, 10)) | gb2312(range(16, 88)) | set(EXTRA)
    return "".join(sorted(chars))


def to_truetype(font: TTFont, max_err: float = 1.0) -> None:
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyf[name] = pen.glyph()
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                 "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth"):
        setattr(maxp, attr, 0)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 3.0, [], {}
    font["head"].glyphDataFormat = 0
    for tag in ("CFF ", "VORG", "vhea", "vmtx", "BASE", "GPOS", "GSUB"):
        if tag in font:
            del font[tag]
    font.sfntVersion = "\000\001\000\000"


def main(source: str, out: str) -> None:
    font = TTFont(source, fontNumber=2 if source.endswith(".ttc") else -1)  # 2 = Noto Sans CJK SC in the .ttc
    opts = subset.Options()
    opts.layout_features = []
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    opts.notdef_outline = True
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(text=charset())
    sub.subset(font)
    to_truetype(font)
    font.save(out)
    print(out, Path(out).stat().st_size, "bytes")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).with_name("NotoSansSC-GB2312.ttf")))

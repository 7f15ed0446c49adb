"""The issuing department's seal (印章) drawn in code: a red ring, the department's name along the upper arc,
a five-pointed star in the middle, 电子证照专用章 below it and the department's code along the bottom.

Pure geometry in millimetres (y grows downwards, as in PDF page coordinates and SVG), so that the PDF and
the HTML page draw the same seal; the same issuer always gives the same seal. This is a picture of a seal,
not a GB/T 38540 electronic seal: what makes the certificate trustworthy is the SM2/Ed25519 signature and the
ledger entry, which the QR code leads to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

RED = (214, 31, 38)
LABEL = "电子证照专用章"


@dataclass(frozen=True)
class Glyph:
    char: str
    x: float  # centre of the character
    y: float
    angle: float  # degrees clockwise from upright
    size: float  # em size in mm


@dataclass(frozen=True)
class Seal:
    cx: float
    cy: float
    radius: float
    ring: float  # stroke width of the outer ring
    inner_radius: float
    star: list[tuple[float, float]]
    glyphs: list[Glyph] = field(default_factory=list)


def star_points(cx: float, cy: float, r_out: float, r_in: float) -> list[tuple[float, float]]:
    """A five-pointed star, one point straight up."""
    points = []
    for i in range(10):
        r = r_out if i % 2 == 0 else r_in
        theta = math.radians(i * 36)
        points.append((round(cx + r * math.sin(theta), 3), round(cy - r * math.cos(theta), 3)))
    return points


def layout(name: str, code: str = "", *, cx: float = 0.0, cy: float = 0.0, radius: float = 21.0) -> Seal:
    """The seal of the department `name` (e.g. 示范市公安局), centred at (cx, cy)."""
    name = "".join(name.split())[:24] or "?"
    ring = radius * 0.055
    n = len(name)
    span = min(260.0, max(150.0, n * 30.0))  # degrees of the upper arc the name covers
    text_r = radius * 0.74
    arc_per_char = math.radians(span) * text_r / n
    size = min(radius * 0.24, arc_per_char * 0.9)
    glyphs = []
    for i, ch in enumerate(name):
        theta = -span / 2 + span * (i + 0.5) / n
        t = math.radians(theta)
        glyphs.append(Glyph(ch, round(cx + text_r * math.sin(t), 3), round(cy - text_r * math.cos(t), 3),
                            round(theta, 3), round(size, 3)))
    label_size = radius * 0.15
    for i, ch in enumerate(LABEL):
        x = cx + (i - (len(LABEL) - 1) / 2) * label_size * 1.02
        glyphs.append(Glyph(ch, round(x, 3), round(cy + radius * 0.42, 3), 0.0, round(label_size, 3)))
    code = code.strip()[:18]
    if code:  # the department's code along the bottom arc, upright towards the centre
        code_r, code_size = radius * 0.84, radius * 0.085
        step = math.degrees(code_size * 0.68 / code_r)
        for i, ch in enumerate(code):
            theta = 180 + ((len(code) - 1) / 2 - i) * step
            t = math.radians(theta)
            glyphs.append(Glyph(ch, round(cx + code_r * math.sin(t), 3), round(cy - code_r * math.cos(t), 3),
                                round(theta - 180, 3), round(code_size, 3)))
    return Seal(cx, cy, radius, ring, radius - ring * 2.2,
                star_points(cx, cy - radius * 0.02, radius * 0.3, radius * 0.3 * 0.382), glyphs)


def svg(name: str, code: str = "", *, size_px: int = 160) -> str:
    """The seal as an SVG document (for the certificate page)."""
    r = 21.0
    seal = layout(name, code, cx=r + 1, cy=r + 1, radius=r)
    colour = "rgb({},{},{})".format(*RED)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {2 * r + 2} {2 * r + 2}" width="{size_px}" '
             f'height="{size_px}" role="img" aria-label="{escape(name)}{LABEL}">',
             f'<circle cx="{seal.cx}" cy="{seal.cy}" r="{r - seal.ring / 2:.3f}" fill="none" stroke="{colour}" '
             f'stroke-width="{seal.ring:.3f}"/>',
             '<polygon fill="{}" points="{}"/>'.format(colour, " ".join(f"{x},{y}" for x, y in seal.star))]
    for g in seal.glyphs:
        parts.append(f'<text x="{g.x}" y="{g.y}" font-size="{g.size}" fill="{colour}" text-anchor="middle" '
                     f'dominant-baseline="central" font-family="serif" '
                     f'transform="rotate({g.angle} {g.x} {g.y})">{escape(g.char)}</text>')
    parts.append("</svg>")
    return "".join(parts)

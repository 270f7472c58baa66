"""PNG pictures without an imaging library: a small RGB canvas (filled and outlined boxes, lines, text in
an embedded bitmap font) written as PNG with zlib. Certificate trees use the layout of render.svg_tree."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Callable

from ..lifecycle import TreeNode
from ..render import STATUS_COLORS, box_labels, money, tree_layout
from . import font

RGB = tuple[int, int, int]
_INDEX = {ch: i for i, ch in enumerate(font.CHARS)}


def _hex(color: str) -> RGB:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


class Canvas:
    def __init__(self, width: int, height: int, background: RGB = (255, 255, 255)):
        self.w, self.h = width, height
        self.px = bytearray(bytes(background) * (width * height))

    def _blend(self, x: int, y: int, c: RGB, alpha: float = 1.0) -> None:
        if 0 <= x < self.w and 0 <= y < self.h:
            i = 3 * (y * self.w + x)
            if alpha >= 1.0:
                self.px[i : i + 3] = bytes(c)
            else:
                for k in range(3):
                    self.px[i + k] = int(self.px[i + k] * (1 - alpha) + c[k] * alpha)

    def fill(self, x0: int, y0: int, x1: int, y1: int, c: RGB) -> None:
        x0, x1 = max(0, x0), min(self.w, x1)
        row = bytes(c) * max(0, x1 - x0)
        for y in range(max(0, y0), min(self.h, y1)):
            i = 3 * (y * self.w + x0)
            self.px[i : i + len(row)] = row

    def box(self, x0: int, y0: int, x1: int, y1: int, fill: RGB, stroke: RGB) -> None:
        self.fill(x0 + 1, y0 + 1, x1 - 1, y1 - 1, fill)
        for x in range(x0 + 2, x1 - 2):
            self._blend(x, y0, stroke)
            self._blend(x, y1 - 1, stroke)
        for y in range(y0 + 2, y1 - 2):
            self._blend(x0, y, stroke)
            self._blend(x1 - 1, y, stroke)
        for dx, dy in ((1, 1), (x1 - x0 - 2, 1), (1, y1 - y0 - 2), (x1 - x0 - 2, y1 - y0 - 2)):
            self._blend(x0 + dx, y0 + dy, stroke)

    def line(self, x0: int, y0: int, x1: int, y1: int, c: RGB) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for s in range(steps + 1):
            x = x0 + (x1 - x0) * s / steps
            y = y0 + (y1 - y0) * s / steps
            xi, fx = int(x), x - int(x)  # two-pixel anti-aliasing across the line
            self._blend(xi, int(round(y)), c, 1 - fx * 0.5)
            self._blend(xi + 1, int(round(y)), c, fx)

    def text(self, x: int, y: int, s: str, c: RGB = (0, 0, 0), bold: bool = False) -> int:
        for ch in s:
            i = _INDEX.get(ch, _INDEX["?"])
            g = font.GLYPHS[i * 128 : (i + 1) * 128]
            for gy in range(font.HEIGHT):
                for gx in range(font.WIDTH):
                    level = int(g[gy * 8 + gx], 16)
                    if level:
                        self._blend(x + gx, y + gy, c, level / 15)
                        if bold:
                            self._blend(x + gx + 1, y + gy, c, level / 15)
            x += font.WIDTH + (1 if bold else 0)
        return x

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(self.px[3 * y * self.w : 3 * (y + 1) * self.w]) for y in range(self.h))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def png_tree(node: TreeNode, name: Callable[[str], str] = str, title: str = "",
             lines: Callable[[TreeNode], list[str]] | None = None) -> bytes:
    """The picture of render.svg_tree, as PNG: one box per certificate, tiers as rows."""
    box_w, box_h, gap_x, gap_y = 290, 78, 24, 56
    top = 50 if title else 16
    positions, leaves_w = tree_layout(node, box_w, box_h, gap_x, gap_y, top, half=lambda s: s // 2)
    width = max(leaves_w, box_w + gap_x, 9 * len(title) + 24) + 16
    height = max(y for _, y in positions.values()) + box_h + 20
    cv = Canvas(width, height)
    if title:
        cv.text(12, 16, title, bold=True)
    edge, stroke = _hex("#888888"), _hex("#445566")

    def draw(n: TreeNode) -> None:
        x, y = positions[n.certificate.id]
        for ch in n.children:
            cx, cy = positions[ch.certificate.id]
            cv.line(x + box_w // 2 + 8, y + box_h, cx + box_w // 2 + 8, cy, edge)
            draw(ch)
        c = n.certificate
        cv.box(x + 8, y, x + 8 + box_w, y + box_h, _hex(STATUS_COLORS.get(c.status, "#eeeeee")), stroke)
        cv.text(x + 16, y + 8, f"#{c.id} · tier {c.tier} · {money(c.amount)}"[:31], bold=True)
        for i, label in enumerate(box_labels(n, name, lines)):
            cv.text(x + 16, y + 28 + 15 * i, label[:34])

    draw(node)
    return cv.png()


def write_png_tree(node: TreeNode, path: str | Path, name: Callable[[str], str] = str, title: str = "",
                   lines: Callable[[TreeNode], list[str]] | None = None) -> Path:
    path = Path(path)
    path.write_bytes(png_tree(node, name, title, lines))
    return path

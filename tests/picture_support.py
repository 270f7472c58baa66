"""Reading the pictures the tooling draws: Graphviz and matplotlib SVG keep their text as <text> elements; PNG
pictures are decoded by Pillow and read for what they show (boxes of a colour, text in them, lines)."""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def svg_texts(svg: str) -> list[str]:
    """The text of every <text> element of an SVG picture, in document order."""
    return [unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def png_pixels(png: "str | Path | bytes") -> "np.ndarray":
    """The picture decoded by Pillow, as an (height, width, 3) array of RGB values."""
    import io

    import numpy as np
    from PIL import Image

    source = io.BytesIO(png) if isinstance(png, bytes) else png
    with Image.open(source) as im:
        assert im.format == "PNG", im.format
        return np.asarray(im.convert("RGB"), dtype=np.int32)


def near(pixels: "np.ndarray", colour: str, tolerance: int = 0) -> "np.ndarray":
    """A mask of the pixels within `tolerance` (per channel) of `colour` ('#rrggbb')."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return (abs(pixels - rgb) <= tolerance).all(axis=2)


def regions(mask: "np.ndarray", min_pixels: int = 200) -> list[tuple[int, int, int, int, int]]:
    """Bounding boxes (top, left, bottom, right, pixels) of the 4-connected regions of `mask` with at least
    `min_pixels` pixels, top to bottom: e.g. the boxes of a tree filled with their status colour (their text
    makes holes, not separate regions)."""
    import numpy as np

    height, width = mask.shape
    seen = mask.copy()
    found = []
    for y0, x0 in zip(*mask.nonzero()):
        if not seen[y0, x0]:
            continue
        stack, top, left, bottom, right, count = [(int(y0), int(x0))], height, width, 0, 0, 0
        while stack:  # a scanline fill: one run of a row at a time
            y, x = stack.pop()
            row = seen[y]
            if not row[x]:
                continue
            a = x - int(np.argmin(row[x::-1])) + 1 if not row[: x + 1].all() else 0
            b = x + int(np.argmin(row[x:])) - 1 if not row[x:].all() else width - 1
            row[a : b + 1] = False
            count += b - a + 1
            top, bottom, left, right = min(top, y), max(bottom, y), min(left, a), max(right, b)
            for ny in (y - 1, y + 1):
                if 0 <= ny < height:
                    run = seen[ny, a : b + 1]
                    starts = np.flatnonzero(run & ~np.concatenate(([False], run[:-1])))
                    stack.extend((ny, a + int(i)) for i in starts)
        if count >= min_pixels:
            found.append((top, left, bottom, right, count))
    return sorted(found)


def tree_boxes(png: "str | Path | bytes", fill: str) -> list[tuple[int, int, int, int, int]]:
    """The boxes of a Graphviz tree picture filled with `fill`, each checked to hold dark text (the labels) and
    to have the white page around the picture; top to bottom."""
    pixels = png_pixels(png)
    assert near(pixels[[0, -1]][:, [0, -1]], "#ffffff").all()  # the page's corners
    boxes = regions(near(pixels, fill))
    for top, left, bottom, right, _n in boxes:
        inside = pixels[top : bottom + 1, left : right + 1]
        assert (inside.max(axis=2) < 90).sum() > 30, (top, left)  # text drawn in the box
    return boxes


def tiers(boxes: list[tuple[int, int, int, int, int]]) -> list[list[tuple[int, int, int, int, int]]]:
    """The boxes grouped into rows (boxes whose heights overlap: one rank of the tree), top to bottom, each row
    left to right."""
    rows: list[list[tuple[int, int, int, int, int]]] = []
    for box in sorted(boxes):
        if rows and box[0] <= max(b[2] for b in rows[-1]):
            rows[-1].append(box)
        else:
            rows.append([box])
    return [sorted(row, key=lambda b: b[1]) for row in rows]

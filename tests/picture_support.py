"""Reading the pictures the tooling draws (Graphviz and matplotlib SVG keep their text as <text> elements)."""
from __future__ import annotations

import re
from html import unescape


def svg_texts(svg: str) -> list[str]:
    """The text of every <text> element of an SVG picture, in document order."""
    return [unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]

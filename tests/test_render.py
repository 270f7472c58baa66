"""The one renderer (scfchain.render): Graphviz trees whose boxes hold every label in full, matplotlib charts,
and a clear error when Graphviz is missing."""
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import ImageFont

from scfchain.errors import ScfError
from scfchain.lifecycle import Certificate, TreeNode
from scfchain.render import (EDGE_COLOR, LINE_COLOR, STATUS_COLORS, outstanding_chart, png_tree, svg_tree, tree_graph,
                             write_tree)
from tests.picture_support import near, png_pixels, svg_texts, tree_boxes

# A test of the Python tooling (its own nodes, CLI processes or plain Python): nothing here for the coverage run to
# trace, so `make test` runs it apart, on the viaIR build (tools/coverage.py runs the tests not marked so).
pytestmark = pytest.mark.tooling

SVG = "{http://www.w3.org/2000/svg}"
FONTS = "/usr/share/fonts/truetype/dejavu/"
LONG = "Tianfu Financing Guarantee and Credit Enhancement Company of Western Sichuan Province Ltd."
NAMES = {"0x1": "Chengdu Precision Parts", "0x2": "Mianyang Castings", "0x3": LONG,
         "0x4": "Leshan Household Appliances"}


def cert(i, parent, tier, amount, status="active"):
    return Certificate(i, 1, parent, tier, amount, "0xd", 0, status)


@pytest.fixture
def tree():
    leaf = TreeNode(cert(4, 2, 3, 15_000_000), {"0x3": 15_000_000})
    mid = TreeNode(cert(2, 1, 2, 40_000_000), {"0x2": 25_000_000, "0x4": 15_000_000}, [leaf])
    return TreeNode(cert(1, 0, 1, 100_000_000), {"0x1": 60_000_000}, [mid])


def boxes(svg):
    """(left, right, [(x, width of its text), …]) for every node box, the widths measured with the font
    the picture names (DejaVu Sans at the size it gives)."""
    out = []
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("class") != "node":
            continue
        shape = next(e for e in g.iter() if e.tag in (SVG + "path", SVG + "polygon"))
        nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d") or shape.get("points"))]
        xs = nums[0::2]
        texts = []
        for t in g.iter(SVG + "text"):
            bold = t.get("font-weight") == "bold"
            font = ImageFont.truetype(FONTS + ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"),
                                      float(t.get("font-size")))
            assert t.get("text-anchor") == "start"
            texts.append((float(t.get("x")), font.getlength(t.text)))
        out.append((min(xs), max(xs), texts))
    return out


def test_svgTree_everyLabelInFull_insideItsBox(tree):
    svg = svg_tree(tree, NAMES.get, "Receivable #1 — active")
    labels = svg_texts(svg)
    assert labels[0] == "Receivable #1 — active"
    assert {"#1 · tier 1 · 1,000,000.00", "Chengdu Precision Parts: 600,000.00", "#4 · tier 3 · 150,000.00",
            f"{LONG}: 150,000.00", "Mianyang Castings: 250,000.00", "Leshan Household Appliances: 150,000.00",
            " 400,000.00", " 150,000.00"} <= set(labels)
    found = boxes(svg)
    assert len(found) == 3
    for left, right, texts in found:
        for x, width in texts:
            assert left < x and x + width <= right + 0.5  # nothing runs past its box's border


def test_svgTree_linksAndFocus(tree):
    svg = svg_tree(tree, NAMES.get, link=lambda i: f"/certificates/{i}", focus=2)
    assert [a for a in re.findall(r'xlink:href="([^"]+)"', svg)] == ["/certificates/1", "/certificates/2",
                                                                    "/certificates/4"]
    source = tree_graph(tree, NAMES.get, focus=2).source
    assert re.search(r"c2 \[label=.*penwidth=2.6", source)
    assert "penwidth" not in source.split("c4 [")[1]


def test_svgTree_customLines_escaped(tree):
    svg = svg_tree(tree, lines=lambda n: [f"<b>&{n.certificate.id}</b>"])
    assert "<b>&1</b>" in svg_texts(svg) and "&lt;b&gt;&amp;1&lt;/b&gt;" in svg


def test_pngTree_drawnByGraphviz(tree, tmp_path):
    data = png_tree(tree, NAMES.get, "Receivable #1")
    # Three boxes in the active status fill, each with its text, one per tier, top to bottom on one axis
    boxes = tree_boxes(data, STATUS_COLORS["active"])
    assert len(boxes) == 3
    (t1, l1, b1, r1, _), (t2, l2, b2, r2, _), (t3, l3, b3, r3, _) = boxes
    assert b1 < t2 and b2 < t3
    assert abs((l1 + r1) - (l2 + r2)) <= 4 and abs((l2 + r2) - (l3 + r3)) <= 4
    # #2 has two holders (three lines), the others one; the tier-3 box holds the long name in full: the widest
    assert b2 - t2 > b1 - t1 and b2 - t2 > b3 - t3 and r3 - l3 > r2 - l2 > r1 - l1
    # the two edges: grey lines down the axis between the boxes
    pixels = png_pixels(data)
    axis = (l1 + r1) // 2
    for above, below in ((b1, t2), (b2, t3)):
        assert near(pixels[above + 3 : below - 3, axis - 2 : axis + 3], EDGE_COLOR, 40).any(axis=1).all()
    assert write_tree(tree, tmp_path / "t.svg").read_text().count("class=\"node\"") == 3
    with pytest.raises(ScfError, match=r"must end in \.svg or \.png, got 't.gif'"):
        write_tree(tree, tmp_path / "t.gif")


def test_noGraphviz_oneLineError(tree, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ScfError) as err:
        svg_tree(tree)
    assert str(err.value) == "Graphviz's `dot` is not installed (Debian package graphviz; `make setup` installs it)"


def longest_run(row):
    """(first, last) column of the longest run of set pixels in a row of a mask."""
    best, start = (0, -1), None
    for x, on in enumerate(list(row) + [False]):
        if on and start is None:
            start = x
        elif not on and start is not None:
            best, start = max(best, (start, x - 1), key=lambda r: r[1] - r[0]), None
    return best


def test_outstandingChart_svgTextAndPng(tmp_path):
    points = [(1_780_000_000, 100_000_000), (1_780_086_400, 170_000_000), (1_785_000_000, 0)]
    labels = svg_texts(outstanding_chart(points).decode())
    assert "Outstanding receivables over time" in labels and "peak 1,700,000.00" in labels
    assert {"0.00", "1,000,000.00"} <= set(labels)  # y ticks as amounts
    # PNG: 1,000,000.00 for 30 days, then 1,700,000.00 for 30 days, then nothing; read from the pixels of the line
    day, t0 = 86_400, 1_780_000_000
    pixels = png_pixels(outstanding_chart([(t0, 100_000_000), (t0 + 30 * day, 170_000_000), (t0 + 60 * day, 0)],
                                          fmt="png"))
    assert pixels.shape == (340, 840, 3)
    line = near(pixels, LINE_COLOR, 40)
    rows = [y for y in range(line.shape[0]) if line[y].sum() > 200]  # the two long horizontal steps
    high = [y for y in rows if y < (rows[0] + rows[-1]) / 2]
    low = [y for y in rows if y > (rows[0] + rows[-1]) / 2]
    assert high and low and len(high) + len(low) == len(rows) and max(len(high), len(low)) <= 4
    y_high, y_low = sum(high) / len(high), sum(low) / len(low)
    zero = line.nonzero()[0].max()  # the drop to 0 at the end reaches the axis
    assert (zero - y_low) / (zero - y_high) == pytest.approx(100 / 170, abs=0.02)  # heights as the amounts
    (a, b), (c, d) = [longest_run(line[round(y)]) for y in (y_low, y_high)]
    assert b == pytest.approx(c, abs=4)  # the step up at day 30
    assert b - a == pytest.approx(d - c, abs=8) and b - a > 200  # 30 days each
    assert "no receivables issued" in svg_texts(outstanding_chart([]).decode())

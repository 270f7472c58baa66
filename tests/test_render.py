"""The one renderer (scfchain.render): Graphviz trees whose boxes hold every label in full, matplotlib charts,
and a clear error when Graphviz is missing."""
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image, ImageFont

from scfchain.errors import ScfError
from scfchain.lifecycle import Certificate, TreeNode
from scfchain.render import outstanding_chart, png_tree, svg_tree, tree_graph, write_tree
from tests.picture_support import svg_texts

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
    path = tmp_path / "t.png"
    path.write_bytes(data)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.width > 400 and im.height > 200
        colours = {rgb for _n, rgb in im.convert("RGB").getcolors(1 << 20)}
    assert (0xE8, 0xF1, 0xFB) in colours  # the active status fill
    assert write_tree(tree, tmp_path / "t.svg").read_text().count("class=\"node\"") == 3
    with pytest.raises(ScfError, match=r"must end in \.svg or \.png, got 't.gif'"):
        write_tree(tree, tmp_path / "t.gif")


def test_noGraphviz_oneLineError(tree, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ScfError) as err:
        svg_tree(tree)
    assert str(err.value) == "Graphviz's `dot` is not installed (Debian package graphviz; `make setup` installs it)"


def test_outstandingChart_svgTextAndPng(tmp_path):
    points = [(1_780_000_000, 100_000_000), (1_780_086_400, 170_000_000), (1_785_000_000, 0)]
    labels = svg_texts(outstanding_chart(points).decode())
    assert "Outstanding receivables over time" in labels and "peak 1,700,000.00" in labels
    assert {"0.00", "1,000,000.00"} <= set(labels)  # y ticks as amounts
    (tmp_path / "c.png").write_bytes(outstanding_chart(points, fmt="png"))
    with Image.open(tmp_path / "c.png") as im:
        assert im.format == "PNG" and im.size == (840, 340)
    assert "no receivables issued" in svg_texts(outstanding_chart([]).decode())

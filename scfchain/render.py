"""Every picture and amount people see, in one module: token amounts as text, certificate trees as indented
text and as pictures laid out by Graphviz (`dot`), and the outstanding-volume chart drawn by matplotlib.

The demo, `scfchain audit trace --out`, the audit report and the web explorer all draw through here. Graphviz
sizes every box to its text, so no label is ever cut; matplotlib writes SVG text as text (searchable, and
checked by the tests), PNG through its Agg rasteriser."""
from __future__ import annotations

import io
import shutil
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from .constants import money
from .errors import ScfError

if TYPE_CHECKING:  # imported where used: lifecycle pulls in web3, graphviz is only needed for pictures
    import graphviz

    from .lifecycle import TreeNode

Namer = Callable[[str], str]
Lines = Callable[["TreeNode"], list[str]]
Link = Callable[[int], str]

FONT = "DejaVu Sans"  # Debian's fonts-dejavu-core, a dependency of graphviz and chromium
STATUS_COLORS = {"active": "#e8f1fb", "paid": "#e6f5e9", "defaulted": "#fdecea"}
EDGE_COLOR, BORDER_COLOR, LINE_COLOR = "#888888", "#445566", "#2463a6"


def _holders(node: "TreeNode", name: Namer) -> str:
    if not node.holders:
        return "no live units"
    return ", ".join(f"{name(h)} {money(v)}" for h, v in sorted(node.holders.items(), key=lambda kv: -kv[1]))


def text_tree(node: "TreeNode", name: Namer = str) -> str:
    """One line per certificate: id, tier, amount created with, and who holds its live units."""
    lines: list[str] = []

    def walk(n: "TreeNode", prefix: str, last: bool, top: bool) -> None:
        c = n.certificate
        head = "" if top else prefix + ("└─ " if last else "├─ ")
        lines.append(f"{head}#{c.id} tier {c.tier}  {money(c.amount)}  [{c.status}]  held by: {_holders(n, name)}")
        child_prefix = "" if top else prefix + ("   " if last else "│  ")
        for i, ch in enumerate(n.children):
            walk(ch, child_prefix, i == len(n.children) - 1, False)

    walk(node, "", True, True)
    return "\n".join(lines)


# ---------------------------------------------------------------- certificate trees (Graphviz)
def holder_lines(node: "TreeNode", name: Namer = str) -> list[str]:
    """The default text under a box's heading: every live holder and its units."""
    held = sorted(node.holders.items(), key=lambda kv: -kv[1])
    return [f"{name(h)}: {money(v)}" for h, v in held] or ["no live units"]


def _label(heading: str, lines: Sequence[str]) -> str:
    """A Graphviz HTML-like label: the heading in bold, then one left-aligned row per line."""
    rows = [f'<TR><TD ALIGN="LEFT"><B>{escape(heading)}</B></TD></TR>']
    rows += [f'<TR><TD ALIGN="LEFT">{escape(line)}</TD></TR>' for line in lines]
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"


def tree_graph(node: "TreeNode", name: Namer = str, title: str = "", lines: Lines | None = None,
               link: Link | None = None, amounts: int = 2, focus: int | None = None) -> "graphviz.Digraph":
    """The certificate tree as a Graphviz digraph: one box per certificate (id, tier, amount it was created
    with, then `lines(node)` — by default its live holders), coloured by the root's status, tiers as rows, each
    edge labelled with the amount split off. `link(id)`, when given, makes each box a link (SVG output);
    the `focus` certificate gets a heavy border."""
    import graphviz

    g = graphviz.Digraph("certificates", graph_attr={
        "rankdir": "TB", "fontname": FONT, "fontsize": "16", "labelloc": "t", "labeljust": "l", "nodesep": "0.3",
        "ranksep": "0.45", "pad": "0.2", "bgcolor": "white", "label": f"<<B>{escape(title)}</B>>" if title else "",
    }, node_attr={"shape": "box", "style": "rounded,filled", "fontname": FONT, "fontsize": "11",
                  "color": BORDER_COLOR, "margin": "0.12,0.06"},
        edge_attr={"color": EDGE_COLOR, "fontname": FONT, "fontsize": "10", "fontcolor": "#555555",
                   "arrowsize": "0.6"})

    def add(n: "TreeNode") -> None:
        c = n.certificate
        attrs = {"fillcolor": STATUS_COLORS.get(c.status, "#eeeeee"), "tooltip": f"certificate #{c.id}"}
        if link is not None:
            attrs.update(URL=link(c.id), target="_top")
        if c.id == focus:
            attrs.update(penwidth="2.6", color="#1d2f45")
        text = lines(n) if lines is not None else holder_lines(n, name)
        g.node(f"c{c.id}", _label(f"#{c.id} · tier {c.tier} · {money(c.amount, amounts)}", text), **attrs)
        for ch in n.children:
            g.edge(f"c{c.id}", f"c{ch.certificate.id}", label=f" {money(ch.certificate.amount, amounts)}")
            add(ch)

    add(node)
    return g


def _dot() -> str:
    path = shutil.which("dot")
    if path is None:
        raise ScfError("Graphviz's `dot` is not installed (Debian package graphviz; `make setup` installs it)")
    return path


def _render(g: "graphviz.Digraph", fmt: str) -> bytes:
    import graphviz

    _dot()
    try:
        return g.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise ScfError("Graphviz's `dot` is not installed (Debian package graphviz; `make setup` installs it)") from None
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        raise ScfError(f"Graphviz could not draw the tree: {detail[0] if detail else exc}") from None


def svg_tree(node: "TreeNode", name: Namer = str, title: str = "", lines: Lines | None = None,
             link: Link | None = None, amounts: int = 2, focus: int | None = None) -> str:
    """The certificate tree as an SVG document (text as text)."""
    return _render(tree_graph(node, name, title, lines, link, amounts, focus), "svg").decode()


def png_tree(node: "TreeNode", name: Namer = str, title: str = "", lines: Lines | None = None,
             amounts: int = 2) -> bytes:
    """The certificate tree as a PNG image (Graphviz's cairo renderer)."""
    return _render(tree_graph(node, name, title, lines, amounts=amounts), "png")


def write_tree(node: "TreeNode", path: str | Path, name: Namer = str, title: str = "",
               lines: Lines | None = None, amounts: int = 2) -> Path:
    """Draws the tree into `path`: SVG or PNG by its suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(svg_tree(node, name, title, lines, amounts=amounts))
    elif suffix == ".png":
        path.write_bytes(png_tree(node, name, title, lines, amounts=amounts))
    else:
        raise ScfError(f"a tree picture must end in .svg or .png, got {path.name!r}")
    return path


# ---------------------------------------------------------------- outstanding volume (matplotlib)
def outstanding_chart(points: Sequence[tuple[int, int]], decimals: int = 2, fmt: str = "svg",
                      title: str = "Outstanding receivables over time", unit: str = "") -> bytes:
    """A step chart of (unix time, outstanding face value) points, as SVG (text kept as text) or PNG."""
    from datetime import datetime, timezone

    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    fig = Figure(figsize=(8.4, 3.4), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    if points:
        times = [datetime.fromtimestamp(t, tz=timezone.utc) for t, _ in points]
        values = [v / 10**decimals for _, v in points]
        ax.step(times, values, where="post", color=LINE_COLOR, linewidth=2)
        ax.plot(times, values, "o", color=LINE_COLOR, markersize=3.5)
        peak = max(range(len(points)), key=lambda i: points[i][1])  # the peak, with its exact amount
        ax.annotate(f"peak {money(points[peak][1], decimals)}", (times[peak], values[peak]), xytext=(6, 4),
                    textcoords="offset points", fontsize=9, color="#333333")
        locator = AutoDateLocator(minticks=3, maxticks=7)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.set_ylim(bottom=0, top=max(max(values) * 1.1, 1))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: money(round(v * 10**decimals), decimals)))
        ax.set_ylabel(unit or "face value")
        ax.grid(axis="y", color="#dddddd")
    else:
        ax.text(0.5, 0.5, "no receivables issued", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": FONT, "svg.hashsalt": "scfchain"}):
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()

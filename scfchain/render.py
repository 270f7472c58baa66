"""Certificate trees for people: an indented text tree and an SVG picture."""
from __future__ import annotations

from html import escape
from typing import Callable

from .lifecycle import TreeNode

Namer = Callable[[str], str]


def money(units: int, decimals: int = 2) -> str:
    """Token units as a decimal amount: 100000000 -> '1,000,000.00'."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10**decimals)
    return f"{sign}{whole:,}.{frac:0{decimals}d}" if decimals else f"{sign}{whole:,}"


def _holders(node: TreeNode, name: Namer) -> str:
    if not node.holders:
        return "no live units"
    return ", ".join(f"{name(h)} {money(v)}" for h, v in sorted(node.holders.items(), key=lambda kv: -kv[1]))


def text_tree(node: TreeNode, name: Namer = str) -> str:
    """One line per certificate: id, tier, amount created with, and who holds its live units."""
    lines: list[str] = []

    def walk(n: TreeNode, prefix: str, last: bool, top: bool) -> None:
        c = n.certificate
        head = "" if top else prefix + ("└─ " if last else "├─ ")
        lines.append(f"{head}#{c.id} tier {c.tier}  {money(c.amount)}  [{c.status}]  held by: {_holders(n, name)}")
        child_prefix = "" if top else prefix + ("   " if last else "│  ")
        for i, ch in enumerate(n.children):
            walk(ch, child_prefix, i == len(n.children) - 1, False)

    walk(node, "", True, True)
    return "\n".join(lines)


STATUS_COLORS = {"active": "#e8f1fb", "paid": "#e6f5e9", "defaulted": "#fdecea"}


def tree_layout(node: TreeNode, box_w: int, box_h: int, gap_x: int, gap_y: int, top: int,
                half: Callable[[int], float] = lambda s: s / 2) -> tuple[dict[int, tuple[float, float]], float]:
    """Top-down tree layout shared by the SVG and PNG pictures: leaves side by side, each parent centred over
    its first and last child (`half` of their sum), tiers as rows. Returns each certificate's box corner by
    id and the width the leaves take."""
    positions: dict[int, tuple[float, float]] = {}
    next_x = 0

    def place(n: TreeNode, depth: int) -> float:
        nonlocal next_x
        if not n.children:
            x = next_x
            next_x += box_w + gap_x
        else:
            xs = [place(ch, depth + 1) for ch in n.children]
            x = half(xs[0] + xs[-1])
        positions[n.certificate.id] = (x, top + depth * (box_h + gap_y))
        return x

    place(node, 0)
    return positions, next_x


def box_labels(n: TreeNode, name: Namer, lines: Callable[[TreeNode], list[str]] | None) -> list[str]:
    """The (up to three) text lines under a box's heading: `lines(n)` when given, else the largest holders."""
    if lines is not None:
        return lines(n)[:3]
    holders = sorted(n.holders.items(), key=lambda kv: -kv[1])[:3] or [("no live units", 0)]
    return [h if v == 0 else f"{name(h)}: {money(v)}" for h, v in holders]


def svg_tree(node: TreeNode, name: Namer = str, title: str = "",
             lines: Callable[[TreeNode], list[str]] | None = None) -> str:
    """A top-down tree: one box per certificate (id, tier, amount, holders), tiers as rows. `lines`, when
    given, supplies the (up to three) text lines under each box's heading instead of its holders."""
    box_w, box_h, gap_x, gap_y, top = 230, 78, 24, 56, 50 if title else 16
    positions, leaves_w = tree_layout(node, box_w, box_h, gap_x, gap_y, top)
    width = max(leaves_w, box_w + gap_x) + 16
    height = max(y for _, y in positions.values()) + box_h + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    if title:
        out.append(f'<text x="12" y="28" font-size="16" font-weight="bold">{escape(title)}</text>')

    def draw(n: TreeNode) -> None:
        x, y = positions[n.certificate.id]
        for ch in n.children:
            cx, cy = positions[ch.certificate.id]
            out.append(
                f'<line x1="{x + box_w / 2 + 8:.0f}" y1="{y + box_h:.0f}" x2="{cx + box_w / 2 + 8:.0f}" '
                f'y2="{cy:.0f}" stroke="#888" stroke-width="1.5"/>'
            )
            draw(ch)
        c = n.certificate
        out.append(
            f'<rect x="{x + 8:.0f}" y="{y:.0f}" width="{box_w}" height="{box_h}" rx="8" '
            f'fill="{STATUS_COLORS.get(c.status, "#eee")}" stroke="#456" stroke-width="1.2"/>'
        )
        out.append(
            f'<text x="{x + 18:.0f}" y="{y + 18:.0f}" font-weight="bold">#{c.id} · tier {c.tier} · '
            f"{escape(money(c.amount))}</text>"
        )
        for i, label in enumerate(box_labels(n, name, lines)):
            out.append(f'<text x="{x + 18:.0f}" y="{y + 38 + 15 * i:.0f}">{escape(label[:34])}</text>')

    draw(node)
    out.append("</svg>")
    return "\n".join(out)

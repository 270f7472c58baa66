"""The explorer's web app (Starlette + Jinja2): server-rendered pages over the latest Snapshot, the JSON
API under /api/, the tree pictures and chart from scfchain.render, and one small served script that polls
/api/events?after=N and refreshes the page's live part when new events arrive. Nothing comes from a CDN."""
from __future__ import annotations

import contextlib
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from scfchain import render
from scfchain.audit.trace import box_lines, tree_node
from scfchain.abi import Calls
from scfchain.audit.verify import OnChain
from scfchain.constants import money
from scfchain.deploy import load_deployment
from scfchain.errors import ScfError
from scfchain.rpc import RetryPolicy, Rpc
from . import views
from .follow import Follower, Snapshot

HERE = Path(__file__).parent
ZERO = "0x" + "00" * 20
MAX_EVENTS = 1000  # per /api/events answer; the client asks again from the last one it got


def _when(ts: int | None) -> str:
    if not ts:
        return "-"
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _day(ts: int | None) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d") if ts else "-"


def _svg_body(svg: str | bytes) -> Markup:
    """An SVG document as markup to place inline (without its XML prolog and doctype)."""
    text = svg.decode() if isinstance(svg, bytes) else svg
    return Markup(text[text.index("<svg"):])


class Explorer:
    """The pages and API over one Follower's snapshots."""

    def __init__(self, follower: Follower, rpc_url: str):
        self.follower = follower
        self._abi: Calls | None = None
        self.rpc_url = rpc_url
        # on-chain confirmations of a lineage, on request: a page waits for the node a few seconds at most
        self.node = Rpc(rpc_url, timeout=10, retry=RetryPolicy(budget=0.5))
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(when=_when, day=_day,
                                          count=lambda n, word: f"{n} {word}" + ("" if n == 1 else "s"))
        self.templates.env.filters["pct"] = lambda v: "-" if v is None else f"{100 * v:.2f}%"

    # ------------------------------------------------------------ helpers
    @property
    def snap(self) -> Snapshot:
        snap = self.follower.snapshot
        assert snap is not None  # the server starts after the first update
        return snap

    def _helpers(self, snap: Snapshot) -> dict[str, Any]:
        ledger = snap.ledger

        def m(units: int | None) -> str:
            return "-" if units is None else money(units, ledger.decimals)

        def who(address: str | None) -> Markup:
            """A member by name, linked to its page where the full address is shown (also on hover)."""
            if not address or address == ZERO:
                return Markup("-")
            return Markup('<a class="who" href="/members/{a}" title="{a}">{n}</a>').format(a=address,
                                                                                          n=ledger.name(address))

        def cert(cid: int) -> Markup:
            return Markup('<a class="cert" href="/certificates/{i}">#{i}</a>').format(i=cid)

        def phrase(parts: list[Any]) -> Markup:
            out = []
            for p in parts:
                if isinstance(p, views.Addr):
                    out.append(who(p.address))
                elif isinstance(p, views.Amount):
                    out.append(escape(m(p.units)))
                elif isinstance(p, views.CertRef):
                    out.append(cert(p.id))
                else:
                    out.append(escape(p))
            return Markup("").join(out)

        def feed_text(row: dict[str, Any]) -> Markup:
            """An event's description with the names it mentions linked to their members (one pass, longest
            name first, so no name is looked for inside a link already made)."""
            text = str(escape(row["text"]))
            by_name = {str(escape(name)): address for address, name in row["names"].items()}
            if not by_name:
                return Markup(text)
            pattern = "|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True))
            return Markup(re.sub(pattern, lambda mt: str(who(by_name[mt.group(0)])), text))

        return {"m": m, "who": who, "cert": cert, "phrase": phrase, "feed_text": feed_text,
                "unit": ledger.symbol or "token", "decimals": ledger.decimals}

    def page(self, request: Request, name: str, status_code: int = 200, **ctx: Any) -> Response:
        snap = ctx.pop("snap", None) or self.snap
        ctx.update(self._helpers(snap), snap=snap, ledger=snap.ledger, rpc_url=self.rpc_url,
                   deployment=self.follower.deployment_file, now=time.time())
        if request.query_params.get("partial"):  # the live part only, for the page's script to swap in
            template = self.templates.env.get_template(name)
            context = template.new_context({**ctx, "request": request})
            return HTMLResponse("".join(template.blocks["live"](context)), status_code)
        return self.templates.TemplateResponse(request, name, ctx, status_code=status_code)

    def _tree(self, snap: Snapshot, cert_id: int, ancestry: bool) -> str:
        key = ("tree", cert_id, ancestry, snap.version)
        if key not in snap.cache:
            ledger = snap.ledger
            cert = ledger.certs[cert_id]
            root = ledger.roots[cert.root_id]
            title = (f"Receivable #{root.id} of {ledger.name(root.debtor)} — {root.status}" if cert_id == root.id
                     else f"Certificate #{cert_id} of receivable #{root.id} ({ledger.name(root.debtor)})")
            snap.cache[key] = render.svg_tree(tree_node(ledger, cert_id, with_ancestry=ancestry), ledger.name, title,
                                              box_lines(ledger), link=lambda i: f"/certificates/{i}",
                                              amounts=ledger.decimals, focus=None if cert_id == root.id else cert_id)
        return snap.cache[key]

    def _chart(self, snap: Snapshot) -> bytes:
        key = ("chart", snap.version)
        if key not in snap.cache:
            from scfchain.audit.report import outstanding_chart

            snap.cache[key] = outstanding_chart(snap.ledger)
        return snap.cache[key]

    def on_chain_lineage(self, snap: Snapshot, cert_id: int) -> dict[str, Any]:
        """The lineage the index shows, confirmed by certificate() on the chain at the indexed block."""
        ledger = snap.ledger
        path = ledger.lineage(cert_id)
        cert_addr = ledger.addresses.get("ReceivableCertificate", "")
        try:
            if self._abi is None:  # the deployment's ABIs encode the calls
                self._abi = Calls(load_deployment(self.follower.deployment_file).contracts)
            answers = OnChain(self.node, ledger.last_block, self._abi).calls(
                [(cert_addr, self._abi.data("ReceivableCertificate", "certificate", i)) for i in path])
        except Exception as exc:  # noqa: BLE001 — the node is away: say so, the index's answer stands
            return {"checked": False, "block": ledger.last_block, "error": str(exc).splitlines()[0]}
        mismatches = []
        for i, got in zip(path, answers):
            c = ledger.certs[i]
            want = (c.root_id, c.parent_id, c.tier, c.amount, int(c.debtor, 16))
            if got is None or tuple(got[:5]) != want:
                mismatches.append(i)
        return {"checked": True, "block": ledger.last_block, "ok": not mismatches, "mismatches": mismatches}

    # ------------------------------------------------------------ pages
    def overview(self, request: Request) -> Response:
        snap = self.snap
        data = views.overview(snap.ledger)
        recent = [e for e in snap.events if not e["minor"]][-12:][::-1]
        return self.page(request, "overview.html", snap=snap, o=data, recent=recent,
                         chart=_svg_body(self._chart(snap)) if snap.ledger.roots else None)

    def receivable_page(self, request: Request) -> Response:
        snap = self.snap
        root_id = request.path_params["root_id"]
        data = views.receivable(snap.ledger, root_id)
        entries = views.history(snap.ledger, root_id)
        return self.page(request, "receivable.html", snap=snap, r=data, root=snap.ledger.roots[root_id],
                         history=entries, tree=_svg_body(self._tree(snap, root_id, ancestry=False)))

    def certificate_page(self, request: Request) -> Response:
        snap = self.snap
        cid = request.path_params["cert_id"]
        data = views.certificate(snap.ledger, cid)
        lineage = [snap.ledger.certs[i] for i in data["lineage"]]
        return self.page(request, "certificate.html", snap=snap, c=data, lineage=lineage,
                         root=snap.ledger.roots[data["receivable"]["rootId"]],
                         chain=self.on_chain_lineage(snap, cid),
                         tree=_svg_body(self._tree(snap, cid, ancestry=True)))

    def member_page(self, request: Request) -> Response:
        snap = self.snap
        data = views.member(snap.ledger, request.path_params["address"])
        return self.page(request, "member.html", snap=snap, p=data)

    def events_page(self, request: Request) -> Response:
        snap = self.snap
        return self.page(request, "events.html", snap=snap, rows=snap.events[-300:][::-1])

    def tree_svg(self, request: Request) -> Response:
        snap = self.snap
        cid = request.path_params["cert_id"]
        if cid not in snap.ledger.certs:
            raise views.NotFound(f"certificate {cid} is not in the index (no event created it)")
        return Response(self._tree(snap, cid, ancestry=cid not in snap.ledger.roots), media_type="image/svg+xml")

    def chart_svg(self, request: Request) -> Response:
        return Response(self._chart(self.snap), media_type="image/svg+xml")

    # ------------------------------------------------------------ API
    def api_receivables(self, request: Request) -> Response:
        snap = self.snap
        return JSONResponse({"asOfBlock": snap.ledger.last_block, "decimals": snap.ledger.decimals,
                             "symbol": snap.ledger.symbol, "receivables": views.receivable_rows(snap.ledger)})

    def api_receivable(self, request: Request) -> Response:
        return JSONResponse(views.receivable(self.snap.ledger, request.path_params["root_id"]))

    def api_certificate(self, request: Request) -> Response:
        return JSONResponse(views.certificate(self.snap.ledger, request.path_params["cert_id"]))

    def api_member(self, request: Request) -> Response:
        return JSONResponse(views.member(self.snap.ledger, request.path_params["address"]))

    def api_events(self, request: Request) -> Response:
        snap = self.snap
        after = _whole(request.query_params.get("after", "0"), "after")
        limit = min(_whole(request.query_params.get("limit", str(MAX_EVENTS)), "limit") or MAX_EVENTS, MAX_EVENTS)
        page = snap.events[after:after + limit]
        return JSONResponse({"events": page, "last": page[-1]["seq"] if page else min(after, snap.last_seq),
                             "total": snap.last_seq, "asOfBlock": snap.ledger.last_block, "head": snap.head,
                             "version": snap.version, "error": snap.error})


def _whole(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ScfError(f"{name} must be a whole number, got {text!r}")
    return value


def create_app(follower: Follower, rpc_url: str, on_startup: Callable[[], None] | None = None) -> Starlette:
    ex = Explorer(follower, rpc_url)

    def api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def not_found(request: Request, exc: Exception) -> Response:
        return _error(request, 404, str(exc) if isinstance(exc, views.NotFound) else "no such page")

    def bad_input(request: Request, exc: Exception) -> Response:
        return _error(request, 400, str(exc))

    def http_error(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 500)
        return _error(request, code, "no such page" if code == 404 else str(getattr(exc, "detail", exc)))

    def _error(request: Request, code: int, message: str) -> Response:
        if api(request):
            return JSONResponse({"error": message}, status_code=code)
        return ex.page(request, "error.html", status_code=code, code=code, message=message)

    def favicon(request: Request) -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    routes = [
        Route("/", ex.overview),
        Route("/receivables/{root_id:int}", ex.receivable_page),
        Route("/receivables/{cert_id:int}/tree.svg", ex.tree_svg),
        Route("/certificates/{cert_id:int}", ex.certificate_page),
        Route("/certificates/{cert_id:int}/tree.svg", ex.tree_svg),
        Route("/members/{address}", ex.member_page),
        Route("/events", ex.events_page),
        Route("/chart/outstanding.svg", ex.chart_svg),
        Route("/favicon.ico", favicon),
        Route("/api/receivables", ex.api_receivables),
        Route("/api/receivables/{root_id:int}", ex.api_receivable),
        Route("/api/certificates/{cert_id:int}", ex.api_certificate),
        Route("/api/members/{address}", ex.api_member),
        Route("/api/events", ex.api_events),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        if on_startup is not None:
            on_startup()
        yield

    app = Starlette(routes=routes, exception_handlers={views.NotFound: not_found, ScfError: bad_input,
                                                       HTTPException: http_error}, lifespan=lifespan)
    app.state.explorer = ex
    return app

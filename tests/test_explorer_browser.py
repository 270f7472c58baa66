"""The explorer in a real browser (Debian's chromium, driven by Playwright) beside `scfchain demo --serve` on
the test's own Anvil: each page renders with no console error, the tree names its tier-3 holder and fits
every label in its box as Chromium draws it, the feed and the tree update without reloading as new
transactions land, the API agrees with the chain, and Ctrl-C stops it. Screenshots go to reports/explorer/."""
import json
import socket

import pytest
from eth_utils import keccak
from web3 import Web3

from scfchain import Anvil, Chain, Scf
from scfchain.constants import DAY, money
from scfchain.deploy import load_deployment
from tests.audit_support import ROOT
from tests.explorer_support import Proc, assert_api_matches_chain, explorer_url, get, wait_until

pytestmark = pytest.mark.tooling
playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
LAUNCH = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "reports" / "explorer"
UNIT = 100
CORE, TIER1, SME, FACTOR = "Sichuan Tech Co.", "Chengdu Precision Parts", "Leshan Household Appliances", \
    "Tianfu Financing Guarantee Co."
# every text of a tree box inside the box's outline, as Chromium lays the SVG out
OVERFLOWING_LABELS = """() => [...document.querySelectorAll('#tree g.node')].flatMap(g => {
    const box = g.querySelector('path, polygon').getBBox();
    return [...g.querySelectorAll('text')].filter(t => {
        const b = t.getBBox();
        return b.x < box.x || b.x + b.width > box.x + box.width + 0.5 || b.y < box.y || b.y + b.height > box.y + box.height + 0.5;
    }).map(t => t.textContent);
})"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("explorer-browser")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with Anvil() as anvil:
        p = Proc("demo", "--serve", "--rpc-url", anvil.url, "--out", str(tmp), "--port", "0", "--pace", "0.3")
        try:
            base = explorer_url(p.wait_for(lambda l: l.startswith("Explorer: "), timeout=240))
            w3 = Web3(Web3.HTTPProvider(anvil.url))
            yield {"p": p, "base": base, "w3": w3, "tmp": tmp, "url": anvil.url}
        finally:
            p.kill()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()
    assert pg.errors == [], pg.errors  # no console error on any page a test opened


def finished(demo):
    """The demo's story is over (its explorer stays up)."""
    if not any("Ctrl-C to stop" in line for line in demo["p"].lines):
        demo["p"].wait_for(lambda l: "Ctrl-C to stop" in l, timeout=300)
    return json.loads((demo["tmp"] / "demo.json").read_text())


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def cells(row):
    return [t.strip() for t in row.locator("td").all_inner_texts()]


def mark(page):
    """Marks the loaded document: the mark survives live updates, not a reload."""
    page.evaluate("window.__loadedOnce = true")


def test_overview_followsTheStory_withoutReloading(demo, page):
    page.goto(demo["base"] + "/")
    mark(page)
    # the story runs on (the page was opened as it started); the table fills in as it goes, in the page as loaded
    record = finished(demo)
    for r in record["receivables"]:
        page.locator(f'#receivables tr[data-root="{r["rootId"]}"] .badge.{r["status"]}').wait_for(timeout=60_000)
    page.locator("ol.recent li", has_text="is paid").first.wait_for()
    assert page.evaluate("window.__loadedOnce") is True
    rows = page.locator("#receivables tbody tr")
    assert rows.count() == len(record["receivables"]) == 2
    for i, r in enumerate(record["receivables"]):  # what the demo says it did
        row = cells(rows.nth(i))
        assert [row[k] for k in (0, 1, 2, 3, 5, 7, 8)] == [
            f"#{r['rootId']}", CORE, TIER1, money(r["faceValue"]), r["status"], money(r["recovered"]),
            money(r["paidOut"])]
    assert cells(page.locator("#debtors tbody tr"))[:4] == [CORE, "2", "0", "0.00"]
    guarantee = cells(page.locator("#guarantees tbody tr"))
    covered = money(record["receivables"][1]["covered"])
    assert (guarantee[3], guarantee[5], guarantee[7]) == ("300,000.00", covered, "0.00")
    sold = page.locator(".card", has_text="Sold to financiers").inner_text().splitlines()
    assert sold[1] == money(record["financing"]["amount"]) and money(record["financing"]["proceeds"]) in sold[2]
    if "loan" in record:
        lent = page.locator(".card", has_text="Lent against certificates").inner_text().splitlines()
        assert lent[1] == money(record["loan"]["principal"])
    members = page.locator("section", has_text="Members by role").inner_text()
    assert all(name in members for name in (CORE, TIER1, SME, FACTOR, "Western Clearing House"))
    face = sum(r["faceValue"] for r in record["receivables"])
    assert f"peak {money(face)}" in page.locator(".chart svg").inner_html()
    shot(page, "overview")


def test_receivable_treeNamesTier3Holder_labelsFit(demo, page):
    record = finished(demo)
    root = record["receivables"][0]["rootId"]
    page.goto(f"{demo['base']}/receivables/{root}")
    tier3 = page.locator("#tree g.node", has_text="· tier 3 ·")
    assert tier3.count() == 1
    labels = tier3.locator("text").all_text_contents()
    tier3_id = int(labels[0].split(" ")[0][1:])
    assert f"split to {SME}" in labels  # the small business with no contract with the core enterprise
    for p in record["payouts"]:
        if p["id"] == tier3_id:
            assert any(label.startswith(f"paid out {money(p['payout'])} to ") for label in labels)
    assert page.evaluate(OVERFLOWING_LABELS) == []
    history = page.locator("#history tbody tr")
    kinds = [history.nth(i).locator(".badge").inner_text() for i in range(history.count())]
    assert kinds[0] == "issue" and {"split", "transfer", "sale", "repayment", "closed"} <= set(kinds)
    assert kinds.count("payout") == sum(1 for p in record["payouts"] if p["rootId"] == root)
    if "loan" in record:
        assert {"loan-requested", "loan-funded"} <= set(kinds)
    fin = record["financing"]
    sale = page.locator("#history tr.kind-sale").inner_text()
    assert f"sells {money(fin['amount'])} of #{fin['certId']} to " in sale and f"for {money(fin['proceeds'])}" in sale
    assert f"annualised discount {fin['rateBps'] / 100:.2f}%" in sale
    shot(page, "receivable-1")
    tier3.locator("a").click()  # a box is a link to its certificate
    page.wait_for_url(f"**/certificates/{tier3_id}")
    second = record["receivables"][1]
    page.goto(f"{demo['base']}/receivables/{second['rootId']}")
    assert page.locator("h1 .badge").inner_text() == "defaulted"
    assert f"pays {money(second['covered'])}" in page.locator("#history tr.kind-guarantee-call").inner_text()
    assert (f"{money(second['recovered'] - second['covered'])} repaid, {money(second['covered'])} covered by "
            f"guarantees, {money(second['recovered'])} recovered") in page.locator("#history tr.kind-default").inner_text()
    assert page.evaluate(OVERFLOWING_LABELS) == []
    shot(page, "receivable-5")


def test_certificate_descendsFromCore_fullAddressAClickAway(demo, page):
    record = finished(demo)
    page.goto(demo["base"] + "/certificates/4")  # the tier-3 business's certificate, split from #2 of #1
    assert page.locator("#descent .verdict").inner_text() == f"✓ Descends from {CORE}'s receivable #1"
    assert "Every step confirmed by certificate() on the chain" in page.locator("#descent").inner_text()
    assert page.locator("ol.lineage li").all_inner_texts() == [
        f"#1 · tier 1 · 1,000,000.00 · issued to {TIER1}", "#2 · tier 2 · 400,000.00 · split to Mianyang Castings",
        f"#4 · tier 3 · 150,000.00 · split to {SME}"]
    assert page.locator("#tree g.node").count() == 3 and page.evaluate(OVERFLOWING_LABELS) == []
    shot(page, "certificate-4")
    page.locator("ol.lineage li").nth(2).get_by_role("link", name=SME).click()
    page.wait_for_url("**/members/*")
    assert page.locator("#address").inner_text() == record["actors"][SME]
    profile = page.locator("section", has_text="Credit profile").inner_text()
    assert "1 certificate, 150,000.00 units" in profile
    tier3 = page.locator("section", has_text="Credit profile").locator("table").first
    assert cells(tier3.locator("tbody tr")) == ["3", "1", "150,000.00"]
    shot(page, "member-sme")
    page.goto(f"{demo['base']}/members/{record['actors'][CORE]}")
    debts = page.locator("#debts tbody tr")
    assert debts.count() == 2 and "defaulted" in debts.nth(1).inner_text()
    shot(page, "member-core")


def test_liveFeed_showsAnEventSentAfterThePageLoaded(demo, page):
    finished(demo)
    page.goto(demo["base"] + "/events")
    mark(page)
    first = int(page.locator("#feed tbody tr").first.get_attribute("data-seq"))
    w3 = demo["w3"]
    scf = Scf(Chain(w3), load_deployment(demo["tmp"] / "deployment.json"))
    newcomer = w3.eth.accounts[12]
    scf.onboard(w3.eth.accounts[0], newcomer, "SUPPLIER", "Late Joiner Ltd")
    row = page.locator("#feed tbody tr", has_text="Late Joiner Ltd onboarded as SUPPLIER_ROLE")
    row.wait_for(timeout=60_000)
    assert int(row.get_attribute("data-seq")) > first and page.evaluate("window.__loadedOnce") is True
    assert row.get_by_role("link", name="Late Joiner Ltd").get_attribute("href") == f"/members/{newcomer}"
    page.locator("#show-minor").check()
    page.locator("#feed tbody tr.minor", has_text="SUPPLIER_ROLE granted to Late Joiner Ltd").wait_for()
    shot(page, "events")


def test_receivableTree_growsWhileThePageIsOpen(demo, page):
    finished(demo)
    w3 = demo["w3"]
    scf = Scf(Chain(w3), load_deployment(demo["tmp"] / "deployment.json"))
    core, tier1, sme = w3.eth.accounts[1], w3.eth.accounts[2], w3.eth.accounts[5]
    root = scf.issue(core, tier1, 80_000 * UNIT, scf.now() + 60 * DAY, keccak(text="PO-2026-003 (browser test)"))
    wait_until(lambda: get(f"{demo['base']}/api/receivables/{root}")[0], lambda status: status == 200)
    page.goto(f"{demo['base']}/receivables/{root}")
    page.locator("#tree text", has_text=f"#{root} · tier 1 · 80,000.00").wait_for(timeout=60_000)
    mark(page)
    (child,) = scf.split(tier1, root, [sme], [30_000 * UNIT])
    page.locator("#tree text", has_text=f"#{child} · tier 2 · 30,000.00").wait_for(timeout=60_000)
    node = page.locator("#tree g.node", has_text=f"#{child} · tier 2")
    assert f"{SME}: 30,000.00" in node.locator("text").all_text_contents()
    assert page.evaluate("window.__loadedOnce") is True and page.evaluate(OVERFLOWING_LABELS) == []
    assert page.locator("#history tr.kind-split").count() == 1
    shot(page, "receivable-growing")


def test_api_matchesTheChain(demo):
    finished(demo)
    dep = json.loads((demo["tmp"] / "deployment.json").read_text())
    assert assert_api_matches_chain(demo["base"], demo["w3"], dep, demo["w3"].eth.accounts) >= 6


def test_ctrlC_stopsTheExplorerAndTheDemo(demo):
    finished(demo)
    assert demo["p"].interrupt() == 0
    assert demo["p"].lines[-1] == "explorer stopped"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(demo["base"].rsplit(":", 1)[1])), timeout=5)

"""Rules of the contract sources that the review asked for, checked on the compiler's own output (the ABI and
NatSpec brownie stores per contract) and on the sources: no silent narrowing cast, NatSpec as OpenZeppelin
writes it on every interface, and every external function of a contract declared on its interface."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "contracts"
INTERFACES = ["IConsortium", "IConsortiumGated", "IMembershipMirror", "ICreditGuarantee", "IFinancingDesk",
              "IReceivableCertificate", "ISettlementEscrow", "ILoanDesk"]
CONTRACTS = {
    "Consortium": ["IConsortium"],
    "ReceivableCertificate": ["IReceivableCertificate", "IMembershipMirror", "IConsortiumGated", "IERC1155",
                              "IERC1155MetadataURI"],
    "CreditGuarantee": ["ICreditGuarantee", "IConsortiumGated"],
    "FinancingDesk": ["IFinancingDesk", "IConsortiumGated"],
    "SettlementEscrow": ["ISettlementEscrow", "IConsortiumGated"],
    "LoanDesk": ["ILoanDesk", "IConsortiumGated", "IERC1155Receiver"],
}
# Standard OpenZeppelin surface (IAccessControl's and ERC-165's functions, AccessControl's admin role constant).
STANDARD = {"IAccessControl", "IERC165"}
NARROWING = re.compile(r"(?<![\w.])u?int(8|16|24|32|40|48|56|64|72|80|88|96|104|112|120|128|136|144|152|160|"
                       r"168|176|184|192|200|208|216|224|232|240|248)\(")


def _artifact(name):
    return json.loads((BUILD / f"{name}.json").read_text())


def _sig(item):
    return f"{item['name']}({','.join(_type(i) for i in item['inputs'])})"


def _type(param):
    if param["type"].startswith("tuple"):
        return "(" + ",".join(_type(c) for c in param["components"]) + ")" + param["type"][5:]
    return param["type"]


def _functions(name):
    return {_sig(i) for i in _artifact(name)["abi"] if i["type"] == "function"}


def _production_sources():
    return [p for p in (ROOT / "contracts").rglob("*.sol") if p.relative_to(ROOT / "contracts").parts[0] != "test"]


@pytest.mark.parametrize("path", _production_sources(), ids=lambda p: p.name)
def test_noNarrowingCastOutsideSafeCast(path):
    """Every cast to a smaller integer goes through SafeCast (or is not written at all)."""
    code = re.sub(r"//[^\n]*", "", path.read_text())
    assert [m.group(0) for m in NARROWING.finditer(code)] == [], f"{path.name}: unchecked narrowing cast"


def _documented(name):
    """{declared name: its NatSpec block (the `///` lines right above)} for each function, event and error
    declared in interface `name`'s own source (inherited OpenZeppelin declarations are documented there)."""
    lines = (ROOT / _artifact(name)["sourcePath"]).read_text().splitlines()
    found = {}
    for i, line in enumerate(lines):
        m = re.match(r"\s*(function|event|error) (\w+)\(", line)
        if not m:
            continue
        j, block = i - 1, []
        while j >= 0 and lines[j].strip().startswith("///"):
            block.insert(0, lines[j].strip()[3:].strip())
            j -= 1
        found[(m.group(1), m.group(2))] = " ".join(block)
    return found


@pytest.mark.parametrize("name", INTERFACES)
def test_interface_natspec_everyFunctionHasNoticeParamsAndReturns(name):
    docs = _documented(name)
    abi = {i["name"]: i for i in _artifact(name)["abi"] if i["type"] == "function"}
    functions = [(n, d) for (kind, n), d in docs.items() if kind == "function"]
    assert functions, f"{name}: no functions found"
    for fn, doc in functions:
        assert "@notice" in doc, f"{name}.{fn}: no @notice"
        for p in abi[fn]["inputs"]:
            assert re.search(rf"@param {p['name']}\b", doc), f"{name}.{fn}: no @param {p['name']}"
        assert doc.count("@return") == len(abi[fn]["outputs"]), f"{name}.{fn}: one @return per returned value"


@pytest.mark.parametrize("name", INTERFACES)
def test_interface_natspec_everyOwnEventAndErrorHasNotice(name):
    for (kind, n), doc in _documented(name).items():
        if kind != "function":
            assert "@notice" in doc, f"{name}: {kind} {n} has no @notice"


@pytest.mark.parametrize("contract", sorted(CONTRACTS))
def test_everyExternalFunctionOfAContract_isDeclaredOnItsInterface(contract):
    declared = set().union(*(_functions(i) for i in CONTRACTS[contract] + sorted(STANDARD)))
    declared |= {"DEFAULT_ADMIN_ROLE()"}
    undeclared = _functions(contract) - declared
    assert undeclared == set(), f"{contract}: external functions not on its interface: {sorted(undeclared)}"

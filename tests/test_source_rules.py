"""Rules of the contract sources that the review asked for, checked on the compiler's own output (the ABI and
NatSpec brownie stores per contract) and on the sources: no silent narrowing cast, NatSpec as OpenZeppelin
writes it on every interface, and every external function of a contract declared on its interface."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "contracts"
INTERFACES = ["IConsortium", "IConsortiumGated", "ICreditGuarantee", "IFinancingDesk", "IReceivableCertificate",
              "ISettlementEscrow"]
CONTRACTS = {
    "Consortium": ["IConsortium"],
    "ReceivableCertificate": ["IReceivableCertificate", "IConsortiumGated", "IERC1155", "IERC1155MetadataURI"],
    "CreditGuarantee": ["ICreditGuarantee", "IConsortiumGated"],
    "FinancingDesk": ["IFinancingDesk", "IConsortiumGated"],
    "SettlementEscrow": ["ISettlementEscrow", "IConsortiumGated"],
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


@pytest.mark.parametrize("name", INTERFACES)
def test_interface_natspec_everyFunctionHasNoticeParamsAndReturns(name):
    art = _artifact(name)
    methods = art["natspec"].get("methods", {})
    for item in art["abi"]:
        if item["type"] != "function":
            continue
        doc = methods.get(_sig(item), {})
        assert doc.get("notice"), f"{name}.{_sig(item)}: no @notice"
        params = doc.get("params", {})
        for p in item["inputs"]:
            if p["name"]:
                assert params.get(p["name"]), f"{name}.{_sig(item)}: no @param {p['name']}"
        if item["outputs"]:
            assert len(doc.get("returns", {})) == len(item["outputs"]), f"{name}.{_sig(item)}: @return missing"


@pytest.mark.parametrize("name", INTERFACES)
def test_interface_natspec_everyOwnEventAndErrorHasNotice(name):
    art = _artifact(name)
    source = (ROOT / art["sourcePath"]).read_text()
    own = set(re.findall(r"^\s*(?:event|error) (\w+)\(", source, re.M))
    natspec = art["natspec"]
    for kind in ("event", "error"):
        for item in art["abi"]:
            if item["type"] != kind or item["name"] not in own:
                continue
            doc = natspec.get(kind + "s", {}).get(_sig(item))
            doc = doc[0] if isinstance(doc, list) else doc
            assert doc and doc.get("notice"), f"{name}: {kind} {_sig(item)} has no @notice"


@pytest.mark.parametrize("contract", sorted(CONTRACTS))
def test_everyExternalFunctionOfAContract_isDeclaredOnItsInterface(contract):
    declared = set().union(*(_functions(i) for i in CONTRACTS[contract] + sorted(STANDARD)))
    declared |= {"DEFAULT_ADMIN_ROLE()"}
    undeclared = _functions(contract) - declared
    assert undeclared == set(), f"{contract}: external functions not on its interface: {sorted(undeclared)}"

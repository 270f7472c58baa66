"""LeanERC1155 (the certificate's ERC-1155 base) against OpenZeppelin's ERC1155 as the oracle: the same random
sequence of calls (mints, burns, transfers, batches, approvals, views, bad input of every kind, receivers that
accept, reject or revert) on both, each call from the same sender; after each step the outcome (return data or
revert data, byte for byte), the logs (topics and data) and every balance must be the same."""
import random

import pytest
from brownie import CertificateReceiverMock, LeanERC1155Mock, PlainContractMock, PlainERC1155, accounts, web3
from web3.exceptions import ContractLogicError

ZERO = "0x" + "00" * 20
MAX = 2**256 - 1
IDS = [0, 1, 2, 7, MAX]
INTERFACES = ["0xd9b67a26", "0x0e89341c", "0x01ffc9a7", "0xffffffff", "0x4e2312e0"]
STEPS = 240


@pytest.fixture(scope="module")
def pair(admin):
    return PlainERC1155.deploy({"from": admin}), LeanERC1155Mock.deploy({"from": admin})


@pytest.fixture(scope="module")
def receivers(admin):
    """A receiver per answer (accept, wrong selector, revert empty, revert with an error) and a contract with no
    hook at all."""
    return [CertificateReceiverMock.deploy(mode, {"from": admin}) for mode in range(4)] + [
        PlainContractMock.deploy({"from": admin})]


def outcome(contract, sender, data):
    """(ok, return or revert data, logs as (topics, data)) of `data` sent by `sender`; a refused call is not sent."""
    tx = {"from": sender, "to": contract.address, "data": data, "gas": 2_000_000}
    try:
        returned = bytes(web3.eth.call(tx))
    except (ContractLogicError, ValueError) as exc:  # brownie's middleware raises ValueError({"data": ...})
        found = exc.data if isinstance(exc, ContractLogicError) else exc.args[0]["data"]
        return False, bytes.fromhex(str(found).removeprefix("0x")), ()
    receipt = web3.eth.wait_for_transaction_receipt(web3.eth.send_transaction(tx))
    assert receipt["status"] == 1
    logs = tuple((log["address"] == contract.address, tuple(bytes(t) for t in log["topics"]), bytes(log["data"]))
                 for log in receipt["logs"])
    return True, returned, logs


def test_sameBehaviourAsOpenZeppelin_randomSequence(pair, receivers):
    plain, lean = pair
    rng = random.Random(1155)
    people = [a.address for a in accounts[1:5]]
    holders = people + [r.address for r in receivers]
    ends = holders + [ZERO]

    def value(holder=None, token=None):
        """Mostly a part of what `holder` holds of `token` (so that moves succeed), else anything."""
        if holder is not None and rng.random() < 0.7:
            return rng.randint(0, plain.balanceOf(holder, token))
        return rng.choice([0, 1, 5, 100, 10**6, MAX, MAX - 1])

    def ids(n):
        return [rng.choice(IDS) for _ in range(n)]

    def data():
        return rng.choice([b"", b"\xab\xcd", bytes(range(40))])

    def call():
        kind = rng.choices(["mint", "burn", "transfer", "batch", "approve", "view"], [5, 2, 6, 4, 2, 2])[0]
        sender = rng.choice(people)
        frm = sender if rng.random() < 0.7 else rng.choice(ends)
        if kind == "mint":
            return sender, ("mint", [rng.choice(ends), rng.choice(IDS), value(), data()])
        if kind == "burn":
            holder, token = rng.choice(ends), rng.choice(IDS)
            return sender, ("burn", [holder, token, value(holder, token)])
        if kind == "transfer":
            token = rng.choice(IDS)
            return sender, ("safeTransferFrom", [frm, rng.choice(ends), token, value(frm, token), data()])
        if kind == "batch":
            n = rng.choice([0, 1, 1, 2, 3])
            tokens = ids(n)
            values = [value(frm, t) for t in tokens] if rng.random() < 0.85 else [value() for _ in range(rng.randint(0, 3))]
            return sender, ("safeBatchTransferFrom", [frm, rng.choice(ends), tokens, values, data()])
        if kind == "approve":
            return sender, ("setApprovalForAll", [rng.choice(people + [ZERO]), rng.random() < 0.7])
        n = rng.choice([0, 1, 3])
        return sender, rng.choice([
            ("balanceOfBatch", [[rng.choice(ends) for _ in range(n)], ids(n if rng.random() < 0.8 else n + 1)]),
            ("isApprovedForAll", [rng.choice(ends), rng.choice(ends)]),
            ("uri", [rng.choice(IDS)]),
            ("supportsInterface", [rng.choice(INTERFACES)]),
        ])

    kinds = set()
    for step in range(STEPS):
        sender, (fn, args) = call()
        data_plain = getattr(plain, fn).encode_input(*args)
        data_lean = getattr(lean, fn).encode_input(*args)
        assert data_plain == data_lean
        a, b = outcome(plain, sender, data_plain), outcome(lean, sender, data_lean)
        assert a == b, f"step {step}: {fn}{tuple(args)} from {sender}: OpenZeppelin {a}, lean {b}"
        kinds.add((fn, a[0]))
        if fn == "safeBatchTransferFrom" and a[0]:
            kinds.add(("batch of", min(len(args[2]), 2)))
        if fn in ("mint", "safeTransferFrom", "safeBatchTransferFrom") and a[0] and any(not own for own, _, _ in a[2]):
            kinds.add(("accepted by a contract", fn))
        for i in IDS:
            assert plain.balanceOfBatch(ends, [i] * len(ends)) == lean.balanceOfBatch(ends, [i] * len(ends))
    # The sequence reached both outcomes of every movement.
    for fn in ("mint", "burn", "safeTransferFrom", "safeBatchTransferFrom", "setApprovalForAll"):
        assert {(fn, True), (fn, False)} <= kinds, (fn, sorted(kinds))
    assert {("batch of", 0), ("batch of", 1), ("batch of", 2)} <= kinds, sorted(kinds)
    assert {("accepted by a contract", fn) for fn in ("mint", "safeTransferFrom", "safeBatchTransferFrom")} <= kinds


def test_batchOfOne_asksTheBatchHook_andEmitsTransferSingle(pair, receivers):
    """ERC-1155: `safeBatchTransferFrom` calls `onERC1155BatchReceived`, even for one id (OpenZeppelin 5.7 does;
    5.4 asked the single hook), while a batch of one is still logged as a TransferSingle."""
    holder, accepting = accounts[6], receivers[0]
    single = web3.keccak(text="TransferSingle(address,address,address,uint256,uint256)")
    batch_hook = web3.keccak(text="BatchReceived(address,address,uint256[],uint256[],bytes)")
    for token in pair:
        token.mint(holder, 7, 10, b"", {"from": holder})
        tx = token.safeBatchTransferFrom(holder, accepting, [7], [4], b"\x01", {"from": holder})
        logs = tx.logs
        assert [log["topics"][0] for log in logs] == [single, batch_hook]
        assert logs[1]["address"] == accepting.address
        hook = tx.events["BatchReceived"]
        assert [int(i) for i in hook["ids"]] == [7] and [int(v) for v in hook["values"]] == [4]
        assert hook["operator"] == hook["from"] == holder and bytes(hook["data"]) == b"\x01"
        assert token.balanceOf(accepting, 7) == 4 and token.balanceOf(holder, 7) == 6

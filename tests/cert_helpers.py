"""Helpers for the certificate-layer tests: event matching, state snapshots, chain time."""
from __future__ import annotations

from brownie import chain, web3

ZERO_ADDRESS = "0x" + "00" * 20
ZERO_BYTES32 = "0x" + "00" * 32
MAX_UINT128 = 2**128 - 1
STATUS_NONE, STATUS_ACTIVE, STATUS_PAID, STATUS_DEFAULTED = 0, 1, 2, 3


def norm(value):
    """Normalises a value for comparison: addresses/hex lowercased, sequences to lists."""
    if hasattr(value, "address"):
        value = value.address
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else value
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    return value


def assert_event(tx, name, expected: dict, index=0, count=None, emitter=None):
    """Asserts event `name` number `index` of `tx` has exactly the arguments `expected`."""
    assert name in tx.events, f"{name} not emitted; got {list(tx.events.keys())}"
    events = tx.events[name]
    if count is not None:
        assert len(events) == count, f"{name}: {len(events)} events, expected {count}"
    event = events[index]
    got = {key: norm(event[key]) for key in event.keys()}
    want = {key: norm(value) for key, value in expected.items()}
    assert got == want, f"{name}[{index}]: {got} != {want}"
    if emitter is not None:
        assert norm(event.address) == norm(emitter)


def set_next_timestamp(timestamp: int) -> None:
    """The next mined block gets exactly `timestamp`."""
    web3.provider.make_request("evm_setNextBlockTimestamp", [int(timestamp)])


def latest_timestamp() -> int:
    return chain[-1].timestamp


def balances(certificate, holders, ids):
    """Every (holder, id) balance, as one flat list."""
    owners = [h for h in holders for _ in ids]
    tokens = [i for _ in holders for i in ids]
    return list(certificate.balanceOfBatch(owners, tokens))


def cert_state(certificate, debtor, holders, ids):
    """Everything a failed call must leave unchanged."""
    return {
        "nextId": certificate.nextId(),
        "outstanding": certificate.outstanding(debtor),
        "creditLimit": certificate.creditLimit(debtor),
        "balances": balances(certificate, holders, ids),
        "lineage": [lineage(certificate, i) for i in ids],
    }


def certificates_of(certificate, root_id):
    """All certificate ids (root and descendants) of `root_id`."""
    return [i for i in range(1, certificate.nextId()) if certificate.certificate(i)[0] == root_id]


def live_units(certificate, root_id, holders):
    """Units of every certificate of `root_id` held by any of `holders`."""
    ids = certificates_of(certificate, root_id)
    return sum(balances(certificate, holders, ids)) if ids else 0


def lineage(certificate, cert_id):
    """certificate(id) as a plain tuple (ints, lowercase debtor) for exact comparison."""
    return tuple(norm(v) for v in certificate.certificate(cert_id))


def expected_lineage(root_id, parent_id, tier, amount, debtor, maturity, status):
    return tuple(norm(v) for v in (root_id, parent_id, tier, amount, debtor, maturity, status))


def raw_log_args(tx, emitter, types):
    """ABI-decodes the data of every log `emitter` wrote in `tx` (brownie shows empty `bytes` as 0x00)."""
    from eth_abi import decode

    address = norm(emitter)
    return [decode(types, bytes(log["data"])) for log in tx.logs if norm(log["address"]) == address]


def events_of(tx, name):
    """All `name` events of `tx`, normalised, in emission order."""
    return [{key: norm(event[key]) for key in event.keys()} for event in tx.events[name]] if name in tx.events else []


def assert_events_unordered(tx, name, expected):
    """`tx` emitted exactly the `name` events `expected`, in any order."""
    got = sorted(events_of(tx, name), key=repr)
    want = sorted(({k: norm(v) for k, v in e.items()} for e in expected), key=repr)
    assert got == want, f"{name}: {got} != {want}"

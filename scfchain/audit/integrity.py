"""Checks that the index itself is the chain's: complete and unchanged, and that membership matches.

* `check_index`: every log of the deployment's contracts on chain (that its ABIs describe) is in the index
  exactly once, as it was emitted, and nothing else is. The logs are fetched again with `eth_getLogs` over
  the indexed span, range by range (the indexer's adaptive ranges), decoded by the indexer's own decoder,
  and compared with the stored rows of the same blocks by count and by a digest of (block, log index,
  transaction hash and index, block time, contract, event, arguments); a range that differs names the logs
  missing from the index, the rows the chain does not have, and the rows altered, field by field. (The
  index keeps decoded arguments, not raw topics and data: the decoding is one-to-one for the ABI types used,
  so a row equal to the freshly decoded log is that log.)
* `well_typed`: the rows the replay can read; a row whose columns or arguments are not of their ABI types (a
  text where an integer is, a null where an address is, arguments that are not JSON) is a failed
  `index-complete` check naming the row, instead of an error deep in the replay.
* `check_members`: each member's `isActive`, `hasRole` for every role, and `nameOf` against the chain, as
  the membership events replayed say they are.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Callable, Iterable, Iterator

from eth_abi import decode as abi_decode
from eth_abi import is_encodable

from ..abi import Calls
from ..constants import ROLE_IDS
from ..deploy import Deployment
from ..rpc import Rpc
from .index import Indexer
from .events import Decoder
from .replay import Anomaly, Ledger
from .store import Event, Store

MAX_DIFFERENCES = 50  # violations named per check; the count of the rest follows
ID_KEYS = ("rootId", "certId", "id", "parentId")
Row = tuple[int, int, str, int, int, str, str, Any]  # block, log index, tx, tx index, time, contract, event, args



def _canonical(row: Row) -> str:
    return json.dumps(list(row), separators=(",", ":"), sort_keys=True)


def digest(rows: list[Row]) -> str:
    """A digest of rows in chain order (see the module's docstring for the fields)."""
    h = hashlib.sha256()
    for r in rows:
        h.update(_canonical(r).encode())
        h.update(b"\n")
    return h.hexdigest()


def _ids(row: Row) -> tuple[int, ...]:
    args = row[7] if isinstance(row[7], dict) else {}
    if row[5] == "PaymentToken":
        return ()
    return tuple(sorted({args[k] for k in ID_KEYS if isinstance(args.get(k), int)}))


def _show(row: Row) -> str:
    text = json.dumps(row[7], separators=(",", ":"))
    if len(text) > 160:
        text = text[:157] + "…"
    return f"{row[5]}.{row[6]} {text} at block {row[0]}, log {row[1]} (tx {row[2][:12]}…)"


def _changes(mine: Row, theirs: Row) -> str:
    fields = ("block", "log index", "transaction", "transaction index", "block time", "contract", "event")
    out = [f"{name} {a!r} in the index, {b!r} on chain"
           for name, a, b in zip(fields, mine[:7], theirs[:7]) if a != b]
    ma, ta = mine[7], theirs[7]
    if isinstance(ma, dict) and isinstance(ta, dict):
        for key in list(ta) + [k for k in ma if k not in ta]:
            if ma.get(key) != ta.get(key):
                out.append(f"{key} {ma.get(key, 'missing')!r} in the index, {ta.get(key, 'missing')!r} on chain")
    elif ma != ta:
        out.append(f"arguments {ma!r} in the index, {ta!r} on chain")
    return "; ".join(out)


def _compare(a: int, b: int, mine: list[Row], theirs: list[Row], fail: Callable[..., None]) -> None:
    """Names each difference between the stored rows and the chain's logs of blocks a..b."""
    fail(f"blocks {a}–{b}: the index holds {len(mine)} logs (digest {digest(mine)[:16]}), the chain "
         f"{len(theirs)} (digest {digest(theirs)[:16]})")
    by_key = {(r[0], r[1]): r for r in theirs}
    stored = {(r[0], r[1]): r for r in mine}
    # a row may have been moved (its block or log index altered): match it to a missing log by content
    missing = [r for k, r in by_key.items() if k not in stored]
    for key in sorted(set(stored) | set(by_key)):
        m, t = stored.get(key), by_key.get(key)
        if m is not None and t is not None:
            if _canonical(m) != _canonical(t):
                fail(f"altered: {_show(t)}: {_changes(m, t)}", *_ids(t), *_ids(m))
        elif m is not None:
            twin = next((r for r in missing if r[2:] == m[2:]), None)
            if twin is not None:
                missing.remove(twin)
                fail(f"altered: {_show(twin)}: {_changes(m, twin)}", *_ids(m))
            else:
                fail(f"not on chain: {_show(m)} is in the index, the chain has no such log", *_ids(m))
    for t in missing:
        fail(f"missing: {_show(t)} is on chain, not in the index", *_ids(t))


def check_index(check: Any, store: Store, deployment: Deployment, node: Rpc, to_block: int,
                say: Callable[[str], None] = lambda _m: None) -> None:
    """Fills `check` (a verify Check): the index against fresh `eth_getLogs` over the deployment's blocks
    up to `to_block` (the index's cursor)."""
    first = deployment.block
    violations = 0

    def fail(message: str, *ids: int) -> None:
        nonlocal violations
        violations += 1
        if violations <= MAX_DIFFERENCES:
            check.fail(message, *ids)

    outside = store.execute("SELECT COUNT(*) FROM events WHERE block < ? OR block > ?", (first, to_block)).fetchone()[0]
    if outside:
        fail(f"{outside} rows of blocks outside the indexed span {first}–{to_block}")
    ix = Indexer(node, deployment, store, confirmations=0)
    say("fetching every log again to compare with the index")
    for a, b, raw, _count, _final, _hash in ix.ranges(first, to_block, first - 1):  # no final-block hashes
        rows, missing_times = ix._decode_here(raw)
        theirs: list[Row] = [(*r[:7], json.loads(r[7])) for r in ix._fill_times(rows, missing_times)]
        mine: list[Row] = [(e.block, e.log_index, e.tx_hash, e.tx_index, e.time, e.contract, e.name, e.args)
                           for e in store.events(blocks=(a, b), strict=False)]
        check.checked += len(theirs)
        if len(mine) != len(theirs) or digest(mine) != digest(theirs):
            _compare(a, b, mine, theirs, fail)
    if violations > MAX_DIFFERENCES:
        check.fail(f"… and {violations - MAX_DIFFERENCES} more differences")


_HEX = re.compile(r"0x[0-9a-fA-F]*\Z")
_ARRAY = re.compile(r"(.*)\[(\d*)\]\Z")


def _type_error(kind: str, value: Any) -> str | None:
    """Why `value` (as the index stores it: JSON) cannot be a value of ABI type `kind`; None if it can. Lists are
    walked here so that a message names the bad element; eth_abi's is_encodable judges each value (ranges,
    sizes, a bool is no integer), after 0x-hex text, the index's form of addresses and bytes, becomes bytes."""
    array = _ARRAY.match(kind)
    if array:
        if not isinstance(value, list) or array.group(2) and len(value) != int(array.group(2)):
            return f"{value!r} is not a {kind} list"
        return next((f"[{i}] {why}" for i, v in enumerate(value) if (why := _type_error(array.group(1), v))), None)
    plain = value
    if kind == "address" or kind.startswith("bytes"):
        if not (isinstance(value, str) and _HEX.match(value) and len(value) % 2 == 0):
            return f"{value!r} is not a {kind}"
        plain = bytes.fromhex(value[2:])
    return None if is_encodable(kind, plain) else f"{value!r} is not a {kind}"


def well_typed(events: Iterable[Event], decoder: Decoder, anomalies: list[Anomaly]) -> Iterator[Event]:
    """The events whose columns and arguments have their types; each other row is left out and recorded as a
    failed `index-complete` check naming it (the comparison with the chain then names what it should be)."""
    specs = {(spec.contract, spec.name): spec for spec in decoder.events()}
    for e in events:
        why = next((f"{name} {v!r} is not an integer" for name, v in (
            ("block", e.block), ("log index", e.log_index), ("transaction index", e.tx_index), ("block time", e.time))
            if not isinstance(v, int) or isinstance(v, bool)), None)
        if why is None and not (isinstance(e.tx_hash, str) and _HEX.match(e.tx_hash) and len(e.tx_hash) == 66):
            why = f"transaction {e.tx_hash!r} is not a transaction hash"
        spec = specs.get((e.contract, e.name))
        if why is None and not isinstance(e.args, dict):
            why = f"arguments {e.args!r} are not a JSON object"
        elif why is None and spec is not None:
            types = dict(spec.indexed + spec.data)
            if set(e.args) != set(types):
                why = f"arguments {sorted(e.args)} are not the event's {list(spec.order)}"
            else:
                why = next((f"{name} {err}" for name in spec.order if (err := _type_error(types[name], e.args[name]))),
                           None)
        if why is None:
            yield e
        else:
            anomalies.append(Anomaly("index-complete", f"malformed row {e.contract}.{e.name} at block {e.block}, "
                                     f"log {e.log_index}: {why}; left out of the replay"))


def check_members(check: Any, ledger: Ledger, node: Rpc, block: int, abi: Calls) -> None:
    """Fills `check`: every member the events name, its activity, roles and name against the chain, and the
    certificate's copy of its active flag (`activeFlag`, what movements check) against the events too."""
    consortium = ledger.addresses.get("Consortium")
    if consortium is None:
        return
    certificate = ledger.addresses.get("ReceivableCertificate")
    members = sorted(ledger.members.values(), key=lambda m: m.address)
    roles = {name: "0x" + value.hex() for name, value in ROLE_IDS.items()}
    for m in members:  # roles the events name that this scfchain has no name for
        roles.update({r: r for r in m.roles if r.startswith("0x")})
    calls: list[tuple[str, str]] = []  # (to, data)
    for m in members:
        calls.append((consortium, abi.data("Consortium", "isActive", m.address)))
        calls.append((consortium, abi.data("Consortium", "nameOf", m.address)))
        if certificate is not None:
            calls.append((certificate, abi.data("ReceivableCertificate", "activeFlag", m.address)))
        for role in roles.values():
            calls.append((consortium, abi.data("Consortium", "hasRole", bytes.fromhex(role[2:].rjust(64, "0")),
                                               m.address)))
    answers = node.batch([("eth_call", [{"to": to, "data": data}, hex(block)]) for to, data in calls])
    at = 0
    for m in members:
        check.checked += 1
        label = f"member {m.address}" + (f" ({m.name})" if m.name else "")
        active, name = answers[at], answers[at + 1]
        flags = [("isActive", active)]
        if certificate is not None:
            flags.append(("the certificate's activeFlag", answers[at + 2]))
            at += 1
        for what, answer in flags:
            is_active = None if isinstance(answer, Exception) or not answer else bool(int(answer, 16))
            if is_active != m.active:
                shown = "no answer" if is_active is None else str(is_active).lower()
                check.fail(f"{label}: {what} {shown} on-chain, the events say {str(m.active).lower()}")
        try:
            (onchain_name,) = abi_decode(["string"], bytes.fromhex(name[2:]))
        except Exception:  # noqa: BLE001 — no answer or not a string
            onchain_name = None
        if onchain_name != m.name:
            check.fail(f"{label}: nameOf {onchain_name!r} on-chain, the events say {m.name!r}")
        for (role_name, _role), got in zip(roles.items(), answers[at + 2 : at + 2 + len(roles)]):
            has = None if isinstance(got, Exception) or not got else bool(int(got, 16))
            want = role_name in m.roles
            if has != want:
                check.fail(f"{label}: hasRole({role_name}) {'no answer' if has is None else str(has).lower()} "
                           f"on-chain, the events say {str(want).lower()}")
        at += 2 + len(roles)

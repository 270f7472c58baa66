"""Decoding raw logs of the six contracts from their ABIs (the deployment file's), fast.

Static event data is sliced word by word; only events with dynamic fields (arrays, strings) go through
eth_abi. Values come out JSON-ready: integers, checksummed addresses, 0x-hex for bytes, bools."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic, to_checksum_address

from ..deploy import Deployment

CONTRACTS = ("Consortium", "ReceivableCertificate", "CreditGuarantee", "FinancingDesk", "SettlementEscrow",
             "PaymentToken")


@lru_cache(maxsize=None)
def checksum(lower_hex40: str) -> str:
    return to_checksum_address("0x" + lower_hex40)


def _word(kind: str, word: str) -> Any:
    """One 32-byte ABI word (64 hex digits, no 0x) as a value of `kind`."""
    if kind == "address":
        return checksum(word[-40:].lower())
    if kind.startswith("uint"):
        return int(word, 16)
    if kind.startswith("int"):
        v = int(word, 16)
        return v - (1 << 256) if v >> 255 else v
    if kind == "bool":
        return int(word, 16) != 0
    if kind.startswith("bytes"):
        size = int(kind[5:] or 32)
        return "0x" + word[: 2 * size].lower()
    return "0x" + word.lower()  # an indexed dynamic value: only its hash is in the topic


def _plain(kind: str, value: Any) -> Any:
    if kind.endswith("[]"):
        return [_plain(kind[:-2], v) for v in value]
    if kind == "address":
        return checksum(value[2:].lower())
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


@dataclass(frozen=True)
class EventSpec:
    contract: str
    name: str
    indexed: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]
    static: bool
    order: tuple[str, ...]  # argument names in ABI order

    @property
    def signature(self) -> str:
        types = {n: t for n, t in self.indexed + self.data}
        return f"{self.name}({','.join(types[n] for n in self.order)})"


def _spec(contract: str, item: dict[str, Any]) -> EventSpec:
    indexed = tuple((i["name"], i["type"]) for i in item["inputs"] if i.get("indexed"))
    data = tuple((i["name"], i["type"]) for i in item["inputs"] if not i.get("indexed"))
    static = all(not (t.endswith("]") or t in ("string", "bytes")) for _, t in data)
    return EventSpec(contract, item["name"], indexed, data, static, tuple(i["name"] for i in item["inputs"]))


class Decoder:
    """Maps (address, topic0) of every event of the deployment to its decoder."""

    def __init__(self, deployment: Deployment):
        self.addresses: dict[str, str] = {}
        self.specs: dict[tuple[str, str], EventSpec] = {}
        for name in CONTRACTS:
            entry = deployment.contracts.get(name)
            if entry is None:
                continue
            address = entry["address"].lower()
            self.addresses[address] = name
            for item in entry["abi"]:
                if item.get("type") == "event" and not item.get("anonymous"):
                    topic = "0x" + event_abi_to_log_topic(item).hex()
                    self.specs[(address, topic)] = _spec(name, item)

    def events(self) -> Iterable[EventSpec]:
        return self.specs.values()

    def decode(self, log: dict[str, Any]) -> tuple[EventSpec, dict[str, Any]] | None:
        """The event and its arguments, or None for a log this deployment's ABIs do not describe."""
        topics = log["topics"]
        if not topics:
            return None
        spec = self.specs.get((log["address"].lower(), topics[0]))
        if spec is None or len(topics) != len(spec.indexed) + 1:
            return None
        args: dict[str, Any] = {}
        for (name, kind), topic in zip(spec.indexed, topics[1:]):
            args[name] = _word(kind, topic[2:])
        data = log["data"][2:]
        if spec.static:
            if len(data) < 64 * len(spec.data):
                return None
            for i, (name, kind) in enumerate(spec.data):
                args[name] = _word(kind, data[64 * i : 64 * i + 64])
        else:
            try:
                values = abi_decode([t for _, t in spec.data], bytes.fromhex(data))
            except Exception:  # noqa: BLE001 — malformed data: not one of ours
                return None
            for (name, kind), value in zip(spec.data, values):
                args[name] = _plain(kind, value)
        return spec, {n: args[n] for n in spec.order}

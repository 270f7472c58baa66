"""Decoding raw logs of the seven contracts from their ABIs (the deployment file's), fast: the one event decoder
of scfchain (the indexer, and every view that reads events straight from the chain: `Scf`'s receipts and views,
the demo's and the load's resume).

Static event data is sliced word by word; only events with dynamic fields (arrays, strings) go through
eth_abi. Values come out JSON-ready: integers, checksummed addresses, 0x-hex for bytes, bools. Logs may be as
JSON-RPC gives them (hex strings) or as web3 formats them (HexBytes, ints)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
import json
from typing import Any, Callable, Iterable

from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic, to_checksum_address

from ..constants import SYSTEM
from ..deploy import Deployment
from .store import Event



@lru_cache(maxsize=None)
def checksum(lower_hex40: str) -> str:
    return to_checksum_address("0x" + lower_hex40)


def _hex(value: Any) -> str:
    """0x-hex of a JSON-RPC hex string or of web3's HexBytes."""
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _int(value: Any) -> int:
    return value if isinstance(value, int) else int(value, 16)


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


_CHECKSUMS: dict[str, str] = {}


def _address_json(word: str) -> str:
    low = word[-40:]
    cs = _CHECKSUMS.get(low)
    if cs is None:
        cs = _CHECKSUMS[low] = to_checksum_address("0x" + low.lower())
    return '"' + cs + '"'


def _int_json(word: str) -> str:
    v = int(word, 16)
    return str(v - (1 << 256) if v >> 255 else v)


def _word_json(kind: str) -> Callable[[str], str]:
    """JSON text of one static ABI word (64 hex digits) of `kind`, as json.dumps would write the value."""
    if kind == "address":
        return _address_json
    if kind.startswith("uint"):
        return lambda w: str(int(w, 16))
    if kind.startswith("int"):
        return _int_json
    if kind == "bool":
        return lambda w: "true" if int(w, 16) else "false"
    if kind.startswith("bytes"):
        size = 2 * int(kind[5:] or 32)
        return lambda w: '"0x' + w[:size].lower() + '"'
    return lambda w: '"0x' + w.lower() + '"'  # an indexed dynamic value: only its hash is in the topic


def _static_array(kind: str) -> bool:
    """A one-dimensional dynamic array of static items (uintN[], address[], …): generated inline (_compile)."""
    return kind.endswith("[]") and not kind[:-2].endswith("]") and kind[:-2] not in ("string", "bytes")


def _dynamic_json(kind: str) -> Callable[[str, int], str] | None:
    """JSON text of a string or bytes value whose encoding (its length word) starts at index `at` of the
    hex text `data`, or None for kinds left to eth_abi (static arrays are generated inline: _compile)."""
    if kind == "string":
        def string(data: str, at: int) -> str:
            n = int(data[at : at + 64], 16)
            return json.dumps(bytes.fromhex(data[at + 64 : at + 64 + 2 * n]).decode("utf-8", "replace"))

        return string
    if kind == "bytes":
        return lambda data, at: '"0x' + data[at + 64 : at + 64 + 2 * int(data[at : at + 64], 16)].lower() + '"'
    return None


@dataclass(frozen=True)
class EventSpec:
    contract: str
    name: str
    indexed: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]
    static: bool
    order: tuple[str, ...]  # argument names in ABI order
    topic_convs: tuple[Callable[[str], str], ...] = ()
    data_convs: tuple[tuple[bool, Any], ...] = ()  # (dynamic?, converter)
    permutation: tuple[int, ...] = ()  # ABI position -> index in (indexed + data) values
    template: str = ""
    fast: bool = True  # every field has a hand-written decoder
    in_order: bool = True  # indexed fields come first in the ABI: no reordering needed

    @property
    def signature(self) -> str:
        types = {n: t for n, t in self.indexed + self.data}
        return f"{self.name}({','.join(types[n] for n in self.order)})"


def _spec(contract: str, item: dict[str, Any]) -> EventSpec:
    indexed = tuple((i["name"], i["type"]) for i in item["inputs"] if i.get("indexed"))
    data = tuple((i["name"], i["type"]) for i in item["inputs"] if not i.get("indexed"))
    static = all(not (t.endswith("]") or t in ("string", "bytes")) for _, t in data)
    order = tuple(i["name"] for i in item["inputs"])
    data_convs: list[tuple[bool, Any]] = []
    fast = True
    for _, t in data:
        if t.endswith("]") or t in ("string", "bytes"):
            inline = _static_array(t)  # generated inline (_compile): no converter
            conv = None if inline else _dynamic_json(t)
            fast = fast and (inline or conv is not None)
            data_convs.append((True, conv))
        else:
            data_convs.append((False, _word_json(t)))
    names = [n for n, _ in indexed] + [n for n, _ in data]
    permutation = tuple(names.index(n) for n in order)
    template = "{" + ",".join(json.dumps(n) + ":%s" for n in order) + "}"
    return EventSpec(contract, item["name"], indexed, data, static, order,
                     tuple(_word_json(t) for _, t in indexed), tuple(data_convs), permutation, template, fast,
                     permutation == tuple(range(len(permutation))))


class _Checksums(dict):  # type: ignore[type-arg]
    """The checksummed address in a topic or data word (its last 40 hex digits), computed once per word; the
    generated decoders subscript it, so a known word costs no Python call."""

    def __missing__(self, word: str) -> str:
        cs = self[word] = to_checksum_address("0x" + word[-40:].lower())
        return cs


_TOPIC_ADDRESSES = _Checksums()


def _topic_address(topic: str) -> str:
    return _TOPIC_ADDRESSES[topic]


def _signed(word: str) -> int:
    v = int(word, 16)
    return v - (1 << 256) if v >> 255 else v


def _compile(spec: EventSpec) -> Callable[[list[str], str], str] | None:
    """A function (topics, data) -> JSON text of the arguments, generated for this event's fields (like
    namedtuple, so that a log costs one call and a string format, not a loop over converters)."""
    if not spec.fast:
        return None
    env: dict[str, Any] = {"A": _TOPIC_ADDRESSES, "S": _signed, "int": int}
    exprs: list[tuple[str, str]] = []  # (format, expression) in (indexed + data) order
    for i, (_, kind) in enumerate(spec.indexed):
        ref = f"t[{i + 1}]"
        exprs.append(_expr(kind, ref, ref + "[-40:]", env, f"i{i}"))
    arrays: list[str] = []  # statements before the return: where each array's items lie in `d`
    for j, (_, kind) in enumerate(spec.data):
        lo = 2 + 64 * j
        word = f"d[{lo}:{lo + 64}]"
        if _static_array(kind):
            # the items' loop inline, over `d` itself (not a copy without its 0x): CertificateSplit's three
            # one-item arrays, 7,500 logs of the 10k benchmark: 0.049 -> 0.042 CPU-s; a one-item array without
            # the loop: -> 0.029)
            fmt, item = _expr(kind[:-2], "d[i : i + 64]", "", env, f"a{j}")
            one = _expr(kind[:-2], f"d[s{j} : e{j}]", "", env, f"a{j}")[1]
            arrays += [f"o = 2 + 2 * int({word}, 16)", f"s{j} = o + 64", f"e{j} = s{j} + 64 * int(d[o:s{j}], 16)",
                       f"if len(d) < e{j}:\n        raise ValueError('array past the end of the data')"]
            exprs.append(("[%s]", f'({fmt!r} % {one} if e{j} - s{j} == 64 else '
                                  f'",".join([{fmt!r} % {item} for i in range(s{j}, e{j}, 64)]))'))
        elif kind.endswith("]") or kind in ("string", "bytes"):
            env[f"D{j}"] = spec.data_convs[j][1]
            exprs.append(("%s", f"D{j}(d, 2 + 2 * int({word}, 16))"))
        else:
            exprs.append(_expr(kind, word, f"d[{lo + 24}:{lo + 64}]", env, f"w{j}"))
    ordered = [exprs[k] for k in spec.permutation]
    template = "{" + ",".join(json.dumps(n) + ":" + f for n, (f, _) in zip(spec.order, ordered)) + "}"
    env["T"] = template
    need = 2 + 64 * len(spec.data)
    body = ", ".join(e for _, e in ordered)
    src = (f"def f(t, d):\n"
           f"    if len(d) < {need}:\n        raise ValueError('short data')\n"
           + "".join(f"    {line}\n" for line in arrays) +
           f"    return T % ({body}{',' if len(ordered) == 1 else ''})\n")
    exec(src, env)  # noqa: S102 — generated from the ABI's field types only
    return env["f"]


def _expr(kind: str, ref: str, last40: str, env: dict[str, Any], key: str) -> tuple[str, str]:
    if kind == "address":
        return '"%s"', f"A[{ref}]"
    if kind.startswith("uint"):
        return "%d", f"int({ref}, 16)"
    if kind.startswith("int"):
        return "%d", f"S({ref})"
    if kind == "bool":
        return "%s", f"('true' if int({ref}, 16) else 'false')"
    if kind.startswith("bytes"):
        size = 2 * int(kind[5:] or 32)
        return '"0x%s"', f"{ref}[{'2:' if ref.startswith('t[') else ':'}][:{size}].lower()"
    return '"0x%s"', f"{ref}[{'2:' if ref.startswith('t[') else ':'}].lower()"


def _where(spec: EventSpec, name: str) -> tuple[str, int, bool]:
    """Where argument `name` of `spec` is (`Decoder.arg`): (its kind, or its items' for an array; -topic index or
    1 + its data head word; an array?). 0 for an argument decoded only with the whole log: a string, bytes or
    nested array, or any field of an event whose head is not one word a field (`spec.fast`, the layout `_compile`
    relies on). KeyError for an argument the event does not have."""
    for i, (n, kind) in enumerate(spec.indexed):
        if n == name:
            return kind, -(i + 1), False
    for i, (n, kind) in enumerate(spec.data):
        if n == name:
            array = _static_array(kind)
            one_word = array or not (kind.endswith("]") or kind in ("string", "bytes", "tuple"))
            return (kind[:-2] if array else kind), (i + 1 if spec.fast and one_word else 0), array
    raise KeyError(f"{spec.name} has no argument {name}")


class Decoder:
    """Maps (address, topic0) of every event of the deployment to its decoder."""

    def __init__(self, deployment: Deployment):
        self._where: dict[tuple[tuple[str, str], str], tuple[str, int, bool]] = {}  # `arg`'s layouts
        self.addresses: dict[str, str] = {}
        self.specs: dict[tuple[str, str], EventSpec] = {}
        self.compiled: dict[tuple[str, str], tuple[EventSpec, Any, int]] = {}
        for name in SYSTEM:
            entry = deployment.contracts.get(name)
            if entry is None:
                continue
            address = entry["address"].lower()
            self.addresses[address] = name
            for item in entry["abi"]:
                if item.get("type") == "event" and not item.get("anonymous"):
                    topic = "0x" + event_abi_to_log_topic(item).hex()
                    spec = _spec(name, item)
                    self.specs[(address, topic)] = spec
                    self.compiled[(address, topic)] = (spec, _compile(spec), len(spec.indexed) + 1)

    def events(self) -> Iterable[EventSpec]:
        return self.specs.values()

    def topic(self, address: str, event: str) -> str:
        """topic0 of `event` of the contract at `address`."""
        address = address.lower()
        for (at, topic), spec in self.specs.items():
            if at == address and spec.name == event:
                return topic
        raise KeyError(f"no event {event} on {self.addresses.get(address, address)}")

    def decode_any(self, log: dict[str, Any]) -> tuple[EventSpec, dict[str, Any]] | None:
        """`decode` of a log as JSON-RPC gives it (hex strings) or as web3 formats it (HexBytes)."""
        return self.decode({"address": log["address"], "topics": [_hex(t) for t in log["topics"]],
                            "data": _hex(log["data"])})

    def args(self, log: dict[str, Any], event: str | None = None) -> dict[str, Any] | None:
        """The arguments of a log (raw or web3-formatted) of this deployment, or None (another contract's log, or
        not `event` when given)."""
        decoded = self.decode_any(log)
        if decoded is None or (event is not None and decoded[0].name != event):
            return None
        return decoded[1]

    def arg(self, log: dict[str, Any], name: str) -> Any:
        """`args(log)[name]` of a raw log (hex strings) of this deployment, decoding that argument alone when it is
        a topic, a one-word data field or a uintN[] (the load reads one id or amount from each log of a phase):
        the whole decode checksums every address in the log and reads every field: ReceivableIssued's rootId
        4.9 µs against 0.9, CertificateSplit's childIds 10.8 against 2.2, Claimed's payout 4.9 against 1.1 (a
        200 x 5 load's logs, 20,000-80,000 decodes each, one run). KeyError for a log not of this deployment or
        an argument it does not have."""
        topics = log["topics"]
        key = (log["address"].lower(), topics[0] if topics else "")
        where = self._where.get((key, name))
        if where is None:
            where = self._where[(key, name)] = _where(self.specs[key], name)
        kind, at, array = where
        if at == 0 or len(topics) != len(self.specs[key].indexed) + 1:  # another layout: the whole decode
            args = self.args(log)
            if args is None:
                raise KeyError(f"a log at {log['address']} that no event of this deployment describes")
            return args[name]
        if at < 0:  # in the topics
            return _word(kind, topics[-at][2:])
        data = log["data"]
        word = data[2 + 64 * (at - 1) : 66 + 64 * (at - 1)]
        if not array:
            return _word(kind, word)
        start = 2 + 2 * int(word, 16)
        count = int(data[start : start + 64], 16)
        return [_word(kind, data[start + 64 * (1 + i) : start + 64 * (2 + i)]) for i in range(count)]

    def to_events(self, logs: Iterable[dict[str, Any]]) -> list[Event]:
        """The logs of this deployment among `logs` (eth_getLogs' answer, raw or web3-formatted, in chain order) as
        the index's events; a log without `blockTimestamp` (Hardhat) gets time 0."""
        out = []
        for log in logs:
            if log.get("removed"):
                continue
            decoded = self.decode_any(log)
            if decoded is None:
                continue
            spec, args = decoded
            stamp = log.get("blockTimestamp")
            out.append(Event(_int(log["blockNumber"]), _int(log["logIndex"]), _hex(log["transactionHash"]),
                             _int(log["transactionIndex"]), 0 if stamp is None else _int(stamp), spec.contract,
                             spec.name, args))
        return out

    def decode_json(self, log: dict[str, Any]) -> tuple[EventSpec, str] | None:
        """The event and its arguments as compact JSON text (what `json.dumps(args)` would give, with
        `separators=(",", ":")`), built straight from the hex; None for a log not of this deployment."""
        return self.decode_parts(log["address"], log["topics"], log["data"])

    def decode_parts(self, address: str, topics: list[str], data: str) -> tuple[EventSpec, str] | None:
        """`decode_json` of a log given as its address, topics and data (the indexer's hot path)."""
        if not topics:
            return None
        entry = self.compiled.get((address, topics[0])) or self.compiled.get((address.lower(), topics[0]))
        if entry is None:
            return None
        spec, fn, ntopics = entry
        if len(topics) != ntopics:
            return None
        if fn is None:
            decoded = self.decode({"address": address, "topics": topics, "data": data})
            return None if decoded is None else (spec, json.dumps(decoded[1], separators=(",", ":")))
        try:
            return spec, fn(topics, data)
        except (ValueError, IndexError, TypeError):
            return None

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
            fn = self.compiled[(log["address"].lower(), topics[0])][1]
            if fn is not None:  # the generated decoder's JSON, parsed: five times quicker than eth_abi's
                try:
                    return spec, json.loads(fn(topics, log["data"]))
                except (ValueError, IndexError, TypeError):
                    return None
            try:
                values = abi_decode([t for _, t in spec.data], bytes.fromhex(data))
            except Exception:  # noqa: BLE001 — malformed data: not one of ours
                return None
            for (name, kind), value in zip(spec.data, values):
                args[name] = _plain(kind, value)
        return spec, {n: args[n] for n in spec.order}

"""Chain access: connecting, signing, sending with EIP-1559 fees, nonces and confirmations (requests and their
retries: `rpc`, the JSON-RPC layer).

Works with any web3.py `Web3` (brownie's included). A signer is either an eth-account `LocalAccount`
(signed here; keys never leave the process and are never printed) or the address of an account the
node itself holds unlocked (Anvil's dev accounts).
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from getpass import getpass
from pathlib import Path
from typing import Any, Callable, TypeVar, Union

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, TransactionNotFound, Web3RPCError

from .errors import ContractError, ErrorDecoder, ScfError
from .rpc import DEFAULT_RETRY, Provider, RetryPolicy, RpcError, Unreachable

Signer = Union[LocalAccount, str]
T = TypeVar("T")

def revert_payload(data: Any) -> str | bytes | None:
    """The revert data in a node's error: Anvil (and geth) give it as the error's `data` string, Hardhat as
    `data.data` of an object beside its own message."""
    if isinstance(data, dict):
        data = data.get("data")
    return data if isinstance(data, (str, bytes)) and data not in ("", "0x", b"") else None


def mined_revert(exc: Web3RPCError) -> Any:
    """The revert data of a transaction the node mined and reverted while answering its submission (Hardhat
    with automine answers such a send with an error naming the transaction's hash; Anvil returns the hash),
    or None for any other refusal."""
    data = exc.rpc_response.get("error", {}).get("data") if isinstance(exc.rpc_response, dict) else None
    return (revert_payload(data) or "") if mined_hash(data) else None


def mined_hash(error_data: Any) -> str | None:
    """The hash a node's error names when it mined and reverted the transaction it was sent (Hardhat)."""
    tx_hash = error_data.get("txHash") if isinstance(error_data, dict) else None
    return tx_hash if isinstance(tx_hash, str) else None


def address_of(signer: Signer) -> str:
    return to_checksum_address(signer if isinstance(signer, str) else signer.address)


def connect(rpc_url: str, timeout: float = 30.0, retry: RetryPolicy = DEFAULT_RETRY) -> Web3:
    """A Web3 on `rpc_url` through the JSON-RPC layer (`rpc.Provider`: its session and retry policy), checked to
    answer."""
    w3 = Web3(Provider(rpc_url, timeout, retry))
    try:
        w3.eth.chain_id
    except Unreachable as exc:
        raise RpcError(f"cannot reach the node at {rpc_url}: {exc.fault}") from None
    return w3


def load_signer(keystore: str | Path | None = None, env: str = "SCFCHAIN_PRIVATE_KEY") -> LocalAccount:
    """The signing key: an encrypted keystore (password from SCFCHAIN_KEYSTORE_PASSWORD or a prompt),
    else the private key in environment variable `env`."""
    if keystore:
        path = Path(keystore)
        if not path.is_file():
            raise ScfError(f"keystore file not found: {path}")
        password = os.environ.get("SCFCHAIN_KEYSTORE_PASSWORD")
        if password is None:
            password = getpass(f"Password for {path.name}: ")
        try:
            key = Account.decrypt(path.read_text(), password)
        except ValueError:
            raise ScfError(f"cannot decrypt keystore {path}: wrong password or not a keystore") from None
        return Account.from_key(key)
    key = os.environ.get(env)
    if not key:
        raise ScfError(f"no signing key: set {env} or pass --keystore FILE")
    try:
        return Account.from_key(key.strip())
    except (ValueError, TypeError):
        raise ScfError(f"{env} is not a valid private key") from None


@dataclass
class Sent:
    """A transaction submitted and not yet waited for."""

    tx_hash: HexBytes
    label: str
    sender: str


class Chain:
    """Sends transactions and waits for them, surviving transient RPC faults."""

    def __init__(
        self,
        w3: Web3,
        decoder: ErrorDecoder | None = None,
        confirmations: int = 0,
        receipt_timeout: float = 180.0,
        gas_buffer: float = 1.2,
    ):
        self.w3 = w3
        self.decoder = decoder or ErrorDecoder([])
        self.confirmations = confirmations
        # One retry per request: a provider from `connect` retries each request itself (the JSON-RPC layer's
        # policy), so nothing is retried here; around another provider (brownie's) the same policy runs here.
        # Nested retries once made a dead node take ~90 s to report.
        self.retry = None if isinstance(w3.provider, Provider) else DEFAULT_RETRY
        self.receipt_timeout = receipt_timeout
        self.gas_buffer = gas_buffer
        self._nonces: dict[str, int] = {}
        self._lock = threading.Lock()
        self._chain_id: int | None = None

    # ------------------------------------------------------------ resilience
    def rpc(self, call: Callable[[], T], what: str = "request", idempotent: bool = True) -> T:
        """Runs an RPC call under the layer's retry policy where the provider does not apply it itself."""
        return call() if self.retry is None else self.retry.run(call, idempotent, f"during {what}")

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self.rpc(lambda: self.w3.eth.chain_id, "eth_chainId")
        return self._chain_id

    def _next_nonce(self, sender: str) -> int:
        with self._lock:
            if sender not in self._nonces:
                self._nonces[sender] = self.rpc(
                    lambda: self.w3.eth.get_transaction_count(sender, "pending"), "eth_getTransactionCount"
                )
            nonce = self._nonces[sender]
            self._nonces[sender] = nonce + 1
            return nonce

    def resync(self, sender: str) -> None:
        with self._lock:
            self._nonces.pop(sender, None)

    def fees(self) -> dict[str, int]:
        """EIP-1559 fees: twice the latest base fee plus the node's suggested tip."""
        block = self.rpc(lambda: self.w3.eth.get_block("latest"), "eth_getBlockByNumber")
        base = block.get("baseFeePerGas")
        if base is None:  # a pre-London chain
            return {"gasPrice": self.rpc(lambda: self.w3.eth.gas_price, "eth_gasPrice")}
        try:
            tip = self.rpc(lambda: self.w3.eth.max_priority_fee, "eth_maxPriorityFeePerGas")
        except Web3RPCError:
            tip = 10**9
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def revert_error(self, exc: ContractLogicError) -> ContractError:
        data = revert_payload(exc.data)
        if data:
            return self.decoder.decode(data)
        return ContractError("Reverted", {}, f"reverted: {exc.message or exc}")

    # ------------------------------------------------------------ sending
    def submit(self, fn: Any, signer: Signer, label: str = "", gas: int | None = None) -> Sent:
        """Estimates, signs and submits `fn` (a bound contract function or a constructor); no waiting.

        A revert at estimation raises ContractError before anything is sent."""
        sender = address_of(signer)
        params: dict[str, Any] = {"from": sender, "chainId": self.chain_id, **self.fees()}
        try:
            tx = self.rpc(lambda: fn.build_transaction(params if gas is None else {**params, "gas": gas}), label)
        except ContractLogicError as exc:
            raise self.revert_error(exc) from None
        if "maxFeePerGas" in tx:
            tx.pop("gasPrice", None)  # brownie's Web3 fills in a legacy gasPrice too: the node refuses both
        if gas is None:
            tx["gas"] = int(tx["gas"] * self.gas_buffer)
        tx["nonce"] = self._next_nonce(sender)
        try:
            tx_hash = self._send(tx, signer)
        except Exception:
            self.resync(sender)
            raise
        return Sent(tx_hash, label, sender)

    def _send(self, tx: dict[str, Any], signer: Signer) -> HexBytes:
        try:
            return self._send_once(tx, signer)
        except Web3RPCError as exc:
            data = mined_revert(exc)
            if data is None:
                raise
            # mined and reverted (the state changed since the estimate): the nonce is used, as on Anvil
            raise (self.decoder.decode(data) if data else
                   ContractError("Reverted", {}, "transaction reverted (out of gas or state changed)")) from None

    def _send_once(self, tx: dict[str, Any], signer: Signer) -> HexBytes:
        # Both sends are idempotent (`rpc.idempotent`): the nonce is set, so a resend is the same transaction.
        if isinstance(signer, str):
            return self.rpc(lambda: self.w3.eth.send_transaction(tx), "eth_sendTransaction")
        raw = signer.sign_transaction(tx).raw_transaction
        tx_hash = HexBytes(Web3.keccak(raw))
        try:
            self.rpc(lambda: self.w3.eth.send_raw_transaction(raw), "eth_sendRawTransaction")
        except Web3RPCError as exc:
            if mined_revert(exc) is not None:
                raise
            text = str(exc).lower()
            # Sent again after a dropped connection (the retry policy): the node already has it, or mined it.
            if "already known" in text or "already imported" in text:
                return tx_hash
            if "nonce too low" in text and self._receipt_or_none(tx_hash):
                return tx_hash
            raise RpcError(f"node refused the transaction: {exc}") from None
        return tx_hash

    def _receipt_or_none(self, tx_hash: HexBytes) -> Any:
        try:
            return self.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None

    def wait(self, sent: Sent) -> Any:
        """Waits for the receipt (and the configured confirmations); raises ContractError on a revert."""
        deadline = time.monotonic() + self.receipt_timeout
        poll = 0.02
        receipt = None
        while receipt is None:
            receipt = self.rpc(lambda: self._receipt_or_none(sent.tx_hash), "eth_getTransactionReceipt")
            if receipt is None:
                if time.monotonic() > deadline:
                    raise TimeExhausted(f"{sent.label or 'transaction'} {sent.tx_hash.hex()} not mined in time")
                time.sleep(poll)
                poll = min(poll * 1.5, 1.0)
        if receipt["status"] != 1:
            raise self._replay_revert(receipt, sent)
        if self.confirmations > 1:
            target = receipt["blockNumber"] + self.confirmations - 1
            while self.rpc(lambda: self.w3.eth.block_number, "eth_blockNumber") < target:
                if time.monotonic() > deadline:
                    raise TimeExhausted(f"{sent.label} did not reach {self.confirmations} confirmations")
                time.sleep(0.2)
        return receipt

    def _replay_revert(self, receipt: Any, sent: Sent) -> ContractError:
        tx = self.rpc(lambda: self.w3.eth.get_transaction(sent.tx_hash), "eth_getTransactionByHash")
        call = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if k in tx and tx[k] is not None}
        if "input" in tx and "data" not in call:
            call["data"] = tx["input"]
        try:
            self.w3.eth.call(call, receipt["blockNumber"] - 1)
        except ContractLogicError as exc:
            return self.revert_error(exc)
        except Exception:  # noqa: BLE001 — the replay is best effort
            pass
        return ContractError("Reverted", {}, f"{sent.label or 'transaction'} reverted (out of gas or state changed)")

    def transact(self, fn: Any, signer: Signer, label: str = "", gas: int | None = None) -> Any:
        """Submits and waits: the receipt of a successful transaction."""
        return self.wait(self.submit(fn, signer, label, gas))

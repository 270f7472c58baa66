"""Deploying the system and reading deployment files (the JSON format of SPEC.md)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from eth_utils import is_address, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.utils.address import get_create_address

from .chain import Chain, Signer, address_of
from .errors import ErrorDecoder, ScfError
from . import artifacts as compiled
from .constants import DAY, SYSTEM

DEFAULT_GRACE_PERIOD = 7 * DAY
DEPLOYMENTS_DIR = Path("deployments")  # relative to the working directory: the package may live anywhere


@dataclass
class Deployment:
    chain_id: int
    deployer: str
    block: int
    contracts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def address(self, name: str) -> str:
        return self.contracts[name]["address"]

    def contract(self, w3: Web3, name: str) -> Contract:
        entry = self.contracts.get(name)
        if entry is None:
            raise ScfError(f"the deployment has no {name}")
        return w3.eth.contract(address=entry["address"], abi=entry["abi"])

    def decoder(self) -> ErrorDecoder:
        return ErrorDecoder(c["abi"] for c in self.contracts.values())

    def to_json(self) -> dict[str, Any]:
        return {"chainId": self.chain_id, "deployer": self.deployer, "block": self.block, "contracts": self.contracts}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path


def load_deployment(path: str | Path) -> Deployment:
    """Reads a deployment file, with one-line errors for a missing or malformed one."""
    path = Path(path)
    if not path.is_file():
        raise ScfError(f"deployment file not found: {path}")
    try:
        data = json.loads(path.read_text())
        contracts = data["contracts"]
        for name, entry in contracts.items():
            if not is_address(entry["address"]) or not isinstance(entry["abi"], list):
                raise ValueError(name)
        return Deployment(int(data["chainId"]), data["deployer"], int(data["block"]), contracts)
    except (ValueError, KeyError, TypeError) as exc:
        raise ScfError(f"not a valid scfchain deployment file: {path} ({exc})") from None


def deployment_on_chain(w3: Any, path: str | Path) -> Deployment | None:
    """The deployment recorded in `path` if it is one for this chain and every contract of it has code; None
    when there is nothing there to resume (no file, not a deployment, another chain, a chain started anew)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        deployment = load_deployment(path)
    except ScfError:
        return None
    if deployment.chain_id != w3.eth.chain_id:
        return None
    if any(len(w3.eth.get_code(c["address"])) == 0 for c in deployment.contracts.values()):
        return None
    return deployment


def default_deployment_path(chain_id: int) -> Path:
    return DEPLOYMENTS_DIR / f"{chain_id}.json"


def deploy(
    chain: Chain,
    deployer: Signer,
    grace_period: int = DEFAULT_GRACE_PERIOD,
    payment_token: str | None = None,
    uri: str = "",
    progress: Callable[[str], None] | None = None,
) -> Deployment:
    """Deploys and wires the seven contracts; the deployer holds DEFAULT_ADMIN_ROLE and OPERATOR_ROLE."""
    if grace_period < 0:
        raise ScfError(f"grace period must be >= 0 seconds, got {grace_period}")
    if payment_token is not None and not is_address(payment_token):
        raise ScfError(f"not an address: {payment_token!r}")
    artifacts = compiled.load()
    w3 = chain.w3
    chain.decoder = ErrorDecoder(artifacts[name]["abi"] for name in artifacts)
    admin = address_of(deployer)
    say = progress or (lambda _msg: None)
    deployed: dict[str, Contract] = {}
    first_block: int | None = None

    def create(name: str, *args: Any) -> Contract:
        nonlocal first_block
        art = artifacts[name]
        factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        receipt = chain.transact(factory.constructor(*args), deployer, f"deploy {name}")
        first_block = receipt["blockNumber"] if first_block is None else first_block
        deployed[name] = w3.eth.contract(address=receipt["contractAddress"], abi=art["abi"])
        say(f"deployed {name} at {receipt['contractAddress']}")
        return deployed[name]

    if payment_token is None:
        token = create("PaymentToken", admin)
    else:
        token = w3.eth.contract(address=to_checksum_address(payment_token), abi=artifacts["PaymentToken"]["abi"])
        deployed["PaymentToken"] = token
    # Addresses fixed before the contracts exist (immutables), each checked by the constructor of the contract
    # named (a nonce used elsewhere meanwhile fails the deployment there, loudly): the consortium names the
    # certificate, its next contract; the certificate its escrow, loan desk and financing desk, its 3rd, 4th and
    # 2nd from there.
    nonce = w3.eth.get_transaction_count(admin, "pending")
    consortium = create("Consortium", admin, get_create_address(admin, nonce + 1))
    certificate = create(
        "ReceivableCertificate", consortium.address, uri, get_create_address(admin, nonce + 4),
        get_create_address(admin, nonce + 5), get_create_address(admin, nonce + 3),
    )
    guarantee = create("CreditGuarantee", consortium.address, token.address)
    create("FinancingDesk", consortium.address, certificate.address, token.address)
    escrow = create(
        "SettlementEscrow", consortium.address, certificate.address, guarantee.address, token.address, grace_period
    )
    create("LoanDesk", consortium.address, certificate.address, escrow.address, token.address)
    chain.transact(guarantee.functions.setSettlementEscrow(escrow.address), deployer, "wire guarantee")
    say("wired the settlement escrow")
    return Deployment(
        chain_id=chain.chain_id,
        deployer=admin,
        block=first_block or 0,
        contracts={name: {"address": deployed[name].address, "abi": artifacts[name]["abi"]} for name in SYSTEM},
    )

"""scfchain: multi-tier accounts-receivable financing on an EVM chain.

Public API: `connect`, `Chain`, `load_signer`, `deploy`, `load_deployment`, `Scf` (one method per
lifecycle action), `Anvil` and `HardhatNode` (embedded local nodes), `Rpc` (the JSON-RPC layer's client) and
the error types.
"""
from .anvil import Anvil
from .chain import Chain, connect, load_signer
from .deploy import Deployment, deploy, load_deployment
from .errors import ContractError, ScfError
from .hardhat import HardhatNode
from .lifecycle import Certificate, Scf, role_id
from .rpc import NodeError, Rpc, RpcError

__all__ = [
    "Anvil",
    "Certificate",
    "Chain",
    "ContractError",
    "Deployment",
    "HardhatNode",
    "NodeError",
    "Rpc",
    "RpcError",
    "Scf",
    "ScfError",
    "connect",
    "deploy",
    "load_deployment",
    "load_signer",
    "role_id",
]

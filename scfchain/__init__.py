"""scfchain: multi-tier accounts-receivable financing on an EVM chain.

Public API: `connect`, `Chain`, `load_signer`, `deploy`, `load_deployment`, `Scf` (one method per
lifecycle action), `Anvil` and `HardhatNode` (embedded local nodes) and the error types.
"""
from .anvil import Anvil
from .chain import Chain, RpcError, connect, load_signer
from .deploy import Deployment, deploy, load_deployment
from .errors import ContractError, ScfError
from .hardhat import HardhatNode
from .lifecycle import Certificate, Scf, role_id

__all__ = [
    "Anvil",
    "Certificate",
    "Chain",
    "ContractError",
    "Deployment",
    "HardhatNode",
    "RpcError",
    "Scf",
    "ScfError",
    "connect",
    "deploy",
    "load_deployment",
    "load_signer",
    "role_id",
]

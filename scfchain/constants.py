"""Domain constants, one source for each: time units, the consortium's roles, receivable (root) statuses and
loan states as the contracts number them, the deployable contracts, and how token amounts are written."""
from __future__ import annotations

from eth_utils import keccak

DAY = 24 * 3600
YEAR = 365 * DAY  # the contracts' interest year (LoanDesk, FinancingDesk)

# Roles (contracts/libraries/Roles.sol): an id is keccak256 of the name; DEFAULT_ADMIN_ROLE (OpenZeppelin's) is
# zero. In the order members are listed in (the explorer's too).
DEFAULT_ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"
ROLES = ("CORE_ENTERPRISE_ROLE", "SUPPLIER_ROLE", "FINANCIER_ROLE", "GUARANTOR_ROLE", "CLEARING_ROLE", "OPERATOR_ROLE")
ROLE_IDS: dict[str, bytes] = {**{name: keccak(text=name) for name in ROLES}, DEFAULT_ADMIN_ROLE: b"\x00" * 32}
ROLE_NAMES: dict[bytes, str] = {value: name for name, value in ROLE_IDS.items()}

# contracts/libraries/RootStatus.sol, and LoanDesk's loan states
ROOT_STATUS = {0: "none", 1: "active", 2: "paid", 3: "defaulted"}
LOAN_STATES = {0: "none", 1: "requested", 2: "funded", 3: "repaid", 4: "settled", 5: "cancelled"}

# The deployable system, in deployment order (SPEC.md's deployment file holds each one's address and ABI).
SYSTEM = ("Consortium", "PaymentToken", "ReceivableCertificate", "CreditGuarantee", "FinancingDesk",
          "SettlementEscrow", "LoanDesk")


def money(units: int, decimals: int = 2, grouped: bool = True) -> str:
    """Token units as a decimal amount: 100000000 -> '1,000,000.00' (`grouped=False`: '1000000.00', for
    machine-read exports)."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10**decimals)
    text = f"{whole:,}" if grouped else str(whole)
    return f"{sign}{text}.{frac:0{decimals}d}" if decimals else f"{sign}{text}"

"""Decoding reverts into named errors with arguments, and one-line messages for people."""
from __future__ import annotations

from typing import Any, Iterable

from eth_abi import decode as abi_decode
from eth_utils import function_abi_to_4byte_selector, to_checksum_address

from .constants import LOAN_STATES, ROLE_NAMES

PANICS = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x32: "array index out of bounds",
    0x41: "out of memory",
}


class ScfError(Exception):
    """Anything that stops an scfchain action; `str()` is one line naming the problem."""


class ContractError(ScfError):
    """A transaction or call reverted with a (decoded) custom error."""

    def __init__(self, name: str, args: dict[str, Any], message: str | None = None):
        self.name = name
        self.args_dict = args
        super().__init__(message or _describe(name, args))


def _fmt(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


# Sentences for the errors people meet most; any other error prints as Name(arg=value, …).
TEMPLATES = {
    "ERC1155InsufficientBalance": "holder {sender} has {balance}, needs {needed} of certificate {tokenId}",
    "ERC1155MissingApprovalForAll": "{operator} is not approved to move certificates of {owner}",
    "ERC1155InvalidReceiver": "{receiver} does not accept ERC-1155 certificates",
    "ERC20InsufficientBalance": "{sender} has {balance} payment-token units, needs {needed}",
    "ERC20InsufficientAllowance": "{spender} may spend {allowance} payment-token units, needs {needed}",
    "AccessControlUnauthorizedAccount": "{account} lacks role {neededRole}",
    "InactiveMember": "{account} is not an active member (not onboarded, or suspended)",
    "CreditLimitExceeded": "debtor {debtor} has {outstanding} outstanding; {faceValue} more exceeds its limit {limit}",
    "DocumentAlreadyUsed": "document hash {documentHash} already backs receivable {rootId}",
    "UnknownCertificate": "certificate {id} does not exist",
    "RootClosed": "receivable {rootId} is closed (status {status})",
    "RootNotClosed": "receivable {rootId} is not closed yet",
    "Overpayment": "receivable {rootId} has {remaining} left to repay; {amount} is too much",
    "DefaultTooEarly": "receivable {rootId} can be declared defaulted from timestamp {declarableAt}",
    "NothingToClaim": "{holder} has nothing to claim",
    "ProceedsBelowMinimum": "proceeds {proceeds} are below the minimum {minProceeds}",
    "OverBudget": "offer {offerId} has {budget} left; proceeds {proceeds} exceed it",
    "OfferExpired": "offer {offerId} expired at {expiry}",
    "DeadlinePassed": "deadline {deadline} passed (now {timestamp})",
    "DebtorMismatch": "offer {offerId} buys receivables of {offerDebtor}, not of {certificateDebtor}",
    "EnforcedPause": "certificate movements are paused",
    "UnknownLoan": "loan {loanId} does not exist",
    "InvalidLoanState": "loan {loanId} is {state}: not possible now",
    "NotBorrower": "{caller} is not the borrower of loan {loanId}",
    "NotNamedLender": "loan {loanId} asks {lender}; {caller} may not fund it",
    "LoanRequestExpired": "loan request {loanId} expired at {expiry}",
    "InvalidUnits": "a loan pledges at least one unit, got {units}",
    "InvalidPrincipal": "principal {principal} must be above 0 and at most the {units} units pledged",
    "InvalidRate": "annual rate {annualRateBps} bps exceeds the maximum {maxRateBps} bps",
    "ExpiryNotInFuture": "expiry {expiry} is not after now ({timestamp})",
    "CertificateMatured": "certificate {certId} matured at {maturity}: no new loan against it",
    "InvalidAmount": "amount must be above 0, got {amount}",
    "LoanTooLarge": "principal {principal} would owe {interestToMaturity} interest by maturity, more than the desk "
                    "can account for",
    "UnsolicitedTransfer": "the loan desk takes certificates only through requestLoan ({operator} tried)",
}
# Values shown by name instead of number: (error, argument) -> names.
NAMED_VALUES = {("InvalidLoanState", "state"): LOAN_STATES}


def _role_label(value: Any) -> Any:
    return ROLE_NAMES.get(value, value) if isinstance(value, bytes) else value


def _describe(name: str, args: dict[str, Any]) -> str:
    shown = {k: _fmt(NAMED_VALUES[(name, k)].get(v, v) if (name, k) in NAMED_VALUES else _role_label(v))
             for k, v in args.items()}
    template = TEMPLATES.get(name)
    if template:
        try:
            return f"{name}: {template.format(**shown)}"
        except KeyError:
            pass
    return f"{name}(" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")"


class ErrorDecoder:
    """Maps 4-byte selectors of every error in the given ABIs to their definitions."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]):
        self._errors: dict[bytes, dict[str, Any]] = {}
        self._functions: dict[str, str] = {}  # selector (hex, no 0x) -> function name, to say what reverted
        for abi in abis:
            for item in abi:
                if item.get("type") == "error":
                    self._errors[function_abi_to_4byte_selector(item)] = item
                elif item.get("type") == "function":
                    self._functions[function_abi_to_4byte_selector(item).hex()] = item["name"]

    def function(self, calldata: str) -> str:
        """The name of the function `calldata` (0x-hex) calls, or its selector when no ABI has it."""
        return self._functions.get(calldata[2:10], calldata[:10])

    def decode(self, data: bytes | str | None) -> ContractError:
        if isinstance(data, str):
            data = bytes.fromhex(data[2:] if data.startswith("0x") else data)
        if not data:
            return ContractError("Reverted", {}, "transaction reverted without a reason")
        selector, body = data[:4], data[4:]
        if selector == bytes.fromhex("08c379a0"):
            (reason,) = abi_decode(["string"], body)
            return ContractError("Error", {"reason": reason}, f"reverted: {reason}")
        if selector == bytes.fromhex("4e487b71"):
            (code,) = abi_decode(["uint256"], body)
            return ContractError("Panic", {"code": code}, f"Panic: {PANICS.get(code, hex(code))}")
        item = self._errors.get(selector)
        if item is None:
            return ContractError("UnknownError", {"data": data}, f"reverted with unknown error 0x{data.hex()}")
        types = [i["type"] for i in item["inputs"]]
        values = abi_decode(types, body)
        args = {}
        for i, (inp, val) in enumerate(zip(item["inputs"], values)):
            if inp["type"] == "address":
                val = to_checksum_address(val)
            args[inp["name"] or f"arg{i}"] = val
        return ContractError(item["name"], args)

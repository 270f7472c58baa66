"""Credit lines: each financier sets its own line per debtor; a debtor's limit is their sum."""
import pytest
from brownie import chain

from tests.cert_helpers import MAX_UINT128, ZERO_ADDRESS, assert_event
from tests.conftest import FACE
from tests.helpers import DAY, ROLE, doc_hash, reverts


def test_setCreditLine_emitsAndSetsLimit(members, certificate, bank, core):
    assert certificate.creditLimit(core) == 0

    tx = certificate.setCreditLine(core, 5 * FACE, {"from": bank})

    assert_event(tx, "CreditLineSet", {"financier": bank, "debtor": core, "limit": 5 * FACE}, count=1, emitter=certificate)
    assert certificate.creditLine(bank, core) == 5 * FACE
    assert certificate.creditLimit(core) == 5 * FACE
    assert certificate.outstanding(core) == 0


def test_creditLimit_isSumOverFinanciers(members, certificate, bank, factor, core):
    certificate.setCreditLine(core, 3 * FACE, {"from": bank})
    tx = certificate.setCreditLine(core, 2 * FACE + 7, {"from": factor})

    assert_event(tx, "CreditLineSet", {"financier": factor, "debtor": core, "limit": 2 * FACE + 7}, count=1)
    assert certificate.creditLine(bank, core) == 3 * FACE
    assert certificate.creditLine(factor, core) == 2 * FACE + 7
    assert certificate.creditLimit(core) == 5 * FACE + 7


def test_creditLine_isPerDebtor(members, certificate, consortium, admin, bank, core, tier1):
    consortium.onboard(tier1, ROLE["CORE_ENTERPRISE_ROLE"], "Tier-1 as buyer", {"from": admin})
    certificate.setCreditLine(core, 4 * FACE, {"from": bank})
    certificate.setCreditLine(tier1, FACE, {"from": bank})

    assert certificate.creditLimit(core) == 4 * FACE
    assert certificate.creditLimit(tier1) == FACE
    assert certificate.creditLine(bank, tier1) == FACE


def test_setCreditLine_lowersLine(members, certificate, bank, factor, core):
    certificate.setCreditLine(core, 3 * FACE, {"from": bank})
    certificate.setCreditLine(core, 2 * FACE, {"from": factor})

    tx = certificate.setCreditLine(core, FACE, {"from": bank})

    assert_event(tx, "CreditLineSet", {"financier": bank, "debtor": core, "limit": FACE}, count=1)
    assert certificate.creditLine(bank, core) == FACE
    assert certificate.creditLimit(core) == 3 * FACE

    certificate.setCreditLine(core, 0, {"from": factor})
    assert certificate.creditLine(factor, core) == 0
    assert certificate.creditLimit(core) == FACE


def test_setCreditLine_raisesLine(members, certificate, bank, core):
    certificate.setCreditLine(core, FACE, {"from": bank})
    certificate.setCreditLine(core, 4 * FACE, {"from": bank})
    assert certificate.creditLimit(core) == 4 * FACE


def test_lowerLineBelowOutstanding_blocksFurtherIssue(members, certificate, bank, core, tier1):
    certificate.setCreditLine(core, 3 * FACE, {"from": bank})
    maturity = chain.time() + 90 * DAY
    certificate.issue(tier1, 2 * FACE, maturity, doc_hash("lowered-line-1"), {"from": core})

    certificate.setCreditLine(core, FACE, {"from": bank})

    # Lowering a line does not touch existing receivables.
    assert certificate.outstanding(core) == 2 * FACE
    assert certificate.creditLimit(core) == FACE
    with reverts("CreditLimitExceeded", core, 2 * FACE, 1, FACE):
        certificate.issue(tier1, 1, maturity, doc_hash("over-lowered-line"), {"from": core})


def test_setCreditLine_maxUint128(members, certificate, bank, core):
    certificate.setCreditLine(core, MAX_UINT128, {"from": bank})
    assert certificate.creditLimit(core) == MAX_UINT128


@pytest.mark.parametrize("caller_name", ["core", "tier1", "guarantor", "clearing", "outsider"])
def test_revert_setCreditLine_whenNotFinancier(members, certificate, core, request, caller_name):
    caller = request.getfixturevalue(caller_name)
    limit = certificate.creditLimit(core)
    with reverts("AccessControlUnauthorizedAccount", caller, ROLE["FINANCIER_ROLE"]):
        certificate.setCreditLine(core, FACE, {"from": caller})
    assert certificate.creditLimit(core) == limit
    assert certificate.creditLine(caller, core) == 0


def test_revert_setCreditLine_whenZeroDebtor(members, certificate, bank):
    with reverts("InvalidMember", ZERO_ADDRESS):
        certificate.setCreditLine(ZERO_ADDRESS, FACE, {"from": bank})
    assert certificate.creditLimit(ZERO_ADDRESS) == 0


def test_revert_setCreditLine_whenLineAboveUint128(members, certificate, bank, core):
    with reverts("InvalidCreditLine", MAX_UINT128 + 1):
        certificate.setCreditLine(core, MAX_UINT128 + 1, {"from": bank})
    assert certificate.creditLimit(core) == 0


def test_revert_setCreditLine_whenSumAboveUint128(members, certificate, bank, factor, core):
    certificate.setCreditLine(core, MAX_UINT128, {"from": bank})
    with reverts("InvalidCreditLine", 1):
        certificate.setCreditLine(core, 1, {"from": factor})
    assert certificate.creditLimit(core) == MAX_UINT128
    assert certificate.creditLine(factor, core) == 0

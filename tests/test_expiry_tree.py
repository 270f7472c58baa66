"""ExpiryTree (the per-debtor index the guarantee draw walks) against a plain list: random pushes and clears
across the level boundaries (4, 16, 64, 256 leaves), then every `findNext` query a draw or `available` makes."""
import random

import pytest
from brownie import ExpiryTreeHarness


@pytest.fixture(scope="module")
def harness(admin):
    return ExpiryTreeHarness.deploy({"from": admin})


def _expected_walk(leaves, low, start):
    return [p for p in range(start, len(leaves)) if leaves[p] >= low]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_findNext_matchesAListScan_afterRandomPushesAndClears(harness, admin, seed):
    rng = random.Random(seed)
    leaves = []
    for target in (3, 5, 17, 70, 260):
        values = [rng.choice([rng.randint(1, 50), rng.randint(1, 2**64 - 1)]) for _ in range(target - len(leaves))]
        harness.push(values, {"from": admin})
        leaves += values
        cleared = rng.sample(range(len(leaves)), k=len(leaves) // 3)
        harness.clear(cleared, {"from": admin})
        for p in cleared:
            leaves[p] = 0
        assert harness.size() == len(leaves)
        for _ in range(6):
            low, start = rng.choice([1, rng.randint(1, 50), rng.randint(1, 2**64 - 1)]), rng.randint(0, len(leaves))
            assert list(harness.walk(low, start)) == _expected_walk(leaves, low, start)
            first = _expected_walk(leaves, low, start)
            assert tuple(harness.findNext(low, start)) == ((True, first[0]) if first else (False, 0))
    assert tuple(harness.findNext(1, len(leaves))) == (False, 0)


def test_clearEverything_leavesNothingToFind_andClearingTwiceIsHarmless(harness, admin):
    harness.push([7] * 21, {"from": admin})
    harness.clear(list(range(21)) + [5, 20], {"from": admin})
    assert tuple(harness.findNext(1, 0)) == (False, 0)
    harness.push([9], {"from": admin})
    assert tuple(harness.findNext(1, 0)) == (True, 21)
    assert tuple(harness.findNext(10, 0)) == (False, 0)

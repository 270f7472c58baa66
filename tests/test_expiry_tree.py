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


@pytest.mark.parametrize("size", [13, 16, 49, 64])
def test_findNext_fromTheTopWordsLastNodes_withNothingAtOrAfter_findsNone(admin, size):
    """A search from the last quarter of the top level's reach climbs past the top word (the positions left of
    `from` hold larger values, which must not be returned)."""
    tree = ExpiryTreeHarness.deploy({"from": admin})
    last = (size - 1) // 4 * 4 if size <= 16 else 48  # the first position whose climb leaves the top word
    tree.push([9] * last + [5] * (size - last), {"from": admin})
    for start in range(last, size):
        assert tuple(tree.findNext(9, start)) == (False, 0)
        assert tuple(tree.findNext(5, start)) == (True, start)
    assert tuple(tree.findNext(9, last - 1)) == (True, last - 1)
    assert list(tree.walk(6, 0)) == list(range(last))


def test_clear_ofAPositionTheTreeDoesNotHave_changesNothing(admin):
    tree = ExpiryTreeHarness.deploy({"from": admin})
    tree.clear([0, 3], {"from": admin})  # an empty tree
    assert tree.size() == 0 and tuple(tree.findNext(1, 0)) == (False, 0)
    tree.push([4, 8], {"from": admin})
    tree.clear([2, 7, 4**5], {"from": admin})  # past the last leaf, in the top word and beyond it
    assert tree.size() == 2 and list(tree.walk(1, 0)) == [0, 1] and tuple(tree.findNext(5, 0)) == (True, 1)

"""The benchmark's graph generators and its scipy reference."""

import numpy as np
import pytest

from connections.bench import reference_top_k
from connections.graphs import community_sizes, generate


@pytest.mark.parametrize("kind", ["community", "pa"])
def test_generators_are_seeded_simple_and_near_the_average_degree(kind):
    low, high = generate(kind, 3000, seed=11)
    again_low, again_high = generate(kind, 3000, seed=11)
    assert np.array_equal(low, again_low) and np.array_equal(high, again_high)
    assert (low < high).all() and high.max() < 3000
    keys = low * 3000 + high
    assert len(np.unique(keys)) == len(keys)
    assert 0.97 * 30000 <= len(low) <= 30000
    degree = np.bincount(np.concatenate([low, high]), minlength=3000)
    # Skewed: the biggest hub has many times the median degree.
    assert degree.max() > 8 * np.median(degree)
    other_low, _ = generate(kind, 3000, seed=12)
    assert not np.array_equal(low[: len(other_low)], other_low[: len(low)])


def test_community_graph_keeps_most_edges_inside_skewed_communities():
    rng = np.random.default_rng(3)
    sizes = community_sizes(20000, rng)
    assert sizes.sum() == 20000 and sizes.min() >= 20
    assert sizes.max() >= 5 * np.median(sizes)


def test_reference_top_k_matches_dense_brute_force():
    n = 600
    low, high = generate("pa", n, seed=4)
    dense = np.zeros((n, n), dtype=np.int64)
    dense[low, high] = dense[high, low] = 1
    two_hop = dense @ dense
    np.fill_diagonal(two_hop, 0)
    two_hop[dense > 0] = 0
    result = reference_top_k(low, high, n, 5, block=97, keep_rows=range(n))
    for node in range(n):
        expected = sorted(two_hop[node][two_hop[node] > 0].tolist(), reverse=True)[:5]
        assert result[node] == expected


def test_one_mutual_connection_outweighs_every_tie_breaker():
    """The engine drops candidates that can't reach the top k by mutual count alone
    (_beyond_reach); that is exact only while the tie-breakers sum below one mutual."""
    from connections import suggestions as engine

    most_tie_breakers = (
        (engine.GROUP_WEIGHT - 1) * engine.GROUP_WEIGHT
        + 2 * engine.PLACE_WEIGHT
        + engine.COMPLEMENT_WEIGHT
    )
    assert most_tie_breakers < engine.MUTUAL_WEIGHT


def test_beyond_reach_keeps_every_row_top_k_by_mutual_count():
    from connections.suggestions import _beyond_reach

    rng = np.random.default_rng(9)
    rows = rng.integers(0, 50, 5000)
    cols = np.arange(5000)
    mutual = rng.integers(1, 40, 5000)
    kept_rows, kept_cols, kept_mutual = _beyond_reach(rows, cols, mutual, 50, 7)
    assert len(kept_cols) < len(cols)
    for row in range(50):
        before = sorted(mutual[rows == row].tolist(), reverse=True)[:7]
        mine = kept_mutual[kept_rows == row]
        assert sorted(mine.tolist(), reverse=True)[:7] == before
        # Whatever is dropped ranks below the k-th kept one.
        dropped = np.setdiff1d(cols[rows == row], kept_cols[kept_rows == row])
        if len(dropped):
            assert mutual[dropped].max() < before[-1]

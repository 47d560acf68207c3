"""The benchmark's graph generators and its scipy reference."""

import numpy as np
import pytest

from bench.graphs import community_sizes, generate
from bench.suggestions import reference_top_k


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

"""Synthetic social graphs for the suggestions benchmark, numpy-vectorised and seeded.

Both generators return (low, high): int64 arrays of node indices 0..n-1 with low < high and
no duplicate pair, i.e. exactly the shape of the connections table.

- community_graph: LFR-like. Community sizes follow a power law (few big, many small),
  node degrees follow a power law (exponent 2.5), and a fraction 1 - mu of each node's
  edges stay inside its community (a degree-corrected stochastic block model, Chung–Lu
  inside and between communities). High-degree nodes go to big communities, as in LFR.
- preferential_attachment_graph: Barabási–Albert with m edges per new node (hubs), built
  with the Batagelj–Brandes edge-list trick; the chains of "copy the endpoint of an earlier
  edge" are resolved by pointer jumping instead of a Python loop.
"""

import numpy as np

KINDS = ("community", "pa")


def _unique_pairs(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique keys low * n + high of the non-loop pairs among (a, b)."""
    low, high = np.minimum(a, b), np.maximum(a, b)
    keep = low != high
    return np.unique(low[keep] * n + high[keep])


def _split(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    return (keys // n).astype(np.int64), (keys % n).astype(np.int64)


def community_sizes(n: int, rng: np.random.Generator, smallest: int = 20) -> np.ndarray:
    """Power-law community sizes (exponent 2) between `smallest` and n / 20, summing to n."""
    largest = max(smallest * 2, n // 20)
    draws = np.floor(smallest * (1 - rng.random(n // smallest + 1)) ** -1.0).astype(np.int64)
    draws = np.minimum(draws, largest)
    cut = int(np.searchsorted(np.cumsum(draws), n)) + 1
    sizes = draws[:cut].copy()
    sizes[-1] -= sizes.sum() - n
    if sizes[-1] < smallest and len(sizes) > 1:  # fold a runt into its neighbour
        sizes[-2] += sizes[-1]
        sizes = sizes[:-1]
    return sizes


def community_graph(
    n: int, avg_degree: float = 20, mu: float = 0.2, seed: int = 2026
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    target = int(round(n * avg_degree / 2))
    sizes = community_sizes(n, rng)
    # Degree weights: Pareto with exponent 2.5, capped, rescaled to the average degree.
    alpha = 1.5
    weights = (1 - rng.random(n)) ** (-1 / alpha)
    weights = np.minimum(weights, np.sqrt(n))
    weights *= n * avg_degree / weights.sum()
    # Big nodes into big communities (noisy rank matching), then shuffle the labels.
    by_weight = np.argsort(-(np.log(weights) + rng.normal(0, 0.5, n)))
    community_of_slot = np.repeat(np.argsort(-sizes), sizes[np.argsort(-sizes)])
    community = np.empty(n, dtype=np.int64)
    community[by_weight] = community_of_slot
    # No node wants more neighbours inside than its community has.
    inner = np.minimum(weights * (1 - mu), (sizes[community] - 1) * 0.5)
    outer = weights * mu

    # Nodes grouped by community, with the cumulative inner weight for sampling.
    order = np.argsort(community, kind="stable")
    cum_inner = np.cumsum(inner[order])
    community_weight = np.bincount(community, weights=inner, minlength=len(sizes))
    community_end = np.cumsum(community_weight)
    community_start = community_end - community_weight
    cum_outer = np.cumsum(outer)

    def draw(count: int) -> np.ndarray:
        n_inner = int(count * (1 - mu))
        n_outer = count - n_inner
        # Inner edges: community by its weight, both ends by weight inside it.
        c = np.searchsorted(community_end, rng.random(n_inner) * community_end[-1], side="right")
        c = np.minimum(c, len(sizes) - 1)
        span = community_weight[c]
        ends = []
        for _ in range(2):
            position = community_start[c] + rng.random(n_inner) * span
            index = np.minimum(np.searchsorted(cum_inner, position, side="right"), n - 1)
            ends.append(order[index])
        # Outer edges: Chung–Lu over the whole graph, kept only across communities.
        a = np.minimum(np.searchsorted(cum_outer, rng.random(n_outer) * cum_outer[-1]), n - 1)
        b = np.minimum(np.searchsorted(cum_outer, rng.random(n_outer) * cum_outer[-1]), n - 1)
        across = community[a] != community[b]
        return _unique_pairs(
            np.concatenate([ends[0], a[across]]), np.concatenate([ends[1], b[across]]), n
        )

    keys = draw(int(target * 1.1))
    while len(keys) < target:  # duplicates collapsed more than expected: draw more
        keys = np.union1d(keys, draw(target - len(keys) + target // 10))
    keys = np.sort(rng.choice(keys, size=target, replace=False))
    return _split(keys, n)


def preferential_attachment_graph(
    n: int, m: int = 10, seed: int = 2026
) -> tuple[np.ndarray, np.ndarray]:
    """Barabási–Albert: a clique of m + 1 nodes, then each node links to m earlier nodes
    chosen proportionally to their degree (a uniformly random endpoint of an earlier edge).
    Self-loops and repeats from the copying are dropped, so a few nodes get < m new edges."""
    rng = np.random.default_rng(seed)
    seed_nodes = m + 1
    clique_a, clique_b = np.triu_indices(seed_nodes, k=1)
    first = len(clique_a)
    new_edges = (n - seed_nodes) * m
    total = first + new_edges
    # Endpoint slots: slot 2e is edge e's source, slot 2e + 1 its target.
    value = np.full(2 * total, -1, dtype=np.int64)
    value[0 : 2 * first : 2] = clique_a
    value[1 : 2 * first : 2] = clique_b
    edge = np.arange(first, total, dtype=np.int64)
    value[2 * edge] = seed_nodes + (edge - first) // m
    # Each new target copies a uniformly random earlier slot.
    pointer = np.floor(rng.random(new_edges) * (2 * edge)).astype(np.int64)
    slots = 2 * edge + 1
    while len(slots):
        resolved = value[pointer] >= 0
        value[slots[resolved]] = value[pointer[resolved]]
        slots, pointer = slots[~resolved], pointer[~resolved]
        # Pointer jumping: an unresolved target slot points on to its own pointer.
        if len(slots):
            follow = np.full(2 * total, -1, dtype=np.int64)
            follow[slots] = pointer
            onward = follow[pointer]
            pointer = np.where(onward >= 0, onward, pointer)
    keys = _unique_pairs(value[0::2], value[1::2], n)
    return _split(keys, n)


def generate(kind: str, n: int, avg_degree: int = 20, seed: int = 2026):
    if kind == "community":
        return community_graph(n, avg_degree=avg_degree, seed=seed)
    if kind == "pa":
        return preferential_attachment_graph(n, m=avg_degree // 2, seed=seed)
    raise ValueError(f"unknown graph kind {kind!r} (choose from {', '.join(KINDS)})")

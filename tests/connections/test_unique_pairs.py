"""suggestion_graph.unique_pairs: the edges around a refresh, each once and sorted, as
np.unique over rows gives them, packed into one key per pair for speed."""

import numpy as np
import pytest

from connections.suggestion_graph import unique_pairs


def by_rows(low, high):
    pairs = np.unique(np.stack([low, high], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


@pytest.mark.parametrize("seed", range(10))
def test_pairs_come_out_as_np_unique_over_rows_gives_them(seed):
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 400))
    low, high = rng.integers(1, 60, size), rng.integers(60, 120, size)

    got = unique_pairs(low, high)

    for column, expected in zip(got, by_rows(low, high), strict=True):
        assert column.dtype == np.int64
        assert np.array_equal(column, expected)


def test_ids_beyond_the_packed_range_take_the_row_path():
    low = np.array([2**40, 3, 2**40, 3], dtype=np.int64)
    high = np.array([2**41, 5, 2**41, 4], dtype=np.int64)

    got = unique_pairs(low, high)

    assert [column.tolist() for column in got] == [[3, 3, 2**40], [4, 5, 2**41]]


def test_no_pairs():
    got = unique_pairs(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))

    assert [len(column) for column in got] == [0, 0]

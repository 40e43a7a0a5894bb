import pytest

from common.bulk import chunked


def test_chunked_yields_lists_of_size_and_a_shorter_last_one():
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_chunked_takes_any_iterable_lazily():
    # given a generator, which has no len() and cannot be sliced
    items = (n for n in range(4))
    # then it is consumed chunk by chunk
    chunks = chunked(items, 2)
    assert next(chunks) == [0, 1]
    assert next(items) == 2


def test_chunked_of_nothing_is_nothing():
    assert list(chunked([], 5)) == []


def test_chunked_refuses_a_size_below_one():
    with pytest.raises(ValueError):
        list(chunked([1], 0))

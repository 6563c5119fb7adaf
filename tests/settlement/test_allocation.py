"""Property tests of the shortage allocation rules (pure functions, no database)."""

from hypothesis import given
from hypothesis import strategies as st

from settlement.allocation import allocate, allocate_fair_share, allocate_fcfs

requests_st = st.lists(st.integers(min_value=0, max_value=50), max_size=30)
available_st = st.integers(min_value=0, max_value=800)


@given(requests_st, available_st, st.sampled_from(["fcfs", "fair_share"]))
def test_never_more_than_arrived_or_ordered_and_never_negative(requests, available, rule):
    result = allocate(rule, requests, available)
    assert len(result) == len(requests)
    assert sum(result) <= available
    assert all(0 <= got <= wanted for got, wanted in zip(result, requests, strict=True))
    # Nothing that arrived is left over while someone is still short.
    assert sum(result) == min(available, sum(requests))


@given(requests_st, available_st)
def test_fair_share_cut_requests_differ_by_at_most_one(requests, available):
    result = allocate_fair_share(requests, available)
    cut = [got for got, wanted in zip(result, requests, strict=True) if got < wanted]
    if cut:
        assert max(cut) - min(cut) <= 1
        # Max-min: nobody holds more than one unit above what any cut request got.
        assert all(got <= min(cut) + 1 for got in result)


@given(requests_st, available_st)
def test_fcfs_serves_in_signing_order(requests, available):
    result = allocate_fcfs(requests, available)
    short = [i for i, (got, wanted) in enumerate(zip(result, requests, strict=True)) if got < wanted]
    if short:
        first = short[0]
        assert all(got == 0 for got in result[first + 1 :])


def test_examples():
    assert allocate_fcfs([3, 7, 5], 8) == [3, 5, 0]
    assert allocate_fair_share([3, 7, 5], 8) == [3, 3, 2]
    assert allocate_fair_share([1, 10, 10], 12) == [1, 6, 5]
    assert allocate_fair_share([2, 2], 10) == [2, 2]

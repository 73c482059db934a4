"""The one retry policy (client and outbox): full-jitter backoff, `Retry-After` in both forms, an attempt bound."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from destination.delivery.retry import RetryPolicy, parse_retry_after

policies = st.builds(
    RetryPolicy,
    attempts=st.integers(1, 20),
    base=st.floats(0, 60),
    cap=st.floats(0, 3600),
    retry_after_max=st.floats(0, 3600),
)
unit = st.floats(0, 1, exclude_max=True)


@given(policies, st.integers(1, 1000), unit)
def test_backoff_is_full_jitter_under_the_exponential_cap(policy, attempt, draw):
    window = min(policy.cap, policy.base * 2.0 ** (attempt - 1))
    delay = policy.backoff(attempt, lambda: draw)
    assert 0 <= delay <= window
    assert delay == pytest.approx(draw * window)


@given(policies, st.integers(1000, 10**9))
def test_a_huge_attempt_count_waits_at_most_the_cap(policy, attempt):
    delay = policy.backoff(attempt, lambda: 0.5)
    assert 0 <= delay <= 0.5 * policy.cap
    if policy.base >= 1e-9:
        assert delay == 0.5 * policy.cap


def test_full_jitter_spans_the_whole_window():
    policy = RetryPolicy(base=1.0, cap=100.0)
    assert policy.backoff(3, lambda: 0.0) == 0.0
    assert policy.backoff(3, lambda: 0.999) == pytest.approx(3.996)
    assert policy.backoff(30, lambda: 0.5) == 50.0, "capped"


@given(policies, st.integers(1, 50), st.floats(0, 10_000), unit)
def test_a_short_retry_after_is_honoured_as_given_a_long_one_ignored(policy, attempt, retry_after, draw):
    delay = policy.delay(attempt, retry_after, lambda: draw)
    if retry_after <= policy.retry_after_max:
        assert delay == retry_after
    else:
        assert delay == policy.backoff(attempt, lambda: draw)
    assert policy.delay(attempt, None, lambda: draw) == policy.backoff(attempt, lambda: draw)


@given(policies)
def test_the_attempt_bound_counts_the_first_try(policy):
    tries = 1
    while policy.may_retry(tries):
        tries += 1
    assert tries == policy.attempts


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 599])
def test_what_a_retry_can_fix_is_retried(status):
    assert RetryPolicy().retryable(status)


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 409, 413, 422, 600])
def test_what_a_retry_cannot_fix_is_final(status):
    assert not RetryPolicy().retryable(status)


@pytest.mark.parametrize("bad", [{"attempts": 0}, {"base": -1.0}, {"cap": -0.1}, {"retry_after_max": -1.0}])
def test_a_policy_that_cannot_work_is_refused(bad):
    with pytest.raises(ValueError, match="retry policy"):
        RetryPolicy(**bad)


@given(st.integers(0, 10**12))
def test_retry_after_seconds(seconds):
    assert parse_retry_after(str(seconds)) == float(seconds)
    assert parse_retry_after(f"  {seconds} ") == float(seconds)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1)), st.integers(-86_400, 86_400))
def test_retry_after_http_date(moment, ahead):
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    header = email.utils.format_datetime(moment + timedelta(seconds=ahead), usegmt=True)
    assert parse_retry_after(header, now=moment.timestamp()) == max(0.0, float(ahead))


def test_retry_after_forms_that_are_not_usable():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0, "a past date means now"
    for unusable in (None, "", "soon", "-5", "1.5", "٣", "Wed, 99 Foo 2015"):
        assert parse_retry_after(unusable) is None, unusable

#include "reroute/retry.hpp"

#include <doctest/doctest.h>

#include "reroute/rng.hpp"

using reroute::ErrorCode;
using reroute::OutcomeKind;
using reroute::Reason;
using reroute::RetryBudget;
using reroute::RetryPolicy;

TEST_CASE("same-target retries per code (II.7 defaults)") {
    const RetryPolicy p;
    CHECK(reroute::same_target_retries(p, ErrorCode::provider_error) == 1);
    CHECK(reroute::same_target_retries(p, ErrorCode::rate_limited) == 2);
    CHECK(reroute::same_target_retries(p, ErrorCode::provider_unreachable) == 1);
    SUBCASE("never on the same target") {
        for (ErrorCode c : {ErrorCode::content_filter, ErrorCode::context_length, ErrorCode::unsupported_parameter,
                            ErrorCode::output_cap_too_high, ErrorCode::token_limit, ErrorCode::auth_error,
                            ErrorCode::credit_exhausted, ErrorCode::model_not_found, ErrorCode::model_not_entitled,
                            ErrorCode::generic, ErrorCode::missing_api_key, ErrorCode::tool_failure}) {
            CAPTURE(reroute::to_string(c));
            CHECK(reroute::same_target_retries(p, c) == 0);
            CHECK_FALSE(reroute::may_retry_same_target(p, c, OutcomeKind::http_error));
        }
    }
    SUBCASE("never after a timeout that received no byte") {
        CHECK_FALSE(reroute::may_retry_same_target(p, ErrorCode::provider_error, OutcomeKind::timeout_connect));
        CHECK_FALSE(reroute::may_retry_same_target(p, ErrorCode::provider_error, OutcomeKind::timeout_first_token));
        CHECK(reroute::may_retry_same_target(p, ErrorCode::provider_error, OutcomeKind::timeout_idle));
        CHECK(reroute::may_retry_same_target(p, ErrorCode::provider_error, OutcomeKind::reset));
    }
    SUBCASE("the policy can switch retries off") {
        RetryPolicy q;
        q.retries_provider_error = 0;
        CHECK_FALSE(reroute::may_retry_same_target(q, ErrorCode::provider_error, OutcomeKind::http_error));
    }
}

TEST_CASE("backoff is full jitter: uniform(0, min(4000, 250 * 2^n))") {
    const RetryPolicy p;
    SUBCASE("u pins the value") {
        CHECK(reroute::backoff_ms(p, 1, 0.0) == 0);
        CHECK(reroute::backoff_ms(p, 1, 0.5) == 250);
        CHECK(reroute::backoff_ms(p, 2, 0.5) == 500);
        CHECK(reroute::backoff_ms(p, 3, 0.27) == 540);
        CHECK(reroute::backoff_ms(p, 4, 0.999) == 3'996);
        CHECK(reroute::backoff_ms(p, 5, 0.999) == 3'996);  // capped at 4 000
        CHECK(reroute::backoff_ms(p, 60, 0.5) == 2'000);
    }
    SUBCASE("always below the bound") {
        reroute::Rng rng(27);
        for (int n = 1; n < 8; ++n)
            for (int i = 0; i < 200; ++i) {
                const auto ms = reroute::backoff_ms(p, n, rng.uniform());
                CHECK(ms >= 0);
                CHECK(ms < std::min<std::int64_t>(4'000, 250LL << n));
            }
    }
    SUBCASE("out-of-range inputs are clamped") {
        CHECK(reroute::backoff_ms(p, 1, 1.0) == 499);
        CHECK(reroute::backoff_ms(p, 1, -3) == 0);
        CHECK(reroute::backoff_ms(p, -5, 0.5) == 125);
    }
}

TEST_CASE("retry hints are honoured within the cap and the deadline") {
    const RetryPolicy p;
    SUBCASE("2 s hint with time left: wait exactly 2 s") {
        const auto v = reroute::judge_hint(p, 2'000, 100'000, 5'000);
        CHECK(v.wait);
        CHECK(v.wait_ms == 2'000);
    }
    SUBCASE("a fractional hint rounds up") { CHECK(reroute::judge_hint(p, 1'999.1, 100'000, 5'000).wait_ms == 2'000); }
    SUBCASE("60 000 ms is waited, 60 001 ms is beyond the cap") {
        CHECK(reroute::judge_hint(p, 60'000, 200'000, 5'000).wait);
        const auto v = reroute::judge_hint(p, 60'001, 200'000, 5'000);
        CHECK_FALSE(v.wait);
        CHECK(v.reason == Reason::hint_too_long);
        CHECK(v.wait_ms == 60'001);
    }
    SUBCASE("beyond what the deadline leaves after min_attempt_ms") {
        CHECK(reroute::judge_hint(p, 5'000, 10'000, 5'000).wait);
        const auto v = reroute::judge_hint(p, 5'001, 10'000, 5'000);
        CHECK_FALSE(v.wait);
        CHECK(v.reason == Reason::deadline);
    }
}

TEST_CASE("retry budget: same-target retries in flight <= max(3, 20 % of active requests)") {
    const RetryPolicy p;
    RetryBudget b;
    for (int i = 0; i < 10; ++i) b.begin_request();
    SUBCASE("10 active requests: the floor of 3 applies") {
        for (int i = 0; i < 3; ++i) {
            CHECK(b.allows_retry(p));
            b.begin_retry();
        }
        CHECK_FALSE(b.allows_retry(p));
        CHECK(b.check(p) == Reason::budget_exhausted);
        b.end_retry();
        CHECK(b.allows_retry(p));
    }
    SUBCASE("50 active requests: 10 retries") {
        for (int i = 0; i < 40; ++i) b.begin_request();
        for (int i = 0; i < 10; ++i) {
            CHECK(b.allows_retry(p));
            b.begin_retry();
        }
        CHECK_FALSE(b.allows_retry(p));
    }
    SUBCASE("counters never go negative") {
        RetryBudget c;
        c.end_retry();
        c.end_request();
        CHECK(c.retries_in_flight() == 0);
        CHECK(c.active_requests() == 0);
    }
}

TEST_CASE("the rng is seedable and reproducible") {
    reroute::Rng a(42), b(42), c(43);
    for (int i = 0; i < 100; ++i) {
        const double u = a.uniform();
        CHECK(u == b.uniform());
        CHECK(u >= 0.0);
        CHECK(u < 1.0);
    }
    CHECK(a.next_u64() != c.next_u64());
    reroute::Rng d(1);
    int counts[4] = {};
    for (int i = 0; i < 4000; ++i) ++counts[d.below(4)];
    for (int k : counts) CHECK(k > 850);
    CHECK(d.below(0) == 0);
}

#include "reroute/breaker.hpp"

#include <doctest/doctest.h>

#include "reroute/rng.hpp"

using reroute::BreakerPolicy;
using reroute::BreakerState;
using reroute::BreakerStatus;
using reroute::FailureSource;
using reroute::Reason;
namespace breaker = reroute::breaker;

namespace {

constexpr std::int64_t T0 = 1'000'000;  // the fake clock starts here

struct Fixture {
    BreakerPolicy policy;
    BreakerState state;

    reroute::BreakerTransition fail(std::int64_t now, int threshold = 3, bool probe = false,
                                    bool may_eject = true, double j = 0) {
        return breaker::on_failure(policy, state, now, FailureSource::upstream, probe, threshold, may_eject, j);
    }
    reroute::BreakerTransition succeed(std::int64_t now, bool probe = false) {
        return breaker::on_success(policy, state, now, probe);
    }
    BreakerStatus status(std::int64_t now) const { return breaker::status(state, now); }
};

}  // namespace

TEST_CASE("breaker ejects after 3 consecutive failures without an alternative") {
    Fixture f;
    SUBCASE("2 failures keep it closed") {
        CHECK(f.fail(T0).reason == Reason::failure_counted);
        CHECK(f.fail(T0 + 1).reason == Reason::failure_counted);
        CHECK(f.status(T0 + 2) == BreakerStatus::closed);
    }
    SUBCASE("the third ejects for 15 s") {
        f.fail(T0);
        f.fail(T0 + 1);
        const auto t = f.fail(T0 + 2);
        CHECK(t.reason == Reason::ejected_consecutive);
        CHECK(t.from == BreakerStatus::closed);
        CHECK(t.to == BreakerStatus::ejected);
        CHECK(t.until_ms == T0 + 2 + 15'000);
    }
    SUBCASE("a success resets the count") {
        f.fail(T0);
        f.fail(T0 + 1);
        CHECK(f.succeed(T0 + 2).reason == Reason::success_counted);
        CHECK(f.fail(T0 + 3).reason == Reason::failure_counted);
        CHECK(f.fail(T0 + 4).reason == Reason::failure_counted);
        CHECK(f.status(T0 + 5) == BreakerStatus::closed);
    }
}

TEST_CASE("breaker ejects after 1 failure when the route has a healthy alternative") {
    Fixture f;
    const auto t = f.fail(T0, f.policy.consecutive_failures_with_alternative);
    CHECK(t.reason == Reason::ejected_consecutive);
    CHECK(f.status(T0) == BreakerStatus::ejected);
}

TEST_CASE("ejection lasts until exactly base * n * (1 + j)") {
    Fixture f;
    f.fail(T0, 1);
    SUBCASE("14 999 ms later it is still ejected") { CHECK(f.status(T0 + 14'999) == BreakerStatus::ejected); }
    SUBCASE("15 000 ms later it is half-open") { CHECK(f.status(T0 + 15'000) == BreakerStatus::half_open); }
}

TEST_CASE("ejection time is min(base * n, max) * (1 + j)") {
    BreakerPolicy p;
    CHECK(breaker::ejection_ms(p, 1, 0) == 15'000);
    CHECK(breaker::ejection_ms(p, 2, 0) == 30'000);
    CHECK(breaker::ejection_ms(p, 1, 0.05) == 15'750);
    CHECK(breaker::ejection_ms(p, 20, 0) == 300'000);
    CHECK(breaker::ejection_ms(p, 100, 0) == 300'000);
    SUBCASE("j is clamped below jitter_percent / 100") {
        CHECK(breaker::ejection_ms(p, 1, 0.5) < 16'500);
        CHECK(breaker::ejection_ms(p, 1, 0.5) >= 16'499);
        CHECK(breaker::ejection_ms(p, 1, -1) == 15'000);
    }
    SUBCASE("jitter from the rng stays within [base, base * 1.1)") {
        reroute::Rng rng(27);
        for (int i = 0; i < 1000; ++i) {
            const auto ms = breaker::ejection_ms(p, 1, rng.uniform() * p.jitter_percent / 100.0);
            CHECK(ms >= 15'000);
            CHECK(ms < 16'500);
        }
    }
}

TEST_CASE("breaker ejects on a failure rate >= 50 % over >= 10 requests in 30 s") {
    Fixture f;
    f.policy.consecutive_failures = 1000;  // isolate the rate trigger
    SUBCASE("4 failures in 9 requests do not eject (volume too low)") {
        for (int i = 0; i < 5; ++i) f.succeed(T0 + i);
        for (int i = 0; i < 4; ++i) CHECK(f.fail(T0 + 10 + i, 1000).reason == Reason::failure_counted);
        CHECK(f.status(T0 + 20) == BreakerStatus::closed);
    }
    SUBCASE("5 failures in 10 requests eject") {
        for (int i = 0; i < 5; ++i) f.succeed(T0 + i);
        for (int i = 0; i < 4; ++i) f.fail(T0 + 10 + i, 1000);
        CHECK(f.fail(T0 + 20, 1000).reason == Reason::ejected_failure_rate);
    }
    SUBCASE("4 failures in 10 requests (40 %) do not eject") {
        for (int i = 0; i < 6; ++i) f.succeed(T0 + i);
        for (int i = 0; i < 4; ++i) CHECK(f.fail(T0 + 10 + i, 1000).reason == Reason::failure_counted);
    }
    SUBCASE("failures older than the window are forgotten") {
        for (int i = 0; i < 4; ++i) f.fail(T0 + i, 1000);
        for (int i = 0; i < 5; ++i) f.succeed(T0 + 40'000 + i);
        CHECK(f.fail(T0 + 40'010, 1000).reason == Reason::failure_counted);
        const auto c = breaker::window_counts(f.policy, f.state, T0 + 40'010);
        CHECK(c.failures == 1);
        CHECK(c.successes == 5);
    }
}

TEST_CASE("the window has bounded memory") {
    Fixture f;
    f.policy.consecutive_failures = 1000000;
    f.policy.failure_rate_percent = 100;
    for (int i = 0; i < 100000; ++i) f.succeed(T0 + i * 97);
    CHECK(f.state.window.size() == static_cast<std::size_t>(reroute::kBreakerBuckets));
    const auto c = breaker::window_counts(f.policy, f.state, T0 + 99'999 * 97);
    CHECK(c.successes <= 30'000 / 97 + 2);
    CHECK(c.successes >= 25'000 / 97 - 2);
}

TEST_CASE("half-open lets exactly one probe through") {
    Fixture f;
    f.fail(T0, 1);
    const std::int64_t t = T0 + 15'000;
    const auto first = breaker::admit(f.policy, f.state, t);
    CHECK(first.allowed);
    CHECK(first.probe);
    CHECK(first.reason == Reason::half_open_probe);
    CHECK(breaker::begin_probe(f.policy, f.state, t, 10'000).reason == Reason::probe_started);
    const auto second = breaker::admit(f.policy, f.state, t + 1);
    CHECK_FALSE(second.allowed);
    CHECK(second.reason == Reason::probe_in_flight);
    CHECK(breaker::begin_probe(f.policy, f.state, t + 1, 10'000).reason == Reason::no_effect);
    SUBCASE("a probe that never reports frees the slot after its lease") {
        CHECK_FALSE(breaker::admit(f.policy, f.state, t + 9'999).allowed);
        CHECK(breaker::admit(f.policy, f.state, t + 10'000).probe);
    }
    SUBCASE("a cancelled probe releases the slot at once") {
        CHECK(breaker::on_neutral(f.policy, f.state, t + 5, true).reason == Reason::probe_released);
        CHECK(breaker::admit(f.policy, f.state, t + 6).probe);
    }
}

TEST_CASE("probe success closes the breaker and clears its counters") {
    Fixture f;
    f.fail(T0, 1);
    const std::int64_t t = T0 + 15'000;
    breaker::begin_probe(f.policy, f.state, t);
    const auto tr = f.succeed(t + 100, true);
    CHECK(tr.reason == Reason::probe_succeeded);
    CHECK(tr.to == BreakerStatus::closed);
    CHECK(f.state.consecutive == 0);
    CHECK(breaker::window_counts(f.policy, f.state, t + 100).failures == 0);
    CHECK(f.state.probe_until_ms == 0);
    CHECK(breaker::admit(f.policy, f.state, t + 101).reason == Reason::ok);
}

TEST_CASE("probe failure ejects again for the current duration without increasing n") {
    Fixture f;
    f.fail(T0, 1, false, true, 0.05);  // 15 750 ms
    const std::uint32_t n = f.state.n;
    const std::int64_t t = T0 + 15'750;
    breaker::begin_probe(f.policy, f.state, t);
    const auto tr = f.fail(t + 50, 1, true, true, 0.09);  // the new jitter is not drawn again
    CHECK(tr.reason == Reason::probe_failed);
    CHECK(tr.until_ms == t + 50 + 15'750);
    CHECK(f.state.n == n);
    CHECK(f.status(t + 50 + 15'749) == BreakerStatus::ejected);
    CHECK(f.status(t + 50 + 15'750) == BreakerStatus::half_open);
}

TEST_CASE("an ejection that follows a readmission lasts longer; n decays with healthy time") {
    Fixture f;
    f.fail(T0, 1);  // 15 s
    std::int64_t t = T0 + 15'000;
    breaker::begin_probe(f.policy, f.state, t);
    f.succeed(t, true);
    CHECK(f.state.n == 2);
    SUBCASE("failing again at once: 30 s") {
        CHECK(f.fail(t + 1, 1).until_ms == t + 1 + 30'000);
    }
    SUBCASE("14 999 ms of healthy time: still 30 s") {
        CHECK(f.fail(t + 14'999, 1).until_ms == t + 14'999 + 30'000);
    }
    SUBCASE("15 000 ms of healthy time: back to 15 s (never below 1)") {
        CHECK(f.fail(t + 15'000, 1).until_ms == t + 15'000 + 15'000);
        CHECK(f.state.n == 1);
    }
    SUBCASE("after a long healthy time the breaker is idle and can be dropped") {
        CHECK_FALSE(breaker::is_idle(f.policy, f.state, t + 14'999));
        CHECK(breaker::is_idle(f.policy, f.state, t + 15'000));
    }
}

TEST_CASE("the panic guard can refuse an ejection") {
    Fixture f;
    const auto tr = f.fail(T0, 1, false, /*may_eject=*/false);
    CHECK(tr.reason == Reason::ejection_suppressed);
    CHECK(f.status(T0) == BreakerStatus::closed);
    CHECK(f.fail(T0 + 1, 1, false, true).reason == Reason::ejected_consecutive);
}

TEST_CASE("local failures and upstream failures are counted separately") {
    Fixture f;
    breaker::on_failure(f.policy, f.state, T0, FailureSource::local, false, 100, true, 0);
    breaker::on_failure(f.policy, f.state, T0, FailureSource::local, false, 100, true, 0);
    breaker::on_failure(f.policy, f.state, T0, FailureSource::upstream, false, 100, true, 0);
    CHECK(f.state.local_failures == 2);
    CHECK(f.state.upstream_failures == 1);
}

TEST_CASE("a success while still ejected only counts; one while half-open closes") {
    Fixture f;
    f.fail(T0, 1);
    CHECK(f.succeed(T0 + 100).reason == Reason::success_counted);
    CHECK(f.status(T0 + 100) == BreakerStatus::ejected);
    CHECK(f.succeed(T0 + 15'000).reason == Reason::probe_succeeded);
}

TEST_CASE("admin reset closes and clears") {
    Fixture f;
    f.fail(T0, 1);
    const auto tr = breaker::reset(f.state, T0 + 1);
    CHECK(tr.reason == Reason::admin_reset);
    CHECK(tr.from == BreakerStatus::ejected);
    CHECK(f.status(T0 + 1) == BreakerStatus::closed);
    CHECK(f.state.n == 1);
}

TEST_CASE("breaker merge: higher epoch wins, equal epochs take maxima") {
    Fixture a, b;
    a.fail(T0, 1);  // epoch 1, ejected
    b.fail(T0 + 5, 100);
    SUBCASE("the ejected copy (higher epoch) wins whole") {
        const auto m = breaker::merge(a.state, b.state);
        CHECK(m.ejected);
        CHECK(m.eject_until_ms == a.state.eject_until_ms);
        CHECK(m == breaker::merge(b.state, a.state));
        CHECK(m.upstream_failures == 1);
    }
    SUBCASE("equal epochs: later deadline and higher counters") {
        Fixture c;
        c.fail(T0 + 10, 1);
        const auto m = breaker::merge(a.state, c.state);
        CHECK(m.eject_until_ms == c.state.eject_until_ms);
        CHECK(m == breaker::merge(c.state, a.state));
        CHECK(breaker::merge(m, m) == m);
    }
    SUBCASE("a probe success (newer epoch) beats a stale ejected copy") {
        BreakerState closed = a.state;
        breaker::on_success(a.policy, closed, T0 + 15'000, true);
        const auto m = breaker::merge(a.state, closed);
        CHECK_FALSE(m.ejected);
    }
}

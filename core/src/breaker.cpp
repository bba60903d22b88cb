#include "reroute/breaker.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace reroute {
namespace {

std::int64_t bucket_width(const BreakerPolicy& p) noexcept {
    return std::max<std::int64_t>(1, p.failure_window_ms / kBreakerBuckets);
}

// Floor division, so that a fake clock may start below zero.
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

std::size_t slot_of(std::int64_t index) noexcept {
    const std::int64_t m = index % kBreakerBuckets;
    return static_cast<std::size_t>(m < 0 ? m + kBreakerBuckets : m);
}

void saturating_inc(std::uint32_t& v) noexcept {
    if (v != std::numeric_limits<std::uint32_t>::max()) ++v;
}
void saturating_inc(std::uint64_t& v) noexcept {
    if (v != std::numeric_limits<std::uint64_t>::max()) ++v;
}

BreakerBucket& current_bucket(const BreakerPolicy& p, BreakerState& s, std::int64_t now_ms) noexcept {
    const std::int64_t index = floor_div(now_ms, bucket_width(p));
    BreakerBucket& b = s.window[slot_of(index)];
    if (b.index != index) b = BreakerBucket{index, 0, 0};
    return b;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
    if (b > 0 && a > std::numeric_limits<std::int64_t>::max() - b) return std::numeric_limits<std::int64_t>::max();
    if (b < 0 && a < std::numeric_limits<std::int64_t>::min() - b) return std::numeric_limits<std::int64_t>::min();
    return a + b;
}

// The largest useful n: base * n already reaches max.
std::uint32_t n_cap(const BreakerPolicy& p) noexcept {
    const std::int64_t base = std::max<std::int64_t>(1, p.ejection_base_ms);
    const std::int64_t cap = (std::max<std::int64_t>(p.ejection_max_ms, base) + base - 1) / base;
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(cap, 1, 1 << 20));
}

// n drops by one per full base interval of healthy, closed time; never below 1.
void decay(const BreakerPolicy& p, BreakerState& s, std::int64_t now_ms) noexcept {
    if (s.ejected || s.n <= 1) return;
    const std::int64_t base = std::max<std::int64_t>(1, p.ejection_base_ms);
    if (now_ms <= s.healthy_since_ms) return;
    const std::int64_t steps = (now_ms - s.healthy_since_ms) / base;
    if (steps <= 0) return;
    const std::int64_t left = std::max<std::int64_t>(1, static_cast<std::int64_t>(s.n) - steps);
    s.healthy_since_ms += (static_cast<std::int64_t>(s.n) - left) * base;
    s.n = static_cast<std::uint32_t>(left);
    if (s.n == 1) s.healthy_since_ms = now_ms;
}

// From closed: a new duration (n and j). After a failed probe: the current duration again.
void eject(const BreakerPolicy& p, BreakerState& s, std::int64_t now_ms, double j, bool again) noexcept {
    if (!again || s.eject_ms <= 0) s.eject_ms = breaker::ejection_ms(p, s.n, j);
    s.ejected = true;
    s.ejected_at_ms = now_ms;
    s.eject_until_ms = saturating_add(now_ms, s.eject_ms);
    s.probe_until_ms = 0;
    s.consecutive = 0;
    s.window = {};
    ++s.epoch;
    saturating_inc(s.ejections);
}

}  // namespace

std::string_view to_string(BreakerStatus status) noexcept {
    switch (status) {
        case BreakerStatus::closed: return "closed";
        case BreakerStatus::ejected: return "ejected";
        case BreakerStatus::half_open: return "half_open";
    }
    return "closed";
}

namespace breaker {

BreakerStatus status(const BreakerState& s, std::int64_t now_ms) noexcept {
    if (!s.ejected) return BreakerStatus::closed;
    return now_ms < s.eject_until_ms ? BreakerStatus::ejected : BreakerStatus::half_open;
}

BreakerAdmission admit(const BreakerPolicy&, const BreakerState& s, std::int64_t now_ms) noexcept {
    switch (status(s, now_ms)) {
        case BreakerStatus::closed: return {};
        case BreakerStatus::ejected: return {false, false, Reason::breaker_open, s.eject_until_ms};
        case BreakerStatus::half_open:
            if (now_ms < s.probe_until_ms) return {false, false, Reason::probe_in_flight, s.probe_until_ms};
            return {true, true, Reason::half_open_probe, 0};
    }
    return {};
}

WindowCounts window_counts(const BreakerPolicy& p, const BreakerState& s, std::int64_t now_ms) noexcept {
    const std::int64_t current = floor_div(now_ms, bucket_width(p));
    WindowCounts c;
    for (const BreakerBucket& b : s.window) {
        if (b.index < 0 && b.successes == 0 && b.failures == 0) continue;
        if (b.index > current || b.index <= current - kBreakerBuckets) continue;
        c.successes += b.successes;
        c.failures += b.failures;
    }
    return c;
}

std::int64_t ejection_ms(const BreakerPolicy& p, std::uint32_t n, double j) noexcept {
    const std::int64_t base = std::max<std::int64_t>(0, p.ejection_base_ms);
    const std::int64_t cap = std::max<std::int64_t>(0, p.ejection_max_ms);
    const double scaled = static_cast<double>(base) * static_cast<double>(std::max<std::uint32_t>(n, 1));
    const double capped = std::min(scaled, static_cast<double>(cap));
    const double max_j = std::max(0, p.jitter_percent) / 100.0;
    if (!(j >= 0)) j = 0;  // also NaN
    // (1 + j) strictly below (1 + max_j), also after rounding.
    double extra = std::floor(capped * std::min(j, max_j));
    const double limit = capped * max_j;
    if (max_j <= 0) extra = 0;
    else if (extra >= limit) extra = std::max(0.0, std::ceil(limit) - 1);
    return static_cast<std::int64_t>(std::floor(capped) + extra);
}

BreakerTransition begin_probe(const BreakerPolicy& p, BreakerState& s, std::int64_t now_ms,
                              std::int64_t lease_ms) noexcept {
    const BreakerAdmission a = admit(p, s, now_ms);
    if (!a.probe) {
        const BreakerStatus st = status(s, now_ms);
        return {Reason::no_effect, st, st, 0};
    }
    s.probe_until_ms = saturating_add(now_ms, std::max<std::int64_t>(1, lease_ms));
    return {Reason::probe_started, BreakerStatus::half_open, BreakerStatus::half_open, s.probe_until_ms};
}

BreakerTransition on_failure(const BreakerPolicy& p, BreakerState& s, std::int64_t now_ms,
                             FailureSource source, bool probe, int threshold, bool may_eject,
                             double j) noexcept {
    saturating_inc(source == FailureSource::local ? s.local_failures : s.upstream_failures);
    const BreakerStatus from = status(s, now_ms);
    if (from == BreakerStatus::half_open && (probe || now_ms >= s.probe_until_ms)) {
        // The probe failed (or a request let through while nobody held the lease): eject again for
        // the current duration, n unchanged.
        eject(p, s, now_ms, j, true);
        return {Reason::probe_failed, from, BreakerStatus::ejected, s.eject_until_ms};
    }
    if (from != BreakerStatus::closed) return {Reason::failure_counted, from, from, 0};

    decay(p, s, now_ms);
    s.healthy_since_ms = now_ms;
    saturating_inc(s.consecutive);
    saturating_inc(current_bucket(p, s, now_ms).failures);

    Reason trigger = Reason::failure_counted;
    if (threshold < 1) threshold = 1;
    if (s.consecutive >= static_cast<std::uint32_t>(threshold)) {
        trigger = Reason::ejected_consecutive;
    } else {
        const WindowCounts c = window_counts(p, s, now_ms);
        const std::uint64_t total = static_cast<std::uint64_t>(c.successes) + c.failures;
        if (total >= static_cast<std::uint64_t>(std::max(1, p.min_request_volume)) &&
            static_cast<std::uint64_t>(c.failures) * 100 >=
                static_cast<std::uint64_t>(std::clamp(p.failure_rate_percent, 0, 100)) * total)
            trigger = Reason::ejected_failure_rate;
    }
    if (trigger == Reason::failure_counted) return {trigger, from, from, 0};
    if (!may_eject) return {Reason::ejection_suppressed, from, from, 0};
    eject(p, s, now_ms, j, false);
    return {trigger, from, BreakerStatus::ejected, s.eject_until_ms};
}

BreakerTransition on_success(const BreakerPolicy& p, BreakerState& s, std::int64_t now_ms,
                             bool probe) noexcept {
    saturating_inc(s.successes);
    const BreakerStatus from = status(s, now_ms);
    if (from == BreakerStatus::half_open) {
        // Readmission: counters cleared; the next ejection (if it follows soon) lasts longer.
        s.ejected = false;
        s.consecutive = 0;
        s.window = {};
        s.probe_until_ms = 0;
        s.n = std::min(s.n + 1, n_cap(p));
        s.healthy_since_ms = now_ms;
        ++s.epoch;
        return {Reason::probe_succeeded, from, BreakerStatus::closed, 0};
    }
    if (from == BreakerStatus::ejected) return {Reason::success_counted, from, from, 0};
    (void)probe;  // a success closes a half-open breaker whoever held the lease
    decay(p, s, now_ms);
    s.consecutive = 0;
    saturating_inc(current_bucket(p, s, now_ms).successes);
    return {Reason::success_counted, from, from, 0};
}

BreakerTransition on_neutral(const BreakerPolicy&, BreakerState& s, std::int64_t now_ms, bool probe) noexcept {
    const BreakerStatus from = status(s, now_ms);
    if (probe && s.probe_until_ms != 0) {
        s.probe_until_ms = 0;
        return {Reason::probe_released, from, from, 0};
    }
    return {Reason::no_effect, from, from, 0};
}

BreakerTransition reset(BreakerState& s, std::int64_t now_ms) noexcept {
    const BreakerStatus from = status(s, now_ms);
    s.ejected = false;
    s.ejected_at_ms = 0;
    s.eject_until_ms = 0;
    s.eject_ms = 0;
    s.n = 1;
    s.healthy_since_ms = now_ms;
    s.consecutive = 0;
    s.probe_until_ms = 0;
    s.window = {};
    ++s.epoch;
    return {Reason::admin_reset, from, BreakerStatus::closed, 0};
}

BreakerState merge(const BreakerState& a, const BreakerState& b) noexcept {
    if (a.epoch != b.epoch) {
        BreakerState r = a.epoch > b.epoch ? a : b;
        const BreakerState& o = a.epoch > b.epoch ? b : a;
        // Statistics are lifetime counters: higher wins regardless of epoch.
        r.successes = std::max(r.successes, o.successes);
        r.local_failures = std::max(r.local_failures, o.local_failures);
        r.upstream_failures = std::max(r.upstream_failures, o.upstream_failures);
        r.ejections = std::max(r.ejections, o.ejections);
        return r;
    }
    BreakerState r;
    r.epoch = a.epoch;
    r.ejected = a.ejected || b.ejected;
    r.ejected_at_ms = std::max(a.ejected_at_ms, b.ejected_at_ms);
    r.eject_until_ms = std::max(a.eject_until_ms, b.eject_until_ms);
    r.eject_ms = std::max(a.eject_ms, b.eject_ms);
    r.n = std::max(a.n, b.n);
    r.healthy_since_ms = std::max(a.healthy_since_ms, b.healthy_since_ms);
    r.consecutive = std::max(a.consecutive, b.consecutive);
    r.probe_until_ms = std::max(a.probe_until_ms, b.probe_until_ms);
    r.successes = std::max(a.successes, b.successes);
    r.local_failures = std::max(a.local_failures, b.local_failures);
    r.upstream_failures = std::max(a.upstream_failures, b.upstream_failures);
    r.ejections = std::max(a.ejections, b.ejections);
    // Buckets: per slot, the higher index wins; equal indices take the higher counts.
    for (std::size_t i = 0; i < r.window.size(); ++i) {
        const BreakerBucket& x = a.window[i];
        const BreakerBucket& y = b.window[i];
        if (x.index != y.index) {
            r.window[i] = x.index > y.index ? x : y;
        } else {
            r.window[i] = BreakerBucket{x.index, std::max(x.successes, y.successes), std::max(x.failures, y.failures)};
        }
    }
    return r;
}

bool is_idle(const BreakerPolicy& p, const BreakerState& s, std::int64_t now_ms) noexcept {
    if (s.ejected || s.consecutive != 0 || now_ms < s.probe_until_ms) return false;
    if (window_counts(p, s, now_ms).failures != 0) return false;
    if (s.n <= 1) return true;
    const std::int64_t base = std::max<std::int64_t>(1, p.ejection_base_ms);
    const std::int64_t healthy = now_ms - s.healthy_since_ms;
    return healthy >= 0 && healthy / base >= static_cast<std::int64_t>(s.n) - 1;
}

}  // namespace breaker
}  // namespace reroute

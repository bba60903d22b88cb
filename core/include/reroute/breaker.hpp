// Breaker and outlier ejection per resource, in the style of Envoy's outlier detection
// (failover.md II.9). Config, state and decisions are separate:
//
//   BreakerPolicy  validated, immutable parameters with named defaults (config.hpp);
//   BreakerState   plain data: counters, window, ejection, probe lease (serialized by health);
//   breaker::*     pure functions: admit() only asks, the on_*() functions act on a state and
//                  return the Transition they made, with its reason.
//
// Time (`now_ms`) and jitter (`j`, uniform in [0, jitter_percent / 100)) are inputs; nothing here reads a
// clock or draws a random number.
//
//   closed --(consecutive >= threshold | failure rate)--> ejected (until = now + min(base*n, max)*(1+j))
//   ejected --(now >= until)--> half-open: exactly one request holds the probe lease
//   half-open --probe success--> closed (counters cleared; n + 1, so that an ejection that follows
//                                this readmission lasts longer)
//   half-open --probe failure--> ejected again for the current duration (the same
//                                min(base*n, max)*(1+j), jitter included), n unchanged
//
// n starts at 1 and drops by one for every base interval of healthy (closed, failure-free) time,
// never below 1: a resource that stayed healthy is indistinguishable from a fresh one, which is
// what lets the health state prune it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "reroute/config.hpp"
#include "reroute/resource.hpp"

namespace reroute {

// The breaker's parameters are the effective BreakerPolicy of config.hpp (consecutive thresholds,
// failure rate over a minimum volume in a window, ejection base and max, jitter percent, max
// ejection percent), defaults kDefault* there. The probe lease is an argument of begin_probe.

// A half-open probe that never reports (its isolate died) frees the slot after its lease; the
// planner passes the request's remaining deadline, this is what other callers default to.
inline constexpr std::int64_t kDefaultProbeLeaseMs = kDefaultDeadlineMs;

// Fixed, bounded memory for the failure-rate window.
inline constexpr int kBreakerBuckets = 6;

struct BreakerBucket {
    std::int64_t index = -1;  // now_ms / bucket width; -1 = empty
    std::uint32_t successes = 0;
    std::uint32_t failures = 0;
    friend bool operator==(const BreakerBucket&, const BreakerBucket&) = default;
};

enum class BreakerStatus : std::uint8_t { closed, ejected, half_open };
std::string_view to_string(BreakerStatus status) noexcept;

// Where a counted failure came from (statistics only): the local side (connect, DNS, TLS, reset,
// timeouts) or the upstream (5xx, in-band error, truncated or malformed stream).
enum class FailureSource : std::uint8_t { local, upstream };

struct BreakerState {
    std::uint32_t epoch = 0;          // +1 on every state transition; merge: higher epoch wins
    bool ejected = false;             // ejected or half-open (until reached)
    std::int64_t ejected_at_ms = 0;
    std::int64_t eject_until_ms = 0;
    std::int64_t eject_ms = 0;        // the current ejection duration, reused after a failed probe
    std::uint32_t n = 1;              // ejection multiplier, >= 1
    std::int64_t healthy_since_ms = 0;  // decay anchor for n
    std::uint32_t consecutive = 0;
    std::int64_t probe_until_ms = 0;  // half-open probe lease; 0 or past = free
    std::array<BreakerBucket, kBreakerBuckets> window{};
    // Lifetime statistics of this resource (not cleared by a probe success).
    std::uint64_t successes = 0;
    std::uint64_t local_failures = 0;
    std::uint64_t upstream_failures = 0;
    std::uint64_t ejections = 0;

    friend bool operator==(const BreakerState&, const BreakerState&) = default;
};

// A state change, or the absence of one (reason no_effect / failure_counted / success_counted).
struct BreakerTransition {
    Reason reason = Reason::no_effect;
    BreakerStatus from = BreakerStatus::closed;
    BreakerStatus to = BreakerStatus::closed;
    std::int64_t until_ms = 0;  // end of the ejection when `to` is ejected
    bool changed() const noexcept { return from != to || reason == Reason::probe_failed; }
};

// Whether a request may use the resource now (asks only; see begin_probe to act).
struct BreakerAdmission {
    bool allowed = true;
    bool probe = false;  // allowed as the half-open probe (the caller must take the lease)
    Reason reason = Reason::ok;  // ok, half_open_probe, breaker_open, probe_in_flight
    std::int64_t until_ms = 0;   // breaker_open: end of the ejection; probe_in_flight: lease end
};

namespace breaker {

BreakerStatus status(const BreakerState& s, std::int64_t now_ms) noexcept;
BreakerAdmission admit(const BreakerPolicy& p, const BreakerState& s, std::int64_t now_ms) noexcept;
// Failure counts in the window ending at now_ms.
struct WindowCounts {
    std::uint32_t successes = 0, failures = 0;
};
WindowCounts window_counts(const BreakerPolicy& p, const BreakerState& s, std::int64_t now_ms) noexcept;
// min(base * n, max) * (1 + j), j clamped to [0, jitter_percent / 100).
std::int64_t ejection_ms(const BreakerPolicy& p, std::uint32_t n, double j) noexcept;

// Takes the single probe lease of a half-open breaker. probe_started, or no_effect when the
// breaker is not half-open or the lease is held.
BreakerTransition begin_probe(const BreakerPolicy& p, BreakerState& s, std::int64_t now_ms,
                              std::int64_t lease_ms = kDefaultProbeLeaseMs) noexcept;

// A counted failure (provider_error, provider_unreachable). `threshold` is the consecutive
// threshold chosen by the caller (1 with a healthy alternative, else 3); `may_eject` is false when
// the panic guard refuses another ejection; `j` is the jitter input. `probe`: this request held
// the probe lease.
BreakerTransition on_failure(const BreakerPolicy& p, BreakerState& s, std::int64_t now_ms,
                             FailureSource source, bool probe, int threshold, bool may_eject,
                             double j) noexcept;
// A success. Closes a half-open breaker (probe or not); while still ejected it only counts; while
// closed it resets the consecutive count.
BreakerTransition on_success(const BreakerPolicy& p, BreakerState& s, std::int64_t now_ms,
                             bool probe) noexcept;
// An outcome that says nothing about this resource (cancelled, 4xx, 429): releases a held probe
// lease so that the next request may probe; otherwise no effect.
BreakerTransition on_neutral(const BreakerPolicy& p, BreakerState& s, std::int64_t now_ms,
                             bool probe) noexcept;
// Admin reset: closed, counters and n cleared (statistics kept).
BreakerTransition reset(BreakerState& s, std::int64_t now_ms) noexcept;

// Deterministic merge of two copies of the same resource's state: the higher epoch wins whole;
// equal epochs merge field by field (later deadlines, higher counters, buckets by index).
// Commutative, associative and idempotent.
BreakerState merge(const BreakerState& a, const BreakerState& b) noexcept;

// Nothing left worth keeping at now_ms: closed, no failure in the window or in a row, n decayed to
// 1, no lease. Dropping such a state changes no decision.
bool is_idle(const BreakerPolicy& p, const BreakerState& s, std::int64_t now_ms) noexcept;

}  // namespace breaker
}  // namespace reroute

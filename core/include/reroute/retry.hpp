// The retry engine's arithmetic (failover.md II.7): which codes may retry on the same target and
// how often, full-jitter exponential backoff, retry hints with a cap, and the per-route retry
// budget. Asking is kept apart from acting: the functions here only answer; the planner
// (plan.hpp) applies the answers in the II.7 order (terminal, switch, then same-target retry).
// Random numbers and time are inputs.
#pragma once

#include <cstdint>
#include <optional>

#include "reroute/codes.hpp"
#include "reroute/config.hpp"
#include "reroute/health.hpp"
#include "reroute/resource.hpp"

namespace reroute {

// The engine's parameters are the effective RetryPolicy of config.hpp (max_attempts, same-target
// retries per code, backoff base and cap, retry hint cap, budget), defaults kDefault* there.

// How many same-target retries the code allows (0 for the codes II.7 lists as never), before the
// outcome kind is considered.
int same_target_retries(const RetryPolicy& p, ErrorCode code) noexcept;
// Whether this failure may be retried on the same target at all: the code allows it and it is not
// a timeout that received no byte.
bool may_retry_same_target(const RetryPolicy& p, ErrorCode code, OutcomeKind kind) noexcept;

// Full jitter: uniform(0, min(cap, base * 2^n)) for the n-th retry (n >= 1: the first retry waits
// up to 500 ms with the defaults), with `u` uniform in [0, 1) as the random input.
std::int64_t backoff_ms(const RetryPolicy& p, int n, double u) noexcept;

// What to do about a provider's retry hint before a same-target retry.
struct HintVerdict {
    bool wait = true;            // false: not waited for (beyond the cap or the deadline)
    std::int64_t wait_ms = 0;    // the hint rounded up to a whole millisecond
    Reason reason = Reason::ok;  // ok, hint_too_long, deadline
};
// `remaining_ms`: what the deadline leaves now; an attempt needs `min_attempt_ms` after the wait.
HintVerdict judge_hint(const RetryPolicy& p, double hint_ms, std::int64_t remaining_ms,
                       std::int64_t min_attempt_ms) noexcept;

// The retry budget of one route (II.7), per isolate: same-target retries in flight may not exceed
// max(budget_min, budget_percent of the active requests). Plain counters; the planner
// calls the begin/end pairs (RAII in Attempts) so that they always balance.
class RetryBudget {
public:
    bool allows_retry(const RetryPolicy& p) const noexcept;
    Reason check(const RetryPolicy& p) const noexcept {
        return allows_retry(p) ? Reason::ok : Reason::budget_exhausted;
    }
    void begin_request() noexcept { ++active_requests_; }
    void end_request() noexcept {
        if (active_requests_ > 0) --active_requests_;
    }
    void begin_retry() noexcept { ++retries_in_flight_; }
    void end_retry() noexcept {
        if (retries_in_flight_ > 0) --retries_in_flight_;
    }
    std::int64_t active_requests() const noexcept { return active_requests_; }
    std::int64_t retries_in_flight() const noexcept { return retries_in_flight_; }
    // Budget refusals so far (a Prometheus counter).
    std::uint64_t refusals() const noexcept { return refusals_; }
    void count_refusal() noexcept { ++refusals_; }

private:
    std::int64_t active_requests_ = 0;
    std::int64_t retries_in_flight_ = 0;
    std::uint64_t refusals_ = 0;
};

}  // namespace reroute

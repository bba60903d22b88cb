#include "reroute/retry.hpp"

#include <algorithm>
#include <cmath>

namespace reroute {

int same_target_retries(const RetryPolicy& p, ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::provider_error: return std::max(0, p.retries_provider_error);
        case ErrorCode::rate_limited: return std::max(0, p.retries_rate_limited);
        case ErrorCode::provider_unreachable: return std::max(0, p.retries_provider_unreachable);
        default: return 0;  // content_filter, context_length, auth, credit, not found, generic, ...
    }
}

bool may_retry_same_target(const RetryPolicy& p, ErrorCode code, OutcomeKind kind) noexcept {
    if (is_no_byte_timeout(kind)) return false;
    return same_target_retries(p, code) > 0;
}

std::int64_t backoff_ms(const RetryPolicy& p, int n, double u) noexcept {
    if (!(u >= 0)) u = 0;  // NaN too
    if (u >= 1) u = std::nextafter(1.0, 0.0);
    const std::int64_t cap = std::max<std::int64_t>(0, p.backoff_cap_ms);
    const std::int64_t base = std::max<std::int64_t>(0, p.backoff_base_ms);
    n = std::clamp(n, 0, 62);
    std::int64_t bound = base;
    for (int i = 0; i < n && bound < cap; ++i) bound *= 2;
    bound = std::min(bound, cap);
    return static_cast<std::int64_t>(std::floor(u * static_cast<double>(bound)));
}

HintVerdict judge_hint(const RetryPolicy& p, double hint_ms, std::int64_t remaining_ms,
                       std::int64_t min_attempt_ms) noexcept {
    if (!(hint_ms >= 0)) hint_ms = 0;
    const double wait = std::ceil(hint_ms);
    if (wait > static_cast<double>(p.retry_hint_cap_ms))
        return {false, static_cast<std::int64_t>(std::min(wait, 9.0e15)), Reason::hint_too_long};
    const auto w = static_cast<std::int64_t>(wait);
    if (w > remaining_ms - min_attempt_ms) return {false, w, Reason::deadline};
    return {true, w, Reason::ok};
}

bool RetryBudget::allows_retry(const RetryPolicy& p) const noexcept {
    const std::int64_t by_share = active_requests_ * std::max(0, p.budget_percent) / 100;
    const std::int64_t limit = std::max<std::int64_t>(std::max(0, p.budget_min), by_share);
    return retries_in_flight_ < limit;
}

}  // namespace reroute

// The outcome kinds of one upstream attempt (failover.md II.1), shared by the planner, the
// health state and the stream relay, and the code each kind carries by itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "reroute/codes.hpp"

namespace reroute {

enum class OutcomeKind : std::uint8_t {
    http_error,           // non-2xx before the commit point: classifier over status and body
    in_band_error,        // error event or chunk inside a 200 stream (or a 200 body): classifier
    connect_refused,      // provider_unreachable
    dns_failure,          // provider_unreachable
    tls_failure,          // provider_unreachable
    reset,                // provider_error
    timeout_connect,      // provider_error
    timeout_first_token,  // provider_error
    timeout_idle,         // provider_error
    stream_truncated,     // provider_error: the stream ended without a finish reason
    stream_malformed,     // provider_error: a frame or body cannot be parsed
    empty_answer,         // generic: finished with no text, no tool call and no refusal
    cancelled,            // none: the client went away (no envelope, no health effect)
    success,
};
inline constexpr int kOutcomeKindCount = 14;

std::string_view to_string(OutcomeKind kind) noexcept;
std::optional<OutcomeKind> parse_outcome_kind(std::string_view name) noexcept;
// The code a kind carries by itself (II.1): provider_unreachable for connect/DNS/TLS failures,
// provider_error for resets, timeouts and broken streams, generic for an empty answer. nullopt for
// http_error and in_band_error (the classifier decides), cancelled and success (no code).
std::optional<ErrorCode> code_for_kind(OutcomeKind kind) noexcept;
// connect, DNS, TLS, reset and timeouts: failures seen on our side of the connection.
bool is_local_failure(OutcomeKind kind) noexcept;
// A timeout before any byte arrived (connect or first token): never retried on the same target.
bool is_no_byte_timeout(OutcomeKind kind) noexcept;

}  // namespace reroute

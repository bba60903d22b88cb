// The fifteen chat error codes (chat-errors.md section 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace reroute {

// Order matters: the first fourteen are the reference declaration order, the fifteenth is later.
enum class ErrorCode : std::uint8_t {
    missing_api_key,
    credit_exhausted,
    auth_error,
    model_not_found,
    unsupported_parameter,
    output_cap_too_high,
    token_limit,
    rate_limited,
    content_filter,
    context_length,
    tool_failure,
    provider_unreachable,
    provider_error,
    generic,
    model_not_entitled,
};

inline constexpr int kErrorCodeCount = 15;

std::string_view to_string(ErrorCode code) noexcept;
// Exact, case-sensitive match against the fifteen names; anything else is not a code.
std::optional<ErrorCode> parse_error_code(std::string_view name) noexcept;
// credit_exhausted, auth_error, provider_unreachable: they describe the account or host.
bool is_provider_scoped(ErrorCode code) noexcept;

}  // namespace reroute

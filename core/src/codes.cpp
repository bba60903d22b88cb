#include "reroute/codes.hpp"

#include <array>

namespace reroute {
namespace {
constexpr std::array<std::string_view, kErrorCodeCount> kNames = {
    "missing_api_key",    "credit_exhausted", "auth_error",     "model_not_found",
    "unsupported_parameter", "output_cap_too_high", "token_limit", "rate_limited",
    "content_filter",     "context_length",   "tool_failure",   "provider_unreachable",
    "provider_error",     "generic",          "model_not_entitled",
};
}  // namespace

std::string_view to_string(ErrorCode code) noexcept { return kNames[static_cast<std::size_t>(code)]; }

std::optional<ErrorCode> parse_error_code(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return static_cast<ErrorCode>(i);
    return std::nullopt;
}

bool is_provider_scoped(ErrorCode code) noexcept {
    return code == ErrorCode::credit_exhausted || code == ErrorCode::auth_error ||
           code == ErrorCode::provider_unreachable;
}

}  // namespace reroute

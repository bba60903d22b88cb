#include "reroute/outcome.hpp"

#include <array>

namespace reroute {
namespace {

constexpr std::array<std::string_view, kOutcomeKindCount> kNames = {
    "http_error",       "in_band_error",   "connect_refused", "dns_failure",         "tls_failure",
    "reset",            "timeout_connect", "timeout_first_token", "timeout_idle",    "stream_truncated",
    "stream_malformed", "empty_answer",    "cancelled",       "success",
};

}  // namespace

std::string_view to_string(OutcomeKind kind) noexcept { return kNames[static_cast<std::size_t>(kind)]; }

std::optional<OutcomeKind> parse_outcome_kind(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return static_cast<OutcomeKind>(i);
    return std::nullopt;
}

std::optional<ErrorCode> code_for_kind(OutcomeKind kind) noexcept {
    switch (kind) {
        case OutcomeKind::connect_refused:
        case OutcomeKind::dns_failure:
        case OutcomeKind::tls_failure: return ErrorCode::provider_unreachable;
        case OutcomeKind::reset:
        case OutcomeKind::timeout_connect:
        case OutcomeKind::timeout_first_token:
        case OutcomeKind::timeout_idle:
        case OutcomeKind::stream_truncated:
        case OutcomeKind::stream_malformed: return ErrorCode::provider_error;
        case OutcomeKind::empty_answer: return ErrorCode::generic;
        default: return std::nullopt;
    }
}

bool is_local_failure(OutcomeKind kind) noexcept {
    switch (kind) {
        case OutcomeKind::connect_refused:
        case OutcomeKind::dns_failure:
        case OutcomeKind::tls_failure:
        case OutcomeKind::reset:
        case OutcomeKind::timeout_connect:
        case OutcomeKind::timeout_first_token:
        case OutcomeKind::timeout_idle: return true;
        default: return false;
    }
}

bool is_no_byte_timeout(OutcomeKind kind) noexcept {
    return kind == OutcomeKind::timeout_connect || kind == OutcomeKind::timeout_first_token;
}

}  // namespace reroute

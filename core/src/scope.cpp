#include "reroute/scope.hpp"

#include <array>
#include <cstdint>

#include "reroute/classify.hpp"
#include "reroute/codes.hpp"
#include "reroute/text.hpp"

namespace reroute {
namespace {

// The members 5.1 and 5.2 read: S as in section 3, m = member message lowercased (not
// data.message), k = member code if a string, name.
struct Members {
    std::optional<double> status;
    std::string m;
};

Members members_of(const ErrorValue& e) {
    Members r;
    r.status = e.status ? e.status : e.status_code;
    if (e.message) text::lowercase_for_matching(*e.message, r.m);
    return r;
}

template <std::size_t N>
bool contains_any(std::string_view m, const std::array<std::string_view, N>& needles) {
    for (std::string_view n : needles)
        if (text::contains(m, n)) return true;
    return false;
}

bool status_in(std::optional<double> s, std::initializer_list<double> values) {
    if (!s) return false;
    for (double v : values)
        if (*s == v) return true;
    return false;
}

bool name_is(const ErrorValue& e, std::string_view n) { return e.name && *e.name == n; }

constexpr std::array<std::string_view, 2> kTimeoutWords = {"timeout", "timed out"};
constexpr std::array<std::string_view, 3> kTimeoutCodes = {"ETIMEDOUT", "ECONNRESET", "ECONNREFUSED"};
constexpr std::array<std::string_view, 3> kBusyWords = {"overloaded", "capacity", "rate limit"};

// 5.1 step 7: the request itself is at fault, another model will refuse it too.
constexpr std::array<std::string_view, 12> kTerminalWords = {
    "content_policy", "content policy",         "content_filter", "content filter",
    "moderation",     "context_length",         "maximum context length", "context window",
    "image format",   "unsupported format",     "unsupported image",      "invalid image",
};

// 5.2 with the members already read.
bool transient(const ErrorValue& e, const Members& mem) {
    if (e.kind != ErrorValue::Kind::object) return false;
    if (status_in(mem.status, {429, 502, 503, 504})) return true;
    if (contains_any(mem.m, kTimeoutWords)) return true;  // timeout-like
    if (e.code)
        for (std::string_view c : kTimeoutCodes)
            if (*e.code == c) return true;
    return contains_any(mem.m, kBusyWords);
}

}  // namespace

std::string_view to_string(FailureScope scope) noexcept {
    switch (scope) {
        case FailureScope::terminal: return "terminal";
        case FailureScope::provider: return "provider";
        case FailureScope::model: return "model";
    }
    return "model";
}

bool is_transient(const ErrorValue& error) { return transient(error, members_of(error)); }

bool may_fail_over(const ErrorValue& error) {
    // Step 1: null or absent. Other non-objects have no members, so they fall through to "yes".
    if (error.kind == ErrorValue::Kind::absent) return false;
    const Members mem = members_of(error);
    if (name_is(error, "NoProviderAvailableError") || text::contains(mem.m, "noprovideravailableerror"))
        return false;                                                                         // 2
    if (name_is(error, "MissingApiKeyError") || text::contains(mem.m, "missingapikeyerror")) return true;  // 3
    if (transient(error, mem)) return true;                                                   // 4
    if (name_is(error, "ProviderUnavailableError")) return true;                              // 5
    if (classify(error) == ErrorCode::output_cap_too_high) return true;                       // 6 [later]
    if (contains_any(mem.m, kTerminalWords)) return false;                                    // 7
    return true;  // 8-10 all answer yes
}

FailureScope failure_scope(const ErrorValue& error) {
    if (!may_fail_over(error)) return FailureScope::terminal;
    return is_provider_scoped(classify(error)) ? FailureScope::provider : FailureScope::model;
}

std::string_view to_string(Retirement retirement) noexcept {
    switch (retirement) {
        case Retirement::none: return "none";
        case Retirement::credential: return "credential";
        case Retirement::endpoint: return "endpoint";
    }
    return "none";
}

Retirement retirement_for(std::string_view code) noexcept {
    const auto c = parse_error_code(code);
    if (!c) return Retirement::none;
    switch (*c) {
        case ErrorCode::auth_error:
        case ErrorCode::credit_exhausted: return Retirement::credential;
        case ErrorCode::provider_unreachable: return Retirement::endpoint;
        default: return Retirement::none;  // including model_not_entitled
    }
}

std::string fingerprint(std::string_view key) {
    std::uint32_t h = 0x811c9dc5u;
    auto mix = [&h](std::uint32_t unit) {
        h ^= unit & 0xFFFFu;
        h *= 0x01000193u;  // unsigned: wraps mod 2^32
    };
    for (std::size_t i = 0; i < key.size();) {
        const text::Decoded d = text::decode_utf8(key, i);
        i += d.len;
        if (d.cp > 0xFFFF) {  // a surrogate pair, high unit first
            const std::uint32_t v = static_cast<std::uint32_t>(d.cp) - 0x10000u;
            mix(0xD800u + (v >> 10));
            mix(0xDC00u + (v & 0x3FFu));
        } else {
            mix(static_cast<std::uint32_t>(d.cp));
        }
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(8, '0');
    for (int i = 7; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 0xF];
    return out;
}

ScopeKeys scope_keys(std::string_view provider, std::optional<std::string_view> api_key,
                     std::optional<std::string_view> base_url) {
    const std::string fp = fingerprint(api_key.value_or(std::string_view{}));
    const std::string p(provider);
    return ScopeKeys{
        "cred:" + p + ":" + fp,
        "host:" + p + ":" + std::string(base_url.value_or(std::string_view{})),
        "credit:" + p + ":" + fp,
    };
}

bool is_free_model(std::string_view model_id, std::optional<double> input_price,
                   std::optional<double> output_price) noexcept {
    constexpr std::string_view kFree = ":free";
    for (std::size_t i = 0; i + kFree.size() <= model_id.size(); ++i)
        if (text::iequals_ascii(model_id.substr(i, kFree.size()), kFree)) return true;
    return input_price && output_price && *input_price == 0 && *output_price == 0;
}

}  // namespace reroute

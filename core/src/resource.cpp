#include "reroute/resource.hpp"

#include "reroute/json.hpp"
#include "reroute/rng.hpp"

namespace reroute {
namespace {

constexpr std::array<std::string_view, kResourceKindCount> kKindNames = {
    "endpoint", "credential", "credit", "endpoint_model", "credential_model", "credential_endpoint",
};

// FNV-1a 64 over the kind byte and each part with its length, then the splitmix finaliser.
std::uint64_t hash_parts(ResourceKind kind, std::string_view p0, std::string_view p1, std::string_view p2) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    auto byte = [&h](unsigned char c) {
        h ^= c;
        h *= 0x100000001b3ull;
    };
    byte(static_cast<unsigned char>(kind));
    for (const std::string_view p : {p0, p1, p2}) {
        for (int i = 0; i < 4; ++i) byte(static_cast<unsigned char>(p.size() >> (8 * i)));
        for (char c : p) byte(static_cast<unsigned char>(c));
    }
    return mix64(h);
}

std::string scope_key_of(std::string_view prefix, std::string_view provider, std::string_view second) {
    std::string key(prefix);
    key.append(provider).append(1, ':').append(second);
    return key;
}

}  // namespace

std::string_view to_string(ResourceKind kind) noexcept { return kKindNames[static_cast<std::size_t>(kind)]; }

std::optional<ResourceKind> parse_resource_kind(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kKindNames.size(); ++i)
        if (kKindNames[i] == name) return static_cast<ResourceKind>(i);
    return std::nullopt;
}

std::size_t part_count(ResourceKind kind) noexcept {
    switch (kind) {
        case ResourceKind::endpoint:
        case ResourceKind::credential:
        case ResourceKind::credit: return 2;
        default: return 3;
    }
}

ResourceId::ResourceId(ResourceKind kind, std::string_view p0, std::string_view p1, std::string_view p2)
    : kind_(kind),
      end0_(static_cast<std::uint32_t>(p0.size())),
      end1_(static_cast<std::uint32_t>(p0.size() + p1.size())),
      hash_(hash_parts(kind, p0, p1, p2)) {
    key_.reserve(p0.size() + p1.size() + p2.size());
    key_.append(p0).append(p1).append(p2);
}

ResourceId ResourceId::endpoint(std::string_view provider, std::string_view base_url) {
    return {ResourceKind::endpoint, provider, base_url, {}};
}
ResourceId ResourceId::credential(std::string_view provider, std::string_view fingerprint) {
    return {ResourceKind::credential, provider, fingerprint, {}};
}
ResourceId ResourceId::credit(std::string_view provider, std::string_view fingerprint) {
    return {ResourceKind::credit, provider, fingerprint, {}};
}
ResourceId ResourceId::endpoint_model(std::string_view provider, std::string_view base_url,
                                      std::string_view model) {
    return {ResourceKind::endpoint_model, provider, base_url, model};
}
ResourceId ResourceId::credential_model(std::string_view provider, std::string_view fingerprint,
                                        std::string_view model) {
    return {ResourceKind::credential_model, provider, fingerprint, model};
}
ResourceId ResourceId::credential_endpoint(std::string_view provider, std::string_view fingerprint,
                                           std::string_view base_url) {
    return {ResourceKind::credential_endpoint, provider, fingerprint, base_url};
}

std::optional<ResourceId> ResourceId::from_parts(ResourceKind kind, std::string_view p0,
                                                 std::string_view p1, std::string_view p2) {
    if (part_count(kind) == 2 && !p2.empty()) return std::nullopt;
    return ResourceId(kind, p0, p1, p2);
}

void ResourceId::append_json(std::string& out) const {
    out += "[\"";
    out += to_string(kind_);
    out += '"';
    for (std::size_t i = 0; i < parts(); ++i) {
        out += ',';
        json::write_string(out, part(i));
    }
    out += ']';
}

std::string ResourceId::to_json() const {
    std::string out;
    append_json(out);
    return out;
}

std::string ResourceId::scope_key() const {
    switch (kind_) {
        case ResourceKind::endpoint: return scope_key_of("host:", part(0), part(1));
        case ResourceKind::credential: return scope_key_of("cred:", part(0), part(1));
        case ResourceKind::credit: return scope_key_of("credit:", part(0), part(1));
        default: return {};
    }
}

std::string_view to_string(Reason reason) noexcept {
    switch (reason) {
        case Reason::ok: return "ok";
        case Reason::benched: return "benched";
        case Reason::cooling: return "cooling";
        case Reason::admin_retired: return "admin_retired";
        case Reason::breaker_open: return "breaker_open";
        case Reason::probe_in_flight: return "probe_in_flight";
        case Reason::half_open_probe: return "half_open_probe";
        case Reason::panic: return "panic";
        case Reason::retired: return "retired";
        case Reason::attempted: return "attempted";
        case Reason::context_too_small: return "context_too_small";
        case Reason::smaller_window: return "smaller_window";
        case Reason::capability_missing: return "capability_missing";
        case Reason::not_allowed: return "not_allowed";
        case Reason::fallbacks_disabled: return "fallbacks_disabled";
        case Reason::config_failure: return "config_failure";
        case Reason::first_choice: return "first_choice";
        case Reason::sticky: return "sticky";
        case Reason::weighted_pick: return "weighted_pick";
        case Reason::least_in_flight: return "least_in_flight";
        case Reason::switch_target: return "switch_target";
        case Reason::same_model_sibling: return "same_model_sibling";
        case Reason::retry_same_target: return "retry_same_target";
        case Reason::succeeded: return "succeeded";
        case Reason::cancelled: return "cancelled";
        case Reason::terminal: return "terminal";
        case Reason::exhausted: return "exhausted";
        case Reason::max_attempts: return "max_attempts";
        case Reason::deadline: return "deadline";
        case Reason::budget_exhausted: return "budget_exhausted";
        case Reason::not_retryable: return "not_retryable";
        case Reason::hint_too_long: return "hint_too_long";
        case Reason::ejected_consecutive: return "ejected_consecutive";
        case Reason::ejected_failure_rate: return "ejected_failure_rate";
        case Reason::ejection_suppressed: return "ejection_suppressed";
        case Reason::probe_started: return "probe_started";
        case Reason::probe_succeeded: return "probe_succeeded";
        case Reason::probe_failed: return "probe_failed";
        case Reason::probe_released: return "probe_released";
        case Reason::failure_counted: return "failure_counted";
        case Reason::success_counted: return "success_counted";
        case Reason::admin_reset: return "admin_reset";
        case Reason::admin_restored: return "admin_restored";
        case Reason::no_effect: return "no_effect";
        case Reason::drained: return "drained";
    }
    return "ok";
}

}  // namespace reroute

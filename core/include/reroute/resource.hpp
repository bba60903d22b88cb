// Resources whose health is tracked (failover.md II.1), and the machine-readable reasons that every
// health, breaker and planning decision carries (Part II introduction).
//
// A resource identity is a kind plus its parts:
//
//   endpoint             (provider, effective base URL)     same identity as `host:`
//   credential           (provider, key fingerprint)        same identity as `cred:`
//   credit               (provider, key fingerprint)        under `credit:`
//   endpoint_model       (provider, base URL, model id)
//   credential_model     (provider, fingerprint, model id)
//   credential_endpoint  (provider, fingerprint, base URL)
//
// Identities serialize as JSON arrays, kind first: ["endpoint_model","openrouter","https://x/v1",
// "gpt-4o"], so no separator can collide with URL or id characters. Only fingerprints
// (scope.hpp, fingerprint) ever enter an identity, never a raw key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reroute {

namespace detail {
// Byte equality that stays inline in the WASM build (memcmp is an out-of-line call there): the
// hot lookups compare short ids whose hashes already matched.
inline bool same_bytes(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    const char* p = a.data();
    const char* q = b.data();
    std::size_t n = a.size();
    for (; n >= 8; p += 8, q += 8, n -= 8) {
        std::uint64_t x, y;
        __builtin_memcpy(&x, p, 8);
        __builtin_memcpy(&y, q, 8);
        if (x != y) return false;
    }
    for (; n; ++p, ++q, --n)
        if (*p != *q) return false;
    return true;
}
}  // namespace detail

// Order matters: it is the order of the II.1 table and the serialized kind names.
enum class ResourceKind : std::uint8_t {
    endpoint,
    credential,
    credit,
    endpoint_model,
    credential_model,
    credential_endpoint,
};
inline constexpr int kResourceKindCount = 6;

std::string_view to_string(ResourceKind kind) noexcept;
std::optional<ResourceKind> parse_resource_kind(std::string_view name) noexcept;
// Number of parts after the kind: 2 for endpoint, credential and credit, 3 for the composites.
std::size_t part_count(ResourceKind kind) noexcept;

class ResourceId {
public:
    ResourceId() = default;  // an endpoint with empty parts; only useful as a placeholder

    static ResourceId endpoint(std::string_view provider, std::string_view base_url);
    static ResourceId credential(std::string_view provider, std::string_view fingerprint);
    static ResourceId credit(std::string_view provider, std::string_view fingerprint);
    static ResourceId endpoint_model(std::string_view provider, std::string_view base_url,
                                     std::string_view model);
    static ResourceId credential_model(std::string_view provider, std::string_view fingerprint,
                                       std::string_view model);
    static ResourceId credential_endpoint(std::string_view provider, std::string_view fingerprint,
                                          std::string_view base_url);
    // Any kind from its parts (as read back from JSON). nullopt when the count does not match.
    static std::optional<ResourceId> from_parts(ResourceKind kind, std::string_view p0,
                                                std::string_view p1, std::string_view p2 = {});

    ResourceKind kind() const noexcept { return kind_; }
    // Parts in identity order; part(0) is always the provider. Parts past part_count() are empty.
    std::string_view part(std::size_t i) const noexcept {
        const char* k = key_.data();
        switch (i) {
            case 0: return {k, end0_};
            case 1: return {k + end0_, end1_ - end0_};
            case 2: return {k + end1_, key_.size() - end1_};
            default: return {};
        }
    }
    std::string_view provider() const noexcept { return part(0); }
    std::size_t parts() const noexcept { return part_count(kind_); }
    // 64-bit hash of kind and parts, computed once at construction.
    std::uint64_t hash() const noexcept { return hash_; }

    // The compact JSON array form, e.g. ["credential","openrouter","07dfb656"].
    std::string to_json() const;
    void append_json(std::string& out) const;
    // chat-errors.md 5.5 scope key for the three kinds that have one (`host:`, `cred:`,
    // `credit:`); empty for the composites.
    std::string scope_key() const;

    // Equal part boundaries and equal bytes: one comparison of the joined parts.
    friend bool operator==(const ResourceId& a, const ResourceId& b) noexcept {
        return a.hash_ == b.hash_ && a.kind_ == b.kind_ && a.end0_ == b.end0_ && a.end1_ == b.end1_ &&
               detail::same_bytes(a.key_, b.key_);
    }
    // A total order (kind, parts), used wherever output must be deterministic.
    friend bool operator<(const ResourceId& a, const ResourceId& b) noexcept {
        if (a.kind_ != b.kind_) return a.kind_ < b.kind_;
        for (std::size_t i = 0; i < 3; ++i)
            if (const int c = a.part(i).compare(b.part(i)); c != 0) return c < 0;
        return false;
    }

private:
    ResourceId(ResourceKind kind, std::string_view p0, std::string_view p1, std::string_view p2);

    ResourceKind kind_ = ResourceKind::endpoint;
    std::uint32_t end0_ = 0, end1_ = 0;  // where part 0 and part 1 end in key_
    std::string key_;                    // the parts back to back (one allocation at most)
    std::uint64_t hash_ = 0;
};

struct ResourceIdHash {
    std::size_t operator()(const ResourceId& r) const noexcept { return static_cast<std::size_t>(r.hash()); }
};

// Why a decision was taken. Stable snake_case names (to_string) for logs, the trail, headers,
// `explain` and the admin view; order matters only for serialization stability (append new ones
// at the end).
enum class Reason : std::uint8_t {
    ok,
    // --- availability of a target or resource (health and this request) ---
    benched,             // shared health: benched until a time (auth, credit, entitlement, not found)
    cooling,             // shared health: credential-endpoint cooling after a 429
    admin_retired,       // shared health: retired by an admin until restored
    breaker_open,        // shared health: ejected by the breaker
    probe_in_flight,     // shared health: half-open, another request holds the single probe
    half_open_probe,     // half-open and free: this request becomes the probe
    panic,               // ejected, but let through by the panic guard (everything is unhealthy)
    retired,             // this request: a scope of the target was retired by an earlier attempt
    attempted,           // this request: the target already received its request
    context_too_small,   // window cannot hold the estimated prompt plus the requested output
    smaller_window,      // after context_length: only strictly larger windows remain
    capability_missing,  // e.g. prefill for continuation
    not_allowed,         // excluded by the request's allowed_providers / allowed_models
    fallbacks_disabled,  // disable_fallbacks: only the first target is usable
    config_failure,      // unresolvable target (missing key variable, malformed base URL)
    // --- attempt decisions ---
    first_choice,        // the first usable target of the plan
    sticky,              // rendezvous hashing of the conversation id picked it
    weighted_pick,       // weighted random among healthy targets
    least_in_flight,     // power of two choices on in-flight requests
    switch_target,       // instant switch to a healthy alternative after a failure
    same_model_sibling,  // another credential or endpoint of the same model (429, overload, auth)
    retry_same_target,   // same-target retry after backoff or retry hint
    // --- final decisions ---
    succeeded,
    cancelled,
    terminal,            // the code stops the request (content_filter, context_length, ...)
    exhausted,           // no usable target left
    max_attempts,        // max_attempts upstream requests were made
    deadline,            // the next attempt would not fit the remaining deadline
    budget_exhausted,    // the route's retry budget refused a same-target retry
    not_retryable,       // the code never retries on the same target and nothing else is left
    hint_too_long,       // the retry hint exceeds its cap or what the deadline leaves
    // --- breaker and bench transitions ---
    ejected_consecutive,    // consecutive failures reached the threshold
    ejected_failure_rate,   // >= 50 % failures over >= 10 requests in the window
    ejection_suppressed,    // the panic guard refused an ejection (max ejection percent)
    probe_started,
    probe_succeeded,        // closed, counters cleared
    probe_failed,           // ejected again for the current duration, n unchanged
    probe_released,         // the probe ended without a verdict (cancelled, 4xx); next one may probe
    failure_counted,
    success_counted,
    admin_reset,
    admin_restored,
    no_effect,
    drained,             // weight 0 somewhere on the target's path: listed, never planned
};

std::string_view to_string(Reason reason) noexcept;

}  // namespace reroute

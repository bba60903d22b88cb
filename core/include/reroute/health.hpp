// Shared health of upstream resources (failover.md II.3, II.9): what every request avoids until a
// time. One HealthState holds, per resource (resource.hpp):
//
//   benches   auth_error          credential          10 min (or until an admin restores it)
//             credit_exhausted    credit scope        until the reset hint, else 15 min; free
//                                                     models are spared
//             model_not_entitled  credential-model    60 min
//             model_not_found     endpoint-model      10 min
//   cooling   rate_limited        credential-endpoint until the retry hint, capped at 60 s; 2 s
//                                                     without a hint
//   breakers  provider_error      endpoint-model and endpoint (breaker.hpp)
//             provider_unreachable endpoint
//   admin     breaker reset, credential retire / restore
//
// The state serializes to JSON and back without loss and merges deterministically (the later
// deadline, the higher counter and the higher epoch win), so several isolates can share it through
// one store. Benches never outlive their stated time; only an admin action ends one early. Time is
// always an argument; nothing here reads a clock.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reroute/breaker.hpp"
#include "reroute/codes.hpp"
#include "reroute/outcome.hpp"
#include "reroute/resource.hpp"

namespace reroute {

inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

struct HealthParams {
    static constexpr std::int64_t kDefaultAuthBenchMs = 600'000;
    static constexpr std::int64_t kDefaultCreditBenchMs = 900'000;
    static constexpr std::int64_t kDefaultEntitlementBenchMs = 3'600'000;
    static constexpr std::int64_t kDefaultNotFoundBenchMs = 600'000;
    static constexpr std::int64_t kDefaultRateLimitCapMs = 60'000;
    static constexpr std::int64_t kDefaultRateLimitCoolingMs = 2'000;

    std::int64_t auth_bench_ms = kDefaultAuthBenchMs;
    std::int64_t credit_bench_ms = kDefaultCreditBenchMs;  // without a reset hint
    std::int64_t entitlement_bench_ms = kDefaultEntitlementBenchMs;
    std::int64_t not_found_bench_ms = kDefaultNotFoundBenchMs;
    std::int64_t rate_limit_cap_ms = kDefaultRateLimitCapMs;
    std::int64_t rate_limit_cooling_ms = kDefaultRateLimitCoolingMs;  // without a hint
    // The breaker policy used where no target supplies one (pruning, admin views).
    BreakerPolicy breaker;
};

// The six resources of one concrete target, built once per target (hashes precomputed), so that
// checking a target costs no allocation.
struct TargetResources {
    ResourceId endpoint, credential, credit, endpoint_model, credential_model, credential_endpoint;
    bool free_model = false;  // chat-errors.md 5.5: spared by credit benches and retirements

    static TargetResources make(std::string_view provider, std::string_view base_url,
                                std::string_view fingerprint, std::string_view model, bool free_model);
    const ResourceId& get(ResourceKind kind) const noexcept;
};

// A bench or cooling period on one resource.
struct Bench {
    std::int64_t since_ms = 0;
    std::int64_t until_ms = 0;   // kNever while retired by an admin
    std::uint32_t epoch = 0;     // +1 on every admin action; merge: higher wins
    ErrorCode code = ErrorCode::generic;
    bool admin = false;          // retired by an admin (until restored)
    bool restored = false;       // ended early by an admin; kept until until_ms as a merge tombstone

    bool active(std::int64_t now_ms) const noexcept { return !restored && now_ms < until_ms; }
    friend bool operator==(const Bench&, const Bench&) = default;
};

struct HealthEntry {
    std::optional<Bench> bench;
    std::optional<BreakerState> breaker;
    friend bool operator==(const HealthEntry&, const HealthEntry&) = default;
};

// Whether a target may be used now, and if not, because of which resource until when.
struct Availability {
    Reason reason = Reason::ok;  // ok, half_open_probe, benched, cooling, admin_retired,
                                 // breaker_open, probe_in_flight
    ResourceKind resource = ResourceKind::endpoint;  // the resource that decided (when not ok)
    std::int64_t until_ms = 0;       // end of the bench, cooling or ejection (kNever: admin)
    std::int64_t ejected_at_ms = 0;  // breaker_open / probe_in_flight: when the ejection began
    std::optional<ErrorCode> code;   // benched: the code that benched it

    bool usable() const noexcept { return reason == Reason::ok || reason == Reason::half_open_probe; }
    bool probe() const noexcept { return reason == Reason::half_open_probe; }
    // Blocked only by a breaker, so the panic guard may still let it through.
    bool breaker_only() const noexcept {
        return reason == Reason::breaker_open || reason == Reason::probe_in_flight;
    }
};

// What happened to one attempt, as the health state needs it. The planner fills the breaker
// context (threshold, may_eject, jitter) because only it knows the route.
struct Observation {
    OutcomeKind kind = OutcomeKind::success;
    std::optional<ErrorCode> code;        // the chat code of a failure (code_for_kind or classifier)
    std::optional<double> retry_after_ms;  // the provider's hint (rate limit wait, credit reset)
    bool probe = false;                   // the attempt held half-open probe leases
    int threshold = kDefaultConsecutiveFailures;  // for the resource at fault
    bool may_eject = true;                // false: the panic guard refuses another ejection
    double jitter = 0;                    // j in [0, jitter_percent / 100)
    // The target's effective breaker policy; nullptr: HealthParams::breaker.
    const BreakerPolicy* breaker = nullptr;
};

// One effect of record() or an admin action.
struct HealthChange {
    ResourceKind resource = ResourceKind::endpoint;
    Reason reason = Reason::no_effect;
    std::int64_t until_ms = 0;
};

struct HealthChanges {
    static constexpr std::size_t kMax = 4;
    HealthChange items[kMax];
    std::size_t size = 0;
    void push(HealthChange c) noexcept {
        if (size < kMax) items[size++] = c;
    }
    const HealthChange* begin() const noexcept { return items; }
    const HealthChange* end() const noexcept { return items + size; }
};

// Totals since this state was created (or merged), for the Prometheus counters; never pruned.
struct HealthTotals {
    std::uint64_t successes = 0, local_failures = 0, upstream_failures = 0, ejections = 0,
                  suppressed_ejections = 0, probes = 0, benches = 0, coolings = 0;
    friend bool operator==(const HealthTotals&, const HealthTotals&) = default;
};

class HealthState {
public:
    explicit HealthState(HealthParams params = {});

    const HealthParams& params() const noexcept { return params_; }

    // Asks only. Order: admin retirement and benches (credential, credit unless free,
    // credential-model, endpoint-model), cooling (credential-endpoint), then the endpoint and
    // endpoint-model breakers.
    Availability is_available(const TargetResources& t, std::int64_t now_ms) const;

    // Takes the probe lease of every half-open breaker of the target (single flight). Call it when
    // an attempt that is_available() called a probe is actually started; the lease frees itself
    // after lease_ms if the outcome is never recorded.
    void begin_probe(const TargetResources& t, std::int64_t now_ms,
                     std::int64_t lease_ms = kDefaultProbeLeaseMs);

    // Applies one attempt outcome to the shared health (the "shared health" column of II.3).
    HealthChanges record(const TargetResources& t, const Observation& o, std::int64_t now_ms);

    // --- admin actions (II.13) ---
    // Closes one breaker (endpoint or endpoint-model). no_effect when the resource has none.
    Reason reset_breaker(const ResourceId& r, std::int64_t now_ms);
    std::size_t reset_all_breakers(std::int64_t now_ms);
    // Benches a credential until restored; restores it (ends any bench on it, auth included).
    Reason retire_credential(std::string_view provider, std::string_view fingerprint, std::int64_t now_ms);
    Reason restore_credential(std::string_view provider, std::string_view fingerprint, std::int64_t now_ms);
    // Ends a bench on any resource early (a config reload that changes the resource).
    Reason clear_bench(const ResourceId& r, std::int64_t now_ms);

    // Drops what no longer affects any decision: expired benches and tombstones, idle breakers.
    std::size_t prune(std::int64_t now_ms);

    // Deterministic JSON (entries sorted by identity):
    //   {"v":1,"t":{totals},"r":[[id,bench|0,breaker|0],...]}
    std::string to_json() const;
    // nullopt with *error set (a JSON path and what was wrong) when the text is not a state this
    // version wrote. Never throws.
    static std::optional<HealthState> from_json(std::string_view text, HealthParams params = {},
                                                std::string* error = nullptr);
    // Deterministic, commutative, associative and idempotent. Uses a's params.
    static HealthState merge(const HealthState& a, const HealthState& b);

    std::size_t size() const noexcept { return items_.size(); }
    const HealthEntry* find(const ResourceId& r) const noexcept;
    const HealthTotals& totals() const noexcept { return totals_; }
    // Visits every entry in identity order.
    template <class F>
    void for_each(F&& f) const {
        for (std::uint32_t i : sorted_indices()) f(items_[i].id, items_[i].entry);
    }

    friend bool operator==(const HealthState& a, const HealthState& b);

private:
    struct Item {
        ResourceId id;
        HealthEntry entry;
    };
    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t index_plus_one = 0;  // 0 = empty
    };

    HealthEntry* find_mut(const ResourceId& r) noexcept;
    HealthEntry& upsert(const ResourceId& r);
    void rebuild_index();
    std::vector<std::uint32_t> sorted_indices() const;
    HealthChange bench(const ResourceId& r, ErrorCode code, std::int64_t now_ms, std::int64_t until_ms);
    BreakerState& breaker_of(const ResourceId& r);

    HealthParams params_;
    std::vector<Item> items_;
    std::vector<Slot> slots_;  // open addressing, linear probing, power-of-two size
    HealthTotals totals_;
};

}  // namespace reroute

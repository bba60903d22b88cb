// The routing handles (router, attempts, health, stream relay) shared by the two halves of the
// routing bindings: bindings_routing.cpp holds the per-request paths (raw exports, compiled for
// speed), bindings_routing_embind.cpp everything else (Embind entry points and the JS object
// conversions, compiled for size). Internal to those two files.
#pragma once

#include <emscripten/val.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "reroute/config.hpp"
#include "reroute/health.hpp"
#include "reroute/plan.hpp"
#include "reroute/stream.hpp"

namespace reroute::wasm_routing {

using emscripten::val;

struct RouterCore {
    Config config;
    std::optional<Planner> planner;
    Traffic traffic;
};

// Every handle JS holds is the address of one of these; the tag guards against a mix-up.
struct Handle {
    explicit Handle(std::uint32_t t) : tag(t) {}
    virtual ~Handle() = default;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    std::uint32_t tag;
};
template <class T>
T* as(std::uintptr_t address) {
    auto* h = reinterpret_cast<Handle*>(address);
    return h && h->tag == T::kTag ? static_cast<T*>(h) : nullptr;
}

class HealthHandle : public Handle {
public:
    static constexpr std::uint32_t kTag = 0x48454c54;  // HELT
    HealthHandle() : Handle(kTag) {}
    explicit HealthHandle(HealthState s) : Handle(kTag), state(std::move(s)) {}
    HealthState state;

    val merge(val text);
    val totals() const;
    val view(val now) const;
    val reset_breaker(val resource, val now);
    val retire_credential(val provider, val fingerprint, val now);
    val restore_credential(val provider, val fingerprint, val now);
    val clear_bench(val resource, val now);
};

// The health state at `address`; an empty one when it is not a live health handle.
HealthState& health_at(std::uintptr_t address);

class AttemptsHandle : public Handle {
public:
    static constexpr std::uint32_t kTag = 0x41545450;  // ATTP
    AttemptsHandle(std::shared_ptr<RouterCore> core, Attempts attempts, std::uint64_t seed)
        : Handle(kTag), core_(std::move(core)), attempts_(std::move(attempts)), rng_(seed) {}

    // The next decision's kind; it is then final() or attempt() (for decision_js() and the raw
    // wire). An attempt is read in place, without texts: the wrapper caches them per target and
    // last() adds them when asked for.
    Decision::Kind step(HealthState& health, std::int64_t now, std::optional<double> seed);
    const Final& final() const { return *final_; }
    const Attempt& attempt() const { return attempts_.last_attempt(); }
    // Reports an outcome; returns whether an attempt was in flight and the code it carried.
    std::pair<bool, std::optional<ErrorCode>> report_outcome(const Outcome& o, HealthState& health, std::int64_t now);
    // The envelope and content sentence of a final failure (kept for the raw wire).
    void final_texts(const Final& f);
    const std::string& envelope() const noexcept { return envelope_; }
    const std::string& sentence() const noexcept { return sentence_; }
    // render_trail of the trail so far (rendered again only after a failure was reported), for
    // the raw wire.
    const std::string& trail_text();
    std::size_t distinct() const noexcept { return attempts_.distinct_targets_tried(); }
    std::optional<std::size_t> last_target() const noexcept {
        return attempts_.attempts_made() ? std::optional<std::size_t>(attempts_.last_attempt().target) : std::nullopt;
    }

    // Through Embind (bindings_routing_embind.cpp).
    val decision_js() const;
    val report(val outcome, HealthState& health, val now);
    val info() const;
    bool may_continue_stream() const { return attempts_.may_continue_stream(); }
    // Attempts::continue_stream of the relay that failed (null: none).
    val continue_stream(const StreamRelay* failed);
    std::string trail() const { return render_trail(attempts_.trail()); }
    val trail_entries() const;
    // What never changes for a target of this route (the JS wrapper caches it per route and target).
    val target_js() const;

private:
    Outcome outcome_from(const val& v, std::int64_t now) const;
    void put_target(val& o, const Attempt& a) const;
    val attempt_js(const Attempt& a) const;
    val served_by_js(const Attempt& a) const;
    val final_js(const Final& f) const;
    // The last attempt handed out, texts included.
    const Attempt* last() const;

    std::shared_ptr<RouterCore> core_;  // declared first: destroyed after the attempts
    Attempts attempts_;
    Rng rng_;
    Decision::Kind kind_ = Decision::Kind::final;  // of the last step
    std::optional<Final> final_;
    mutable std::optional<Attempt> last_;  // the last attempt with its texts, filled by last()
    std::string envelope_, sentence_, trail_;
    bool trail_stale_ = false;  // a failure was reported since trail_ was rendered
    bool in_flight_ = false;
};

class RouterHandle : public Handle {
public:
    static constexpr std::uint32_t kTag = 0x524f5554;  // ROUT
    explicit RouterHandle(std::shared_ptr<RouterCore> core) : Handle(kTag), core_(std::move(core)) {}

    // A new attempts handle for the request on route `route` (an index of Planner::route_index;
    // nullopt: look request.route up), or nullptr with the problems.
    AttemptsHandle* start_request(std::optional<std::size_t> route, const Request& req, std::int64_t now, double seed,
                                  std::vector<Problem>& problems);
    std::optional<std::size_t> route_index(std::string_view name) const { return core_->planner->route_index(name); }

    // Through Embind (bindings_routing_embind.cpp).
    val routes() const;
    val models() const;
    val limits() const;
    val start(val request, val now);
    val explain(val request, HealthState& health, val now);
    val traffic() const;

private:
    std::shared_ptr<RouterCore> core_;
};

// The failure of the last rr_check_completion (nullopt: the body was an answer).
std::optional<stream::Failure>& last_completion_failure();

// Result of the last feed, read by the wire in routing.mjs (keep the layout in step).
struct FeedBlock {
    std::uint32_t flags;  // bit 0 committed, 1 done, 2 failure
    std::uint32_t out_ptr, out_len;
};

class RelayHandle : public Handle {
public:
    static constexpr std::uint32_t kTag = 0x52454c59;  // RELY
    explicit RelayHandle(stream::RelayOptions options) : Handle(kTag), relay_(std::move(options)) {}

    const FeedBlock* feed(std::string_view bytes);
    const StreamRelay& relay() const { return relay_; }

    // Through Embind (bindings_routing_embind.cpp).
    // feed() for callers without the wire (and tests of the wire itself).
    val feed_js(val bytes);
    val end_of_upstream(val trail);
    val fail(val kind, val facts);
    val failure() const;
    // The cheap observations in one object (the JS wrapper picks the member asked for).
    val state() const;
    std::string partial_text() const { return relay_.partial_text(); }
    bool in_unfinished_tool_call() const { return relay_.in_unfinished_tool_call(); }
    val error_ending(val input) const;
    val plan_continuation(val mode, val next_supports_prefill) const;

private:
    StreamRelay relay_;
    stream::Step step_;
    FeedBlock block_{};
};

}  // namespace reroute::wasm_routing

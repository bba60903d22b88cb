// Routing bindings, the per-request half: the raw entry points that routing.mjs calls for
// router.start (without overrides), attempts.next, attempts.report (without texts) and
// relay.feed, with numbers and a shared io buffer instead of JS objects. Compiled for speed (see
// REROUTE_WASM_HOT_SOURCES); everything else is in bindings_routing_embind.cpp.
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bindings_routing.hpp"
#include "reroute/classify.hpp"
#include "reroute/display.hpp"
#include "reroute/envelope.hpp"

namespace reroute::wasm_routing {

HealthState& health_at(std::uintptr_t address) {
    static HealthState empty;
    HealthHandle* h = as<HealthHandle>(address);
    if (h) return h->state;
    empty = HealthState();
    return empty;
}

Decision::Kind AttemptsHandle::step(HealthState& health, std::int64_t now, std::optional<double> seed) {
    if (seed) rng_ = Rng(static_cast<std::uint64_t>(static_cast<std::int64_t>(*seed)));
    kind_ = attempts_.advance(health, now, rng_);
    if (kind_ == Decision::Kind::attempt) {
        last_.reset();
        in_flight_ = true;
    } else if (!final_) {
        final_ = attempts_.next_lean(health, now, rng_).final;  // the same final from now on
    }
    return kind_;
}

std::pair<bool, std::optional<ErrorCode>> AttemptsHandle::report_outcome(const Outcome& o, HealthState& health,
                                                                        std::int64_t now) {
    const std::optional<ErrorCode> code = failure_code(o);
    const bool accepted = in_flight_ && !attempts_.finished();
    attempts_.report(o, health, now);
    in_flight_ = false;
    trail_stale_ = trail_stale_ || o.kind != OutcomeKind::success;  // only failures join the trail
    return {accepted, code};
}

void AttemptsHandle::final_texts(const Final& f) {
    envelope_.clear();
    sentence_.clear();
    if (!f.code) return;
    envelope_ = encode_envelope(f.envelope);
    sentence_ = content_sentence(*f.code, f.envelope.provider, f.envelope.model);
}

AttemptsHandle* RouterHandle::start_request(std::optional<std::size_t> route, const Request& req, std::int64_t now,
                                            double seed, std::vector<Problem>& problems) {
    const Planner& planner = *core_->planner;
    StartResult st = route ? planner.start(*route, req, &core_->traffic, now) : planner.start(req, &core_->traffic, now);
    if (!st.attempts) {
        problems = std::move(st.problems);
        return nullptr;
    }
    return new AttemptsHandle(core_, std::move(*st.attempts), static_cast<std::uint64_t>(static_cast<std::int64_t>(seed)));
}

const std::string& AttemptsHandle::trail_text() {
    if (trail_stale_) {
        trail_ = render_trail(attempts_.trail());
        trail_stale_ = false;
    }
    return trail_;
}

const FeedBlock* RelayHandle::feed(std::string_view bytes) {
    step_ = relay_.feed(bytes);
    block_.flags = (step_.committed ? 1u : 0u) | (step_.done ? 2u : 0u) | (step_.failure ? 4u : 0u);
    block_.out_ptr = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(step_.out.data()));
    block_.out_len = static_cast<std::uint32_t>(step_.out.size());
    return &block_;
}

namespace {

// The input buffer of the raw entry points (separate from bindings.cpp's scratch).
std::string g_io;

// The raw next() result, read by routing.mjs through typed views (keep the layout in step).
struct DecisionBlock {
    std::uint32_t kind;    // 0 attempt, 1 final
    std::uint32_t target, number, reason;
    std::uint32_t flags;   // bit 0 probe, 1 same-target retry, 2 notice
    std::uint32_t notice_ptr, notice_len, pad;
    double wait_ms, start_ms, deadline_at_ms, connect_ms, first_token_ms, idle_ms;
    // kind 1 (final); reason above; flags bit 3: retry_after_ms present
    std::uint32_t ok, code_plus_one, status, attempts, tried, served_by_plus_one;
    std::uint32_t envelope_ptr, envelope_len, message_ptr, message_len;
    std::uint32_t trail_ptr, trail_len;  // both kinds: x-reroute-fallbacks so far (render_trail)
    double retry_after_ms;
};
static_assert(offsetof(DecisionBlock, wait_ms) == 32 && offsetof(DecisionBlock, ok) == 80 &&
              offsetof(DecisionBlock, retry_after_ms) == 128, "routing.mjs reads this layout");
DecisionBlock g_decision;

}  // namespace

std::optional<stream::Failure>& last_completion_failure() {
    static std::optional<stream::Failure> failure;
    return failure;
}

}  // namespace reroute::wasm_routing

extern "C" {

// An input buffer of at least `bytes` bytes for the raw entry points below; its address is stable
// until a larger one is asked for.
EMSCRIPTEN_KEEPALIVE char* rr_io(std::uint32_t bytes) {
    auto& s = reroute::wasm_routing::g_io;
    if (s.size() < bytes) s.resize(bytes);
    return s.data();
}

// Deletes any handle (router, attempts, health, relay). An attempts handle keeps its router's
// planner alive, so the order of frees does not matter.
EMSCRIPTEN_KEEPALIVE void rr_free(std::uintptr_t address) {
    delete reinterpret_cast<reroute::wasm_routing::Handle*>(address);
}

// relay.feed of the first `len` bytes of the io buffer.
EMSCRIPTEN_KEEPALIVE const void* rr_relay_feed(std::uintptr_t relay, std::uint32_t len) {
    using namespace reroute::wasm_routing;
    static const FeedBlock nothing{};
    auto* h = as<RelayHandle>(relay);
    if (!h) return &nothing;
    return h->feed(std::string_view(g_io.data(), std::min<std::size_t>(len, g_io.size())));
}

// The index + 1 of the route named by the first `len` bytes of the io buffer (0: unknown), for
// rr_router_start. Stable for the router's life.
EMSCRIPTEN_KEEPALIVE std::uint32_t rr_router_route(std::uintptr_t router, std::uint32_t len) {
    using namespace reroute::wasm_routing;
    auto* h = as<RouterHandle>(router);
    if (!h || len > g_io.size()) return 0;
    const auto index = h->route_index(std::string_view(g_io.data(), len));
    return index ? static_cast<std::uint32_t>(*index) + 1 : 0;
}

// Router.start without overrides on the route at `route` (rr_router_route). The io buffer holds
// the request body (`body_len` bytes; 0: none), then the conversation id (`conversation_len`
// bytes). With a body, the core reads the request's facts from it; without, they are the
// arguments: max_output < 0 absent, flags bit 0 tools, bit 1 vision. Returns the attempts
// handle, or 0 when the request has problems (the caller then asks the Embind path for them).
EMSCRIPTEN_KEEPALIVE std::uintptr_t rr_router_start(std::uintptr_t router, std::uint32_t route, double now,
                                                    double prompt_tokens, double max_output, int flags, double seed,
                                                    std::uint32_t body_len, std::uint32_t conversation_len) {
    using namespace reroute::wasm_routing;
    auto* h = as<RouterHandle>(router);
    if (!h || body_len > g_io.size() || conversation_len > g_io.size() - body_len) return 0;
    reroute::Request req;
    req.conversation_id.assign(g_io.data() + body_len, conversation_len);
    if (body_len > 0) {
        reroute::read_body_facts(std::string_view(g_io.data(), body_len), req);
    } else {
        if (std::isfinite(prompt_tokens) && prompt_tokens > 0) req.prompt_tokens = static_cast<std::int64_t>(std::min(prompt_tokens, 9.0e15));
        if (std::isfinite(max_output) && max_output >= 0) req.max_output_tokens = static_cast<std::int64_t>(std::min(max_output, 9.0e15));
        req.needs_tools = (flags & 1) != 0;
        req.needs_vision = (flags & 2) != 0;
    }
    std::vector<reroute::Problem> problems;
    const double t = std::isfinite(now) ? std::floor(now) : 0;
    return reinterpret_cast<std::uintptr_t>(h->start_request(route, req, static_cast<std::int64_t>(t),
                                                             std::isfinite(seed) ? seed : 0, problems));
}

// Attempts.next: the decision's numbers in a DecisionBlock (strings of an attempt come from the
// wrapper's per-target cache, a final's through attempts_decision).
EMSCRIPTEN_KEEPALIVE const void* rr_attempts_next(std::uintptr_t attempts, std::uintptr_t health, double now,
                                                  int has_seed, double seed) {
    using namespace reroute::wasm_routing;
    DecisionBlock& b = g_decision;
    b = DecisionBlock{};
    auto* h = as<AttemptsHandle>(attempts);
    if (!h) {
        b.kind = 2;
        return &b;
    }
    const double t = std::isfinite(now) ? std::floor(now) : 0;
    const auto kind = h->step(health_at(health), static_cast<std::int64_t>(t),
                              has_seed && std::isfinite(seed) ? std::optional<double>(seed) : std::nullopt);
    const std::string& trail = h->trail_text();
    b.trail_ptr = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(trail.data()));
    b.trail_len = static_cast<std::uint32_t>(trail.size());
    if (kind == reroute::Decision::Kind::final) {
        const reroute::Final& f = h->final();
        b.kind = 1;
        b.reason = static_cast<std::uint32_t>(f.reason);
        b.ok = f.ok() ? 1 : 0;
        b.status = static_cast<std::uint32_t>(f.http_status);
        b.attempts = static_cast<std::uint32_t>(f.attempts);
        b.tried = static_cast<std::uint32_t>(h->distinct());
        // servedBy comes from the wrapper's target cache, filled when that attempt was handed out.
        if (f.served_by && h->last_target() == f.served_by) b.served_by_plus_one = static_cast<std::uint32_t>(*f.served_by) + 1;
        if (f.code) {
            h->final_texts(f);
            b.code_plus_one = static_cast<std::uint32_t>(*f.code) + 1;
            b.envelope_ptr = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(h->envelope().data()));
            b.envelope_len = static_cast<std::uint32_t>(h->envelope().size());
            b.message_ptr = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(h->sentence().data()));
            b.message_len = static_cast<std::uint32_t>(h->sentence().size());
        }
        if (f.retry_after_ms) {
            b.flags = 8;
            b.retry_after_ms = static_cast<double>(*f.retry_after_ms);
        }
        return &b;
    }
    const reroute::Attempt& a = h->attempt();
    b.target = static_cast<std::uint32_t>(a.target);
    b.number = static_cast<std::uint32_t>(a.number);
    b.reason = static_cast<std::uint32_t>(a.reason);
    b.flags = (a.is_probe ? 1u : 0u) | (a.same_target_retry ? 2u : 0u) | (a.notice ? 4u : 0u);
    if (a.notice) {
        b.notice_ptr = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(a.notice->data()));
        b.notice_len = static_cast<std::uint32_t>(a.notice->size());
    }
    b.wait_ms = static_cast<double>(a.wait_ms);
    b.start_ms = static_cast<double>(a.start_ms);
    b.deadline_at_ms = static_cast<double>(a.deadline_at_ms);
    b.connect_ms = static_cast<double>(a.timeouts.connect_ms);
    b.first_token_ms = static_cast<double>(a.timeouts.first_token_ms);
    b.idle_ms = static_cast<double>(a.timeouts.idle_ms);
    return &b;
}

// The answer check of a 2xx non-streaming body (stream::check_completion_body), the first `len`
// bytes of the io buffer: 1 when it is an answer; 0 when it failed, the failure then kept for
// last_completion_failure().
EMSCRIPTEN_KEEPALIVE int rr_check_completion(std::uint32_t len) {
    using namespace reroute::wasm_routing;
    auto& failure = last_completion_failure();
    failure = reroute::stream::check_completion_body(std::string_view(g_io.data(), std::min<std::size_t>(len, g_io.size()))).failure;
    return failure ? 0 : 1;
}

// The upstream body of an attempt (write_upstream_body). The io buffer holds, one after the
// other, the client's body (`body_len` bytes), the target's model, the defaults' JSON text and the
// appended message's JSON text (0 bytes: none). Returns the address of {ptr, len} of the body
// written (len 0: it could not be written), valid until the next call.
EMSCRIPTEN_KEEPALIVE const std::uint32_t* rr_upstream_body(std::uint32_t body_len, std::uint32_t model_len,
                                                          std::uint32_t defaults_len, std::uint32_t message_len) {
    using namespace reroute::wasm_routing;
    static std::string body;
    static std::uint32_t block[2];
    std::string_view io(g_io.data(), g_io.size());
    const auto take = [&](std::uint32_t len) {
        const std::string_view part = io.substr(0, len);
        io.remove_prefix(part.size());
        return part;
    };
    const std::string_view client = take(body_len), model = take(model_len), defaults = take(defaults_len),
                           message = take(message_len);
    body.clear();
    const bool ok = reroute::write_upstream_body(client, model, body, defaults, message);
    block[0] = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(body.data()));
    block[1] = ok ? static_cast<std::uint32_t>(body.size()) : 0;
    return block;
}

// Attempts.report of an outcome without text (kind, code, hint, duration, bytes). kind: index of
// OutcomeKind (out of range: http_error); code: index of ErrorCode or -1; hint < 0: absent.
// Returns bit 0 accepted, bits 8..15 the code carried + 1 (0: none).
EMSCRIPTEN_KEEPALIVE int rr_attempts_report(std::uintptr_t attempts, std::uintptr_t health, int kind, int code,
                                            double hint, double duration, double bytes, double now) {
    using namespace reroute::wasm_routing;
    auto* h = as<AttemptsHandle>(attempts);
    if (!h) return 0;
    reroute::Outcome o;
    o.kind = kind >= 0 && kind < reroute::kOutcomeKindCount ? static_cast<reroute::OutcomeKind>(kind) : reroute::OutcomeKind::http_error;
    if (code >= 0 && code < reroute::kErrorCodeCount) o.code = static_cast<reroute::ErrorCode>(code);
    const bool failure = o.kind != reroute::OutcomeKind::success && o.kind != reroute::OutcomeKind::cancelled;
    if (failure && std::isfinite(hint) && hint >= 0) o.retry_after_ms = hint;
    if (std::isfinite(duration) && duration > 0) o.duration_ms = static_cast<std::int64_t>(std::min(duration, 9.0e15));
    if (std::isfinite(bytes) && bytes > 0) o.bytes_received = static_cast<std::int64_t>(std::min(bytes, 9.0e15));
    const double t = std::isfinite(now) ? std::floor(now) : 0;
    const auto [accepted, carried] = h->report_outcome(o, health_at(health), static_cast<std::int64_t>(t));
    return (accepted ? 1 : 0) | (carried ? (static_cast<int>(*carried) + 1) << 8 : 0);
}

}  // extern "C"

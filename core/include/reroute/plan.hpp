// Attempt planning (failover.md II.6-II.12, II.15): given a validated configuration, a request,
// the shared health and the time, which upstream to call next, how long to wait first, with which
// timeouts, and why; or how the request ends. Pure: time, random numbers and health come in as
// arguments; the edge performs the I/O and reports each outcome back.
//
//   reroute::Planner planner(config, {{"OPENAI_API_KEY", reroute::fingerprint(key)}});
//   reroute::Traffic traffic;                       // per isolate: budgets, in-flight counts
//   auto started = planner.start(request, &traffic, now);
//   if (!started.attempts) return bad_request(started.problems);    // 400 naming the JSON path
//   reroute::Attempts& attempts = *started.attempts;
//   for (;;) {
//       reroute::Decision d = attempts.next(health, now(), rng);
//       if (d.is_final()) return respond(d.final);                  // envelope, status, hint
//       sleep(d.attempt.wait_ms); if (d.attempt.notice) emit(*d.attempt.notice);
//       reroute::Outcome o = call_upstream(d.attempt);
//       attempts.report(o, health, now());
//   }
//
// Decision order after a failed attempt (II.7, II.8): terminal codes stop; otherwise a healthy
// alternative is used at once (same-model siblings first after 429/overload and after
// auth/credit/entitlement failures); otherwise the same target is retried after its backoff or
// retry hint when the code allows it, attempts and the retry budget remain and the deadline
// leaves min_attempt_ms after the wait; otherwise breaker-ejected targets are still tried, least
// recently ejected first (panic guard); otherwise the request ends with the last error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reroute/codes.hpp"
#include "reroute/config.hpp"
#include "reroute/envelope.hpp"
#include "reroute/error_value.hpp"
#include "reroute/health.hpp"
#include "reroute/resource.hpp"
#include "reroute/retry.hpp"
#include "reroute/retry_hint.hpp"
#include "reroute/rng.hpp"
#include "reroute/stream.hpp"

namespace reroute {

// What the host knows about keys (the core never reads the environment): for every credential
// environment variable that is set and non-empty, the fingerprint of its trimmed value
// (scope.hpp, fingerprint). A credential whose variable is missing here is a configuration
// failure: its targets are skipped without a request.
using KeyFingerprints = std::map<std::string, std::string, std::less<>>;

// ---------------------------------------------------------------------------------------------
// The request

// Per-request overrides (II.15). Each can only narrow what the server allows; values above a
// server ceiling are clamped to it, invalid values are Problems (code request.*, JSON path).
struct RequestOverrides {
    std::optional<bool> disable_fallbacks;
    std::optional<int> max_attempts;            // 1.., clamped to ServerLimits::max_attempts
    std::optional<std::int64_t> deadline_ms;    // 1.., clamped to ServerLimits::deadline_ms
    std::optional<std::vector<std::string>> allowed_providers;  // provider ids
    std::optional<std::vector<std::string>> allowed_models;     // model ids or provider:model refs
    std::optional<Continuation> continuation;   // clamped to ServerLimits::continuation
};

struct Request {
    std::string route;            // a route name, or a `provider:model` ref
    std::string conversation_id;  // sticky load balancing; may be empty
    std::int64_t prompt_tokens = 0;                   // estimated
    std::optional<std::int64_t> max_output_tokens;    // requested
    bool needs_tools = false;     // the request carries tools
    bool needs_vision = false;    // the request carries images
    RequestOverrides overrides;
    std::string overrides_path;   // JSON Pointer of the overrides object, prefixed to problem paths
};

// The planning facts of an OpenAI-style chat-completions body, into `req`: prompt_tokens, the
// estimate ceil(characters of the messages' text / 4) (string contents and text parts, counted
// in UTF-16 units like JavaScript's length), needs_tools (a non-empty `tools` array),
// needs_vision (a content part of type image_url, input_image or image) and max_output_tokens
// (max_completion_tokens when present, else max_tokens; kept when a positive number, a fraction
// rounded up). A body that is not a JSON object leaves `req` as it is.
void read_body_facts(std::string_view body, Request& req);

// The body an attempt sends upstream, from the client's chat body as received: the same JSON
// object with `model` set to the target's model (in its place, or last when absent) and the
// gateway's own `reroute` member left out. Every other member keeps its source text; a key given
// twice appears once, where it first appeared, with its last value (as JSON.parse then
// JSON.stringify would have it). Optionally, for the attempt:
// - `defaults` (a JSON object's text): each of its members the client did not give is added
//   (the governor's patch, which never overrides a client field);
// - `appended_message` (a JSON value's text): added after the client's messages (a continuation's
//   prefill; messages that are not an array are replaced by it alone).
// Written to `out`; false (out untouched) when the body or `defaults` is not a JSON object, or
// `appended_message` is not JSON.
bool write_upstream_body(std::string_view client_body, std::string_view upstream_model, std::string& out,
                         std::string_view defaults = {}, std::string_view appended_message = {});

// Reads the overrides object of a request body (members disable_fallbacks, max_attempts,
// deadline_ms, allowed_providers, allowed_models, continuation). Problems carry paths under
// `base_path` (a JSON Pointer such as "/reroute"). Unknown members are problems too.
struct OverridesResult {
    std::optional<RequestOverrides> overrides;  // present exactly when there is no problem
    std::vector<Problem> problems;
};
OverridesResult parse_overrides(std::string_view json_object, std::string_view base_path = "");

// ---------------------------------------------------------------------------------------------
// Decisions

struct Timeouts {
    std::int64_t connect_ms = 0;
    std::int64_t first_token_ms = 0;
    std::int64_t idle_ms = 0;
};

struct Attempt {
    std::size_t target = 0;   // index into the route's targets (ResolvedRoute::targets)
    int number = 0;           // 1-based: the how-manieth upstream request of this request
    std::string provider;
    std::string endpoint_id;
    std::string base_url;
    std::optional<std::string> credential_env;  // absent for a keyless provider
    std::string fingerprint;                    // of the key (of "" when keyless)
    std::string model;                          // the model id as configured
    std::string upstream_model;                 // what to send upstream
    std::string ref;                            // provider:model, as notices name it
    Timeouts timeouts;             // clipped to what the deadline leaves at the start
    std::int64_t wait_ms = 0;      // wait this long before starting (retry hint or backoff)
    std::int64_t start_ms = 0;     // now + wait_ms
    std::int64_t deadline_at_ms = 0;  // the request's deadline (absolute)
    Reason reason = Reason::first_choice;
    bool is_probe = false;         // the half-open probe of an ejected resource
    bool same_target_retry = false;
    // [MODEL_FALLBACK] content (chat-errors.md 11.1) when this attempt switches away from a failed
    // target: exactly one per switch, none for a retry of the same target.
    std::optional<std::string> notice;
};

struct Final {
    Reason reason = Reason::exhausted;  // succeeded, cancelled, terminal, exhausted, max_attempts,
                                        // deadline, budget_exhausted, not_retryable, hint_too_long
    std::optional<ErrorCode> code;      // absent on success and cancellation
    int http_status = 200;              // II.2; 200 on success, 499 on cancellation
    // For encode_envelope: code, provider and model of the last attempt, tried = distinct
    // targets that received a request (absent when 0), raw = the provider's redacted message
    // ("Unknown error" when there is none), retry_after_ms when a hint is known.
    EnvelopeFields envelope;
    std::optional<std::int64_t> retry_after_ms;  // HTTP Retry-After when known
    int attempts = 0;                            // upstream requests made (x-reroute-attempts)
    std::optional<std::size_t> served_by;        // target index of the successful attempt

    bool ok() const noexcept { return reason == Reason::succeeded; }
};

struct Decision {
    enum class Kind : std::uint8_t { attempt, final } kind = Kind::final;
    Attempt attempt;  // kind == attempt
    Final final;      // kind == final
    bool is_final() const noexcept { return kind == Kind::final; }
};

// What happened to an attempt (II.1).
struct Outcome {
    OutcomeKind kind = OutcomeKind::success;
    // The chat code when the host already knows it; otherwise the kind's own code (II.1) or the
    // classifier over `error` (http_error, in_band_error).
    std::optional<ErrorCode> code;
    ErrorValue error;                      // facts (status, message, codes) of a failure
    std::optional<double> retry_after_ms;  // the provider's hint (retry_hint.hpp)
    std::int64_t duration_ms = 0;
    std::int64_t bytes_received = 0;
};

// The chat code of an outcome: none for a success or a cancellation; else the kind's own code
// (II.1), else the host's code, else the classifier over the error's facts, else generic.
std::optional<ErrorCode> failure_code(const Outcome& outcome);

// What the host saw of a failed attempt, as it saw it; read_failure turns it into the outcome's
// facts and retry hint, so the host never classifies. Strings are borrowed for the call.
struct ObservedFailure {
    std::optional<ErrorValue> error;               // facts the host already has (wins)
    std::optional<double> status;                  // HTTP status of an error response
    std::optional<std::string_view> body;          // its body, or a 200 body that failed the check
    std::optional<std::string_view> event, data;   // an in-band SSE error event
    std::optional<std::string_view> transport_code, message;  // a failure without a response
    std::optional<double> retry_after_ms;          // a hint the host already read (>= 0)
    std::vector<Header> headers;                   // the response headers, for retry hints
};
// Sets outcome.error and outcome.retry_after_ms for a failure of outcome.kind: the facts from the
// first source that applies (host facts; for http_error the response; for in_band_error the
// event, else the body's check; otherwise the transport code and message), the hint from the
// host, else the headers, else the provider's wording.
void read_failure(Outcome& outcome, const ObservedFailure& seen, std::int64_t now_ms);

// One failed attempt, for headers and logs (II.12).
struct TrailEntry {
    std::size_t target = 0;
    std::string ref;          // provider:model
    std::string endpoint_id;
    std::string fingerprint;
    ErrorCode code = ErrorCode::generic;
    OutcomeKind kind = OutcomeKind::http_error;
    std::int64_t duration_ms = 0;
};
inline constexpr std::size_t kMaxTrailEntries = 8;
inline constexpr std::size_t kMaxTrailBytes = 1024;
// "ref=openai%3Agpt-4o;ep=default;fp=07dfb656;code=provider_error;kind=http_error;ms=523, ..."
// at most kMaxTrailBytes; entries that do not fit are replaced by a final "+N".
std::string render_trail(const std::vector<TrailEntry>& trail);

// `x-reroute-served-by` of an attempt with its texts (Attempts::fill_texts):
// "provider=openai;ep=default;host=api.openai.com;fp=07dfb656;model=gpt-4o" (values
// percent-encoded; host is the authority of the endpoint's base URL, without user info).
std::string served_by_header(const Attempt& attempt);

// ---------------------------------------------------------------------------------------------
// Per-isolate traffic: the retry budget of each route and the in-flight count of each target.

struct RouteTraffic {
    RetryBudget budget;
    std::vector<std::int32_t> in_flight;  // per target index
};

class Traffic {
public:
    RouteTraffic& route(std::string_view name, std::size_t targets);
    const RouteTraffic* find(std::string_view name) const;

private:
    struct Entry {
        std::string name;
        RouteTraffic traffic;
    };
    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t index_plus_one = 0;  // 0 = empty
    };
    friend class Planner;  // passes the hash of a route name it worked out once
    RouteTraffic& route(std::string_view name, std::uint64_t hash, std::size_t targets);
    Entry* lookup(std::string_view name, std::uint64_t hash) const noexcept;
    std::vector<std::unique_ptr<Entry>> routes_;  // stable addresses: attempts keep pointers
    std::vector<Slot> slots_;                     // open addressing, power-of-two size
};

// ---------------------------------------------------------------------------------------------
// explain (II.11)

struct Explained {
    std::size_t target = 0;
    std::string ref;          // provider:model
    std::string endpoint_id;
    std::optional<std::string> credential_id;
    bool use = false;         // verdict: use | skip
    Reason reason = Reason::ok;  // use: first_choice, ok, half_open_probe; skip: benched, cooling,
                                 // admin_retired, breaker_open, probe_in_flight, context_too_small,
                                 // capability_missing, not_allowed, config_failure, fallbacks_disabled
    std::optional<ResourceKind> resource;  // the resource that decided a health skip
    std::int64_t until_ms = 0;             // benched / cooling / ejected until
};

// ---------------------------------------------------------------------------------------------
// The planner

class Planner;

// The state of one request. Movable, not copyable. Keeps pointers to its Planner and Traffic,
// which must outlive it.
class Attempts {
public:
    Attempts(Attempts&&) noexcept;
    Attempts& operator=(Attempts&&) noexcept;
    Attempts(const Attempts&) = delete;
    Attempts& operator=(const Attempts&) = delete;
    ~Attempts();

    // The next attempt, or how the request ends. While an attempt is in flight (not reported
    // yet) it returns that same attempt again; after a final it returns the final again.
    Decision next(HealthState& health, std::int64_t now_ms, Rng& rng);
    // next() without the attempt's texts (provider .. ref left empty): for a host that looks
    // them up once per target (fill_texts) instead of copying them on every attempt.
    Decision next_lean(HealthState& health, std::int64_t now_ms, Rng& rng);
    // next_lean() without building a Decision, for a host that reads the result in place: the
    // kind of the next decision; an attempt is then last_attempt(), a final what next_lean()
    // returns (the same final again).
    Decision::Kind advance(HealthState& health, std::int64_t now_ms, Rng& rng);
    // The attempt handed out last, without texts (fill_texts adds them); a default Attempt
    // before the first one.
    const Attempt& last_attempt() const noexcept;
    // Sets the texts of an attempt of this request (provider, endpoint_id, base_url,
    // credential_env, fingerprint, model, upstream_model, ref) from its target index.
    void fill_texts(Attempt& attempt) const;
    // The outcome of the attempt in flight: updates this request (retirement, II.3 "this
    // request") and the shared health ("shared health"). Ignored when nothing is in flight.
    void report(const Outcome& outcome, HealthState& health, std::int64_t now_ms);

    const std::vector<TrailEntry>& trail() const noexcept;
    int attempts_made() const noexcept;
    std::size_t distinct_targets_tried() const noexcept;
    std::int64_t deadline_at_ms() const noexcept;
    int max_attempts() const noexcept;
    bool finished() const noexcept;
    Continuation continuation() const noexcept;  // after clamping by the server ceiling
    // Mid-stream fallbacks this request may make (the route's continuation_budget, clamped).
    int continuation_budget() const noexcept;
    // After a committed stream failed (II.5): whether the request goes on on another target (its
    // continuation mode is not off and its mid-stream budget is not spent). When it does, the
    // caller takes next() and, for an attempt, continue_stream().
    bool may_continue_stream() const noexcept;
    // The continuation of a committed stream that failed onto the attempt next() handed out after
    // it, from the failed stream `failed` (null: none of its frames reached the client) and that
    // attempt's prefill capability. Counts one mid-stream fallback unless the plan ends with the
    // error (reason budget_spent when may_continue_stream() is false or nothing is in flight).
    stream::ContinuationPlan continue_stream(const StreamRelay* failed);
    // The route name or provider:model ref this request runs on.
    std::string_view route_name() const noexcept;

    struct State;  // implementation

private:
    friend class Planner;
    explicit Attempts(std::unique_ptr<State> state);
    std::unique_ptr<State> s_;
};

struct StartResult {
    std::optional<Attempts> attempts;  // present exactly when there is no problem
    std::vector<Problem> problems;     // request.reference, request.range, ...
};

class Planner {
public:
    // The config must outlive the planner. Fingerprints are copied.
    Planner(const Config& config, KeyFingerprints keys);
    Planner(Planner&&) noexcept;
    Planner& operator=(Planner&&) noexcept;
    ~Planner();

    // Validates and clamps the request and starts its attempt state at now_ms (the deadline
    // counts from here). `traffic` may be null (no shared budget or in-flight counts).
    StartResult start(const Request& request, Traffic* traffic, std::int64_t now_ms) const;
    // The index of a route name or provider:model ref (nullopt: unknown), and start() on the
    // route at that index without looking the name up again (request.route is not read): for a
    // host that starts many requests on the same few routes.
    std::optional<std::size_t> route_index(std::string_view name) const noexcept;
    StartResult start(std::size_t route_index, const Request& request, Traffic* traffic, std::int64_t now_ms) const;

    // The ordered plan for a request with a verdict and reason per target, computed without any
    // upstream call and without touching health. Empty when the request is invalid.
    std::vector<Explained> explain(const Request& request, const HealthState& health, std::int64_t now_ms) const;

    const Config& config() const noexcept;

    struct Compiled;  // implementation

private:
    std::unique_ptr<Compiled> c_;
};

// Free-function spelling of Planner::explain.
inline std::vector<Explained> explain(const Planner& planner, const Request& request, const HealthState& health,
                                      std::int64_t now_ms) {
    return planner.explain(request, health, now_ms);
}

// II.2: the HTTP status of a final failure with this code; 504 instead of 502 when the last
// failure was a timeout.
int http_status_for(ErrorCode code, bool timed_out) noexcept;

}  // namespace reroute

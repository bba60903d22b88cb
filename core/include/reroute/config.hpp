// The routing configuration (failover.md II.11): one JSON document with providers, endpoints,
// credentials (environment-variable names only), models and routes; validated and linted at
// once, then resolved into the flat, ordered view the planner consumes.
//
//   reroute::EnvView env({"OPENAI_API_KEY"});
//   reroute::ConfigResult r = reroute::load_config(text, env);
//   if (!r.ok()) for (auto& p : r.problems) std::puts((p.path + " " + p.code).c_str());
//   const reroute::ResolvedRoute* chat = r.config->find_route("chat");
//
// Three layers, kept apart:
//   - declared data (Provider, Model, Node, Route): what the document says, nothing inferred;
//   - policies: every configurable knob twice, as *Overrides (all optional, what one level of the
//     tree sets) and as the effective policy (all concrete, defaults are the named constants below);
//   - the resolved view (ResolvedRoute): per route, every concrete target in a deterministic order
//     with its effective policies, and the group structure that orders or weighs them.
//
// Nothing here reads the environment, a clock or a random source, and nothing throws: every
// mistake in the document comes back as a Problem. The document format is published as
// core/config.schema.json (JSON Schema draft 2020-12); the loader accepts exactly what it describes
// and additionally checks references, uniqueness, cross-field ranges and lint rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reroute/governor.hpp"

namespace reroute {

// ---------------------------------------------------------------------------------------------
// Defaults and hard ceilings (failover.md II.6, II.7, II.8, II.9). The loader rejects values
// outside the documented ranges; these are what an absent member means.

// II.7 retry engine
inline constexpr int kDefaultMaxAttempts = 4;
inline constexpr int kMaxAttemptsCeiling = 8;
inline constexpr int kDefaultRetriesProviderError = 1;
inline constexpr int kDefaultRetriesRateLimited = 2;
inline constexpr int kDefaultRetriesProviderUnreachable = 1;
inline constexpr std::int64_t kDefaultBackoffBaseMs = 250;
inline constexpr std::int64_t kDefaultBackoffCapMs = 4'000;
inline constexpr std::int64_t kDefaultRetryHintCapMs = 60'000;
inline constexpr int kDefaultRetryBudgetMin = 3;
inline constexpr int kDefaultRetryBudgetPercent = 20;
// II.6 timeouts
inline constexpr std::int64_t kDefaultConnectTimeoutMs = 5'000;
inline constexpr std::int64_t kDefaultFirstTokenTimeoutMs = 10'000;
inline constexpr std::int64_t kDefaultIdleTimeoutMs = 10'000;
inline constexpr std::int64_t kDefaultDeadlineMs = 120'000;
inline constexpr std::int64_t kDeadlineCeilingMs = 300'000;
inline constexpr std::int64_t kDefaultMinAttemptMs = 5'000;
// II.9 breaker and outlier ejection
inline constexpr int kDefaultConsecutiveFailures = 3;                 // no healthy alternative
inline constexpr int kDefaultConsecutiveFailuresWithAlternative = 1;  // another healthy target
inline constexpr int kDefaultFailureRatePercent = 50;
inline constexpr int kDefaultMinRequestVolume = 10;
inline constexpr std::int64_t kDefaultFailureWindowMs = 30'000;
inline constexpr std::int64_t kDefaultEjectionBaseMs = 15'000;
inline constexpr std::int64_t kDefaultEjectionMaxMs = 300'000;
inline constexpr int kDefaultEjectionJitterPercent = 10;
inline constexpr int kDefaultMaxEjectionPercent = 50;
// II.5, II.8 class policy
inline constexpr int kDefaultContinuationBudget = 1;

// ---------------------------------------------------------------------------------------------
// Providers and models

enum class ApiFormat : std::uint8_t { openai, anthropic };
std::string_view to_string(ApiFormat format) noexcept;  // "openai", "anthropic"

// One base URL of a provider. A provider declared with a single "base_url" gets one endpoint
// whose id is "default". base_url is kept exactly as configured (it is part of the endpoint
// identity `host:<provider>:<base_url>`, where a trailing slash is another endpoint).
struct Endpoint {
    std::string id;
    std::string base_url;
};

// One API key of a provider, by environment-variable NAME only (never a value). id defaults to
// the env name when the document leaves it out.
struct Credential {
    std::string id;
    std::string env;
};

struct Provider {
    std::string id;  // slug: [a-z0-9][a-z0-9_-]{0,99}; scope keys use it
    ApiFormat api_format = ApiFormat::openai;
    std::vector<Endpoint> endpoints;      // at least one, ids unique within the provider
    std::vector<Credential> credentials;  // may be empty: a keyless provider (local servers)
    bool allow_private_hosts = false;     // opt-in for private/loopback hosts (host_policy.hpp)
};

struct Capabilities {
    bool tools = false;
    bool vision = false;
    bool prefill = false;  // accepts an assistant prefill (needed by `continue`, II.5)
    bool reasoning = false;
};

struct Model {
    std::string provider;                  // a Provider::id
    std::string id;                        // the model id as routes name it; unique per provider
    std::optional<std::string> native_id;  // what is sent upstream when it differs from id
    std::int64_t context_window = 0;       // tokens, >= 1
    std::int64_t max_output_tokens = 0;    // tokens, >= 1 and <= context_window
    std::optional<double> input_price;     // per million input tokens, >= 0
    std::optional<double> output_price;    // per million output tokens, >= 0
    Capabilities capabilities;
    // "reasoning" (reasoning.md 3.1): the knob the governor turns, as govern() takes it (with this
    // model's max_output_tokens); absent: knob none, never steered. Budget bounds: 1..the model's
    // max_output_tokens, max_budget_tokens >= min_budget_tokens.
    std::optional<reasoning::Capability> reasoning;

    // The id sent upstream: native_id when set, else id.
    const std::string& upstream_id() const noexcept { return native_id ? *native_id : id; }
};

// ---------------------------------------------------------------------------------------------
// Policies. Each *Overrides struct is what one level of the document sets (absent = inherit);
// the plain struct is the effective value after inheritance, initialised to the defaults.

struct RetryPolicy {
    int max_attempts = kDefaultMaxAttempts;  // upstream requests per client request, 1..8
    // Same-target retries per code (II.7). Every other code never retries the same target.
    int retries_provider_error = kDefaultRetriesProviderError;              // 0..8
    int retries_rate_limited = kDefaultRetriesRateLimited;                  // 0..8
    int retries_provider_unreachable = kDefaultRetriesProviderUnreachable;  // 0..8
    std::int64_t backoff_base_ms = kDefaultBackoffBaseMs;  // 1..60000
    std::int64_t backoff_cap_ms = kDefaultBackoffCapMs;    // >= backoff_base_ms, <= 60000
    std::int64_t retry_hint_cap_ms = kDefaultRetryHintCapMs;  // 0..300000
    int budget_min = kDefaultRetryBudgetMin;          // retries in flight allowed regardless, 0..10000
    int budget_percent = kDefaultRetryBudgetPercent;  // of active requests, 0..100
};
struct RetryOverrides {
    std::optional<int> max_attempts;
    std::optional<int> retries_provider_error, retries_rate_limited, retries_provider_unreachable;
    std::optional<std::int64_t> backoff_base_ms, backoff_cap_ms, retry_hint_cap_ms;
    std::optional<int> budget_min, budget_percent;
};

struct TimeoutPolicy {
    std::int64_t connect_timeout_ms = kDefaultConnectTimeoutMs;         // 1..300000
    std::int64_t first_token_timeout_ms = kDefaultFirstTokenTimeoutMs;  // 1..300000
    std::int64_t idle_timeout_ms = kDefaultIdleTimeoutMs;               // 1..300000
    std::int64_t deadline_ms = kDefaultDeadlineMs;                      // 1..300000
    std::int64_t min_attempt_ms = kDefaultMinAttemptMs;                 // 0..deadline_ms
};
struct TimeoutOverrides {
    std::optional<std::int64_t> connect_timeout_ms, first_token_timeout_ms, idle_timeout_ms,
        deadline_ms, min_attempt_ms;
};

struct BreakerPolicy {
    int consecutive_failures = kDefaultConsecutiveFailures;  // 1..1000
    int consecutive_failures_with_alternative = kDefaultConsecutiveFailuresWithAlternative;  // 1..1000
    int failure_rate_percent = kDefaultFailureRatePercent;  // 1..100
    int min_request_volume = kDefaultMinRequestVolume;      // 1..1000000
    std::int64_t failure_window_ms = kDefaultFailureWindowMs;  // 1000..3600000
    std::int64_t ejection_base_ms = kDefaultEjectionBaseMs;    // 1..3600000
    std::int64_t ejection_max_ms = kDefaultEjectionMaxMs;      // >= ejection_base_ms, <= 3600000
    int jitter_percent = kDefaultEjectionJitterPercent;        // 0..100
    int max_ejection_percent = kDefaultMaxEjectionPercent;     // 0..100 (panic guard)
};
struct BreakerOverrides {
    std::optional<int> consecutive_failures, consecutive_failures_with_alternative,
        failure_rate_percent, min_request_volume;
    std::optional<std::int64_t> failure_window_ms, ejection_base_ms, ejection_max_ms;
    std::optional<int> jitter_percent, max_ejection_percent;
};

// II.8: after rate_limited/overload, first another credential or endpoint of the same model
// (same_model_first), or simply the next target in the plan (next_target).
enum class Prefer : std::uint8_t { same_model_first, next_target };
std::string_view to_string(Prefer prefer) noexcept;  // "same_model_first", "next_target"

struct ClassPolicy {
    bool route_around_content_filter = false;  // II.8: content_filter is terminal unless opted in
    Prefer prefer = Prefer::same_model_first;
    int continuation_budget = kDefaultContinuationBudget;  // mid-stream fallbacks, 0..8 (II.5)
};
struct ClassOverrides {
    std::optional<bool> route_around_content_filter;
    std::optional<Prefer> prefer;
    std::optional<int> continuation_budget;
};

struct Policies {
    RetryPolicy retry;
    TimeoutPolicy timeout;
    BreakerPolicy breaker;
    ClassPolicy classes;
};
// JSON members "retry", "timeout", "breaker", "classes" of the document's "defaults" and of any
// route node.
struct PolicyOverrides {
    RetryOverrides retry;
    TimeoutOverrides timeout;
    BreakerOverrides breaker;
    ClassOverrides classes;
};

// Inheritance: every member set in `overrides` replaces the inherited one. Pure, total.
Policies resolve_policies(const Policies& inherited, const PolicyOverrides& overrides) noexcept;

// ---------------------------------------------------------------------------------------------
// Routes: named trees. Leaves are targets, inner nodes groups, and a node may stand for another
// route by name (its tree is inlined there; cycles are rejected by lint).

enum class Strategy : std::uint8_t {
    single,       // exactly one child; no fallback beyond it (later children are unreachable)
    fallback,     // children in order
    loadbalance,  // one child picked per LoadBalance, the others as fallbacks after it (II.10)
};
std::string_view to_string(Strategy strategy) noexcept;

enum class LoadBalance : std::uint8_t {
    weighted,         // weighted random among healthy children; weight 0 drains
    least_in_flight,  // power of two choices on in-flight counts
    sticky,           // rendezvous hash of (conversation id, child); weighted without an id
};
std::string_view to_string(LoadBalance balance) noexcept;

enum class NodeKind : std::uint8_t { target, group, route_ref };

struct Node {
    NodeKind kind = NodeKind::target;
    double weight = 1;     // share inside a loadbalance parent, 0..1000000 (0 drains)
    std::string path;      // JSON Pointer of this node in the document, e.g. "/routes/0/targets/1"
    PolicyOverrides policy;  // what this node sets for itself and its descendants

    // kind == target
    std::string provider;                   // Provider::id
    std::string model;                      // Model::id of that provider
    std::optional<std::string> credential;  // Credential::id; absent: every credential
    std::optional<std::string> endpoint;    // Endpoint::id; absent: every endpoint

    // kind == group
    Strategy strategy = Strategy::fallback;
    LoadBalance balance = LoadBalance::weighted;  // meaningful for Strategy::loadbalance
    std::vector<Node> children;                    // "targets" in the document, at least one

    // kind == route_ref
    std::string route;  // Route::name
};

// Whether the reasoning governor steers a route's attempts (reasoning.md 3.2): auto requests always,
// a named route only when it opts in.
enum class RouteReasoning : std::uint8_t { off, adaptive };
std::string_view to_string(RouteReasoning reasoning) noexcept;  // "off", "adaptive"

// A route a request can name. The name "auto" belongs to automatic routing (AutoRoute).
struct Route {
    std::string name;  // [A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}, unique among routes and auto routes
    Node root;         // always a group (the route object itself carries strategy and targets)
    // What the Auto router and the governor know of the route (reasoning.md 3.1).
    std::string description;           // one line shown to the classifier; "" when absent
    std::string agent_type = "chat";   // part of the governor's profile key
    int max_steps = 0;                 // 0..1000, a governor signal
    RouteReasoning reasoning = RouteReasoning::off;
};

// A route with strategy "auto" (reasoning.md 3.1, 4): the Auto router picks one of its
// candidates per request; it has no targets of its own.
struct AutoRoute {
    std::string name;
    std::string path;                         // JSON Pointer; "" for the implicit route
    std::vector<std::string> candidates;      // route names, priority order
    std::optional<std::string> default_route; // one of candidates; absent: the first eligible
    std::optional<std::string> classifier;    // route name or provider:model; absent: utility_model
};

// ---------------------------------------------------------------------------------------------
// Server ceilings for per-request overrides (II.15) and the admin plane (II.13).

enum class Continuation : std::uint8_t { off, restart, continue_ };
std::string_view to_string(Continuation continuation) noexcept;  // "off", "restart", "continue"

struct ServerLimits {
    int max_attempts = kMaxAttemptsCeiling;          // requests may ask for at most this, 1..8
    std::int64_t deadline_ms = kDeadlineCeilingMs;   // requests may ask for at most this, 1..300000
    Continuation continuation = Continuation::continue_;  // the most a request may ask for
    int continuation_budget = kDefaultContinuationBudget;  // ceiling of mid-stream fallbacks, 0..8
    bool allow_disable_fallbacks = true;             // whether requests may send disable_fallbacks
};

struct AdminConfig {
    std::optional<std::string> secret_env;  // env name of the admin secret; absent: /admin off
};

// ---------------------------------------------------------------------------------------------
// The resolved view (what the planner consumes).

// One concrete thing to call: a model on one endpoint with one credential. Leaves that name no
// credential (or no endpoint) expand to every credential x endpoint of their provider, in the
// provider's declared order, credentials outer, endpoints inner. Those siblings share `leaf`.
struct ResolvedTarget {
    std::size_t index = 0;  // position in ResolvedRoute::targets (stable for a given document)
    std::size_t leaf = 0;   // index of the configured leaf it came from (in the route's DFS order)
    std::string leaf_path;  // JSON Pointer of that leaf in the document
    std::string provider;   // Provider::id
    std::size_t provider_index = 0;  // into Config::providers
    ApiFormat api_format = ApiFormat::openai;
    std::string endpoint_id;
    std::string base_url;                        // exactly as configured
    std::optional<std::string> credential_id;    // absent for a keyless provider
    std::optional<std::string> credential_env;   // its environment-variable name
    std::string model;                           // Model::id
    std::string upstream_model;                  // Model::upstream_id()
    std::size_t model_index = 0;                 // into Config::models
    // Effective: built-in constants, then "defaults", then every ancestor down to the leaf; then
    // clamped to the server ceilings (max_attempts, deadline_ms, continuation_budget).
    Policies policies;
    // Some node between the root and this target has weight 0 (drained, II.10): it is listed for
    // explain and admin views but never planned.
    bool drained = false;
};

// A child of a resolved group: a target or another group, by index.
struct ResolvedChild {
    bool is_group = false;
    std::size_t index = 0;  // into ResolvedRoute::groups or ResolvedRoute::targets
    double weight = 1;      // the child's weight in this group (meaningful for loadbalance)
};

struct ResolvedGroup {
    Strategy strategy = Strategy::fallback;
    LoadBalance balance = LoadBalance::weighted;
    // true for the implicit group a leaf expands to when it yields several targets (its
    // credentials x endpoints): strategy fallback, same model, "another key of the same model".
    bool expansion = false;
    std::string path;  // JSON Pointer of the node (of the leaf for an expansion)
    std::vector<ResolvedChild> children;  // configured order
    // The targets under this group form the contiguous range [first_target, end_target).
    std::size_t first_target = 0, end_target = 0;
    Policies policies;  // effective at this group (inherited and clamped as for targets)
};

// Targets are in depth-first, configured order: the order a pure fallback walk would use.
// groups[0] is the route's root. A route referenced from another route is inlined: its root group
// and everything under it appear in place of the reference. Policies there are, in order: what the
// reference inherits, the referenced route's own overrides, then the reference node's overrides.
// A child with weight 0 is drained: skipped by every strategy.
struct ResolvedRoute {
    std::string name;
    std::vector<ResolvedTarget> targets;
    std::vector<ResolvedGroup> groups;
};

// ---------------------------------------------------------------------------------------------
// The whole document.

struct Config {
    std::vector<Provider> providers;  // declared order
    std::vector<Model> models;        // declared order
    std::vector<Route> routes;        // declared order
    PolicyOverrides defaults;         // "defaults": applied over the built-in constants
    ServerLimits server;
    AdminConfig admin;
    bool allow_private_hosts = false;  // global opt-in (local development and tests)
    std::vector<AutoRoute> auto_routes;       // declared order
    std::optional<std::string> utility_model; // route name or provider:model for classifier calls

    std::vector<ResolvedRoute> resolved;  // one per route, same order, filled by load_config

    const Provider* find_provider(std::string_view id) const noexcept;
    const Model* find_model(std::string_view provider, std::string_view id) const noexcept;
    const ResolvedRoute* find_route(std::string_view name) const noexcept;
    const Route* find_declared_route(std::string_view name) const noexcept;
    // The auto route `name` stands for: a declared one, else for "auto" the implicit route whose
    // candidates are every route with a description, in config order (reasoning.md 3.1, reroute
    // choice). nullopt when `name` is not automatic.
    std::optional<AutoRoute> find_auto_route(std::string_view name) const;
    // Who classifies for an auto route: its own classifier, else utility_model (may be absent).
    std::optional<std::string> classifier_of(const AutoRoute& route) const;
    // The built-in defaults with `defaults` applied: what a route root inherits.
    Policies base_policies() const noexcept;
};

// ---------------------------------------------------------------------------------------------
// Loading

// Which environment variables are set. The core never reads the environment: the caller says.
// A default-constructed EnvView knows nothing and turns the env lint off; otherwise every
// credential env and the admin secret env that is not set gives a warning "lint.env_unset".
class EnvView {
public:
    EnvView() = default;
    EnvView(std::set<std::string, std::less<>> names);  // exactly these names are set
    EnvView(std::initializer_list<std::string_view> names);
    explicit EnvView(std::function<bool(std::string_view)> is_set);

    bool known() const noexcept { return static_cast<bool>(is_set_); }
    bool is_set(std::string_view name) const;  // false when not known()

private:
    std::function<bool(std::string_view)> is_set_;
};

enum class Severity : std::uint8_t { error, warning };
std::string_view to_string(Severity severity) noexcept;  // "error", "warning"

struct SourcePosition {
    std::size_t offset = 0;  // byte offset from the start of the text
    std::size_t line = 1;    // 1-based
    std::size_t column = 1;  // 1-based, in bytes
};

// One problem found in the document. Codes are stable (tests, fixtures and the WASM API use
// them):
//   config.syntax           the text is not JSON (position set; path "")
//   config.type             a value of the wrong JSON type
//   config.required         a required member is missing (path names the member)
//   config.unknown_member   a member the schema does not know (typos never pass silently)
//   config.range            a number out of range, or a cross-field rule (cap < base, ...)
//   config.format           a string of the wrong shape (slug, env name, enum value, URL scheme)
//   config.reference        a name that refers to nothing (provider, model, credential, endpoint,
//                           route)
//   config.duplicate        an id or name declared twice
//   config.conflict         members that exclude each other (base_url and endpoints; balance
//                           without strategy loadbalance)
//   config.reserved         a reserved name (a route called "auto" that is not an auto route)
//   config.too_large        the document exceeds a size or nesting limit (kMax* below)
//   host.invalid_url        a base URL that does not parse as an http(s) URL (INVALID_URL)
//   host.blocked            a metadata host, always refused (BLOCKED_HOST)
//   host.private            a private host without opt-in (PRIVATE_HOST_BLOCKED)
//   host.plain_http         warning: plain http:// to a public host
//   lint.cycle              routes referencing each other in a loop (found = the cycle)
//   lint.unreachable        a target no request can reach (after `single`, weight 0 everywhere)
//                           warning for a drained (weight 0) branch when the route still has
//                           others, error when a whole route is unreachable
//   lint.context_window     a fallback with a smaller context window than its primary
//   lint.capability         a fallback missing tools or vision the primary has (error), or
//                           prefill while continuation is allowed (warning)
//   lint.duplicate_credential  the same env name twice on one provider
//   lint.env_unset          warning: an env name the EnvView says is not set
//   lint.exceeds_ceiling    a policy above a server ceiling (max_attempts, deadline_ms)
//   lint.admin_secret_shared   the admin secret env is also a provider credential env
//   lint.reasoning          warning: a route with reasoning "adaptive" none of whose models
//                           declares a reasoning knob (the governor would never steer it)
struct Problem {
    std::string path;      // JSON Pointer (RFC 6901) into the document; "" is the root
    std::string code;      // stable, see above
    std::string found;     // what was there, short (a value, a type, "missing")
    std::string expected;  // what the rule wants, short
    Severity severity = Severity::error;
    std::optional<SourcePosition> position = std::nullopt;  // config.syntax only
};

// Hard limits of the loader, against hostile input.
inline constexpr std::size_t kMaxConfigBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxConfigDepth = 64;
inline constexpr std::size_t kMaxProblems = 1000;  // further problems are dropped
inline constexpr std::size_t kMaxResolvedTargets = 10000;  // per route: targets + groups, after
                                                            // expansion and inlining
inline constexpr std::size_t kMaxResolvedTotal = 100000;   // the same, summed over all routes
inline constexpr std::size_t kMaxRouteNesting = 16;        // routes referencing routes, deepest chain

struct ConfigResult {
    std::optional<Config> config;    // present exactly when no problem has Severity::error
    std::vector<Problem> problems;   // errors and warnings, in document order then lint order

    bool ok() const noexcept { return config.has_value(); }
    std::size_t error_count() const noexcept;
    std::size_t warning_count() const noexcept;
};

// Parses, validates (schema rules, references, uniqueness, ranges), lints and resolves. Every
// problem is reported at once. Never throws; no I/O.
ConfigResult load_config(std::string_view json_text, const EnvView& env = EnvView{});

// One line per problem: "error config.range at /routes/0/retry/max_attempts: found 9, expected
// 1..8". For logs and the CLI.
std::string describe(const Problem& problem);

}  // namespace reroute

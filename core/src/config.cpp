// load_config and the small pieces of config.hpp: names of enums, policy inheritance, lookups,
// the env view and problem rendering. The passes themselves are config_parse.cpp (schema) and
// config_lint.cpp (references, lint, resolution).
#include "reroute/config.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "config_internal.hpp"

namespace reroute {

std::string_view to_string(ApiFormat format) noexcept {
    return format == ApiFormat::anthropic ? "anthropic" : "openai";
}
std::string_view to_string(Prefer prefer) noexcept {
    return prefer == Prefer::next_target ? "next_target" : "same_model_first";
}
std::string_view to_string(Strategy strategy) noexcept {
    switch (strategy) {
        case Strategy::single: return "single";
        case Strategy::fallback: return "fallback";
        case Strategy::loadbalance: return "loadbalance";
    }
    return "fallback";
}
std::string_view to_string(LoadBalance balance) noexcept {
    switch (balance) {
        case LoadBalance::weighted: return "weighted";
        case LoadBalance::least_in_flight: return "least_in_flight";
        case LoadBalance::sticky: return "sticky";
    }
    return "weighted";
}
std::string_view to_string(Continuation continuation) noexcept {
    switch (continuation) {
        case Continuation::off: return "off";
        case Continuation::restart: return "restart";
        case Continuation::continue_: return "continue";
    }
    return "off";
}
std::string_view to_string(RouteReasoning reasoning) noexcept {
    return reasoning == RouteReasoning::adaptive ? "adaptive" : "off";
}
std::string_view to_string(Severity severity) noexcept {
    return severity == Severity::warning ? "warning" : "error";
}

namespace {
template <class T>
void take(T& into, const std::optional<T>& from) {
    if (from) into = *from;
}
}  // namespace

Policies resolve_policies(const Policies& inherited, const PolicyOverrides& o) noexcept {
    Policies p = inherited;
    take(p.retry.max_attempts, o.retry.max_attempts);
    take(p.retry.retries_provider_error, o.retry.retries_provider_error);
    take(p.retry.retries_rate_limited, o.retry.retries_rate_limited);
    take(p.retry.retries_provider_unreachable, o.retry.retries_provider_unreachable);
    take(p.retry.backoff_base_ms, o.retry.backoff_base_ms);
    take(p.retry.backoff_cap_ms, o.retry.backoff_cap_ms);
    take(p.retry.retry_hint_cap_ms, o.retry.retry_hint_cap_ms);
    take(p.retry.budget_min, o.retry.budget_min);
    take(p.retry.budget_percent, o.retry.budget_percent);
    take(p.timeout.connect_timeout_ms, o.timeout.connect_timeout_ms);
    take(p.timeout.first_token_timeout_ms, o.timeout.first_token_timeout_ms);
    take(p.timeout.idle_timeout_ms, o.timeout.idle_timeout_ms);
    take(p.timeout.deadline_ms, o.timeout.deadline_ms);
    take(p.timeout.min_attempt_ms, o.timeout.min_attempt_ms);
    take(p.breaker.consecutive_failures, o.breaker.consecutive_failures);
    take(p.breaker.consecutive_failures_with_alternative, o.breaker.consecutive_failures_with_alternative);
    take(p.breaker.failure_rate_percent, o.breaker.failure_rate_percent);
    take(p.breaker.min_request_volume, o.breaker.min_request_volume);
    take(p.breaker.failure_window_ms, o.breaker.failure_window_ms);
    take(p.breaker.ejection_base_ms, o.breaker.ejection_base_ms);
    take(p.breaker.ejection_max_ms, o.breaker.ejection_max_ms);
    take(p.breaker.jitter_percent, o.breaker.jitter_percent);
    take(p.breaker.max_ejection_percent, o.breaker.max_ejection_percent);
    take(p.classes.route_around_content_filter, o.classes.route_around_content_filter);
    take(p.classes.prefer, o.classes.prefer);
    take(p.classes.continuation_budget, o.classes.continuation_budget);
    return p;
}

const Provider* Config::find_provider(std::string_view id) const noexcept {
    for (const Provider& p : providers)
        if (p.id == id) return &p;
    return nullptr;
}
const Model* Config::find_model(std::string_view provider, std::string_view id) const noexcept {
    for (const Model& m : models)
        if (m.provider == provider && m.id == id) return &m;
    return nullptr;
}
const ResolvedRoute* Config::find_route(std::string_view name) const noexcept {
    for (const ResolvedRoute& r : resolved)
        if (r.name == name) return &r;
    return nullptr;
}
const Route* Config::find_declared_route(std::string_view name) const noexcept {
    for (const Route& r : routes)
        if (r.name == name) return &r;
    return nullptr;
}
std::optional<AutoRoute> Config::find_auto_route(std::string_view name) const {
    for (const AutoRoute& a : auto_routes)
        if (a.name == name) return a;
    if (name != "auto") return std::nullopt;
    AutoRoute implicit;
    implicit.name = "auto";
    for (const Route& r : routes)
        if (!r.description.empty()) implicit.candidates.push_back(r.name);
    return implicit;
}
std::optional<std::string> Config::classifier_of(const AutoRoute& route) const {
    return route.classifier ? route.classifier : utility_model;
}
Policies Config::base_policies() const noexcept { return resolve_policies(Policies{}, defaults); }

EnvView::EnvView(std::set<std::string, std::less<>> names)
    : is_set_([names = std::move(names)](std::string_view n) { return names.find(n) != names.end(); }) {}
EnvView::EnvView(std::initializer_list<std::string_view> names)
    : EnvView(std::set<std::string, std::less<>>(names.begin(), names.end())) {}
EnvView::EnvView(std::function<bool(std::string_view)> is_set) : is_set_(std::move(is_set)) {}
bool EnvView::is_set(std::string_view name) const { return is_set_ && is_set_(name); }

std::size_t ConfigResult::error_count() const noexcept {
    return std::size_t(std::count_if(problems.begin(), problems.end(),
                                     [](const Problem& p) { return p.severity == Severity::error; }));
}
std::size_t ConfigResult::warning_count() const noexcept { return problems.size() - error_count(); }

std::string describe(const Problem& p) {
    std::string s(to_string(p.severity));
    s += ' ';
    s += p.code;
    s += " at ";
    s += p.path.empty() ? std::string("(root)") : p.path;
    s += ": found ";
    s += p.found;
    s += ", expected ";
    s += p.expected;
    return s;
}

namespace config_detail {

void Problems::push(Problem problem) {
    if (out_.size() >= kMaxProblems) return;
    if (problem.severity == Severity::error) ++errors_;
    out_.push_back(std::move(problem));
}
void Problems::add(std::string path, std::string_view code, std::string found, std::string expected,
                   Severity severity) {
    push(Problem{std::move(path), std::string(code), std::move(found), std::move(expected), severity});
}

std::string pointer_token(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}
std::string child_path(std::string_view parent, std::string_view key) {
    std::string out(parent);
    out += '/';
    out += pointer_token(key);
    return out;
}
std::string child_path(std::string_view parent, std::size_t index) {
    std::string out(parent);
    out += '/';
    out += std::to_string(index);
    return out;
}

std::string shorten(std::string_view text, std::size_t max) {
    std::string out;
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';  // one line, no control characters
        out += c;
    }
    if (out.size() <= max) return out;
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
    out.resize(cut);
    out += "...";
    return out;
}
std::string quoted(std::string_view text) {
    std::string out = "\"";
    out += shorten(text);
    out += '"';
    return out;
}

}  // namespace config_detail

ConfigResult load_config(std::string_view json_text, const EnvView& env) {
    ConfigResult result;
    Config config;
    config_detail::Sites sites;
    config_detail::Problems problems(result.problems);
    if (config_detail::parse_document(json_text, config, sites, problems))
        config_detail::check_and_resolve(config, sites, env, problems);

    // A route inlined twice reports its problems once.
    std::set<std::tuple<std::string, std::string, Severity>> seen;
    std::vector<Problem> unique;
    unique.reserve(result.problems.size());
    for (Problem& p : result.problems)
        if (seen.emplace(p.path, p.code, p.severity).second) unique.push_back(std::move(p));
    result.problems = std::move(unique);

    if (result.error_count() == 0) result.config = std::move(config);
    return result;
}

}  // namespace reroute

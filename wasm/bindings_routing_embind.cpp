// Routing bindings, the Embind half: router creation, explain, the health view and admin
// actions, the stream relay's observations, the outcome and decision objects of the text paths,
// and the helper functions. Type mapping only: every decision is the core's. Plain JS data in and
// out; nothing throws (inputs of the wrong JS type are read as absent, numbers must be finite).
// The handles are wrapped by routing.mjs (free(), FinalizationRegistry, the raw wire of
// bindings_routing.cpp); names starting with "_" are internal to that wrapper and not exposed as
// they are. Compiled for size: none of this runs per request on the hot path.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bindings_routing.hpp"
#include "reroute/classify.hpp"
#include "reroute/display.hpp"
#include "reroute/envelope.hpp"
#include "reroute/json.hpp"
#include "reroute/provider_body.hpp"
#include "reroute/redact.hpp"
#include "reroute/retry_hint.hpp"
#include "reroute/scope.hpp"

namespace reroute::wasm_routing {
namespace {

// ---- JS -> core ----

bool is_object(const val& v) { return !v.isNull() && !v.isUndefined() && v.typeOf().as<std::string>() == "object"; }
bool is_array(const val& v) { return v.isArray(); }

std::optional<std::string> opt_string(const val& v) {
    if (v.isString()) return v.as<std::string>();
    return std::nullopt;
}
std::optional<std::string> string_member(const val& o, const char* key) {
    return is_object(o) ? opt_string(o[key]) : std::nullopt;
}
std::optional<double> opt_number(const val& v) {
    if (v.isNumber()) {
        const double d = v.as<double>();
        if (std::isfinite(d)) return d;
    }
    return std::nullopt;
}
std::optional<double> number_member(const val& o, const char* key) {
    return is_object(o) ? opt_number(o[key]) : std::nullopt;
}
bool bool_member(const val& o, const char* key) { return is_object(o) && o[key].isTrue(); }

// Milliseconds as the core's int64 (non-numbers and non-finite values read as `fallback`).
std::int64_t ms(const val& v, std::int64_t fallback = 0) {
    const auto d = opt_number(v);
    if (!d) return fallback;
    if (*d >= 9.0e15) return static_cast<std::int64_t>(9.0e15);
    if (*d <= -9.0e15) return static_cast<std::int64_t>(-9.0e15);
    return static_cast<std::int64_t>(std::floor(*d));
}

bool is_bytes(const val& v) { return v.instanceof(val::global("Uint8Array")); }

// A string (UTF-8) or a Uint8Array (bytes as they are); anything else is empty.
std::string text_or_bytes(const val& v) {
    if (v.isString() || is_bytes(v)) return v.as<std::string>();
    return {};
}

std::vector<std::string> string_array(const val& v) {
    std::vector<std::string> out;
    if (!is_array(v)) return out;
    const auto n = v["length"].as<unsigned>();
    for (unsigned i = 0; i < n; ++i)
        if (auto s = opt_string(v[i])) out.push_back(std::move(*s));
    return out;
}

ErrorValue error_value_from(const val& e) {
    if (e.isUndefined() || e.isNull()) return {};
    if (e.isString()) return ErrorValue::from_text(e.as<std::string>());
    if (!is_object(e) || e.isArray()) {
        ErrorValue v;
        v.kind = ErrorValue::Kind::other;
        return v;
    }
    ErrorValue v = ErrorValue::object();
    v.status = opt_number(e["status"]);
    v.status_code = opt_number(e["statusCode"]);
    const val code = e["code"];
    if (code.isString()) v.code = code.as<std::string>();
    else v.code_number = opt_number(code);
    v.message = opt_string(e["message"]);
    v.name = opt_string(e["name"]);
    const val data = e["data"];
    v.has_data = is_object(data);
    if (v.has_data && !data.isArray()) {
        v.data_code = opt_string(data["code"]);
        v.data_message = opt_string(data["message"]);
    }
    const val nested = e["error"];
    if (is_object(nested) && !nested.isArray()) {
        const val c = nested["code"];
        if (c.isString()) v.error_code = c.as<std::string>();
        else v.error_code_number = opt_number(c);
    }
    return v;
}

// Header pairs from [[name, value]...], a plain record or anything with entries() (Headers).
struct HeaderStore {
    std::vector<std::string> text;
    std::vector<Header> headers;
};
void headers_from(const val& v, HeaderStore& store) {
    val list = val::undefined();
    if (v.isArray()) list = v;
    else if (is_object(v)) {
        if (v["entries"].typeOf().as<std::string>() == "function") {
            const val entries = v.call<val>("entries");  // Headers, Map: an iterator of pairs
            if (is_object(entries)) list = val::global("Array").call<val>("from", entries);
        } else {
            list = val::global("Object").call<val>("entries", v);
        }
    }
    if (!list.isArray()) return;
    const auto n = std::min(list["length"].as<unsigned>(), 256u);
    for (unsigned i = 0; i < n; ++i) {
        const val pair = list[i];
        if (!pair.isArray()) continue;
        auto name = opt_string(pair[0]);
        auto value = opt_string(pair[1]);
        if (!name || !value) continue;
        store.text.push_back(std::move(*name));
        store.text.push_back(std::move(*value));
    }
    for (std::size_t i = 0; i + 1 < store.text.size(); i += 2) store.headers.push_back({store.text[i], store.text[i + 1]});
}

std::optional<Continuation> parse_continuation(std::string_view s) {
    if (s == "off") return Continuation::off;
    if (s == "restart") return Continuation::restart;
    if (s == "continue") return Continuation::continue_;
    return std::nullopt;
}

std::optional<ResourceId> resource_from(const val& v) {
    if (!v.isArray()) return std::nullopt;
    const auto parts = string_array(v);
    if (parts.size() != v["length"].as<unsigned>() || parts.size() < 3 || parts.size() > 4) return std::nullopt;
    const auto kind = parse_resource_kind(parts[0]);
    if (!kind) return std::nullopt;
    return ResourceId::from_parts(*kind, parts[1], parts[2], parts.size() > 3 ? std::string_view(parts[3]) : std::string_view());
}

// ---- core -> JS ----

val str(std::string_view s) { return val(std::string(s)); }
void set_opt(val& o, const char* key, const std::optional<std::string>& s) {
    if (s) o.set(key, *s);
}
void set_opt(val& o, const char* key, const std::optional<double>& d) {
    if (d) o.set(key, *d);
}
val num(std::int64_t v) { return val(static_cast<double>(v)); }

// A copy of the bytes as a Uint8Array.
val bytes_js(std::string_view s) {
    return val::global("Uint8Array").new_(emscripten::typed_memory_view(s.size(), reinterpret_cast<const std::uint8_t*>(s.data())));
}

val problem_js(const Problem& p) {
    val o = val::object();
    o.set("path", p.path);
    o.set("code", p.code);
    o.set("found", p.found);
    o.set("expected", p.expected);
    o.set("message", describe(p));
    o.set("severity", str(to_string(p.severity)));
    if (p.position) {
        o.set("line", static_cast<double>(p.position->line));
        o.set("column", static_cast<double>(p.position->column));
        o.set("offset", static_cast<double>(p.position->offset));
    }
    return o;
}
val problems_js(const std::vector<Problem>& problems, std::optional<Severity> only = std::nullopt) {
    val out = val::array();
    for (const Problem& p : problems)
        if (!only || p.severity == *only) out.call<void>("push", problem_js(p));
    return out;
}
val failed(const std::vector<Problem>& problems, bool bad_request = false) {
    val o = val::object();
    o.set("ok", false);
    if (bad_request) o.set("status", 400);
    o.set("problems", problems_js(problems));
    return o;
}
val facts_js(const ErrorValue& e) {
    switch (e.kind) {
        case ErrorValue::Kind::string: return val(e.text);
        case ErrorValue::Kind::object: break;
        default: return val::undefined();
    }
    val o = val::object();
    set_opt(o, "status", e.status);
    set_opt(o, "statusCode", e.status_code);
    if (e.code) o.set("code", *e.code);
    else set_opt(o, "code", e.code_number);
    set_opt(o, "message", e.message);
    set_opt(o, "name", e.name);
    if (e.has_data) {
        val d = val::object();
        set_opt(d, "code", e.data_code);
        set_opt(d, "message", e.data_message);
        o.set("data", d);
    }
    if (e.error_code || e.error_code_number) {
        val n = val::object();
        if (e.error_code) n.set("code", *e.error_code);
        else set_opt(n, "code", e.error_code_number);
        o.set("error", n);
    }
    return o;
}

val capabilities_js(const Capabilities& c) {
    val o = val::object();
    o.set("tools", c.tools);
    o.set("vision", c.vision);
    o.set("prefill", c.prefill);
    o.set("reasoning", c.reasoning);
    return o;
}

val failure_js(const stream::Failure& f) {
    val o = val::object();
    o.set("kind", str(to_string(f.kind)));
    if (f.code) o.set("code", str(to_string(*f.code)));
    val facts = facts_js(f.facts);
    if (!facts.isUndefined()) o.set("error", facts);
    o.set("message", f.raw);
    set_opt(o, "retryAfterMs", f.retry_after_ms);
    o.set("afterCommit", f.after_commit);
    return o;
}

val usage_js(const std::optional<stream::Usage>& u) {
    if (!u) return val::undefined();
    val o = val::object();
    set_opt(o, "promptTokens", u->prompt_tokens);
    set_opt(o, "completionTokens", u->completion_tokens);
    set_opt(o, "totalTokens", u->total_tokens);
    o.set("json", u->json);
    return o;
}

val relay_options_js(const stream::RelayOptions& r) {
    val o = val::object();
    o.set("holdLimit", static_cast<double>(r.hold_limit));
    o.set("maxEventBytes", static_cast<double>(r.max_event_bytes));
    o.set("prelude", r.prelude);
    o.set("dropPreamble", r.drop_preamble);
    o.set("partialPrefix", r.partial_prefix);
    return o;
}

stream::RelayOptions relay_options_from(const val& v) {
    stream::RelayOptions r;
    if (!is_object(v)) return r;
    if (auto d = number_member(v, "holdLimit"); d && *d >= 0) r.hold_limit = static_cast<std::size_t>(std::min(*d, 1.0e9));
    if (auto d = number_member(v, "maxEventBytes"); d && *d >= 1) r.max_event_bytes = static_cast<std::size_t>(std::min(*d, 1.0e9));
    r.prelude = text_or_bytes(v["prelude"]);
    r.drop_preamble = bool_member(v, "dropPreamble");
    r.partial_prefix = string_member(v, "partialPrefix").value_or("");
    return r;
}

val continuation_plan_js(const stream::ContinuationPlan& p) {
    val o = val::object();
    o.set("action", str(stream::to_string(p.action)));
    o.set("reason", str(p.reason));
    if (p.action == stream::ContinuationAction::prefill) o.set("prefillMessage", p.prefill_message);
    if (p.action != stream::ContinuationAction::end_with_error) o.set("next", relay_options_js(p.next));
    return o;
}

Request request_from(const val& r, std::vector<Problem>& problems) {
    Request req;
    if (!is_object(r)) {
        problems.push_back(Problem{"/model", "request.reference", "no request", "a route name or provider:model"});
        return req;
    }
    // The body's `model` as the client sent it: anything but a string is named as what it is.
    if (const val route = r["route"]; route.isString()) req.route = route.as<std::string>();
    else problems.push_back(Problem{"/model", "request.type", route.isUndefined() ? "missing" : "not a string",
                                    "a route name or a provider:model ref (a string)"});
    req.conversation_id = string_member(r, "conversationId").value_or("");
    req.prompt_tokens = std::max<std::int64_t>(0, ms(r["promptTokens"]));
    if (auto m = number_member(r, "maxOutputTokens"); m && *m >= 0) req.max_output_tokens = static_cast<std::int64_t>(std::min(*m, 9.0e15));
    req.needs_tools = bool_member(r, "needsTools");
    req.needs_vision = bool_member(r, "needsVision");
    // The JS wrapper turns a body (text, bytes or object) into its JSON text.
    if (auto body = string_member(r, "bodyText")) read_body_facts(*body, req);
    req.overrides_path = string_member(r, "overridesPath").value_or("/reroute");
    // The JS wrapper turns an overrides object into its JSON text (overridesText); a value that
    // JSON cannot carry arrives as overridesInvalid.
    if (bool_member(r, "overridesInvalid")) {
        problems.push_back(Problem{req.overrides_path, "request.type", "not JSON", "a JSON object"});
    } else if (auto text = string_member(r, "overridesText")) {
        OverridesResult o = parse_overrides(*text, req.overrides_path);
        if (o.overrides) req.overrides = std::move(*o.overrides);
        else problems.insert(problems.end(), o.problems.begin(), o.problems.end());
    }
    return req;
}

double address_of(const Handle* h) { return static_cast<double>(reinterpret_cast<std::uintptr_t>(h)); }

Problem health_problem(const std::string& error) {
    const auto colon = error.find(": ");
    std::string path = colon == std::string::npos ? std::string() : error.substr(0, colon);
    std::string what = colon == std::string::npos ? error : error.substr(colon + 2);
    return Problem{std::move(path), "health.invalid", "invalid", what.empty() ? "a state written by Health.serialize()" : what};
}

val admin_result(Reason r, bool valid) {
    val o = val::object();
    o.set("ok", valid);
    o.set("reason", str(to_string(r)));
    return o;
}

stream::ErrorEnding ending_from(const val& v) {
    stream::ErrorEnding e;
    if (!is_object(v)) return e;
    e.code = parse_error_code(string_member(v, "code").value_or("")).value_or(ErrorCode::generic);
    e.provider = string_member(v, "provider");
    e.model = string_member(v, "model");
    e.tried = number_member(v, "tried");
    e.raw = string_member(v, "raw").value_or("");
    e.retry_after_ms = number_member(v, "retryAfterMs");
    e.chunk_id = string_member(v, "chunkId").value_or("");
    e.chunk_model = string_member(v, "chunkModel").value_or("");
    e.created = number_member(v, "created").value_or(0);
    e.trail = text_or_bytes(v["trail"]);
    return e;
}

}  // namespace

val HealthHandle::merge(val text) {
    std::string error;
    auto other = HealthState::from_json(opt_string(text).value_or(""), state.params(), &error);
    if (!other) return failed({health_problem(error)});
    state = HealthState::merge(state, *other);
    val o = val::object();
    o.set("ok", true);
    o.set("size", static_cast<double>(state.size()));
    return o;
}

val HealthHandle::totals() const {
    const HealthTotals& t = state.totals();
    val o = val::object();
    o.set("successes", static_cast<double>(t.successes));
    o.set("localFailures", static_cast<double>(t.local_failures));
    o.set("upstreamFailures", static_cast<double>(t.upstream_failures));
    o.set("ejections", static_cast<double>(t.ejections));
    o.set("suppressedEjections", static_cast<double>(t.suppressed_ejections));
    o.set("probes", static_cast<double>(t.probes));
    o.set("benches", static_cast<double>(t.benches));
    o.set("coolings", static_cast<double>(t.coolings));
    return o;
}

val HealthHandle::view(val now_v) const {
    const std::int64_t now = ms(now_v);
    val list = val::array();
    state.for_each([&](const ResourceId& id, const HealthEntry& e) {
        val r = val::object();
        r.set("id", val::global("JSON").call<val>("parse", id.to_json()));
        r.set("kind", str(to_string(id.kind())));
        r.set("provider", str(id.provider()));
        if (auto key = id.scope_key(); !key.empty()) r.set("scopeKey", key);
        if (e.bench) {
            const Bench& b = *e.bench;
            val bo = val::object();
            bo.set("code", str(to_string(b.code)));
            bo.set("sinceMs", num(b.since_ms));
            bo.set("untilMs", b.until_ms == kNever ? val::null() : num(b.until_ms));
            bo.set("admin", b.admin);
            bo.set("restored", b.restored);
            bo.set("active", b.active(now));
            r.set("bench", bo);
        }
        if (e.breaker) {
            const BreakerState& s = *e.breaker;
            val bo = val::object();
            bo.set("status", str(to_string(breaker::status(s, now))));
            bo.set("ejectedAtMs", num(s.ejected_at_ms));
            bo.set("ejectUntilMs", num(s.eject_until_ms));
            bo.set("ejectMs", num(s.eject_ms));
            bo.set("n", static_cast<double>(s.n));
            bo.set("consecutive", static_cast<double>(s.consecutive));
            bo.set("probeUntilMs", num(s.probe_until_ms));
            bo.set("successes", static_cast<double>(s.successes));
            bo.set("localFailures", static_cast<double>(s.local_failures));
            bo.set("upstreamFailures", static_cast<double>(s.upstream_failures));
            bo.set("ejections", static_cast<double>(s.ejections));
            r.set("breaker", bo);
        }
        list.call<void>("push", r);
    });
    val o = val::object();
    o.set("size", static_cast<double>(state.size()));
    o.set("totals", totals());
    o.set("resources", list);
    return o;
}

val HealthHandle::reset_breaker(val resource, val now_v) {
    const std::int64_t now = ms(now_v);
    val o = val::object();
    if (resource.isUndefined() || resource.isNull()) {
        const std::size_t n = state.reset_all_breakers(now);
        o.set("ok", true);
        o.set("reason", str(to_string(n ? Reason::admin_reset : Reason::no_effect)));
        o.set("count", static_cast<double>(n));
        return o;
    }
    const auto id = resource_from(resource);
    const Reason r = id ? state.reset_breaker(*id, now) : Reason::no_effect;
    o.set("ok", id.has_value());
    o.set("reason", str(to_string(r)));
    o.set("count", r == Reason::no_effect ? 0 : 1);
    return o;
}

val HealthHandle::retire_credential(val provider, val fingerprint, val now) {
    return admin_result(state.retire_credential(opt_string(provider).value_or(""), opt_string(fingerprint).value_or(""), ms(now)),
                        provider.isString() && fingerprint.isString());
}

val HealthHandle::restore_credential(val provider, val fingerprint, val now) {
    return admin_result(state.restore_credential(opt_string(provider).value_or(""), opt_string(fingerprint).value_or(""), ms(now)),
                        provider.isString() && fingerprint.isString());
}

val HealthHandle::clear_bench(val resource, val now) {
    const auto id = resource_from(resource);
    return admin_result(id ? state.clear_bench(*id, ms(now)) : Reason::no_effect, id.has_value());
}

val AttemptsHandle::decision_js() const {
    val o = kind_ == Decision::Kind::attempt ? attempt_js(*last()) : final_js(final_ ? *final_ : Final{});
    if (!attempts_.trail().empty()) o.set("trail", trail());
    return o;
}

val AttemptsHandle::report(val outcome, HealthState& health, val now_v) {
    const std::int64_t now = ms(now_v);
    const Outcome o = outcome_from(outcome, now);
    const auto [accepted, code] = report_outcome(o, health, now);
    val r = val::object();
    r.set("accepted", accepted);
    r.set("kind", str(to_string(o.kind)));
    if (code) r.set("code", str(to_string(*code)));
    std::string_view m;
    if (o.error.kind == ErrorValue::Kind::string) m = o.error.text;
    else if (o.error.message) m = *o.error.message;
    if (!m.empty()) r.set("message", redact_secrets(m.substr(0, 2000)));
    set_opt(r, "retryAfterMs", o.retry_after_ms);
    return r;
}

val AttemptsHandle::info() const {
    val o = val::object();
    o.set("attemptsMade", attempts_.attempts_made());
    o.set("distinctTargetsTried", static_cast<double>(attempts_.distinct_targets_tried()));
    o.set("deadlineAtMs", num(attempts_.deadline_at_ms()));
    o.set("maxAttempts", attempts_.max_attempts());
    o.set("finished", attempts_.finished());
    o.set("continuation", str(to_string(attempts_.continuation())));
    o.set("continuationBudget", attempts_.continuation_budget());
    return o;
}

val AttemptsHandle::continue_stream(const StreamRelay* failed) {
    return continuation_plan_js(attempts_.continue_stream(failed));
}

val AttemptsHandle::trail_entries() const {
    val out = val::array();
    for (const TrailEntry& t : attempts_.trail()) {
        val e = val::object();
        e.set("target", static_cast<double>(t.target));
        e.set("ref", t.ref);
        e.set("endpointId", t.endpoint_id);
        e.set("fingerprint", t.fingerprint);
        e.set("code", str(to_string(t.code)));
        e.set("kind", str(to_string(t.kind)));
        e.set("durationMs", num(t.duration_ms));
        out.call<void>("push", e);
    }
    return out;
}

Outcome AttemptsHandle::outcome_from(const val& v, std::int64_t now) const {
    Outcome o;
    const auto kind_name = string_member(v, "kind");
    const auto kind = kind_name ? parse_outcome_kind(*kind_name) : std::nullopt;
    o.kind = kind.value_or(OutcomeKind::http_error);  // unknown kinds count as a failure
    if (auto c = string_member(v, "code")) o.code = parse_error_code(*c);
    o.duration_ms = std::max<std::int64_t>(0, ms(is_object(v) ? v["durationMs"] : val::undefined()));
    o.bytes_received = std::max<std::int64_t>(0, ms(is_object(v) ? v["bytesReceived"] : val::undefined()));
    if (o.kind == OutcomeKind::success || o.kind == OutcomeKind::cancelled || !is_object(v)) return o;

    const val error = v["error"];
    const auto body = string_member(v, "body");
    const auto event = string_member(v, "event");
    const auto data = string_member(v, "data");
    const auto transport_code = string_member(v, "transportCode");
    const auto message = string_member(v, "message");
    HeaderStore headers;
    headers_from(v["headers"], headers);
    ObservedFailure seen;
    if (!error.isUndefined() && !error.isNull()) seen.error = error_value_from(error);
    seen.status = number_member(v, "status");
    seen.body = body;
    seen.event = event;
    seen.data = data;
    seen.transport_code = transport_code;
    seen.message = message;
    seen.retry_after_ms = number_member(v, "retryAfterMs");
    seen.headers = std::move(headers.headers);
    read_failure(o, seen, now);
    return o;
}

val AttemptsHandle::target_js() const {
    val o = val::object();
    if (const Attempt* a = last()) {
        put_target(o, *a);
        o.set("header", served_by_header(*a));
    }
    return o;
}

void AttemptsHandle::put_target(val& o, const Attempt& a) const {
    o.set("provider", a.provider);
    const Config& c = core_->config;
    const Provider* p = c.find_provider(a.provider);
    o.set("apiFormat", str(to_string(p ? p->api_format : ApiFormat::openai)));
    o.set("endpointId", a.endpoint_id);
    o.set("baseUrl", a.base_url);
    set_opt(o, "credentialEnv", a.credential_env);
    o.set("fingerprint", a.fingerprint);
    o.set("model", a.model);
    o.set("upstreamModel", a.upstream_model);
    o.set("ref", a.ref);
    const Model* m = c.find_model(a.provider, a.model);
    o.set("capabilities", capabilities_js(m ? m->capabilities : Capabilities{}));
}

val AttemptsHandle::attempt_js(const Attempt& a) const {
    val o = val::object();
    o.set("kind", str("attempt"));
    o.set("target", static_cast<double>(a.target));
    o.set("number", a.number);
    put_target(o, a);
    o.set("servedBy", served_by_header(a));
    val t = val::object();
    t.set("connectMs", num(a.timeouts.connect_ms));
    t.set("firstTokenMs", num(a.timeouts.first_token_ms));
    t.set("idleMs", num(a.timeouts.idle_ms));
    o.set("timeouts", t);
    o.set("waitMs", num(a.wait_ms));
    o.set("startMs", num(a.start_ms));
    o.set("deadlineAtMs", num(a.deadline_at_ms));
    o.set("reason", str(to_string(a.reason)));
    o.set("isProbe", a.is_probe);
    o.set("sameTargetRetry", a.same_target_retry);
    set_opt(o, "notice", a.notice);
    return o;
}

val AttemptsHandle::served_by_js(const Attempt& a) const {
    val o = val::object();
    o.set("target", static_cast<double>(a.target));
    o.set("provider", a.provider);
    o.set("endpointId", a.endpoint_id);
    o.set("baseUrl", a.base_url);
    o.set("fingerprint", a.fingerprint);
    o.set("model", a.model);
    o.set("upstreamModel", a.upstream_model);
    o.set("ref", a.ref);
    o.set("header", served_by_header(a));
    return o;
}

const Attempt* AttemptsHandle::last() const {
    if (!attempts_.attempts_made()) return nullptr;
    if (!last_) {
        last_ = attempts_.last_attempt();
        attempts_.fill_texts(*last_);
    }
    return &*last_;
}

val AttemptsHandle::final_js(const Final& f) const {
    val o = val::object();
    o.set("kind", str("final"));
    o.set("ok", f.ok());
    o.set("reason", str(to_string(f.reason)));
    o.set("status", f.http_status);
    if (f.code) {
        o.set("code", str(to_string(*f.code)));
        const std::string envelope = encode_envelope(f.envelope);
        const std::string sentence = content_sentence(*f.code, f.envelope.provider, f.envelope.model);
        o.set("envelope", envelope);
        o.set("message", sentence);
        // As JSON.stringify({error:{message,type,code,envelope}}) writes it.
        std::string body = R"({"error":{"message":)";
        json::write_string(body, sentence);
        body += R"(,"type":)";
        json::write_string(body, to_string(*f.code));
        body += R"(,"code":)";
        json::write_string(body, to_string(*f.code));
        body += R"(,"envelope":)";
        json::write_string(body, envelope);
        body += "}}";
        o.set("errorBody", body);
    }
    if (f.retry_after_ms) {
        o.set("retryAfterMs", num(*f.retry_after_ms));
        o.set("retryAfter", std::to_string((std::max<std::int64_t>(0, *f.retry_after_ms) + 999) / 1000));
    }
    o.set("attempts", f.attempts);
    o.set("tried", static_cast<double>(attempts_.distinct_targets_tried()));
    if (const Attempt* a = last(); f.served_by && a && a->target == *f.served_by) o.set("servedBy", served_by_js(*a));
    return o;
}

val RouterHandle::routes() const {
    const Config& c = core_->config;
    val out = val::array();
    for (const ResolvedRoute& r : c.resolved) {
        val o = val::object();
        o.set("name", r.name);
        if (!r.groups.empty()) {
            o.set("strategy", str(to_string(r.groups[0].strategy)));
            if (r.groups[0].strategy == Strategy::loadbalance) o.set("balance", str(to_string(r.groups[0].balance)));
        }
        val targets = val::array();
        for (const ResolvedTarget& t : r.targets) {
            val ti = val::object();
            ti.set("index", static_cast<double>(t.index));
            ti.set("ref", t.provider + ":" + t.model);
            ti.set("provider", t.provider);
            ti.set("apiFormat", str(to_string(t.api_format)));
            ti.set("endpointId", t.endpoint_id);
            ti.set("baseUrl", t.base_url);
            set_opt(ti, "credentialId", t.credential_id);
            set_opt(ti, "credentialEnv", t.credential_env);
            ti.set("model", t.model);
            ti.set("upstreamModel", t.upstream_model);
            const Model* m = t.model_index < c.models.size() ? &c.models[t.model_index] : nullptr;
            ti.set("contextWindow", num(m ? m->context_window : 0));
            ti.set("maxOutputTokens", num(m ? m->max_output_tokens : 0));
            ti.set("capabilities", capabilities_js(m ? m->capabilities : Capabilities{}));
            ti.set("drained", t.drained);
            targets.call<void>("push", ti);
        }
        o.set("targets", targets);
        out.call<void>("push", o);
    }
    return out;
}

val RouterHandle::models() const {
    val out = val::array();
    for (const Model& m : core_->config.models) {
        val o = val::object();
        o.set("ref", m.provider + ":" + m.id);
        o.set("provider", m.provider);
        o.set("id", m.id);
        o.set("upstreamId", m.upstream_id());
        o.set("contextWindow", num(m.context_window));
        o.set("maxOutputTokens", num(m.max_output_tokens));
        set_opt(o, "inputPrice", m.input_price);
        set_opt(o, "outputPrice", m.output_price);
        o.set("capabilities", capabilities_js(m.capabilities));
        o.set("free", is_free_model(m.id, m.input_price, m.output_price));
        out.call<void>("push", o);
    }
    return out;
}

val RouterHandle::limits() const {
    const Config& c = core_->config;
    val o = val::object();
    o.set("maxAttempts", c.server.max_attempts);
    o.set("deadlineMs", num(c.server.deadline_ms));
    o.set("continuation", str(to_string(c.server.continuation)));
    o.set("continuationBudget", c.server.continuation_budget);
    o.set("allowDisableFallbacks", c.server.allow_disable_fallbacks);
    set_opt(o, "adminSecretEnv", c.admin.secret_env);
    val envs = val::array();
    std::vector<std::string> seen;
    for (const Provider& p : c.providers)
        for (const Credential& cr : p.credentials)
            if (std::find(seen.begin(), seen.end(), cr.env) == seen.end()) {
                seen.push_back(cr.env);
                envs.call<void>("push", cr.env);
            }
    o.set("credentialEnvs", envs);
    return o;
}

val RouterHandle::start(val request, val now_v) {
    std::vector<Problem> problems;
    Request req = request_from(request, problems);
    if (!problems.empty()) return failed(problems, true);
    AttemptsHandle* a = start_request(std::nullopt, req, ms(now_v), number_member(request, "seed").value_or(0), problems);
    if (!a) return failed(problems, true);
    val o = val::object();
    o.set("ok", true);
    o.set("attempts", address_of(a));
    return o;
}

val RouterHandle::explain(val request, HealthState& health, val now_v) {
    std::vector<Problem> problems;
    Request req = request_from(request, problems);
    const std::int64_t now = ms(now_v);
    if (problems.empty()) {
        StartResult st = core_->planner->start(req, nullptr, now);
        if (!st.attempts) problems = std::move(st.problems);
    }
    if (!problems.empty()) return failed(problems, true);
    val plan = val::array();
    for (const Explained& e : core_->planner->explain(req, health, now)) {
        val x = val::object();
        x.set("target", static_cast<double>(e.target));
        x.set("ref", e.ref);
        x.set("endpointId", e.endpoint_id);
        set_opt(x, "credentialId", e.credential_id);
        x.set("use", e.use);
        x.set("reason", str(to_string(e.reason)));
        if (e.resource) x.set("resource", str(to_string(*e.resource)));
        if (e.until_ms == kNever) x.set("untilMs", val::null());
        else if (e.until_ms) x.set("untilMs", num(e.until_ms));
        plan.call<void>("push", x);
    }
    val o = val::object();
    o.set("ok", true);
    o.set("plan", plan);
    return o;
}

val RouterHandle::traffic() const {
    val out = val::array();
    for (const ResolvedRoute& r : core_->config.resolved) {
        const RouteTraffic* t = core_->traffic.find(r.name);
        if (!t) continue;
        val o = val::object();
        o.set("route", r.name);
        o.set("activeRequests", static_cast<double>(t->budget.active_requests()));
        o.set("retriesInFlight", static_cast<double>(t->budget.retries_in_flight()));
        o.set("budgetRefusals", static_cast<double>(t->budget.refusals()));
        val in_flight = val::array();
        for (std::int32_t n : t->in_flight) in_flight.call<void>("push", n);
        o.set("inFlight", in_flight);
        out.call<void>("push", o);
    }
    return out;
}

val RelayHandle::feed_js(val bytes) {
    feed(text_or_bytes(bytes));
    val o = val::object();
    o.set("out", bytes_js(step_.out));
    o.set("committed", step_.committed);
    o.set("done", step_.done);
    if (step_.failure) o.set("failure", failure_js(*step_.failure));
    return o;
}

val RelayHandle::end_of_upstream(val trail) {
    const stream::End e = relay_.end_of_upstream(text_or_bytes(trail));
    val o = val::object();
    o.set("complete", e.complete);
    o.set("committed", e.committed);
    o.set("doneAdded", e.done_added);
    o.set("out", bytes_js(e.out));
    if (e.failure) o.set("failure", failure_js(*e.failure));
    return o;
}

val RelayHandle::fail(val kind, val facts) {
    const auto name = opt_string(kind);
    const auto k = name ? stream::parse_outcome_kind(*name) : std::nullopt;
    ErrorValue e;
    const auto code = string_member(facts, "transportCode");
    const auto message = string_member(facts, "message");
    if (code || message) e = error_from_transport(code.value_or(""), message.value_or(""));
    return failure_js(relay_.fail(k.value_or(stream::OutcomeKind::reset), std::move(e), message.value_or("")));
}

val RelayHandle::failure() const { return relay_.failure() ? failure_js(*relay_.failure()) : val::undefined(); }

val RelayHandle::state() const {
    val o = val::object();
    o.set("committed", relay_.committed());
    o.set("doneSeen", relay_.done_seen());
    o.set("finishReason", relay_.finish_reason());
    o.set("produced", relay_.produced());
    o.set("hasToolCalls", relay_.has_tool_calls());
    val u = usage_js(relay_.usage());
    if (!u.isUndefined()) o.set("usage", u);
    o.set("model", relay_.model());
    o.set("chunkId", relay_.chunk_id());
    o.set("created", relay_.created().value_or(0));
    o.set("heldBytes", static_cast<double>(relay_.held_bytes()));
    return o;
}

val RelayHandle::plan_continuation(val mode, val next_supports_prefill) const {
    const auto m = parse_continuation(opt_string(mode).value_or("off")).value_or(Continuation::off);
    return continuation_plan_js(stream::plan_continuation(m, relay_, next_supports_prefill.isTrue()));
}

val RelayHandle::error_ending(val input) const {
    stream::ErrorEnding e = ending_from(input);
    e.chunk_id = relay_.chunk_id();
    e.chunk_model = relay_.model();
    e.created = relay_.created().value_or(0);
    return bytes_js(stream::error_ending(e));
}

namespace {

val create_router(val config_json, val keys, val options) {
    KeyFingerprints fingerprints;
    std::set<std::string, std::less<>> set_env;
    bool env_known = false;
    if (is_object(keys) && !keys.isArray()) {
        env_known = true;
        const val entries = val::global("Object").call<val>("entries", keys);
        const auto n = entries["length"].as<unsigned>();
        for (unsigned i = 0; i < n; ++i) {
            const val pair = entries[i];
            auto name = opt_string(pair[0]);
            auto fp = opt_string(pair[1]);
            if (!name || !fp) continue;
            set_env.insert(*name);
            fingerprints[*name] = std::move(*fp);
        }
    }
    if (is_object(options)) {
        const val extra = options["setEnv"];
        if (extra.isArray()) {
            env_known = true;
            for (auto& name : string_array(extra)) set_env.insert(std::move(name));
        }
    }
    const auto text = opt_string(config_json);
    if (!text) return failed({Problem{"", "config.type", "not a string", "the config document as JSON text"}});
    ConfigResult r = load_config(*text, env_known ? EnvView(std::move(set_env)) : EnvView{});
    if (!r.ok()) return failed(r.problems);
    auto core = std::make_shared<RouterCore>();
    core->config = std::move(*r.config);
    core->planner.emplace(core->config, std::move(fingerprints));
    val o = val::object();
    o.set("ok", true);
    o.set("router", address_of(new RouterHandle(std::move(core))));
    o.set("warnings", problems_js(r.problems, Severity::warning));
    return o;
}

val parse_overrides_js(val text_or_invalid, val base_path) {
    // The wrapper passes JSON text, or undefined when the value is not JSON-serializable.
    const std::string base = opt_string(base_path).value_or("/reroute");
    const auto text = opt_string(text_or_invalid);
    if (!text) return failed({Problem{base, "request.type", "not JSON", "a JSON object"}});
    OverridesResult r = parse_overrides(*text, base);
    if (!r.overrides) return failed(r.problems);
    const RequestOverrides& o = *r.overrides;
    val out = val::object();
    if (o.disable_fallbacks) out.set("disable_fallbacks", *o.disable_fallbacks);
    if (o.max_attempts) out.set("max_attempts", *o.max_attempts);
    if (o.deadline_ms) out.set("deadline_ms", num(*o.deadline_ms));
    auto list = [](const std::vector<std::string>& v) {
        val a = val::array();
        for (const auto& s : v) a.call<void>("push", s);
        return a;
    };
    if (o.allowed_providers) out.set("allowed_providers", list(*o.allowed_providers));
    if (o.allowed_models) out.set("allowed_models", list(*o.allowed_models));
    if (o.continuation) out.set("continuation", str(to_string(*o.continuation)));
    val result = val::object();
    result.set("ok", true);
    result.set("overrides", out);
    return result;
}

val create_health(val serialized) {
    val o = val::object();
    if (serialized.isUndefined() || serialized.isNull()) {
        o.set("ok", true);
        o.set("health", address_of(new HealthHandle()));
        return o;
    }
    std::string error;
    auto state = HealthState::from_json(opt_string(serialized).value_or(""), HealthParams{}, &error);
    if (!state) return failed({health_problem(error.empty() ? std::string(": a JSON string") : error)});
    o.set("ok", true);
    o.set("health", address_of(new HealthHandle(std::move(*state))));
    return o;
}

double create_relay(val options) { return address_of(new RelayHandle(relay_options_from(options))); }

// ---- helpers ----

val error_from_response_js(val status, val body) {
    const auto s = opt_number(status);
    return facts_js(error_from_response(s && std::abs(*s) < 1e6 ? static_cast<int>(*s) : 0, text_or_bytes(body)));
}
val error_from_stream_event_js(val event, val data) {
    auto e = error_from_stream_event(opt_string(event).value_or(""), text_or_bytes(data));
    return e ? facts_js(*e) : val::null();
}
val error_from_transport_js(val code, val message) {
    return facts_js(error_from_transport(opt_string(code).value_or(""), opt_string(message).value_or("")));
}
val retry_after_ms_js(val headers, val now) {
    HeaderStore store;
    headers_from(headers, store);
    const auto ms_value = retry_after_ms(store.headers, opt_number(now).value_or(0));
    return ms_value ? val(*ms_value) : val::undefined();
}
val retry_after_ms_from_text_js(val message) {
    const auto ms_value = retry_after_ms_from_text(opt_string(message).value_or(""));
    return ms_value ? val(*ms_value) : val::undefined();
}
std::string redact_secrets_js(val text) { return redact_secrets(opt_string(text).value_or("")); }
int http_status_for_js(val code, val timed_out) {
    return http_status_for(parse_error_code(opt_string(code).value_or("")).value_or(ErrorCode::generic), timed_out.isTrue());
}
val error_ending_js(val input) { return bytes_js(stream::error_ending(ending_from(input))); }
val fallback_event_js(val notice) {
    std::string out;
    stream::fallback_event(out, opt_string(notice).value_or(""));
    return bytes_js(out);
}
val restart_event_js(val data) {
    std::string out;
    stream::restart_event(out, opt_string(data).value_or("{}"));
    return bytes_js(out);
}
val trail_event_js(val trail_json) {
    std::string out;
    stream::trail_event(out, opt_string(trail_json).value_or("[]"));
    return bytes_js(out);
}
val check_completion_body_js(val body) {
    const stream::BodyCheck c = stream::check_completion_body(text_or_bytes(body));
    val o = val::object();
    o.set("ok", c.ok());
    o.set("model", c.model);
    val u = usage_js(c.usage);
    if (!u.isUndefined()) o.set("usage", u);
    if (c.failure) o.set("failure", failure_js(*c.failure));
    return o;
}
val completion_failure() {
    const auto& f = last_completion_failure();
    return f ? failure_js(*f) : val::undefined();
}

val plan_continuation_js(val input) {
    const auto mode = parse_continuation(string_member(input, "mode").value_or("off")).value_or(Continuation::off);
    return continuation_plan_js(stream::plan_continuation(mode, string_member(input, "partialText").value_or(""),
                                                         bool_member(input, "unfinishedToolCall"),
                                                         bool_member(input, "hasToolCalls"),
                                                         bool_member(input, "nextSupportsPrefill")));
}

// ---- Embind entry points over handle addresses (wrapped by routing.mjs) ----

using Address = std::uintptr_t;

val router_routes(Address r) { auto* h = as<RouterHandle>(r); return h ? h->routes() : val::array(); }
val router_models(Address r) { auto* h = as<RouterHandle>(r); return h ? h->models() : val::array(); }
val router_limits(Address r) { auto* h = as<RouterHandle>(r); return h ? h->limits() : val::undefined(); }
val router_traffic(Address r) { auto* h = as<RouterHandle>(r); return h ? h->traffic() : val::array(); }
val router_start(Address r, val request, val now) {
    auto* h = as<RouterHandle>(r);
    return h ? h->start(request, now) : failed({Problem{"", "request.router", "freed", "a live router"}}, true);
}
val router_explain(Address r, val request, Address health, val now) {
    auto* h = as<RouterHandle>(r);
    return h ? h->explain(request, health_at(health), now) : failed({Problem{"", "request.router", "freed", "a live router"}}, true);
}

val attempts_decision(Address a) { auto* h = as<AttemptsHandle>(a); return h ? h->decision_js() : val::undefined(); }
val attempts_next(Address a, Address health, val now, val seed) {
    auto* h = as<AttemptsHandle>(a);
    if (!h) return val::undefined();
    h->step(health_at(health), ms(now), opt_number(seed));
    return h->decision_js();
}
val attempts_target(Address a) { auto* h = as<AttemptsHandle>(a); return h ? h->target_js() : val::undefined(); }
val attempts_report(Address a, val outcome, Address health, val now) {
    auto* h = as<AttemptsHandle>(a);
    return h ? h->report(outcome, health_at(health), now) : val::undefined();
}
std::string attempts_trail(Address a) { auto* h = as<AttemptsHandle>(a); return h ? h->trail() : std::string(); }
val attempts_trail_entries(Address a) { auto* h = as<AttemptsHandle>(a); return h ? h->trail_entries() : val::array(); }
val attempts_info(Address a) { auto* h = as<AttemptsHandle>(a); return h ? h->info() : val::undefined(); }
bool attempts_may_continue_stream(Address a) { auto* h = as<AttemptsHandle>(a); return h && h->may_continue_stream(); }
val attempts_continue_stream(Address a, Address relay) {
    auto* h = as<AttemptsHandle>(a);
    const RelayHandle* r = as<RelayHandle>(relay);
    return h ? h->continue_stream(r ? &r->relay() : nullptr) : val::undefined();
}

std::string health_serialize(Address a) { auto* h = as<HealthHandle>(a); return h ? h->state.to_json() : std::string(); }
val health_merge(Address a, val text) { auto* h = as<HealthHandle>(a); return h ? h->merge(text) : val::undefined(); }
val health_prune(Address a, val now) {
    auto* h = as<HealthHandle>(a);
    return h ? val(static_cast<double>(h->state.prune(ms(now)))) : val::undefined();
}
val health_size(Address a) { auto* h = as<HealthHandle>(a); return h ? val(static_cast<double>(h->state.size())) : val::undefined(); }
val health_totals(Address a) { auto* h = as<HealthHandle>(a); return h ? h->totals() : val::undefined(); }
val health_view(Address a, val now) { auto* h = as<HealthHandle>(a); return h ? h->view(now) : val::undefined(); }
val health_reset_breaker(Address a, val resource, val now) {
    auto* h = as<HealthHandle>(a);
    return h ? h->reset_breaker(resource, now) : val::undefined();
}
val health_retire(Address a, val provider, val fingerprint, val now) {
    auto* h = as<HealthHandle>(a);
    return h ? h->retire_credential(provider, fingerprint, now) : val::undefined();
}
val health_restore(Address a, val provider, val fingerprint, val now) {
    auto* h = as<HealthHandle>(a);
    return h ? h->restore_credential(provider, fingerprint, now) : val::undefined();
}
val health_clear_bench(Address a, val resource, val now) {
    auto* h = as<HealthHandle>(a);
    return h ? h->clear_bench(resource, now) : val::undefined();
}

val relay_feed(Address a, val bytes) { auto* h = as<RelayHandle>(a); return h ? h->feed_js(bytes) : val::undefined(); }
val relay_end(Address a, val trail) { auto* h = as<RelayHandle>(a); return h ? h->end_of_upstream(trail) : val::undefined(); }
val relay_fail(Address a, val kind, val facts) { auto* h = as<RelayHandle>(a); return h ? h->fail(kind, facts) : val::undefined(); }
val relay_failure(Address a) { auto* h = as<RelayHandle>(a); return h ? h->failure() : val::undefined(); }
val relay_state(Address a) { auto* h = as<RelayHandle>(a); return h ? h->state() : val::undefined(); }
val relay_partial_text(Address a) { auto* h = as<RelayHandle>(a); return h ? val(h->partial_text()) : val::undefined(); }
val relay_in_unfinished_tool_call(Address a) {
    auto* h = as<RelayHandle>(a);
    return h ? val(h->in_unfinished_tool_call()) : val::undefined();
}
val relay_error_ending(Address a, val input) { auto* h = as<RelayHandle>(a); return h ? h->error_ending(input) : val::undefined(); }
val relay_plan_continuation(Address a, val mode, val next_supports_prefill) {
    auto* h = as<RelayHandle>(a);
    return h ? h->plan_continuation(mode, next_supports_prefill) : val::undefined();
}

val outcome_kinds() {
    val out = val::array();
    for (int i = 0; i < kOutcomeKindCount; ++i) out.call<void>("push", str(to_string(static_cast<OutcomeKind>(i))));
    return out;
}
val reasons() {
    val out = val::array();
    // Every name in declaration order (to_string answers "ok" past the last one).
    for (int i = 0; i < 256 && (i == 0 || to_string(static_cast<Reason>(i)) != "ok"); ++i)
        out.call<void>("push", str(to_string(static_cast<Reason>(i))));
    return out;
}

}  // namespace
}  // namespace reroute::wasm_routing

EMSCRIPTEN_BINDINGS(reroute_routing) {
    using namespace emscripten;
    using namespace reroute::wasm_routing;

    function("_createRouter", &create_router);
    function("_routerRoutes", &router_routes);
    function("_routerModels", &router_models);
    function("_routerLimits", &router_limits);
    function("_routerTraffic", &router_traffic);
    function("_routerStart", &router_start);
    function("_routerExplain", &router_explain);
    function("_attemptsDecision", &attempts_decision);
    function("_attemptsNext", &attempts_next);
    function("_attemptsTarget", &attempts_target);
    function("_attemptsReport", &attempts_report);
    function("_attemptsTrail", &attempts_trail);
    function("_attemptsTrailEntries", &attempts_trail_entries);
    function("_attemptsMayContinueStream", &attempts_may_continue_stream);
    function("_attemptsContinueStream", &attempts_continue_stream);
    function("_attemptsInfo", &attempts_info);
    function("_createHealth", &create_health);
    function("_healthSerialize", &health_serialize);
    function("_healthMerge", &health_merge);
    function("_healthPrune", &health_prune);
    function("_healthSize", &health_size);
    function("_healthTotals", &health_totals);
    function("_healthView", &health_view);
    function("_healthResetBreaker", &health_reset_breaker);
    function("_healthRetireCredential", &health_retire);
    function("_healthRestoreCredential", &health_restore);
    function("_healthClearBench", &health_clear_bench);
    function("_createStreamRelay", &create_relay);
    function("_relayFeed", &relay_feed);
    function("_relayEndOfUpstream", &relay_end);
    function("_relayFail", &relay_fail);
    function("_relayFailure", &relay_failure);
    function("_relayState", &relay_state);
    function("_relayPartialText", &relay_partial_text);
    function("_relayInUnfinishedToolCall", &relay_in_unfinished_tool_call);
    function("_relayErrorEnding", &relay_error_ending);
    function("_relayPlanContinuation", &relay_plan_continuation);
    function("_parseOverrides", &parse_overrides_js);
    function("_outcomeKinds", &outcome_kinds);
    function("_reasons", &reasons);

    function("errorFromResponse", &error_from_response_js);
    function("errorFromStreamEvent", &error_from_stream_event_js);
    function("errorFromTransport", &error_from_transport_js);
    function("retryAfterMs", &retry_after_ms_js);
    function("retryAfterMsFromText", &retry_after_ms_from_text_js);
    function("redactSecrets", &redact_secrets_js);
    function("httpStatusFor", &http_status_for_js);
    function("errorEnding", &error_ending_js);
    function("fallbackEvent", &fallback_event_js);
    function("restartEvent", &restart_event_js);
    function("trailEvent", &trail_event_js);
    function("checkCompletionBody", &check_completion_body_js);
    function("_completionFailure", &completion_failure);
    function("planContinuation", &plan_continuation_js);
}

// The shared scenario replays (tests/fixtures/scenarios/*.json) through the native core. The WASM
// side (tests/wasm/scenarios.test.mjs) replays the same files through the module's JS API; the
// format, the outcome rules and the pattern language are described there. This runner turns each
// decision, report and run into the JSON shape of that API (wasm/reroute.d.ts) and checks the same
// expectations, so native and WASM agree on every fixture or one of them fails.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "reroute/classify.hpp"
#include "reroute/config.hpp"
#include "reroute/display.hpp"
#include "reroute/envelope.hpp"
#include "reroute/health.hpp"
#include "reroute/plan.hpp"
#include "reroute/provider_body.hpp"
#include "reroute/redact.hpp"
#include "reroute/retry_hint.hpp"
#include "reroute/scope.hpp"
#include "reroute/stream.hpp"

namespace json = boost::json;
using namespace reroute;

namespace {

constexpr std::int64_t T0 = 1'700'000'000'000;

std::filesystem::path fixture_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "fixtures" / "scenarios";
}

// ---- the pattern language ----

std::optional<double> number_of(const json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.as_int64());
    if (v.is_uint64()) return static_cast<double>(v.as_uint64());
    if (v.is_double()) return v.as_double();
    return std::nullopt;
}

std::string show(const json::value* v) { return v ? json::serialize(*v) : "undefined"; }

void mismatches(const json::value* actual, const json::value& expected, const std::string& path, std::vector<std::string>& out) {
    const std::string where = path.empty() ? "/" : path;
    if (expected.is_object()) {
        const json::object& e = expected.as_object();
        bool has_ops = false;
        for (const auto& m : e)
            if (!m.key().empty() && m.key()[0] == '$') has_ops = true;
        if (has_ops) {
            for (const auto& m : e) {
                const std::string op(m.key());
                bool ok = false;
                if (op == "$absent") {
                    ok = (actual == nullptr) == m.value().as_bool();
                } else if (op == "$contains" || op == "$notContains") {
                    if (actual && actual->is_string()) {
                        const bool has = std::string_view(actual->as_string()).find(std::string_view(m.value().as_string())) != std::string_view::npos;
                        ok = op == "$contains" ? has : !has;
                    }
                } else if (actual) {
                    const auto a = number_of(*actual);
                    const auto w = number_of(m.value());
                    if (a && w) {
                        if (op == "$gte") ok = *a >= *w;
                        else if (op == "$lte") ok = *a <= *w;
                        else if (op == "$gt") ok = *a > *w;
                        else if (op == "$lt") ok = *a < *w;
                    }
                }
                if (!ok) out.push_back(where + ": " + show(actual) + " does not satisfy " + op + " " + json::serialize(m.value()));
            }
            return;
        }
        if (!actual || !actual->is_object()) {
            out.push_back(where + ": expected an object, got " + show(actual));
            return;
        }
        for (const auto& m : e) mismatches(actual->as_object().if_contains(m.key()), m.value(), path + "/" + std::string(m.key()), out);
        return;
    }
    if (expected.is_array()) {
        const json::array& e = expected.as_array();
        if (!actual || !actual->is_array() || actual->as_array().size() != e.size()) {
            out.push_back(where + ": expected " + std::to_string(e.size()) + " items, got " + show(actual));
            return;
        }
        for (std::size_t i = 0; i < e.size(); ++i) mismatches(&actual->as_array()[i], e[i], path + "/" + std::to_string(i), out);
        return;
    }
    bool equal = false;
    if (actual) {
        const auto a = number_of(*actual);
        const auto w = number_of(expected);
        equal = a && w ? *a == *w : *actual == expected;
    }
    if (!equal) out.push_back(where + ": expected " + json::serialize(expected) + ", got " + show(actual));
}

bool matches(const json::value& actual, const json::value& pattern) {
    std::vector<std::string> out;
    mismatches(&actual, pattern, "", out);
    return out.empty();
}

// ---- JSON members as the binding reads them ----

const json::value* member(const json::value& o, std::string_view key) {
    return o.is_object() ? o.as_object().if_contains(key) : nullptr;
}
std::optional<std::string> string_member(const json::value& o, std::string_view key) {
    const json::value* v = member(o, key);
    if (v && v->is_string()) return std::string(v->as_string());
    return std::nullopt;
}
std::optional<double> number_member(const json::value& o, std::string_view key) {
    const json::value* v = member(o, key);
    if (!v) return std::nullopt;
    auto d = number_of(*v);
    if (d && std::isfinite(*d)) return d;
    return std::nullopt;
}
bool true_member(const json::value& o, std::string_view key) {
    const json::value* v = member(o, key);
    return v && v->is_bool() && v->as_bool();
}
std::int64_t ms_member(const json::value& o, std::string_view key) {
    const auto d = number_member(o, key);
    return d ? static_cast<std::int64_t>(std::floor(*d)) : 0;
}

ErrorValue error_value_from(const json::value& e) {
    if (e.is_null()) return {};
    if (e.is_string()) return ErrorValue::from_text(std::string(e.as_string()));
    if (!e.is_object()) {
        ErrorValue v;
        v.kind = ErrorValue::Kind::other;
        return v;
    }
    ErrorValue v = ErrorValue::object();
    v.status = number_member(e, "status");
    v.status_code = number_member(e, "statusCode");
    v.code = string_member(e, "code");
    if (!v.code) v.code_number = number_member(e, "code");
    v.message = string_member(e, "message");
    v.name = string_member(e, "name");
    if (const json::value* data = member(e, "data"); data && (data->is_object() || data->is_array())) {
        v.has_data = true;
        v.data_code = string_member(*data, "code");
        v.data_message = string_member(*data, "message");
    }
    if (const json::value* nested = member(e, "error"); nested && nested->is_object()) {
        v.error_code = string_member(*nested, "code");
        if (!v.error_code) v.error_code_number = number_member(*nested, "code");
    }
    return v;
}

// The binding's reading of an outcome (bindings_routing.cpp, AttemptsHandle::outcome_from).
Outcome outcome_from(const json::value& v, std::int64_t now) {
    Outcome o;
    const auto kind_name = string_member(v, "kind");
    o.kind = (kind_name ? parse_outcome_kind(*kind_name) : std::nullopt).value_or(OutcomeKind::http_error);
    if (auto c = string_member(v, "code")) o.code = parse_error_code(*c);
    o.duration_ms = std::max<std::int64_t>(0, ms_member(v, "durationMs"));
    o.bytes_received = std::max<std::int64_t>(0, ms_member(v, "bytesReceived"));
    if (o.kind == OutcomeKind::success || o.kind == OutcomeKind::cancelled || !v.is_object()) return o;
    const auto body = string_member(v, "body");
    const auto event = string_member(v, "event");
    const auto data = string_member(v, "data");
    const auto transport_code = string_member(v, "transportCode");
    const auto message = string_member(v, "message");
    ObservedFailure seen;
    if (const json::value* error = member(v, "error"); error && !error->is_null()) seen.error = error_value_from(*error);
    seen.status = number_member(v, "status");
    seen.body = body;
    seen.event = event;
    seen.data = data;
    seen.transport_code = transport_code;
    seen.message = message;
    seen.retry_after_ms = number_member(v, "retryAfterMs");
    if (const json::value* h = member(v, "headers")) {
        if (h->is_array()) {
            for (const json::value& pair : h->as_array())
                if (pair.is_array() && pair.as_array().size() >= 2 && pair.as_array()[0].is_string() && pair.as_array()[1].is_string())
                    seen.headers.push_back({pair.as_array()[0].as_string(), pair.as_array()[1].as_string()});
        } else if (h->is_object()) {
            for (const auto& m : h->as_object())
                if (m.value().is_string()) seen.headers.push_back({m.key(), m.value().as_string()});
        }
    }
    read_failure(o, seen, now);
    return o;
}

// ---- results in the JS API's shape ----

json::object target_json(const Config& c, const Attempt& a) {
    json::object o;
    o["target"] = a.target;
    o["provider"] = a.provider;
    const Provider* p = c.find_provider(a.provider);
    o["apiFormat"] = to_string(p ? p->api_format : ApiFormat::openai);
    o["endpointId"] = a.endpoint_id;
    o["baseUrl"] = a.base_url;
    if (a.credential_env) o["credentialEnv"] = *a.credential_env;
    o["fingerprint"] = a.fingerprint;
    o["model"] = a.model;
    o["upstreamModel"] = a.upstream_model;
    o["ref"] = a.ref;
    return o;
}

json::value attempt_json(const Config& c, const Attempt& a) {
    json::object o = target_json(c, a);
    o["kind"] = "attempt";
    o["number"] = a.number;
    const Model* m = c.find_model(a.provider, a.model);
    const Capabilities caps = m ? m->capabilities : Capabilities{};
    o["capabilities"] = json::object{{"tools", caps.tools}, {"vision", caps.vision}, {"prefill", caps.prefill}, {"reasoning", caps.reasoning}};
    o["timeouts"] = json::object{{"connectMs", a.timeouts.connect_ms}, {"firstTokenMs", a.timeouts.first_token_ms}, {"idleMs", a.timeouts.idle_ms}};
    o["waitMs"] = a.wait_ms;
    o["startMs"] = a.start_ms;
    o["deadlineAtMs"] = a.deadline_at_ms;
    o["reason"] = to_string(a.reason);
    o["isProbe"] = a.is_probe;
    o["sameTargetRetry"] = a.same_target_retry;
    if (a.notice) o["notice"] = *a.notice;
    return o;
}

json::value final_json(const Config& c, const Final& f, const Attempts& attempts, const std::optional<Attempt>& last) {
    json::object o;
    o["kind"] = "final";
    o["ok"] = f.ok();
    o["reason"] = to_string(f.reason);
    o["status"] = f.http_status;
    if (f.code) {
        const std::string envelope = encode_envelope(f.envelope);
        const std::string sentence = content_sentence(*f.code, f.envelope.provider, f.envelope.model);
        o["code"] = to_string(*f.code);
        o["envelope"] = envelope;
        o["message"] = sentence;
        json::object error{{"message", sentence}, {"type", to_string(*f.code)}, {"code", to_string(*f.code)}, {"envelope", envelope}};
        o["errorBody"] = json::serialize(json::object{{"error", error}});
    }
    if (f.retry_after_ms) {
        o["retryAfterMs"] = *f.retry_after_ms;
        o["retryAfter"] = std::to_string((std::max<std::int64_t>(0, *f.retry_after_ms) + 999) / 1000);
    }
    o["attempts"] = f.attempts;
    o["tried"] = attempts.distinct_targets_tried();
    if (f.served_by && last && last->target == *f.served_by) {
        json::object s = target_json(c, *last);
        s.erase("apiFormat");
        s.erase("credentialEnv");
        s["header"] = served_by_header(*last);
        o["servedBy"] = std::move(s);
    }
    return o;
}

// ---- one replay ----

struct Live {
    std::optional<Attempts> attempts;
    Rng rng{0};
    std::optional<Attempt> last;
    bool in_flight = false;
};

struct Replay {
    const json::value& fixture;
    Config config;
    std::optional<Planner> planner;
    HealthState health;
    Traffic traffic;
    std::int64_t now = T0;
    std::map<std::string, Live> live;
    json::object seen;

    explicit Replay(const json::value& f) : fixture(f) {
        KeyFingerprints keys;
        if (const json::value* k = member(f, "keys"))
            for (const auto& m : k->as_object()) keys[std::string(m.key())] = fingerprint(std::string(m.value().as_string()));
        ConfigResult r = load_config(json::serialize(f.at("config")));
        for (const Problem& p : r.problems)
            if (p.severity == Severity::error) MESSAGE(describe(p));
        REQUIRE(r.ok());
        config = std::move(*r.config);
        planner.emplace(config, std::move(keys));
    }

    // The binding's Router.start (problems as the JS API lists them).
    json::value start(const json::value& request, Live& l) {
        std::vector<Problem> problems;
        Request req;
        req.route = string_member(request, "route").value_or("");
        req.conversation_id = string_member(request, "conversationId").value_or("");
        req.prompt_tokens = std::max<std::int64_t>(0, ms_member(request, "promptTokens"));
        if (auto m = number_member(request, "maxOutputTokens"); m && *m >= 0) req.max_output_tokens = static_cast<std::int64_t>(*m);
        req.needs_tools = true_member(request, "needsTools");
        req.needs_vision = true_member(request, "needsVision");
        req.overrides_path = string_member(request, "overridesPath").value_or("/reroute");
        if (const json::value* o = member(request, "overrides"); o && !o->is_null()) {
            OverridesResult parsed = parse_overrides(o->is_string() ? std::string(o->as_string()) : json::serialize(*o), req.overrides_path);
            if (parsed.overrides) req.overrides = std::move(*parsed.overrides);
            else problems = std::move(parsed.problems);
        }
        if (problems.empty()) {
            StartResult st = planner->start(req, &traffic, now);
            if (st.attempts) {
                l = Live{};
                l.attempts.emplace(std::move(*st.attempts));
                l.rng = Rng(static_cast<std::uint64_t>(static_cast<std::int64_t>(number_member(request, "seed").value_or(0))));
                return json::object{{"ok", true}};
            }
            problems = std::move(st.problems);
        }
        json::array list;
        for (const Problem& p : problems)
            list.push_back(json::object{{"path", p.path}, {"code", p.code}, {"found", p.found}, {"expected", p.expected},
                                        {"message", describe(p)}, {"severity", to_string(p.severity)}});
        l.attempts.reset();
        return json::object{{"ok", false}, {"status", 400}, {"problems", std::move(list)}};
    }

    json::value next(Live& l, std::optional<double> seed) {
        if (seed) l.rng = Rng(static_cast<std::uint64_t>(static_cast<std::int64_t>(*seed)));
        const Decision d = l.attempts->next(health, now, l.rng);
        if (d.is_final()) return final_json(config, d.final, *l.attempts, l.last);
        l.in_flight = true;
        l.last = d.attempt;
        return attempt_json(config, d.attempt);
    }

    json::value report(Live& l, const json::value& outcome) {
        const Outcome o = outcome_from(outcome, now);
        const std::optional<ErrorCode> code = failure_code(o);
        json::object r;
        r["accepted"] = l.in_flight && !l.attempts->finished();
        r["kind"] = to_string(o.kind);
        if (code) r["code"] = to_string(*code);
        std::string_view m;
        if (o.error.kind == ErrorValue::Kind::string) m = o.error.text;
        else if (o.error.message) m = *o.error.message;
        if (!m.empty()) r["message"] = redact_secrets(m.substr(0, 2000));
        if (o.retry_after_ms) r["retryAfterMs"] = *o.retry_after_ms;
        l.attempts->report(o, health, now);
        l.in_flight = false;
        return r;
    }

    json::object run(const json::value& spec) {
        Live l;
        const json::value st = start(spec.at("request"), l);
        REQUIRE_MESSAGE(st.at("ok").as_bool(), json::serialize(st));
        std::map<std::size_t, int> used;
        json::array attempts;
        const json::value* rules = member(spec, "upstream");
        static const json::value success = json::object{{"kind", "success"}};
        static const json::value any = json::object{};
        for (int guard = 0; guard < 64; ++guard) {
            json::value d = next(l, std::nullopt);
            if (d.at("kind").as_string() == "final") {
                return json::object{{"attempts", std::move(attempts)}, {"final", std::move(d)}, {"trail", render_trail(l.attempts->trail())}};
            }
            now += d.at("waitMs").to_number<std::int64_t>();
            const json::value* outcome = &success;
            if (rules) {
                const json::array& list = rules->as_array();
                for (std::size_t i = 0; i < list.size(); ++i) {
                    const json::value& rule = list[i];
                    if (auto until = number_member(rule, "until"); until && now - T0 >= *until) continue;
                    if (auto times = number_member(rule, "times"); times && used[i] >= *times) continue;
                    const json::value* pattern = member(rule, "match");
                    if (!matches(d, pattern ? *pattern : any)) continue;
                    ++used[i];
                    outcome = &rule.at("outcome");
                    break;
                }
            }
            json::object recorded = d.as_object();
            recorded["at"] = now - T0;
            attempts.push_back(std::move(recorded));
            now += std::max<std::int64_t>(0, ms_member(*outcome, "durationMs"));
            report(l, *outcome);
        }
        FAIL("the planner did not finish within 64 decisions");
        return {};
    }

    void repeat(const json::value& spec) {
        const auto count = spec.at("count").to_number<std::int64_t>();
        const auto every = spec.at("every").to_number<std::int64_t>();
        static const json::array none;
        const json::array& tally = member(spec, "tally") ? spec.at("tally").as_array() : none;
        json::object totals{{"requests", 0}, {"served", 0}};
        for (const json::value& t : tally) totals[t.at("name").as_string()] = true_member(t, "first") ? json::value(nullptr) : json::value(0);
        const std::int64_t start_at = now;
        for (std::int64_t i = 0; i < count; ++i) {
            now = start_at + i * every;
            const std::int64_t at = now - T0;
            const json::object r = run(spec.at("run"));
            totals["requests"] = totals["requests"].to_number<std::int64_t>() + 1;
            const bool ok = r.at("final").at("ok").as_bool();
            if (ok) totals["served"] = totals["served"].to_number<std::int64_t>() + 1;
            const json::array& list = r.at("attempts").as_array();
            for (const json::value& t : tally) {
                json::value& total = totals[t.at("name").as_string()];
                if (true_member(t, "first")) {
                    if (total.is_null() && at >= ms_member(t, "from") && ok && !list.empty() && matches(list.back(), t.at("match")))
                        total = at;
                } else {
                    std::int64_t n = 0;
                    for (const json::value& a : list) {
                        const auto until = number_member(t, "until");
                        if ((!until || a.at("at").to_number<double>() < *until) && matches(a, t.at("match"))) ++n;
                    }
                    total = total.to_number<std::int64_t>() + n;
                }
            }
        }
        seen["tally"] = std::move(totals);
    }

    void play() {
        const json::array& steps = fixture.at("steps").as_array();
        for (std::size_t index = 0; index < steps.size(); ++index) {
            const json::value& step = steps[index];
            CAPTURE(index);
            if (auto at = number_member(step, "at")) now = T0 + static_cast<std::int64_t>(*at);
            if (auto advance = number_member(step, "advance")) now += static_cast<std::int64_t>(*advance);
            std::string name = string_member(step, "as").value_or(string_member(step, "on").value_or("main"));
            if (const json::value* r = member(step, "request")) seen["start"] = start(*r, live[name]);
            if (const json::value* n = member(step, "next")) {
                Live& l = live[name];
                REQUIRE(l.attempts);
                seen["decision"] = next(l, number_member(*n, "seed"));
            }
            if (const json::value* o = member(step, "report")) {
                Live& l = live[name];
                REQUIRE(l.attempts);
                seen["report"] = report(l, *o);
            }
            if (const json::value* r = member(step, "run")) seen["run"] = run(*r);
            if (const json::value* r = member(step, "repeat")) repeat(*r);
            if (const json::value* expect = member(step, "expect")) {
                json::object actual = seen;
                if (member(*expect, "info")) {
                    Live& l = live[name];
                    REQUIRE(l.attempts);
                    actual["info"] = json::object{{"attemptsMade", l.attempts->attempts_made()},
                                                  {"distinctTargetsTried", l.attempts->distinct_targets_tried()},
                                                  {"finished", l.attempts->finished()},
                                                  {"trail", render_trail(l.attempts->trail())},
                                                  {"continuation", to_string(l.attempts->continuation())},
                                                  {"maxAttempts", l.attempts->max_attempts()}};
                }
                std::vector<std::string> problems;
                const json::value whole = std::move(actual);
                mismatches(&whole, *expect, "", problems);
                std::string text;
                for (const std::string& p : problems) text += p + "; ";
                CHECK_MESSAGE(problems.empty(), "step " << index << ": " << text);
            }
        }
    }
};

json::value read_fixture(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return json::parse(buffer.str());
}

}  // namespace

TEST_CASE("scenario replays shared with the WASM module (tests/fixtures/scenarios)") {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(fixture_dir()))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 7);
    for (const auto& file : files) {
        const json::value fixture = read_fixture(file);
        SUBCASE(file.filename().string().c_str()) {
            INFO(std::string(fixture.at("name").as_string()));
            Replay(fixture).play();
        }
    }
}

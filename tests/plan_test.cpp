#include "reroute/plan.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "reroute/scope.hpp"

using namespace reroute;

namespace {

constexpr std::int64_t T0 = 1'700'000'000'000;

// Provider `p` with endpoints e1, e2 and keys k1, k2; provider `q` with one endpoint and key k3;
// provider `local` is keyless. Models m1..m4 on p, n1 on q, tools/vision as noted.
std::string document(std::string_view routes, std::string_view server = "{}", std::string_view defaults = "{}") {
    std::string s = R"({
      "providers": [
        { "id": "p", "endpoints": [ { "id": "e1", "base_url": "https://p1.example/v1" },
                                    { "id": "e2", "base_url": "https://p2.example/v1" } ],
          "credentials": [ { "id": "k1", "env": "K1" }, { "id": "k2", "env": "K2" } ] },
        { "id": "q", "base_url": "https://q.example/v1", "credentials": [ { "id": "k3", "env": "K3" } ] },
        { "id": "local", "base_url": "https://local.example/v1" }
      ],
      "models": [
        { "provider": "p", "id": "m1", "context_window": 16000, "max_output_tokens": 2000, "capabilities": { "tools": true } },
        { "provider": "p", "id": "m2", "context_window": 16000, "max_output_tokens": 2000, "capabilities": { "tools": true } },
        { "provider": "p", "id": "m3", "context_window": 64000, "max_output_tokens": 2000, "capabilities": { "tools": true } },
        { "provider": "p", "id": "m4", "context_window": 64000, "max_output_tokens": 2000, "capabilities": { "tools": true } },
        { "provider": "q", "id": "n1", "context_window": 64000, "max_output_tokens": 2000, "capabilities": { "tools": true, "vision": true } },
        { "provider": "local", "id": "l1", "context_window": 64000, "max_output_tokens": 2000, "capabilities": { "tools": true } }
      ],
      "server": )";
    s += server;
    s += R"(, "defaults": )";
    s += defaults;
    s += R"(, "routes": )";
    s += routes;
    s += "}";
    return s;
}

Outcome ok(std::int64_t ms = 10) {
    Outcome o;
    o.duration_ms = ms;
    return o;
}
Outcome http(int status, std::string message, std::optional<double> hint = {}) {
    Outcome o;
    o.kind = OutcomeKind::http_error;
    o.error = ErrorValue::object();
    o.error.status = status;
    o.error.message = std::move(message);
    o.retry_after_ms = hint;
    o.duration_ms = 10;
    return o;
}
Outcome kind(OutcomeKind k) {
    Outcome o;
    o.kind = k;
    o.duration_ms = 10;
    return o;
}

using Upstream = std::function<Outcome(const Attempt&)>;

struct Run {
    Final final;
    std::vector<Attempt> attempts;
};

struct World {
    Config config;
    std::optional<Planner> planner;
    HealthState health;
    Traffic traffic;
    Rng rng{7};
    std::int64_t now = T0;

    explicit World(const std::string& json,
                   KeyFingerprints keys = {{"K1", fingerprint("k1")}, {"K2", fingerprint("k2")}, {"K3", fingerprint("k3")}}) {
        ConfigResult r = load_config(json);
        for (const Problem& p : r.problems)
            if (p.severity == Severity::error) MESSAGE(describe(p));
        REQUIRE(r.ok());
        config = std::move(*r.config);
        planner.emplace(config, std::move(keys));
    }
    World(const World&) = delete;

    Run run(const Request& req, const Upstream& upstream) {
        Run out;
        StartResult st = planner->start(req, &traffic, now);
        REQUIRE(st.attempts);
        for (int guard = 0; guard < 64; ++guard) {
            Decision d = st.attempts->next(health, now, rng);
            if (d.is_final()) {
                out.final = d.final;
                return out;
            }
            now += d.attempt.wait_ms;
            out.attempts.push_back(d.attempt);
            Outcome o = upstream(d.attempt);
            now += o.duration_ms;
            st.attempts->report(o, health, now);
        }
        FAIL("no final");
        return out;
    }
    Run run(std::string route, const Upstream& upstream) {
        Request r;
        r.route = std::move(route);
        return run(r, upstream);
    }
};

Request request(std::string route) {
    Request r;
    r.route = std::move(route);
    return r;
}

const std::string kFallback3 = R"([{ "name": "r", "targets": [
    { "provider": "p", "model": "m1", "credential": "k1", "endpoint": "e1" },
    { "provider": "p", "model": "m2", "credential": "k1", "endpoint": "e1" },
    { "provider": "q", "model": "n1" } ] }])";

}  // namespace

// ---- overrides and validation ---------------------------------------------------------------

TEST_CASE("an outcome's chat code: none for success or cancellation, then the kind's, the host's, the classifier's, generic") {
    Outcome o;
    CHECK_FALSE(failure_code(o));
    o.kind = OutcomeKind::cancelled;
    CHECK_FALSE(failure_code(o));
    o.kind = OutcomeKind::timeout_first_token;
    o.code = ErrorCode::rate_limited;
    REQUIRE(code_for_kind(OutcomeKind::timeout_first_token));
    CHECK(failure_code(o) == code_for_kind(OutcomeKind::timeout_first_token));
    o.kind = OutcomeKind::http_error;
    CHECK(failure_code(o) == ErrorCode::rate_limited);
    o.code.reset();
    o.error = ErrorValue::object();
    o.error.status = 402;
    CHECK(failure_code(o) == ErrorCode::credit_exhausted);
    o.error = ErrorValue{};
    CHECK(failure_code(o) == ErrorCode::generic);
}

TEST_CASE("parse_overrides reads every override and names the JSON path of a bad one") {
    SUBCASE("valid") {
        const auto r = parse_overrides(R"({"disable_fallbacks":true,"max_attempts":3,"deadline_ms":30000,
            "allowed_providers":["p"],"allowed_models":["p:m1","n1"],"continuation":"restart"})");
        REQUIRE(r.overrides);
        CHECK(r.overrides->disable_fallbacks == true);
        CHECK(r.overrides->max_attempts == 3);
        CHECK(r.overrides->deadline_ms == 30'000);
        CHECK(r.overrides->allowed_providers->size() == 1);
        CHECK(r.overrides->allowed_models->size() == 2);
        CHECK(r.overrides->continuation == Continuation::restart);
    }
    SUBCASE("every mistake at once, with paths under the base") {
        const auto r = parse_overrides(R"({"max_attempts":0,"deadline_ms":"x","allowed_providers":["p",3],
            "continuation":"later","disable_fallbacks":1,"max_attempt":2})", "/reroute");
        CHECK_FALSE(r.overrides);
        REQUIRE(r.problems.size() == 6);
        CHECK(r.problems[0].path == "/reroute/max_attempts");
        CHECK(r.problems[0].code == "request.range");
        CHECK(r.problems[1].path == "/reroute/deadline_ms");
        CHECK(r.problems[1].code == "request.type");
        CHECK(r.problems[2].path == "/reroute/allowed_providers/1");
        CHECK(r.problems[3].path == "/reroute/continuation");
        CHECK(r.problems[3].code == "request.format");
        CHECK(r.problems[4].path == "/reroute/disable_fallbacks");
        CHECK(r.problems[5].path == "/reroute/max_attempt");
        CHECK(r.problems[5].code == "request.unknown_member");
    }
    SUBCASE("not an object") {
        CHECK(parse_overrides("[1]").problems[0].code == "request.type");
        CHECK(parse_overrides("{").problems[0].code == "request.syntax");
    }
}

TEST_CASE("start validates the route and clamps overrides to the server ceilings") {
    World w(document(kFallback3, R"({ "max_attempts": 6, "deadline_ms": 200000, "continuation": "restart",
                                     "allow_disable_fallbacks": false })"));
    SUBCASE("unknown route") {
        const auto s = w.planner->start(request("nope"), nullptr, T0);
        CHECK_FALSE(s.attempts);
        REQUIRE(s.problems.size() == 1);
        CHECK(s.problems[0].path == "/model");
        CHECK(s.problems[0].code == "request.reference");
    }
    SUBCASE("invalid typed override") {
        Request r = request("r");
        r.overrides.max_attempts = 0;
        r.overrides_path = "/reroute";
        const auto s = w.planner->start(r, nullptr, T0);
        REQUIRE(s.problems.size() == 1);
        CHECK(s.problems[0].path == "/reroute/max_attempts");
    }
    SUBCASE("clamped: max_attempts 20 -> 6, deadline 999 999 -> 200 000, continue -> restart") {
        Request r = request("r");
        r.overrides.max_attempts = 20;
        r.overrides.deadline_ms = 999'999;
        r.overrides.continuation = Continuation::continue_;
        r.overrides.disable_fallbacks = true;  // not allowed by this server: ignored
        const auto s = w.planner->start(r, nullptr, T0);
        REQUIRE(s.attempts);
        CHECK(s.attempts->max_attempts() == 6);
        CHECK(s.attempts->deadline_at_ms() == T0 + 200'000);
        CHECK(s.attempts->continuation() == Continuation::restart);
        Run run = w.run(r, [](const Attempt& a) { return a.ref == "q:n1" ? ok() : http(503, "down"); });
        CHECK(run.final.ok());
    }
    SUBCASE("the route's own values without overrides") {
        const auto s = w.planner->start(request("r"), nullptr, T0);
        CHECK(s.attempts->max_attempts() == 4);
        CHECK(s.attempts->deadline_at_ms() == T0 + 120'000);
        CHECK(s.attempts->continuation() == Continuation::off);
    }
}

TEST_CASE("start on a route index plans as start on its name") {
    World w(document(R"([{ "name": "r", "targets": [ { "provider": "p", "model": "m1", "credential": "k1", "endpoint": "e1" },
                                                     { "provider": "q", "model": "n1" } ] },
                         { "name": "s", "targets": [ { "provider": "q", "model": "n1" } ] }])"));
    const auto r = w.planner->route_index("r");
    const auto s = w.planner->route_index("s");
    const auto ref = w.planner->route_index("p:m2");
    REQUIRE(r);
    REQUIRE(s);
    REQUIRE(ref);
    CHECK(*r != *s);
    CHECK_FALSE(w.planner->route_index("nope"));
    for (const auto& [index, name] : {std::pair{*r, "r"}, std::pair{*s, "s"}, std::pair{*ref, "p:m2"}}) {
        Traffic traffic;
        auto by_index = w.planner->start(index, request("not read"), &traffic, T0);
        auto by_name = w.planner->start(request(name), nullptr, T0);
        REQUIRE(by_index.attempts);
        REQUIRE(by_name.attempts);
        CHECK(by_index.attempts->route_name() == name);
        CHECK(by_name.attempts->route_name() == name);
        Rng a(1), b(1);
        const Decision x = by_index.attempts->next(w.health, T0, a);
        const Decision y = by_name.attempts->next(w.health, T0, b);
        REQUIRE_FALSE(x.is_final());
        CHECK(x.attempt.ref == y.attempt.ref);
        CHECK(x.attempt.deadline_at_ms == y.attempt.deadline_at_ms);
        REQUIRE(traffic.find(name));  // the traffic is counted under the route's name
        CHECK(traffic.find(name)->budget.active_requests() == 1);
    }
    const auto out_of_range = w.planner->start(99, request("nope"), nullptr, T0);
    CHECK_FALSE(out_of_range.attempts);
    REQUIRE(out_of_range.problems.size() == 1);
    CHECK(out_of_range.problems[0].code == "request.reference");
}

TEST_CASE("a provider:model ref plans every credential x endpoint of that model") {
    World w(document(kFallback3));
    Run r = w.run("p:m3", [](const Attempt& a) { return a.credential_env == "K2" && a.endpoint_id == "e2" ? ok() : http(503, "down"); });
    CHECK(r.final.ok());
    // k1/e1 fails and ejects m3 on e1, so k2/e1 is skipped; the panic guard keeps m3 on e2 in.
    REQUIRE(r.attempts.size() == 3);
    CHECK(r.attempts[0].endpoint_id == "e1");
    CHECK(r.attempts[0].credential_env == "K1");
    CHECK(r.attempts[1].endpoint_id == "e2");
    CHECK(r.attempts[1].credential_env == "K1");
    CHECK(r.attempts[2].endpoint_id == "e2");
    CHECK(r.attempts[2].credential_env == "K2");
    const auto plan = w.planner->explain(request("p:m3"), w.health, w.now);
    REQUIRE(plan.size() == 4);
    CHECK(plan[2].reason == Reason::breaker_open);
    CHECK(plan[2].resource == ResourceKind::endpoint_model);
    SUBCASE("a keyless provider fingerprints the empty key") {
        Run k = w.run("local:l1", [](const Attempt&) { return ok(); });
        REQUIRE(k.attempts.size() == 1);
        CHECK_FALSE(k.attempts[0].credential_env);
        CHECK(k.attempts[0].fingerprint == "811c9dc5");
    }
}

// ---- limits: attempts, deadline, timeouts ------------------------------------------------------

TEST_CASE("max_attempts bounds the upstream requests exactly") {
    World w(document(kFallback3));
    Request r = request("r");
    r.overrides.max_attempts = 2;
    Run run = w.run(r, [](const Attempt&) { return http(503, "Service Unavailable"); });
    CHECK(run.attempts.size() == 2);
    CHECK(run.final.attempts == 2);
    CHECK(run.final.reason == Reason::max_attempts);
    CHECK(run.final.envelope.tried == 2);
}

TEST_CASE("timeouts are clipped to what the deadline leaves") {
    World w(document(kFallback3));
    Request r = request("r");
    r.overrides.deadline_ms = 8'000;
    Run run = w.run(r, [](const Attempt&) { return ok(); });
    REQUIRE(run.attempts.size() == 1);
    CHECK(run.attempts[0].timeouts.connect_ms == 5'000);
    CHECK(run.attempts[0].timeouts.first_token_ms == 8'000);
    CHECK(run.attempts[0].timeouts.idle_ms == 8'000);
    CHECK(run.attempts[0].deadline_at_ms == T0 + 8'000);
}

TEST_CASE("no attempt starts with less than min_attempt_ms left") {
    World w(document(kFallback3));
    auto slow_fail = [](std::int64_t ms) {
        return [ms](const Attempt&) {
            Outcome o = http(503, "down");
            o.duration_ms = ms;
            return o;
        };
    };
    SUBCASE("5 000 ms left: the next starts") {
        Run run = w.run("r", [&](const Attempt& a) { return a.number == 1 ? slow_fail(115'000)(a) : ok(); });
        CHECK(run.final.ok());
    }
    SUBCASE("4 999 ms left: the request ends with the last error") {
        Run run = w.run("r", slow_fail(115'001));
        CHECK(run.attempts.size() == 1);
        CHECK(run.final.reason == Reason::deadline);
        CHECK(run.final.code == ErrorCode::provider_error);
    }
    SUBCASE("a backoff that would cross the deadline is not waited") {
        World v(document(R"([{ "name": "one", "targets": [ { "provider": "q", "model": "n1" } ] }])"));
        Run run = v.run("one", [](const Attempt&) {
            Outcome o = http(429, "slow down", 3'000.0);
            o.duration_ms = 113'000;  // 7 000 ms left; waiting 3 000 leaves 4 000 < 5 000
            return o;
        });
        CHECK(run.attempts.size() == 1);
        CHECK(run.final.reason == Reason::deadline);
        CHECK(run.final.http_status == 429);
        CHECK(run.final.retry_after_ms == 3'000);
    }
}

TEST_CASE("a timeout before any byte is never retried on the same target") {
    World w(document(R"([{ "name": "one", "targets": [ { "provider": "q", "model": "n1" } ] }])"));
    SUBCASE("first token timeout: ends at once with 504") {
        Run run = w.run("one", [](const Attempt&) { return kind(OutcomeKind::timeout_first_token); });
        CHECK(run.attempts.size() == 1);
        CHECK(run.final.code == ErrorCode::provider_error);
        CHECK(run.final.http_status == 504);
        CHECK(run.final.reason == Reason::not_retryable);
    }
    SUBCASE("idle timeout after bytes: one same-target retry after backoff") {
        Run run = w.run("one", [](const Attempt& a) { return a.number == 1 ? kind(OutcomeKind::timeout_idle) : ok(); });
        REQUIRE(run.attempts.size() == 2);
        CHECK(run.attempts[1].same_target_retry);
        CHECK(run.attempts[1].wait_ms >= 0);
        CHECK(run.attempts[1].wait_ms < 500);  // uniform(0, 250 * 2^1)
        CHECK_FALSE(run.attempts[1].notice);
    }
}

TEST_CASE("same-target retry counts per code") {
    World w(document(R"([{ "name": "one", "targets": [ { "provider": "q", "model": "n1" } ] }])"));
    SUBCASE("provider_error: 1 retry") {
        Run run = w.run("one", [](const Attempt&) { return http(500, "Internal error"); });
        CHECK(run.attempts.size() == 2);
    }
    SUBCASE("rate_limited: 2 retries, each after the hint") {
        Run run = w.run("one", [](const Attempt&) { return http(429, "Too many requests", 1'000.0); });
        REQUIRE(run.attempts.size() == 3);
        CHECK(run.attempts[1].wait_ms == 1'000);
        CHECK(run.attempts[2].wait_ms == 1'000);
        CHECK(run.final.code == ErrorCode::rate_limited);
        CHECK(run.final.retry_after_ms == 1'000);
    }
    SUBCASE("rate_limited without a hint waits out the 2 s cooling") {
        Run run = w.run("one", [](const Attempt& a) { return a.number == 1 ? http(429, "Too many requests") : ok(); });
        REQUIRE(run.attempts.size() == 2);
        CHECK(run.attempts[1].wait_ms == 2'000);
    }
    SUBCASE("auth_error: never") {
        Run run = w.run("one", [](const Attempt&) { return http(401, "Invalid API key"); });
        CHECK(run.attempts.size() == 1);
        CHECK(run.final.reason == Reason::not_retryable);
    }
}

TEST_CASE("the retry budget refuses same-target retries beyond max(3, 20 %)") {
    World w(document(R"([{ "name": "one", "targets": [ { "provider": "q", "model": "n1" } ] }])"));
    // Three requests each have a same-target retry in flight.
    std::vector<Attempts> held;
    for (int i = 0; i < 3; ++i) {
        auto s = w.planner->start(request("one"), &w.traffic, w.now);
        REQUIRE(s.attempts);
        Decision d = s.attempts->next(w.health, w.now, w.rng);
        s.attempts->report(http(500, "Internal error"), w.health, w.now);
        d = s.attempts->next(w.health, w.now, w.rng);
        REQUIRE_FALSE(d.is_final());
        CHECK(d.attempt.same_target_retry);
        held.push_back(std::move(*s.attempts));
    }
    CHECK(w.traffic.find("one")->budget.retries_in_flight() == 3);
    Run fourth = w.run("one", [](const Attempt&) { return http(500, "Internal error"); });
    CHECK(fourth.attempts.size() == 1);
    CHECK(fourth.final.reason == Reason::budget_exhausted);
    CHECK(w.traffic.find("one")->budget.refusals() == 1);
    held.clear();  // destroying the states releases their retries and requests
    CHECK(w.traffic.find("one")->budget.retries_in_flight() == 0);
    CHECK(w.traffic.find("one")->budget.active_requests() == 0);
    CHECK(w.traffic.find("one")->in_flight[0] == 0);
}

// ---- request filters --------------------------------------------------------------------------

// ---- request facts ----------------------------------------------------------------------------

TEST_CASE("body facts: the prompt estimate is a quarter of the messages' text, in JavaScript characters") {
    Request r;
    read_body_facts(R"({"messages":[{"role":"system","content":"abcd"},
        {"role":"user","content":[{"type":"text","text":"ab\n"},{"type":"image_url","image_url":{"url":"x"}}]},
        {"role":"user","content":"\u00e9\ud83d\ude00"}]})", r);
    CHECK(r.prompt_tokens == 3);  // 4 + 3 + 3 (é one unit, the emoji two) = 10 -> ceil(10 / 4)
    CHECK(r.needs_vision);
    CHECK_FALSE(r.needs_tools);
}

TEST_CASE("body facts: messages are read as JSON.parse would see them") {
    Request r;
    // The last "content" wins, keys may be escaped, anything but a string or an array of parts
    // counts nothing, and text inside strings is not structure.
    read_body_facts(R"({"messages":[{"content":"ignored","con\u0074ent":"ab]},\"c"},
        {"content":null},{"content":5},"not a message",[{"content":"nested"}],
        {"content":[{"text":"xy","text":"xyz"},{"type":"t\u0065xt","text":7},{"type":"imag\u0065"}]}]})", r);
    CHECK(r.prompt_tokens == 3);  // 7 + 3 = 10 -> ceil(10 / 4)
    CHECK(r.needs_vision);
    read_body_facts(R"({"messages":[{"content":[{"type":"image_urls"},{"type":"IMAGE"}]}]})", r);
    CHECK_FALSE(r.needs_vision);
    CHECK(r.prompt_tokens == 0);
}

TEST_CASE("body facts: tools are needed when the tools array has an item") {
    Request r;
    read_body_facts(R"({"tools":[ ]})", r);
    CHECK_FALSE(r.needs_tools);
    read_body_facts(R"({"tools":[{"type":"function"}]})", r);
    CHECK(r.needs_tools);
}

TEST_CASE("body facts: max_completion_tokens, else max_tokens, when a positive number") {
    Request r;
    read_body_facts(R"({"max_tokens":100,"max_completion_tokens":50})", r);
    CHECK(r.max_output_tokens == 50);
    read_body_facts(R"({"max_tokens":100,"max_completion_tokens":null})", r);
    CHECK(r.max_output_tokens == 100);
    read_body_facts(R"({"max_tokens":0})", r);
    CHECK_FALSE(r.max_output_tokens);
    read_body_facts(R"({"max_completion_tokens":"many","max_tokens":100})", r);
    CHECK_FALSE(r.max_output_tokens);
    read_body_facts(R"({"max_tokens":0.5})", r);
    CHECK(r.max_output_tokens == 1);
}

TEST_CASE("body facts: a body that is not a JSON object changes nothing") {
    Request r;
    r.prompt_tokens = 7;
    r.needs_tools = true;
    read_body_facts("[1]", r);
    read_body_facts("{\"messages\":", r);
    CHECK(r.prompt_tokens == 7);
    CHECK(r.needs_tools);
}

// ---- mid-stream continuation (II.5) ---------------------------------------------------------

namespace {
// A request on route "r" (continuation `mode`; nullopt: the route's own) whose first attempt failed
// after its stream was committed (reported at T0 + 10).
StartResult first_stream_cut(World& w, std::optional<Continuation> mode) {
    Request r = request("r");
    r.overrides.continuation = mode;
    StartResult st = w.planner->start(r, &w.traffic, T0);
    REQUIRE(st.attempts);
    REQUIRE_FALSE(st.attempts->next(w.health, T0, w.rng).is_final());
    st.attempts->report(http(500, "cut"), w.health, T0 + 10);
    return st;
}
}  // namespace

TEST_CASE("a committed stream that failed continues on the next attempt while the mid-stream budget lasts") {
    World w(document(kFallback3));
    StartResult st = first_stream_cut(w, Continuation::restart);
    Attempts& a = *st.attempts;
    CHECK(a.continuation_budget() == 1);
    REQUIRE(a.may_continue_stream());
    REQUIRE_FALSE(a.next(w.health, T0 + 10, w.rng).is_final());
    const stream::ContinuationPlan plan = a.continue_stream(nullptr);
    CHECK(plan.action == stream::ContinuationAction::restart);
    CHECK(plan.reason == "restart_requested");
    a.report(http(500, "cut again"), w.health, T0 + 20);
    CHECK_FALSE(a.may_continue_stream());  // the one continuation of the budget is spent
    REQUIRE_FALSE(a.next(w.health, T0 + 20, w.rng).is_final());
    CHECK(a.continue_stream(nullptr).reason == "budget_spent");
}

TEST_CASE("a committed stream never continues with continuation off") {
    World w(document(kFallback3));
    StartResult st = first_stream_cut(w, std::nullopt);
    CHECK_FALSE(st.attempts->may_continue_stream());
}

TEST_CASE("continue without partial text, or onto a target without prefill, restarts") {
    World w(document(kFallback3));
    StartResult st = first_stream_cut(w, Continuation::continue_);
    REQUIRE_FALSE(st.attempts->next(w.health, T0 + 10, w.rng).is_final());
    const stream::ContinuationPlan plan = st.attempts->continue_stream(nullptr);
    CHECK(plan.action == stream::ContinuationAction::restart);
    CHECK(plan.reason == "no_partial_text");
}

TEST_CASE("disable_fallbacks keeps the request on its first target") {
    World w(document(kFallback3));
    Request r = request("r");
    r.overrides.disable_fallbacks = true;
    Run run = w.run(r, [](const Attempt&) { return http(503, "down"); });
    REQUIRE(run.attempts.size() == 2);  // the first target and its one same-target retry
    CHECK(run.attempts[0].ref == "p:m1");
    CHECK(run.attempts[1].ref == "p:m1");
    CHECK(run.final.code == ErrorCode::provider_error);
}

TEST_CASE("allowed_providers and allowed_models narrow the plan; nothing left is model_not_found") {
    World w(document(kFallback3));
    Request r = request("r");
    r.overrides.allowed_providers = std::vector<std::string>{"q"};
    Run run = w.run(r, [](const Attempt&) { return ok(); });
    REQUIRE(run.attempts.size() == 1);
    CHECK(run.attempts[0].ref == "q:n1");
    r.overrides.allowed_providers.reset();
    r.overrides.allowed_models = std::vector<std::string>{"p:m2"};
    run = w.run(r, [](const Attempt&) { return ok(); });
    CHECK(run.attempts[0].ref == "p:m2");
    r.overrides.allowed_models = std::vector<std::string>{"nothing"};
    run = w.run(r, [](const Attempt&) { return ok(); });
    CHECK(run.attempts.empty());
    CHECK(run.final.code == ErrorCode::model_not_found);
    CHECK(run.final.http_status == 404);
    CHECK_FALSE(run.final.envelope.tried);
}

TEST_CASE("capabilities: a request with images skips targets without vision") {
    World w(document(kFallback3));
    Request r = request("r");
    r.needs_vision = true;
    Run run = w.run(r, [](const Attempt&) { return ok(); });
    REQUIRE(run.attempts.size() == 1);
    CHECK(run.attempts[0].ref == "q:n1");
}

TEST_CASE("a credential whose key is not set is a configuration failure") {
    World w(document(kFallback3), {{"K3", fingerprint("k3")}});
    Run run = w.run("r", [](const Attempt&) { return ok(); });
    REQUIRE(run.attempts.size() == 1);
    CHECK(run.attempts[0].ref == "q:n1");
    World none(document(kFallback3), {});
    run = none.run("r", [](const Attempt&) { return ok(); });
    CHECK(run.attempts.empty());
    CHECK(run.final.code == ErrorCode::missing_api_key);
    CHECK(run.final.http_status == 503);
}

// ---- policy per class ----------------------------------------------------------------------

TEST_CASE("overload tries the same model first; a plain 500 moves down the list") {
    World w(document(R"([{ "name": "r", "targets": [
        { "provider": "p", "model": "m1", "credential": "k1", "endpoint": "e1" },
        { "provider": "q", "model": "n1" },
        { "provider": "p", "model": "m1", "credential": "k2", "endpoint": "e2" } ] }])"));
    SUBCASE("503 overloaded: sibling of m1") {
        Run run = w.run("r", [](const Attempt& a) { return a.number == 1 ? http(503, "The server is overloaded") : ok(); });
        CHECK(run.attempts[1].ref == "p:m1");
        CHECK(run.attempts[1].reason == Reason::same_model_sibling);
    }
    SUBCASE("529: sibling of m1") {
        Run run = w.run("r", [](const Attempt& a) { return a.number == 1 ? http(529, "busy") : ok(); });
        CHECK(run.attempts[1].ref == "p:m1");
    }
    SUBCASE("500: the next target") {
        Run run = w.run("r", [](const Attempt& a) { return a.number == 1 ? http(500, "Internal server error") : ok(); });
        CHECK(run.attempts[1].ref == "q:n1");
        CHECK(run.attempts[1].reason == Reason::switch_target);
    }
    SUBCASE("model_not_entitled: the next credential of the same model") {
        Outcome o = http(403, "Your plan does not include this model");
        o.code = ErrorCode::model_not_entitled;
        Run run = w.run("r", [&](const Attempt& a) { return a.number == 1 ? o : ok(); });
        CHECK(run.attempts[1].credential_env == "K2");
    }
    SUBCASE("unsupported_parameter: the endpoint-model is retired for this request") {
        Outcome o = http(400, "Unsupported parameter: 'logprobs'");
        o.code = ErrorCode::unsupported_parameter;
        Run run = w.run("r", [&](const Attempt& a) { return a.number == 1 ? o : ok(); });
        CHECK(run.attempts[1].ref == "q:n1");
    }
}

TEST_CASE("a cancelled request ends without envelope or health effect") {
    World w(document(kFallback3));
    Run run = w.run("r", [](const Attempt&) { return kind(OutcomeKind::cancelled); });
    CHECK(run.attempts.size() == 1);
    CHECK(run.final.reason == Reason::cancelled);
    CHECK_FALSE(run.final.code);
    CHECK(w.health.size() == 0);
    CHECK(w.traffic.find("r")->in_flight[0] == 0);
}

TEST_CASE("advance reads the decisions of next_lean in place") {
    World w(document(kFallback3));
    auto lean = w.planner->start(request("r"), nullptr, w.now);
    auto in_place = w.planner->start(request("r"), nullptr, w.now);
    Attempts& a = *lean.attempts;
    Attempts& b = *in_place.attempts;
    HealthState ha, hb;
    Rng ra(3), rb(3);
    CHECK(b.last_attempt().number == 0);  // nothing handed out yet
    for (int step = 0; step < 3; ++step) {
        const Decision d = a.next_lean(ha, w.now, ra);
        const Decision::Kind k = b.advance(hb, w.now, rb);
        REQUIRE(k == d.kind);
        if (d.is_final()) {
            CHECK(b.next_lean(hb, w.now, rb).final.ok() == d.final.ok());
            CHECK(b.advance(hb, w.now, rb) == Decision::Kind::final);  // the same final again
            break;
        }
        const Attempt& x = b.last_attempt();
        CHECK(x.target == d.attempt.target);
        CHECK(x.number == d.attempt.number);
        CHECK(x.reason == d.attempt.reason);
        CHECK(x.notice == d.attempt.notice);
        CHECK(x.provider.empty());  // without texts, as next_lean
        CHECK(b.advance(hb, w.now, rb) == Decision::Kind::attempt);  // in flight: the same attempt
        CHECK(b.last_attempt().number == x.number);
        const Outcome o = step == 0 ? http(503, "down") : ok();
        a.report(o, ha, w.now);
        b.report(o, hb, w.now);
    }
    CHECK(b.finished());
}

TEST_CASE("next and report are safe in any order") {
    World w(document(kFallback3));
    auto s = w.planner->start(request("r"), &w.traffic, w.now);
    Attempts& a = *s.attempts;
    a.report(ok(), w.health, w.now);  // nothing in flight: ignored
    Decision d1 = a.next(w.health, w.now, w.rng);
    Decision d2 = a.next(w.health, w.now, w.rng);  // still in flight: the same attempt
    CHECK(d1.attempt.number == 1);
    CHECK(d2.attempt.number == 1);
    CHECK(a.attempts_made() == 1);
    a.report(ok(), w.health, w.now);
    a.report(http(500, "x"), w.health, w.now);  // ignored
    CHECK(a.next(w.health, w.now, w.rng).final.ok());
    CHECK(a.next(w.health, w.now, w.rng).final.ok());
    Attempts moved = std::move(a);
    CHECK(moved.finished());
}

TEST_CASE("nothing attempted because every target is cooling: 429 with Retry-After") {
    World w(document(R"([{ "name": "one", "targets": [ { "provider": "q", "model": "n1" } ] }])"));
    Run first = w.run("one", [](const Attempt& a) { return a.number == 1 ? http(429, "slow", 30'000.0) : ok(); });
    CHECK(first.final.ok());  // waited 30 s and retried
    Observation o;
    o.kind = OutcomeKind::http_error;
    o.code = ErrorCode::rate_limited;
    o.retry_after_ms = 20'000;
    w.health.record(TargetResources::make("q", "https://q.example/v1", fingerprint("k3"), "n1", false), o, w.now);
    Request r = request("one");
    r.overrides.deadline_ms = 10'000;
    Run run = w.run(r, [](const Attempt&) { return ok(); });
    CHECK(run.attempts.empty());
    CHECK(run.final.code == ErrorCode::rate_limited);
    CHECK(run.final.http_status == 429);
    CHECK(run.final.retry_after_ms == 20'000);
}

// ---- breaker integration -------------------------------------------------------------------

TEST_CASE("the panic guard never ejects more than half of a route, and still tries when all are down") {
    World w(document(R"([{ "name": "r", "targets": [
        { "provider": "p", "model": "m1", "credential": "k1", "endpoint": "e1" },
        { "provider": "p", "model": "m2", "credential": "k1", "endpoint": "e1" },
        { "provider": "p", "model": "m3", "credential": "k1", "endpoint": "e1" },
        { "provider": "q", "model": "n1" } ] }])"));
    Run run = w.run("r", [](const Attempt&) { return http(503, "down"); });
    CHECK(run.attempts.size() == 4);
    CHECK(run.final.reason == Reason::max_attempts);
    auto target = [](std::string_view model, std::string_view provider = "p") {
        return provider == "q" ? TargetResources::make("q", "https://q.example/v1", fingerprint("k3"), "n1", false)
                               : TargetResources::make("p", "https://p1.example/v1", fingerprint("k1"), model, false);
    };
    CHECK(w.health.is_available(target("m1"), w.now).reason == Reason::breaker_open);
    CHECK(w.health.is_available(target("m2"), w.now).reason == Reason::breaker_open);
    CHECK(w.health.is_available(target("m3"), w.now).usable());  // 2 of 4 ejected: refused
    CHECK(w.health.is_available(target("n1", "q"), w.now).usable());
    CHECK(w.health.totals().suppressed_ejections >= 2);
    SUBCASE("with every target ejected, the least recently ejected is still tried") {
        Observation o;
        o.kind = OutcomeKind::http_error;
        o.code = ErrorCode::provider_error;
        o.threshold = 1;
        w.health.record(target("m3"), o, w.now + 1);
        w.health.record(target("n1", "q"), o, w.now + 2);
        w.now += 3;
        for (auto m : {"m1", "m2", "m3"}) REQUIRE(w.health.is_available(target(m), w.now).reason == Reason::breaker_open);
        const auto plan = w.planner->explain(request("r"), w.health, w.now);
        CHECK(plan[0].use);
        CHECK(plan[0].reason == Reason::panic);
        Run panic = w.run("r", [](const Attempt&) { return ok(); });
        REQUIRE(panic.attempts.size() == 1);
        CHECK(panic.attempts[0].ref == "p:m1");
        CHECK(panic.attempts[0].reason == Reason::panic);
        CHECK(panic.final.ok());
    }
}

TEST_CASE("a half-open target is attempted as the probe") {
    World w(document(kFallback3));
    Run first = w.run("r", [](const Attempt& a) { return a.number == 1 ? http(503, "down") : ok(); });
    CHECK(first.attempts[1].ref == "p:m2");
    w.now += 16'500;
    Run probe = w.run("r", [](const Attempt&) { return ok(); });
    CHECK(probe.attempts[0].ref == "p:m1");
    CHECK(probe.attempts[0].is_probe);
    Run after = w.run("r", [](const Attempt&) { return ok(); });
    CHECK_FALSE(after.attempts[0].is_probe);
}

// ---- load balancing ----------------------------------------------------------------------------

namespace {
const std::string kBalance = R"([
  { "name": "w", "strategy": "loadbalance", "balance": "weighted", "targets": [
    { "provider": "p", "model": "m3", "credential": "k1", "endpoint": "e1", "weight": 3 },
    { "provider": "q", "model": "n1", "weight": 1 },
    { "provider": "p", "model": "m4", "credential": "k2", "endpoint": "e2", "weight": 0 } ] },
  { "name": "l", "strategy": "loadbalance", "balance": "least_in_flight", "targets": [
    { "provider": "p", "model": "m3", "credential": "k1", "endpoint": "e1" },
    { "provider": "q", "model": "n1" } ] },
  { "name": "s", "strategy": "loadbalance", "balance": "sticky", "targets": [
    { "provider": "p", "model": "m3", "credential": "k1", "endpoint": "e1" },
    { "provider": "p", "model": "m4", "credential": "k1", "endpoint": "e1" },
    { "provider": "q", "model": "n1" } ] } ])";
}

TEST_CASE("weighted load balancing follows the weights; weight 0 drains") {
    World w(document(kBalance));
    int counts[3] = {};
    for (int i = 0; i < 4000; ++i) {
        Run r = w.run("w", [](const Attempt&) { return ok(0); });
        ++counts[r.attempts[0].target];
    }
    CHECK(counts[2] == 0);
    CHECK(counts[0] > 2850);
    CHECK(counts[0] < 3150);
    SUBCASE("a failed pick falls back within the group") {
        Run r = w.run("w", [](const Attempt& a) { return a.number == 1 ? http(500, "x") : ok(); });
        REQUIRE(r.attempts.size() == 2);
        CHECK(r.attempts[0].target != r.attempts[1].target);
        CHECK(r.attempts[1].target != 2);
    }
}

TEST_CASE("least_in_flight picks the less busy of two") {
    World w(document(kBalance));
    std::vector<Attempts> busy;
    for (int i = 0; i < 5; ++i) {  // five requests in flight on m3
        Request r = request("l");
        r.overrides.allowed_models = std::vector<std::string>{"m3"};
        auto s = w.planner->start(r, &w.traffic, w.now);
        REQUIRE_FALSE(s.attempts->next(w.health, w.now, w.rng).is_final());
        busy.push_back(std::move(*s.attempts));
    }
    CHECK(w.traffic.find("l")->in_flight[0] == 5);
    for (int i = 0; i < 20; ++i) {
        Run r = w.run("l", [](const Attempt&) { return ok(); });
        CHECK(r.attempts[0].ref == "q:n1");
        CHECK(r.attempts[0].reason == Reason::least_in_flight);
    }
}

TEST_CASE("sticky: a conversation stays on its target while healthy and moves on its own ranking") {
    World w(document(kBalance));
    Request r = request("s");
    r.conversation_id = "conv-42";
    const Run first = w.run(r, [](const Attempt&) { return ok(); });
    const std::size_t home = first.attempts[0].target;
    CHECK(first.attempts[0].reason == Reason::sticky);
    for (int i = 0; i < 10; ++i) CHECK(w.run(r, [](const Attempt&) { return ok(); }).attempts[0].target == home);
    SUBCASE("different conversations spread over the targets") {
        int seen[3] = {};
        for (int i = 0; i < 300; ++i) {
            Request c = request("s");
            c.conversation_id = "conversation-" + std::to_string(i);
            ++seen[w.run(c, [](const Attempt&) { return ok(); }).attempts[0].target];
        }
        for (int k : seen) CHECK(k > 60);
    }
    SUBCASE("its target fails: the next in its ranking, and back after recovery") {
        Run moved = w.run(r, [&](const Attempt& a) { return a.target == home ? http(503, "down") : ok(); });
        REQUIRE(moved.attempts.size() == 2);
        const std::size_t second = moved.attempts[1].target;
        CHECK(w.run(r, [](const Attempt&) { return ok(); }).attempts[0].target == second);
        w.now += 16'500;
        CHECK(w.run(r, [](const Attempt&) { return ok(); }).attempts[0].target == home);
    }
}

// ---- explain and trail ---------------------------------------------------------------------

TEST_CASE("explain lists every target in plan order with a verdict and a reason") {
    World w(document(R"([{ "name": "r", "targets": [
        { "provider": "p", "model": "m1", "credential": "k1", "endpoint": "e1" },
        { "provider": "p", "model": "m2", "credential": "k2", "endpoint": "e1" },
        { "provider": "p", "model": "m3", "credential": "k1", "endpoint": "e2" },
        { "provider": "local", "model": "l1" },
        { "provider": "q", "model": "n1" } ] }])"),
            {{"K1", fingerprint("k1")}, {"K3", fingerprint("k3")}});
    Observation auth;
    auth.kind = OutcomeKind::http_error;
    auth.code = ErrorCode::auth_error;
    w.health.record(TargetResources::make("p", "https://p1.example/v1", fingerprint("k1"), "m1", false), auth, T0);
    Request r = request("r");
    r.prompt_tokens = 20'000;
    r.overrides.allowed_providers = std::vector<std::string>{"p", "q"};
    const auto plan = w.planner->explain(r, w.health, T0 + 1);
    REQUIRE(plan.size() == 5);
    CHECK(plan[0].ref == "p:m1");
    CHECK_FALSE(plan[0].use);
    CHECK(plan[0].reason == Reason::context_too_small);
    CHECK(plan[1].reason == Reason::config_failure);  // K2 not set
    CHECK(plan[2].reason == Reason::benched);         // k1 benched until T0 + 10 min
    CHECK(plan[2].resource == ResourceKind::credential);
    CHECK(plan[2].until_ms == T0 + 600'000);
    CHECK(plan[3].reason == Reason::not_allowed);
    CHECK(plan[4].use);
    CHECK(plan[4].reason == Reason::first_choice);
    SUBCASE("explain calls nothing and changes nothing") {
        const std::string before = w.health.to_json();
        (void)w.planner->explain(r, w.health, T0 + 2);
        CHECK(w.health.to_json() == before);
    }
    SUBCASE("an invalid request has no plan") {
        CHECK(w.planner->explain(request("nope"), w.health, T0).empty());
    }
}

TEST_CASE("x-reroute-served-by names provider, endpoint, host, fingerprint and model, percent-encoded") {
    Attempt a;
    a.provider = "p";
    a.endpoint_id = "e 1";
    a.base_url = "https://user:pw@p1.example:8443/v1?x=1";
    a.fingerprint = "07dfb656";
    a.model = "m;1";
    CHECK(served_by_header(a) == "provider=p;ep=e%201;host=p1.example%3A8443;fp=07dfb656;model=m%3B1");
    a.base_url = "p2.example/v1";
    CHECK(served_by_header(a) == "provider=p;ep=e%201;host=p2.example;fp=07dfb656;model=m%3B1");
}

TEST_CASE("the trail keeps the failed attempts, at most 8 entries and 1 KiB rendered") {
    World w(document(kFallback3));
    Run run = w.run("r", [](const Attempt& a) { return a.number < 3 ? http(500, "x") : ok(); });
    CHECK(run.final.ok());
    std::vector<TrailEntry> trail;
    TrailEntry e{0, "p:m1", "e1", fingerprint("k1"), ErrorCode::provider_error, OutcomeKind::http_error, 523};
    trail.push_back(e);
    CHECK(render_trail(trail) == "ref=p%3Am1;ep=e1;fp=" + fingerprint("k1") + ";code=provider_error;kind=http_error;ms=523");
    for (int i = 0; i < 20; ++i) {
        e.ref = "provider:" + std::string(60, 'm') + std::to_string(i);
        trail.push_back(e);
    }
    const std::string text = render_trail(trail);
    CHECK(text.size() <= kMaxTrailBytes);
    CHECK(text.find(", +") != std::string::npos);
    CHECK(render_trail({}).empty());
}

TEST_CASE("HTTP status per code (II.2)") {
    CHECK(http_status_for(ErrorCode::content_filter, false) == 400);
    CHECK(http_status_for(ErrorCode::context_length, false) == 400);
    CHECK(http_status_for(ErrorCode::unsupported_parameter, false) == 400);
    CHECK(http_status_for(ErrorCode::output_cap_too_high, false) == 400);
    CHECK(http_status_for(ErrorCode::token_limit, false) == 400);
    CHECK(http_status_for(ErrorCode::credit_exhausted, false) == 402);
    CHECK(http_status_for(ErrorCode::model_not_entitled, false) == 403);
    CHECK(http_status_for(ErrorCode::model_not_found, false) == 404);
    CHECK(http_status_for(ErrorCode::rate_limited, true) == 429);
    CHECK(http_status_for(ErrorCode::missing_api_key, false) == 503);
    for (ErrorCode c : {ErrorCode::auth_error, ErrorCode::provider_unreachable, ErrorCode::provider_error,
                        ErrorCode::tool_failure, ErrorCode::generic}) {
        CHECK(http_status_for(c, false) == 502);
        CHECK(http_status_for(c, true) == 504);
    }
}

TEST_CASE("traffic counters balance after every request") {
    World w(document(kFallback3));
    for (int i = 0; i < 20; ++i)
        w.run("r", [&](const Attempt& a) { return (a.number + i) % 3 == 0 ? ok() : http(i % 2 ? 503 : 429, "x", 100.0); });
    const RouteTraffic* t = w.traffic.find("r");
    REQUIRE(t);
    CHECK(t->budget.active_requests() == 0);
    CHECK(t->budget.retries_in_flight() == 0);
    for (std::int32_t n : t->in_flight) CHECK(n == 0);
}

// ---- the upstream body ------------------------------------------------------------------------

namespace {
std::string upstream(std::string_view body, std::string_view model) {
    std::string out;
    return write_upstream_body(body, model, out) ? out : "(not an object)";
}
}  // namespace

TEST_CASE("upstream body: the target's model in the client's place, the rest as the client wrote it") {
    CHECK(upstream(R"({"model":"route","messages":[ {"role":"user","content":"hi"} ],"temperature":0.50})", "gpt-x") ==
          R"({"model":"gpt-x","messages":[ {"role":"user","content":"hi"} ],"temperature":0.50})");
    CHECK(upstream(R"({"messages":[],"model":"r"})", "m") == R"({"messages":[],"model":"m"})");
}

TEST_CASE("upstream body: the model is added last when the client sent none; the reroute member never goes upstream") {
    CHECK(upstream(R"({"messages":[]})", "m") == R"({"messages":[],"model":"m"})");
    CHECK(upstream(R"({"reroute":{"max_attempts":2},"model":"r","stream":true})", "m\"q") == R"({"model":"m\"q","stream":true})");
}

TEST_CASE("upstream body: a key given twice appears once, in its first place, with its last value") {
    CHECK(upstream(R"({"stream":false,"model":"r","stream":true,"mod\u0065l":"s"})", "m") == R"({"stream":true,"model":"m"})");
}

TEST_CASE("upstream body: the governor's fields join only where the client gave none") {
    std::string out;
    REQUIRE(write_upstream_body(R"({"model":"r","reasoning_effort":"low","messages":[]})", "m", out,
                                R"({"reasoning_effort":"high","thinking":{"type":"enabled","budget_tokens":2048},"model":"x","reroute":1})"));
    CHECK(out == R"({"model":"m","reasoning_effort":"low","messages":[],"thinking":{"type":"enabled","budget_tokens":2048}})");
}

TEST_CASE("upstream body: a continuation's message comes after the client's messages") {
    const std::string prefill = R"({"role":"assistant","content":"Part","prefix":true})";
    std::string out;
    REQUIRE(write_upstream_body(R"({"messages":[ {"role":"user","content":"hi"} ],"model":"r"})", "m", out, {}, prefill));
    CHECK(out == R"({"messages":[ {"role":"user","content":"hi"} ,)" + prefill + R"(],"model":"m"})");
    out.clear();
    REQUIRE(write_upstream_body(R"({"messages":[ ]})", "m", out, {}, prefill));
    CHECK(out == R"({"messages":[)" + prefill + R"(],"model":"m"})");
    out.clear();
    REQUIRE(write_upstream_body(R"({"messages":"not a list","model":"r"})", "m", out, {}, prefill));
    CHECK(out == R"({"messages":[)" + prefill + R"(],"model":"m"})");
    out.clear();
    REQUIRE(write_upstream_body(R"({"model":"r"})", "m", out, {}, prefill));
    CHECK(out == R"({"model":"m","messages":[)" + prefill + "]}");
}

TEST_CASE("upstream body: only an object is rewritten") {
    CHECK(upstream("[1]", "m") == "(not an object)");
    CHECK(upstream(R"({"model":"r",)", "m") == "(not an object)");
    std::string out = "kept";
    CHECK_FALSE(write_upstream_body("nope", "m", out));
    CHECK_FALSE(write_upstream_body("{}", "m", out, "[1]"));       // defaults that are not an object
    CHECK_FALSE(write_upstream_body("{}", "m", out, {}, "{\"a\""));  // a message that is not JSON
    CHECK(out == "kept");
}

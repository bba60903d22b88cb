// Failover scenarios that read like the spec: the sixteen reference scenarios of failover.md
// Part I section 10, adapted to targets, and the named rules of issue 3, each with a fake clock
// and a scripted upstream. Every upstream request is one Attempt handed out by the planner.
#include "reroute/plan.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "reroute/notice.hpp"
#include "reroute/scope.hpp"

using namespace reroute;

namespace {

constexpr std::int64_t T0 = 1'700'000'000'000;

// Providers `or` (two endpoints u0 and ux, keys k1 and k2) and `oa` (one endpoint, key k3);
// models on `or`: a, b, c, d, m:free; on `oa`: gpt. Routes are given per scenario.
std::string document(std::string_view routes, std::string_view extra_models = "", std::string_view defaults = "{}") {
    std::string s = R"({
      "version": 1,
      "providers": [
        { "id": "or", "endpoints": [ { "id": "u0", "base_url": "https://openrouter.example/api/v1" },
                                     { "id": "ux", "base_url": "https://x.openrouter.example/api/v1" } ],
          "credentials": [ { "id": "k1", "env": "K1" }, { "id": "k2", "env": "K2" } ] },
        { "id": "oa", "base_url": "https://api.openai.example/v1", "credentials": [ { "id": "k3", "env": "K3" } ] }
      ],
      "models": [
        { "provider": "or", "id": "a", "context_window": 100000, "max_output_tokens": 4000 },
        { "provider": "or", "id": "b", "context_window": 100000, "max_output_tokens": 4000 },
        { "provider": "or", "id": "c", "context_window": 100000, "max_output_tokens": 4000 },
        { "provider": "or", "id": "d", "context_window": 100000, "max_output_tokens": 4000 },
        { "provider": "or", "id": "m:free", "context_window": 100000, "max_output_tokens": 4000,
          "input_price": 0, "output_price": 0 },
        { "provider": "oa", "id": "gpt", "context_window": 100000, "max_output_tokens": 4000 })";
    s += extra_models;
    s += R"(],
      "defaults": )";
    s += defaults;
    s += R"(,
      "routes": )";
    s += routes;
    s += "}";
    return s;
}

std::string fp(std::string_view key) { return fingerprint(key); }

// Outcomes as the edge would report them.
Outcome ok() { return Outcome{}; }
Outcome http(int status, std::string message, std::optional<double> hint = {}) {
    Outcome o;
    o.kind = OutcomeKind::http_error;
    o.error = ErrorValue::object();
    o.error.status = status;
    o.error.message = std::move(message);
    o.retry_after_ms = hint;
    o.duration_ms = 100;
    return o;
}
Outcome transport(OutcomeKind kind, std::int64_t duration = 50) {
    Outcome o;
    o.kind = kind;
    o.duration_ms = duration;
    return o;
}

using Upstream = std::function<Outcome(const Attempt&, std::int64_t now)>;

struct Run {
    Final final;
    std::vector<Attempt> attempts;
    std::vector<std::string> notices;
    std::vector<std::int64_t> started_at;
    std::string trail;

    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const Attempt& a : attempts) out.push_back(a.ref + "/" + a.endpoint_id + "/" + a.credential_env.value_or("-"));
        return out;
    }
};

// One gateway isolate: configuration, planner, shared health, traffic, rng and a fake clock.
struct World {
    Config config;
    std::optional<Planner> planner;
    HealthState health;
    Traffic traffic;
    Rng rng{27};
    std::int64_t now = T0;

    explicit World(const std::string& json, KeyFingerprints keys = {{"K1", fp("k1")}, {"K2", fp("k2")}, {"K3", fp("k3")}}) {
        ConfigResult r = load_config(json);
        for (const Problem& p : r.problems)
            if (p.severity == Severity::error) MESSAGE(describe(p));
        REQUIRE(r.ok());
        config = std::move(*r.config);
        planner.emplace(config, std::move(keys));
    }
    World(const World&) = delete;

    Run run(Request req, const Upstream& upstream) {
        Run out;
        StartResult st = planner->start(req, &traffic, now);
        REQUIRE(st.attempts);
        Attempts& at = *st.attempts;
        for (int guard = 0; guard < 64; ++guard) {
            Decision d = at.next(health, now, rng);
            if (d.is_final()) {
                out.final = d.final;
                out.trail = render_trail(at.trail());
                return out;
            }
            now += d.attempt.wait_ms;
            if (d.attempt.notice) out.notices.push_back(*d.attempt.notice);
            out.started_at.push_back(now);
            out.attempts.push_back(d.attempt);
            Outcome o = upstream(d.attempt, now);
            now += o.duration_ms;
            at.report(o, health, now);
        }
        FAIL("the planner did not finish");
        return out;
    }
    Run run(std::string route, const Upstream& upstream) {
        Request r;
        r.route = std::move(route);
        return run(r, upstream);
    }
};

// An upstream scripted per target ref (provider:model/endpoint/credential env, shortest match).
Upstream script(std::vector<std::pair<std::string, std::function<Outcome()>>> rules) {
    return [rules = std::move(rules)](const Attempt& a, std::int64_t) {
        const std::string name = a.ref + "/" + a.endpoint_id + "/" + a.credential_env.value_or("-");
        for (const auto& [prefix, f] : rules)
            if (name.rfind(prefix, 0) == 0) return f();
        return ok();
    };
}

std::function<Outcome()> always(Outcome o) {
    return [o] { return o; };
}

const std::string kAB = R"([{ "name": "r", "targets": [
    { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" },
    { "provider": "oa", "model": "gpt" } ] }])";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reference scenarios (failover.md Part I section 10), adapted to targets.

TEST_CASE("ref 1: a 429, b answers; 2 gens; one notice reason=rate_limited") {
    World w(document(kAB));
    Run r = w.run("r", script({{"or:a", always(http(429, "Too many requests"))}}));
    CHECK(r.final.ok());
    CHECK(r.attempts.size() == 2);
    CHECK(r.attempts[1].ref == "oa:gpt");
    REQUIRE(r.notices.size() == 1);
    CHECK(r.notices[0] == "[MODEL_FALLBACK] from=or%3Aa to=oa%3Agpt reason=rate_limited");
    CHECK(r.attempts[1].wait_ms == 0);
}

TEST_CASE("ref 2: a 401, b answers; cred:or:<fp(k1)> retired") {
    World w(document(kAB));
    Run r = w.run("r", script({{"or:a", always(http(401, "Invalid API key"))}}));
    CHECK(r.final.ok());
    CHECK(r.attempts.size() == 2);
    CHECK(ResourceId::credential("or", fp("k1")).scope_key() == "cred:or:" + fp("k1"));
    const auto av = w.health.is_available(TargetResources::make("or", "https://openrouter.example/api/v1", fp("k1"), "b", false), w.now);
    CHECK(av.reason == Reason::benched);
    CHECK(av.resource == ResourceKind::credential);
}

TEST_CASE("ref 3: content_policy violation is terminal; 1 gen; b never tried; no notice") {
    World w(document(kAB));
    Run r = w.run("r", script({{"or:a", always(http(400, "content_policy violation"))}}));
    CHECK(r.attempts.size() == 1);
    CHECK(r.notices.empty());
    CHECK(r.final.reason == Reason::terminal);
    CHECK(r.final.code == ErrorCode::content_filter);
    CHECK(r.final.http_status == 400);
}

TEST_CASE("ref 4: a 402 on the shared key; b skipped without a request; 1 gen") {
    World w(document(R"([{ "name": "r", "targets": [
        { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" },
        { "provider": "or", "model": "b", "credential": "k1", "endpoint": "u0" } ] }])"));
    Run r = w.run("r", script({{"or:a", always(http(402, "This request requires more credits"))}}));
    CHECK(r.attempts.size() == 1);
    CHECK(r.final.code == ErrorCode::credit_exhausted);
    CHECK(r.final.http_status == 402);
    CHECK(r.final.envelope.model == "a");
    CHECK(r.final.envelope.tried == 1);
    CHECK(r.notices.empty());
}

TEST_CASE("ref 5: same provider, key-A 401, key-B answers; 2 gens") {
    World w(document(R"([{ "name": "r", "targets": [
        { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" },
        { "provider": "or", "model": "b", "credential": "k2", "endpoint": "u0" } ] }])"));
    Run r = w.run("r", script({{"or:a", always(http(401, "Invalid API key"))}}));
    CHECK(r.final.ok());
    CHECK(r.attempts.size() == 2);
    CHECK(r.attempts[1].credential_env == "K2");
}

namespace {
const std::string kABCD = R"([{ "name": "r", "targets": [
    { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" },
    { "provider": "or", "model": "b", "credential": "k1", "endpoint": "u0" },
    { "provider": "or", "model": "c", "credential": "k2", "endpoint": "u0" },
    { "provider": "oa", "model": "gpt" } ] }])";
}

TEST_CASE("ref 6: A 402; notice from=A to=C; B skipped silently; C attempted") {
    World w(document(kABCD));
    Run r = w.run("r", script({{"or:a", always(http(402, "requires more credits"))}}));
    REQUIRE(r.attempts.size() == 2);
    CHECK(r.attempts[1].ref == "or:c");
    REQUIRE(r.notices.size() == 1);
    CHECK(r.notices[0] == "[MODEL_FALLBACK] from=or%3Aa to=or%3Ac reason=credit_exhausted");
}

TEST_CASE("ref 7: A ECONNREFUSED; host:or:u0 retired; B and C skipped; notice to=D") {
    World w(document(kABCD));
    Run r = w.run("r", script({{"or:a", always(transport(OutcomeKind::connect_refused))}}));
    REQUIRE(r.attempts.size() == 2);
    CHECK(r.attempts[1].ref == "oa:gpt");
    REQUIRE(r.notices.size() == 1);
    CHECK(r.notices[0] == "[MODEL_FALLBACK] from=or%3Aa to=oa%3Agpt reason=provider_unreachable");
    CHECK(ResourceId::endpoint("or", "https://openrouter.example/api/v1").scope_key() ==
          "host:or:https://openrouter.example/api/v1");
}

TEST_CASE("ref 8: A 404; nothing retired for the siblings; notice to=B reason=model_not_found") {
    World w(document(kABCD));
    Run r = w.run("r", script({{"or:a", always(http(404, "The model `a` does not exist"))}}));
    REQUIRE(r.attempts.size() == 2);
    CHECK(r.attempts[1].ref == "or:b");
    CHECK(r.notices[0] == "[MODEL_FALLBACK] from=or%3Aa to=or%3Ab reason=model_not_found");
}

TEST_CASE("ref 9: A ECONNREFUSED on u0; B with its own base URL attempted") {
    World w(document(R"([{ "name": "r", "targets": [
        { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" },
        { "provider": "or", "model": "b", "credential": "k1", "endpoint": "ux" } ] }])"));
    Run r = w.run("r", script({{"or:a", always(transport(OutcomeKind::connect_refused))}}));
    CHECK(r.final.ok());
    REQUIRE(r.attempts.size() == 2);
    CHECK(r.attempts[1].endpoint_id == "ux");
}

namespace {
const std::string kAFree = R"([{ "name": "r", "targets": [
    { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" },
    { "provider": "or", "model": "m:free", "credential": "k1", "endpoint": "u0" } ] }])";
}

TEST_CASE("ref 10: A 402; the free model on the same key is still attempted ([later])") {
    World w(document(kAFree));
    Run r = w.run("r", script({{"or:a", always(http(402, "requires more credits"))}}));
    CHECK(r.final.ok());
    REQUIRE(r.attempts.size() == 2);
    CHECK(r.attempts[1].ref == "or:m:free");
}

TEST_CASE("ref 11: A 401; the free model on the same key is skipped") {
    World w(document(kAFree));
    Run r = w.run("r", script({{"or:a", always(http(401, "Invalid API key"))}}));
    CHECK(r.attempts.size() == 1);
    CHECK(r.final.code == ErrorCode::auth_error);
    CHECK(r.final.http_status == 502);  // never 401 to the client
}

TEST_CASE("ref 12: A 503, B 503; envelope provider_error with B's provider and model, tried 2") {
    World w(document(kAB));
    Run r = w.run("r", [](const Attempt&, std::int64_t) { return http(503, "Service Unavailable"); });
    CHECK(r.final.code == ErrorCode::provider_error);
    CHECK(r.final.envelope.provider == "oa");
    CHECK(r.final.envelope.model == "gpt");
    CHECK(r.final.envelope.tried == 2);
    // reroute adds one same-target retry of B (II.7) once no alternative is left.
    CHECK(r.attempts.size() == 3);
    CHECK(r.attempts[2].same_target_retry);
    CHECK(r.final.attempts == 3);
    CHECK(r.final.http_status == 502);
    const std::string env = encode_envelope(r.final.envelope);
    CHECK(env.rfind("TALE_ERR1 %7B%22code%22%3A%22provider_error%22%2C%22provider%22%3A%22oa%22%2C%22model%22%3A%22gpt%22%2C%22tried%22%3A2%7D\n", 0) == 0);
}

TEST_CASE("ref 13: A unresolvable (key not set) is skipped silently; B answers") {
    World w(document(kAB), {{"K3", fp("k3")}});
    Run r = w.run("r", script({}));
    CHECK(r.final.ok());
    REQUIRE(r.attempts.size() == 1);
    CHECK(r.attempts[0].ref == "oa:gpt");
    CHECK(r.notices.empty());
}

TEST_CASE("ref 14: A 503 and B unresolvable; A's error ends the request; tried 1") {
    World w(document(kAB), {{"K1", fp("k1")}});
    Run r = w.run("r", [](const Attempt&, std::int64_t) { return http(503, "Service Unavailable"); });
    CHECK(r.final.code == ErrorCode::provider_error);
    CHECK(r.final.envelope.tried == 1);
    CHECK(r.final.envelope.model == "a");
    for (const Attempt& a : r.attempts) CHECK(a.ref == "or:a");
}

TEST_CASE("ref 15: A 503 within 5 s of the deadline: no fallover") {
    World w(document(kAB));
    Run r = w.run("r", [](const Attempt&, std::int64_t) {
        Outcome o = http(503, "Service Unavailable");
        o.duration_ms = 115'001;  // 4 999 ms of the 120 s deadline remain
        return o;
    });
    CHECK(r.attempts.size() == 1);
    CHECK(r.final.reason == Reason::deadline);
    CHECK(r.final.code == ErrorCode::provider_error);
    CHECK(r.notices.empty());
    SUBCASE("with exactly 5 000 ms left the fallback still starts") {
        World v(document(kAB));
        Run q = v.run("r", script({{"or:a", [] {
                                       Outcome o = http(503, "Service Unavailable");
                                       o.duration_ms = 115'000;
                                       return o;
                                   }}}));
        CHECK(q.final.ok());
        CHECK(q.attempts.size() == 2);
        CHECK(q.attempts[1].timeouts.first_token_ms == 5'000);  // clipped to what is left
    }
}

TEST_CASE("ref 16: the route's default model fails; the notice names it and the envelope its id") {
    // reroute has no tag default; a route named "default" stands for it and resolves to a model.
    World w(document(R"([{ "name": "default", "targets": [
        { "provider": "oa", "model": "gpt" },
        { "provider": "or", "model": "b", "credential": "k1", "endpoint": "u0" } ] }])"));
    Run r = w.run("default", script({{"oa:gpt", always(http(503, "Service Unavailable"))}, {"or:b", always(http(503, "down"))}}));
    REQUIRE(r.notices.size() == 1);
    CHECK(r.notices[0] == "[MODEL_FALLBACK] from=oa%3Agpt to=or%3Ab reason=provider_error");
    CHECK(r.final.envelope.model == "b");
}

// ---------------------------------------------------------------------------------------------
// The named rules of issue 3.

namespace {
// Model a on `or` over both keys and both endpoints (the leaf expands to k1/u0, k1/ux, k2/u0, k2/ux).
const std::string kExpanded = R"([{ "name": "r", "targets": [ { "provider": "or", "model": "a" } ] }])";
}

TEST_CASE("401 on key A while key B of the same provider serves") {
    World w(document(R"([{ "name": "r", "targets": [ { "provider": "or", "model": "a", "endpoint": "u0" } ] }])"));
    auto upstream = script({{"or:a/u0/K1", always(http(401, "Incorrect API key provided"))}});
    Run first = w.run("r", upstream);
    CHECK(first.final.ok());
    REQUIRE(first.attempts.size() == 2);
    CHECK(first.attempts[1].credential_env == "K2");
    CHECK(first.attempts[1].reason == Reason::same_model_sibling);
    SUBCASE("the next request goes straight to key B for 10 minutes") {
        Run second = w.run("r", upstream);
        REQUIRE(second.attempts.size() == 1);
        CHECK(second.attempts[0].credential_env == "K2");
    }
    SUBCASE("after 10 minutes key A is tried again") {
        w.now = T0 + 600'000 + 200;
        Run later = w.run("r", script({}));
        CHECK(later.attempts[0].credential_env == "K1");
    }
}

TEST_CASE("402 retires the key but not free models") {
    World w(document(R"([{ "name": "r", "targets": [
        { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" },
        { "provider": "or", "model": "b", "credential": "k1", "endpoint": "u0" },
        { "provider": "or", "model": "m:free", "credential": "k1", "endpoint": "u0" } ] }])"));
    Run r = w.run("r", script({{"or:a", always(http(402, "Insufficient credits"))}}));
    CHECK(r.final.ok());
    REQUIRE(r.attempts.size() == 2);
    CHECK(r.attempts[1].ref == "or:m:free");
    SUBCASE("shared health: the paid models stay benched for 15 minutes, the free one serves") {
        Run again = w.run("r", script({}));
        REQUIRE(again.attempts.size() == 1);
        CHECK(again.attempts[0].ref == "or:m:free");
    }
}

TEST_CASE("DNS failure retires the endpoint only") {
    World w(document(kExpanded));
    Run r = w.run("r", script({{"or:a/u0", always(transport(OutcomeKind::dns_failure))}}));
    CHECK(r.final.ok());
    REQUIRE(r.attempts.size() == 2);
    CHECK(r.attempts[0].endpoint_id == "u0");
    CHECK(r.attempts[1].endpoint_id == "ux");       // sibling endpoint, same key
    CHECK(r.attempts[1].credential_env == "K1");
    CHECK(r.notices.size() == 1);
    SUBCASE("the other key on the same endpoint was skipped, the endpoint is ejected for the next request") {
        Run next = w.run("r", script({}));
        REQUIRE(next.attempts.size() == 1);
        CHECK(next.attempts[0].endpoint_id == "ux");
    }
}

TEST_CASE("429 with Retry-After 2 s waits >= 2 s, or switches at once to a healthy sibling") {
    SUBCASE("a single target: wait the hint, then retry it") {
        World w(document(R"([{ "name": "r", "targets": [ { "provider": "oa", "model": "gpt" } ] }])"));
        int calls = 0;
        Run r = w.run("r", [&](const Attempt&, std::int64_t) {
            return ++calls == 1 ? http(429, "Rate limit reached", 2'000.0) : ok();
        });
        CHECK(r.final.ok());
        REQUIRE(r.attempts.size() == 2);
        CHECK(r.attempts[1].same_target_retry);
        CHECK(r.attempts[1].wait_ms >= 2'000);
        CHECK(r.attempts[1].wait_ms <= 2'100);  // the hint within +-100 ms
        CHECK(r.started_at[1] - (r.started_at[0] + 100) >= 2'000);
        CHECK(r.notices.empty());
    }
    SUBCASE("a sibling credential of the same model: switch without waiting") {
        World w(document(R"([{ "name": "r", "targets": [
            { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" },
            { "provider": "oa", "model": "gpt" },
            { "provider": "or", "model": "a", "credential": "k2", "endpoint": "u0" } ] }])"));
        Run r = w.run("r", script({{"or:a/u0/K1", always(http(429, "Rate limit reached", 2'000.0))}}));
        CHECK(r.final.ok());
        REQUIRE(r.attempts.size() == 2);
        CHECK(r.attempts[1].credential_env == "K2");  // same model first, before oa:gpt
        CHECK(r.attempts[1].wait_ms == 0);
        CHECK(r.attempts[1].reason == Reason::same_model_sibling);
    }
    SUBCASE("prefer next_target goes down the list instead") {
        World w(document(R"([{ "name": "r", "classes": { "prefer": "next_target" }, "targets": [
            { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" },
            { "provider": "oa", "model": "gpt" },
            { "provider": "or", "model": "a", "credential": "k2", "endpoint": "u0" } ] }])"));
        Run r = w.run("r", script({{"or:a/u0/K1", always(http(429, "Rate limit reached", 2'000.0))}}));
        CHECK(r.attempts[1].ref == "oa:gpt");
    }
    SUBCASE("a hint beyond the cap is not waited for: the request ends with the hint exposed") {
        World w(document(R"([{ "name": "r", "targets": [ { "provider": "oa", "model": "gpt" } ] }])"));
        Run r = w.run("r", script({{"oa:gpt", always(http(429, "Rate limit reached", 90'000.0))}}));
        CHECK(r.attempts.size() == 1);
        CHECK(r.final.reason == Reason::hint_too_long);
        CHECK(r.final.http_status == 429);
        CHECK(r.final.retry_after_ms == 90'000);
        CHECK(r.final.envelope.retry_after_ms == 90'000);
    }
}

TEST_CASE("a flapping primary gets at most one probe per ejection period") {
    World w(document(R"([{ "name": "r", "targets": [ { "provider": "oa", "model": "gpt" },
        { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" } ] }])"));
    auto primary_down = script({{"oa:gpt", always(http(503, "Service Unavailable"))}});
    Run first = w.run("r", primary_down);
    REQUIRE(first.attempts.size() == 2);  // ejected at once: a healthy alternative exists
    const std::int64_t ejected_at = w.now;

    // Half-open: two requests at the same time; exactly one probes the primary.
    w.now = ejected_at + 16'600;  // past any ejection of 15 s x (1 + j), j < 0.1
    Request req;
    req.route = "r";
    auto s1 = w.planner->start(req, &w.traffic, w.now);
    auto s2 = w.planner->start(req, &w.traffic, w.now);
    Decision d1 = s1.attempts->next(w.health, w.now, w.rng);
    Decision d2 = s2.attempts->next(w.health, w.now, w.rng);
    REQUIRE_FALSE(d1.is_final());
    REQUIRE_FALSE(d2.is_final());
    CHECK(d1.attempt.ref == "oa:gpt");
    CHECK(d1.attempt.is_probe);
    CHECK(d2.attempt.ref == "or:a");  // the others go elsewhere
    CHECK_FALSE(d2.attempt.is_probe);
    s2.attempts->report(ok(), w.health, w.now + 100);

    SUBCASE("the probe fails: ejected again, the request moves on") {
        s1.attempts->report(http(503, "Service Unavailable"), w.health, w.now + 100);
        Decision d = s1.attempts->next(w.health, w.now + 100, w.rng);
        REQUIRE_FALSE(d.is_final());
        CHECK(d.attempt.ref == "or:a");
        Run during = w.run("r", primary_down);
        CHECK(during.attempts[0].ref == "or:a");
    }
    SUBCASE("the probe succeeds: the primary is back in use at once") {
        s1.attempts->report(ok(), w.health, w.now + 100);
        w.now += 200;
        Run after = w.run("r", script({}));
        CHECK(after.attempts[0].ref == "oa:gpt");
        CHECK_FALSE(after.attempts[0].is_probe);
    }
}

namespace {

struct OutageStats {
    int requests = 0, served = 0, primary_in_outage = 0;
    std::optional<std::int64_t> back_on_primary;  // first request after recovery served by the primary
};

OutageStats primary_outage(int jitter_percent, std::uint64_t seed) {
    World w(document(R"([{ "name": "r", "breaker": { "jitter_percent": )" + std::to_string(jitter_percent) +
                     R"( }, "targets": [ { "provider": "oa", "model": "gpt" },
        { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" } ] }])"));
    w.rng = Rng(seed);
    const std::int64_t start = T0, recovered = T0 + 60'000;
    OutageStats s;
    for (std::int64_t t = start; t < start + 100'000; t += 4'000) {
        w.now = t;
        Run r = w.run("r", [&](const Attempt& a, std::int64_t now) {
            if (a.ref == "oa:gpt" && now < recovered) {
                ++s.primary_in_outage;
                Outcome o = http(503, "Service Unavailable");
                o.duration_ms = 20;
                return o;
            }
            Outcome o = ok();
            o.duration_ms = 20;
            return o;
        });
        ++s.requests;
        if (r.final.ok()) ++s.served;
        if (t >= recovered && !s.back_on_primary && r.final.ok() && r.attempts.back().ref == "oa:gpt")
            s.back_on_primary = t;
    }
    return s;
}

}  // namespace

TEST_CASE("primary 503 for 60 s, one request every 4 s: all served, <= 4 primary attempts, back <= 5 s after") {
    const OutageStats s = primary_outage(0, 27);
    MESSAGE("jitter 0: primary attempts in the outage " << s.primary_in_outage << ", back on primary "
            << (s.back_on_primary ? *s.back_on_primary - (T0 + 60'000) : -1) << " ms after recovery");
    CHECK(s.requests == 25);
    CHECK(s.served == s.requests);
    CHECK(s.primary_in_outage <= 4);
    REQUIRE(s.back_on_primary);
    CHECK(*s.back_on_primary - (T0 + 60'000) <= 5'000);
    SUBCASE("with the default 10 % jitter: the same, whatever j was drawn") {
        for (std::uint64_t seed = 1; seed <= 24; ++seed) {
            CAPTURE(seed);
            const OutageStats j = primary_outage(10, seed);
            MESSAGE("jitter 10 %, seed " << seed << ": primary attempts " << j.primary_in_outage << ", back after "
                    << (j.back_on_primary ? *j.back_on_primary - (T0 + 60'000) : -1) << " ms");
            CHECK(j.served == j.requests);
            CHECK(j.primary_in_outage <= 4);
            REQUIRE(j.back_on_primary);
            CHECK(*j.back_on_primary - (T0 + 60'000) <= 5'000);
        }
    }
}

TEST_CASE("content filter stops at once with its envelope") {
    World w(document(kABCD));
    Run r = w.run("r", script({{"or:a", always(http(400, "Your request was rejected by our content filter: sk-abcdefghijklmnop1234"))}}));
    CHECK(r.attempts.size() == 1);
    CHECK(r.notices.empty());
    CHECK(r.final.reason == Reason::terminal);
    CHECK(r.final.code == ErrorCode::content_filter);
    CHECK(r.final.http_status == 400);
    CHECK(r.final.envelope.code == "content_filter");
    CHECK(r.final.envelope.provider == "or");
    CHECK(r.final.envelope.model == "a");
    CHECK(r.final.envelope.tried == 1);
    REQUIRE(r.final.envelope.raw);
    CHECK(r.final.envelope.raw->find("sk-abcdefghijklmnop1234") == std::string::npos);  // redacted
    const DecodedEnvelope back = decode_envelope(encode_envelope(r.final.envelope));
    CHECK(back.code == ErrorCode::content_filter);
    SUBCASE("unless the route opts in to routing around it") {
        World v(document(R"([{ "name": "r", "classes": { "route_around_content_filter": true }, "targets": [
            { "provider": "or", "model": "a", "credential": "k1", "endpoint": "u0" },
            { "provider": "oa", "model": "gpt" } ] }])"));
        Run q = v.run("r", script({{"or:a", always(http(400, "content_filter triggered"))}}));
        CHECK(q.final.ok());
        CHECK(q.attempts.size() == 2);
    }
}

TEST_CASE("context length only moves to a larger window") {
    const std::string models = R"(,
        { "provider": "or", "id": "small", "context_window": 8000, "max_output_tokens": 1000 },
        { "provider": "or", "id": "mid", "context_window": 32000, "max_output_tokens": 1000 },
        { "provider": "or", "id": "mid2", "context_window": 32000, "max_output_tokens": 1000 },
        { "provider": "or", "id": "large", "context_window": 128000, "max_output_tokens": 1000 })";
    World w(document(R"([{ "name": "r", "targets": [
        { "provider": "or", "model": "mid", "credential": "k1", "endpoint": "u0" },
        { "provider": "or", "model": "mid2", "credential": "k1", "endpoint": "u0" },
        { "provider": "or", "model": "large", "credential": "k1", "endpoint": "u0" } ] },
        { "name": "nolarger", "targets": [
        { "provider": "or", "model": "mid", "credential": "k1", "endpoint": "u0" },
        { "provider": "or", "model": "mid2", "credential": "k1", "endpoint": "u0" } ] },
        { "name": "small", "targets": [
        { "provider": "or", "model": "small", "credential": "k1", "endpoint": "u0" },
        { "provider": "or", "model": "large", "credential": "k1", "endpoint": "u0" } ] }])",
                     models));
    auto too_long = script({{"or:mid", always(http(400, "This model's maximum context length is 32000 tokens"))}});
    SUBCASE("skips the same-size sibling, lands on the larger window") {
        Run r = w.run("r", too_long);
        CHECK(r.final.ok());
        REQUIRE(r.attempts.size() == 2);
        CHECK(r.attempts[1].ref == "or:large");
    }
    SUBCASE("no larger window: ends with context_length at once") {
        Run r = w.run("nolarger", too_long);
        CHECK(r.attempts.size() == 1);
        CHECK(r.final.code == ErrorCode::context_length);
        CHECK(r.final.reason == Reason::terminal);
        CHECK(r.final.http_status == 400);
    }
    SUBCASE("the estimate skips a window that cannot hold prompt plus output, without a request") {
        Request req;
        req.route = "small";
        req.prompt_tokens = 7'500;
        req.max_output_tokens = 1'000;
        Run r = w.run(req, script({}));
        REQUIRE(r.attempts.size() == 1);
        CHECK(r.attempts[0].ref == "or:large");
        CHECK(r.notices.empty());
    }
}

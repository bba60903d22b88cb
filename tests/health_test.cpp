#include "reroute/health.hpp"

#include <doctest/doctest.h>

#include <string>

#include "reroute/rng.hpp"
#include "reroute/scope.hpp"

using reroute::Availability;
using reroute::ErrorCode;
using reroute::HealthState;
using reroute::Observation;
using reroute::OutcomeKind;
using reroute::Reason;
using reroute::ResourceId;
using reroute::ResourceKind;
using reroute::TargetResources;

namespace {

constexpr std::int64_t T0 = 1'700'000'000'000;  // a realistic epoch-ms fake clock

const std::string kUrl = "https://openrouter.ai/api/v1";
const std::string kUrl2 = "https://eu.openrouter.ai/api/v1";
const std::string kFpA = reroute::fingerprint("key-A");
const std::string kFpB = reroute::fingerprint("key-B");

TargetResources target(std::string_view fp, std::string_view url = kUrl, std::string_view model = "gpt-4o",
                       bool free_model = false) {
    return TargetResources::make("openrouter", url, fp, model, free_model);
}

Observation failed(ErrorCode code, OutcomeKind kind = OutcomeKind::http_error, std::optional<double> hint = {}) {
    Observation o;
    o.kind = kind;
    o.code = code;
    o.retry_after_ms = hint;
    return o;
}

Observation ok() { return Observation{}; }

}  // namespace

TEST_CASE("resource identities serialize as JSON arrays and hash by value") {
    const auto a = ResourceId::endpoint_model("openrouter", "https://x/v1", "a/b:free");
    CHECK(a.to_json() == R"(["endpoint_model","openrouter","https://x/v1","a/b:free"])");
    CHECK(ResourceId::credential("openrouter", kFpA).to_json() == R"(["credential","openrouter","07dfb656"])");
    CHECK(ResourceId::credential("openrouter", kFpA).scope_key() == "cred:openrouter:07dfb656");
    CHECK(ResourceId::credit("openrouter", kFpA).scope_key() == "credit:openrouter:07dfb656");
    CHECK(ResourceId::endpoint("openrouter", "https://x/v1/").scope_key() == "host:openrouter:https://x/v1/");
    CHECK(a.scope_key().empty());
    SUBCASE("no separator can collide") {
        const auto x = ResourceId::credential_endpoint("p", "a", "b:c");
        const auto y = ResourceId::credential_endpoint("p", "a:b", "c");
        CHECK_FALSE(x == y);
        CHECK(x.hash() != y.hash());
    }
    SUBCASE("parts keep their boundaries: the same bytes split elsewhere are another identity") {
        const auto x = ResourceId::credential_endpoint("p", "ab", "c");
        const auto y = ResourceId::credential_endpoint("p", "a", "bc");
        CHECK_FALSE(x == y);
        CHECK(x == ResourceId::credential_endpoint("p", "ab", "c"));
        CHECK(x.part(1) == "ab");
        CHECK(x.part(2) == "c");
        CHECK(y.part(1) == "a");
        CHECK(y.part(2) == "bc");
        CHECK(y < x);  // part by part: "a" before "ab"
        CHECK_FALSE(x < y);
        CHECK(ResourceId::credential("p", "f").part(2).empty());
    }
    SUBCASE("credential and credit differ") {
        CHECK_FALSE(ResourceId::credential("p", "f") == ResourceId::credit("p", "f"));
    }
    SUBCASE("quotes and controls are escaped") {
        CHECK(ResourceId::endpoint("p", "a\"b\n").to_json() == R"(["endpoint","p","a\"b\n"])");
    }
}

TEST_CASE("outcome kinds carry their codes (II.1)") {
    CHECK(reroute::code_for_kind(OutcomeKind::dns_failure) == ErrorCode::provider_unreachable);
    CHECK(reroute::code_for_kind(OutcomeKind::connect_refused) == ErrorCode::provider_unreachable);
    CHECK(reroute::code_for_kind(OutcomeKind::tls_failure) == ErrorCode::provider_unreachable);
    CHECK(reroute::code_for_kind(OutcomeKind::reset) == ErrorCode::provider_error);
    CHECK(reroute::code_for_kind(OutcomeKind::timeout_idle) == ErrorCode::provider_error);
    CHECK(reroute::code_for_kind(OutcomeKind::stream_truncated) == ErrorCode::provider_error);
    CHECK(reroute::code_for_kind(OutcomeKind::stream_malformed) == ErrorCode::provider_error);
    CHECK(reroute::code_for_kind(OutcomeKind::empty_answer) == ErrorCode::generic);
    CHECK_FALSE(reroute::code_for_kind(OutcomeKind::http_error));
    CHECK_FALSE(reroute::code_for_kind(OutcomeKind::cancelled));
    for (int i = 0; i < reroute::kOutcomeKindCount; ++i) {
        const auto k = static_cast<OutcomeKind>(i);
        CHECK(reroute::parse_outcome_kind(reroute::to_string(k)) == k);
    }
    CHECK_FALSE(reroute::parse_outcome_kind("Success"));
}

TEST_CASE("auth_error benches the credential for 10 minutes; a sibling credential serves") {
    HealthState h;
    const auto a = target(kFpA), b = target(kFpB);
    const auto changes = h.record(a, failed(ErrorCode::auth_error), T0);
    REQUIRE(changes.size == 1);
    CHECK(changes.items[0].resource == ResourceKind::credential);
    CHECK(changes.items[0].reason == Reason::benched);
    CHECK(changes.items[0].until_ms == T0 + 600'000);
    const Availability av = h.is_available(a, T0 + 1);
    CHECK(av.reason == Reason::benched);
    CHECK(av.resource == ResourceKind::credential);
    CHECK(av.code == ErrorCode::auth_error);
    CHECK(h.is_available(b, T0 + 1).usable());
    SUBCASE("599 999 ms later still benched") { CHECK(h.is_available(a, T0 + 599'999).reason == Reason::benched); }
    SUBCASE("600 000 ms later usable again") { CHECK(h.is_available(a, T0 + 600'000).usable()); }
    SUBCASE("same credential, other model: benched too") {
        CHECK(h.is_available(target(kFpA, kUrl, "other"), T0 + 1).reason == Reason::benched);
    }
}

TEST_CASE("credit_exhausted benches the credit scope and spares free models") {
    HealthState h;
    h.record(target(kFpA), failed(ErrorCode::credit_exhausted), T0);
    CHECK(h.is_available(target(kFpA), T0 + 1).resource == ResourceKind::credit);
    CHECK(h.is_available(target(kFpA, kUrl, "meta-llama/x:free", true), T0 + 1).usable());
    SUBCASE("without a hint: 15 minutes") {
        CHECK(h.is_available(target(kFpA), T0 + 899'999).reason == Reason::benched);
        CHECK(h.is_available(target(kFpA), T0 + 900'000).usable());
    }
    SUBCASE("with the provider's reset hint") {
        HealthState g;
        g.record(target(kFpA), failed(ErrorCode::credit_exhausted, OutcomeKind::http_error, 3'600'000.0), T0);
        CHECK(g.is_available(target(kFpA), T0 + 3'599'999).reason == Reason::benched);
        CHECK(g.is_available(target(kFpA), T0 + 3'600'000).usable());
    }
}

TEST_CASE("model_not_entitled benches credential-model for 60 minutes") {
    HealthState h;
    h.record(target(kFpA), failed(ErrorCode::model_not_entitled), T0);
    CHECK(h.is_available(target(kFpA), T0 + 3'599'999).resource == ResourceKind::credential_model);
    CHECK(h.is_available(target(kFpA), T0 + 3'600'000).usable());
    CHECK(h.is_available(target(kFpB), T0 + 1).usable());                    // another key
    CHECK(h.is_available(target(kFpA, kUrl, "other"), T0 + 1).usable());    // another model
}

TEST_CASE("model_not_found benches endpoint-model for 10 minutes") {
    HealthState h;
    h.record(target(kFpA), failed(ErrorCode::model_not_found), T0);
    CHECK(h.is_available(target(kFpB), T0 + 599'999).resource == ResourceKind::endpoint_model);
    CHECK(h.is_available(target(kFpB), T0 + 600'000).usable());
    CHECK(h.is_available(target(kFpA, kUrl2), T0 + 1).usable());  // sibling endpoint
}

TEST_CASE("rate_limited cools credential-endpoint until the hint, capped at 60 s, 2 s without") {
    HealthState h;
    SUBCASE("hint 2 s") {
        h.record(target(kFpA), failed(ErrorCode::rate_limited, OutcomeKind::http_error, 2'000.0), T0);
        const auto av = h.is_available(target(kFpA), T0 + 1'999);
        CHECK(av.reason == Reason::cooling);
        CHECK(av.resource == ResourceKind::credential_endpoint);
        CHECK(av.until_ms == T0 + 2'000);
        CHECK(h.is_available(target(kFpA), T0 + 2'000).usable());
        CHECK(h.is_available(target(kFpB), T0 + 1).usable());           // sibling credential
        CHECK(h.is_available(target(kFpA, kUrl2), T0 + 1).usable());    // sibling endpoint
    }
    SUBCASE("no hint: 2 s") {
        h.record(target(kFpA), failed(ErrorCode::rate_limited), T0);
        CHECK(h.is_available(target(kFpA), T0 + 1'999).reason == Reason::cooling);
        CHECK(h.is_available(target(kFpA), T0 + 2'000).usable());
    }
    SUBCASE("hint 5 min: capped at 60 s") {
        h.record(target(kFpA), failed(ErrorCode::rate_limited, OutcomeKind::http_error, 300'000.0), T0);
        CHECK(h.is_available(target(kFpA), T0 + 59'999).reason == Reason::cooling);
        CHECK(h.is_available(target(kFpA), T0 + 60'000).usable());
    }
    SUBCASE("a fractional hint rounds up") {
        h.record(target(kFpA), failed(ErrorCode::rate_limited, OutcomeKind::http_error, 1'500.2), T0);
        CHECK(h.is_available(target(kFpA), T0 + 1'500).reason == Reason::cooling);
        CHECK(h.is_available(target(kFpA), T0 + 1'501).usable());
    }
    SUBCASE("a later, shorter cooling never shortens the first") {
        h.record(target(kFpA), failed(ErrorCode::rate_limited, OutcomeKind::http_error, 10'000.0), T0);
        h.record(target(kFpA), failed(ErrorCode::rate_limited, OutcomeKind::http_error, 1'000.0), T0 + 1);
        CHECK(h.is_available(target(kFpA), T0 + 9'999).reason == Reason::cooling);
    }
}

TEST_CASE("DNS failure is an endpoint breaker failure; the endpoint only") {
    HealthState h;
    Observation o = failed(ErrorCode::provider_unreachable, OutcomeKind::dns_failure);
    o.threshold = 1;
    const auto ch = h.record(target(kFpA), o, T0);
    REQUIRE(ch.size >= 1);
    CHECK(ch.items[0].resource == ResourceKind::endpoint);
    CHECK(ch.items[0].reason == Reason::ejected_consecutive);
    CHECK(h.is_available(target(kFpB), T0 + 1).reason == Reason::breaker_open);        // same endpoint
    CHECK(h.is_available(target(kFpA, kUrl2), T0 + 1).usable());                       // other endpoint
    CHECK(h.totals().local_failures == 1);
}

TEST_CASE("provider_error: endpoint-model takes the route threshold, the endpoint its own") {
    HealthState h;
    Observation o = failed(ErrorCode::provider_error);
    o.threshold = 1;
    h.record(target(kFpA), o, T0);
    CHECK(h.is_available(target(kFpA), T0 + 1).resource == ResourceKind::endpoint_model);
    CHECK(h.is_available(target(kFpA, kUrl, "other-model"), T0 + 1).usable());
    h.record(target(kFpA, kUrl, "m2"), o, T0 + 2);
    h.record(target(kFpA, kUrl, "m3"), o, T0 + 3);  // third consecutive on the endpoint
    CHECK(h.is_available(target(kFpA, kUrl, "other-model"), T0 + 4).reason == Reason::breaker_open);
    CHECK(h.totals().upstream_failures == 3);
}

TEST_CASE("a failed probe of an ejected model does not count against its endpoint") {
    HealthState h;
    Observation o = failed(ErrorCode::provider_error);
    o.threshold = 1;
    h.record(target(kFpA), o, T0);  // endpoint-model ejected, endpoint 1 of 3
    for (int k = 1; k <= 5; ++k) {
        const std::int64_t t = T0 + k * 15'000;
        REQUIRE(h.is_available(target(kFpA), t).reason == Reason::half_open_probe);
        h.begin_probe(target(kFpA), t);
        Observation p = o;
        p.probe = true;
        h.record(target(kFpA), p, t);
    }
    CHECK(h.find(target(kFpA).endpoint)->breaker->consecutive == 1);
    CHECK(h.is_available(target(kFpA, kUrl, "other-model"), T0 + 80'000).usable());
}

TEST_CASE("half-open probing through the health state is single flight") {
    HealthState h;
    Observation o = failed(ErrorCode::provider_error);
    o.threshold = 1;
    h.record(target(kFpA), o, T0);
    const std::int64_t t = T0 + 15'000;
    CHECK(h.is_available(target(kFpA), t).reason == Reason::half_open_probe);
    h.begin_probe(target(kFpA), t, 30'000);
    CHECK(h.is_available(target(kFpA), t + 1).reason == Reason::probe_in_flight);
    CHECK(h.is_available(target(kFpB), t + 1).reason == Reason::probe_in_flight);  // same endpoint-model
    Observation success = ok();
    success.probe = true;
    h.record(target(kFpA), success, t + 500);
    CHECK(h.is_available(target(kFpA), t + 501).reason == Reason::ok);
    CHECK(h.totals().probes == 1);
}

TEST_CASE("a cancelled attempt has no health effect but releases its probe") {
    HealthState h;
    Observation cancelled;
    cancelled.kind = OutcomeKind::cancelled;
    CHECK(h.record(target(kFpA), cancelled, T0).size == 0);
    CHECK(h.size() == 0);
    Observation o = failed(ErrorCode::provider_error);
    o.threshold = 1;
    h.record(target(kFpA), o, T0);
    h.begin_probe(target(kFpA), T0 + 15'000, 60'000);
    cancelled.probe = true;
    h.record(target(kFpA), cancelled, T0 + 15'001);
    CHECK(h.is_available(target(kFpA), T0 + 15'002).reason == Reason::half_open_probe);
}

TEST_CASE("codes without a shared-health effect leave health alone") {
    HealthState h;
    for (ErrorCode c : {ErrorCode::content_filter, ErrorCode::context_length, ErrorCode::unsupported_parameter,
                        ErrorCode::output_cap_too_high, ErrorCode::token_limit, ErrorCode::tool_failure,
                        ErrorCode::generic}) {
        h.record(target(kFpA), failed(c), T0);
    }
    h.record(target(kFpA), failed(ErrorCode::generic, OutcomeKind::empty_answer), T0);
    CHECK(h.size() == 0);
    CHECK(h.is_available(target(kFpA), T0).usable());
}

TEST_CASE("admin actions: retire and restore a credential, reset a breaker") {
    HealthState h;
    CHECK(h.retire_credential("openrouter", kFpA, T0) == Reason::admin_retired);
    const auto av = h.is_available(target(kFpA), T0 + 365LL * 24 * 3'600'000);
    CHECK(av.reason == Reason::admin_retired);
    CHECK(av.until_ms == reroute::kNever);
    CHECK(h.restore_credential("openrouter", kFpA, T0 + 10) == Reason::admin_restored);
    CHECK(h.is_available(target(kFpA), T0 + 11).usable());
    CHECK(h.restore_credential("openrouter", kFpA, T0 + 12) == Reason::no_effect);

    SUBCASE("restore ends an auth bench early") {
        h.record(target(kFpA), failed(ErrorCode::auth_error), T0 + 20);
        CHECK(h.is_available(target(kFpA), T0 + 21).reason == Reason::benched);
        h.restore_credential("openrouter", kFpA, T0 + 22);
        CHECK(h.is_available(target(kFpA), T0 + 23).usable());
    }
    SUBCASE("reset_breaker closes an ejected endpoint-model") {
        Observation o = failed(ErrorCode::provider_error);
        o.threshold = 1;
        h.record(target(kFpA), o, T0);
        CHECK(h.reset_breaker(target(kFpA).endpoint_model, T0 + 1) == Reason::admin_reset);
        CHECK(h.is_available(target(kFpA), T0 + 2).usable());
        CHECK(h.reset_breaker(ResourceId::endpoint("nope", "x"), T0) == Reason::no_effect);
        CHECK(h.reset_all_breakers(T0 + 3) == 2);
    }
}

TEST_CASE("prune drops expired benches and idle breakers only") {
    HealthState h;
    h.record(target(kFpA), failed(ErrorCode::rate_limited), T0);      // 2 s
    h.record(target(kFpB), failed(ErrorCode::auth_error), T0);        // 10 min
    h.record(target(kFpB, kUrl2), ok(), T0);                          // two closed breakers
    CHECK(h.size() == 4);
    CHECK(h.prune(T0 + 1'999) == 2);  // the healthy breakers carry nothing
    CHECK(h.size() == 2);
    CHECK(h.prune(T0 + 2'000) == 1);
    CHECK(h.is_available(target(kFpB), T0 + 2'000).reason == Reason::benched);
    CHECK(h.prune(T0 + 600'000) == 1);
    CHECK(h.size() == 0);
}

namespace {

// A realistic mix: benches, coolings, breakers with failures in their window, ejections.
HealthState populated(int resources, std::uint64_t seed) {
    HealthState h;
    reroute::Rng rng(seed);
    int i = 0;
    while (static_cast<int>(h.size()) < resources) {
        const std::string fp = reroute::fingerprint("key-" + std::to_string(i % 997));
        const std::string url = "https://api" + std::to_string(i % 13) + ".example-provider.com/v1";
        const std::string model = "vendor-" + std::to_string(i % 7) + "/model-name-" + std::to_string(i) + "-instruct";
        const auto t = TargetResources::make("provider-" + std::to_string(i % 5), url, fp, model, false);
        const std::int64_t now = T0 + static_cast<std::int64_t>(rng.below(20'000));
        Observation o;
        switch (i % 6) {
            case 0: o = failed(ErrorCode::provider_error); o.threshold = 1; o.jitter = rng.uniform() * 0.1; break;
            case 1: o = failed(ErrorCode::rate_limited, OutcomeKind::http_error, 1'500.0); break;
            case 2: o = failed(ErrorCode::model_not_found); break;
            case 3: o = failed(ErrorCode::provider_error, OutcomeKind::timeout_idle); break;
            case 4: o = failed(ErrorCode::auth_error); break;
            default: o = ok(); break;
        }
        h.record(t, o, now);
        if (i % 6 == 3) h.record(t, ok(), now + 1);
        ++i;
    }
    return h;
}

}  // namespace

TEST_CASE("health state round-trips through JSON without loss") {
    const HealthState h = populated(500, 7);
    const std::string text = h.to_json();
    std::string error;
    const auto back = HealthState::from_json(text, {}, &error);
    REQUIRE_MESSAGE(back, error);
    CHECK(*back == h);
    CHECK(back->to_json() == text);
    SUBCASE("an admin retirement (no end) survives") {
        HealthState g;
        g.retire_credential("p", "f", T0);
        const auto r = HealthState::from_json(g.to_json());
        REQUIRE(r);
        CHECK(r->is_available(TargetResources::make("p", "u", "f", "m", false), T0 + 1).reason == Reason::admin_retired);
    }
}

TEST_CASE("health state of 10 000 resources serializes within 2 MiB") {
    const HealthState h = populated(10'000, 11);
    const std::string text = h.to_json();
    MESSAGE("10 000 resources: " << text.size() << " bytes");
    CHECK(text.size() <= 2u * 1024 * 1024);
    const auto back = HealthState::from_json(text);
    REQUIRE(back);
    CHECK(back->size() == h.size());
}

TEST_CASE("from_json reports what is wrong, with a path, and never throws") {
    std::string error;
    CHECK_FALSE(HealthState::from_json("not json", {}, &error));
    CHECK(error.find("not JSON") != std::string::npos);
    CHECK_FALSE(HealthState::from_json("[]", {}, &error));
    CHECK_FALSE(HealthState::from_json(R"({"v":2,"r":[]})", {}, &error));
    CHECK(error.rfind("/v", 0) == 0);
    CHECK_FALSE(HealthState::from_json(R"({"v":1,"r":[[["endpoint","p"],0,0]]})", {}, &error));
    CHECK(error.rfind("/r/0/0", 0) == 0);
    CHECK_FALSE(HealthState::from_json(R"({"v":1,"r":[[["bogus","p","u"],0,0]]})", {}, &error));
    CHECK(error == "/r/0/0/0: expected a resource kind");
    CHECK_FALSE(HealthState::from_json(R"({"v":1,"r":[[["endpoint","p","u"],[1,2,3,"nope",0],0]]})", {}, &error));
    CHECK(error == "/r/0/1/3: expected an error code");
    CHECK_FALSE(HealthState::from_json(R"({"v":1,"r":[[["endpoint","p","u"],0,[0,0,0,0,0,0,0,0,[],0,0,0]]]})", {}, &error));
    CHECK(error.rfind("/r/0/2", 0) == 0);
    CHECK_FALSE(HealthState::from_json(R"({"v":1,"r":[[["endpoint","p","u"],0,0],[["endpoint","p","u"],0,0]]})", {}, &error));
    CHECK(error == "/r/1/0: duplicate resource");
    CHECK(HealthState::from_json(R"({"v":1,"r":[]})"));
}

TEST_CASE("merge is deterministic: later deadlines, higher counters and epochs win") {
    HealthState a, b;
    a.record(target(kFpA), failed(ErrorCode::rate_limited, OutcomeKind::http_error, 5'000.0), T0);
    b.record(target(kFpA), failed(ErrorCode::rate_limited, OutcomeKind::http_error, 9'000.0), T0 + 1);
    b.record(target(kFpB), failed(ErrorCode::auth_error), T0);
    const HealthState m = HealthState::merge(a, b);
    CHECK(m == HealthState::merge(b, a));
    CHECK(m.to_json() == HealthState::merge(b, a).to_json());
    CHECK(HealthState::merge(m, m) == m);
    CHECK(m.is_available(target(kFpA), T0 + 9'000).reason == Reason::cooling);
    CHECK(m.is_available(target(kFpA), T0 + 9'001).usable());
    CHECK(m.is_available(target(kFpB), T0 + 1).reason == Reason::benched);

    SUBCASE("an admin restore beats a stale bench") {
        HealthState restored = m;
        restored.restore_credential("openrouter", kFpB, T0 + 2);
        CHECK(HealthState::merge(m, restored).is_available(target(kFpB), T0 + 3).usable());
        CHECK(HealthState::merge(restored, m).is_available(target(kFpB), T0 + 3).usable());
    }
    SUBCASE("associative on random states") {
        const HealthState x = populated(300, 1), y = populated(300, 2), z = populated(300, 3);
        CHECK(HealthState::merge(HealthState::merge(x, y), z) == HealthState::merge(x, HealthState::merge(y, z)));
        CHECK(HealthState::merge(x, y) == HealthState::merge(y, x));
    }
}

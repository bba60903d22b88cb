#include "reroute/reasoning_json.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <random>
#include <utility>
#include <string>

using namespace reroute::reasoning;

namespace {

std::string facade(std::string_view op, std::string_view input) { return call(op, input).value_or("(unknown op)"); }

}  // namespace

TEST_CASE("a learned state round-trips through JSON with every field present") {
    ReasoningState s;
    Outcome o;
    o.turn_class = TurnClass::hard;
    o.intensity = 0.8;
    o.budget_tokens = 8192;
    o.self_truncates = true;
    o.reasoning_tokens = 8000;
    o.quality = 0.4;
    o.chosen_tier = Tier::high;
    record(s, o);
    const std::string text = to_json(s);
    CHECK(text ==
          R"({"turns":1,"intensity":{"count":1,"mean":0.8,"m2":0},"buckets":{)"
          R"("easy":{"count":0,"mean":0,"m2":0,"under_ema":0,"wasteful_ema":0,"quality_ema":1,"last_tier":null},)"
          R"("medium":{"count":0,"mean":0,"m2":0,"under_ema":0,"wasteful_ema":0,"quality_ema":1,"last_tier":null},)"
          R"("hard":{"count":1,"mean":8000,"m2":0,"under_ema":0.5,"wasteful_ema":0,"quality_ema":0.7,"last_tier":"high"}}})");
    const auto back = parse_state(text);
    REQUIRE(back);
    CHECK(*back == s);
}

TEST_CASE("a partial state takes the defaults for missing fields") {
    const auto s = parse_state(R"({"buckets":{"medium":{"count":2,"mean":300,"last_tier":"high"}}})");
    REQUIRE(s);
    CHECK(s->turns == 0);
    CHECK(s->bucket(TurnClass::medium).tokens.count == 2);
    CHECK(s->bucket(TurnClass::medium).quality_ema == 1);
    CHECK(s->bucket(TurnClass::medium).last_tier == Tier::high);
    CHECK(s->bucket(TurnClass::easy) == Bucket{});
    CHECK(parse_state("{}"));
}

TEST_CASE("a state that breaks a rule of 5.5 reads as no state at all") {
    for (const char* bad : {
             R"([])", R"("state")", R"(null)",
             R"({"intensity":[]})", R"({"buckets":3})", R"({"buckets":{"easy":"x"}})",
             R"({"turns":-1})", R"({"turns":1.5})", R"({"turns":"3"})",
             R"({"intensity":{"count":2,"m2":-1}})", R"({"intensity":{"mean":1e999}})",
             R"({"buckets":{"hard":{"under_ema":1.5}}})", R"({"buckets":{"hard":{"quality_ema":-0.1}}})",
             R"({"buckets":{"hard":{"last_tier":"extreme"}}})", R"({"buckets":{"hard":{"last_tier":2}}})",
             R"({"buckets":{"hard":{"mean":null}}})", R"({"buckets":{"easy":{"count":1e300}}})", "{",
         }) {
        CAPTURE(bad);
        CHECK_FALSE(parse_state(bad));
    }
}

TEST_CASE("the complete form's numbers read as the same state, and each broken rule of 5.5 as no state") {
    const auto stored = parse_state(R"({"turns":2,"intensity":{"count":2,"mean":0.5,"m2":0.01},)"
                                    R"("buckets":{"medium":{"count":2,"mean":3000,"m2":20,"under_ema":0.25,"last_tier":"medium"}}})");
    REQUIRE(stored);
    const ReasoningState& s = *stored;
    const auto numbers_of = [](const ReasoningState& st) {
        StateNumbers n;
        n.turns = double(st.turns);
        n.intensity_count = double(st.intensity.count);
        n.intensity_mean = st.intensity.mean;
        n.intensity_m2 = st.intensity.m2;
        for (int i = 0; i < kTurnClassCount; ++i) {
            const Bucket& b = st.buckets[std::size_t(i)];
            n.buckets[i] = {double(b.tokens.count), b.tokens.mean, b.tokens.m2, b.under_ema, b.wasteful_ema, b.quality_ema,
                            b.last_tier ? double(rank(*b.last_tier)) : kNoLastTier};
        }
        return n;
    };
    const StateNumbers good = numbers_of(s);
    REQUIRE(state_from_numbers(good));
    CHECK(*state_from_numbers(good) == s);
    CHECK(state_from_numbers(good)->bucket(TurnClass::easy).last_tier == std::nullopt);

    constexpr double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    const std::pair<std::string, void (*)(StateNumbers&)> broken[] = {
        {"negative turns", [](StateNumbers& n) { n.turns = -1; }},
        {"fractional count", [](StateNumbers& n) { n.intensity_count = 1.5; }},
        {"count above 2^53", [](StateNumbers& n) { n.buckets[2].count = 1e300; }},
        {"NaN count", [](StateNumbers& n) { n.buckets[0].count = nan; }},
        {"infinite mean", [](StateNumbers& n) { n.buckets[1].mean = inf; }},
        {"NaN m2", [](StateNumbers& n) { n.intensity_m2 = nan; }},
        {"negative m2", [](StateNumbers& n) { n.buckets[1].m2 = -1; }},
        {"ema above 1", [](StateNumbers& n) { n.buckets[2].under_ema = 1.5; }},
        {"ema below 0", [](StateNumbers& n) { n.buckets[0].quality_ema = -0.1; }},
        {"NaN ema", [](StateNumbers& n) { n.buckets[0].wasteful_ema = nan; }},
        {"tier rank out of range", [](StateNumbers& n) { n.buckets[1].last_tier = 4; }},
        {"fractional tier rank", [](StateNumbers& n) { n.buckets[1].last_tier = 1.5; }},
    };
    for (const auto& [name, breaks] : broken) {
        CAPTURE(name);
        StateNumbers n = good;
        breaks(n);
        CHECK_FALSE(state_from_numbers(n));
    }
}

TEST_CASE("unknown members of a stored state are ignored") {
    CHECK(parse_state(R"({"turns":2,"version":7,"buckets":{"extreme":{"count":-5}}})"));
}

TEST_CASE("cache rows and pointers round-trip; a row without slug or created_at is absent") {
    CacheRow r;
    r.slug = "code-helper";
    r.source = RowSource::override;
    r.advice.language = "pt-BR";
    r.advice.tuning.verbosity = Verbosity::terse;
    r.hits = 3;
    r.created_at_ms = 1'749'568'000'000;
    r.last_used_at_ms = 1'749'913'600'000;
    const std::string text = to_json(r);
    CHECK(text ==
          R"({"slug":"code-helper","source":"override","language":"pt-BR","tuning":{"verbosity":"terse"},"hits":3,)"
          R"("created_at_ms":1749568000000,"last_used_at_ms":1749913600000})");
    CHECK(parse_cache_row(text) == r);
    CHECK_FALSE(parse_cache_row(R"({"source":"classified","created_at_ms":1})"));
    CHECK_FALSE(parse_cache_row(R"({"slug":"a","created_at_ms":1.5})"));
    CHECK_FALSE(parse_cache_row(R"({"slug":"a","created_at_ms":1,"source":"manual"})"));
    const Pointer p{"fix my segfault", "2c9d09da3c3b6cbf", "code-helper"};
    const auto pv = reroute::json::parse(to_json(p));
    REQUIRE(pv);
    CHECK(pointer_from_json(*pv) == p);
}

TEST_CASE("stored advice is checked like a reply's") {
    const auto r = parse_cache_row(R"({"slug":"a","created_at_ms":1,"language":"The user writes German","seed":{"effort":"HIGH"}})");
    REQUIRE(r);
    CHECK_FALSE(r->advice.language);
    CHECK(r->advice.seed.effort == Effort::high);
}

TEST_CASE("the facade answers every op of section 7 and nothing else") {
    for (const char* op : {"route_parse", "route", "cache_key", "candidates_hash", "cache_read", "cache_upsert",
                           "cache_override", "cache_purge", "signals", "prior", "thresholds", "tier_of", "record",
                           "decide", "replay", "wire", "govern", "route_prepare", "route_plan", "classifier_body",
                           "state", "outcome", "request_facts"}) {
        CAPTURE(op);
        CHECK(call(op, "{}"));
    }
    CHECK_FALSE(call("nope", "{}"));
}

TEST_CASE("the facade reads a wrong-shaped input as absent") {
    CHECK(facade("tier_of", "[1,2]") == R"({"tier":"off"})");
    CHECK(facade("tier_of", R"({"budget":"9000"})") == R"({"tier":"off"})");
    CHECK(facade("route", "not json") ==
          R"({"slug":null,"reason":"no_candidates","classifier_called":false,"cache_write":null,"pointer":null})");
    CHECK(facade("state", R"({"state":{"turns":-1}})") == "null");
    CHECK(facade("record", R"({"state":null,"outcome":{"intensity":1}})").find(R"("turns":0)") != std::string::npos);
}

TEST_CASE("route_plan asks for the classifier with the prompt, or gives the decision") {
    const std::string in =
        R"({"candidates":[{"slug":"a","description":"first"},{"slug":"b","description":"second"}],"message":"Hi there","now_ms":5)";
    const std::string plan = facade("route_plan", in + "}");
    CHECK(plan.find(R"("decision":null)") != std::string::npos);
    CHECK(plan.find(R"("shortlist":["a","b"])") != std::string::npos);
    CHECK(plan.find(R"("max_tokens":160)") != std::string::npos);
    CHECK(plan.find(R"("timeout_ms":8000)") != std::string::npos);
    const std::string hit = facade("route_plan", in + R"(,"cache_row":{"slug":"b","source":"classified","hits":1,"created_at_ms":5}})");
    CHECK(hit.find(R"("reason":"cached")") != std::string::npos);
    CHECK(hit.find(R"("classifier":null)") != std::string::npos);
}

TEST_CASE("route_plan gives the classification a quarter of what the client's deadline has left") {
    const std::string in = R"({"candidates":[{"slug":"a"},{"slug":"b"}],"message":"Hi there","now_ms":5,"deadline_left_ms":)";
    CHECK(facade("route_plan", in + "10000}").find(R"("timeout_ms":2500)") != std::string::npos);
    CHECK(facade("route_plan", in + "120000}").find(R"("timeout_ms":8000)") != std::string::npos);
    CHECK(facade("route_plan", in + "-3}").find(R"("timeout_ms":0)") != std::string::npos);
}

TEST_CASE("explain adds why and a log line to route, decide and govern") {
    const std::string g = facade("govern", R"({"request":{"text":"debug this"},"capability":{"knob":"effort"},"explain":true})");
    CHECK(g.find(R"("why":{"features":)") != std::string::npos);
    CHECK(g.find(R"("dominant":"hard")") != std::string::npos);
    CHECK(g.find(R"("explain":"tier=)") != std::string::npos);
    const std::string r = facade("route", R"({"candidates":[{"slug":"a"},{"slug":"b"}],"message":"x","classifier":{"outcome":"timeout"},"explain":true})");
    CHECK(r.find(R"("why":{"step":6,"step_name":"fallback","cause":"timeout"})") != std::string::npos);
    const std::string d = facade("decide", R"({"knob":"effort","prior":{"tier":"low","budget":2048},"explain":true})");
    CHECK(d.find(R"("move":"none")") != std::string::npos);
}

TEST_CASE("malformed facade inputs never crash") {
    std::mt19937 rng(3);
    const std::string pieces[] = {"{", "}", "[", "]", ",", ":", "\"slug\"", "\"state\"", "\"buckets\"", "\"easy\"",
                                  "\"count\"", "-1", "1e999", "0.5", "null", "true", "\"text\"", "\"request\"",
                                  "\"candidates\"", "\"high\"", "\"\xFF\"", "\"thread\"", "\"outcome\"", "\"class\""};
    const char* ops[] = {"route", "record", "decide", "govern", "wire", "replay", "cache_override", "route_plan"};
    for (int round = 0; round < 4000; ++round) {
        std::string input = "{";
        const int n = static_cast<int>(rng() % 14);
        for (int i = 0; i < n; ++i) input += pieces[rng() % std::size(pieces)];
        const auto out = call(ops[rng() % std::size(ops)], input);
        REQUIRE(out);
        CHECK(reroute::json::parse(*out));  // always valid JSON
    }
}

TEST_CASE("request facts: the last user message, its attachments, the history and the client's controls") {
    const auto body = reroute::json::parse(R"({
      "messages": [
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "tool", "content": "x"},
        {"role": "user", "content": [{"type": "text", "text": "Look at"}, {"type": "image_url", "image_url": {}},
                                     {"type": "text", "text": "this  Picture"}]},
        {"role": "assistant", "content": "later"}
      ],
      "tools": [{}, {}], "web_search_options": {}, "temperature": 0.2, "thinking": null,
      "max_tokens": 9000, "max_completion_tokens": 4000})");
    REQUIRE(body);
    const RequestFacts f = request_facts(*body);
    CHECK(f.message == "Look at\nthis  Picture");
    CHECK(f.has_attachments);
    CHECK(f.has_web);
    CHECK(f.tool_count == 2);
    CHECK(f.history_message_count == 2);
    CHECK(f.client.temperature);
    CHECK_FALSE(f.client.reasoning);  // a null member is not present
    CHECK(f.client.max_tokens == 4000);
    const auto reasoning = reroute::json::parse(R"({"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"high"})");
    CHECK(request_facts(*reasoning).client.reasoning);
    CHECK(facade("request_facts", R"({"body":{"messages":[{"role":"user","content":"  Hi  THERE "}]}})")
              .find(R"("message_key":"hi there")") != std::string::npos);
    CHECK(request_facts(reroute::json::Value{}).message.empty());
}

#include "reroute/auto_router.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using namespace reroute::reasoning;

namespace {

const std::vector<std::string> kShortlist = {"assistant", "billing-agent", "code-helper"};

std::optional<ParsedReply> parse(std::string_view reply) { return parse_reply(reply, kShortlist); }

std::string slug_of(std::string_view reply) {
    const auto r = parse(reply);
    return r ? r->slug : std::string("(null)");
}

std::vector<Candidate> three() {
    return {{"assistant", "General questions and small talk"},
            {"billing-agent", "Invoices, refunds and payment problems"},
            {"code-helper", "Programming, debugging and code review"}};
}

RouteRequest request(std::string_view message) {
    RouteRequest r;
    r.candidates = three();
    r.default_slug = "assistant";
    r.message = message;
    return r;
}

constexpr std::int64_t kNow = 1'750'000'000'000;

CacheRow row(std::string slug, std::int64_t created, std::int64_t hits = 1) {
    CacheRow r;
    r.slug = std::move(slug);
    r.hits = hits;
    r.created_at_ms = created;
    r.last_used_at_ms = created;
    return r;
}

}  // namespace

// ---- parsing the classifier reply (4.4) ----

TEST_CASE("a JSON reply gives the slug and its advice") {
    const auto r = parse(R"({"slug":"assistant","language":"de","style":"formal","verbosity":"terse","effort":"high","creativity":"precise"})");
    REQUIRE(r);
    CHECK(r->slug == "assistant");
    CHECK(*r->advice.language == "de");
    CHECK(r->advice.tuning.style == Style::formal);
    CHECK(r->advice.tuning.verbosity == Verbosity::terse);
    CHECK(r->advice.seed.effort == Effort::high);
    CHECK(r->advice.seed.creativity == Creativity::precise);
}

TEST_CASE("JSON inside prose or a code fence is read from the first brace to its match") {
    CHECK(slug_of(R"(Sure: {"slug":"billing-agent"} Hope that helps.)") == "billing-agent");
    CHECK(slug_of("```json\n{\"slug\":\"code-helper\",\"capabilities\":[\"web\"]}\n```") == "code-helper");
}

TEST_CASE("braces inside JSON strings do not count, and an escaped quote stays inside the string") {
    CHECK(slug_of(R"({"slug":"assistant","language":"de}"})") == "assistant");
    CHECK(slug_of(R"({"note":"a \"}\" b","slug":"assistant"})") == "assistant");
}

TEST_CASE("a malformed JSON object parses to nothing") {
    CHECK(slug_of(R"({"slug": assistant})") == "(null)");
    CHECK(slug_of(R"({"slug":"assistant",})") == "(null)");
    CHECK(slug_of(R"({'slug':'assistant'})") == "(null)");
}

TEST_CASE("a repeated key counts its last occurrence") {
    CHECK(slug_of(R"({"slug":"nobody","slug":"assistant"})") == "assistant");
}

TEST_CASE("the slug must be a string matching the shortlist") {
    CHECK(slug_of(R"({"slug":2})") == "(null)");
    CHECK(slug_of(R"({"slug":"hr-agent","effort":"low"})") == "(null)");
    CHECK(slug_of(R"({"slug":""})") == "(null)");
    CHECK(slug_of(R"({"effort":"low"})") == "(null)");
}

TEST_CASE("slug matching trims, ignores ASCII case and returns the shortlist's spelling; first wins") {
    CHECK(slug_of(R"({"slug":" Code-Helper "})") == "code-helper");
    const std::vector<std::string> twins = {"Alpha", "alpha"};
    CHECK(match_slug("ALPHA", twins) == "Alpha");
    CHECK_FALSE(match_slug("alpha\xC3\xA9", twins));
}

TEST_CASE("a truncated reply keeps a closed slug and drops the advice") {
    const auto r = parse(R"({"slug":"billing-agent","language":"d)");
    REQUIRE(r);
    CHECK(r->slug == "billing-agent");
    CHECK_FALSE(r->advice.language);
    CHECK(slug_of("{ \"slug\" \n:\t \"assistant\", \"effort\": \"hi") == "assistant");
}

TEST_CASE("a truncated reply with an open or escaped slug value parses to nothing") {
    CHECK(slug_of(R"({"slug":"bill)") == "(null)");
    CHECK(slug_of(R"({"slug":"assi\"stant", "x)") == "(null)");
    CHECK(slug_of(R"({"language":"de", "x)") == "(null)");
    CHECK(slug_of(R"({"slug": 3, "x)") == "(null)");
}

TEST_CASE("prose: the first line that cleans to a slug wins") {
    CHECK(slug_of("Handler:\n**billing-agent**") == "billing-agent");
    CHECK(slug_of("nothing here\r\n- code-helper\n- assistant") == "code-helper");
    CHECK(slug_of("") == "(null)");
}

TEST_CASE("prose cleaning strips bullets, quotes, backticks and stars") {
    CHECK(slug_of("- billing-agent") == "billing-agent");
    CHECK(slug_of("\xE2\x80\xA2 `assistant`") == "assistant");
    CHECK(slug_of("\"Billing-Agent\"") == "billing-agent");
    CHECK(slug_of(" * 'code-helper' ") == "code-helper");
}

TEST_CASE("prose: a slug label uses the part after the colon, any other head the part before") {
    CHECK(slug_of("slug: assistant") == "assistant");
    CHECK(slug_of("SLUG : code-helper") == "code-helper");
    CHECK(slug_of("billing-agent: Invoices, refunds and payment problems") == "billing-agent");
}

TEST_CASE("prose: trailing dots are removed") {
    CHECK(slug_of("assistant.") == "assistant");
    CHECK(slug_of("assistant . .") == "assistant");
}

TEST_CASE("prose: a sentence that mentions a slug does not match") {
    CHECK(slug_of("I'd route this to billing-agent.") == "(null)");
    CHECK(slug_of("I am not sure which one fits.") == "(null)");
}

TEST_CASE("enumerations are trimmed and lowercased, each kept or dropped on its own") {
    const auto r = parse(R"({"slug":"assistant","style":" Concise ","verbosity":"chatty","effort":"MEDIUM","creativity":7})");
    REQUIRE(r);
    CHECK(r->advice.tuning.style == Style::concise);
    CHECK_FALSE(r->advice.tuning.verbosity);
    CHECK(r->advice.seed.effort == Effort::medium);
    CHECK_FALSE(r->advice.seed.creativity);
}

TEST_CASE("a group without a valid field is omitted") {
    const auto r = parse(R"({"slug":"code-helper","style":"pirate","verbosity":7,"effort":"turbo"})");
    REQUIRE(r);
    CHECK(r->advice.tuning.empty());
    CHECK(r->advice.seed.empty());
}

TEST_CASE("language: 2 to 32 characters of letters, digits, - _ space or non-ASCII, at most three words") {
    CHECK(valid_language("de") == "de");
    CHECK(valid_language(" pt-BR ") == "pt-BR");
    CHECK(valid_language("Swiss German") == "Swiss German");
    CHECK(valid_language("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E") == "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
    CHECK(valid_language("zh_Hant") == "zh_Hant");
    CHECK_FALSE(valid_language("German."));
    CHECK_FALSE(valid_language("The user writes German"));
    CHECK_FALSE(valid_language("42"));
    CHECK_FALSE(valid_language("d"));
    CHECK_FALSE(valid_language("a  b"));
    CHECK_FALSE(valid_language(std::string(33, 'a')));
    CHECK(valid_language(std::string(32, 'a')));
    CHECK_FALSE(valid_language("de\xC2\xA0" "ch"));  // a non-ASCII space is whitespace
}

TEST_CASE("unknown fields such as capabilities are ignored") {
    const auto r = parse(R"({"slug":"code-helper","capabilities":["web"],"why":{"x":1}})");
    REQUIRE(r);
    CHECK(r->advice.empty());
}

TEST_CASE("malformed replies never crash") {
    std::mt19937 rng(11);
    const std::string alphabet = "{}\":,\\ \n-*slugassistantbilling'`.\xE2\x80\xA2\xFF";
    for (int round = 0; round < 5000; ++round) {
        std::string reply;
        const int len = static_cast<int>(rng() % 60);
        for (int i = 0; i < len; ++i) reply += alphabet[rng() % alphabet.size()];
        const auto r = parse(reply);
        if (r) CHECK((r->slug == "assistant" || r->slug == "billing-agent" || r->slug == "code-helper"));
    }
}

// ---- the route cache (4.6) ----

TEST_CASE("the message key folds case, collapses whitespace runs and trims") {
    CHECK(message_key("  Hello   World  ") == "hello world");
    CHECK(message_key("\t\xC3\x9C" "BER Stra\xC3\x9F" "e\n\n\xC3\x89T\xC3\x89 ") == "\xC3\xBC" "ber stra\xC3\x9F" "e \xC3\xA9t\xC3\xA9");
    CHECK(message_key("a\xC2\xA0\xE3\x80\x80" "b") == "a b");  // NBSP and ideographic space
    CHECK(message_key("\xC3\x97") == "\xC3\x97");                // U+00D7 does not fold
    CHECK(message_key(" \n\t ").empty());
}

TEST_CASE("the message key keeps the first 256 code points and is not trimmed again") {
    const std::string key = message_key(std::string(255, 'x') + " y");
    CHECK(key == std::string(255, 'x') + " ");
    std::string emoji;
    for (int i = 0; i < 300; ++i) emoji += "\xF0\x9F\x98\x80";
    CHECK(message_key(emoji).size() == 256 * 4);
    CHECK(message_key("A\xFF" "B") == "a\xEF\xBF\xBD" "b");  // an invalid byte is one U+FFFD
}

TEST_CASE("the candidates hash ignores order and changes with a description") {
    std::vector<Candidate> c = three();
    const std::string h = candidates_hash(c);
    CHECK(h == "2c9d09da3c3b6cbf");
    std::swap(c[0], c[2]);
    CHECK(candidates_hash(c) == h);
    c[1].description = "Invoices and refunds";
    CHECK(candidates_hash(c) != h);
    CHECK(candidates_hash({}) == "cbf29ce484222325");
}

TEST_CASE("a cache row is fresh up to exactly 30 days after its creation") {
    const CacheRow r = row("assistant", 0);
    CHECK(is_fresh(r, 0));
    CHECK(is_fresh(r, 2'592'000'000));
    CHECK_FALSE(is_fresh(r, 2'592'000'001));
}

TEST_CASE("upserting a fresh row bumps hits, keeps created_at and clears advice the decision lacks") {
    CacheRow old = row("assistant", 1000, 4);
    old.advice.language = "fr";
    old.advice.seed.effort = Effort::high;
    CacheDecision d{"code-helper", RowSource::classified, {}};
    d.advice.seed.effort = Effort::medium;
    const CacheRow r = upsert(&old, d, 9000);
    CHECK(r.slug == "code-helper");
    CHECK(r.hits == 5);
    CHECK(r.created_at_ms == 1000);
    CHECK(r.last_used_at_ms == 9000);
    CHECK_FALSE(r.advice.language);
    CHECK(r.advice.seed.effort == Effort::medium);
}

TEST_CASE("upserting an expired or missing row writes a new one") {
    const CacheRow old = row("assistant", 0, 9);
    const CacheRow r = upsert(&old, {"assistant", RowSource::classified, {}}, 3'456'000'000);
    CHECK(r.hits == 1);
    CHECK(r.created_at_ms == 3'456'000'000);
    CHECK(upsert(nullptr, {"x", RowSource::override, {}}, 5).hits == 1);
}

TEST_CASE("override feedback rewrites the row once and clears the pointer") {
    const Pointer p{"how do i get a refund?", "0123456789abcdef", "assistant"};
    CacheRow stored = row("assistant", 1000, 2);
    stored.advice.language = "en";
    OverrideResult r = override_feedback(p, "How do I get a   refund?", "billing-agent", &stored, 3000);
    REQUIRE(r.row_write);
    CHECK(r.row_write->slug == "billing-agent");
    CHECK(r.row_write->source == RowSource::override);
    CHECK(r.row_write->hits == 3);
    CHECK(r.row_write->advice.empty());
    CHECK_FALSE(r.pointer);
    SUBCASE("another message or the same route changes nothing") {
        r = override_feedback(p, "How do I cancel?", "billing-agent", &stored, 3000);
        CHECK_FALSE(r.row_write);
        CHECK(r.pointer == p);
        r = override_feedback(p, "how do i get a refund?", "assistant", &stored, 3000);
        CHECK_FALSE(r.row_write);
        CHECK(r.pointer == p);
    }
    SUBCASE("without a pointer there is nothing to correct") {
        r = override_feedback(std::nullopt, "how do i get a refund?", "billing-agent", nullptr, 3000);
        CHECK_FALSE(r.row_write);
        CHECK_FALSE(r.pointer);
    }
}

TEST_CASE("purge deletes rows older than the max age, oldest first, at most a batch") {
    const std::vector<PurgeCandidate> rows = {{"c", 300}, {"a", 100}, {"keep", 9000}, {"b", 200}, {"a2", 100}};
    CHECK(purge(rows, 10000, 5000, 3) == std::vector<std::string>{"a", "a2", "b"});
    CHECK(purge(rows, 10000, 5000) == std::vector<std::string>{"a", "a2", "b", "c"});
    CHECK(purge({{"old", 0}, {"fresh", 50000}}, 50000, 1000) == std::vector<std::string>{"old"});
    CHECK(purge({{"edge", 49000}}, 50000, 1000).empty());  // created exactly at the cut-off stays
}

// ---- the ladder (4.2) ----

TEST_CASE("no eligible candidate gives no route") {
    RouteRequest r = request("hello");
    r.allow = {"hr-agent"};
    const RouteDecision d = route(r, nullptr, ClassifierResult::ok(R"({"slug":"assistant"})"), kNow);
    CHECK_FALSE(d.slug);
    CHECK(d.reason == RouteReason::no_candidates);
    CHECK_FALSE(d.classifier_called);
}

TEST_CASE("the allow-list drops candidates; an empty list restricts nothing") {
    RouteRequest r = request("Why was I charged twice?");
    r.allow = {"billing-agent"};
    const RouteDecision d = route(r, nullptr, ClassifierResult::ok(R"({"slug":"assistant"})"), kNow);
    CHECK(d.slug == "billing-agent");
    CHECK(d.reason == RouteReason::single_candidate);
    CHECK(route_prepare(request("x")).eligible.size() == 3);
}

TEST_CASE("a single candidate is used without cache, classifier or seed") {
    RouteRequest r = request("Why?");
    r.candidates.resize(1);
    const CacheRow cached = row("assistant", kNow);
    const RouteDecision d = route(r, &cached, ClassifierResult::ok(R"({"slug":"assistant","effort":"high"})"), kNow);
    CHECK(d.reason == RouteReason::single_candidate);
    CHECK(d.advice.empty());
    CHECK_FALSE(d.pointer);
    CHECK(d.step == LadderStep::single_candidate);
}

TEST_CASE("an empty message falls back to the default candidate without calling the classifier") {
    RouteRequest r = request(" \n\t ");
    r.default_slug = "code-helper";
    const RouteDecision d = route(r, nullptr, ClassifierResult::ok(R"({"slug":"assistant"})"), kNow);
    CHECK(d.slug == "code-helper");
    CHECK(d.reason == RouteReason::fallback);
    CHECK(d.cause == FallbackCause::empty_message);
    CHECK_FALSE(d.classifier_called);
}

TEST_CASE("the default candidate is the configured default when eligible, else the first eligible") {
    RouteRequest r = request("hello there");
    r.default_slug = "billing-agent";
    CHECK(route(r, nullptr, ClassifierResult::error(), kNow).slug == "billing-agent");
    r.default_slug = "hr-agent";
    CHECK(route(r, nullptr, ClassifierResult::error(), kNow).slug == "assistant");
    r.default_slug.reset();
    r.allow = {"code-helper", "billing-agent"};
    CHECK(route(r, nullptr, ClassifierResult::error(), kNow).slug == "billing-agent");
}

TEST_CASE("a fresh cache hit returns the row's advice and writes the pointer, not the row") {
    CacheRow cached = row("code-helper", 1'749'568'000'000, 3);
    cached.advice.language = "en";
    cached.advice.seed.effort = Effort::high;
    const RouteDecision d = route(request("Fix my  SEGFAULT"), &cached, ClassifierResult::ok(R"({"slug":"assistant"})"), kNow);
    CHECK(d.slug == "code-helper");
    CHECK(d.reason == RouteReason::cached);
    CHECK(*d.advice.language == "en");
    CHECK(d.advice.seed.effort == Effort::high);
    CHECK_FALSE(d.classifier_called);
    CHECK_FALSE(d.cache_write);
    REQUIRE(d.pointer);
    CHECK(d.pointer->message_key == "fix my segfault");
    CHECK(d.pointer->candidates_hash == "2c9d09da3c3b6cbf");
}

TEST_CASE("a cached slug that is no longer eligible falls through to the classifier") {
    RouteRequest r = request("Fix my segfault");
    r.allow = {"assistant", "billing-agent"};
    CacheRow cached = row("code-helper", 1'749'568'000'000, 3);
    cached.source = RowSource::override;
    const RouteDecision d = route(r, &cached, ClassifierResult::ok(R"({"slug":"assistant","effort":"low"})"), kNow);
    CHECK(d.reason == RouteReason::classified);
    REQUIRE(d.cache_write);
    CHECK(d.cache_write->hits == 4);  // the row is still fresh: updated, not replaced
    CHECK(d.cache_write->created_at_ms == 1'749'568'000'000);
    CHECK(d.pointer->candidates_hash == "63d2cfe48f2960ab");
}

TEST_CASE("a classified reply is returned with its advice, cached and pointed at") {
    const RouteDecision d = route(request("Explain  the difference between TCP and UDP"), nullptr,
                                  ClassifierResult::ok(R"({"slug":"assistant","effort":"high","creativity":"precise"})"), kNow);
    CHECK(d.reason == RouteReason::classified);
    CHECK(d.step == LadderStep::classify);
    CHECK(d.advice.seed.effort == Effort::high);
    REQUIRE(d.cache_write);
    CHECK(d.cache_write->source == RowSource::classified);
    CHECK(d.cache_write->hits == 1);
    CHECK(d.cache_write->created_at_ms == kNow);
    CHECK(d.pointer->message_key == "explain the difference between tcp and udp");
}

TEST_CASE("timeout, error and an unparsable reply fall back with no advice, cache write or pointer") {
    for (const auto& [result, cause] : {std::pair{ClassifierResult::timeout(), FallbackCause::timeout},
                                        std::pair{ClassifierResult::error(), FallbackCause::error},
                                        std::pair{ClassifierResult::ok("no idea"), FallbackCause::unparsable},
                                        std::pair{ClassifierResult{ClassifierResult::Kind::ok, std::nullopt}, FallbackCause::unparsable}}) {
        const RouteDecision d = route(request("Refactor this function"), nullptr, result, kNow);
        CHECK(d.slug == "assistant");
        CHECK(d.reason == RouteReason::fallback);
        CHECK(d.cause == cause);
        CHECK(d.classifier_called);
        CHECK(d.advice.empty());
        CHECK_FALSE(d.cache_write);
        CHECK_FALSE(d.pointer);
    }
}

TEST_CASE("the shortlist holds the first 40 eligible candidates") {
    RouteRequest r;
    for (int i = 1; i <= 42; ++i) r.candidates.push_back({"route-" + std::to_string(i), "topic " + std::to_string(i)});
    r.message = "topic forty-one please";
    const RouteContext ctx = route_prepare(r);
    CHECK(ctx.shortlist().size() == 40);
    const RouteDecision d = route_classified(ctx, nullptr, ClassifierResult::ok(R"({"slug":"route-41"})"), kNow);
    CHECK(d.reason == RouteReason::fallback);
    CHECK(d.slug == "route-1");
    CHECK(d.shortlist_dropped == 2);
}

TEST_CASE("an override row is served as cached, without a seed") {
    CacheRow cached = row("billing-agent", 1'749'913'600'000, 2);
    cached.source = RowSource::override;
    const RouteDecision d = route(request("Refund please"), &cached, ClassifierResult::error(), kNow);
    CHECK(d.reason == RouteReason::cached);
    CHECK(d.advice.seed.empty());
}

TEST_CASE("the staged calls agree with the whole ladder") {
    const RouteRequest r = request("Fix my segfault");
    const RouteContext ctx = route_prepare(r);
    CHECK_FALSE(ctx.decided);
    CHECK(ctx.message_key == "fix my segfault");
    CHECK_FALSE(route_cached(ctx, nullptr, kNow));
    const ClassifierResult reply = ClassifierResult::ok(R"({"slug":"code-helper"})");
    const RouteDecision staged = route_classified(ctx, nullptr, reply, kNow);
    const RouteDecision whole = route(r, nullptr, reply, kNow);
    CHECK(staged.slug == whole.slug);
    CHECK(staged.cache_write == whole.cache_write);
    CHECK(staged.pointer == whole.pointer);
}

TEST_CASE("decisions explain their ladder step and cause") {
    const RouteDecision d = route(request("hello"), nullptr, ClassifierResult::timeout(), kNow);
    CHECK(explain(d) == "auto=assistant reason=fallback step=6 (fallback) cause=timeout");
}

// ---- the classifier call (4.3) and the failover planner ----

TEST_CASE("the prompt lists the shortlist, the complexity hint and the default slug") {
    RouteRequest r = request("Prove that the square root of 2 is irrational, step by step.");
    r.candidates[1].description = "Invoices\nand refunds";
    const RouteContext ctx = route_prepare(r);
    const ClassifierPrompt p = classifier_prompt(ctx, r.message);
    CHECK(p.system.find("- assistant: General questions and small talk\n") != std::string::npos);
    CHECK(p.system.find("- billing-agent: Invoices and refunds\n") != std::string::npos);  // one line
    CHECK(p.system.find("Complexity hint: hard\n") != std::string::npos);
    CHECK(p.system.find("Choose assistant only when no other handler fits.") != std::string::npos);
    CHECK(p.system.find("Only \"slug\" is required.") != std::string::npos);
    CHECK(p.complexity == TurnClass::hard);
    CHECK(p.user == r.message);
}

TEST_CASE("the classifier sees the first 4000 code points of the message") {
    std::string long_message;
    for (int i = 0; i < 4100; ++i) long_message += "\xC3\xA9";
    const RouteRequest r = request(long_message);
    const ClassifierPrompt p = classifier_prompt(route_prepare(r), long_message);
    CHECK(p.user.size() == 8000);
}

TEST_CASE("the classifier's deadline is a quarter of what the request has left, at most 8000 ms") {
    CHECK(classifier_deadline_ms(std::nullopt) == 8000);
    CHECK(classifier_deadline_ms(60000) == 8000);
    CHECK(classifier_deadline_ms(10000) == 2500);
    CHECK(classifier_deadline_ms(0) == 0);
    CHECK(classifier_deadline_ms(10000, 0.5) == 5000);
}

TEST_CASE("the classifier goes to the planner as a request with 160 output tokens and the deadline") {
    const RouteRequest r = request("hello there");
    const ClassifierPrompt p = classifier_prompt(route_prepare(r), r.message);
    const reroute::Request req = classifier_request("utility", p, classifier_deadline_ms(20000), "conv-1");
    CHECK(req.route == "utility");
    CHECK(req.conversation_id == "conv-1");
    CHECK(req.max_output_tokens == 160);
    CHECK_FALSE(req.needs_tools);
    CHECK(req.overrides.deadline_ms == 5000);
    CHECK(req.prompt_tokens > 100);
}

TEST_CASE("the classifier body merges the utility plan: reasoning off, temperature 0.4 where sent") {
    const RouteRequest r = request("hello there");
    const ClassifierPrompt p = classifier_prompt(route_prepare(r), r.message);
    const std::string effort = classifier_body(p, "gpt-5-mini", Capability{Knob::effort, true});
    CHECK(effort.find(R"("model":"gpt-5-mini")") != std::string::npos);
    CHECK(effort.find(R"("max_tokens":160)") != std::string::npos);
    CHECK(effort.find(R"("reasoning_effort":"minimal")") != std::string::npos);
    CHECK(effort.find("temperature") == std::string::npos);
    const std::string budget = classifier_body(p, "claude", Capability{Knob::budget});
    CHECK(budget.find("thinking") == std::string::npos);
    CHECK(budget.find(R"("temperature":0.4)") != std::string::npos);
    CHECK(budget.find(R"("stream":false)") != std::string::npos);
}

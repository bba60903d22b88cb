#include "reroute/stream.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "reroute/config.hpp"
#include "reroute/envelope.hpp"
#include "reroute/json.hpp"

using reroute::Continuation;
using reroute::ErrorCode;
using reroute::StreamRelay;
using namespace reroute::stream;

namespace {

// One OpenAI chat.completion.chunk frame for choice 0.
std::string chunk(std::string_view delta, std::string_view finish = "null") {
    return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o\","
           "\"choices\":[{\"index\":0,\"delta\":" +
           std::string(delta) + ",\"finish_reason\":" + std::string(finish) + "}]}\n\n";
}
std::string content(std::string_view text) {
    std::string delta = "{\"content\":";
    reroute::json::write_string(delta, text);
    delta += "}";
    return chunk(delta);
}
const std::string kRole = chunk(R"({"role":"assistant","content":""})");
const std::string kEmpty = chunk("{}");
const std::string kStop = chunk("{}", "\"stop\"");
const std::string kUsage =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o\","
    "\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}\n\n";
const std::string kDone = "data: [DONE]\n\n";

// Feeds the stream in pieces of `piece` bytes and returns everything written to the client.
struct Run {
    std::string out;
    bool committed_in_step = false;
    std::optional<Failure> failure;
    End end;
};
Run run(StreamRelay& relay, std::string_view bytes, std::size_t piece, std::string_view trail = {}) {
    Run r;
    for (std::size_t i = 0; i < bytes.size(); i += piece) {
        Step s = relay.feed(bytes.substr(i, piece));
        r.out += s.out;
        r.committed_in_step = r.committed_in_step || s.committed;
        if (s.failure) r.failure = s.failure;
    }
    r.end = relay.end_of_upstream(trail);
    r.out += r.end.out;
    if (r.end.failure) r.failure = r.end.failure;
    return r;
}
Run run(std::string_view bytes, std::size_t piece = std::string_view::npos, std::string_view trail = {}) {
    StreamRelay relay;
    return run(relay, bytes, piece == std::string_view::npos ? std::max<std::size_t>(bytes.size(), 1) : piece, trail);
}

}  // namespace

TEST_CASE("stream: a frame with content commits at once and is forwarded unchanged") {
    StreamRelay relay;
    const std::string first = content("Hello");
    Step s = relay.feed(first);
    CHECK(s.committed);
    CHECK(s.out == first);
    CHECK(relay.committed());
    s = relay.feed(content(" world"));
    CHECK_FALSE(s.committed);
    CHECK(s.out == content(" world"));
    CHECK(relay.partial_text() == "Hello world");
}

TEST_CASE("stream: role-only preamble, empty deltas, usage-only chunks and comments are held, then released in order") {
    StreamRelay relay;
    const std::string preamble = ": OPENROUTER PROCESSING\n\n" + kRole + kEmpty + kUsage;
    Step s = relay.feed(preamble);
    CHECK_FALSE(s.committed);
    CHECK(s.out.empty());
    CHECK_FALSE(relay.committed());
    CHECK(relay.held_bytes() == preamble.size());
    s = relay.feed(content("Hi"));
    CHECK(s.committed);
    CHECK(s.out == preamble + content("Hi"));
    CHECK(relay.held_bytes() == 0);
}

TEST_CASE("stream: the prelude (fallback notices) goes out at the commit point before held frames") {
    RelayOptions options;
    fallback_event(options.prelude, "[MODEL_FALLBACK] from=openai%3Agpt-4o to=anthropic%3Aclaude reason=rate_limited");
    StreamRelay relay(options);
    CHECK(relay.feed(kRole).out.empty());
    Step s = relay.feed(content("Hi"));
    CHECK(s.out ==
          "event: reroute.fallback\ndata: [MODEL_FALLBACK] from=openai%3Agpt-4o to=anthropic%3Aclaude reason=rate_limited\n\n" +
              kRole + content("Hi"));
}

TEST_CASE("stream: reasoning text, a tool-call delta and a refusal each commit") {
    for (std::string delta : {R"({"reasoning":"hmm"})", R"({"reasoning_content":"hmm"})",
                              R"({"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":""}}]})",
                              R"({"refusal":"I can't"})"}) {
        CAPTURE(delta);
        StreamRelay relay;
        relay.feed(kRole);
        Step s = relay.feed(chunk(delta));
        CHECK(s.committed);
        CHECK(s.out == kRole + chunk(delta));
    }
    StreamRelay relay;
    CHECK_FALSE(relay.feed(chunk(R"({"reasoning":""})")).committed);
}

TEST_CASE("stream: a finish reason commits once something was produced") {
    StreamRelay relay;
    relay.feed(content("x"));
    Step s = relay.feed(kStop);
    CHECK(s.out == kStop);
    CHECK(relay.finish_seen());
    CHECK(relay.finish_reason() == "stop");
}

TEST_CASE("stream: hold-back is bounded at 64 KiB without content, then commits and flushes") {
    StreamRelay relay;
    std::string held;
    std::size_t steps = 0;
    bool committed = false;
    while (!committed) {
        Step s = relay.feed(kRole);
        ++steps;
        if (s.committed) {
            committed = true;
            CHECK(s.out == held + kRole);
        } else {
            CHECK(s.out.empty());
            held += kRole;
        }
    }
    CHECK(held.size() < kDefaultHoldLimit);
    CHECK(held.size() + kRole.size() >= kDefaultHoldLimit);
    CHECK(relay.committed());
    CHECK(relay.feed(kEmpty).out == kEmpty);  // forwarded from now on
}

TEST_CASE("stream: in-band error before the commit point fails over silently with the classified code") {
    SUBCASE("OpenAI error data, rate limit -> rate_limited") {
        StreamRelay relay;
        relay.feed(kRole);
        Step s = relay.feed(
            "data: {\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}\n\n");
        REQUIRE(s.failure);
        CHECK(s.out.empty());
        CHECK_FALSE(s.committed);
        CHECK(s.failure->kind == OutcomeKind::in_band_error);
        CHECK(s.failure->code == ErrorCode::rate_limited);
        CHECK_FALSE(s.failure->after_commit);
        CHECK(relay.held_bytes() == 0);
        CHECK(relay.failed());
    }
    SUBCASE("Anthropic event: error, overloaded -> provider_error") {
        StreamRelay relay;
        Step s = relay.feed(
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
        REQUIRE(s.failure);
        CHECK(s.failure->kind == OutcomeKind::in_band_error);
        CHECK(s.failure->code == ErrorCode::provider_error);
    }
    SUBCASE("a chunk with finish_reason error and an error member") {
        StreamRelay relay;
        Step s = relay.feed(
            "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}],"
            "\"error\":{\"code\":429,\"message\":\"Too many requests\"}}\n\n");
        REQUIRE(s.failure);
        CHECK(s.failure->kind == OutcomeKind::in_band_error);
        CHECK(s.failure->code == ErrorCode::rate_limited);
    }
    SUBCASE("finish_reason error without an error member") {
        StreamRelay relay;
        Step s = relay.feed(chunk("{}", "\"error\""));
        REQUIRE(s.failure);
        CHECK(s.failure->kind == OutcomeKind::in_band_error);
    }
    SUBCASE("a retry hint in the message is kept") {
        StreamRelay relay;
        Step s = relay.feed("data: {\"error\":{\"message\":\"Rate limit reached. Please try again in 20ms.\"}}\n\n");
        REQUIRE(s.failure);
        CHECK(s.failure->retry_after_ms == doctest::Approx(20));
    }
    SUBCASE("error: null is no error") {
        StreamRelay relay;
        Step s = relay.feed("data: {\"error\":null,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\n");
        CHECK_FALSE(s.failure);
        CHECK(s.committed);
    }
}

TEST_CASE("stream: in-band error after the commit point ends the stream with the exact error ending, no [DONE]") {
    StreamRelay relay;
    Step s = relay.feed(kRole + content("Partial"));
    REQUIRE(s.committed);
    s = relay.feed(content(" answer") +
                   "data: {\"error\":{\"message\":\"The server had an error while processing your request\",\"type\":\"server_error\"}}\n\n" +
                   content("never"));
    CHECK(s.out == content(" answer"));  // what preceded the error, nothing after it
    REQUIRE(s.failure);
    CHECK(s.failure->after_commit);
    CHECK(s.failure->code == ErrorCode::provider_error);
    CHECK(relay.partial_text() == "Partial answer");
    CHECK(relay.feed(content("more")).out.empty());  // ignored after the failure

    ErrorEnding ending;
    ending.code = *s.failure->code;
    ending.provider = "openai";
    ending.model = "gpt-4o";
    ending.tried = 1;
    ending.raw = "upstream error";
    ending.chunk_id = relay.chunk_id();
    ending.chunk_model = relay.model();
    ending.created = *relay.created();
    const std::string bytes = error_ending(ending);
    CHECK(bytes ==
          "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o\","
          "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"error\"}]}\n\n"
          "data: {\"error\":{\"message\":\"openai is temporarily experiencing issues. Please try again shortly.\","
          "\"type\":\"provider_error\",\"code\":\"provider_error\",\"envelope\":\"TALE_ERR1 "
          "%7B%22code%22%3A%22provider_error%22%2C%22provider%22%3A%22openai%22%2C%22model%22%3A%22gpt-4o%22%2C%22tried%22%3A1%7D"
          "\\nupstream error\",\"partial\":true}}\n\n");
    CHECK(bytes.find("[DONE]") == std::string::npos);
}

TEST_CASE("stream: the error ending's envelope decodes to the failure facts, raw redacted, retry hint kept") {
    ErrorEnding ending;
    ending.code = ErrorCode::rate_limited;
    ending.provider = "openrouter";
    ending.raw = "429 for key sk-proj-AbCdEf0123456789AbCdEf0123456789";
    ending.retry_after_ms = 2000;
    ending.trail = "event: reroute.trail\ndata: []\n\n";
    const std::string bytes = error_ending(ending);
    REQUIRE(bytes.rfind(ending.trail, 0) == 0);
    const std::size_t at = bytes.find("data: {\"error\":");
    REQUIRE(at != std::string::npos);
    const std::string_view frame = std::string_view(bytes).substr(at + 6, bytes.size() - at - 8);
    auto v = reroute::json::parse(frame);
    REQUIRE(v);
    const auto* error = v->find("error");
    REQUIRE(error);
    CHECK(error->find("message")->string == "Rate limit reached on openrouter. Please wait a moment and try again.");
    CHECK(error->find("partial")->boolean);
    const auto decoded = reroute::decode_envelope(error->find("envelope")->string);
    CHECK(decoded.code == ErrorCode::rate_limited);
    CHECK(decoded.provider == "openrouter");
    CHECK_FALSE(decoded.model);
    CHECK(decoded.retry_after_ms == 2000);
    REQUIRE(decoded.raw);
    CHECK(decoded.raw->find("AbCdEf0123456789") == std::string::npos);
    ending.raw.clear();
    CHECK(reroute::decode_envelope(
              reroute::json::parse(std::string_view(error_ending(ending)).substr(error_ending(ending).find("data: {\"error\":") + 6))
                  ->find("error")
                  ->find("envelope")
                  ->string)
              .raw == "Unknown error");
}

TEST_CASE("stream: finish reason without [DONE] is complete and [DONE] is added after the trail") {
    const std::string upstream = kRole + content("Hi") + kStop;
    Run r = run(upstream, std::string_view::npos, "event: reroute.trail\ndata: []\n\n");
    CHECK_FALSE(r.failure);
    CHECK(r.end.complete);
    CHECK(r.end.done_added);
    CHECK(r.out == upstream + "event: reroute.trail\ndata: []\n\n" + kDone);
}

TEST_CASE("stream: upstream [DONE] is not forwarded; the relay writes it at the end") {
    StreamRelay relay;
    Step s = relay.feed(content("Hi") + kStop + kDone + content("after done"));
    CHECK(s.done);
    CHECK(s.out == content("Hi") + kStop);
    CHECK(relay.done_seen());
    End e = relay.end_of_upstream();
    CHECK(e.complete);
    CHECK_FALSE(e.done_added);
    CHECK(e.out == kDone);
    CHECK(relay.partial_text() == "Hi");
}

TEST_CASE("stream: usage after the finish reason is forwarded and captured") {
    StreamRelay relay;
    Run r = run(relay, content("Hi") + kStop + kUsage + kDone, 5);
    CHECK(r.end.complete);
    CHECK(r.out == content("Hi") + kStop + kUsage + kDone);
    REQUIRE(relay.usage());
    CHECK(relay.usage()->prompt_tokens == 9);
    CHECK(relay.usage()->completion_tokens == 12);
    CHECK(relay.usage()->total_tokens == 21);
    CHECK(relay.usage()->json == R"({"prompt_tokens":9,"completion_tokens":12,"total_tokens":21})");
    CHECK(relay.model() == "gpt-4o");
    CHECK(relay.chunk_id() == "chatcmpl-1");
    CHECK(relay.created() == 1700000000);
}

TEST_CASE("stream: no finish reason is stream_truncated") {
    SUBCASE("cut after content") {
        Run r = run(kRole + content("Hi"));
        REQUIRE(r.failure);
        CHECK(r.failure->kind == OutcomeKind::stream_truncated);
        CHECK(r.failure->code == ErrorCode::provider_error);
        CHECK(r.failure->after_commit);
        CHECK_FALSE(r.end.complete);
        CHECK(r.out == kRole + content("Hi"));  // nothing added: the caller writes the error ending
    }
    SUBCASE("[DONE] without a finish reason") {
        Run r = run(content("Hi") + kDone);
        REQUIRE(r.failure);
        CHECK(r.failure->kind == OutcomeKind::stream_truncated);
    }
    SUBCASE("nothing at all, before the commit point") {
        Run r = run(kRole);
        REQUIRE(r.failure);
        CHECK(r.failure->kind == OutcomeKind::stream_truncated);
        CHECK_FALSE(r.failure->after_commit);
        CHECK(r.out.empty());
    }
    SUBCASE("cut inside a frame") {
        const std::string frame = content("Hi") + kStop;
        Run r = run(content("Hi") + kStop.substr(0, kStop.size() - 10));
        REQUIRE(r.failure);
        CHECK(r.failure->kind == OutcomeKind::stream_truncated);
        (void)frame;
    }
    SUBCASE("a last frame without its blank line but complete JSON is accepted") {
        Run r = run(content("Hi") + kStop.substr(0, kStop.size() - 2));
        CHECK_FALSE(r.failure);
        CHECK(r.end.complete);
        CHECK(r.out == content("Hi") + kStop + kDone);
    }
    SUBCASE("end_of_upstream twice returns the same failure") {
        StreamRelay relay;
        relay.feed(content("x"));
        End a = relay.end_of_upstream();
        End b = relay.end_of_upstream();
        REQUIRE(a.failure);
        REQUIRE(b.failure);
        CHECK(b.failure->kind == a.failure->kind);
    }
}

TEST_CASE("stream: a malformed frame is stream_malformed") {
    SUBCASE("before the commit point") {
        StreamRelay relay;
        relay.feed(kRole);
        Step s = relay.feed("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}]\n\n");
        REQUIRE(s.failure);
        CHECK(s.failure->kind == OutcomeKind::stream_malformed);
        CHECK(s.failure->code == ErrorCode::provider_error);
        CHECK_FALSE(s.failure->after_commit);
        CHECK(s.out.empty());
    }
    SUBCASE("after the commit point") {
        StreamRelay relay;
        relay.feed(content("x"));
        Step s = relay.feed("data: not json\n\n");
        REQUIRE(s.failure);
        CHECK(s.failure->kind == OutcomeKind::stream_malformed);
        CHECK(s.failure->after_commit);
        CHECK(s.failure->raw == "malformed upstream SSE frame: not json");
    }
    SUBCASE("JSON that is not an object") {
        Run r = run("data: [1,2]\n\n");
        REQUIRE(r.failure);
        CHECK(r.failure->kind == OutcomeKind::stream_malformed);
    }
    SUBCASE("an event larger than the limit") {
        RelayOptions options;
        options.max_event_bytes = 1000;
        StreamRelay relay(options);
        Step s = relay.feed("data: \"" + std::string(2000, 'a'));
        REQUIRE(s.failure);
        CHECK(s.failure->kind == OutcomeKind::stream_malformed);
    }
}

TEST_CASE("stream: unknown named events are dropped; comments after the commit point are forwarded") {
    StreamRelay relay;
    Step s = relay.feed("event: ping\ndata: {\"type\":\"ping\"}\n\n" + content("a") + ": keep-alive\n\n" +
                        "event: ping\ndata: x\n\n");
    CHECK(s.out == content("a") + ": keep-alive\n\n");
}

TEST_CASE("stream: with several choices the stream is complete only when every choice finished") {
    auto c = [](int index, std::string_view delta, std::string_view finish) {
        return "data: {\"choices\":[{\"index\":" + std::to_string(index) + ",\"delta\":" + std::string(delta) +
               ",\"finish_reason\":" + std::string(finish) + "}]}\n\n";
    };
    const std::string base = c(0, R"({"content":"a"})", "null") + c(1, R"({"content":"b"})", "null") + c(0, "{}", "\"stop\"");
    Run open = run(base);
    REQUIRE(open.failure);
    CHECK(open.failure->kind == OutcomeKind::stream_truncated);
    Run done = run(base + c(1, "{}", "\"length\""));
    CHECK(done.end.complete);
}

TEST_CASE("stream: a finish with nothing produced is an empty answer before the commit point") {
    SUBCASE("empty_answer") {
        Run r = run(kRole + kStop + kDone);
        REQUIRE(r.failure);
        CHECK(r.failure->kind == OutcomeKind::empty_answer);
        CHECK(r.failure->code == ErrorCode::generic);
        CHECK_FALSE(r.failure->after_commit);
        CHECK(r.out.empty());
    }
    SUBCASE("finish_reason content_filter with nothing produced") {
        Run r = run(kRole + chunk("{}", "\"content_filter\""));
        REQUIRE(r.failure);
        CHECK(r.failure->kind == OutcomeKind::in_band_error);
        CHECK(r.failure->code == ErrorCode::content_filter);
    }
    SUBCASE("reasoning only commits but is still an empty answer") {
        Run r = run(chunk(R"({"reasoning":"thinking"})") + chunk("{}", "\"length\""));
        REQUIRE(r.failure);
        CHECK(r.failure->kind == OutcomeKind::empty_answer);
        CHECK(r.failure->after_commit);
    }
    SUBCASE("a tool call is an answer") {
        Run r = run(chunk(R"({"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{}"}}]})") +
                    chunk("{}", "\"tool_calls\""));
        CHECK(r.end.complete);
    }
}

TEST_CASE("stream: unfinished tool-call arguments are detected; only a restart is allowed then") {
    StreamRelay relay;
    relay.feed(kRole + content("Let me look.") +
               chunk(R"({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"search","arguments":""}}]})"));
    CHECK(relay.has_tool_calls());
    CHECK(relay.in_unfinished_tool_call());  // name given, no arguments yet
    relay.feed(chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":\"wea"}}]})"));
    CHECK(relay.in_unfinished_tool_call());
    relay.feed(chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"ther\"}"}}]})"));
    CHECK_FALSE(relay.in_unfinished_tool_call());
    relay.feed(chunk(R"({"tool_calls":[{"index":1,"id":"call_2","function":{"name":"f","arguments":"{\"a\":"}}]})"));
    CHECK(relay.in_unfinished_tool_call());
    CHECK(relay.partial_text() == "Let me look.");
    relay.fail(OutcomeKind::timeout_idle);

    ContinuationPlan plan = plan_continuation(Continuation::continue_, relay, true);
    CHECK(plan.action == ContinuationAction::restart);
    CHECK(plan.reason == "unfinished_tool_call");
    CHECK(plan_continuation(Continuation::off, relay, true).action == ContinuationAction::end_with_error);

    StreamRelay finished;
    finished.feed(chunk(R"({"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\"a\":"}}]})") +
                  chunk("{}", "\"tool_calls\""));
    CHECK_FALSE(finished.in_unfinished_tool_call());
}

TEST_CASE("stream: continuation plans follow the mode, the partial text and the target's prefill support") {
    CHECK(plan_continuation(Continuation::off, "abc", false, false, true).reason == "continuation_off");
    CHECK(plan_continuation(Continuation::restart, "abc", false, false, true).reason == "restart_requested");
    CHECK(plan_continuation(Continuation::continue_, "abc", false, true, true).reason == "tool_calls_in_partial");
    CHECK(plan_continuation(Continuation::continue_, "", false, false, true).reason == "no_partial_text");
    const ContinuationPlan no_prefill = plan_continuation(Continuation::continue_, "abc", false, false, false);
    CHECK(no_prefill.action == ContinuationAction::restart);
    CHECK(no_prefill.reason == "prefill_unsupported");
    CHECK(no_prefill.next.prelude == "event: reroute.restart\ndata: {}\n\n");
    CHECK_FALSE(no_prefill.next.drop_preamble);

    const ContinuationPlan plan = plan_continuation(Continuation::continue_, "He said \"hi\"\n", false, false, true);
    CHECK(plan.action == ContinuationAction::prefill);
    CHECK(to_string(plan.action) == "prefill");
    CHECK(plan.prefill_message == R"({"role":"assistant","content":"He said \"hi\"\n"})");
    CHECK(plan.next.partial_prefix == "He said \"hi\"\n");
    CHECK(plan.next.drop_preamble);
    CHECK(plan.next.prelude.empty());
}

TEST_CASE("stream: a prefill continuation drops the new preamble and appends to the partial text") {
    const ContinuationPlan plan = plan_continuation(Continuation::continue_, "Hello", false, false, true);
    StreamRelay next(plan.next);
    CHECK(next.feed(kRole + kEmpty).out.empty());
    CHECK(next.held_bytes() == 0);
    Step s = next.feed(content(" world"));
    CHECK(s.out == content(" world"));
    CHECK(next.partial_text() == "Hello world");
    // Nothing more to say after the prefill is still a complete answer.
    StreamRelay quiet(plan.next);
    Run r = run(quiet, kRole + kStop + kDone, 64);
    CHECK(r.end.complete);
    CHECK(r.out == kStop + kDone);
}

TEST_CASE("stream: a restart sends reroute.restart right before the new attempt's first content") {
    const ContinuationPlan plan = plan_continuation(Continuation::restart, "Hello", false, false, true);
    StreamRelay next(plan.next);
    CHECK(next.feed(kRole).out.empty());
    CHECK(next.feed(content("Hi")).out == "event: reroute.restart\ndata: {}\n\n" + kRole + content("Hi"));
    CHECK(next.partial_text() == "Hi");
}

TEST_CASE("stream: failures the host observes carry their fixed code and the commit state") {
    StreamRelay before;
    before.feed(kRole);
    Failure f = before.fail(OutcomeKind::timeout_first_token, {}, "no first token within 10000 ms");
    CHECK(f.code == ErrorCode::provider_error);
    CHECK_FALSE(f.after_commit);
    CHECK(before.held_bytes() == 0);
    CHECK(before.feed(content("late")).out.empty());
    CHECK(before.end_of_upstream().failure->kind == OutcomeKind::timeout_first_token);

    StreamRelay after;
    after.feed(content("x"));
    CHECK(after.fail(OutcomeKind::timeout_idle).after_commit);
    CHECK(after.fail(OutcomeKind::reset).kind == OutcomeKind::timeout_idle);  // the first failure stays

    StreamRelay cancelled;
    CHECK_FALSE(cancelled.fail(OutcomeKind::cancelled).code);
}

TEST_CASE("stream: outcome kinds have their names and fixed codes") {
    const std::pair<OutcomeKind, std::optional<ErrorCode>> table[] = {
        {OutcomeKind::http_error, std::nullopt},
        {OutcomeKind::in_band_error, std::nullopt},
        {OutcomeKind::connect_refused, ErrorCode::provider_unreachable},
        {OutcomeKind::dns_failure, ErrorCode::provider_unreachable},
        {OutcomeKind::tls_failure, ErrorCode::provider_unreachable},
        {OutcomeKind::reset, ErrorCode::provider_error},
        {OutcomeKind::timeout_connect, ErrorCode::provider_error},
        {OutcomeKind::timeout_first_token, ErrorCode::provider_error},
        {OutcomeKind::timeout_idle, ErrorCode::provider_error},
        {OutcomeKind::stream_truncated, ErrorCode::provider_error},
        {OutcomeKind::stream_malformed, ErrorCode::provider_error},
        {OutcomeKind::empty_answer, ErrorCode::generic},
        {OutcomeKind::cancelled, std::nullopt},
        {OutcomeKind::success, std::nullopt},
    };
    static_assert(std::size(table) == reroute::kOutcomeKindCount);
    for (const auto& [kind, code] : table) {
        CAPTURE(to_string(kind));
        CHECK(parse_outcome_kind(to_string(kind)) == kind);
        CHECK(reroute::code_for_kind(kind) == code);
    }
    CHECK(to_string(OutcomeKind::timeout_first_token) == "timeout_first_token");
    CHECK_FALSE(parse_outcome_kind("Timeout_idle"));
    CHECK(make_failure(OutcomeKind::http_error, reroute::ErrorValue::from_text("HTTP 402: requires more credits"), "", false).code ==
          ErrorCode::credit_exhausted);
}

TEST_CASE("stream: reroute event writers") {
    std::string out;
    fallback_event(out, "[MODEL_FALLBACK] from=a to=b reason=rate_limited");
    restart_event(out);
    trail_event(out, R"([{"target":"openai:gpt-4o","code":"rate_limited"}])");
    CHECK(out ==
          "event: reroute.fallback\ndata: [MODEL_FALLBACK] from=a to=b reason=rate_limited\n\n"
          "event: reroute.restart\ndata: {}\n\n"
          "event: reroute.trail\ndata: [{\"target\":\"openai:gpt-4o\",\"code\":\"rate_limited\"}]\n\n");
}

TEST_CASE("stream: frames split at every byte boundary give the same client bytes") {
    const std::string upstream = "\xEF\xBB\xBF: hi\r\n\r\n" + kRole + content("Hé🚀llo") +
                                 "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\\nb\"}}]}\r\n\r\n" + kStop +
                                 kUsage + kDone;
    StreamRelay whole_relay;
    const Run whole = run(whole_relay, upstream, upstream.size());
    REQUIRE(whole.end.complete);
    for (std::size_t i = 0; i <= upstream.size(); ++i) {
        CAPTURE(i);
        StreamRelay relay;
        std::string out = relay.feed(upstream.substr(0, i)).out;
        out += relay.feed(upstream.substr(i)).out;
        End e = relay.end_of_upstream();
        CHECK(e.complete);
        CHECK(out + e.out == whole.out);
        CHECK(relay.partial_text() == whole_relay.partial_text());
    }
    StreamRelay bytewise;
    CHECK(run(bytewise, upstream, 1).out == whole.out);
}

TEST_CASE("stream: a 10 MB stream fed in 1-byte and 64 KiB pieces is relayed exactly") {
    std::string upstream = kRole;
    std::string expected_text;
    std::string text(200, 'x');
    while (upstream.size() < 10u << 20) {
        upstream += content(text);
        expected_text += text;
    }
    upstream += kStop + kUsage + kDone;
    for (std::size_t piece : {std::size_t{1}, std::size_t{64} << 10}) {
        CAPTURE(piece);
        StreamRelay relay;
        Run r = run(relay, upstream, piece);
        REQUIRE(r.end.complete);
        CHECK(r.out == upstream);
        CHECK(relay.partial_text() == expected_text);
    }
}

TEST_CASE("stream: non-streaming bodies are read as JSON.parse sees them: escapes, duplicates, every kind of output") {
    // The answer's model and usage, from escaped text; the last of duplicate members counts.
    BodyCheck r = check_completion_body(
        R"({"model":"old","mod\u0065l":"gpt-\u00e9","usage":{"total_tokens":1},"usage":{"prompt_tokens":2,"total_tokens":5},)"
        R"("error":null,"choices":[{"message":{"content":""},"message":{"content":"Hi \"there\""}}]})");
    CHECK(r.ok());
    CHECK(r.model == "gpt-\xC3\xA9");
    REQUIRE(r.usage);
    CHECK(r.usage->total_tokens == 5);
    CHECK(r.usage->json == R"({"prompt_tokens":2,"total_tokens":5})");
    for (const char* answer : {
             R"({"choices":[{"text":"legacy completion"}]})",
             R"({"choices":[{"message":{"content":null,"function_call":{"name":"f","arguments":"{}"}}}]})",
             R"({"choices":[{"message":{"content":null,"audio":{"id":"a"}}}]})",
             R"({"choices":[{"message":{"content":[{"type":"text","text":""},{"type":"text","text":"Hi"}]}}]})",
             R"({"error":false,"choices":[ {"message":{"content":"x"}} , 7 ]})",
         }) {
        CAPTURE(answer);
        CHECK(check_completion_body(answer).ok());
    }
    for (const char* failure : {
             R"({"choices":[{"message":{"content":"x"}},{"message":{"content":"y"},"finish_reason":"error"}]})",
             R"({"choices":[{"message":{"content":"x"}}],"error":{"message":"late"}})",
             R"({"choices":[{"message":{"content":"x"}}],"type":"err\u006fr"})",
             R"({"choices":[{"message":{"content":"x","content":""}}]})",
             R"({"choices":[{"message":{"tool_calls":[ ]}}]})",
             R"({"choices":{"0":{"message":{"content":"x"}}}})",
             R"({"choices":[{"message":{"content":"x"}}],)",
         }) {
        CAPTURE(failure);
        CHECK_FALSE(check_completion_body(failure).ok());
    }
}

TEST_CASE("stream: non-streaming bodies: an answer needs a choice with text, a tool call or a refusal") {
    const std::string ok =
        R"({"id":"c","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})";
    BodyCheck r = check_completion_body(ok);
    CHECK(r.ok());
    CHECK(r.model == "gpt-4o");
    REQUIRE(r.usage);
    CHECK(r.usage->total_tokens == 3);

    CHECK(check_completion_body(
              R"({"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]}}]})")
              .ok());
    CHECK(check_completion_body(R"({"choices":[{"message":{"content":null,"refusal":"No."}}]})").ok());
    CHECK(check_completion_body(R"({"choices":[{"message":{"content":[{"type":"text","text":"Hi"}]}}]})").ok());

    auto failure = [](std::string_view body) { return *check_completion_body(body).failure; };
    CHECK(failure(R"({"error":{"message":"Rate limit reached for requests","type":"requests"}})").kind ==
          OutcomeKind::in_band_error);
    CHECK(failure(R"({"error":{"message":"Rate limit reached for requests","type":"requests"}})").code ==
          ErrorCode::rate_limited);
    CHECK(failure(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})").code ==
          ErrorCode::provider_error);
    CHECK(failure(R"({"id":"c","object":"chat.completion"})").kind == OutcomeKind::stream_malformed);
    CHECK(failure(R"({"choices":[]})").kind == OutcomeKind::empty_answer);
    CHECK(failure(R"({"choices":[{"message":{"role":"assistant","content":""},"finish_reason":"stop"}]})").kind ==
          OutcomeKind::empty_answer);
    CHECK(failure(R"({"choices":[{"message":{"content":"","reasoning":"hmm"},"finish_reason":"length"}]})").kind ==
          OutcomeKind::empty_answer);
    CHECK(failure(R"({"choices":[{"message":{"content":null},"finish_reason":"content_filter"}]})").code ==
          ErrorCode::content_filter);
    CHECK(failure(R"({"choices":[{"message":{"content":"x"},"finish_reason":"error"}]})").kind ==
          OutcomeKind::in_band_error);
    CHECK(failure("<html>502 Bad Gateway</html>").kind == OutcomeKind::stream_malformed);
    CHECK(failure("[]").kind == OutcomeKind::stream_malformed);
}

#include "reroute/notice.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using reroute::auto_switch;
using reroute::AutoSwitchDecision;
using reroute::ChatMessage;
using reroute::FallbackNotice;
using reroute::format_notice;
using reroute::friendly_label;
using reroute::Locale;
using reroute::notice_display_text;
using reroute::notice_text;
using reroute::parse_notice;
using reroute::system_tag;

namespace {

ChatMessage msg(std::string id, std::string role, std::string content, std::optional<std::string> status = std::nullopt) {
    return ChatMessage{std::move(id), std::move(role), std::move(content), std::move(status)};
}

ChatMessage notice(std::string id, std::string content) { return msg(std::move(id), "system", std::move(content)); }
ChatMessage answer(std::string id, std::optional<std::string> status = "success") {
    return msg(std::move(id), "assistant", "ok", std::move(status));
}

}  // namespace

// ---- 11.1 format -----------------------------------------------------------------------------

TEST_CASE("format: tag, one space, then from, to and reason in this order") {
    CHECK(format_notice({.from = "gpt-5", .to = "anthropic/claude", .reason = "provider_unreachable"}) ==
          "[MODEL_FALLBACK] from=gpt-5 to=anthropic%2Fclaude reason=provider_unreachable");
    CHECK(format_notice({.reason = "generic"}) == "[MODEL_FALLBACK] reason=generic");
}

TEST_CASE("format: values are percent-encoded as encodeURIComponent does") {
    CHECK(format_notice({.from = "openrouter:anthropic/claude-opus-4.8", .to = "openai:gpt-4o@fp8"}) ==
          "[MODEL_FALLBACK] from=openrouter%3Aanthropic%2Fclaude-opus-4.8 to=openai%3Agpt-4o%40fp8");
    CHECK(format_notice({.from = "my model=1", .to = "x y"}) == "[MODEL_FALLBACK] from=my%20model%3D1 to=x%20y");
    CHECK(format_notice({.from = "a!b~c*d'e(f)g", .to = "h_i-j.k"}) == "[MODEL_FALLBACK] from=a!b~c*d'e(f)g to=h_i-j.k");
    CHECK(format_notice({.from = "mod\xC3\xA8le"}) == "[MODEL_FALLBACK] from=mod%C3%A8le");
}

TEST_CASE("format: absent and empty values are not written; the space after the tag always is") {
    CHECK(format_notice({}) == "[MODEL_FALLBACK] ");
    CHECK(format_notice({.from = "", .to = "b", .reason = "rate_limited"}) == "[MODEL_FALLBACK] to=b reason=rate_limited");
    CHECK(format_notice({.from = "", .to = "", .reason = ""}) == "[MODEL_FALLBACK] ");
}

// ---- 11.2 tags -------------------------------------------------------------------------------

TEST_CASE("tag: a known tag at the very start, its body without leading W") {
    const auto t = system_tag("[MODEL_FALLBACK] \xC2\xA0 to=x ");
    REQUIRE(t);
    CHECK(t->tag == "MODEL_FALLBACK");
    CHECK(t->body == "to=x ");
    CHECK(system_tag("[WORKFLOW_FAILED] boom")->tag == "WORKFLOW_FAILED");
    CHECK(system_tag("[INTEGRATION_OPERATION_COMPLETED]")->body == "");
    CHECK(system_tag("[MODEL_FALLBACK]to=x")->body == "to=x");
}

TEST_CASE("tag: unknown, lowercase, malformed or not-at-start tags mean no tag") {
    CHECK_FALSE(system_tag("[MODEL_FALLBACKS] to=x"));
    CHECK_FALSE(system_tag("[model_fallback] to=x"));
    CHECK_FALSE(system_tag(" [MODEL_FALLBACK] to=x"));
    CHECK_FALSE(system_tag("x[MODEL_FALLBACK]"));
    CHECK_FALSE(system_tag("[MODEL_FALLBACK"));
    CHECK_FALSE(system_tag("[_MODEL_FALLBACK]"));
    CHECK_FALSE(system_tag("[A]"));
    CHECK_FALSE(system_tag("[]"));
    CHECK_FALSE(system_tag("["));
    CHECK_FALSE(system_tag(""));
}

// ---- 11.3 parse ------------------------------------------------------------------------------

TEST_CASE("parse: structured bodies round-trip") {
    const auto n = parse_notice("[MODEL_FALLBACK] from=openrouter%3Aanthropic%2Fclaude-opus-4.8 to=openai%3Agpt-4o%40fp8 reason=credit_exhausted");
    REQUIRE(n);
    CHECK(n->from == "openrouter:anthropic/claude-opus-4.8");
    CHECK(n->to == "openai:gpt-4o@fp8");
    CHECK(n->reason == "credit_exhausted");
    const FallbackNotice original{.from = "a b/\xC3\xA9=1", .to = "x+y", .reason = "generic"};
    const auto back = parse_notice(format_notice(original));
    REQUIRE(back);
    CHECK(back->from == original.from);
    CHECK(back->to == original.to);
    CHECK(back->reason == original.reason);
}

TEST_CASE("parse: content that is not a [MODEL_FALLBACK] notice gives nothing") {
    CHECK_FALSE(parse_notice("from=a to=b"));
    CHECK_FALSE(parse_notice("[WORKFLOW_FAILED] to=x"));
    CHECK_FALSE(parse_notice(" [MODEL_FALLBACK] to=x"));
}

TEST_CASE("parse: English bodies of the older format parse to no values") {
    const auto n = parse_notice("[MODEL_FALLBACK] gpt-4 failed \xE2\x80\x94 retrying with moonshotai/kimi-k2.5.");
    REQUIRE(n);
    CHECK(!n->from);
    CHECK(!n->to);
    CHECK(!n->reason);
    CHECK(parse_notice("[MODEL_FALLBACK]"));
}

TEST_CASE("parse: tokens are split on runs of W") {
    const auto n = parse_notice("[MODEL_FALLBACK]\tfrom=a\n\nto=b \t reason=generic\xE3\x80\x80\n");
    REQUIRE(n);
    CHECK(n->from == "a");
    CHECK(n->to == "b");
    CHECK(n->reason == "generic");
}

TEST_CASE("parse: tokens without = or starting with = are skipped; later = stay in the value") {
    const auto n = parse_notice("[MODEL_FALLBACK] =x from to=a=b%3Dc");
    REQUIRE(n);
    CHECK(!n->from);
    CHECK(n->to == "a=b=c");
}

TEST_CASE("parse: a later token overwrites an earlier one and an empty value is kept") {
    const auto n = parse_notice("[MODEL_FALLBACK] =x from= to=y to=z");
    REQUIRE(n);
    CHECK(n->from == "");
    CHECK(n->to == "z");
}

TEST_CASE("parse: a value that does not percent-decode is kept as it was; + stays +") {
    const auto n = parse_notice("[MODEL_FALLBACK] from=%E0%A4%A to=a+b reason=100%");
    REQUIRE(n);
    CHECK(n->from == "%E0%A4%A");
    CHECK(n->to == "a+b");
    CHECK(n->reason == "100%");
}

TEST_CASE("parse: only from, to and reason are kept, case-sensitively") {
    const auto n = parse_notice("[MODEL_FALLBACK] reason=rate_limited foo=bar TO=x From=y");
    REQUIRE(n);
    CHECK(n->reason == "rate_limited");
    CHECK(!n->to);
    CHECK(!n->from);
}

// ---- 11.4 display ----------------------------------------------------------------------------

TEST_CASE("label: absent, empty or exactly default has no label") {
    CHECK(!friendly_label(std::nullopt));
    CHECK(!friendly_label(""));
    CHECK(!friendly_label("default"));
    CHECK(friendly_label("Default") == "Default");
}

TEST_CASE("label: drop up to the first colon, then keep what follows the last slash") {
    CHECK(friendly_label("openrouter:anthropic/claude-opus-4.8") == "claude-opus-4.8");
    CHECK(friendly_label("openrouter:default") == "default");
    CHECK(friendly_label("a:b:c/d") == "d");
    CHECK(friendly_label("x:y") == "y");
    CHECK(friendly_label("gpt-5") == "gpt-5");
}

TEST_CASE("label: a label that comes out empty counts as no label") {
    CHECK(!friendly_label("vendor/"));
    CHECK(!friendly_label("openrouter:"));
    CHECK(!friendly_label(":"));
}

TEST_CASE("notice text: friendly labels in modelFallbackNotice") {
    CHECK(notice_text("gpt-5", "anthropic/claude", Locale::en) == "gpt-5 was unavailable \xE2\x80\x94 switched to claude.");
    CHECK(notice_text("gpt-5", "anthropic/claude", Locale::de) == "gpt-5 war nicht verf\xC3\xBCgbar \xE2\x80\x93 zu claude gewechselt.");
    CHECK(notice_text("gpt-5", "anthropic/claude", Locale::fr) == "gpt-5 \xC3\xA9tait indisponible \xE2\x80\x94 passage \xC3\xA0 claude.");
}

TEST_CASE("notice text: no label gives the previous model for from and the default model for to") {
    CHECK(notice_text(std::nullopt, "default", Locale::en) ==
          "the previous model was unavailable \xE2\x80\x94 switched to the default model.");
    CHECK(notice_text("vendor/", "openrouter:", Locale::en) ==
          "the previous model was unavailable \xE2\x80\x94 switched to the default model.");
    CHECK(notice_text("", "x/y", Locale::de) == "das vorherige Modell war nicht verf\xC3\xBCgbar \xE2\x80\x93 zu y gewechselt.");
    CHECK(notice_text("openrouter:anthropic/claude-opus-4.8", "default", Locale::fr) ==
          "claude-opus-4.8 \xC3\xA9tait indisponible \xE2\x80\x94 passage \xC3\xA0 le mod\xC3\xA8le par d\xC3\xA9" "faut.");
}

TEST_CASE("notice text: labels are inserted once, never rescanned") {
    CHECK(notice_text("{to}", "x", Locale::en) == "{to} was unavailable \xE2\x80\x94 switched to x.");
}

TEST_CASE("display text: the body verbatim when neither from nor to is non-empty") {
    CHECK(notice_display_text("[MODEL_FALLBACK] gpt-4 failed \xE2\x80\x94 retrying.", Locale::en) ==
          "gpt-4 failed \xE2\x80\x94 retrying.");
    CHECK(notice_display_text("[MODEL_FALLBACK]  from= to= reason=generic", Locale::en) == "from= to= reason=generic");
    CHECK(notice_display_text("[MODEL_FALLBACK] ", Locale::en) == "");
}

TEST_CASE("display text: otherwise the localized notice; nothing for other content") {
    CHECK(notice_display_text("[MODEL_FALLBACK] to=moonshotai%2Fkimi-k2.5", Locale::en) ==
          "the previous model was unavailable \xE2\x80\x94 switched to kimi-k2.5.");
    CHECK(!notice_display_text("[WORKFLOW_FAILED] to=x", Locale::en));
    CHECK(!notice_display_text("hello", Locale::en));
}

// ---- 11.5 auto-switch ------------------------------------------------------------------------

TEST_CASE("auto-switch: switches to the notice's target once an assistant message succeeded") {
    const std::vector<ChatMessage> list = {msg("u1", "user", "hi"),
                                           notice("n1", "[MODEL_FALLBACK] from=gpt-5 to=anthropic%2Fclaude reason=rate_limited"),
                                           answer("a1")};
    const AutoSwitchDecision d = auto_switch(list, false, std::nullopt, {});
    CHECK(d.switch_to == "anthropic/claude");
    CHECK(d.processed == std::vector<std::string>{"n1"});
}

TEST_CASE("auto-switch: nothing while loading or for an empty list") {
    const std::vector<ChatMessage> list = {notice("n1", "[MODEL_FALLBACK] to=b"), answer("a1")};
    const AutoSwitchDecision d = auto_switch(list, true, std::nullopt, {"x"});
    CHECK(!d.switch_to);
    CHECK(d.processed == std::vector<std::string>{"x"});
    CHECK(auto_switch({}, false, std::nullopt, {}).processed.empty());
}

TEST_CASE("auto-switch: nothing without a notice or for an already consumed one") {
    CHECK(!auto_switch({msg("u1", "user", "hi"), answer("a1")}, false, std::nullopt, {}).switch_to);
    const std::vector<ChatMessage> list = {notice("n1", "[MODEL_FALLBACK] to=b"), answer("a1")};
    const AutoSwitchDecision d = auto_switch(list, false, std::nullopt, {"n1"});
    CHECK(!d.switch_to);
    CHECK(d.processed == std::vector<std::string>{"n1"});
}

TEST_CASE("auto-switch: only system messages carry notices") {
    const std::vector<ChatMessage> list = {msg("x1", "assistant", "[MODEL_FALLBACK] to=evil"), answer("a1"),
                                           msg("u1", "user", "[MODEL_FALLBACK] to=evil"), answer("a2")};
    const AutoSwitchDecision d = auto_switch(list, false, std::nullopt, {});
    CHECK(!d.switch_to);
    CHECK(d.processed.empty());
}

TEST_CASE("auto-switch: a later assistant message must have succeeded, else the notice waits") {
    for (const char* status : {"failed", "pending", "streaming", "error", ""}) {
        const std::vector<ChatMessage> list = {notice("n1", "[MODEL_FALLBACK] to=b"), answer("a1", status)};
        const AutoSwitchDecision d = auto_switch(list, false, std::nullopt, {});
        CHECK(!d.switch_to);
        CHECK(d.processed.empty());
    }
    const std::vector<ChatMessage> before = {answer("a0"), notice("n1", "[MODEL_FALLBACK] to=b"), msg("u1", "user", "hi")};
    CHECK(auto_switch(before, false, std::nullopt, {}).processed.empty());
    const std::vector<ChatMessage> later = {notice("n1", "[MODEL_FALLBACK] to=b"), answer("a1", "failed"), answer("a2", std::nullopt)};
    CHECK(auto_switch(later, false, std::nullopt, {}).switch_to == "b");
}

TEST_CASE("auto-switch: the notice is consumed without a switch when to is absent, empty or default") {
    for (const char* content : {"[MODEL_FALLBACK] from=x to=default reason=credit_exhausted", "[MODEL_FALLBACK] to=",
                                "[MODEL_FALLBACK] gpt-4 failed \xE2\x80\x94 retrying with moonshotai/kimi-k2.5."}) {
        const AutoSwitchDecision d = auto_switch({notice("n1", content), answer("a1")}, false, std::nullopt, {});
        CHECK(!d.switch_to);
        CHECK(d.processed == std::vector<std::string>{"n1"});
    }
}

TEST_CASE("auto-switch: no switch when the target already is the current override") {
    const AutoSwitchDecision d =
        auto_switch({notice("n1", "[MODEL_FALLBACK] to=anthropic%2Fclaude"), answer("a1")}, false, "anthropic/claude", {});
    CHECK(!d.switch_to);
    CHECK(d.processed == std::vector<std::string>{"n1"});
}

TEST_CASE("auto-switch: the target is taken verbatim, qualifier, slashes and dots included") {
    const AutoSwitchDecision d = auto_switch(
        {notice("n1", "[MODEL_FALLBACK] to=openrouter%3Aanthropic%2Fclaude-opus-4.8"), answer("a1")}, false, "gpt-5", {});
    CHECK(d.switch_to == "openrouter:anthropic/claude-opus-4.8");
}

TEST_CASE("auto-switch: only the last notice is examined") {
    const std::vector<ChatMessage> waiting = {notice("n1", "[MODEL_FALLBACK] to=first"), answer("a1"),
                                              notice("n2", "[MODEL_FALLBACK] to=second")};
    const AutoSwitchDecision d = auto_switch(waiting, false, std::nullopt, {});
    CHECK(!d.switch_to);
    CHECK(d.processed.empty());
    std::vector<ChatMessage> answered = waiting;
    answered.push_back(answer("a2"));
    const AutoSwitchDecision e = auto_switch(answered, false, std::nullopt, {"n1"});
    CHECK(e.switch_to == "second");
    CHECK(e.processed == std::vector<std::string>{"n1", "n2"});
}

TEST_CASE("auto-switch: re-deciding on an equal list changes nothing") {
    const std::vector<ChatMessage> list = {notice("n1", "[MODEL_FALLBACK] to=b"), answer("a1")};
    const AutoSwitchDecision first = auto_switch(list, false, std::nullopt, {});
    REQUIRE(first.switch_to == "b");
    const AutoSwitchDecision again = auto_switch(list, false, first.switch_to, first.processed);
    CHECK(!again.switch_to);
    CHECK(again.processed == first.processed);
}

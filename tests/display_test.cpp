#include "reroute/display.hpp"

#include <doctest/doctest.h>

#include <string>

#include "reroute/envelope.hpp"

using reroute::base_key;
using reroute::clean_raw_message;
using reroute::content_sentence;
using reroute::ErrorCode;
using reroute::hint;
using reroute::Locale;
using reroute::named_key;
using reroute::rest_projection;
using reroute::sanitize;
using reroute::SanitizedError;

namespace {

std::string envelope(std::optional<std::string> code, std::optional<std::string> provider,
                     std::optional<std::string> model, std::optional<double> tried, std::optional<std::string> raw) {
    reroute::EnvelopeFields f;
    f.code = std::move(code);
    f.provider = std::move(provider);
    f.model = std::move(model);
    f.tried = tried;
    f.raw = std::move(raw);
    return reroute::encode_envelope(f);
}

bool kept(std::string_view raw) { return clean_raw_message(raw).has_value(); }

constexpr ErrorCode kAllCodes[] = {
    ErrorCode::missing_api_key, ErrorCode::credit_exhausted,    ErrorCode::auth_error,
    ErrorCode::model_not_found, ErrorCode::unsupported_parameter, ErrorCode::output_cap_too_high,
    ErrorCode::token_limit,     ErrorCode::rate_limited,        ErrorCode::content_filter,
    ErrorCode::context_length,  ErrorCode::tool_failure,        ErrorCode::provider_unreachable,
    ErrorCode::provider_error,  ErrorCode::generic,             ErrorCode::model_not_entitled,
};

}  // namespace

// ---- 7.4 keys --------------------------------------------------------------------------------

TEST_CASE("every code has a base key starting with error, in the catalogue of every locale") {
    for (const ErrorCode code : kAllCodes) {
        CHECK(base_key(code).substr(0, 5) == "error");
        for (const Locale locale : {Locale::en, Locale::de, Locale::fr}) {
            CHECK(reroute::message(locale, base_key(code)).has_value());
            if (named_key(code)) CHECK(reroute::message(locale, *named_key(code)).has_value());
        }
    }
    CHECK(base_key(ErrorCode::generic) == "errorGeneratingDescription");
    CHECK(base_key(ErrorCode::missing_api_key) == "errorHintMissingApiKey");
    CHECK(base_key(ErrorCode::model_not_entitled) == "errorHintModelNotEntitled");
}

TEST_CASE("exactly six codes have a named key") {
    int named = 0;
    for (const ErrorCode code : kAllCodes)
        if (const auto key = named_key(code)) {
            ++named;
            CHECK(*key == std::string(base_key(code)) + "Named");
        }
    CHECK(named == 6);
    CHECK(named_key(ErrorCode::credit_exhausted) == "errorHintCreditExhaustedNamed");
    CHECK(named_key(ErrorCode::provider_unreachable) == "errorHintProviderUnreachableNamed");
    CHECK_FALSE(named_key(ErrorCode::generic));
    CHECK_FALSE(named_key(ErrorCode::content_filter));
}

// ---- 7.1 which code -------------------------------------------------------------------------

TEST_CASE("sanitize: the envelope's code is authoritative over the raw text") {
    const SanitizedError s = sanitize(envelope("credit_exhausted", std::nullopt, std::nullopt, std::nullopt, "HTTP 500 from upstream"));
    CHECK(s.code == ErrorCode::credit_exhausted);
    CHECK(s.i18n_key == "errorHintCreditExhausted");
    CHECK(s.raw_message == "HTTP 500 from upstream");
}

TEST_CASE("sanitize: without an envelope code the raw text is classified") {
    CHECK(sanitize("Error 402: payment required").code == ErrorCode::credit_exhausted);
    CHECK(sanitize(envelope(std::nullopt, "OpenAI", std::nullopt, std::nullopt, "Rate limit exceeded")).code ==
          ErrorCode::rate_limited);
    CHECK(sanitize(envelope("bogus", std::nullopt, std::nullopt, std::nullopt, "Rate limit exceeded")).code ==
          ErrorCode::rate_limited);
}

TEST_CASE("sanitize: no code and no raw text is generic") {
    CHECK(sanitize("").code == ErrorCode::generic);
    const SanitizedError s = sanitize(envelope(std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt));
    CHECK(s.code == ErrorCode::generic);
    CHECK(s.i18n_key == "errorGeneratingDescription");
    CHECK(!s.raw_message);
    CHECK(!s.params);
    CHECK(!s.tried_count);
}

// ---- 7.2 the adapter ------------------------------------------------------------------------

TEST_CASE("sanitize: the named key and params when the code has one and a provider is known") {
    const SanitizedError s = sanitize(envelope("model_not_found", "OpenRouter", "anthropic/claude-opus-4.8", std::nullopt, "x"));
    CHECK(s.i18n_key == "errorHintModelNotFoundNamed");
    REQUIRE(s.params);
    CHECK(s.params->provider == "OpenRouter");
    CHECK(s.params->model == "anthropic/claude-opus-4.8");
}

TEST_CASE("sanitize: a model alone also picks the named key (baseline quirk)") {
    const SanitizedError s = sanitize(envelope("rate_limited", std::nullopt, "gpt-4o", std::nullopt, "slow down"));
    CHECK(s.i18n_key == "errorHintRateLimitedNamed");
    REQUIRE(s.params);
    CHECK(!s.params->provider);
    CHECK(s.params->model == "gpt-4o");
}

TEST_CASE("sanitize: codes without a named key keep the base key and give no params") {
    const SanitizedError s = sanitize(envelope("content_filter", "OpenAI", "gpt-4o", std::nullopt, "flagged"));
    CHECK(s.i18n_key == "errorHintContentFilter");
    CHECK(!s.params);
}

TEST_CASE("sanitize: empty provider and model in the header count as absent") {
    const SanitizedError s = sanitize(envelope("auth_error", "", "", std::nullopt, "x"));
    CHECK(s.i18n_key == "errorHintAuthError");
    CHECK(!s.params);
}

TEST_CASE("sanitize: triedCount only when greater than 1") {
    CHECK(sanitize(envelope("provider_error", std::nullopt, std::nullopt, 3, "upstream 503")).tried_count == 3);
    CHECK(sanitize(envelope("provider_error", std::nullopt, std::nullopt, 1.5, "x")).tried_count == 1.5);
    CHECK(!sanitize(envelope("provider_error", std::nullopt, std::nullopt, 1, "upstream 503")).tried_count);
    CHECK(!sanitize(envelope("provider_error", std::nullopt, std::nullopt, 0, "x")).tried_count);
}

TEST_CASE("sanitize: a malformed envelope is classified from its whole text but never shown") {
    const SanitizedError s = sanitize("TALE_ERR1 %ZZ\nraw");
    CHECK(s.code == ErrorCode::generic);
    CHECK(!s.raw_message);
}

TEST_CASE("sanitize: secrets in the shown raw message are redacted") {
    const SanitizedError s = sanitize("Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwxyz123456");
    REQUIRE(s.raw_message);
    CHECK(s.raw_message->find("abcdefghijklmnop") == std::string::npos);
}

// ---- 7.3 cleaning the raw text --------------------------------------------------------------

TEST_CASE("clean: absent or empty raw text gives nothing") {
    CHECK(!clean_raw_message(""));
    CHECK(!sanitize("\nsecond line only").raw_message);
}

TEST_CASE("clean: only the text before the first LF is used; a CR is not a separator") {
    CHECK(clean_raw_message("Failed after 3 attempts\n    at process (/app/node_modules/ai/x.ts:7:1)") ==
          "Failed after 3 attempts");
    CHECK(clean_raw_message("one\rtwo\nthree") == "one\rtwo");
}

TEST_CASE("clean: a leading Uncaught needs whitespace after it and is removed once") {
    CHECK(clean_raw_message("Uncaught Error: This request requires more credits.") == "This request requires more credits.");
    CHECK(clean_raw_message("  UNCAUGHT\t\xC2\xA0" "boom") == "boom");
    CHECK(clean_raw_message("UncaughtError: boom") == "UncaughtError: boom");
    CHECK(clean_raw_message("Uncaught Uncaught boom") == "Uncaught boom");
    CHECK(clean_raw_message("Uncaught ") == std::nullopt);
}

TEST_CASE("clean: a leading Error: is removed once, any case, with the whitespace around it") {
    CHECK(clean_raw_message("Error: boom") == "boom");
    CHECK(clean_raw_message("error:boom") == "boom");
    CHECK(clean_raw_message(" ERROR:   boom") == "boom");
    CHECK(clean_raw_message("Error: Error: twice") == "Error: twice");
    CHECK(clean_raw_message("Error : x") == "Error : x");
    CHECK(clean_raw_message("Error: ") == std::nullopt);
}

TEST_CASE("clean: the result is trimmed of W") {
    CHECK(clean_raw_message("\xE3\x80\x80 boom \xEF\xBB\xBF\t") == "boom");
    CHECK(clean_raw_message("\xE2\x80\x8B" "boom") == "\xE2\x80\x8B" "boom");  // U+200B is not W
    CHECK(clean_raw_message(" \t ") == std::nullopt);
}

TEST_CASE("clean: at most 300 UTF-16 units") {
    CHECK(kept(std::string(300, 'x')));
    CHECK(!kept(std::string(301, 'x')));
    std::string emoji;
    for (int i = 0; i < 150; ++i) emoji += "\xF0\x9F\x9A\x80";  // two units each
    CHECK(kept(emoji));
    CHECK(!kept(emoji + "x"));
    std::string accents;
    for (int i = 0; i < 300; ++i) accents += "\xC3\xA9";  // one unit, two bytes each
    CHECK(kept(accents));
}

TEST_CASE("clean: the word at followed by one W unit drops the message") {
    CHECK(!kept("Request rejected at gateway"));
    CHECK(!kept("at Object.<anonymous>"));
    CHECK(!kept("failed (at\xC2\xA0x)"));
    CHECK(!kept("\xC3\xA9" "at x"));  // a non-ASCII unit before "at" is a non-word character
    CHECK(kept("that is fine"));
    CHECK(kept("Cat food"));
    CHECK(kept("At noon"));
    CHECK(kept("look at"));   // nothing after "at"
    CHECK(kept("_at x"));     // "_" is a word character
    CHECK(kept("attention"));
}

TEST_CASE("clean: node_modules drops the message") {
    CHECK(!kept("see node_modules for details"));
}

TEST_CASE("clean: a source file location drops the message") {
    for (const char* s : {"failed in handler.mjs:42", "x.js:1", "x.tsx:40", "x.cts:9", "x.jsx:0", "x.ts:7"}) CHECK(!kept(s));
    for (const char* s : {"x.JS:1", "x.js: 1", "x.js:", "x.css:1", "x.cjx:1", "x.json:1", "x.mts"}) CHECK(kept(s));
}

TEST_CASE("clean: an http or https URL drops the message, case-sensitively") {
    CHECK(!kept("Add credits at https://openrouter.ai/credits"));
    CHECK(!kept("see https://x"));
    CHECK(!kept("see http://x"));
    CHECK(kept("see HTTPS://x"));
}

TEST_CASE("clean: a slash starting a token and followed by a non-W unit drops the message") {
    CHECK(!kept("Cannot open /etc/secrets"));
    CHECK(!kept("/path"));
    CHECK(!kept("x\xC2\xA0/y"));
    CHECK(!kept("x //"));
    CHECK(kept("a/b and c/d"));
    CHECK(kept("either / or"));
    CHECK(kept("ends with /"));
}

TEST_CASE("clean: the text TALE_ERR1 drops the message") {
    CHECK(!kept("TALE_ERR1 not json"));
    CHECK(!kept("see TALE_ERR1"));
}

TEST_CASE("clean: arbitrary bytes never crash and the result is never empty") {
    const std::string pieces[] = {"at", " ", "\xC2\xA0", "/", ".js:", "1", "Error:", "Uncaught", "\xFF", "\xE2\x80",
                                  "\n", "\r", "x", "node_modules", "TALE_ERR1"};
    unsigned seed = 1;
    for (int round = 0; round < 20000; ++round) {
        std::string s;
        for (int i = 0; i < 8; ++i) {
            seed = seed * 1103515245u + 12345u;
            s += pieces[(seed >> 16) % std::size(pieces)];
        }
        if (const auto cleaned = clean_raw_message(s)) CHECK(!cleaned->empty());
    }
}

// ---- 7.5 hint --------------------------------------------------------------------------------

TEST_CASE("hint: the named message with the provider filled in") {
    const auto h = hint(ErrorCode::credit_exhausted, "OpenRouter", "anthropic/claude-opus-4.8", Locale::en);
    CHECK(h.key == "errorHintCreditExhaustedNamed");
    CHECK(h.text == "OpenRouter is out of credits. Contact your administrator to add credits or switch providers.");
    CHECK(hint(ErrorCode::model_not_entitled, "Z.ai", std::nullopt, Locale::fr).text ==
          "Le forfait chez Z.ai n'inclut pas ce mod\xC3\xA8le. Choisis un autre mod\xC3\xA8le ou demande \xC3\xA0 ton "
          "administrateur d'\xC3\xA9tendre le forfait.");
}

TEST_CASE("hint: without a non-empty provider the base message, even when a model is known") {
    const auto h = hint(ErrorCode::credit_exhausted, std::nullopt, "gpt-4o", Locale::en);
    CHECK(h.key == "errorHintCreditExhausted");
    CHECK(h.text == "The AI provider's credit limit was exceeded. Contact your administrator to add credits.");
    CHECK(hint(ErrorCode::rate_limited, "", std::nullopt, Locale::de).key == "errorHintRateLimited");
}

TEST_CASE("hint: codes without a named key ignore the provider") {
    const auto h = hint(ErrorCode::generic, "OpenAI", std::nullopt, Locale::fr);
    CHECK(h.key == "errorGeneratingDescription");
    CHECK(h.text == "Une erreur est survenue lors de la g\xC3\xA9n\xC3\xA9ration de la r\xC3\xA9ponse. Merci de r\xC3\xA9"
                    "essayer.");
}

TEST_CASE("hint: a provider name that looks like a placeholder or a replacement pattern is shown as it is") {
    CHECK(hint(ErrorCode::auth_error, "{provider}", std::nullopt, Locale::en).text ==
          "The API key for {provider} is invalid or expired. Contact your administrator to update it.");
    CHECK(hint(ErrorCode::rate_limited, "$&", std::nullopt, Locale::en).text ==
          "Rate limit reached on $&. Please wait a moment and try again.");
}

TEST_CASE("hint: every code renders in every locale without an unfilled placeholder") {
    for (const ErrorCode code : kAllCodes)
        for (const Locale locale : {Locale::en, Locale::de, Locale::fr}) {
            CHECK(hint(code, std::nullopt, "m", locale).text.find('{') == std::string::npos);
            CHECK(hint(code, "P", "m", locale).text.find('{') == std::string::npos);
        }
}

// ---- 10 REST projection ----------------------------------------------------------------------

TEST_CASE("rest projection: an envelope gives its raw text and its code") {
    const auto r = rest_projection(envelope("model_not_found", std::nullopt, "acme/nope", std::nullopt, "No model here."));
    CHECK(r.error == "No model here.");
    CHECK(r.error_code == ErrorCode::model_not_found);
}

TEST_CASE("rest projection: no raw text gives the fixed text") {
    const auto r = rest_projection("TALE_ERR1 %7B%22code%22%3A%22generic%22%7D\n");
    CHECK(r.error == "The turn failed.");
    CHECK(r.error_code == ErrorCode::generic);
    CHECK(rest_projection("").error == "The turn failed.");
    CHECK(!rest_projection("").error_code);
}

TEST_CASE("rest projection: an unknown code gives no errorCode") {
    const auto r = rest_projection("TALE_ERR1 %7B%22code%22%3A%22bogus%22%7D\nsomething broke");
    CHECK(r.error == "something broke");
    CHECK(!r.error_code);
}

TEST_CASE("rest projection: a legacy value is not classified") {
    const auto r = rest_projection("Rate limit exceeded");
    CHECK(r.error == "Rate limit exceeded");
    CHECK(!r.error_code);
}

TEST_CASE("rest projection: a malformed envelope shows its whole text") {
    CHECK(rest_projection("TALE_ERR1 not json\nraw").error == "TALE_ERR1 not json\nraw");
}

// ---- 9 content sentence ----------------------------------------------------------------------

TEST_CASE("content sentence: fixed sentences") {
    CHECK(content_sentence(ErrorCode::missing_api_key, "p", "m") ==
          "No AI provider API key is configured. Add one in Settings \xE2\x86\x92 AI providers.");
    CHECK(content_sentence(ErrorCode::unsupported_parameter, std::nullopt, std::nullopt) ==
          "The model rejected a request parameter \xE2\x80\x94 likely a provider or model configuration mismatch.");
    CHECK(content_sentence(ErrorCode::output_cap_too_high, "p", std::nullopt) ==
          "The model\xE2\x80\x99s configured max output tokens exceeds what it supports. Ask an administrator to lower it.");
    CHECK(content_sentence(ErrorCode::token_limit, std::nullopt, std::nullopt) ==
          "The model\xE2\x80\x99s output token limit was exceeded. Try a shorter request.");
    CHECK(content_sentence(ErrorCode::content_filter, std::nullopt, std::nullopt) ==
          "The request was blocked by a content filter. Try rephrasing your message.");
    CHECK(content_sentence(ErrorCode::context_length, std::nullopt, std::nullopt) ==
          "The conversation is too long for the model\xE2\x80\x99s context window. Start a new chat.");
    CHECK(content_sentence(ErrorCode::tool_failure, std::nullopt, std::nullopt) ==
          "The agent hit an error while accessing data. Try rephrasing your request.");
    CHECK(content_sentence(ErrorCode::generic, "p", "m") ==
          "An unexpected error occurred. Try again or switch to a different model.");
}

TEST_CASE("content sentence: with and without the provider") {
    CHECK(content_sentence(ErrorCode::credit_exhausted, "OpenRouter", std::nullopt) ==
          "OpenRouter is out of credits. Ask an administrator to add credits or switch providers.");
    CHECK(content_sentence(ErrorCode::credit_exhausted, std::nullopt, "m") ==
          "The AI provider is out of credits. Ask an administrator to add credits or switch providers.");
    CHECK(content_sentence(ErrorCode::auth_error, "OpenAI", std::nullopt) ==
          "The API key for OpenAI is invalid or expired. Ask an administrator to update it.");
    CHECK(content_sentence(ErrorCode::auth_error, std::nullopt, std::nullopt) ==
          "The API key for the AI provider is invalid or expired. Ask an administrator to update it.");
    CHECK(content_sentence(ErrorCode::rate_limited, "Groq", std::nullopt) ==
          "Rate limit reached on Groq. Please wait a moment and try again.");
    CHECK(content_sentence(ErrorCode::rate_limited, std::nullopt, std::nullopt) ==
          "Rate limit reached. Please wait a moment and try again.");
    CHECK(content_sentence(ErrorCode::provider_unreachable, "local", std::nullopt) ==
          "Could not reach local. It may be down or misconfigured.");
    CHECK(content_sentence(ErrorCode::provider_unreachable, std::nullopt, std::nullopt) ==
          "Could not reach the AI provider. It may be down or misconfigured.");
    CHECK(content_sentence(ErrorCode::provider_error, "OpenAI", std::nullopt) ==
          "OpenAI is temporarily experiencing issues. Please try again shortly.");
    CHECK(content_sentence(ErrorCode::provider_error, std::nullopt, std::nullopt) ==
          "The AI provider is temporarily experiencing issues. Please try again shortly.");
}

TEST_CASE("content sentence: model_not_found and model_not_entitled name the model only with a provider") {
    CHECK(content_sentence(ErrorCode::model_not_found, "OpenRouter", std::nullopt) ==
          "The model was not found on OpenRouter. It may have been renamed or removed.");
    CHECK(content_sentence(ErrorCode::model_not_found, "OpenRouter", "acme/nope") ==
          "The model \"acme/nope\" was not found on OpenRouter. It may have been renamed or removed.");
    CHECK(content_sentence(ErrorCode::model_not_found, std::nullopt, "acme/nope") ==
          "The model was not found on the provider. It may have been renamed or removed.");
    CHECK(content_sentence(ErrorCode::model_not_entitled, "zai", std::nullopt) ==
          "The plan on zai does not include this model. Pick another model or ask an administrator to upgrade the plan.");
    CHECK(content_sentence(ErrorCode::model_not_entitled, "zai", "glm-5v-turbo") ==
          "The plan on zai does not include the model \"glm-5v-turbo\". Pick another model or ask an administrator to "
          "upgrade the plan.");
    CHECK(content_sentence(ErrorCode::model_not_entitled, std::nullopt, "glm-5v-turbo") ==
          "The plan on the AI provider does not include this model. Pick another model or ask an administrator to "
          "upgrade the plan.");
}

TEST_CASE("content sentence: empty names count as absent") {
    CHECK(content_sentence(ErrorCode::credit_exhausted, "", std::nullopt) ==
          content_sentence(ErrorCode::credit_exhausted, std::nullopt, std::nullopt));
    CHECK(content_sentence(ErrorCode::model_not_found, "p", "") ==
          "The model was not found on p. It may have been renamed or removed.");
}

TEST_CASE("the failure card opens the technical details only for generic") {
    const auto generic = reroute::failure_card("Something odd happened", reroute::Locale::en);
    CHECK(generic.code == reroute::ErrorCode::generic);
    CHECK(generic.details_open);
    CHECK(generic.raw_message == std::optional<std::string>("Something odd happened"));
    const auto limited = reroute::failure_card("Rate limit exceeded", reroute::Locale::en);
    CHECK_FALSE(limited.details_open);
}

TEST_CASE("the failure card offers the fix for the code") {
    using reroute::CardAction;
    const auto action = [](const char* stored) { return reroute::failure_card(stored, reroute::Locale::en).action; };
    CHECK(action("TALE_ERR1 %7B%22code%22%3A%22missing_api_key%22%7D\n") == CardAction::open_provider_settings);
    CHECK(action("TALE_ERR1 %7B%22code%22%3A%22context_length%22%7D\n") == CardAction::new_chat);
    CHECK(action("TALE_ERR1 %7B%22code%22%3A%22content_filter%22%7D\n") == CardAction::none);
    CHECK(action("TALE_ERR1 %7B%22code%22%3A%22tool_failure%22%7D\n") == CardAction::none);
    CHECK(action("TALE_ERR1 %7B%22code%22%3A%22credit_exhausted%22%7D\n") == CardAction::switch_model);
    CHECK(reroute::to_string(CardAction::open_provider_settings) == "open_provider_settings");
}

TEST_CASE("the failure card carries the named hint, the tried count and the retry hint") {
    const auto card = reroute::failure_card(
        "TALE_ERR1 %7B%22code%22%3A%22rate_limited%22%2C%22provider%22%3A%22OpenRouter%22%2C%22tried%22%3A3%2C%22retryAfterMs%22%3A2000%7D\nslow down",
        reroute::Locale::de);
    CHECK(card.hint.key == "errorHintRateLimitedNamed");
    CHECK(card.hint.text == "Ratenlimit bei OpenRouter erreicht. Bitte warte einen Moment und versuche es erneut.");
    CHECK(card.tried_count == 3.0);
    CHECK(card.retry_after_ms == 2000.0);
    CHECK(card.raw_message == std::optional<std::string>("slow down"));
}

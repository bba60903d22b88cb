#include "reroute/classify.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reroute/detail/matcher.hpp"
#include "support/error_object.hpp"

using reroute::classify;
using reroute::classify_message;
using reroute::ErrorValue;

using reroute::testing::Obj;

namespace {

std::string code_of(const ErrorValue& e) { return std::string(reroute::to_string(classify(e))); }
std::string code_of(const Obj& o) { return code_of(o.v); }
// A plain string error; both entry points must agree.
std::string code_of(std::string_view text) {
    const std::string a(reroute::to_string(classify_message(text)));
    const std::string b = code_of(ErrorValue::from_text(std::string(text)));
    CHECK(a == b);
    return a;
}
std::string msg(std::string m) { return code_of(Obj().message(std::move(m))); }

}  // namespace

// ---- Section 3: facts -------------------------------------------------------------------------

TEST_CASE("values that are neither strings nor objects are generic") {
    CHECK(code_of(ErrorValue{}) == "generic");
    ErrorValue other;
    other.kind = ErrorValue::Kind::other;
    CHECK(code_of(other) == "generic");
    CHECK(code_of(Obj()) == "generic");
}

TEST_CASE("status reads status, else statusCode") {
    CHECK(code_of(Obj().status_code(402)) == "credit_exhausted");
    CHECK(code_of(Obj().status(200).status_code(402)) == "generic");  // status present: statusCode unread
    CHECK(code_of(Obj().status(402).status_code(200)) == "credit_exhausted");
}

TEST_CASE("negative, non-integer and non-finite statuses compare as numbers") {
    CHECK(code_of(Obj().status(-402)) == "generic");
    CHECK(code_of(Obj().status(402.5)) == "generic");
    CHECK(code_of(Obj().status(500.5)) == "provider_error");
    CHECK(code_of(Obj().status(std::numeric_limits<double>::infinity())) == "provider_error");
    CHECK(code_of(Obj().status(-std::numeric_limits<double>::infinity())) == "generic");
    CHECK(code_of(Obj().status(std::nan(""))) == "generic");
}

TEST_CASE("data.message is M even when empty") {
    CHECK(code_of(Obj().message("fetch failed").data_message("")) == "generic");
    CHECK(code_of(Obj().message("fetch failed").data_message("rate limit")) == "rate_limited");
    CHECK(code_of(Obj().message("fetch failed").data_code("X")) == "provider_unreachable");
}

TEST_CASE("K is code, else data.code, compared case-sensitively") {
    CHECK(code_of(Obj().data_code("ECONNREFUSED")) == "provider_unreachable");
    CHECK(code_of(Obj().code("SOMETHING").data_code("ECONNREFUSED")) == "generic");
    CHECK(code_of(Obj().code("econnrefused")) == "generic");
    CHECK(code_of(Obj().code("")) == "generic");
    // A numeric code is not K, so data.code is read.
    CHECK(code_of(Obj().code_number(7).data_code("ENOTFOUND")) == "provider_unreachable");
}

TEST_CASE("name is never read by the classifier") {
    CHECK(code_of(Obj().name("MissingApiKeyError")) == "generic");
    CHECK(code_of(Obj().name("NoProviderAvailableError").message("x")) == "generic");
}

// ---- 3.1 lowercasing and 4.1 notation ------------------------------------------------------

TEST_CASE("ASCII upper case matches like lower case") {
    CHECK(code_of("RATE LIMIT") == "rate_limited");
    CHECK(code_of("Invalid Model") == "model_not_found");
    CHECK(code_of(Obj().message("INTERNAL_ERROR")) == "provider_error");
}

TEST_CASE("Kelvin sign lowercases to k") {
    CHECK(code_of("Invalid API \xE2\x84\xAA"
                  "ey") == "auth_error");
    CHECK(code_of("\xE2\x84\xAA"
                  "ey expired? no: expired \xE2\x84\xAA"
                  "EY") == "auth_error");
    CHECK(code_of(Obj().message("TO\xE2\x84\xAA"
                                "EN LIMIT")) == "token_limit");
}

TEST_CASE("U+0130 widens the one-unit gap") {
    CHECK(code_of("rateIlimit") == "rate_limited");         // I -> i, one unit
    CHECK(code_of("rate\xC4\xB0limit") == "generic");      // U+0130 -> i U+0307, two units
    CHECK(code_of("rate\xC4\xB0") == "generic");
    // ... and can create an `i`: "ap" U+0130 "key" reads as "api" U+0307 "key".
    CHECK(code_of("ap\xC4\xB0key invalid") == "auth_error");
}

TEST_CASE("a … b never crosses a line terminator") {
    CHECK(code_of("credit limit") == "credit_exhausted");
    CHECK(code_of("credit\nlimit") == "generic");
    CHECK(code_of("credit\rlimit") == "generic");
    CHECK(code_of("credit\xE2\x80\xA8limit") == "generic");
    CHECK(code_of("credit\xE2\x80\xA9limit") == "generic");
    // U+0085 is not a line terminator.
    CHECK(code_of("credit\xC2\x85limit") == "credit_exhausted");
}

TEST_CASE("a … b pairs any occurrences on the same line, b at or after a's end") {
    CHECK(code_of("creditlimit") == "credit_exhausted");                       // b right at the end of a
    CHECK(code_of("limit credit") == "generic");                               // wrong order
    CHECK(code_of("credit\nno\nlimit then credit then limit") == "credit_exhausted");
    CHECK(code_of("limit\ncredit x\ny limit") == "generic");
    CHECK(code_of("the token\nlimit") == "generic");
    CHECK(code_of(std::string(5000, 'x') + " credit " + std::string(5000, '.') + " limit") == "credit_exhausted");
}

TEST_CASE("a·?b bridges at most one UTF-16 unit that is not a line terminator") {
    CHECK(code_of("ratelimit") == "rate_limited");
    CHECK(code_of("rate limit") == "rate_limited");
    CHECK(code_of("rate_limit") == "rate_limited");
    CHECK(code_of("rate-limit") == "rate_limited");
    CHECK(code_of("rate\xC3\xA9limit") == "rate_limited");       // é: one unit, two bytes
    CHECK(code_of("rate\xE2\x82\xAClimit") == "rate_limited");   // €: one unit, three bytes
    CHECK(code_of("rate  limit") == "generic");                  // two units
    CHECK(code_of("rate\xF0\x9F\x98\x80limit") == "generic");    // emoji: two units
    CHECK(code_of("rate\nlimit") == "generic");
    CHECK(code_of("rate\rlimit") == "generic");
    CHECK(code_of("rate\xE2\x80\xA8limit") == "generic");
    CHECK(code_of("ratellimit") == "rate_limited");              // the gap may look like b's start
    CHECK(code_of("rate") == "generic");
    CHECK(code_of("rate ") == "generic");
}

TEST_CASE("whole-token digits: 14025 is generic") {
    CHECK(code_of("Error code 14025 encountered") == "generic");
    CHECK(code_of("Error code 14013 encountered") == "generic");
    CHECK(code_of("Error code 14043 encountered") == "generic");
    CHECK(code_of("Error code 14291") == "generic");
    CHECK(code_of("Processed 15003 items") == "generic");
}

TEST_CASE("‹n› needs non-word units or the edges on both sides") {
    CHECK(code_of("HTTP/1.1 402") == "credit_exhausted");
    CHECK(code_of("(402)") == "credit_exhausted");
    CHECK(code_of("402") == "credit_exhausted");
    CHECK(code_of("\xC3\xA9"
                  "402\xC3\xA9") == "credit_exhausted");  // non-ASCII neighbours are non-word
    CHECK(code_of("4020") == "generic");
    CHECK(code_of("1402") == "generic");
    CHECK(code_of("error_402") == "generic");
    CHECK(code_of("402x") == "generic");
}

TEST_CASE("‹5dd›: 503 and 599 match; 5000, a503 and 5xx do not") {
    CHECK(code_of("503") == "provider_error");
    CHECK(code_of("got 599.") == "provider_error");
    CHECK(code_of("5000") == "generic");
    CHECK(code_of("a503") == "generic");
    CHECK(code_of("5xx") == "generic");
    CHECK(code_of("50") == "generic");
    CHECK(code_of("5") == "generic");
    CHECK(code_of("55 5 5550 503_") == "generic");
    CHECK(code_of("15003 then 502") == "provider_error");
}

TEST_CASE("a‹ needs the end or a non-word unit after a") {
    CHECK(code_of("reasoning is not supported for") == "unsupported_parameter");
    CHECK(code_of("x not supported for gpt") == "unsupported_parameter");
    CHECK(code_of("not supported format") == "generic");
    CHECK(code_of("not supported for_x") == "generic");
}

// ---- 4.2 rules, in order ---------------------------------------------------------------------

TEST_CASE("P1: CREDENTIAL_NONE_CONFIGURED and CREDENTIAL_ENV_UNSET are missing_api_key") {
    CHECK(code_of(Obj().data_code("CREDENTIAL_NONE_CONFIGURED").data_message("No default credential")) ==
          "missing_api_key");
    CHECK(code_of(Obj().code("CREDENTIAL_ENV_UNSET").status(401)) == "missing_api_key");
    CHECK(code_of(Obj().code("credential_env_unset")) == "generic");
}

TEST_CASE("P2: credential refusals are auth_error whatever the message") {
    for (const char* k : {"CREDENTIAL_DISABLED", "CREDENTIAL_KEY_ROTATED", "CHAT_CREDENTIAL_UNSUPPORTED"})
        CHECK(code_of(Obj().data_code(k).data_message("missingapikeyerror")) == "auth_error");
}

TEST_CASE("P3: CHAT_PROVIDER_UNAVAILABLE and CHAT_MODEL_UNKNOWN are model_not_found") {
    CHECK(code_of(Obj().data_code("CHAT_PROVIDER_UNAVAILABLE").status(402)) == "model_not_found");
    CHECK(code_of(Obj().code("CHAT_MODEL_UNKNOWN")) == "model_not_found");
}

TEST_CASE("rule 1: serialized provider-loading errors are missing_api_key") {
    CHECK(msg("Uncaught NoProviderAvailableError: no providers") == "missing_api_key");
    CHECK(msg("MissingApiKeyError: no key") == "missing_api_key");
    CHECK(code_of("No API key is configured for this organization yet.") == "missing_api_key");
    CHECK(code_of(Obj().status(402).message("Uncaught MissingApiKeyError: x")) == "missing_api_key");
}

TEST_CASE("a MissingApiKeyError created in process is generic") {
    CHECK(code_of(Obj().name("MissingApiKeyError").message("No API key configured for model \"m\" on provider \"p\".")) ==
          "generic");
}

TEST_CASE("rule E: provider code 1311 and 'not included in your plan' are model_not_entitled") {
    CHECK(msg("This model is not included in your plan.") == "model_not_entitled");
    CHECK(code_of(Obj().status(429).code("1311")) == "model_not_entitled");
    CHECK(code_of(Obj().status(429).data_code("1311")) == "model_not_entitled");
    CHECK(code_of(Obj().status(429).code_number(1311)) == "model_not_entitled");
    CHECK(code_of(Obj().status(429).error_code("1311")) == "model_not_entitled");
    CHECK(code_of(Obj().status(429).error_code_number(1311)) == "model_not_entitled");
    CHECK(code_of(Obj().status(402).code("1311")) == "model_not_entitled");  // E before 2
}

TEST_CASE("4.3: provider codes in the message's JSON text") {
    CHECK(code_of(Obj().status(429).message("answered 429: {\"error\":{\"code\":\"1311\"}}")) == "model_not_entitled");
    CHECK(code_of(Obj().message("{\"code\" : 1311}")) == "model_not_entitled");
    CHECK(code_of(Obj().message("{\"code\"\t:\n\"1113\",")) == "credit_exhausted");
    CHECK(code_of(Obj().message("{\"CODE\":1311")) == "model_not_entitled");  // M is lowercased
    CHECK(code_of(Obj().message("\"code\":1311")) == "model_not_entitled");   // digits at the end of M
    CHECK(code_of(Obj().message("{\"code\":\"13110\"}")) == "generic");
    CHECK(code_of(Obj().message("{\"code\":\"1311a\"}")) == "generic");
    CHECK(code_of(Obj().message("{\"code\":\"\"1311\"}")) == "generic");  // one optional quote only
    CHECK(code_of(Obj().message("{\"code\" x: 1311}")) == "generic");
    CHECK(code_of(Obj().message("{\"code\" \xC2\xA0: 1311}")) == "generic");  // NBSP is not JSON whitespace
    CHECK(code_of(Obj().message("code: 1311")) == "generic");
    CHECK(code_of(Obj().message("\"code\":")) == "generic");
    CHECK(code_of(Obj().message("\"code\"")) == "generic");
}

TEST_CASE("4.3: provider code forms that do not count") {
    CHECK(code_of(Obj().status(429).code("01311")) == "rate_limited");
    CHECK(code_of(Obj().status(429).code_number(1311.5)) == "rate_limited");
    CHECK(code_of(Obj().status(429).error_code("1311 ")) == "rate_limited");
    CHECK(code_of(Obj().status(429).code("1113x")) == "rate_limited");
}

TEST_CASE("a plain string still carries a provider code wrapped as JSON text") {
    CHECK(code_of("{\"code\":\"1311\"}") == "model_not_entitled");
    CHECK(code_of("answered 429: {\"error\":{\"code\":\"1113\"}}") == "credit_exhausted");
    CHECK(code_of("answered 429: {\"error\":{\"code\":\"13110\"}}") == "rate_limited");
}

TEST_CASE("rule 2: credit wording, status 402, code 1113 and ‹402› are credit_exhausted") {
    CHECK(code_of(Obj().status(402)) == "credit_exhausted");
    CHECK(code_of(Obj().status(429).code("1113")) == "credit_exhausted");
    CHECK(code_of(Obj().status(429).error_code_number(1113)) == "credit_exhausted");
    CHECK(code_of(Obj().status(429).message("429 Insufficient balance or no resource package.")) == "credit_exhausted");
    CHECK(msg("This request requires more credits") == "credit_exhausted");
    CHECK(msg("You can only afford 10 tokens") == "credit_exhausted");
    CHECK(msg("credit is insufficient") == "credit_exhausted");
    CHECK(msg("Insufficient credits") == "credit_exhausted");
    CHECK(msg("This account never purchased credits.") == "credit_exhausted");
    CHECK(msg("Provider credit limit reached") == "credit_exhausted");
    CHECK(msg("credits: reached") == "credit_exhausted");
    CHECK(msg("Error 402: payment required") == "credit_exhausted");
}

TEST_CASE("status 402 beats every message rule except P1-P3, 1 and E") {
    CHECK(code_of(Obj().status(402).message("Too many requests")) == "credit_exhausted");
    CHECK(code_of(Obj().status(402).message("invalid api key")) == "credit_exhausted");
    CHECK(code_of(Obj().status(402).message("context window exceeded")) == "credit_exhausted");
    CHECK(code_of(Obj().status(402).message("not included in your plan")) == "model_not_entitled");
}

TEST_CASE("rule 3: auth wording, statuses 401 and 403 and their tokens are auth_error") {
    CHECK(code_of(Obj().status(401)) == "auth_error");
    CHECK(code_of(Obj().status(403)) == "auth_error");
    CHECK(code_of("Error 401: unauthorized") == "auth_error");
    CHECK(code_of("HTTP 403") == "auth_error");
    CHECK(code_of("invalid api key") == "auth_error");
    CHECK(code_of("Your expired key cannot be used") == "auth_error");
    CHECK(code_of("API key is invalid") == "auth_error");
    CHECK(code_of("api_key invalid") == "auth_error");
    CHECK(code_of("apikey: invalid") == "auth_error");
    CHECK(code_of("api key\ninvalid") == "generic");
    CHECK(code_of("Unauthorized") == "auth_error");
    CHECK(code_of("Forbidden") == "auth_error");
    CHECK(code_of("Authentication failed for this request") == "auth_error");
    CHECK(code_of("Uncaught Error: User not found.") == "auth_error");
    CHECK(code_of("Uncaught Error: Missing Authentication header\n    at handler (/app/convex/http.ts:12:3)") ==
          "auth_error");
    CHECK(code_of("Incorrect API key provided: sk-abc***xyz.") == "generic");
}

TEST_CASE("status 429 with 'invalid api key' is auth_error") {
    CHECK(code_of(Obj().status(429).message("invalid api key")) == "auth_error");
}

TEST_CASE("status 401 with 'Insufficient credits' is credit_exhausted") {
    CHECK(code_of(Obj().status(401).message("Insufficient credits")) == "credit_exhausted");
}

TEST_CASE("rule 4: status 404, model wording and ‹404› are model_not_found") {
    CHECK(code_of(Obj().status(404)) == "model_not_found");
    CHECK(code_of("The model gpt-x was not found") == "model_not_found");
    CHECK(code_of("Model gpt-5 is not available") == "model_not_found");
    CHECK(code_of("Invalid model specified") == "model_not_found");
    CHECK(code_of("Error 404: not found") == "model_not_found");
    CHECK(code_of("not found: model") == "generic");
    CHECK(code_of("The model `gpt-5` does not exist or you do not have access to it.") == "generic");
}

TEST_CASE("status 404 with 'rate limit' is model_not_found") {
    CHECK(code_of(Obj().status(404).message("rate limit")) == "model_not_found");
}

TEST_CASE("rule 5: refused parameters are unsupported_parameter") {
    CHECK(code_of("Unsupported parameter: 'max_tokens' is not supported with this model.") == "unsupported_parameter");
    CHECK(code_of("temperature is not supported with this model") == "unsupported_parameter");
    CHECK(code_of("Function tools with reasoning_effort are not supported for gpt-5.5") == "unsupported_parameter");
    CHECK(code_of("unsupported_parameter") == "unsupported_parameter");
    CHECK(code_of("unknown parameter: foo") == "unsupported_parameter");
    CHECK(code_of("Unrecognized request argument supplied: bar") == "unsupported_parameter");
}

TEST_CASE("'Unsupported parameter: max_tokens' is unsupported_parameter, not token_limit") {
    CHECK(code_of("Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens'") == "unsupported_parameter");
}

TEST_CASE("rule 6: a too high output cap is output_cap_too_high") {
    CHECK(code_of("max_tokens is too large: 32768") == "output_cap_too_high");
    CHECK(code_of("too large a value for max_tokens") == "output_cap_too_high");
    CHECK(code_of("This model supports at most 4096 completion tokens, whereas you provided 8192.") ==
          "output_cap_too_high");
    CHECK(code_of("Please reduce the length of the messages or max_tokens") == "output_cap_too_high");
    CHECK(code_of("max_tokens\ntoo large") == "token_limit");
}

TEST_CASE("rule 6b: 'in the output' with context wording is output_cap_too_high") {
    CHECK(code_of("This endpoint's maximum context length is 1048576 tokens. However, you requested about 1064907 "
                  "tokens (3270 of text input, 13061 of tool input, 1048576 in the output).") ==
          "output_cap_too_high");
    CHECK(code_of("in the output; context window") == "output_cap_too_high");
    CHECK(code_of("context_length: in the output") == "output_cap_too_high");
    CHECK(code_of("in the outputs; context window") == "context_length");
    CHECK(code_of("in the output") == "generic");
}

TEST_CASE("rule 7: max_tokens wording and token … limit are token_limit") {
    CHECK(code_of("This request requires fewer max_tokens.") == "token_limit");
    CHECK(code_of("Exceeded token limit for this model") == "token_limit");
    CHECK(code_of("max_tokens exceeded") == "token_limit");
}

TEST_CASE("'more credits, or fewer max_tokens' is credit_exhausted") {
    CHECK(code_of("This request requires more credits, or fewer max_tokens. You requested up to 65536 tokens, but can "
                  "only afford 23255.") == "credit_exhausted");
}

TEST_CASE("the tokens-per-minute 429 is token_limit") {
    CHECK(code_of(Obj().status(429).message(
              "Rate limit reached for gpt-4 in organization org-abc on tokens per min (TPM): Limit 30000, Used 29000, "
              "Requested 2000.")) == "token_limit");
}

TEST_CASE("rule 8: context wording is context_length") {
    CHECK(code_of("context_length exceeded") == "context_length");
    CHECK(code_of("contextlength") == "context_length");
    CHECK(code_of("Exceeded context window limit") == "context_length");
    CHECK(code_of("This model's maximum context length is 8192 tokens.") == "context_length");
    CHECK(code_of("prompt is too long: 210000 tokens > 200000 maximum") == "generic");
}

TEST_CASE("status 503 with 'context window exceeded' is context_length") {
    CHECK(code_of(Obj().status(503).message("context window exceeded")) == "context_length");
}

TEST_CASE("rule 9: status 429, rate·?limit, too many requests and ‹429› are rate_limited") {
    CHECK(code_of(Obj().status(429)) == "rate_limited");
    CHECK(code_of(Obj().status(429).message("Too many requests")) == "rate_limited");
    CHECK(code_of("ratelimited by upstream") == "rate_limited");
    CHECK(code_of("Too many requests, please slow down") == "rate_limited");
    CHECK(code_of("Error 429: slow down") == "rate_limited");
    CHECK(code_of("14291") == "generic");
}

TEST_CASE("rule 10: content·?filter, content·?policy and moderation are content_filter") {
    CHECK(code_of("Content filter triggered") == "content_filter");
    CHECK(code_of("content_policy violation") == "content_filter");
    CHECK(code_of("Request flagged by moderation system") == "content_filter");
    CHECK(code_of(Obj().status(429).message("content policy")) == "rate_limited");
}

TEST_CASE("status 500 with 'content policy' is content_filter") {
    CHECK(code_of(Obj().status(500).message("content policy")) == "content_filter");
}

TEST_CASE("rule 11: unreachable hosts are provider_unreachable") {
    CHECK(code_of(Obj().code("ECONNREFUSED")) == "provider_unreachable");
    CHECK(code_of(Obj().code("ENOTFOUND")) == "provider_unreachable");
    CHECK(code_of(Obj().code("EAI_AGAIN")) == "provider_unreachable");
    CHECK(code_of("connect ECONNREFUSED 127.0.0.1:443") == "provider_unreachable");
    CHECK(code_of("getaddrinfo ENOTFOUND api.example.com") == "provider_unreachable");
    CHECK(code_of("fetch failed") == "provider_unreachable");
    CHECK(code_of("eai_again") == "generic");  // only the code, not the text
    CHECK(code_of("socket hang up") == "generic");
}

TEST_CASE("dns is a plain substring: DNSSEC is provider_unreachable") {
    CHECK(code_of("DNSSEC validation failure") == "provider_unreachable");
}

TEST_CASE("status 500 with 'dns lookup failed' is provider_unreachable") {
    CHECK(code_of(Obj().status(500).message("dns lookup failed")) == "provider_unreachable");
}

TEST_CASE("rule 12: tool wording is tool_failure") {
    CHECK(code_of("Tool error: customer_read failed") == "tool_failure");
    CHECK(code_of("Tool execution failed") == "tool_failure");
    CHECK(code_of("Unable to complete the requested operation") == "tool_failure");
    CHECK(code_of("stool sample error") == "tool_failure");  // tool is a plain substring
    CHECK(code_of("error in tool") == "generic");
}

TEST_CASE("rule 13: server-side trouble is provider_error") {
    CHECK(code_of(Obj().status(500)) == "provider_error");
    CHECK(code_of(Obj().status(529)) == "provider_error");
    CHECK(code_of(Obj().status(600)) == "provider_error");
    CHECK(code_of(Obj().status(1e9)) == "provider_error");
    CHECK(code_of(Obj().status(499)) == "generic");
    CHECK(code_of(Obj().status(408)) == "generic");
    CHECK(code_of(Obj().code("ECONNRESET")) == "provider_error");
    CHECK(code_of(Obj().code("ETIMEDOUT")) == "provider_error");
    CHECK(code_of("Error 502: bad gateway") == "provider_error");
    for (const char* m : {"internal server error", "overloaded", "No capacity", "Service Unavailable",
                          "service_unavailable", "internal_error", "internalerror", "timeout", "Request timed out",
                          "read ECONNRESET", "connect ETIMEDOUT"})
        CHECK_MESSAGE(code_of(m) == "provider_error", m);
}

TEST_CASE("rule 14: everything else is generic") {
    CHECK(code_of("") == "generic");
    CHECK(code_of("something weird happened") == "generic");
    CHECK(code_of("Your credit balance is too low to access the Anthropic API.") == "generic");
    CHECK(msg("") == "generic");
}

// ---- robustness and cost ----------------------------------------------------------------------

TEST_CASE("invalid and truncated UTF-8 never crashes") {
    const std::vector<std::string> inputs = {
        "\xFF", "\xC4", "\xE2", "\xE2\x80", "\xE2\x84", "\xF0\x9F\x98", "rate\xE2", "rate\xF0\x9F", "api\xC3",
        "rate\xFFlimit", "rate\x80limit", "\"code\":", "5", "50", "40", "credit\xE2\x80", "\xC4\xC4\xB0", "\xE2\xE2\x84\xAA"};
    for (const std::string& s : inputs) {
        (void)classify_message(s);
        (void)classify(Obj().message(s).v);
    }
    CHECK(code_of("rate\xFFlimit") == "rate_limited");  // an invalid byte is one unit
    CHECK(code_of(std::string("rate\0limit", 10)) == "rate_limited");
}

TEST_CASE("a match at the very end of a long message is found") {
    std::string m(64 * 1024, 'a');
    CHECK(code_of(m) == "generic");
    m += " rate limit";
    CHECK(code_of(m) == "rate_limited");
    std::string lines;
    for (int i = 0; i < 4000; ++i) lines += "credit\n";
    CHECK(code_of(lines + "limit") == "generic");
    CHECK(code_of(lines + "credit limit") == "credit_exhausted");
}

TEST_CASE("the literal matcher reports every occurrence in order of its end") {
    const std::string_view lits[] = {"he", "she", "his", "hers", "e"};
    reroute::detail::LiteralMatcher m(lits);
    REQUIRE(m.valid());
    std::vector<std::pair<int, std::size_t>> got;
    m.scan("ushers", [&](std::uint16_t lit, std::size_t end) { got.emplace_back(lit, end); });
    const std::vector<std::pair<int, std::size_t>> want = {{0, 4}, {1, 4}, {4, 4}, {3, 6}};
    CHECK(got == want);
}

TEST_CASE("the literal matcher can fold ASCII case") {
    const std::string_view lits[] = {"abc"};
    reroute::detail::LiteralMatcher m(lits, true);
    int hits = 0;
    m.scan("xABCabcAbC", [&](std::uint16_t, std::size_t) { ++hits; });
    CHECK(hits == 3);
    int exact = 0;
    reroute::detail::LiteralMatcher(lits).scan("xABCabcAbC", [&](std::uint16_t, std::size_t) { ++exact; });
    CHECK(exact == 1);
    const std::string_view upper[] = {"ABC"};
    CHECK_FALSE(reroute::detail::LiteralMatcher(upper, true).valid());
}

namespace {
// Every occurrence of every literal by brute force, ordered by end (then by literal index).
std::vector<std::pair<int, std::size_t>> occurrences(std::span<const std::string_view> lits, std::string_view text) {
    std::vector<std::pair<int, std::size_t>> all;
    for (std::size_t end = 1; end <= text.size(); ++end)
        for (std::size_t li = 0; li < lits.size(); ++li)
            if (lits[li].size() <= end && text.substr(end - lits[li].size(), lits[li].size()) == lits[li])
                all.emplace_back(static_cast<int>(li), end);
    return all;
}
}  // namespace

TEST_CASE("the literal matcher finds occurrences that straddle the cuts of a long text") {
    const std::string_view lits[] = {"no api key is configured", "key", "dns", "d"};
    reroute::detail::LiteralMatcher m(lits);
    std::string base(4096, '.');
    // Place the longest literal across each quarter cut at every offset of its length.
    for (std::size_t cut : {1024u, 2048u, 3072u})
        for (std::size_t back = 0; back <= lits[0].size(); ++back) {
            std::string text = base;
            text.replace(cut - back, lits[0].size(), lits[0]);
            std::vector<std::pair<int, std::size_t>> got;
            m.scan(text, [&](std::uint16_t lit, std::size_t end) { got.emplace_back(lit, end); });
            CHECK(got == occurrences(lits, text));
        }
}

TEST_CASE("the literal matcher stays exact when a long text has more occurrences than a lane buffers") {
    const std::string_view lits[] = {"dns", "d"};
    reroute::detail::LiteralMatcher m(lits);
    std::string text;
    while (text.size() < 8192) text += "dns.";
    std::vector<std::pair<int, std::size_t>> got;
    m.scan(text, [&](std::uint16_t lit, std::size_t end) { got.emplace_back(lit, end); });
    CHECK(got == occurrences(lits, text));
}

TEST_CASE("the literal matcher finds the same occurrences at every text length, whether it walks one lane or four") {
    const std::string_view lits[] = {"no api key is configured", "key", "dns", "d"};
    reroute::detail::LiteralMatcher m(lits);
    std::string source;
    while (source.size() < 900) source += "x no api key is configured; dns failed. key d ";
    for (std::size_t n = 0; n <= 900; ++n) {
        CAPTURE(n);
        const std::string_view text(source.data(), n);
        std::vector<std::pair<int, std::size_t>> got;
        m.scan(text, [&](std::uint16_t lit, std::size_t end) { got.emplace_back(lit, end); });
        CHECK(got == occurrences(lits, text));
    }
}

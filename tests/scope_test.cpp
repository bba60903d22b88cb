#include "reroute/scope.hpp"

#include <doctest/doctest.h>

#include <string>

#include "reroute/codes.hpp"
#include "support/error_object.hpp"

using reroute::ErrorValue;
using reroute::FailureScope;
using reroute::Retirement;

using reroute::testing::Obj;

namespace {

bool fails_over(const Obj& o) { return reroute::may_fail_over(o.v); }
bool transient(const Obj& o) { return reroute::is_transient(o.v); }
std::string scope_of(const ErrorValue& e) { return std::string(reroute::to_string(reroute::failure_scope(e))); }
std::string scope_of(const Obj& o) { return scope_of(o.v); }
std::string retires(std::string_view code) { return std::string(reroute::to_string(reroute::retirement_for(code))); }

ErrorValue other_value() {
    ErrorValue v;
    v.kind = ErrorValue::Kind::other;
    return v;
}

}  // namespace

TEST_CASE("scope and retirement names") {
    CHECK(reroute::to_string(FailureScope::terminal) == "terminal");
    CHECK(reroute::to_string(FailureScope::provider) == "provider");
    CHECK(reroute::to_string(FailureScope::model) == "model");
    CHECK(reroute::to_string(Retirement::none) == "none");
    CHECK(reroute::to_string(Retirement::credential) == "credential");
    CHECK(reroute::to_string(Retirement::endpoint) == "endpoint");
}

// ---- 5.2 transient ------------------------------------------------------------------------------

TEST_CASE("5.2: statuses 429, 502, 503 and 504 are transient; 500 and 408 are not") {
    for (double s : {429.0, 502.0, 503.0, 504.0}) CHECK(transient(Obj().status(s)));
    for (double s : {500.0, 408.0, 501.0, 429.5, -429.0}) CHECK_FALSE(transient(Obj().status(s)));
    CHECK(transient(Obj().status_code(503)));
    CHECK_FALSE(transient(Obj().status(200).status_code(503)));  // status wins over statusCode
}

TEST_CASE("5.2: timeout wording and ETIMEDOUT, ECONNRESET, ECONNREFUSED are timeout-like") {
    CHECK(transient(Obj().message("Gateway Timeout")));
    CHECK(transient(Obj().message("Request timed out")));
    CHECK(transient(Obj().code("ETIMEDOUT")));
    CHECK(transient(Obj().code("ECONNRESET")));
    CHECK(transient(Obj().code("ECONNREFUSED")));
    CHECK_FALSE(transient(Obj().code("ENOTFOUND")));
    CHECK_FALSE(transient(Obj().code("EAI_AGAIN")));
    CHECK_FALSE(transient(Obj().code("etimedout")));
    CHECK_FALSE(transient(Obj().data_code("ECONNRESET")));  // k is the member code only
    CHECK_FALSE(transient(Obj().message("fetch failed")));
}

TEST_CASE("5.2: overloaded, capacity and 'rate limit' are transient") {
    CHECK(transient(Obj().message("Overloaded")));
    CHECK(transient(Obj().message("no capacity")));
    CHECK(transient(Obj().message("Rate limit exceeded")));
    CHECK_FALSE(transient(Obj().message("rate-limit exceeded")));  // a plain substring here, no gap
}

TEST_CASE("5.2: m is member message, not data.message") {
    CHECK_FALSE(transient(Obj().data_message("timeout")));
    CHECK(transient(Obj().message("timeout").data_message("")));
}

TEST_CASE("5.2: only objects are transient") {
    CHECK_FALSE(reroute::is_transient(ErrorValue::from_text("timeout")));
    CHECK_FALSE(reroute::is_transient(ErrorValue{}));
    CHECK_FALSE(reroute::is_transient(other_value()));
}

// ---- 5.1 may fail over, step by step --------------------------------------------------------

TEST_CASE("5.1 step 1: a null or absent error is terminal") {
    CHECK_FALSE(reroute::may_fail_over(ErrorValue{}));
    CHECK(scope_of(ErrorValue{}) == "terminal");
}

TEST_CASE("5.1 step 2: NoProviderAvailableError is terminal, even when transient") {
    CHECK_FALSE(fails_over(Obj().name("NoProviderAvailableError").message("No usable AI provider could be loaded.")));
    CHECK_FALSE(fails_over(Obj().name("NoProviderAvailableError").status(503)));
    CHECK_FALSE(fails_over(Obj().message("Uncaught NoProviderAvailableError: x").status(429)));
    CHECK(fails_over(Obj().name("noprovideravailableerror")));  // the name is compared exactly
}

TEST_CASE("5.1 step 3: MissingApiKeyError fails over, even with terminal wording") {
    CHECK(fails_over(Obj().name("MissingApiKeyError").message("content policy")));
    CHECK(fails_over(Obj().message("Uncaught MissingApiKeyError: content policy")));
}

TEST_CASE("5.1 step 4: a transient error fails over, even with terminal wording") {
    CHECK(fails_over(Obj().status(429).message("content policy")));
    CHECK(fails_over(Obj().status(503).message("context window exceeded")));
    CHECK(fails_over(Obj().code("ECONNRESET").message("moderation")));
    CHECK(fails_over(Obj().message("moderation timed out")));
}

TEST_CASE("5.1 step 5: ProviderUnavailableError fails over, even with terminal wording") {
    CHECK(fails_over(Obj().name("ProviderUnavailableError").message("content policy")));
}

TEST_CASE("5.1 step 6: output_cap_too_high fails over despite 'maximum context length'") {
    CHECK(fails_over(Obj().message("This endpoint's maximum context length is 1048576 tokens. However, you requested "
                                   "about 1064907 tokens (3270 of text input, 13061 of tool input, 1048576 in the "
                                   "output).")));
    CHECK(fails_over(Obj().message("context window: max_tokens is too large")));
    CHECK_FALSE(fails_over(Obj().message("maximum context length is 8192 tokens")));
}

TEST_CASE("5.1 step 7: request-level wording is terminal") {
    for (const char* m : {"content_policy", "Content Policy", "content_filter", "content filter", "moderation",
                          "context_length", "maximum context length", "context window", "bad image format",
                          "unsupported format", "Unsupported image format: image/heic", "invalid image"})
        CHECK_MESSAGE(!fails_over(Obj().message(m)), m);
    CHECK_FALSE(fails_over(Obj().status(403).message("moderation")));
    CHECK(fails_over(Obj().message("content-policy")));  // no such literal; classifies, but is not terminal
}

TEST_CASE("5.1 step 7 reads member message, not data.message") {
    CHECK(fails_over(Obj().message("ok").data_message("content policy")));
    CHECK_FALSE(fails_over(Obj().message("content policy").data_message("ok")));
}

TEST_CASE("5.1 steps 8-10: everything else fails over") {
    for (double s : {400.0, 401.0, 402.0, 403.0, 404.0, 500.0, 408.0}) CHECK(fails_over(Obj().status(s)));
    CHECK(fails_over(Obj().message("Model not found")));
    CHECK(fails_over(Obj().message("All 2 provider(s) failed to load")));
    CHECK(fails_over(Obj()));
}

TEST_CASE("5.1: strings and other non-objects are never terminal") {
    CHECK(reroute::may_fail_over(ErrorValue::from_text("content policy violation")));
    CHECK(reroute::may_fail_over(ErrorValue::from_text("NoProviderAvailableError")));
    CHECK(reroute::may_fail_over(other_value()));
}

// ---- 5.3 failure scope ----------------------------------------------------------------------

TEST_CASE("5.3: provider-scoped codes give provider scope") {
    CHECK(scope_of(Obj().status(402)) == "provider");
    CHECK(scope_of(Obj().status(401)) == "provider");
    CHECK(scope_of(Obj().code("ECONNREFUSED")) == "provider");
    CHECK(scope_of(Obj().message("fetch failed")) == "provider");
    CHECK(scope_of(Obj().status(500).message("dns lookup failed")) == "provider");
    CHECK(scope_of(Obj().status(429).message("429 Insufficient balance")) == "provider");
    CHECK(scope_of(Obj().data_code("CREDENTIAL_DISABLED").data_message("disabled")) == "provider");
    CHECK(scope_of(ErrorValue::from_text("invalid api key")) == "provider");
}

TEST_CASE("5.3: other failing-over errors give model scope") {
    CHECK(scope_of(Obj().status(429)) == "model");
    CHECK(scope_of(Obj().status(503)) == "model");
    CHECK(scope_of(Obj().status(404)) == "model");
    CHECK(scope_of(Obj().status(429).code("1311")) == "model");  // model_not_entitled is not provider-scoped
    CHECK(scope_of(Obj().name("MissingApiKeyError").message("No API key configured")) == "model");
    CHECK(scope_of(Obj().message("Uncaught MissingApiKeyError: x")) == "model");  // missing_api_key: model scope
    CHECK(scope_of(ErrorValue::from_text("content policy violation")) == "model");
    CHECK(scope_of(other_value()) == "model");
}

TEST_CASE("5.3: terminal errors give terminal scope") {
    CHECK(scope_of(Obj().message("content policy violation")) == "terminal");
    CHECK(scope_of(Obj().status(401).message("moderation")) == "terminal");
}

// ---- 5.4 retirement -------------------------------------------------------------------------

TEST_CASE("5.4: auth and credit failures retire the credential, unreachable hosts the endpoint") {
    CHECK(retires("auth_error") == "credential");
    CHECK(retires("credit_exhausted") == "credential");
    CHECK(retires("provider_unreachable") == "endpoint");
    for (int i = 0; i < reroute::kErrorCodeCount; ++i) {
        const auto code = static_cast<reroute::ErrorCode>(i);
        if (reroute::is_provider_scoped(code)) continue;
        CHECK_MESSAGE(retires(reroute::to_string(code)) == "none", std::string(reroute::to_string(code)));
    }
}

TEST_CASE("5.4: a string that is not a code retires nothing") {
    for (const char* s : {"", "AUTH_ERROR", "auth_error ", " auth_error", "credential", "42"})
        CHECK(retires(s) == "none");
}

// ---- 5.5 fingerprints, scope keys, free models ---------------------------------------------

TEST_CASE("5.5: FNV-1a fingerprint examples") {
    CHECK(reroute::fingerprint("") == "811c9dc5");
    CHECK(reroute::fingerprint("key-A") == "07dfb656");
    CHECK(reroute::fingerprint("key-B") == "06dfb4c3");
    CHECK(reroute::fingerprint("\xC3\xA9") == "6c0b6c44");      // é: one unit 0x00E9
    CHECK(reroute::fingerprint("\xE2\x82\xAC") == "a93e2c4b");  // €: one unit 0x20AC, not its bytes
    CHECK(reroute::fingerprint("super-secret-123") == "729fa5f6");
    CHECK(reroute::fingerprint("k") == "ee0c38ea");
}

TEST_CASE("5.5: an astral character hashes as its two surrogate units") {
    CHECK(reroute::fingerprint("sk-\xF0\x9F\x94\x91") == "70a80e84");
}

TEST_CASE("5.5: fingerprints of invalid UTF-8 are total") {
    CHECK(reroute::fingerprint("\xFF\xC3").size() == 8);
    CHECK(reroute::fingerprint("\xF4\x90\x80\x80") .size() == 8);
}

TEST_CASE("5.5: scope keys") {
    const auto k = reroute::scope_keys("openrouter", "key-A", "https://openrouter.ai/api/v1");
    CHECK(k.credential == "cred:openrouter:07dfb656");
    CHECK(k.endpoint == "host:openrouter:https://openrouter.ai/api/v1");
    CHECK(k.credit == "credit:openrouter:07dfb656");
    CHECK(reroute::scope_keys("openrouter", "key-A", "https://openrouter.ai/api/v1/").endpoint ==
          "host:openrouter:https://openrouter.ai/api/v1/");  // no normalisation
}

TEST_CASE("5.5: absent key and base URL") {
    const auto k = reroute::scope_keys("local", std::nullopt, std::nullopt);
    CHECK(k.credential == "cred:local:811c9dc5");
    CHECK(k.endpoint == "host:local:");
    CHECK(k.credit == "credit:local:811c9dc5");
    CHECK(reroute::scope_keys("p", "", "").credential == "cred:p:811c9dc5");
}

TEST_CASE("5.5: a model is free by ':free' in its id or by two zero prices") {
    CHECK(reroute::is_free_model("meta/llama:free", std::nullopt, std::nullopt));
    CHECK(reroute::is_free_model("meta/llama:FREE", 1.0, 2.0));
    CHECK(reroute::is_free_model("x:Free-tier", std::nullopt, std::nullopt));
    CHECK(reroute::is_free_model("m", 0.0, 0.0));
    CHECK(reroute::is_free_model("m", -0.0, 0.0));
    CHECK_FALSE(reroute::is_free_model("m", std::nullopt, std::nullopt));  // unset prices are not free
    CHECK_FALSE(reroute::is_free_model("m", 0.0, std::nullopt));
    CHECK_FALSE(reroute::is_free_model("m", std::nullopt, 0.0));
    CHECK_FALSE(reroute::is_free_model("m", 0.0, 0.0001));
    CHECK_FALSE(reroute::is_free_model("free", std::nullopt, std::nullopt));
    CHECK_FALSE(reroute::is_free_model(":fre", std::nullopt, std::nullopt));
    CHECK_FALSE(reroute::is_free_model("", std::nullopt, std::nullopt));
}

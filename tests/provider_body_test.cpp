#include "reroute/provider_body.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reroute/classify.hpp"
#include "reroute/codes.hpp"
#include "reroute/text.hpp"

using reroute::error_from_response;
using reroute::error_from_stream_event;
using reroute::error_from_transport;
using reroute::ErrorValue;

namespace {

std::string code_of(const ErrorValue& e) { return std::string(reroute::to_string(reroute::classify(e))); }
std::string code_of(const std::optional<ErrorValue>& e) {
    REQUIRE(e.has_value());
    return code_of(*e);
}

// UTF-8 as the project keeps it: shortest forms only, 3-byte surrogates allowed (lone surrogates
// from JavaScript).
bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) { ++i; continue; }
        const reroute::text::Decoded d = reroute::text::decode_utf8(s, i);
        if (d.len == 1) return false;  // decode_utf8 rejects stray, truncated and overlong bytes
        i += d.len;
    }
    return true;
}

// A small deterministic generator for the byte fuzz (xorshift64).
struct Bytes {
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;
    std::uint64_t next() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
};

}  // namespace

// ---- OpenAI -------------------------------------------------------------------------------------

TEST_CASE("OpenAI shape: message, string code and type become facts") {
    const ErrorValue v = error_from_response(
        400, R"({"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})");
    CHECK(v.kind == ErrorValue::Kind::object);
    CHECK(v.status == 400.0);
    CHECK(v.message == "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.");
    CHECK(v.code == "context_length_exceeded");
    CHECK(v.error_code == "context_length_exceeded");
    CHECK_FALSE(v.error_code_number.has_value());
    CHECK(code_of(v) == "context_length");
}

TEST_CASE("OpenAI context_length_exceeded with terse wording still reads as context_length") {
    const ErrorValue v = error_from_response(
        400, R"({"error":{"message":"Input is too long for this model.","type":"invalid_request_error","code":"context_length_exceeded"}})");
    CHECK(v.message == "Input is too long for this model. (context length exceeded)");
    CHECK(code_of(v) == "context_length");
}

TEST_CASE("OpenAI insufficient_quota (sent as 429) is credit_exhausted") {
    const ErrorValue v = error_from_response(
        429, R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})");
    CHECK(v.status == 402.0);
    CHECK(code_of(v) == "credit_exhausted");
}

TEST_CASE("OpenAI invalid_api_key is auth_error and the echoed key is redacted") {
    const ErrorValue v = error_from_response(
        401, R"({"error":{"message":"Incorrect API key provided: sk-proj-Ab12Cd34Ef56Gh78. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})");
    CHECK(v.status == 401.0);
    CHECK(v.message == "Incorrect API key provided: sk-proj-[redacted]. You can find your API key at https://platform.openai.com/account/api-keys.");
    CHECK(code_of(v) == "auth_error");
}

TEST_CASE("'Incorrect API key provided' without a status is auth_error (401)") {
    const auto v = error_from_stream_event("", R"({"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","code":null}})");
    REQUIRE(v);
    CHECK(v->status == 401.0);
    CHECK(code_of(v) == "auth_error");
}

TEST_CASE("OpenAI content_policy_violation and Azure content_filter are content_filter") {
    const ErrorValue openai = error_from_response(
        400, R"({"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","code":"content_policy_violation"}})");
    CHECK(openai.message == "Your request was rejected as a result of our safety system. (content filter)");
    CHECK(code_of(openai) == "content_filter");
    const ErrorValue azure = error_from_response(
        400, R"({"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation"}}})");
    CHECK(code_of(azure) == "content_filter");
}

TEST_CASE("OpenAI unsupported_value is unsupported_parameter") {
    const ErrorValue v = error_from_response(
        400, R"({"error":{"message":"Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported.","type":"invalid_request_error","param":"temperature","code":"unsupported_value"}})");
    CHECK(code_of(v) == "unsupported_parameter");
}

TEST_CASE("a mapping never overrides the rules: OpenAI's TPM 429 stays token_limit") {
    const ErrorValue v = error_from_response(
        429, R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29000, Requested 4192. Please try again in 35.414s.","type":"tokens","param":null,"code":"rate_limit_exceeded"}})");
    CHECK(v.status == 429.0);
    CHECK(code_of(v) == "token_limit");
}

TEST_CASE("OpenAI server_error in a stream is provider_error (500)") {
    const auto v = error_from_stream_event("", R"({"error":{"message":"The server had an error while processing your request.","type":"server_error"}})");
    CHECK(v->status == 500.0);
    CHECK(code_of(v) == "provider_error");
}

TEST_CASE("OpenAI Responses response.failed event is an error") {
    const auto v = error_from_stream_event(
        "response.failed", R"({"type":"response.failed","response":{"id":"resp_1","status":"failed","error":{"code":"rate_limit_exceeded","message":"Slow down."}}})");
    CHECK(v->message == "Slow down.");
    CHECK(v->status == 429.0);
    CHECK(code_of(v) == "rate_limited");
}

// ---- Anthropic ----------------------------------------------------------------------------------

TEST_CASE("Anthropic shape: error.type and error.message") {
    const ErrorValue v = error_from_response(
        401, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011"})");
    CHECK(v.message == "invalid x-api-key");
    CHECK(v.status == 401.0);
    CHECK_FALSE(v.code.has_value());
    CHECK(code_of(v) == "auth_error");
}

TEST_CASE("Anthropic authentication_error without an HTTP status is 401") {
    CHECK(error_from_response(200, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})").status == 401.0);
    CHECK(code_of(error_from_response(0, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})")) == "auth_error");
}

TEST_CASE("Anthropic overloaded_error mid-stream is provider_error (529)") {
    const auto v = error_from_stream_event("error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
    REQUIRE(v);
    CHECK(v->status == 529.0);
    CHECK(code_of(v) == "provider_error");
}

TEST_CASE("Anthropic overloaded_error keeps a 5xx status it came with") {
    CHECK(error_from_response(503, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})").status == 503.0);
}

TEST_CASE("Anthropic rate_limit_error is rate_limited (429)") {
    const auto v = error_from_stream_event("error", R"({"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization of 165,000 input tokens per minute."}})");
    CHECK(v->status == 429.0);
    CHECK(code_of(v) == "rate_limited");
}

TEST_CASE("Anthropic permission_error is auth_error (403)") {
    const auto v = error_from_stream_event("error", R"({"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}})");
    CHECK(v->status == 403.0);
    CHECK(code_of(v) == "auth_error");
}

TEST_CASE("Anthropic not_found_error is model_not_found (404)") {
    const ErrorValue v = error_from_response(200, R"({"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}})");
    CHECK(v.status == 404.0);
    CHECK(code_of(v) == "model_not_found");
}

TEST_CASE("Anthropic billing_error and api_error") {
    CHECK(code_of(error_from_stream_event("error", R"({"type":"error","error":{"type":"billing_error","message":"Billing issue."}})")) == "credit_exhausted");
    CHECK(code_of(error_from_stream_event("error", R"({"type":"error","error":{"type":"api_error","message":"Unexpected."}})")) == "provider_error");
}

TEST_CASE("Anthropic 'prompt is too long' is context_length") {
    const ErrorValue v = error_from_response(
        400, R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}})");
    CHECK(v.status == 400.0);
    CHECK(v.message == "prompt is too long: 210000 tokens > 200000 maximum (context length exceeded)");
    CHECK(code_of(v) == "context_length");
}

TEST_CASE("Anthropic 'Your credit balance is too low' is credit_exhausted (402)") {
    const ErrorValue v = error_from_response(
        400, R"({"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}})");
    CHECK(v.status == 402.0);
    CHECK(code_of(v) == "credit_exhausted");
}

// ---- Google -------------------------------------------------------------------------------------

TEST_CASE("Google shape: numeric code, status name and message") {
    const ErrorValue v = error_from_response(
        429, R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})");
    CHECK(v.message == "Resource has been exhausted (e.g. check quota).");
    CHECK(v.error_code_number == 429.0);
    CHECK_FALSE(v.error_code.has_value());
    CHECK(code_of(v) == "rate_limited");
}

TEST_CASE("Google shape wrapped in a one-element array") {
    const ErrorValue v = error_from_response(
        0, R"([{"error":{"code":429,"message":"Quota exceeded for quota metric 'Generate Content API requests per minute'.","status":"RESOURCE_EXHAUSTED"}}])");
    CHECK(v.status == 429.0);
    CHECK(code_of(v) == "rate_limited");
}

TEST_CASE("Google RESOURCE_EXHAUSTED without a status is 429") {
    const auto v = error_from_stream_event("", R"({"error":{"message":"Resource exhausted.","status":"RESOURCE_EXHAUSTED"}})");
    CHECK(v->status == 429.0);
    CHECK(code_of(v) == "rate_limited");
}

TEST_CASE("Google UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND") {
    const auto unauth = error_from_stream_event("", R"({"error":{"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}})");
    CHECK(unauth->status == 401.0);
    CHECK(code_of(unauth) == "auth_error");
    const auto denied = error_from_stream_event("", R"({"error":{"message":"Permission denied on resource project x.","status":"PERMISSION_DENIED"}})");
    CHECK(denied->status == 403.0);
    CHECK(code_of(denied) == "auth_error");
    const ErrorValue missing = error_from_response(
        404, R"({"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta","status":"NOT_FOUND"}})");
    CHECK(code_of(missing) == "model_not_found");
}

TEST_CASE("Google 'API key not valid' (400 INVALID_ARGUMENT) is auth_error (401)") {
    const ErrorValue v = error_from_response(
        400, R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}})");
    CHECK(v.status == 401.0);
    CHECK(code_of(v) == "auth_error");
}

TEST_CASE("Google token overflow is context_length") {
    const ErrorValue v = error_from_response(
        400, R"({"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}})");
    CHECK(code_of(v) == "context_length");
}

TEST_CASE("Google INTERNAL and UNAVAILABLE are provider_error") {
    CHECK(code_of(error_from_response(500, R"({"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}})")) == "provider_error");
    const auto v = error_from_stream_event("", R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})");
    CHECK(v->status == 503.0);
    CHECK(code_of(v) == "provider_error");
}

// ---- OpenRouter ---------------------------------------------------------------------------------

TEST_CASE("OpenRouter shape: numeric code") {
    const ErrorValue v = error_from_response(
        402, R"({"error":{"code":402,"message":"This request requires more credits, or fewer max_tokens. You requested up to 9000 tokens, but can only afford 1000."}})");
    CHECK(v.error_code_number == 402.0);
    CHECK(code_of(v) == "credit_exhausted");
}

TEST_CASE("OpenRouter metadata.raw: the upstream message wins over a generic wrapper") {
    const ErrorValue v = error_from_response(
        400, R"({"error":{"message":"Provider returned error","code":400,"metadata":{"raw":"{\"error\":{\"message\":\"max_tokens is too large: 100000. This model supports at most 16384 completion tokens, whereas you provided 100000.\",\"type\":\"invalid_request_error\",\"param\":\"max_tokens\",\"code\":null}}","provider_name":"OpenAI"}}})");
    CHECK(v.message == "max_tokens is too large: 100000. This model supports at most 16384 completion tokens, whereas you provided 100000.");
    CHECK(v.error_code_number == 400.0);
    CHECK(code_of(v) == "output_cap_too_high");
}

TEST_CASE("OpenRouter metadata.raw carries the upstream's type and code") {
    const ErrorValue anthropic = error_from_response(
        502, R"({"error":{"message":"Provider returned error","code":502,"metadata":{"raw":"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}","provider_name":"Anthropic"}}})");
    CHECK(anthropic.status == 502.0);
    CHECK(anthropic.message == "Overloaded");
    CHECK(code_of(anthropic) == "provider_error");
    const ErrorValue zai = error_from_response(
        429, R"({"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"{\"error\":{\"code\":\"1311\",\"message\":\"Current plan does not include glm-5\"}}","provider_name":"Z.AI"}}})");
    CHECK(zai.error_code == "1311");
    CHECK(code_of(zai) == "model_not_entitled");
}

TEST_CASE("OpenRouter metadata.raw as plain text or as a JSON value") {
    const ErrorValue text = error_from_response(
        502, R"({"error":{"message":"Provider returned error","code":502,"metadata":{"raw":"upstream connect error or disconnect/reset before headers","provider_name":"Fireworks"}}})");
    CHECK(text.message == "upstream connect error or disconnect/reset before headers");
    CHECK(code_of(text) == "provider_error");
    const ErrorValue object = error_from_response(
        400, R"({"error":{"message":"Provider returned error","code":400,"metadata":{"raw":{"error":{"message":"Unknown parameter: 'foo'."}}}}})");
    CHECK(object.message == "Unknown parameter: 'foo'.");
    CHECK(code_of(object) == "unsupported_parameter");
}

TEST_CASE("OpenRouter: a specific outer message is kept over metadata.raw") {
    const ErrorValue v = error_from_response(
        429, R"({"error":{"message":"Rate limit exceeded: free-models-per-day","code":429,"metadata":{"raw":"{\"error\":{\"message\":\"quota\"}}"}}})");
    CHECK(v.message == "Rate limit exceeded: free-models-per-day");
    CHECK(code_of(v) == "rate_limited");
}

TEST_CASE("OpenRouter moderation (403 with flagged input) is content_filter, not auth_error") {
    const ErrorValue v = error_from_response(
        403, R"({"error":{"code":403,"message":"meta-llama/llama-3-8b requires moderation on OpenRouter. Your input was flagged for \"harassment\".","metadata":{"reasons":["harassment"],"flagged_input":"...","provider_name":"Meta","model_slug":"meta-llama/llama-3-8b"}}})");
    CHECK_FALSE(v.status.has_value());
    CHECK(code_of(v) == "content_filter");
}

TEST_CASE("OpenRouter 'is not a valid model ID' is model_not_found (404)") {
    const ErrorValue v = error_from_response(400, R"({"error":{"message":"o3-mini is not a valid model ID","code":400}})");
    CHECK(v.status == 404.0);
    CHECK(code_of(v) == "model_not_found");
}

TEST_CASE("OpenRouter mid-stream error chunk: the body code is the status") {
    const auto v = error_from_stream_event(
        "", R"({"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"x","provider":"Together","error":{"code":502,"message":"Provider disconnected"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]})");
    REQUIRE(v);
    CHECK(v->status == 502.0);
    CHECK(v->error_code_number == 502.0);
    CHECK(code_of(v) == "provider_error");
}

// ---- Provider codes (4.3) -------------------------------------------------------------------------

TEST_CASE("Z.ai 1311 under HTTP 429 is model_not_entitled, 1113 is credit_exhausted") {
    const ErrorValue plan = error_from_response(429, R"({"error":{"code":"1311","message":"The current plan does not include glm-5."}})");
    CHECK(plan.status == 429.0);
    CHECK(plan.code == "1311");
    CHECK(plan.error_code == "1311");
    CHECK(code_of(plan) == "model_not_entitled");
    const ErrorValue balance = error_from_response(429, R"({"error":{"code":1113,"message":"Insufficient balance or no resource package."}})");
    CHECK(balance.error_code_number == 1113.0);
    CHECK(code_of(balance) == "credit_exhausted");
}

TEST_CASE("a numeric body code outside 400-599 never becomes a status") {
    const auto v = error_from_stream_event("", R"({"error":{"code":1113,"message":"no package"}})");
    CHECK_FALSE(v->status.has_value());
    CHECK(code_of(v) == "credit_exhausted");
    CHECK_FALSE(error_from_stream_event("", R"({"error":{"code":429.5,"message":"x"}})")->status.has_value());
}

// ---- Other gateway shapes -----------------------------------------------------------------------

TEST_CASE("flat shapes: {message, code}, {error: text}, {detail: text}") {
    const ErrorValue flat = error_from_response(
        429, R"({"message":"You exceeded your current quota, please check your plan and billing details.","code":"insufficient_quota"})");
    CHECK(code_of(flat) == "credit_exhausted");
    const ErrorValue ollama = error_from_response(404, R"({"error":"model 'llama9' not found, try pulling it first"})");
    CHECK(ollama.message == "model 'llama9' not found, try pulling it first");
    CHECK(code_of(ollama) == "model_not_found");
    const ErrorValue nest = error_from_response(400, R"({"statusCode":400,"message":"temperature must be <= 2","error":"Bad Request"})");
    CHECK(nest.message == "temperature must be <= 2");
    CHECK(error_from_response(503, R"({"detail":"Service Unavailable"})").message == "Service Unavailable");
}

TEST_CASE("a JSON body that is no error shape keeps its text as the message") {
    const ErrorValue v = error_from_response(500, R"({"ok":false,"reason":"boom"})");
    CHECK(v.message == R"({"ok":false,"reason":"boom"})");
    CHECK(code_of(v) == "provider_error");
}

TEST_CASE("a 2xx or unknown status is no status fact") {
    CHECK_FALSE(error_from_response(200, R"({"error":{"message":"odd"}})").status.has_value());
    CHECK_FALSE(error_from_response(204, "").status.has_value());
    CHECK_FALSE(error_from_response(-1, "x").status.has_value());
    CHECK_FALSE(error_from_response(1000, "x").status.has_value());
    CHECK(error_from_response(418, "x").status == 418.0);
}

// ---- Stream events that are not errors ----------------------------------------------------------

TEST_CASE("ordinary stream payloads are not errors") {
    CHECK_FALSE(error_from_stream_event("", "[DONE]").has_value());
    CHECK_FALSE(error_from_stream_event("", R"({"id":"c","choices":[{"delta":{"content":"hi"}}]})").has_value());
    CHECK_FALSE(error_from_stream_event("", R"({"choices":[],"error":null})").has_value());
    CHECK_FALSE(error_from_stream_event("message_start", R"({"type":"message_start","message":{"id":"msg_1","type":"message"}})").has_value());
    CHECK_FALSE(error_from_stream_event("content_block_delta", R"({"type":"content_block_delta","delta":{"type":"text_delta","text":"message: error"}})").has_value());
    CHECK_FALSE(error_from_stream_event("", R"({"message":"not an error outside an error event"})").has_value());
    CHECK_FALSE(error_from_stream_event("", "").has_value());
    CHECK_FALSE(error_from_stream_event("ping", "not json").has_value());
}

TEST_CASE("an event named error is an error whatever its data") {
    const auto text = error_from_stream_event("error", "  upstream timed out  ");
    REQUIRE(text);
    CHECK(text->message == "upstream timed out");
    CHECK(code_of(text) == "provider_error");
    const auto flat = error_from_stream_event("error", R"({"type":"error","code":"server_error","message":"Boom."})");
    CHECK(flat->message == "Boom.");
    CHECK(code_of(flat) == "provider_error");
    CHECK(error_from_stream_event("error", "")->message == "");
}

// ---- Transport ----------------------------------------------------------------------------------

TEST_CASE("transport: refused and unresolved hosts are provider_unreachable") {
    const ErrorValue refused = error_from_transport("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:443");
    CHECK(refused.code == "ECONNREFUSED");
    CHECK_FALSE(refused.status.has_value());
    CHECK(code_of(refused) == "provider_unreachable");
    CHECK(code_of(error_from_transport("ENOTFOUND", "getaddrinfo ENOTFOUND api.example.com")) == "provider_unreachable");
    CHECK(code_of(error_from_transport("EAI_AGAIN", "")) == "provider_unreachable");
}

TEST_CASE("transport: resets and timeouts are provider_error") {
    CHECK(code_of(error_from_transport("ECONNRESET", "socket hang up")) == "provider_error");
    CHECK(code_of(error_from_transport("ETIMEDOUT", "connect ETIMEDOUT 104.18.0.1:443")) == "provider_error");
}

TEST_CASE("transport: an empty message is the code") {
    const ErrorValue v = error_from_transport("ECONNRESET", "");
    CHECK(v.message == "ECONNRESET");
}

TEST_CASE("transport: unreachable networks and undici timeouts the rules do not name") {
    const ErrorValue host = error_from_transport("EHOSTUNREACH", "connect EHOSTUNREACH 10.0.0.9:443");
    CHECK(host.message == "connect EHOSTUNREACH 10.0.0.9:443 (host unreachable: fetch failed)");
    CHECK(code_of(host) == "provider_unreachable");
    CHECK(code_of(error_from_transport("ENETUNREACH", "connect ENETUNREACH")) == "provider_unreachable");
    CHECK(code_of(error_from_transport("EAI_FAIL", "getaddrinfo EAI_FAIL x")) == "provider_unreachable");
    const ErrorValue headers = error_from_transport("UND_ERR_HEADERS_TIMEOUT", "Headers Timeout Error");
    CHECK(headers.message == "Headers Timeout Error");  // already says timeout: no hint
    CHECK(code_of(headers) == "provider_error");
    CHECK(code_of(error_from_transport("UND_ERR_SOCKET", "other side closed")) == "provider_error");
    CHECK(code_of(error_from_transport("EPIPE", "write EPIPE")) == "provider_error");
}

TEST_CASE("transport: an unknown code is kept and classifies by its message") {
    const ErrorValue v = error_from_transport("ERR_WEIRD", "something odd");
    CHECK(v.code == "ERR_WEIRD");
    CHECK(code_of(v) == "generic");
}

// ---- Non-JSON and malformed bodies --------------------------------------------------------------

TEST_CASE("an HTML error page keeps its status and its trimmed text") {
    const std::string html = "\r\n  <html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>\n";
    const ErrorValue v = error_from_response(502, html);
    CHECK(v.status == 502.0);
    CHECK(v.message == "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>");
    CHECK(code_of(v) == "provider_error");
}

TEST_CASE("plain text and empty bodies keep the status") {
    const ErrorValue text = error_from_response(429, "Too Many Requests\n");
    CHECK(text.message == "Too Many Requests");
    CHECK(code_of(text) == "rate_limited");
    const ErrorValue empty = error_from_response(503, "");
    CHECK(empty.kind == ErrorValue::Kind::object);
    CHECK(empty.message == "");
    CHECK(code_of(empty) == "provider_error");
    CHECK(code_of(error_from_response(401, "   ")) == "auth_error");
}

TEST_CASE("truncated JSON is text, so a 4.3 provider code in it still counts") {
    const std::string body = R"({"error":{"code":"1311","message":"The current plan does not incl)";
    const ErrorValue v = error_from_response(429, body);
    CHECK(v.message == body);
    CHECK_FALSE(v.error_code.has_value());
    CHECK(code_of(v) == "model_not_entitled");
}

TEST_CASE("deeply nested arrays are text, not a crash") {
    const std::string deep = std::string(200000, '[') + std::string(200000, ']');
    const ErrorValue v = error_from_response(500, deep);
    CHECK(v.status == 500.0);
    CHECK(reroute::text::utf16_length(*v.message) == reroute::kMaxMessageUnits);
    const std::string shallow = std::string(400, '[') + R"({"error":{"message":"x"}})" + std::string(400, ']');
    CHECK(error_from_response(500, shallow).message->front() == '[');
    CHECK_FALSE(error_from_stream_event("error", deep)->status.has_value());
}

TEST_CASE("the message is cut at 2000 UTF-16 units on a code point boundary") {
    const ErrorValue long_ascii = error_from_response(500, std::string(5000, 'a'));
    CHECK(long_ascii.message->size() == 2000);
    std::string e_acute;
    for (int i = 0; i < 3000; ++i) e_acute += "\xC3\xA9";
    CHECK(reroute::text::utf16_length(*error_from_response(500, e_acute).message) == 2000);
    const std::string emoji_at_edge = std::string(1999, 'a') + "\xF0\x9F\x9A\x80" + "tail";  // 🚀 would be units 2000-2001
    const ErrorValue v = error_from_response(500, emoji_at_edge);
    CHECK(*v.message == std::string(1999, 'a'));
    CHECK(valid_utf8(*v.message));
}

TEST_CASE("a hint appended to a message at the bound still fits the bound") {
    const std::string message(3000, 'x');
    const ErrorValue v = error_from_response(
        400, R"({"error":{"message":")" + message + R"(","code":"context_length_exceeded"}})");
    CHECK(reroute::text::utf16_length(*v.message) <= reroute::kMaxMessageUnits);
    CHECK(code_of(v) == "context_length");
}

TEST_CASE("binary bytes become valid UTF-8 with U+FFFD") {
    const char raw[] = "\xFF\xFE\x00\x80 bad \xC3 \xE2\x82 ok \xC0\xAF end";
    const ErrorValue v = error_from_response(500, std::string_view(raw, sizeof raw - 1));
    CHECK(valid_utf8(*v.message));
    CHECK(v.message->find("bad") != std::string::npos);
    CHECK(v.message->find("\xEF\xBF\xBD") != std::string::npos);
}

TEST_CASE("secrets in bodies and stream errors are redacted") {
    const ErrorValue v = error_from_response(
        400, R"({"error":{"message":"Bad request to https://generativelanguage.googleapis.com/v1/x?key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"}})");
    CHECK(v.message == "Bad request to https://generativelanguage.googleapis.com/v1/x?key=[redacted]");
    const auto s = error_from_stream_event("error", "Authorization: Bearer abc123def456 rejected");
    CHECK(s->message == "Authorization: Bearer [redacted] rejected");
    CHECK(error_from_transport("ECONNRESET", "POST https://h/v1?api_key=abc failed").message ==
          "POST https://h/v1?api_key=[redacted] failed");
}

TEST_CASE("any bytes: no crash, valid UTF-8 messages, bounded length") {
    Bytes gen;
    const std::string alphabet = std::string("{}[]\":,\\ ntrufalse0123456789-.eE") + "\xC3\xA9\xF0\x9F\x98\x80\xFF\x80\xED\xA0";
    for (int round = 0; round < 3000; ++round) {
        std::string s;
        const std::size_t n = gen.next() % 300;
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t r = gen.next();
            s += (r & 1) ? alphabet[(r >> 8) % alphabet.size()] : char(r >> 16);
        }
        const ErrorValue r = error_from_response(int(gen.next() % 700), s);
        REQUIRE(r.message.has_value());
        CHECK(valid_utf8(*r.message));
        CHECK(reroute::text::utf16_length(*r.message) <= reroute::kMaxMessageUnits);
        if (const auto e = error_from_stream_event("error", s)) CHECK(valid_utf8(*e->message));
        CHECK(valid_utf8(*error_from_transport(s, s).message));
    }
}

#include "reroute/redact.hpp"

#include <doctest/doctest.h>

#include <string>

using reroute::redact_secrets;

TEST_CASE("redact: Authorization header echo keeps the scheme and drops the credential") {
    CHECK(redact_secrets("Authorization: Bearer abc123DEF456ghi") == "Authorization: Bearer [redacted]");
    CHECK(redact_secrets("authorization: Basic dXNlcjpwYXNzd29yZA==") == "authorization: Basic [redacted]");
    CHECK(redact_secrets("AUTHORIZATION:Bearer xyz") == "AUTHORIZATION:Bearer [redacted]");
    CHECK(redact_secrets("Proxy-Authorization: Basic Zm9vOmJhcg==\r\nHost: x") ==
          "Proxy-Authorization: Basic [redacted]\r\nHost: x");
}

TEST_CASE("redact: an Authorization value without a scheme is dropped whole") {
    CHECK(redact_secrets("authorization: abcdef123") == "authorization: [redacted]");
}

TEST_CASE("redact: x-api-key and api-key header echoes, any case") {
    CHECK(redact_secrets("x-api-key: sk-ant-api03-AbC_dEf-123") == "x-api-key: [redacted]");
    CHECK(redact_secrets("X-Api-Key: hunter2") == "X-Api-Key: [redacted]");
    CHECK(redact_secrets("api-key: 0123456789abcdef0123456789abcdef") == "api-key: [redacted]");
    CHECK(redact_secrets("x-goog-api-key: AIzaSyD-abcdefghijklmnopqrstuvwxyz012") == "x-goog-api-key: [redacted]");
}

TEST_CASE("redact: bare Bearer token") {
    CHECK(redact_secrets("sent Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig to the API") ==
          "sent Bearer [redacted] to the API");
    CHECK(redact_secrets("bearer a1b2c3d4e5") == "bearer [redacted]");
}

TEST_CASE("redact: Bearer followed by an ordinary word is prose") {
    CHECK(redact_secrets("Bearer authentication failed") == "Bearer authentication failed");
    CHECK(redact_secrets("Bearer token missing") == "Bearer token missing");
}

TEST_CASE("redact: OpenAI sk- keys, legacy and project") {
    CHECK(redact_secrets("key sk-AbCdEf0123456789AbCdEf0123456789AbCdEf01234567 rejected") ==
          "key sk-[redacted] rejected");
    CHECK(redact_secrets("Incorrect API key provided: sk-proj-Ab12_cd34-EF56gh78ij90.") ==
          "Incorrect API key provided: sk-proj-[redacted].");
}

TEST_CASE("redact: masked sk- echoes lose their visible digits too") {
    CHECK(redact_secrets("Incorrect API key provided: sk-proj-****8d0e. You can find your API key at "
                         "https://platform.openai.com/account/api-keys.") ==
          "Incorrect API key provided: sk-proj-[redacted]. You can find your API key at "
          "https://platform.openai.com/account/api-keys.");
    CHECK(redact_secrets("sk-abc1***************************wxyz") == "sk-[redacted]");
}

TEST_CASE("redact: Anthropic sk-ant- keys") {
    CHECK(redact_secrets("(sk-ant-api03-AbCdEfGh_IjKl-MnOp0123456789-QrStUvAA)") == "(sk-ant-[redacted])");
}

TEST_CASE("redact: OpenRouter sk-or-v1- keys") {
    CHECK(redact_secrets("sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") ==
          "sk-or-v1-[redacted]");
}

TEST_CASE("redact: Google AIza keys") {
    CHECK(redact_secrets("API key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW not valid") ==
          "API key AIza[redacted] not valid");
}

TEST_CASE("redact: xAI, Groq and Perplexity keys") {
    CHECK(redact_secrets("xai-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789") == "xai-[redacted]");
    CHECK(redact_secrets("gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789") == "gsk_[redacted]");
    CHECK(redact_secrets("pplx-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789") == "pplx-[redacted]");
}

TEST_CASE("redact: key= and api_key= query values") {
    CHECK(redact_secrets("GET https://generativelanguage.googleapis.com/v1beta/models/x:generate?key=AIzaSecret1&alt=sse") ==
          "GET https://generativelanguage.googleapis.com/v1beta/models/x:generate?key=[redacted]&alt=sse");
    CHECK(redact_secrets("https://h/x?alt=sse&api_key=abc123#frag") == "https://h/x?alt=sse&api_key=[redacted]#frag");
    CHECK(redact_secrets("apikey=abc123 and more") == "apikey=[redacted] and more");
    CHECK(redact_secrets("OPENAI_API_KEY=whatever") == "OPENAI_API_KEY=[redacted]");
}

TEST_CASE("redact: token= and access_token= form values") {
    CHECK(redact_secrets("grant_type=x&token=t0k3n&access_token=ya29.a0AfH6SM&scope=all") ==
          "grant_type=x&token=[redacted]&access_token=[redacted]&scope=all");
}

TEST_CASE("redact: a quoted value after key= is dropped whole") {
    CHECK(redact_secrets("api_key=\"two words\" rest") == "api_key=\"[redacted]\" rest");
}

TEST_CASE("redact: JSON members api_key and authorization") {
    CHECK(redact_secrets(R"({"api_key":"abc-123","model":"gpt"})") == R"({"api_key":"[redacted]","model":"gpt"})");
    CHECK(redact_secrets(R"({"Authorization": "Bearer abc.def"})") == R"({"Authorization": "[redacted]"})");
    CHECK(redact_secrets(R"({"apiKey" : "with \"escaped\" quote"})") == R"({"apiKey" : "[redacted]"})");
}

TEST_CASE("redact: JSON members inside a JSON string and Python dict echoes") {
    CHECK(redact_secrets(R"("raw":"{\"x-api-key\":\"abc123\",\"ok\":1}")") ==
          R"("raw":"{\"x-api-key\":\"[redacted]\",\"ok\":1}")");
    CHECK(redact_secrets("{'authorization': 'Basic Zm9v'}") == "{'authorization': '[redacted]'}");
}

TEST_CASE("redact: a truncated secret member is still dropped") {
    CHECK(redact_secrets(R"({"api_key":"abc12)") == R"({"api_key":"[redacted])");
}

TEST_CASE("redact: non-secret members and empty values are left alone") {
    const std::string body = R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})";
    CHECK(redact_secrets(body) == body);
    CHECK(redact_secrets(R"({"token": null, "key": 5, "api_key": ""})") == R"({"token": null, "key": 5, "api_key": ""})");
    CHECK(redact_secrets("token=&x=1") == "token=&x=1");
}

TEST_CASE("redact: ordinary words survive") {
    for (const char* s : {"risk-free", "task-123", "monkey", "monkey=3", "whiskey=neat", "max_tokens=4096",
                          "disk-usage sk-short", "Invalid API key. Please pass a valid API key.",
                          "invalid x-api-key", "Token: expected", "key: value", "tokens per min (TPM)",
                          "the keyword key is a key", "Bearer", "ask-me-anything-please-now",
                          "sk-learning-rate", "AIza"}) {
        CAPTURE(s);
        CHECK(redact_secrets(s) == s);
    }
}

TEST_CASE("redact: non-ASCII text stays valid UTF-8 and unchanged") {
    const std::string s = "Clé invalide: «sk-proj-Ab12Cd34Ef56»—réessayez 🚀 key=abc»";
    CHECK(redact_secrets(s) == "Clé invalide: «sk-proj-[redacted]»—réessayez 🚀 key=[redacted]»");
    CHECK(redact_secrets("日本語のテキスト") == "日本語のテキスト");
}

TEST_CASE("redact: invalid bytes pass through") {
    const char raw[] = "\xff\xfe token=\x80\x81 \xc3";
    const std::string s(raw, sizeof raw - 1);
    CHECK(redact_secrets(s) == s);
}

TEST_CASE("redact: 1 MiB inputs finish in linear time") {
    std::string runs;
    while (runs.size() < (1u << 20)) runs += "risk-free task-123 key=abc \"api_key\":\"v\" Bearer x ";
    const std::string out = redact_secrets(runs);
    CHECK(out.size() > runs.size() / 2);
    CHECK(out.find("key=[redacted]") != std::string::npos);

    // Degenerate shapes that would be quadratic for a backtracking matcher.
    CHECK(redact_secrets(std::string(1u << 20, 'a')).size() == (1u << 20));
    CHECK(redact_secrets(std::string(1u << 20, '"')).size() == (1u << 20));
    CHECK(redact_secrets(std::string(1u << 20, '-')).size() == (1u << 20));
    std::string quotes_and_names;
    while (quotes_and_names.size() < (1u << 20)) quotes_and_names += "\"key\"    ";
    CHECK(redact_secrets(quotes_and_names) == quotes_and_names);
    const std::string long_key = "sk-" + std::string(1u << 20, '*');
    CHECK(redact_secrets(long_key) == "sk-[redacted]");
}

#include "reroute/envelope.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

using reroute::DecodedEnvelope;
using reroute::decode_envelope;
using reroute::encode_envelope;
using reroute::EnvelopeFields;
using reroute::ErrorCode;
using reroute::percent_decode;
using reroute::percent_encode;

namespace {

DecodedEnvelope decode(std::string_view stored) { return decode_envelope(stored); }

bool is_empty(const DecodedEnvelope& d) {
    return !d.code && !d.provider && !d.model && !d.tried_count && !d.raw && !d.retry_after_ms;
}

// Only raw, holding the whole stored value.
void check_whole_value_is_raw(std::string_view stored) {
    const DecodedEnvelope d = decode(stored);
    CHECK(!d.code);
    CHECK(!d.provider);
    CHECK(!d.model);
    CHECK(!d.tried_count);
    CHECK(!d.retry_after_ms);
    REQUIRE(d.raw);
    CHECK(*d.raw == stored);
}

std::string with_header(std::string_view json_header, std::string_view tail = "\nx") {
    return "TALE_ERR1 " + percent_encode(json_header) + std::string(tail);
}

}  // namespace

// ---- 6.3 percent-encoding --------------------------------------------------------------------

TEST_CASE("percent_encode keeps encodeURIComponent's unreserved characters") {
    CHECK(percent_encode("A-Z_a.z!~*'()0-9") == "A-Z_a.z!~*'()0-9");
}

TEST_CASE("percent_encode writes every other byte as uppercase %XX of its UTF-8") {
    CHECK(percent_encode(" ") == "%20");
    CHECK(percent_encode("\"%+,/:{") == "%22%25%2B%2C%2F%3A%7B");
    CHECK(percent_encode("@#$&=?[]") == "%40%23%24%26%3D%3F%5B%5D");
    CHECK(percent_encode("\x7F") == "%7F");
    CHECK(percent_encode(std::string_view("\0", 1)) == "%00");
    CHECK(percent_encode("\xC3\xA9") == "%C3%A9");
    CHECK(percent_encode("\xE2\x80\xA8") == "%E2%80%A8");
    CHECK(percent_encode("\xF0\x9F\x9A\x80") == "%F0%9F%9A%80");
}

TEST_CASE("percent_encode writes U+FFFD where JavaScript would throw") {
    CHECK(percent_encode("\xED\xA0\x80") == "%EF%BF%BD");       // lone surrogate
    CHECK(percent_encode("a\xFF" "b") == "a%EF%BF%BDb");          // invalid byte
    CHECK(percent_encode("\xC0\xAF") == "%EF%BF%BD%EF%BF%BD");  // overlong
    CHECK(percent_encode("\xED\xA0\xBD\xED\xBA\x80") == "%F0%9F%9A%80");  // the two halves of one pair
}

// ---- 6.5 percent-decoding --------------------------------------------------------------------

TEST_CASE("percent_decode accepts hex digits of either case and copies other text") {
    CHECK(percent_decode("%7b%22a%22%7D") == "{\"a\"}");
    CHECK(percent_decode("plain {\"json\"}") == "plain {\"json\"}");
    CHECK(percent_decode("") == "");
    CHECK(percent_decode("%2F%25") == "/%");  // a decoded % is not decoded again
    CHECK(percent_decode("%00") == std::string(1, '\0'));
    CHECK(percent_decode("%C3%A9%E2%80%A8%F0%9F%9A%80") == "\xC3\xA9\xE2\x80\xA8\xF0\x9F\x9A\x80");
}

TEST_CASE("percent_decode fails on a % not followed by two hex digits") {
    CHECK_FALSE(percent_decode("%"));
    CHECK_FALSE(percent_decode("%4"));
    CHECK_FALSE(percent_decode("a%ZZ"));
    CHECK_FALSE(percent_decode("%G0"));
    CHECK_FALSE(percent_decode("100%"));
}

TEST_CASE("percent_decode fails on anything but the shortest UTF-8 form of a scalar value") {
    CHECK_FALSE(percent_decode("%C0%AF"));        // overlong
    CHECK_FALSE(percent_decode("%E0%80%80"));     // overlong
    CHECK_FALSE(percent_decode("%ED%A0%80"));     // surrogate
    CHECK_FALSE(percent_decode("%F4%90%80%80"));  // above U+10FFFF
    CHECK_FALSE(percent_decode("%F8%80%80%80"));
    CHECK_FALSE(percent_decode("%80"));           // a lone continuation byte
    CHECK_FALSE(percent_decode("%E0%A4%A"));      // truncated escape
    CHECK_FALSE(percent_decode("%E0%A4"));        // truncated sequence
    CHECK_FALSE(percent_decode("%C3A9"));         // continuation not escaped
    CHECK_FALSE(percent_decode("%C3%41"));        // not a continuation byte
}

TEST_CASE("percent_decode undoes percent_encode") {
    const std::string samples[] = {"", "Z\xC3\xBCrich AI", "a b+c%d", "{\"code\":\"generic\"}", "\xF0\x9F\x9A\x80/\xE2\x80\xA8"};
    for (const auto& s : samples) CHECK(percent_decode(percent_encode(s)) == s);
}

// ---- 6.1-6.2 encoding ------------------------------------------------------------------------

TEST_CASE("encode writes the prefix, the encoded header, one LF and the raw text verbatim") {
    EnvelopeFields f;
    f.code = "credit_exhausted";
    f.provider = "openrouter";
    f.model = "anthropic/claude-opus-4.8";
    f.tried = 3;
    f.raw = "HTTP 402: requires more credits";
    CHECK(encode_envelope(f) ==
          "TALE_ERR1 %7B%22code%22%3A%22credit_exhausted%22%2C%22provider%22%3A%22openrouter%22%2C%22model%22%3A%22"
          "anthropic%2Fclaude-opus-4.8%22%2C%22tried%22%3A3%7D\nHTTP 402: requires more credits");
}

TEST_CASE("encode given nothing writes an empty header and the LF") {
    CHECK(encode_envelope({}) == "TALE_ERR1 %7B%7D\n");
}

TEST_CASE("encode always writes the LF, even without raw text") {
    EnvelopeFields f;
    f.code = "generic";
    CHECK(encode_envelope(f) == "TALE_ERR1 %7B%22code%22%3A%22generic%22%7D\n");
    f.raw = "";
    CHECK(encode_envelope(f) == "TALE_ERR1 %7B%22code%22%3A%22generic%22%7D\n");
}

TEST_CASE("encode writes empty strings and zero but leaves absent members out") {
    EnvelopeFields f;
    f.code = "auth_error";
    f.provider = "";
    f.tried = 0;
    CHECK(encode_envelope(f) == "TALE_ERR1 %7B%22code%22%3A%22auth_error%22%2C%22provider%22%3A%22%22%2C%22tried%22%3A0%7D\n");
}

TEST_CASE("encode quotes strings as JSON.stringify does") {
    EnvelopeFields f;
    f.provider = "a\"b\\c";
    f.model = std::string("tab\there\nnl\x01\x1f\x7f");
    CHECK(encode_envelope(f) ==
          "TALE_ERR1 %7B%22provider%22%3A%22a%5C%22b%5C%5Cc%22%2C%22model%22%3A%22tab%5Cthere%5Cnnl%5Cu0001%5Cu001f%7F%22%7D\n");
    EnvelopeFields g;
    g.model = std::string("\b\f\r\x1b", 4);
    CHECK(encode_envelope(g) == "TALE_ERR1 %7B%22model%22%3A%22%5Cb%5Cf%5Cr%5Cu001b%22%7D\n");
}

TEST_CASE("encode percent-encodes non-ASCII, U+2028 and emoji as UTF-8") {
    EnvelopeFields f;
    f.provider = "line\xE2\x80\xA8sep";
    f.model = "emoji-\xF0\x9F\x9A\x80";
    CHECK(encode_envelope(f) ==
          "TALE_ERR1 %7B%22provider%22%3A%22line%E2%80%A8sep%22%2C%22model%22%3A%22emoji-%F0%9F%9A%80%22%7D\n");
}

TEST_CASE("encode keeps a lone surrogate decodable and replaces invalid bytes") {
    EnvelopeFields f;
    f.provider = "a\xED\xA0\x80";  // JSON.stringify writes "\ud800"
    f.model = "b\xFF";
    const std::string stored = encode_envelope(f);
    CHECK(stored == "TALE_ERR1 %7B%22provider%22%3A%22a%5Cud800%22%2C%22model%22%3A%22b%EF%BF%BD%22%7D\n");
    const DecodedEnvelope d = decode(stored);
    CHECK(d.provider == "a\xED\xA0\x80");
    CHECK(d.model == "b\xEF\xBF\xBD");
}

TEST_CASE("encode writes tried as Number#toString") {
    EnvelopeFields f;
    f.tried = 2.5;
    CHECK(encode_envelope(f) == "TALE_ERR1 %7B%22tried%22%3A2.5%7D\n");
    f.tried = 1000000;
    CHECK(encode_envelope(f) == "TALE_ERR1 %7B%22tried%22%3A1000000%7D\n");
    f.tried = 1e21;
    CHECK(encode_envelope(f) == "TALE_ERR1 %7B%22tried%22%3A1e%2B21%7D\n");
    f.tried = std::numeric_limits<double>::infinity();
    CHECK(encode_envelope(f) == "TALE_ERR1 %7B%22tried%22%3Anull%7D\n");  // JSON.stringify's null
}

TEST_CASE("encode writes retryAfterMs after tried, only when present") {
    EnvelopeFields f;
    f.code = "rate_limited";
    f.tried = 2;
    f.retry_after_ms = 1500;
    CHECK(encode_envelope(f) ==
          "TALE_ERR1 %7B%22code%22%3A%22rate_limited%22%2C%22tried%22%3A2%2C%22retryAfterMs%22%3A1500%7D\n");
    EnvelopeFields g;
    g.retry_after_ms = 0;
    CHECK(encode_envelope(g) == "TALE_ERR1 %7B%22retryAfterMs%22%3A0%7D\n");
}

TEST_CASE("encode keeps a multi-line raw text with CRs and a TALE_ERR1 line verbatim") {
    EnvelopeFields f;
    f.code = "generic";
    f.raw = "first\r\nTALE_ERR1 not-a-header\r\n";
    CHECK(encode_envelope(f) == "TALE_ERR1 %7B%22code%22%3A%22generic%22%7D\nfirst\r\nTALE_ERR1 not-a-header\r\n");
}

// ---- 6.4 decoding, step by step --------------------------------------------------------------

TEST_CASE("decode: absent, null or empty gives an empty record") {
    CHECK(is_empty(decode_envelope(std::nullopt)));
    CHECK(is_empty(decode("")));
}

TEST_CASE("decode: a value without the prefix is legacy raw text") {
    check_whole_value_is_raw("plain provider error string");
    check_whole_value_is_raw("Rate limit exceeded\nsecond line");
}

TEST_CASE("decode: the prefix is exact, case-sensitive and must start the first line") {
    check_whole_value_is_raw("TALE_ERR2 %7B%7D\nx");
    check_whole_value_is_raw("tale_err1 %7B%7D\nx");
    check_whole_value_is_raw("TALE_ERR1%7B%7D\nx");
    check_whole_value_is_raw("TALE_ERR1\t%7B%7D\nx");
    check_whole_value_is_raw(" TALE_ERR1 %7B%22code%22%3A%22generic%22%7D\nx");
    check_whole_value_is_raw("\xEF\xBB\xBFTALE_ERR1 %7B%7D\nx");
    check_whole_value_is_raw("foo\nTALE_ERR1 %7B%22code%22%3A%22generic%22%7D\nx");
    check_whole_value_is_raw("TALE_ERR1");
}

TEST_CASE("decode: the value splits at the first LF only") {
    const DecodedEnvelope d = decode("TALE_ERR1 %7B%22code%22%3A%22generic%22%7D\nTALE_ERR1 %7B%22code%22%3A%22auth_error%22%7D\nmore");
    CHECK(d.code == ErrorCode::generic);
    CHECK(d.raw == "TALE_ERR1 %7B%22code%22%3A%22auth_error%22%7D\nmore");
}

TEST_CASE("decode: without an LF the whole value is the header and there is no raw") {
    const DecodedEnvelope d = decode("TALE_ERR1 %7B%22code%22%3A%22generic%22%7D");
    CHECK(d.code == ErrorCode::generic);
    CHECK(!d.raw);
}

TEST_CASE("decode: an empty tail gives no raw") {
    const DecodedEnvelope d = decode("TALE_ERR1 %7B%22code%22%3A%22generic%22%7D\n");
    CHECK(d.code == ErrorCode::generic);
    CHECK(!d.raw);
}

TEST_CASE("decode: a header that does not percent-decode makes the whole value raw") {
    check_whole_value_is_raw("TALE_ERR1 %ZZ\nraw");
    check_whole_value_is_raw("TALE_ERR1 %7B%22provider%22%3A%22%E0%A4%A%22%7D\nx");
    check_whole_value_is_raw("TALE_ERR1 %7B%22provider%22%3A%22%ED%A0%80%22%7D\nx");
    check_whole_value_is_raw("TALE_ERR1 {\"provider\":\"100%\"}\nx");
}

TEST_CASE("decode: a header that is not JSON makes the whole value raw") {
    check_whole_value_is_raw("TALE_ERR1 not json\nraw");
    check_whole_value_is_raw("TALE_ERR1 \nx");                         // empty header
    check_whole_value_is_raw("TALE_ERR1 %7B%22code%22%3A%22generic%22%2C%7D\nx");  // trailing comma
    check_whole_value_is_raw("TALE_ERR1 {'code':'generic'}\nx");
    check_whole_value_is_raw("TALE_ERR1 %C2%A0%7B%7D\nx");             // U+00A0 is not JSON whitespace
    check_whole_value_is_raw("TALE_ERR1 %EF%BB%BF%7B%7D\nx");          // nor is a BOM
    check_whole_value_is_raw("TALE_ERR1 {\"tried\":01}\nx");
    check_whole_value_is_raw("TALE_ERR1 {\"provider\":\"a%01b\"}\nx");  // %01 decodes to a raw control character
    check_whole_value_is_raw(with_header("{\"provider\":\"a\x01" "b\"}"));  // raw control character
    check_whole_value_is_raw(with_header("{\"tried\":NaN}"));
}

TEST_CASE("decode: a header that is null, a number, a string or a boolean makes the whole value raw") {
    check_whole_value_is_raw("TALE_ERR1 null\nx");
    check_whole_value_is_raw("TALE_ERR1 42\nx");
    check_whole_value_is_raw("TALE_ERR1 %22generic%22\nx");
    check_whole_value_is_raw("TALE_ERR1 true\nx");
}

TEST_CASE("decode: an array header is accepted with no members") {
    const DecodedEnvelope d = decode("TALE_ERR1 %5B%5D\nx");
    CHECK(!d.code);
    CHECK(d.raw == "x");
    const DecodedEnvelope e = decode(with_header("[{\"code\":\"generic\"}]"));
    CHECK(!e.code);
    CHECK(e.raw == "x");
}

TEST_CASE("decode: code is taken only when it is one of the fifteen codes, exactly") {
    CHECK(decode(with_header("{\"code\":\"missing_api_key\"}")).code == ErrorCode::missing_api_key);
    CHECK(decode(with_header("{\"code\":\"model_not_entitled\"}")).code == ErrorCode::model_not_entitled);
    for (const char* bad : {"{\"code\":\"bogus\"}", "{\"code\":\"RATE_LIMITED\"}", "{\"code\":\"rate_limited \"}",
                            "{\"code\":42}", "{\"code\":null}", "{\"code\":[\"generic\"]}", "{\"code\":\"\"}"}) {
        const DecodedEnvelope d = decode(with_header(bad));
        CHECK(!d.code);
        CHECK(d.raw == "x");
    }
}

TEST_CASE("decode: an unknown code is dropped and the other members are kept") {
    const DecodedEnvelope d = decode("TALE_ERR1 %7B%22code%22%3A%22bogus%22%2C%22provider%22%3A%22x%22%7D\nraw");
    CHECK(!d.code);
    CHECK(d.provider == "x");
    CHECK(d.raw == "raw");
}

TEST_CASE("decode: JSON escapes in the header are decoded") {
    const DecodedEnvelope d = decode(with_header(R"({"code":"\u0061uth_error","provider":"a\"b\\c\/d","\u006dodel":"\u00e9"})"));
    CHECK(d.code == ErrorCode::auth_error);
    CHECK(d.provider == "a\"b\\c/d");
    CHECK(d.model == "\xC3\xA9");
}

TEST_CASE("decode: provider and model are taken only as non-empty strings, untrimmed") {
    const DecodedEnvelope d = decode(with_header("{\"provider\":\" \",\"model\":\"\"}"));
    CHECK(d.provider == " ");
    CHECK(!d.model);
    const DecodedEnvelope e = decode("TALE_ERR1 {\"code\":\"generic\",\"provider\":7,\"model\":[\"m\"]}\nx");
    CHECK(e.code == ErrorCode::generic);
    CHECK(!e.provider);
    CHECK(!e.model);
}

TEST_CASE("decode: tried is taken only as a finite number greater than 0") {
    CHECK(decode(with_header("{\"tried\":1}")).tried_count == 1);
    CHECK(decode(with_header("{\"tried\":2.5}")).tried_count == 2.5);
    CHECK(decode(with_header("{\"tried\":3e0}")).tried_count == 3);
    for (const char* bad : {"{\"tried\":0}", "{\"tried\":-0}", "{\"tried\":-1}", "{\"tried\":\"3\"}", "{\"tried\":true}",
                            "{\"tried\":1e400}", "{\"tried\":null}", "{\"tried\":1e-400}"}) {
        const DecodedEnvelope d = decode(with_header(bad));
        CHECK(!d.tried_count);
        CHECK(d.raw == "x");
    }
}

TEST_CASE("decode: retryAfterMs is taken only as a finite number of at least 0") {
    CHECK(decode(with_header("{\"retryAfterMs\":1500}")).retry_after_ms == 1500);
    CHECK(decode(with_header("{\"retryAfterMs\":0}")).retry_after_ms == 0);
    CHECK(!decode(with_header("{\"retryAfterMs\":-1}")).retry_after_ms);
    CHECK(!decode(with_header("{\"retryAfterMs\":\"1500\"}")).retry_after_ms);
    CHECK(!decode(with_header("{\"retryAfterMs\":1e400}")).retry_after_ms);
}

TEST_CASE("decode: when a key occurs twice the last occurrence wins") {
    CHECK(decode("TALE_ERR1 %7B%22code%22%3A%22generic%22%2C%22code%22%3A%22auth_error%22%7D\nx").code == ErrorCode::auth_error);
    CHECK(!decode(with_header("{\"code\":\"generic\",\"code\":\"bogus\"}")).code);
    CHECK(!decode(with_header("{\"provider\":\"a\",\"provider\":\"\"}")).provider);
    CHECK(!decode(with_header("{\"provider\":\"a\",\"provider\":1}")).provider);
    CHECK(decode(with_header("{\"model\":1,\"model\":\"m\"}")).model == "m");
    CHECK(!decode(with_header("{\"tried\":2,\"tried\":0}")).tried_count);
}

TEST_CASE("decode: unknown members are ignored, __proto__ included") {
    const DecodedEnvelope d = decode(with_header("{\"v\":2,\"code\":\"token_limit\",\"extra\":{\"a\":1},\"__proto__\":{\"code\":\"generic\"}}"));
    CHECK(d.code == ErrorCode::token_limit);
    CHECK(d.raw == "x");
}

// ---- 6.6 odd inputs --------------------------------------------------------------------------

TEST_CASE("odd input: an unencoded JSON header without % is accepted") {
    const DecodedEnvelope d = decode("TALE_ERR1 {\"code\":\"rate_limited\",\"tried\":2}\nboom");
    CHECK(d.code == ErrorCode::rate_limited);
    CHECK(d.tried_count == 2);
    CHECK(d.raw == "boom");
}

TEST_CASE("odd input: CRLF after the header is accepted and raw starts after the LF") {
    const DecodedEnvelope d = decode("TALE_ERR1 %7B%22code%22%3A%22auth_error%22%7D\r\nraw text");
    CHECK(d.code == ErrorCode::auth_error);
    CHECK(d.raw == "raw text");
}

TEST_CASE("odd input: a CR without LF after the header makes the whole value raw") {
    check_whole_value_is_raw("TALE_ERR1 %7B%22code%22%3A%22generic%22%7D\rraw");
}

TEST_CASE("odd input: extra JSON whitespace after the prefix is accepted") {
    CHECK(decode("TALE_ERR1  %7B%22code%22%3A%22generic%22%7D\nx").code == ErrorCode::generic);
    CHECK(decode("TALE_ERR1 %20%09%7B%20%22code%22%20%3A%20%22generic%22%20%7D%0D\nx").code == ErrorCode::generic);
}

TEST_CASE("odd input: lowercase hex escapes are accepted") {
    const DecodedEnvelope d = decode("TALE_ERR1 %7b%22code%22%3a%22generic%22%7d\nx");
    CHECK(d.code == ErrorCode::generic);
    CHECK(d.raw == "x");
}

TEST_CASE("odd input: a raw text with LFs, CRs and envelope lines is kept verbatim") {
    const std::string raw = "line one\r\nTALE_ERR1 %7B%7D\n\nlast";
    const DecodedEnvelope d = decode("TALE_ERR1 %7B%7D\n" + raw);
    CHECK(d.raw == raw);
}

TEST_CASE("odd input: a very long header is decoded as well") {
    const std::string provider(5000, 'p');
    EnvelopeFields f;
    f.provider = provider;
    f.model = std::string(3000, '/');
    const DecodedEnvelope d = decode(encode_envelope(f));
    CHECK(d.provider == provider);
    CHECK(d.model == std::string(3000, '/'));
}

// ---- round trip and robustness ---------------------------------------------------------------

TEST_CASE("decode reads back what encode wrote") {
    EnvelopeFields f;
    f.code = "model_not_entitled";
    f.provider = "Z\xC3\xBCrich AI";
    f.model = "a b+c%d \"q\" \\ \xF0\x9F\x9A\x80";
    f.tried = 2;
    f.raw = "Your plan\r\ndoes not include it";
    f.retry_after_ms = 250;
    const DecodedEnvelope d = decode(encode_envelope(f));
    CHECK(d.code == ErrorCode::model_not_entitled);
    CHECK(d.provider == f.provider);
    CHECK(d.model == f.model);
    CHECK(d.tried_count == 2);
    CHECK(d.raw == f.raw);
    CHECK(d.retry_after_ms == 250);
}

TEST_CASE("decode reads a percent-encoded header and the same header unencoded alike") {
    // The encoded form takes the fast reader where it can, the unencoded one the general reader.
    std::mt19937 rng(5);
    const char* keys[] = {"code", "provider", "model", "tried", "retryAfterMs", "x", "\\u0063ode", "codee"};
    const char* values[] = {"\"generic\"", "\"auth_error\"", "\"\"", "\" \"", "\"RATE_LIMITED\"", "3", "0", "-1", "2.5",
                            "1e400", "1E2", "1e+2", "-0", "01", "1.", "\"3\"", "true", "null", "[]", "{\"a\":1}",
                            "\"a\\\"b\"", "\"Z\xC3\xBCrich\"", "\"x\\u0041\"", "\"\x01\"", "\"model_not_entitled\""};
    for (int round = 0; round < 5000; ++round) {
        std::string header = "{";
        const int members = int(rng() % 5);
        for (int k = 0; k < members; ++k) {
            if (k) header += ",";
            header += std::string("\"") + keys[rng() % std::size(keys)] + "\":" + values[rng() % std::size(values)];
        }
        if (rng() % 10) header += "}";
        const DecodedEnvelope encoded = decode("TALE_ERR1 " + percent_encode(header) + "\nraw");
        const DecodedEnvelope plain = decode("TALE_ERR1 " + header + "\nraw");
        INFO(header);
        CHECK(encoded.code == plain.code);
        CHECK(encoded.provider == plain.provider);
        CHECK(encoded.model == plain.model);
        CHECK(encoded.tried_count == plain.tried_count);
        CHECK(encoded.retry_after_ms == plain.retry_after_ms);
        if (plain.raw != "raw") CHECK(encoded.raw == "TALE_ERR1 " + percent_encode(header) + "\nraw");
        else CHECK(encoded.raw == "raw");
    }
}

TEST_CASE("decode of arbitrary bytes never crashes and never holds an empty string") {
    std::mt19937 rng(3);
    const std::string pieces[] = {"TALE_ERR1 ", "%7B", "%7D", "%22", "code", "provider", "%3A", "%2C", "\n", "\r", "%",
                                  "%E0", "%A4", "{", "}", "\"", ":", ",", "generic", "1", "-", "\xFF", " ", "[", "]"};
    for (int round = 0; round < 20000; ++round) {
        std::string s = round % 2 ? "TALE_ERR1 " : "";
        const int n = int(rng() % 14);
        for (int i = 0; i < n; ++i) s += pieces[rng() % std::size(pieces)];
        const DecodedEnvelope d = decode(s);
        if (d.provider) CHECK(!d.provider->empty());
        if (d.model) CHECK(!d.model->empty());
        if (d.raw) CHECK(!d.raw->empty());
        if (d.tried_count) CHECK((std::isfinite(*d.tried_count) && *d.tried_count > 0));
    }
}

#include "reroute/retry_hint.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

using reroute::Header;
using reroute::retry_after_ms;
using reroute::retry_after_ms_from_text;

namespace {

// Sun, 06 Nov 1994 08:49:37 GMT
constexpr double kRfcExampleMs = 784111777000.0;

std::optional<double> one(std::string_view name, std::string_view value, double now_ms = 0) {
    return retry_after_ms({{name, value}}, now_ms);
}

}  // namespace

TEST_CASE("retry hint: no headers, no hint") {
    CHECK_FALSE(retry_after_ms({}, 0).has_value());
    CHECK_FALSE(one("content-type", "application/json").has_value());
}

TEST_CASE("retry hint: retry-after-ms is milliseconds and may be fractional") {
    CHECK(one("retry-after-ms", "1500") == 1500.0);
    CHECK(one("Retry-After-Ms", " 12.5\t") == 12.5);
    CHECK(one("retry-after-ms", "0") == 0.0);
}

TEST_CASE("retry hint: retry-after delta-seconds, fractional allowed") {
    CHECK(one("Retry-After", "120") == 120000.0);
    CHECK(one("retry-after", "0.5") == 500.0);
    CHECK(one("RETRY-AFTER", "35.414") == 35414.0);
}

TEST_CASE("retry hint: retry-after IMF-fixdate gives date minus now") {
    CHECK(one("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT", kRfcExampleMs - 5000) == 5000.0);
}

TEST_CASE("retry hint: retry-after RFC 850 date") {
    CHECK(one("retry-after", "Sunday, 06-Nov-94 08:49:37 GMT", kRfcExampleMs - 2500) == 2500.0);
}

TEST_CASE("retry hint: RFC 850 two-digit years more than 50 years ahead mean the previous century") {
    // now = 2026-01-01T00:00:00Z; "30" is 2030, "99" would be 2099 (> 2076) so it is 1999.
    const double now = 1767225600000.0;
    CHECK(one("retry-after", "Tuesday, 01-Jan-30 00:00:00 GMT", now) == 1893456000000.0 - now);
    CHECK(one("retry-after", "Friday, 01-Jan-99 00:00:00 GMT", now) == 0.0);  // 1999: in the past
}

TEST_CASE("retry hint: retry-after asctime date, with a space-padded day") {
    CHECK(one("retry-after", "Sun Nov  6 08:49:37 1994", kRfcExampleMs - 1000) == 1000.0);
    CHECK(one("retry-after", "Sun Nov 16 08:49:37 1994", kRfcExampleMs) == 10.0 * 86400000);
}

TEST_CASE("retry hint: a date in the past clamps to 0") {
    CHECK(one("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT", kRfcExampleMs + 60000) == 0.0);
}

TEST_CASE("retry hint: leap day and leap second are dates; February 30th is not") {
    // 2024-02-29T00:00:00Z = 1709164800 s
    CHECK(one("retry-after", "Thu, 29 Feb 2024 00:00:00 GMT", 1709164800000.0 - 1) == 1.0);
    CHECK(one("retry-after", "Sat, 31 Dec 2016 23:59:60 GMT", 1483228799000.0) == 1000.0);
    CHECK_FALSE(one("retry-after", "Fri, 30 Feb 2024 00:00:00 GMT", 0).has_value());
    CHECK_FALSE(one("retry-after", "Thu, 29 Feb 2023 00:00:00 GMT", 0).has_value());
}

TEST_CASE("retry hint: malformed dates are ignored") {
    for (const char* v : {"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Foo 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT extra",
                          "Sun Nov 6 08:49:37 1994", "2026-01-01T00:00:00Z", "Sun,", ""}) {
        CAPTURE(v);
        CHECK_FALSE(one("retry-after", v, kRfcExampleMs).has_value());
    }
}

TEST_CASE("retry hint: a date needs a usable now only for RFC 850's two-digit year") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK_FALSE(one("retry-after", "Sunday, 06-Nov-94 08:49:37 GMT", nan).has_value());
    CHECK_FALSE(one("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT", nan).has_value());
}

TEST_CASE("retry hint: OpenAI reset durations") {
    CHECK(one("x-ratelimit-reset-requests", "1s") == 1000.0);
    CHECK(one("x-ratelimit-reset-requests", "6m0s") == 360000.0);
    CHECK(one("x-ratelimit-reset-tokens", "20ms") == 20.0);
    CHECK(one("x-ratelimit-reset-tokens", "1h2m3.5s") == 3723500.0);
    CHECK(one("x-ratelimit-reset-tokens", "7.66s") == 7660.0);
    CHECK(one("x-ratelimit-reset-tokens", "1500us") == 1.5);
}

TEST_CASE("retry hint: the longest of the two OpenAI reset headers wins") {
    const std::vector<Header> h = {{"x-ratelimit-reset-requests", "2s"}, {"x-ratelimit-reset-tokens", "6m0s"}};
    CHECK(retry_after_ms(h, 0) == 360000.0);
    const std::vector<Header> bad_tokens = {{"x-ratelimit-reset-requests", "2s"}, {"x-ratelimit-reset-tokens", "soon"}};
    CHECK(retry_after_ms(bad_tokens, 0) == 2000.0);
}

TEST_CASE("retry hint: malformed durations are ignored") {
    for (const char* v : {"", "s", "5", "5 s", "-1s", "1x", "1.s", "1m-2s", "1seconds"}) {
        CAPTURE(v);
        CHECK_FALSE(retry_after_ms({{"x-ratelimit-reset-requests", v}, {"content-length", "3"}}, 0).has_value());
    }
}

TEST_CASE("retry hint: x-ratelimit-reset and ratelimit-reset are seconds") {
    CHECK(one("x-ratelimit-reset", "30") == 30000.0);
    CHECK(one("RateLimit-Reset", "2.5") == 2500.0);
    CHECK(retry_after_ms({{"ratelimit-reset", "9"}, {"x-ratelimit-reset", "4"}}, 0) == 4000.0);
}

TEST_CASE("retry hint: precedence retry-after-ms, retry-after, OpenAI durations, reset seconds") {
    const std::vector<Header> all = {{"ratelimit-reset", "1"},
                                     {"x-ratelimit-reset", "2"},
                                     {"x-ratelimit-reset-tokens", "3s"},
                                     {"retry-after", "4"},
                                     {"retry-after-ms", "5"}};
    CHECK(retry_after_ms(all, 0) == 5.0);
    CHECK(retry_after_ms({all.begin(), all.begin() + 4}, 0) == 4000.0);
    CHECK(retry_after_ms({all.begin(), all.begin() + 3}, 0) == 3000.0);
    CHECK(retry_after_ms({all.begin(), all.begin() + 2}, 0) == 2000.0);
    CHECK(retry_after_ms({all.begin(), all.begin() + 1}, 0) == 1000.0);
}

TEST_CASE("retry hint: an invalid source falls through to the next one") {
    CHECK(retry_after_ms({{"retry-after-ms", "soon"}, {"retry-after", "7"}}, 0) == 7000.0);
    CHECK(retry_after_ms({{"retry-after", "-3"}, {"x-ratelimit-reset", "8"}}, 0) == 8000.0);
    CHECK(retry_after_ms({{"retry-after", "later"}, {"x-ratelimit-reset-requests", "1m"}}, 0) == 60000.0);
}

TEST_CASE("retry hint: negative, signed, exponent and non-numeric values are ignored") {
    for (const char* v : {"-1", "+1", "1e3", "1,5", "0x10", "NaN", "Infinity", "1 2", ".", ""}) {
        CAPTURE(v);
        CHECK_FALSE(one("retry-after-ms", v).has_value());
        CHECK_FALSE(one("x-ratelimit-reset", v).has_value());
    }
}

TEST_CASE("retry hint: the first valid duplicate counts") {
    CHECK(retry_after_ms({{"retry-after", "x"}, {"Retry-After", "3"}, {"retry-after", "9"}}, 0) == 3000.0);
}

TEST_CASE("retry hint: absurdly large values are kept as numbers") {
    CHECK(one("retry-after", "99999999999") == 99999999999000.0);
    CHECK(one("x-ratelimit-reset", "1741305600000") == 1741305600000000.0);
    const std::string digits(400, '9');  // overflows a double: not a number any more
    CHECK_FALSE(one("retry-after-ms", digits).has_value());
    const std::string long_fraction = "1." + std::string(5000, '0') + "1";
    CHECK(one("retry-after", long_fraction) == 1000.0);
}

TEST_CASE("retry hint from text: OpenAI 'Please try again in 35.414s'") {
    CHECK(retry_after_ms_from_text(
              "Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29000, "
              "Requested 4192. Please try again in 35.414s. Visit https://platform.openai.com/account/rate-limits") ==
          35414.0);
}

TEST_CASE("retry hint from text: milliseconds and compound durations") {
    CHECK(retry_after_ms_from_text("Please try again in 20ms.") == 20.0);
    CHECK(retry_after_ms_from_text("Please try again in 6m0s.") == 360000.0);
    CHECK(retry_after_ms_from_text("try again in 1m26.4s") == 86400.0);
}

TEST_CASE("retry hint from text: 'retry after 2 seconds' and other unit words") {
    CHECK(retry_after_ms_from_text("Please retry after 2 seconds") == 2000.0);
    CHECK(retry_after_ms_from_text("RETRY AFTER 1 SECOND") == 1000.0);
    CHECK(retry_after_ms_from_text("Please retry in 1.5 minutes") == 90000.0);
    CHECK(retry_after_ms_from_text("try again after 500 milliseconds") == 500.0);
    CHECK(retry_after_ms_from_text("try again in 1 hour") == 3600000.0);
}

TEST_CASE("retry hint from text: Google 'Please retry in' and retryDelay") {
    CHECK(retry_after_ms_from_text("Quota exceeded for metric. Please retry in 34.218967s.") == 34218.967);
    CHECK(retry_after_ms_from_text(R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay": "34s"})") ==
          34000.0);
}

TEST_CASE("retry hint from text: the earliest statement wins") {
    CHECK(retry_after_ms_from_text("retry after 3 seconds, or try again in 9s") == 3000.0);
    CHECK(retry_after_ms_from_text("try again in a moment; retry after 4s") == 4000.0);
}

TEST_CASE("retry hint from text: no number or no unit, no hint") {
    for (const char* s : {"", "Rate limit exceeded", "Please try again in a few minutes.", "try again in 5",
                          "try again in 5 more minutes", "retry after -3s", "Please try again later."}) {
        CAPTURE(s);
        CHECK_FALSE(retry_after_ms_from_text(s).has_value());
    }
}

TEST_CASE("retry hint from text: 1 MiB of near misses stays linear") {
    std::string s;
    while (s.size() < (1u << 20)) s += "retry in retry after try again in   \"\" ";
    CHECK_FALSE(retry_after_ms_from_text(s).has_value());
    CHECK(retry_after_ms_from_text(s + "try again in 2s") == 2000.0);
}

// How long a provider asked us to wait before retrying, read from its response headers or from the
// wording of its error message. Pure: the current time comes in as an argument, dates are parsed
// with integer calendar arithmetic, and nothing here reads a clock or calls libc time functions.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace reroute {

// One response header as the host saw it. Names compare ASCII case-insensitively; the value is
// read after trimming spaces and tabs.
struct Header {
    std::string_view name, value;
};

// The provider's wait, in milliseconds (>= 0, possibly fractional), from the first of these sources
// that holds a valid value:
//   1. `retry-after-ms`: milliseconds, e.g. "1500" or "12.5";
//   2. `retry-after`: delta-seconds ("120", "0.5") or an HTTP-date (IMF-fixdate
//      "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT", asctime
//      "Sun Nov  6 08:49:37 1994"); a date gives date - now_ms, clamped at 0;
//   3. `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens`: OpenAI durations such as "1s",
//      "6m0s", "20ms", "1h2m3.5s"; the longest of those present;
//   4. `x-ratelimit-reset`, then `ratelimit-reset`: delta-seconds.
// A missing, malformed, negative or non-finite value falls through to the next source. Large values
// are returned as they are: capping is the retry planner's job. Duplicate headers: the first valid
// one of a name counts.
std::optional<double> retry_after_ms(const std::vector<Header>& headers, double now_ms);

// The wait stated in an error message, a lower-precedence source than any header: "Please try
// again in 35.414s", "try again in 20ms", "try again in 6m0s", "retry after 2 seconds",
// "Please retry in 1.5 minutes", and Google's `"retryDelay": "34s"`. ASCII case-insensitive; the
// earliest statement in the text that carries a number and a unit wins. nullopt when there is none.
std::optional<double> retry_after_ms_from_text(std::string_view message);

}  // namespace reroute

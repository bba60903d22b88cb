#include "reroute/retry_hint.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "reroute/text.hpp"

namespace reroute {
namespace {

using text::iequals_ascii;

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_ascii_letter(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// ---------------------------------------------------------------------------------------------
// Decimal numbers: "12", "12.5", ".5". Read as mantissa * 10^exp so that "35.414" seconds becomes
// exactly 35414 ms (one correctly rounded operation) instead of 35.414 * 1000.

struct Decimal {
    std::uint64_t mantissa = 0;
    int exp10 = 0;
};

constexpr int kExpLimit = 100000;  // far beyond double's range; keeps the exponent from overflowing

// Reads a decimal at i (digits, then an optional '.' with at least one digit after it; or '.'
// and digits) and advances i past it. nullopt, i unchanged, when no digit is there.
std::optional<Decimal> scan_decimal(std::string_view s, std::size_t& i) {
    Decimal d;
    std::size_t k = i;
    bool any = false, fraction = false;
    for (; k < s.size(); ++k) {
        const char c = s[k];
        if (c == '.' && !fraction && k + 1 < s.size() && is_digit(s[k + 1])) {
            fraction = true;
            continue;
        }
        if (!is_digit(c)) break;
        any = true;
        if (d.mantissa < 100000000000000000ULL) {  // up to 18 significant digits are kept
            d.mantissa = d.mantissa * 10 + std::uint64_t(c - '0');
            if (fraction) d.exp10 = std::max(d.exp10 - 1, -kExpLimit);
        } else if (!fraction) {
            d.exp10 = std::min(d.exp10 + 1, kExpLimit);
        }
    }
    if (!any) return std::nullopt;
    i = k;
    return d;
}

double pow10(int e) {
    static constexpr std::array<double, 23> kExact = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    return e < int(kExact.size()) ? kExact[std::size_t(e)] : std::pow(10.0, e);
}

// The decimal times 10^shift, or nullopt when that is not finite.
std::optional<double> to_double(Decimal d, int shift) {
    if (d.mantissa == 0) return 0.0;
    const int e = d.exp10 + shift;
    const double m = double(d.mantissa);
    const double v = e >= 0 ? m * pow10(e) : m / pow10(-e);
    if (!std::isfinite(v)) return std::nullopt;
    return v;
}

// A whole header value that is one decimal, times 10^shift.
std::optional<double> parse_decimal_value(std::string_view v, int shift) {
    std::size_t i = 0;
    const auto d = scan_decimal(v, i);
    if (!d || i != v.size()) return std::nullopt;
    return to_double(*d, shift);
}

// ---------------------------------------------------------------------------------------------
// Durations: "1s", "6m0s", "20ms", "1h2m3.5s" (OpenAI's reset headers, Go's time.Duration text),
// and in messages also "2 seconds", "1.5 minutes".

struct Unit {
    std::string_view name;
    int shift;         // to milliseconds: value * 10^shift * factor
    double factor;
    bool compact;      // a Go duration unit, which may be followed directly by another component
};
constexpr std::array<Unit, 25> kUnits = {{
    {"h", 3, 3600, true},       {"m", 3, 60, true},         {"s", 3, 1, true},
    {"ms", 0, 1, true},         {"us", -3, 1, true},        {"\xC2\xB5s", -3, 1, true},
    {"\xCE\xBCs", -3, 1, true}, {"ns", -6, 1, true},
    {"hr", 3, 3600, false},     {"hrs", 3, 3600, false},    {"hour", 3, 3600, false},
    {"hours", 3, 3600, false},  {"min", 3, 60, false},      {"mins", 3, 60, false},
    {"minute", 3, 60, false},   {"minutes", 3, 60, false},  {"sec", 3, 1, false},
    {"secs", 3, 1, false},      {"second", 3, 1, false},    {"seconds", 3, 1, false},
    {"msec", 0, 1, false},      {"msecs", 0, 1, false},     {"millisecond", 0, 1, false},
    {"milliseconds", 0, 1, false}, {"millis", 0, 1, false},
}};

const Unit* find_unit(std::string_view word, bool words_allowed) {
    for (const Unit& u : kUnits)
        if ((u.compact || words_allowed) && iequals_ascii(word, u.name)) return &u;
    return nullptr;
}

// The unit word at i: ASCII letters, or the micro sign / Greek mu followed by letters.
std::string_view scan_unit_word(std::string_view s, std::size_t i) {
    std::size_t k = i;
    if (s.substr(k, 2) == "\xC2\xB5" || s.substr(k, 2) == "\xCE\xBC") k += 2;
    while (k < s.size() && is_ascii_letter(s[k])) ++k;
    return s.substr(i, k - i);
}

// Reads a duration at i: one or more `<decimal><unit>` components. In a message (words_allowed)
// a space may separate number and unit and long unit words count, and a compact unit directly
// followed by a digit continues ("1m26.4s"). Advances i; nullopt when no component is there.
std::optional<double> scan_duration(std::string_view s, std::size_t& i, bool words_allowed) {
    double total = 0;
    bool any = false;
    std::size_t k = i;
    while (true) {
        std::size_t after_number = k;
        const auto number = scan_decimal(s, after_number);
        if (!number) break;
        std::size_t unit_at = after_number;
        if (words_allowed)
            while (unit_at < s.size() && s[unit_at] == ' ') ++unit_at;
        const std::string_view word = scan_unit_word(s, unit_at);
        const Unit* unit = find_unit(word, words_allowed);
        if (!unit) break;
        const auto value = to_double(*number, unit->shift);
        if (!value) return std::nullopt;
        total += *value * unit->factor;
        any = true;
        k = unit_at + word.size();
        if (!unit->compact || k >= s.size() || !is_digit(s[k])) break;
    }
    if (!any || !std::isfinite(total)) return std::nullopt;
    i = k;
    return total;
}

std::optional<double> parse_duration_value(std::string_view v) {
    std::size_t i = 0;
    const auto ms = scan_duration(v, i, /*words_allowed=*/false);
    if (!ms || i != v.size()) return std::nullopt;
    return ms;
}

// ---------------------------------------------------------------------------------------------
// HTTP-date (RFC 9110 section 5.6.7), by integer calendar arithmetic.

constexpr std::int64_t kMsPerDay = 86400000;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The Gregorian year that contains the given day since 1970-01-01 (civil_from_days, year only).
constexpr std::int64_t year_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    return static_cast<std::int64_t>(yoe) + era * 400 + (mp >= 10 ? 1 : 0);
}

constexpr bool is_leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDayNames = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                           "Friday", "Saturday", "Sunday"};

// A cursor over the date text; each reader consumes only on success.
struct DateCursor {
    std::string_view s;
    std::size_t i = 0;

    bool eat(char c) {
        if (i < s.size() && s[i] == c) { ++i; return true; }
        return false;
    }
    bool eat(std::string_view word) {
        if (!iequals_ascii(s.substr(i, word.size()), word)) return false;
        i += word.size();
        return true;
    }
    bool digits(int count, int& out) {
        if (s.size() - i < std::size_t(count)) return false;
        int v = 0;
        for (int k = 0; k < count; ++k) {
            if (!is_digit(s[i + std::size_t(k)])) return false;
            v = v * 10 + (s[i + std::size_t(k)] - '0');
        }
        i += std::size_t(count);
        out = v;
        return true;
    }
    std::string_view letters() {
        const std::size_t b = i;
        while (i < s.size() && is_ascii_letter(s[i])) ++i;
        return s.substr(b, i - b);
    }
    unsigned month() {  // 1..12, or 0
        for (std::size_t m = 0; m < kMonths.size(); ++m)
            if (eat(kMonths[m])) return unsigned(m + 1);
        return 0;
    }
    bool time_of_day(int& h, int& m, int& sec) {
        return digits(2, h) && eat(':') && digits(2, m) && eat(':') && digits(2, sec);
    }
    bool done() const { return i == s.size(); }
};

bool is_day_name(std::string_view w) {
    for (std::size_t k = 0; k < kDayNames.size(); ++k)
        if (iequals_ascii(w, kDayNames[k]) || iequals_ascii(w, kLongDayNames[k])) return true;
    return false;
}

// The calendar year of an instant, or nullopt outside JavaScript's Date range.
std::optional<std::int64_t> year_at(double ms) {
    if (!(std::fabs(ms) <= 8.64e15)) return std::nullopt;
    return year_from_days(static_cast<std::int64_t>(std::floor(ms / double(kMsPerDay))));
}

// The instant an HTTP-date names, in ms since the epoch. now_ms is needed only to place RFC 850's
// two-digit year: one that would lie more than 50 years ahead means the century before.
std::optional<double> parse_http_date(std::string_view v, double now_ms) {
    DateCursor c{v};
    if (!is_day_name(c.letters())) return std::nullopt;
    int day = 0, year = 0, h = 0, m = 0, sec = 0;
    unsigned month = 0;
    if (c.eat(',')) {
        if (!c.eat(' ') || !c.digits(2, day)) return std::nullopt;
        if (c.eat(' ')) {  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            if (!(month = c.month()) || !c.eat(' ') || !c.digits(4, year)) return std::nullopt;
        } else if (c.eat('-')) {  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            int yy = 0;
            if (!(month = c.month()) || !c.eat('-') || !c.digits(2, yy)) return std::nullopt;
            const auto now_year = year_at(now_ms);
            if (!now_year) return std::nullopt;
            std::int64_t y = *now_year - *now_year % 100 + yy;
            if (y > *now_year + 50) y -= 100;
            year = int(y);
        } else {
            return std::nullopt;
        }
        if (!c.eat(' ') || !c.time_of_day(h, m, sec) || !c.eat(' ') || !c.eat("GMT")) return std::nullopt;
    } else if (c.eat(' ')) {  // asctime: Sun Nov  6 08:49:37 1994
        if (!(month = c.month()) || !c.eat(' ')) return std::nullopt;
        if (c.eat(' ')) {
            if (!c.digits(1, day)) return std::nullopt;
        } else if (!c.digits(2, day)) {
            return std::nullopt;
        }
        if (!c.eat(' ') || !c.time_of_day(h, m, sec) || !c.eat(' ') || !c.digits(4, year))
            return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (!c.done()) return std::nullopt;
    if (day < 1 || unsigned(day) > days_in_month(year, month) || h > 23 || m > 59 || sec > 60)
        return std::nullopt;
    const std::int64_t days = days_from_civil(year, month, unsigned(day));
    return double(days * kMsPerDay + (std::int64_t(h) * 3600 + m * 60 + sec) * 1000);
}

// ---------------------------------------------------------------------------------------------
// Header sources.

std::string_view trim_ows(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
}

// The first valid reading of header `name`, or nullopt when none is present and valid.
template <typename Read>
std::optional<double> first_valid(const std::vector<Header>& headers, std::string_view name, Read read) {
    for (const Header& h : headers) {
        if (!iequals_ascii(h.name, name)) continue;
        if (const std::optional<double> ms = read(trim_ows(h.value)); ms && *ms >= 0) return ms;
    }
    return std::nullopt;
}

std::optional<double> read_retry_after(std::string_view v, double now_ms) {
    if (const auto seconds = parse_decimal_value(v, 3)) return seconds;
    const auto date = parse_http_date(v, now_ms);
    if (!date) return std::nullopt;
    const double delta = *date - now_ms;
    if (std::isnan(delta)) return std::nullopt;
    return std::max(delta, 0.0);
}

}  // namespace

std::optional<double> retry_after_ms(const std::vector<Header>& headers, double now_ms) {
    const auto milliseconds = [](std::string_view v) { return parse_decimal_value(v, 0); };
    const auto seconds = [](std::string_view v) { return parse_decimal_value(v, 3); };

    if (auto ms = first_valid(headers, "retry-after-ms", milliseconds)) return ms;
    if (auto ms = first_valid(headers, "retry-after", [now_ms](std::string_view v) {
            return read_retry_after(v, now_ms);
        }))
        return ms;
    const auto requests = first_valid(headers, "x-ratelimit-reset-requests", parse_duration_value);
    const auto tokens = first_valid(headers, "x-ratelimit-reset-tokens", parse_duration_value);
    if (requests || tokens) return std::max(requests.value_or(0.0), tokens.value_or(0.0));
    if (auto ms = first_valid(headers, "x-ratelimit-reset", seconds)) return ms;
    return first_valid(headers, "ratelimit-reset", seconds);
}

std::optional<double> retry_after_ms_from_text(std::string_view message) {
    static constexpr std::array<std::string_view, 5> kPhrases = {
        "try again in", "try again after", "retry in", "retry after", "retrydelay"};
    std::string lower(message);
    for (char& ch : lower) ch = text::ascii_lower(ch);
    const std::string_view s(lower);

    std::size_t best_at = std::string_view::npos;
    std::optional<double> best;
    for (const std::string_view phrase : kPhrases) {
        for (std::size_t at = s.find(phrase); at != std::string_view::npos && at < best_at;
             at = s.find(phrase, at + 1)) {
            std::size_t i = at + phrase.size();
            while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '"' || s[i] == '\'' ||
                                    s[i] == ':' || s[i] == '='))
                ++i;
            if (const auto ms = scan_duration(s, i, /*words_allowed=*/true)) {
                best_at = at;
                best = ms;
                break;
            }
        }
    }
    return best;
}

}  // namespace reroute

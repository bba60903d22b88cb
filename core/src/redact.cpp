#include "reroute/redact.hpp"

#include <array>
#include <cstddef>

#include "reroute/text.hpp"

namespace reroute {
namespace {

using text::iequals_ascii;

// The scanner splits the text into runs of [A-Za-z0-9_-] (names, keys, words) and single other
// bytes. Every run is looked at once, from its first byte, so "risk-free" and "task-123" are one
// run each and never show a "sk-" at a run start, and "monkey=" never shows a "key=".
constexpr bool is_run_byte(unsigned char c) noexcept { return text::is_word_byte(c) || c == '-'; }
constexpr bool is_letter(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_blank(unsigned char c) noexcept { return c == ' ' || c == '\t'; }

// A credential outside quotes: printable ASCII up to whitespace, a quote or a delimiter that ends a
// value in URLs, headers, JSON and prose. Stopping at every non-ASCII byte keeps UTF-8 intact.
constexpr bool is_value_byte(unsigned char c) noexcept {
    if (c <= 0x20 || c >= 0x7F) return false;
    switch (c) {
        case '"': case '\'': case '`': case '\\': case '&': case '#': case '<': case '>':
        case ',': case ';': case '|': case '(': case ')': case '[': case ']': case '{': case '}':
            return false;
        default:
            return true;
    }
}
// A provider key, including the asterisks of a masked echo such as "sk-proj-****8d0e".
constexpr bool is_key_byte(unsigned char c) noexcept { return is_run_byte(c) || c == '*'; }

std::size_t skip(std::string_view s, std::size_t i, bool (*pred)(unsigned char) noexcept) {
    while (i < s.size() && pred(static_cast<unsigned char>(s[i]))) ++i;
    return i;
}
constexpr bool is_json_space(unsigned char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool starts_with(std::string_view s, std::size_t i, std::string_view prefix) noexcept {
    return s.size() - i >= prefix.size() && s.substr(i, prefix.size()) == prefix;
}

// Generated, not a (hyphenated) word: 8+ characters with a digit, a capital right after a
// lowercase letter, or a character other than a letter, `-` or `_` ("eyJhbGci", "a1b2c3d4",
// "proj-****8d0e" yes; "authentication", "Rate-Limited", "learning-rate" no).
bool looks_generated(std::string_view token) noexcept {
    if (token.size() < 8) return false;
    for (std::size_t i = 0; i < token.size(); ++i) {
        const auto c = static_cast<unsigned char>(token[i]);
        const bool upper = c >= 'A' && c <= 'Z';
        if (upper && i > 0 && token[i - 1] >= 'a' && token[i - 1] <= 'z') return true;
        if (!is_letter(c) && c != '-' && c != '_') return true;
    }
    return false;
}

// The last one or two `-`/`_`-separated segments of a name.
struct Segments {
    std::string_view last, before_last;
};
Segments tail_segments(std::string_view name) noexcept {
    const auto cut = name.find_last_of("-_");
    if (cut == std::string_view::npos) return {name, {}};
    const std::string_view head = name.substr(0, cut);
    const auto cut2 = head.find_last_of("-_");
    return {name.substr(cut + 1), cut2 == std::string_view::npos ? head : head.substr(cut2 + 1)};
}

// Names whose `=` value or quoted member value is a credential: key=, api_key=, apikey=, token=,
// access_token=, client_secret=, "authorization": ...
bool is_secret_name(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 7> kLast = {
        "key", "apikey", "token", "secret", "password", "signature", "authorization"};
    const std::string_view last = tail_segments(name).last;
    for (const auto candidate : kLast)
        if (iequals_ascii(last, candidate)) return true;
    return false;
}

// Header names whose `name: value` echo is a credential. Narrower than is_secret_name, because
// prose says "token: ..." and "key: ..." all the time.
bool is_secret_header(std::string_view name) noexcept {
    const Segments seg = tail_segments(name);
    return iequals_ascii(seg.last, "authorization") || iequals_ascii(seg.last, "apikey") ||
           (iequals_ascii(seg.last, "key") && iequals_ascii(seg.before_last, "api")) ||
           (iequals_ascii(seg.last, "token") && iequals_ascii(seg.before_last, "auth"));
}

bool is_auth_scheme(std::string_view word) noexcept {
    return iequals_ascii(word, "bearer") || iequals_ascii(word, "basic") ||
           iequals_ascii(word, "token") || iequals_ascii(word, "digest");
}

// The opening quote at i, if any: `\"` (JSON inside a JSON string), `"` or `'`.
std::string_view quote_at(std::string_view s, std::size_t i) noexcept {
    if (i >= s.size()) return {};
    if (s[i] == '"' || s[i] == '\'') return s.substr(i, 1);
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '"') return s.substr(i, 2);
    return {};
}

// Where a quoted value that starts at `from` ends: the index of its closing quote, or the end of
// the line or text when it is unterminated (a truncated body still gets redacted).
std::size_t quoted_value_end(std::string_view s, std::size_t from, std::string_view quote) noexcept {
    std::size_t k = from;
    while (k < s.size() && s[k] != '\n' && s[k] != '\r') {
        if (starts_with(s, k, quote)) return k;
        if (quote == "\"" && s[k] == '\\') k += 2;  // an escape inside a JSON string
        else ++k;
    }
    return k < s.size() ? k : s.size();
}

// Appends the redacted form of the value starting at j and returns where it ends. A quoted value
// is replaced whole; an unquoted one keeps a leading auth scheme ("Bearer ") and loses the rest.
std::size_t redact_value(std::string_view s, std::size_t j, std::string& out) {
    if (const std::string_view quote = quote_at(s, j); !quote.empty()) {
        const std::size_t from = j + quote.size();
        const std::size_t end = quoted_value_end(s, from, quote);
        out += quote;
        if (end > from) out += kRedactedMarker;
        if (end < s.size() && starts_with(s, end, quote)) {
            out += quote;
            return end + quote.size();
        }
        return end;
    }
    const std::size_t word_end = skip(s, j, [](unsigned char c) noexcept { return is_letter(c); });
    const std::size_t after_blank = skip(s, word_end, is_blank);
    if (after_blank > word_end && after_blank < s.size() &&
        is_value_byte(static_cast<unsigned char>(s[after_blank])) &&
        is_auth_scheme(s.substr(j, word_end - j))) {
        out.append(s.substr(j, after_blank - j));
        j = after_blank;
    }
    const std::size_t end = skip(s, j, is_value_byte);
    if (end > j) out += kRedactedMarker;
    return end;
}

// `"api_key": "v"`, `'authorization': 'v'`, `\"token\":\"v\"` starting at the quote at i: appends
// the redacted member and returns where it ends, or returns 0 when this is no such member.
std::size_t redact_quoted_member(std::string_view s, std::size_t i, std::string& out) {
    const std::string_view quote = quote_at(s, i);
    const std::size_t name_begin = i + quote.size();
    const std::size_t name_end = skip(s, name_begin, is_run_byte);
    if (name_end == name_begin || !starts_with(s, name_end, quote)) return 0;
    std::size_t j = skip(s, name_end + quote.size(), is_json_space);
    if (j >= s.size() || s[j] != ':') return 0;
    j = skip(s, j + 1, is_json_space);
    if (quote_at(s, j).empty()) return 0;  // numbers, null, objects: not a credential
    if (!is_secret_name(s.substr(name_begin, name_end - name_begin))) return 0;
    out.append(s.substr(i, j - i));
    return redact_value(s, j, out);
}

struct KeyPrefix {
    std::string_view prefix;  // what starts the key; always kept
    std::size_t min_body;     // characters after the prefix for it to count as a key
    bool body_must_look_generated;  // AIza is marker enough; "sk-" alone is not
};
constexpr std::array<KeyPrefix, 5> kKeyPrefixes = {{
    {"sk-", 8, true},
    {"AIza", 20, false},
    {"xai-", 20, true},
    {"gsk_", 20, true},
    {"pplx-", 20, true},
}};
// Fixed, public parts of sk- keys that are kept to show whose key leaked.
constexpr std::array<std::string_view, 3> kSkSubPrefixes = {"proj-", "ant-", "or-v1-"};

// A run [b, e) whose start is a provider key: appends prefix + marker and returns the key's end;
// returns 0 when the run is no key.
std::size_t redact_key(std::string_view s, std::size_t b, std::string& out) {
    for (const KeyPrefix& kp : kKeyPrefixes) {
        if (!starts_with(s, b, kp.prefix)) continue;
        const std::size_t body = b + kp.prefix.size();
        const std::size_t end = skip(s, body, is_key_byte);
        const std::string_view key_body = s.substr(body, end - body);
        if (key_body.size() < kp.min_body) return 0;
        if (kp.body_must_look_generated && !looks_generated(key_body)) return 0;
        std::size_t kept = body;
        if (kp.prefix == "sk-")
            for (const std::string_view sub : kSkSubPrefixes)
                if (starts_with(s, body, sub)) kept = body + sub.size();
        out.append(s.substr(b, kept - b));
        out += kRedactedMarker;
        return end;
    }
    return 0;
}

// Handles the run [b, e) and whatever secret it introduces; returns where scanning continues.
std::size_t handle_run(std::string_view s, std::size_t b, std::size_t e, std::string& out) {
    if (const std::size_t end = redact_key(s, b, out)) return end;
    const std::string_view run = s.substr(b, e - b);

    if (iequals_ascii(run, "bearer")) {
        const std::size_t token = skip(s, e, is_blank);
        const std::size_t end = skip(s, token, is_value_byte);
        if (token > e && looks_generated(s.substr(token, end - token))) {
            out.append(s.substr(b, token - b));
            out += kRedactedMarker;
            return end;
        }
    }
    if (e < s.size() && s[e] == '=' && is_secret_name(run)) {
        out.append(s.substr(b, e + 1 - b));
        return redact_value(s, e + 1, out);
    }
    if (const std::size_t colon = skip(s, e, is_blank);
        colon < s.size() && s[colon] == ':' && is_secret_header(run)) {
        const std::size_t value = skip(s, colon + 1, is_blank);
        out.append(s.substr(b, value - b));
        return redact_value(s, value, out);
    }
    out.append(run);
    return e;
}

}  // namespace

std::string redact_secrets(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (!quote_at(text, i).empty()) {
            if (const std::size_t end = redact_quoted_member(text, i, out)) {
                i = end;
                continue;
            }
        } else if (is_run_byte(c)) {
            i = handle_run(text, i, skip(text, i, is_run_byte), out);
            continue;
        }
        out += char(c);
        ++i;
    }
    return out;
}

}  // namespace reroute

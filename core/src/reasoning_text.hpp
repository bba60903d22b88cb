// Text conventions of reasoning.md 2.1, private to the reasoning sources: code points (an invalid
// byte is one U+FFFD), the whitespace set, case folding, word characters and lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "reroute/text.hpp"

namespace reroute::reasoning::detail {

inline constexpr char32_t kReplacement = 0xFFFD;

struct CodePoint {
    char32_t cp;
    std::size_t len;  // bytes consumed, >= 1
};

// One code point at byte `pos` (< s.size()). An invalid or truncated sequence consumes one byte
// and reads as U+FFFD.
inline CodePoint next_cp(std::string_view s, std::size_t pos) noexcept {
    const auto b = static_cast<unsigned char>(s[pos]);
    if (b < 0x80) return {b, 1};
    const text::Decoded d = text::decode_utf8(s, pos);
    if (d.len == 1) return {kReplacement, 1};
    return {d.cp, d.len};
}

// Whitespace (2.1): U+0009-U+000D, U+0020, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
// U+202F, U+205F, U+3000, U+FEFF.
inline bool is_space(char32_t cp) noexcept { return text::is_whitespace(cp); }

// Fold case: U+0041-U+005A and U+00C0-U+00DE except U+00D7 map to cp + 0x20.
constexpr char32_t fold(char32_t cp) noexcept {
    if (cp >= 'A' && cp <= 'Z') return cp + 0x20;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;
    return cp;
}

// Word character: ASCII letter or digit, or U+00C0-U+024F other than U+00D7 and U+00F7.
constexpr bool is_word(char32_t cp) noexcept {
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    return cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7;
}

constexpr bool is_ascii_letter(char32_t cp) noexcept { return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'); }
constexpr bool is_ascii_digit(char32_t cp) noexcept { return cp >= '0' && cp <= '9'; }
constexpr char32_t ascii_lower(char32_t cp) noexcept { return (cp >= 'A' && cp <= 'Z') ? cp + 0x20 : cp; }

// Code points in s.
inline std::size_t cp_length(std::string_view s) noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            ++i;
        } else {
            i += next_cp(s, i).len;
        }
        ++n;
    }
    return n;
}

// The byte offset just past the first `count` code points (s.size() when shorter).
inline std::size_t cp_prefix_bytes(std::string_view s, std::size_t count) noexcept {
    std::size_t i = 0;
    for (std::size_t n = 0; n < count && i < s.size(); ++n) i += next_cp(s, i).len;
    return i;
}

// Appends cp as UTF-8 (U+FFFD for an invalid byte, so that the result is always valid UTF-8
// except for encoded lone surrogates, which pass through as they came).
inline void append_cp(std::string& out, char32_t cp) { text::append_utf8(out, cp); }

// Trim with a predicate over code points: from the start, from the end, from both ends.
template <class Pred>
std::string_view trim_start_if(std::string_view s, Pred pred) noexcept {
    std::size_t start = 0;
    while (start < s.size()) {
        const CodePoint c = next_cp(s, start);
        if (!pred(c.cp)) break;
        start += c.len;
    }
    return s.substr(start);
}
template <class Pred>
std::string_view trim_end_if(std::string_view s, Pred pred) noexcept {
    std::size_t end = 0;
    for (std::size_t i = 0; i < s.size();) {
        const CodePoint c = next_cp(s, i);
        i += c.len;
        if (!pred(c.cp)) end = i;
    }
    return s.substr(0, end);
}
template <class Pred>
std::string_view trim_if(std::string_view s, Pred pred) noexcept {
    return trim_end_if(trim_start_if(s, pred), pred);
}

inline std::string_view trim(std::string_view s) noexcept { return trim_if(s, is_space); }

// Calls f(line) for every line: the text split at U+000A, one U+000D at the end of a line dropped.
// f returns false to stop.
template <class F>
void for_each_line(std::string_view s, F&& f) {
    std::size_t start = 0;
    for (;;) {
        const std::size_t nl = s.find('\n', start);
        std::string_view line = s.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!f(line)) return;
        if (nl == std::string_view::npos) return;
        start = nl + 1;
    }
}

// ASCII-lowercased copy (other bytes unchanged).
inline std::string ascii_lowered(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

}  // namespace reroute::reasoning::detail

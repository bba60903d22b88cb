// Text primitives shared by every module. Strings are UTF-8 in memory, but the contract counts
// UTF-16 code units (as JavaScript does), so lengths and "one character" go through these helpers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace reroute::text {

// One decoded code point and how many bytes it used (shortest forms only, at most U+10FFFF).
// Invalid bytes decode as themselves (a code point equal to the byte, length 1) so that scanning
// never stalls and never reads past the end.
// A 3-byte encoded surrogate (what JavaScript hands over for a lone surrogate) decodes as that unit.
struct Decoded {
    char32_t cp;
    std::size_t len;
    // False for an invalid byte (decoded as itself); a surrogate's 3-byte form counts as valid.
    constexpr bool valid() const noexcept { return cp < 0x80 || len > 1; }
};
Decoded decode_utf8(std::string_view s, std::size_t pos) noexcept;

// UTF-16 code units of one code point: 2 above U+FFFF, else 1.
constexpr std::size_t utf16_units(char32_t cp) noexcept { return cp > 0xFFFF ? 2 : 1; }
std::size_t utf16_length(std::string_view s) noexcept;

void append_utf8(std::string& out, char32_t cp);

// The contract's whitespace set W (chat-errors.md section 1).
bool is_whitespace(char32_t cp) noexcept;
// Line terminators: LF, CR, U+2028, U+2029.
bool is_line_terminator(char32_t cp) noexcept;
// ASCII word characters A-Z a-z 0-9 _ ; every other unit (all non-ASCII) is a non-word character.
constexpr bool is_word_byte(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }

// Trim W from both ends / from the front.
std::string_view trim(std::string_view s) noexcept;
std::string_view trim_start(std::string_view s) noexcept;

// JavaScript toLowerCase, as far as matching ASCII patterns can tell (chat-errors.md 3.1):
// ASCII A-Z, U+212A KELVIN SIGN -> "k", U+0130 -> "i" U+0307. Everything else is copied.
void lowercase_for_matching(std::string_view s, std::string& out);
std::string lowercase_for_matching(std::string_view s);

bool iequals_ascii(std::string_view a, std::string_view b) noexcept;
bool contains(std::string_view haystack, std::string_view needle) noexcept;

}  // namespace reroute::text

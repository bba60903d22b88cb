#include "reroute/text.hpp"

namespace reroute::text {

Decoded decode_utf8(std::string_view s, std::size_t pos) noexcept {
    const auto b0 = static_cast<unsigned char>(s[pos]);
    if (b0 < 0x80) return {b0, 1};
    std::size_t need;
    char32_t cp;
    if ((b0 & 0xE0) == 0xC0) { need = 1; cp = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { need = 2; cp = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { need = 3; cp = b0 & 0x07; }
    else return {b0, 1};
    if (pos + need >= s.size()) return {b0, 1};
    for (std::size_t i = 1; i <= need; ++i) {
        const auto b = static_cast<unsigned char>(s[pos + i]);
        if ((b & 0xC0) != 0x80) return {b0, 1};
        cp = (cp << 6) | (b & 0x3F);
    }
    // Overlong forms (C0 8A would otherwise read as a line feed) and values past U+10FFFF are
    // invalid too.
    constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[need] || cp > 0x10FFFF) return {b0, 1};
    return {cp, need + 1};
}

std::size_t utf16_length(std::string_view s) noexcept {
    std::size_t units = 0;
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) { ++units; ++i; continue; }
        const Decoded d = decode_utf8(s, i);
        units += utf16_units(d.cp);
        i += d.len;
    }
    return units;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        const char b[2] = {char(0xC0 | (cp >> 6)), char(0x80 | (cp & 0x3F))};
        out.append(b, 2);
    } else if (cp < 0x10000) {
        const char b[3] = {char(0xE0 | (cp >> 12)), char(0x80 | ((cp >> 6) & 0x3F)), char(0x80 | (cp & 0x3F))};
        out.append(b, 3);
    } else {
        const char b[4] = {char(0xF0 | (cp >> 18)), char(0x80 | ((cp >> 12) & 0x3F)),
                           char(0x80 | ((cp >> 6) & 0x3F)), char(0x80 | (cp & 0x3F))};
        out.append(b, 4);
    }
}

bool is_whitespace(char32_t cp) noexcept {
    if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    switch (cp) {
        case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
        case 0x3000: case 0xFEFF:
            return true;
        default:
            return cp >= 0x2000 && cp <= 0x200A;
    }
}

bool is_line_terminator(char32_t cp) noexcept {
    return cp == 0x0A || cp == 0x0D || cp == 0x2028 || cp == 0x2029;
}

std::string_view trim_start(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const Decoded d = decode_utf8(s, i);
        if (!is_whitespace(d.cp)) break;
        i += d.len;
    }
    return s.substr(i);
}

std::string_view trim(std::string_view s) noexcept {
    s = trim_start(s);
    // Scan forward, remembering where the last non-whitespace code point ended.
    std::size_t end = 0;
    for (std::size_t i = 0; i < s.size();) {
        const Decoded d = decode_utf8(s, i);
        i += d.len;
        if (!is_whitespace(d.cp)) end = i;
    }
    return s.substr(0, end);
}

void lowercase_for_matching(std::string_view s, std::string& out) {
    out.clear();
    out.reserve(s.size() + 8);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += ascii_lower(char(c));
        } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x84 &&
                   static_cast<unsigned char>(s[i + 2]) == 0xAA) {
            out += 'k';  // U+212A KELVIN SIGN
            i += 2;
        } else if (c == 0xC4 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xB0) {
            out += "i\xCC\x87";  // U+0130 -> i U+0307
            i += 1;
        } else {
            out += char(c);
        }
    }
}

std::string lowercase_for_matching(std::string_view s) {
    std::string out;
    lowercase_for_matching(s, out);
    return out;
}

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

bool contains(std::string_view haystack, std::string_view needle) noexcept {
    return haystack.find(needle) != std::string_view::npos;
}

}  // namespace reroute::text

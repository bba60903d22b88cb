#include "reroute/envelope.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "reroute/json.hpp"
#include "reroute/text.hpp"

namespace reroute {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

// encodeURIComponent's unreserved set: A-Z a-z 0-9 - _ . ! ~ * ' ( )
constexpr bool is_unreserved(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '!' || c == '~' || c == '*' || c == '\'' || c == '(' || c == ')';
}

struct UnreservedTable {
    bool keep[256] = {};
    constexpr UnreservedTable() {
        for (int c = 0; c < 128; ++c) keep[c] = is_unreserved(static_cast<unsigned char>(c));
    }
};
constexpr UnreservedTable kUnreserved;


void put_escaped_byte(std::string& out, unsigned char b) {
    const char esc[3] = {'%', kUpperHex[b >> 4], kUpperHex[b & 0xF]};
    out.append(esc, 3);
}

void put_escaped_scalar(std::string& out, char32_t cp) {
    if (cp < 0x800) {
        put_escaped_byte(out, static_cast<unsigned char>(0xC0 | (cp >> 6)));
    } else if (cp < 0x10000) {
        put_escaped_byte(out, static_cast<unsigned char>(0xE0 | (cp >> 12)));
        put_escaped_byte(out, static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F)));
    } else {
        put_escaped_byte(out, static_cast<unsigned char>(0xF0 | (cp >> 18)));
        put_escaped_byte(out, static_cast<unsigned char>(0x80 | ((cp >> 12) & 0x3F)));
        put_escaped_byte(out, static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F)));
    }
    put_escaped_byte(out, static_cast<unsigned char>(0x80 | (cp & 0x3F)));
}

struct HexTable {
    signed char value[256] = {};
    constexpr HexTable() {
        for (int c = 0; c < 256; ++c) value[c] = -1;
        for (int c = 0; c < 10; ++c) value['0' + c] = static_cast<signed char>(c);
        for (int c = 0; c < 6; ++c) {
            value['a' + c] = static_cast<signed char>(10 + c);
            value['A' + c] = static_cast<signed char>(10 + c);
        }
    }
};
constexpr HexTable kHex;

// The byte of "%XX" at text[i], or -1.
inline int escaped_byte(std::string_view text, std::size_t i) noexcept {
    if (text.size() - i < 3 || text[i] != '%') return -1;
    const int hi = kHex.value[static_cast<unsigned char>(text[i + 1])];
    const int lo = kHex.value[static_cast<unsigned char>(text[i + 2])];
    if ((hi | lo) < 0) return -1;
    return hi * 16 + lo;
}

constexpr std::size_t kDecodeFailed = std::size_t(-1);

// decodeURIComponent into out, which has room for text.size() bytes (decoding never grows text).
// Returns the decoded length, or kDecodeFailed.
std::size_t percent_decode_to(std::string_view text, char* out) noexcept {
    std::size_t n = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] != '%') {
            std::size_t j = i + 1;
            while (j < text.size() && text[j] != '%') ++j;
            std::memcpy(out + n, text.data() + i, j - i);
            n += j - i;
            i = j;
            continue;
        }
        const int b0 = escaped_byte(text, i);
        if (b0 < 0) return kDecodeFailed;
        i += 3;
        if (b0 < 0x80) {
            out[n++] = char(b0);
            continue;
        }
        std::size_t need;
        char32_t cp;
        char32_t min;
        if ((b0 & 0xE0) == 0xC0) { need = 1; cp = char32_t(b0 & 0x1F); min = 0x80; }
        else if ((b0 & 0xF0) == 0xE0) { need = 2; cp = char32_t(b0 & 0x0F); min = 0x800; }
        else if ((b0 & 0xF8) == 0xF0) { need = 3; cp = char32_t(b0 & 0x07); min = 0x10000; }
        else return kDecodeFailed;  // a continuation byte or 11111xxx cannot start a character
        out[n] = char(b0);
        for (std::size_t k = 1; k <= need; ++k) {
            const int b = escaped_byte(text, i);
            if (b < 0 || (b & 0xC0) != 0x80) return kDecodeFailed;
            out[n + k] = char(b);
            cp = (cp << 6) | char32_t(b & 0x3F);
            i += 3;
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kDecodeFailed;
        n += need + 1;
    }
    return n;
}

// The header members a reader takes (6.4 step 7, plus the reroute extra). Each occurrence of a
// member sets or clears its field, so the last occurrence wins, as in JSON.parse.
enum class Member { code, provider, model, tried, retry_after_ms, other };

Member member_of(std::string_view key) noexcept {
    if (key == "code") return Member::code;
    if (key == "provider") return Member::provider;
    if (key == "model") return Member::model;
    if (key == "tried") return Member::tried;
    if (key == "retryAfterMs") return Member::retry_after_ms;
    return Member::other;
}

void apply_string(DecodedEnvelope& d, Member m, std::string_view s) {
    switch (m) {
        case Member::code: d.code = parse_error_code(s); break;
        case Member::provider: d.provider = s.empty() ? std::nullopt : std::optional<std::string>(s); break;
        case Member::model: d.model = s.empty() ? std::nullopt : std::optional<std::string>(s); break;
        case Member::tried: d.tried_count.reset(); break;
        case Member::retry_after_ms: d.retry_after_ms.reset(); break;
        case Member::other: break;
    }
}

void apply_number(DecodedEnvelope& d, Member m, double n) {
    switch (m) {
        case Member::code: d.code.reset(); break;
        case Member::provider: d.provider.reset(); break;
        case Member::model: d.model.reset(); break;
        case Member::tried:
            if (std::isfinite(n) && n > 0) d.tried_count = n;
            else d.tried_count.reset();
            break;
        case Member::retry_after_ms:
            if (std::isfinite(n) && n >= 0) d.retry_after_ms = n;
            else d.retry_after_ms.reset();
            break;
        case Member::other: break;
    }
}

// null, a boolean, an object or an array: no member takes it.
void apply_other(DecodedEnvelope& d, Member m) {
    switch (m) {
        case Member::code: d.code.reset(); break;
        case Member::provider: d.provider.reset(); break;
        case Member::model: d.model.reset(); break;
        case Member::tried: d.tried_count.reset(); break;
        case Member::retry_after_ms: d.retry_after_ms.reset(); break;
        case Member::other: break;
    }
}

// The general reader: percent-decode the header (on the stack when it is small), then read it
// with the lean JSON pass. False where 6.4 steps 4-6 give up.
bool read_header(std::string_view encoded, DecodedEnvelope& d) {
    char small[512];
    std::string large;
    char* buffer = small;
    if (encoded.size() > sizeof small) {
        large.resize(encoded.size());
        buffer = large.data();
    }
    const std::size_t header_size = percent_decode_to(encoded, buffer);
    if (header_size == kDecodeFailed) return false;
    const std::string_view header(buffer, header_size);

    const std::optional<json::Kind> kind = json::scan(header, [&](std::string_view key, std::string_view value_text) {
        const Member m = member_of(key);
        if (m == Member::other) return;
        const std::optional<json::Value> v = json::parse(value_text);  // scalars only build a scalar
        if (!v) return;  // cannot happen: scan hands over valid texts
        if (v->is_string()) apply_string(d, m, v->string);
        else if (v->is_number()) apply_number(d, m, v->number);
        else apply_other(d, m);
    });
    // null, a number, a string or a boolean is no header; an array is one with no members.
    return kind && (*kind == json::Kind::object || *kind == json::Kind::array);
}

// The fast reader for the header as writers produce it: a percent-encoded object without
// whitespace whose keys and string values are printable ASCII without backslashes, and whose
// values are strings or numbers, every JSON punctuation character escaped. It reads straight from
// the encoded text and gives exactly what read_header gives; on anything else it returns false
// and read_header takes over.
bool read_plain_header(std::string_view e, DecodedEnvelope& d) {
    char text[512];  // the current key or value, decoded; decoding never grows the text
    if (e.size() > sizeof text) return false;
    std::size_t i = 0;
    const auto escape = [&]() -> int {  // the byte of the %XX at i, or -1
        const int b = escaped_byte(e, i);
        if (b >= 0) i += 3;
        return b;
    };
    // After an opening quote: the string's text, up to its closing quote (an escape as well).
    const auto read_string = [&](std::size_t& len) {
        len = 0;
        for (;;) {
            while (i < e.size() && kUnreserved.keep[static_cast<unsigned char>(e[i])]) text[len++] = e[i++];
            const int b = escape();
            if (b == '"') return true;
            if (b < 0x20 || b > 0x7E || b == '\\') return false;  // -1 too: a raw character
            text[len++] = char(b);
        }
    };
    const auto is_number_char = [](char c) {
        return (c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'e' || c == 'E';
    };

    if (escape() != '{') return false;
    int c = escape();
    if (c == '}') return i == e.size();
    for (;;) {
        std::size_t len;
        if (c != '"' || !read_string(len)) return false;
        const Member m = member_of(std::string_view(text, len));
        if (escape() != ':') return false;
        if (i < e.size() && e[i] == '%') {
            if (escape() != '"' || !read_string(len)) return false;
            apply_string(d, m, std::string_view(text, len));
        } else {
            len = 0;
            for (;;) {
                while (i < e.size() && is_number_char(e[i])) text[len++] = e[i++];
                if (escaped_byte(e, i) != '+') break;
                text[len++] = '+';
                i += 3;
            }
            if (len == 0) return false;
            if (len <= 15 && (len == 1 || text[0] != '0') &&
                std::all_of(text, text + len, [](char ch) { return ch >= '0' && ch <= '9'; })) {
                double n = 0;  // a plain integer below 10^15: exact
                for (std::size_t k = 0; k < len; ++k) n = n * 10 + (text[k] - '0');
                apply_number(d, m, n);
            } else {
                const std::optional<json::Value> v = json::parse(std::string_view(text, len));
                if (!v || !v->is_number()) return false;
                apply_number(d, m, v->number);
            }
        }
        c = escape();
        if (c == '}') return i == e.size();
        if (c != ',') return false;
        c = escape();
    }
}

// What one ASCII byte of a header string value becomes once JSON-quoted (6.2) and then
// percent-encoded (6.3). Empty: the byte itself.
struct QuotedAsciiTable {
    char text[128][7] = {};
    constexpr QuotedAsciiTable() {
        for (int c = 0; c < 128; ++c) {
            char* t = text[c];
            const auto escape = [&](char e) {
                t[0] = '%', t[1] = '5', t[2] = 'C', t[3] = e;  // "\" + e
            };
            if (c == '"') t[0] = '%', t[1] = '5', t[2] = 'C', t[3] = '%', t[4] = '2', t[5] = '2';
            else if (c == '\\') t[0] = '%', t[1] = '5', t[2] = 'C', t[3] = '%', t[4] = '5', t[5] = 'C';
            else if (c == '\b') escape('b');
            else if (c == '\f') escape('f');
            else if (c == '\n') escape('n');
            else if (c == '\r') escape('r');
            else if (c == '\t') escape('t');
            else if (c < 0x20) {  // "\u00xx", lowercase hex: the hex digits need no escape
                escape('u');
                t[4] = '0', t[5] = '0';
                // the two hex digits are appended by the caller
            } else if (!is_unreserved(static_cast<unsigned char>(c))) {
                t[0] = '%', t[1] = kUpperHex[c >> 4], t[2] = kUpperHex[c & 0xF];
            }
        }
    }
};
constexpr QuotedAsciiTable kQuotedAscii;
constexpr char kLowerHex[] = "0123456789abcdef";

// A cursor into a buffer sized in advance for the worst case: appending through std::string
// costs a call per piece in WebAssembly (libc++ is prebuilt without inlining there).
struct Cursor {
    char* at;
    void put(std::string_view s) noexcept {
        std::memcpy(at, s.data(), s.size());
        at += s.size();
    }
    void put(char c) noexcept { *at++ = c; }
    void put_escaped_byte(unsigned char b) noexcept {
        at[0] = '%';
        at[1] = kUpperHex[b >> 4];
        at[2] = kUpperHex[b & 0xF];
        at += 3;
    }
};

// Output bytes one input byte of a header string can become at most: "\u00xx" encoded is
// "%5Cu00xx" (8), an invalid byte becomes U+FFFD, "%EF%BF%BD" (9).
constexpr std::size_t kMaxEncodedPerByte = 9;

// JSON.stringify(value) then encodeURIComponent, in one pass.
void put_quoted_encoded(Cursor& out, std::string_view value) {
    out.put("%22");
    std::size_t i = 0;
    while (i < value.size()) {
        std::size_t j = i;
        while (j < value.size() && kUnreserved.keep[static_cast<unsigned char>(value[j])]) ++j;
        out.put(value.substr(i, j - i));
        i = j;
        if (i >= value.size()) break;
        const auto b = static_cast<unsigned char>(value[i]);
        if (b < 0x80) {
            out.put(std::string_view(kQuotedAscii.text[b]));
            if (b < 0x20 && kQuotedAscii.text[b][3] == 'u') {
                out.put(kLowerHex[b >> 4]);
                out.put(kLowerHex[b & 0xF]);
            }
            ++i;
            continue;
        }
        const text::Decoded u = text::decode_utf8(value, i);
        if (u.valid() && (u.cp < 0xD800 || u.cp > 0xDFFF)) {
            for (std::size_t k = 0; k < u.len; ++k) out.put_escaped_byte(static_cast<unsigned char>(value[i + k]));
            i += u.len;
            continue;
        }
        // A surrogate form or an invalid byte: as json::write_string writes it (a pair of 3-byte
        // halves joined, a lone surrogate as \uXXXX, an invalid byte as U+FFFD), then encoded.
        std::size_t len = u.len;
        if (u.valid() && u.cp <= 0xDBFF && i + 3 < value.size()) {
            const text::Decoded low = text::decode_utf8(value, i + 3);
            if (low.valid() && low.cp >= 0xDC00 && low.cp <= 0xDFFF) len = 6;
        }
        std::string quoted;
        json::write_string(quoted, value.substr(i, len));
        out.put(percent_encode(std::string_view(quoted).substr(1, quoted.size() - 2)));
        i += len;
    }
    out.put("%22");
}

// Number#toString, encoded: only the "+" of an exponent needs an escape.
void put_number_encoded(Cursor& out, double value) {
    std::string text;
    json::write_number(text, value);
    for (const char c : text) {
        if (c == '+') out.put("%2B");
        else out.put(c);
    }
}

// The percent-encoded '{' or ',' and the percent-encoded quoted key and colon.
void put_member_key(Cursor& out, bool& first, std::string_view encoded_key_and_colon) {
    out.put(first ? "%7B" : "%2C");
    first = false;
    out.put(encoded_key_and_colon);
}

}  // namespace

void percent_encode(std::string& out, std::string_view utf8) {
    out.reserve(out.size() + utf8.size() + utf8.size() / 2);
    std::size_t i = 0;
    while (i < utf8.size()) {
        std::size_t j = i;
        while (j < utf8.size() && kUnreserved.keep[static_cast<unsigned char>(utf8[j])]) ++j;
        out.append(utf8.data() + i, j - i);
        i = j;
        if (i >= utf8.size()) break;
        const auto b = static_cast<unsigned char>(utf8[i]);
        if (b < 0x80) {
            put_escaped_byte(out, b);
            ++i;
            continue;
        }
        const text::Decoded u = text::decode_utf8(utf8, i);
        if (u.valid() && u.cp >= 0xD800 && u.cp <= 0xDBFF && i + 3 < utf8.size()) {
            const text::Decoded low = text::decode_utf8(utf8, i + 3);
            if (low.valid() && low.cp >= 0xDC00 && low.cp <= 0xDFFF) {
                // Two 3-byte halves of one pair: one character in JavaScript.
                put_escaped_scalar(out, 0x10000 + ((u.cp - 0xD800) << 10) + (low.cp - 0xDC00));
                i += 6;
                continue;
            }
        }
        if (!u.valid() || (u.cp >= 0xD800 && u.cp <= 0xDFFF)) {
            out += "%EF%BF%BD";  // U+FFFD where JavaScript would throw
        } else {
            for (std::size_t k = 0; k < u.len; ++k) put_escaped_byte(out, static_cast<unsigned char>(utf8[i + k]));
        }
        i += u.len;
    }
}

std::string percent_encode(std::string_view utf8) {
    std::string out;
    percent_encode(out, utf8);
    return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out(text.size(), '\0');
    const std::size_t n = percent_decode_to(text, out.data());
    if (n == kDecodeFailed) return std::nullopt;
    out.resize(n);
    return out;
}

std::string encode_envelope(const EnvelopeFields& f) {
    std::string out;
    encode_envelope(f, out);
    return out;
}

void encode_envelope(const EnvelopeFields& f, std::string& out) {
    // The header is written already percent-encoded: JSON.stringify and encodeURIComponent fused,
    // into a buffer sized for the worst case and trimmed once at the end.
    const std::size_t names = (f.code ? f.code->size() : 0) + (f.provider ? f.provider->size() : 0) +
                              (f.model ? f.model->size() : 0);
    const std::size_t raw_size = f.raw ? f.raw->size() : 0;
    constexpr std::size_t kFixed = 256;  // keys, braces, commas, quotes and two numbers, encoded
    out.resize(kEnvelopePrefix.size() + kFixed + names * kMaxEncodedPerByte + 1 + raw_size);
    Cursor c{out.data()};
    c.put(kEnvelopePrefix);
    bool first = true;
    if (f.code) {
        put_member_key(c, first, "%22code%22%3A");
        put_quoted_encoded(c, *f.code);
    }
    if (f.provider) {
        put_member_key(c, first, "%22provider%22%3A");
        put_quoted_encoded(c, *f.provider);
    }
    if (f.model) {
        put_member_key(c, first, "%22model%22%3A");
        put_quoted_encoded(c, *f.model);
    }
    if (f.tried) {
        put_member_key(c, first, "%22tried%22%3A");
        put_number_encoded(c, *f.tried);
    }
    if (f.retry_after_ms) {
        put_member_key(c, first, "%22retryAfterMs%22%3A");
        put_number_encoded(c, *f.retry_after_ms);
    }
    c.put(first ? "%7B%7D" : "%7D");
    c.put('\n');
    if (f.raw) c.put(*f.raw);
    out.resize(static_cast<std::size_t>(c.at - out.data()));
}

DecodedEnvelope decode_envelope(std::optional<std::string_view> stored) {
    DecodedEnvelope d;
    if (!stored || stored->empty()) return d;
    const std::string_view value = *stored;

    // Only LF splits; a CR stays in the first line (where it is JSON whitespace) or in the tail.
    const std::size_t lf = value.find('\n');
    const std::string_view first_line = value.substr(0, lf);
    const std::string_view tail = lf == std::string_view::npos ? std::string_view() : value.substr(lf + 1);

    const auto whole_as_raw = [&] {
        DecodedEnvelope r;
        r.raw = std::string(value);
        return r;
    };
    if (first_line.substr(0, kEnvelopePrefix.size()) != kEnvelopePrefix) return whole_as_raw();

    const std::string_view encoded = first_line.substr(kEnvelopePrefix.size());
    if (!read_plain_header(encoded, d)) {
        d = DecodedEnvelope();
        if (!read_header(encoded, d)) return whole_as_raw();
    }
    if (!tail.empty()) d.raw = std::string(tail);
    return d;
}

}  // namespace reroute

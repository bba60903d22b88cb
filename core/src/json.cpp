#include "reroute/json.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>

#include "reroute/text.hpp"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

// WebAssembly: Emscripten's libc++ has no floating-point to_chars or from_chars, and printf plus
// strtod would be a large share of the module. The host's Number reads and writes numbers
// correctly rounded, and its toExponential() gives the shortest digits that read back, which are
// the digits of the Number#toString this writer promises.
#if defined(__EMSCRIPTEN__) && !defined(REROUTE_JSON_NO_HOST_NUMBERS)
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>
#define REROUTE_JSON_HOST_NUMBERS 1
// value.toExponential() as ASCII at `out` (at most 25 bytes); returns its length.
EM_JS(std::size_t, rr_host_number_exponential, (double value, char* out), {
    var text = value.toExponential();
    for (var i = 0; i < text.length; i++) HEAPU8[out + i] = text.charCodeAt(i);
    return text.length;
});
// Number() of the JSON number text at `text` (ASCII, `length` bytes).
EM_JS(double, rr_host_number_parse, (const char* text, std::size_t length), {
    var s = "";
    for (var i = 0; i < length; i++) s += String.fromCharCode(HEAPU8[text + i]);
    return Number(s);
});
#endif

namespace reroute::json {
namespace {

// ---------------------------------------------------------------------------------------------
// UTF-8 scanning shared by the reader and the writer.
//
// Strings hold UTF-8 as JavaScript hosts hand it over: a lone surrogate arrives as its 3-byte
// form (ED A0..BF xx), so that form is kept as one unit. Anything else that is not the shortest
// UTF-8 form of a scalar value (stray continuation bytes, overlong forms, truncated sequences,
// values above U+10FFFF) is invalid and never copied to output.

constexpr bool is_high_surrogate(char32_t cp) noexcept { return cp >= 0xD800 && cp <= 0xDBFF; }
constexpr bool is_low_surrogate(char32_t cp) noexcept { return cp >= 0xDC00 && cp <= 0xDFFF; }

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Where the run of plain bytes that starts at s[i] ends: bytes a string literal holds as they are
// (not '"', '\\', a control character or a non-ASCII byte). Eight bytes per step, in 64-bit words:
// long strings are most of a chat body.
std::size_t plain_run_end(std::string_view s, std::size_t i) noexcept {
#if defined(__wasm_simd128__)
    // Sixteen bytes per step where the module is built with SIMD.
    const v128_t quote = wasm_i8x16_splat('"'), backslash = wasm_i8x16_splat('\\'), space = wasm_i8x16_splat(0x20);
    for (; i + 16 <= s.size(); i += 16) {
        const v128_t v = wasm_v128_load(s.data() + i);
        // Unsigned v < 0x20 catches control bytes; a set high bit (signed v < 0) non-ASCII ones.
        const v128_t special = wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(v, quote), wasm_i8x16_eq(v, backslash)),
                                            wasm_v128_or(wasm_u8x16_lt(v, space), wasm_i8x16_lt(v, wasm_i8x16_splat(0))));
        const auto mask = static_cast<std::uint32_t>(wasm_i8x16_bitmask(special));
        if (mask != 0) return i + static_cast<std::size_t>(std::countr_zero(mask));
    }
#endif
    constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    // High bit of each byte that is zero (exact for the lowest such byte, which is all we use).
    const auto zero_bytes = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t v;
        std::memcpy(&v, s.data() + i, sizeof v);
        const std::uint64_t special = zero_bytes(v ^ (kOnes * '"')) | zero_bytes(v ^ (kOnes * '\\')) |
                                      ((v - kOnes * 0x20) & ~v & kHigh) | (v & kHigh);
        if (special != 0) return i + static_cast<std::size_t>(std::countr_zero(special)) / 8;  // little-endian
    }
    for (; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b == '"' || b == '\\' || b < 0x20 || b >= 0x80) break;
    }
    return i;
}

// ---------------------------------------------------------------------------------------------
// Reader.

constexpr bool is_json_ws(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Clinger's fast path over a valid JSON number: with at most 19 significant digits forming a
// mantissa m <= 2^53 and a decimal exponent |e| <= 22, m and 10^e are exact doubles and one
// correctly rounded multiplication or division gives the correctly rounded value. false when the
// number needs the general conversion.
bool fast_double(const char* p, const char* last, double& out) noexcept {
    static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const bool negative = *p == '-';
    if (negative) ++p;
    std::uint64_t m = 0;
    int digits = 0;    // significant digits in m
    int exp10 = 0;
    for (; p < last && is_digit(*p); ++p) {
        if (digits >= 19) return false;
        m = m * 10 + static_cast<unsigned>(*p - '0');
        if (m != 0) ++digits;
    }
    if (p < last && *p == '.') {
        for (++p; p < last && is_digit(*p); ++p) {
            if (digits >= 19) {
                if (*p != '0') return false;
                continue;  // a trailing zero of the fraction changes nothing
            }
            m = m * 10 + static_cast<unsigned>(*p - '0');
            --exp10;
            if (m != 0) ++digits;
        }
    }
    if (p < last) {  // 'e' or 'E'
        ++p;
        const bool minus = *p == '-';
        if (*p == '+' || *p == '-') ++p;
        int e = 0;
        for (; p < last; ++p) e = e < 100000 ? e * 10 + (*p - '0') : e;
        exp10 += minus ? -e : e;
    }
    double v;
    if (m == 0) {
        v = 0;
    } else {
        if (m > (std::uint64_t{1} << 53) || exp10 < -22 || exp10 > 22) return false;
        v = static_cast<double>(m);
        v = exp10 < 0 ? v / kPow10[-exp10] : v * kPow10[exp10];
    }
    out = negative ? -v : v;
    return true;
}

double to_double(const char* first, const char* last) {
#if defined(REROUTE_JSON_HOST_NUMBERS)
    return rr_host_number_parse(first, static_cast<std::size_t>(last - first));
#else
#if defined(__cpp_lib_to_chars) && !defined(REROUTE_JSON_NO_TO_CHARS)
    double value = 0;
    const auto r = std::from_chars(first, last, value);
    if (r.ec == std::errc() && r.ptr == last) return value;
    // Out of range: from_chars leaves the value alone; strtod gives +/-inf or the underflow result.
#endif
    char small[64];
    std::string large;
    const char* z;
    const auto n = static_cast<std::size_t>(last - first);
    if (n < sizeof small) {
        std::memcpy(small, first, n);
        small[n] = '\0';
        z = small;
    } else {
        large.assign(first, n);
        z = large.c_str();
    }
    return std::strtod(z, nullptr);
#endif
}

using Code = ParseError::Code;

class Reader {
public:
    explicit Reader(std::string_view text) noexcept : s_(text) {}
    Reader(std::string_view text, const ParseOptions& options, ParseError* error) noexcept
        : s_(text), max_depth_(options.max_depth < kMaxDepth ? options.max_depth : kMaxDepth),
          strict_(options.strict_unicode), number_text_(options.number_text), error_(error) {}

    std::optional<Value> run() {
        // Containers being filled, innermost last. Values are moved into their parent when closed,
        // so no pointer into a growing vector is ever held.
        struct Frame {
            Value value;
            std::string key;  // object: the key of the member whose value is being read
        };
        std::vector<Frame> stack;
        Value done;

        skip_ws();
        for (;;) {
            // Read one value (scalar, or the opening of a container).
            Value v;
            if (i_ >= s_.size()) return fail_at_end(), std::nullopt;
            const char c = s_[i_];
            if (c == '{' || c == '[') {
                if (stack.size() >= max_depth_) return fail(Code::too_deep, i_), std::nullopt;
                ++i_;
                Frame f;
                f.value.kind = c == '{' ? Kind::object : Kind::array;
                skip_ws();
                const char close = c == '{' ? '}' : ']';
                if (i_ < s_.size() && s_[i_] == close) {
                    ++i_;
                    v = std::move(f.value);  // empty container: complete at once
                } else {
                    if (c == '{' && !read_key(&f.key)) return std::nullopt;
                    stack.push_back(std::move(f));
                    skip_ws();
                    continue;
                }
            } else if (!read_scalar(v)) {
                return std::nullopt;
            }

            // Complete v into its parent; close every container that ends here.
            for (;;) {
                if (stack.empty()) {
                    done = std::move(v);
                    break;
                }
                Frame& top = stack.back();
                if (top.value.kind == Kind::array) {
                    if (top.value.items.empty()) top.value.items.reserve(4);
                    top.value.items.push_back(std::move(v));
                }
                else top.value.members.emplace_back(std::move(top.key), std::move(v));
                skip_ws();
                if (i_ >= s_.size()) return fail_at_end(), std::nullopt;
                const char d = s_[i_];
                if (d == ',') {
                    ++i_;
                    skip_ws();
                    if (top.value.kind == Kind::object) {
                        top.key.clear();
                        if (!read_key(&top.key)) return std::nullopt;
                        skip_ws();
                    }
                    break;  // read the next value
                }
                if (d != (top.value.kind == Kind::array ? ']' : '}')) return fail(Code::syntax, i_), std::nullopt;
                ++i_;
                v = std::move(top.value);
                stack.pop_back();
            }
            if (stack.empty()) break;
        }
        skip_ws();
        if (i_ != s_.size()) return fail(Code::extra_data, i_), std::nullopt;
        return done;
    }

    // parse() without building: see json::scan.
    std::optional<Kind> scan(MemberVisitor visit, void* context) {
        // One bit per open container (set: object), innermost at depth - 1.
        std::uint64_t is_object[kMaxDepth / 64 + 1] = {};
        std::size_t depth = 0;
        Kind top = Kind::null;
        std::string key;               // the decoded key of the current top-level member
        std::size_t member_start = 0;  // where the current top-level member's value starts

        skip_ws();
        for (;;) {
            if (i_ >= s_.size()) return std::nullopt;
            if (depth == 1 && top == Kind::object) member_start = i_;
            const char c = s_[i_];
            if (c == '{' || c == '[') {
                if (depth >= kMaxDepth) return std::nullopt;
                if (depth == 0) top = c == '{' ? Kind::object : Kind::array;
                ++i_;
                skip_ws();
                if (i_ < s_.size() && s_[i_] == (c == '{' ? '}' : ']')) {
                    ++i_;  // empty container: complete at once
                } else {
                    const std::uint64_t bit = std::uint64_t(1) << (depth % 64);
                    if (c == '{') is_object[depth / 64] |= bit;
                    else is_object[depth / 64] &= ~bit;
                    ++depth;
                    if (c == '{') {
                        if (depth == 1) key.clear();
                        if (!read_key(depth == 1 ? &key : nullptr)) return std::nullopt;
                    }
                    continue;
                }
            } else {
                if (depth == 0) top = c == '"' ? Kind::string : c == 't' || c == 'f' ? Kind::boolean
                                    : c == 'n' ? Kind::null : Kind::number;
                if (!skip_scalar()) return std::nullopt;
            }

            // A value ended at i_: close every container that ends here too.
            for (;;) {
                if (depth == 0) {
                    skip_ws();
                    if (i_ != s_.size()) return std::nullopt;
                    return top;
                }
                if (depth == 1 && top == Kind::object && visit)
                    visit(context, key, s_.substr(member_start, i_ - member_start));
                const bool in_object = (is_object[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1;
                skip_ws();
                if (i_ >= s_.size()) return std::nullopt;
                const char d = s_[i_];
                if (d == ',') {
                    ++i_;
                    skip_ws();
                    if (in_object) {
                        if (depth == 1) key.clear();
                        if (!read_key(depth == 1 ? &key : nullptr)) return std::nullopt;
                    }
                    break;  // read the next value
                }
                if (d != (in_object ? '}' : ']')) return std::nullopt;
                ++i_;
                --depth;
            }
        }
    }

private:
    // Records the first failure (when asked to) and answers false / nullopt.
    bool fail(Code code, std::size_t at) noexcept {
        if (error_ && !failed_) {
            error_->code = code;
            error_->offset = at;
            failed_ = true;
        }
        return false;
    }
    bool fail_at_end() noexcept { return fail(Code::incomplete, s_.size()); }
    // Failure at i_: the text ended early, or this byte is wrong.
    bool fail_here(Code code = Code::syntax) noexcept { return i_ >= s_.size() ? fail_at_end() : fail(code, i_); }

    bool skip_scalar() {
        const char c = s_[i_];
        if (c == '"') return read_string(nullptr);
        if (c == '-' || is_digit(c)) return read_number(nullptr);
        if (literal("true") || literal("false") || literal("null")) return true;
        return error_ ? literal_failure() : false;
    }

    void skip_ws() noexcept {
        while (i_ < s_.size() && is_json_ws(s_[i_])) ++i_;
    }

    // A member key, the optional whitespace after it and the colon. key may be null (check only).
    bool read_key(std::string* key) {
        if (i_ >= s_.size() || s_[i_] != '"') return fail_here();
        if (!read_string(key)) return false;
        skip_ws();
        if (i_ >= s_.size() || s_[i_] != ':') return fail_here();
        ++i_;
        skip_ws();
        return true;
    }

    bool read_scalar(Value& v) {
        const char c = s_[i_];
        if (c == '"') {
            v.kind = Kind::string;
            return read_string(&v.string);
        }
        if (c == '-' || is_digit(c)) {
            v.kind = Kind::number;
            const std::size_t start = i_;
            if (!read_number(&v.number)) return false;
            v.integral = integral_;
            if (number_text_ && v.integral && i_ - start > 15) v.string.assign(s_.data() + start, i_ - start);
            return true;
        }
        if (c == 't' && literal("true")) { v.kind = Kind::boolean; v.boolean = true; return true; }
        if (c == 'f' && literal("false")) { v.kind = Kind::boolean; v.boolean = false; return true; }
        if (c == 'n' && literal("null")) { v.kind = Kind::null; return true; }
        return error_ ? literal_failure() : false;
    }

    bool literal(std::string_view word) noexcept {
        if (s_.substr(i_, word.size()) != word) return false;
        i_ += word.size();
        return true;
    }
    // Where a literal (or whatever stands in the place of a value) stops matching.
    bool literal_failure() noexcept {
        const char c = s_[i_];
        const std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : c == 'n' ? "null" : "";
        if (word.empty()) return fail(Code::syntax, i_);
        // Boost.JSON's positions: a literal with room for all of it fails where it starts; one
        // cut short by the end of the text fails where it stops matching.
        if (s_.size() - i_ >= word.size()) return fail(Code::syntax, i_);
        std::size_t k = 0;
        while (i_ + k < s_.size() && s_[i_ + k] == word[k]) ++k;
        return i_ + k >= s_.size() ? fail_at_end() : fail(Code::syntax, i_ + k);
    }

    // out may be null (check only).
    bool read_number(double* out) {
        const std::size_t start = i_;
        if (s_[i_] == '-') ++i_;
        if (i_ >= s_.size() || !is_digit(s_[i_])) return fail_here();
        if (s_[i_] == '0') {
            ++i_;
        } else {
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
        integral_ = true;
        if (i_ < s_.size() && s_[i_] == '.') {
            integral_ = false;
            ++i_;
            if (i_ >= s_.size() || !is_digit(s_[i_])) return fail(Code::syntax, i_);
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            integral_ = false;
            ++i_;
            const bool sign = i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-');
            if (sign) ++i_;
            if (i_ >= s_.size() || !is_digit(s_[i_])) return sign ? fail(Code::syntax, i_) : fail_here();
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
        if (out && !fast_double(s_.data() + start, s_.data() + i_, *out)) *out = to_double(s_.data() + start, s_.data() + i_);
        return true;
    }

    bool read_hex4(char32_t& out) noexcept {
        char32_t v = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            if (i_ + k >= s_.size()) return false;
            const int h = hex_value(s_[i_ + k]);
            if (h < 0) return false;
            v = (v << 4) | char32_t(h);
        }
        i_ += 4;
        out = v;
        return true;
    }

    // At the opening quote. Appends the decoded text to *out, or only checks when out is null.
    bool read_string(std::string* out) {
        ++i_;
        for (;;) {
            // Copy the longest run of plain ASCII in one go.
            const std::size_t j = plain_run_end(s_, i_);
            if (out) out->append(s_.data() + i_, j - i_);
            i_ = j;
            if (i_ >= s_.size()) return fail_at_end();
            const auto b = static_cast<unsigned char>(s_[i_]);
            if (b == '"') {
                ++i_;
                return true;
            }
            if (b < 0x20) return fail(Code::syntax, i_);  // raw control characters are not allowed
            if (b >= 0x80) {
                const text::Decoded u = text::decode_utf8(s_, i_);
                if (strict_ && (!u.valid() || is_high_surrogate(u.cp) || is_low_surrogate(u.cp)))
                    return fail(Code::syntax, i_);
                if (out) {
                    if (u.valid()) out->append(s_.data() + i_, u.len);
                    else *out += kReplacement;
                }
                i_ += u.len;
                continue;
            }
            // Escape.
            ++i_;
            if (i_ >= s_.size()) return fail_at_end();
            const char e = s_[i_++];
            char plain;
            switch (e) {
                case '"': plain = '"'; break;
                case '\\': plain = '\\'; break;
                case '/': plain = '/'; break;
                case 'b': plain = '\b'; break;
                case 'f': plain = '\f'; break;
                case 'n': plain = '\n'; break;
                case 'r': plain = '\r'; break;
                case 't': plain = '\t'; break;
                case 'u': {
                    char32_t cp;
                    if (!read_hex4(cp)) return hex_failure();
                    if (strict_) {
                        if (!strict_surrogates(cp)) return false;
                        if (out) text::append_utf8(*out, cp);
                        continue;
                    }
                    if (is_high_surrogate(cp) && s_.size() - i_ >= 6 && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
                        const std::size_t save = i_;
                        i_ += 2;
                        char32_t low;
                        if (read_hex4(low) && is_low_surrogate(low)) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        } else {
                            i_ = save;  // not a pair: the next escape is read on its own
                        }
                    }
                    if (out) text::append_utf8(*out, cp);  // a lone surrogate becomes its 3-byte form, one unit
                    continue;
                }
                default:
                    return fail(Code::syntax, i_ - 1);
            }
            if (out) *out += plain;
        }
    }

    // After a \u whose 4 hex digits did not follow: where they stop.
    bool hex_failure() noexcept {
        std::size_t k = 0;
        while (k < 4 && i_ + k < s_.size() && hex_value(s_[i_ + k]) >= 0) ++k;
        return i_ + k >= s_.size() ? fail_at_end() : fail(Code::expected_hex_digit, i_ + k);
    }

    // Strict \u escapes: a high surrogate must be followed by \u and a low one; a low one never
    // stands alone. On success cp is the scalar value and i_ past the escapes.
    bool strict_surrogates(char32_t& cp) noexcept {
        if (is_low_surrogate(cp)) {
            // Boost.JSON's positions: with room for a whole pair it stops at the 'u'.
            const std::size_t escape = i_ - 6;
            return s_.size() - escape >= 12 ? fail(Code::illegal_leading_surrogate, escape + 1)
                                            : fail(Code::illegal_trailing_surrogate, i_);
        }
        if (!is_high_surrogate(cp)) return true;
        if (i_ >= s_.size() || (s_[i_] == '\\' && i_ + 1 >= s_.size())) return fail_at_end();
        if (s_[i_] != '\\' || s_[i_ + 1] != 'u') return fail(Code::syntax, s_[i_] != '\\' ? i_ : i_ + 1);
        i_ += 2;
        char32_t low;
        if (!read_hex4(low)) return hex_failure();
        if (!is_low_surrogate(low)) return fail(Code::illegal_trailing_surrogate, i_ - 4);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        return true;
    }

    std::string_view s_;
    std::size_t i_ = 0;
    std::size_t max_depth_ = kMaxDepth;
    bool strict_ = false;
    bool number_text_ = false;
    bool failed_ = false;
    bool integral_ = false;  // the last number read had neither fraction nor exponent
    ParseError* error_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Number formatting.

// The shortest decimal digits that read back as value (value finite and > 0), and the exponent
// n such that value = 0.d1d2...dk x 10^n.
struct Shortest {
    char digits[24];
    int count = 0;
    int exponent = 0;
};

// Reads "d.ddde[+-]xx" (the decimal point may be missing or locale-specific).
void parse_scientific(const char* p, const char* end, Shortest& r) {
    r.count = 0;
    while (p < end && *p != 'e' && *p != 'E') {
        if (is_digit(*p) && r.count < int(sizeof r.digits)) r.digits[r.count++] = *p;
        ++p;
    }
    int exp10 = 0;
    bool negative = false;
    if (p < end) ++p;  // 'e'
    if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
    while (p < end && is_digit(*p) && exp10 < 100000) exp10 = exp10 * 10 + (*p++ - '0');
    if (negative) exp10 = -exp10;
    r.exponent = exp10 + 1;
}

void strip_trailing_zeros(Shortest& r) {
    while (r.count > 1 && r.digits[r.count - 1] == '0') --r.count;
}

// Floating-point to_chars is used where the library has it; REROUTE_JSON_NO_TO_CHARS forces the
// portable path (to test it natively). In WebAssembly the host's Number does it.
#if defined(REROUTE_JSON_HOST_NUMBERS)
Shortest shortest_digits(double value) {
    char buf[32];
    const std::size_t n = rr_host_number_exponential(value, buf);
    Shortest r;
    parse_scientific(buf, buf + n, r);
    strip_trailing_zeros(r);
    return r;
}
#elif defined(__cpp_lib_to_chars) && !defined(REROUTE_JSON_NO_TO_CHARS)
Shortest shortest_digits(double value) {
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    Shortest r;
    parse_scientific(buf, res.ptr, r);
    strip_trailing_zeros(r);
    return r;
}
#else
bool reads_back(const Shortest& r, double value) {
    char text[64];
    int n = 0;
    text[n++] = r.digits[0];
    text[n++] = '.';
    for (int i = 1; i < r.count; ++i) text[n++] = r.digits[i];
    std::snprintf(text + n, sizeof text - std::size_t(n), "e%d", r.exponent - 1);
    return std::strtod(text, nullptr) == value;
}

// No floating-point to_chars (Emscripten 3.1.6's libc++): the smallest %.*e precision whose text
// reads back as the same double. printf rounds correctly, so each candidate is the nearest
// decimal of its length, which is what Number#toString picks. Just above a power of two the
// rounding interval is twice as wide upwards, so there the next decimal up may read back when
// the nearest one does not; Number#toString then takes that shorter one.
Shortest shortest_digits(double value) {
    int binary_exponent = 0;
    const bool power_of_two = std::frexp(value, &binary_exponent) == 0.5;
    char buf[64];
    Shortest r;
    for (int precision = 1; precision <= 17; ++precision) {
        const int n = std::snprintf(buf, sizeof buf, "%.*e", precision - 1, value);
        if (n <= 0 || n >= int(sizeof buf)) continue;
        parse_scientific(buf, buf + n, r);
        if (std::strtod(buf, nullptr) == value) break;
        if (power_of_two && r.count == precision) {
            Shortest up = r;
            int i = up.count - 1;
            while (i >= 0 && up.digits[i] == '9') up.digits[i--] = '0';
            if (i >= 0) {
                ++up.digits[i];
            } else {  // 99..9 -> 100..0
                up.digits[0] = '1';
                ++up.exponent;
            }
            if (reads_back(up, value)) {
                r = up;
                break;
            }
        }
    }
    strip_trailing_zeros(r);
    return r;
}
#endif

}  // namespace

const Value* Value::find(std::string_view key) const noexcept {
    for (auto it = members.rbegin(); it != members.rend(); ++it)
        if (it->first == key) return &it->second;
    return nullptr;
}

std::optional<Value> parse(std::string_view text) {
    return Reader(text).run();
}

std::optional<Value> parse(std::string_view text, const ParseOptions& options, ParseError* error) {
    return Reader(text, options, error).run();
}

std::string_view to_string(ParseError::Code code) noexcept {
    switch (code) {
        case Code::syntax: return "syntax error";
        case Code::incomplete: return "incomplete JSON";
        case Code::extra_data: return "extra data";
        case Code::too_deep: return "too deep";
        case Code::expected_hex_digit: return "expected hex digit";
        case Code::illegal_leading_surrogate: return "illegal leading surrogate";
        case Code::illegal_trailing_surrogate: return "illegal trailing surrogate";
    }
    return "syntax error";
}

IntegerLiteral integer_literal(const Value& v) noexcept {
    IntegerLiteral n;
    if (v.kind != Kind::number || !v.integral) return n;
    const std::string& t = v.string;
    if (t.empty()) {  // at most 15 characters: the double is exact
        n.type = IntegerLiteral::Type::int64;
        n.i = static_cast<std::int64_t>(v.number);
        return n;
    }
    const char* end = t.data() + t.size();
    if (auto r = std::from_chars(t.data(), end, n.i); r.ec == std::errc() && r.ptr == end) {
        n.type = IntegerLiteral::Type::int64;
    } else if (t[0] != '-') {
        if (auto q = std::from_chars(t.data(), end, n.u); q.ec == std::errc() && q.ptr == end)
            n.type = IntegerLiteral::Type::uint64;
    }
    return n;
}

std::optional<Kind> scan(std::string_view text, MemberVisitor on_member, void* context) {
    return Reader(text).scan(on_member, context);
}

// ---- Walking valid text ----

namespace {

std::size_t skip_ws_at(std::string_view s, std::size_t i) noexcept {
    while (i < s.size() && is_json_ws(s[i])) ++i;
    return i;
}

// Past the string literal that starts at s[i] (its opening quote).
std::size_t skip_literal(std::string_view s, std::size_t i) noexcept {
    for (i = plain_run_end(s, i + 1); i < s.size(); i = plain_run_end(s, i)) {
        if (s[i] == '"') return i + 1;
        i += s[i] == '\\' ? 2 : 1;  // an escape, or a byte that is only special to the reader
    }
    return s.size();
}

// Past the value that starts at s[i].
std::size_t skip_valid_value(std::string_view s, std::size_t i) noexcept {
    if (i >= s.size()) return i;
    if (s[i] == '"') return skip_literal(s, i);
    if (s[i] != '{' && s[i] != '[') {
        while (i < s.size() && s[i] != ',' && s[i] != ']' && s[i] != '}' && !is_json_ws(s[i])) ++i;
        return i;
    }
    std::size_t depth = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '"') {
            i = skip_literal(s, i);
            continue;
        }
        ++i;
        if (c == '{' || c == '[') ++depth;
        else if ((c == '}' || c == ']') && --depth == 0) break;
    }
    return i;
}

// Calls visit(key_literal, value_text) for each entry of the container at the start of `valid`
// (key_literal empty for array items). On text that is not valid it stops early or visits
// nonsense, but never reads outside the text and always ends.
template <class Visit>
void walk_container(std::string_view valid, char open, Visit&& visit) {
    std::size_t i = skip_ws_at(valid, 0);
    if (i >= valid.size() || valid[i] != open) return;
    i = skip_ws_at(valid, i + 1);
    const char close = open == '{' ? '}' : ']';
    while (i < valid.size() && valid[i] != close) {
        std::string_view key;
        if (open == '{') {
            const std::size_t key_end = skip_literal(valid, i);
            key = valid.substr(i, key_end - i);
            i = skip_ws_at(valid, std::min(skip_ws_at(valid, key_end) + 1, valid.size()));  // past the colon
        }
        const std::size_t end = skip_valid_value(valid, i);
        if (end == i) return;  // no value: the text was not valid after all (never loop on it)
        visit(key, valid.substr(i, end - i));
        i = skip_ws_at(valid, end);
        if (i < valid.size() && valid[i] == ',') i = skip_ws_at(valid, i + 1);
    }
}

}  // namespace

void for_each_item(std::string_view valid, ItemVisitor on_item, void* context) {
    walk_container(valid, '[', [&](std::string_view, std::string_view value) { on_item(context, value); });
}

void for_each_member(std::string_view valid, MemberVisitor on_member, void* context) {
    walk_container(valid, '{', [&](std::string_view key, std::string_view value) { on_member(context, key, value); });
}

bool literal_equals(std::string_view literal, std::string_view text) {
    if (literal.size() < 2) return false;
    const std::string_view inner = literal.substr(1, literal.size() - 2);
    // Plain ASCII is its own decoding; escapes and other bytes (invalid ones decode as U+FFFD) are decoded.
    const bool plain = std::all_of(inner.begin(), inner.end(), [](char c) { return c != '\\' && static_cast<unsigned char>(c) < 0x80; });
    if (plain) return inner == text;
    const auto decoded = parse(literal);
    return decoded && decoded->is_string() && decoded->string == text;
}

std::size_t literal_utf16_length(std::string_view literal) noexcept {
    if (literal.size() < 2) return 0;
    std::size_t units = 0;
    const std::string_view inner = literal.substr(1, literal.size() - 2);
    for (std::size_t i = 0; i < inner.size();) {
        const std::size_t plain_end = plain_run_end(inner, i);
        units += plain_end - i;
        i = plain_end;
        if (i >= inner.size()) break;
        const auto b = static_cast<unsigned char>(inner[i]);
        if (b == '\\') {
            i += i + 1 < inner.size() && inner[i + 1] == 'u' ? 6 : 2;  // every escape is one unit (a pair is two escapes)
            ++units;
        } else if (b < 0x80) {
            ++i;
            ++units;
        } else {
            const text::Decoded d = text::decode_utf8(inner, i);
            units += text::utf16_units(d.cp);  // an invalid byte decodes as U+FFFD: one unit too
            i += d.len;
        }
    }
    return units;
}

void write_string(std::string& out, std::string_view utf8) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.reserve(out.size() + utf8.size() + 2);
    out += '"';
    std::size_t i = 0;
    while (i < utf8.size()) {
        std::size_t j = i;
        while (j < utf8.size()) {
            const auto b = static_cast<unsigned char>(utf8[j]);
            if (b == '"' || b == '\\' || b < 0x20 || b >= 0x80) break;
            ++j;
        }
        out.append(utf8.data() + i, j - i);
        i = j;
        if (i >= utf8.size()) break;
        const auto b = static_cast<unsigned char>(utf8[i]);
        if (b >= 0x80) {
            const text::Decoded u = text::decode_utf8(utf8, i);
            if (!u.valid()) {
                out += kReplacement;
            } else if (is_high_surrogate(u.cp) || is_low_surrogate(u.cp)) {
                if (is_high_surrogate(u.cp) && i + 3 < utf8.size()) {
                    const text::Decoded low = text::decode_utf8(utf8, i + 3);
                    if (low.valid() && is_low_surrogate(low.cp)) {
                        // Two 3-byte halves of one pair: JavaScript holds that as one character.
                        text::append_utf8(out, 0x10000 + ((u.cp - 0xD800) << 10) + (low.cp - 0xDC00));
                        i += 6;
                        continue;
                    }
                }
                // Well-formed JSON.stringify escapes a lone surrogate.
                const char esc[6] = {'\\', 'u', kHex[(u.cp >> 12) & 0xF], kHex[(u.cp >> 8) & 0xF],
                                     kHex[(u.cp >> 4) & 0xF], kHex[u.cp & 0xF]};
                out.append(esc, 6);
            } else {
                out.append(utf8.data() + i, u.len);
            }
            i += u.len;
            continue;
        }
        ++i;
        switch (b) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: {
                const char esc[6] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
                out.append(esc, 6);
            }
        }
    }
    out += '"';
}

std::string& ObjectWriter::key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    write_string(out_, name);
    out_ += ':';
    return out_;
}

void write_number(std::string& out, double value) {
    if (!std::isfinite(value)) {
        out += "null";  // what JSON.stringify writes for NaN and the infinities
        return;
    }
    if (value == 0) {
        out += '0';  // -0 too
        return;
    }
    if (value < 0) {
        out += '-';
        value = -value;
    }
    if (value < 9007199254740992.0 && value == std::floor(value)) {  // a whole number below 2^53
        char digits[16];
        char* d = digits + sizeof digits;
        for (auto n = static_cast<std::uint64_t>(value); n != 0; n /= 10) *--d = static_cast<char>('0' + n % 10);
        out.append(d, static_cast<std::size_t>(digits + sizeof digits - d));
        return;
    }
    const Shortest s = shortest_digits(value);
    const int k = s.count;
    const int n = s.exponent;
    if (k == 0) {  // cannot happen; keep the output a number
        out += '0';
        return;
    }
    if (k <= n && n <= 21) {
        out.append(s.digits, std::size_t(k));
        out.append(std::size_t(n - k), '0');
    } else if (0 < n && n <= 21) {
        out.append(s.digits, std::size_t(n));
        out += '.';
        out.append(s.digits + n, std::size_t(k - n));
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(std::size_t(-n), '0');
        out.append(s.digits, std::size_t(k));
    } else {
        out += s.digits[0];
        if (k > 1) {
            out += '.';
            out.append(s.digits + 1, std::size_t(k - 1));
        }
        out += 'e';
        const int e = n - 1;
        out += e < 0 ? '-' : '+';
        char buf[8];
        const auto r = std::to_chars(buf, buf + sizeof buf, e < 0 ? -e : e);
        out.append(buf, r.ptr);
    }
}

}  // namespace reroute::json

#include "reroute/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>

#include "reroute/text.hpp"

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

double to_double(const char* first, const char* last) {
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
}

class Reader {
public:
    explicit Reader(std::string_view text) noexcept : s_(text) {}

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
            if (i_ >= s_.size()) return std::nullopt;
            const char c = s_[i_];
            if (c == '{' || c == '[') {
                if (stack.size() >= kMaxDepth) return std::nullopt;
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
                if (top.value.kind == Kind::array) top.value.items.push_back(std::move(v));
                else top.value.members.emplace_back(std::move(top.key), std::move(v));
                skip_ws();
                if (i_ >= s_.size()) return std::nullopt;
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
                if (d != (top.value.kind == Kind::array ? ']' : '}')) return std::nullopt;
                ++i_;
                v = std::move(top.value);
                stack.pop_back();
            }
            if (stack.empty()) break;
        }
        skip_ws();
        if (i_ != s_.size()) return std::nullopt;
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
    bool skip_scalar() {
        const char c = s_[i_];
        if (c == '"') return read_string(nullptr);
        if (c == '-' || is_digit(c)) return read_number(nullptr);
        return literal("true") || literal("false") || literal("null");
    }

    void skip_ws() noexcept {
        while (i_ < s_.size() && is_json_ws(s_[i_])) ++i_;
    }

    // A member key, the optional whitespace after it and the colon. key may be null (check only).
    bool read_key(std::string* key) {
        if (i_ >= s_.size() || s_[i_] != '"') return false;
        if (!read_string(key)) return false;
        skip_ws();
        if (i_ >= s_.size() || s_[i_] != ':') return false;
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
            return read_number(&v.number);
        }
        if (literal("true")) { v.kind = Kind::boolean; v.boolean = true; return true; }
        if (literal("false")) { v.kind = Kind::boolean; v.boolean = false; return true; }
        if (literal("null")) { v.kind = Kind::null; return true; }
        return false;
    }

    bool literal(std::string_view word) noexcept {
        if (s_.substr(i_, word.size()) != word) return false;
        i_ += word.size();
        return true;
    }

    // out may be null (check only).
    bool read_number(double* out) {
        const std::size_t start = i_;
        if (s_[i_] == '-') ++i_;
        if (i_ >= s_.size() || !is_digit(s_[i_])) return false;
        if (s_[i_] == '0') {
            ++i_;
        } else {
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            if (i_ >= s_.size() || !is_digit(s_[i_])) return false;
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
            if (i_ >= s_.size() || !is_digit(s_[i_])) return false;
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
        if (out) *out = to_double(s_.data() + start, s_.data() + i_);
        return true;
    }

    bool read_hex4(char32_t& out) noexcept {
        if (s_.size() - i_ < 4) return false;
        char32_t v = 0;
        for (int k = 0; k < 4; ++k) {
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
            std::size_t j = i_;
            while (j < s_.size()) {
                const auto b = static_cast<unsigned char>(s_[j]);
                if (b == '"' || b == '\\' || b < 0x20 || b >= 0x80) break;
                ++j;
            }
            if (out) out->append(s_.data() + i_, j - i_);
            i_ = j;
            if (i_ >= s_.size()) return false;
            const auto b = static_cast<unsigned char>(s_[i_]);
            if (b == '"') {
                ++i_;
                return true;
            }
            if (b < 0x20) return false;  // raw control characters are not allowed
            if (b >= 0x80) {
                const text::Decoded u = text::decode_utf8(s_, i_);
                if (out) {
                    if (u.valid()) out->append(s_.data() + i_, u.len);
                    else *out += kReplacement;
                }
                i_ += u.len;
                continue;
            }
            // Escape.
            ++i_;
            if (i_ >= s_.size()) return false;
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
                    if (!read_hex4(cp)) return false;
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
                    return false;
            }
            if (out) *out += plain;
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
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
// portable path (to test it natively).
#if defined(__cpp_lib_to_chars) && !defined(REROUTE_JSON_NO_TO_CHARS)
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

std::optional<Kind> scan(std::string_view text, MemberVisitor on_member, void* context) {
    return Reader(text).scan(on_member, context);
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

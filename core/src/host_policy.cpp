// Host policy (failover.md Part I section 9). The URL and host parsing follows the WHATWG URL
// standard for the special schemes http and https (what `new URL()` does in the reference), with
// three deliberate tightenings for configuration: no surrounding whitespace or embedded tab/LF,
// exactly "//" after the scheme, and host names limited to LDH labels plus "_" (no IDNA).
#include "reroute/host_policy.hpp"

#include <algorithm>

namespace reroute {
namespace {

constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// WHATWG "ends in a number": the last label (after dropping one empty trailing label) is all
// ASCII digits, or "0x"/"0X" followed by hex digits only.
bool ends_in_number(std::string_view host) {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    auto dot = host.rfind('.');
    std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
    if (last.empty()) return false;
    if (std::all_of(last.begin(), last.end(), is_digit)) return true;
    if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
        return std::all_of(last.begin() + 2, last.end(), [](char c) { return hex_value(c) >= 0; });
    }
    return false;
}

// One WHATWG IPv4 number part: decimal, octal with a leading 0, or hex with 0x. Values beyond
// 2^32 are clamped to 2^32 (still out of range for every part) so nothing overflows.
std::optional<std::uint64_t> parse_ipv4_number(std::string_view part) {
    if (part.empty()) return std::nullopt;
    int radix = 10;
    if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
        radix = 16;
        part.remove_prefix(2);
    } else if (part.size() >= 2 && part[0] == '0') {
        radix = 8;
        part.remove_prefix(1);
    }
    std::uint64_t value = 0;
    for (char c : part) {
        int d = hex_value(c);
        if (d < 0 || d >= radix) return std::nullopt;
        value = value * radix + std::uint64_t(d);
        if (value > (std::uint64_t{1} << 32)) value = std::uint64_t{1} << 32;
    }
    return value;
}

std::string ipv4_to_string(std::uint32_t a) {
    std::string s;
    for (int i = 3; i >= 0; --i) {
        s += std::to_string((a >> (8 * i)) & 0xFF);
        if (i) s += '.';
    }
    return s;
}

std::string ipv6_to_string(const std::array<std::uint8_t, 16>& b) {
    std::uint16_t pieces[8];
    for (int i = 0; i < 8; ++i) pieces[i] = std::uint16_t(b[2 * i] << 8 | b[2 * i + 1]);
    // The longest run of two or more zero pieces is compressed (the first one on a tie).
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        if (pieces[i] != 0) { ++i; continue; }
        int j = i;
        while (j < 8 && pieces[j] == 0) ++j;
        if (j - i > best_len) best = i, best_len = j - i;
        i = j;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            s += i == 0 ? "::" : ":";
            i += best_len - 1;
            continue;
        }
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            int d = (pieces[i] >> shift) & 0xF;
            if (d || started || shift == 0) s += kHex[d], started = true;
        }
        if (i != 7) s += ':';
    }
    return s;
}

bool is_ldh_label_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_';
}

// Percent-decodes a host; nullopt on a malformed escape or when the result is not ASCII.
std::optional<std::string> decode_host(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            if (i + 2 >= raw.size()) return std::nullopt;
            int h = hex_value(raw[i + 1]), l = hex_value(raw[i + 2]);
            if (h < 0 || l < 0) return std::nullopt;
            c = char(h * 16 + l);
            i += 2;
        }
        if (static_cast<unsigned char>(c) >= 0x80) return std::nullopt;
        out += c;
    }
    return out;
}

enum class HostKind { invalid, domain, ipv4, ipv6 };

struct NormalHost {
    HostKind kind = HostKind::invalid;
    std::string text;  // normalised, one trailing dot removed, no brackets
    std::uint32_t v4 = 0;
    std::array<std::uint8_t, 16> v6{};
};

// Host text as it appears in a URL authority or as given to check_host (already decoded).
NormalHost normalize_host(std::string_view host) {
    NormalHost n;
    if (host.empty()) return n;
    if (host.front() == '[') {
        if (host.size() < 2 || host.back() != ']') return n;
        host = host.substr(1, host.size() - 2);
        auto v6 = parse_ipv6(host);
        if (!v6) return n;
        n.kind = HostKind::ipv6, n.v6 = *v6, n.text = ipv6_to_string(*v6);
        return n;
    }
    if (host.find(':') != std::string_view::npos) {  // a bare IPv6 literal (check_host only)
        auto v6 = parse_ipv6(host);
        if (!v6) return n;
        n.kind = HostKind::ipv6, n.v6 = *v6, n.text = ipv6_to_string(*v6);
        return n;
    }
    std::string lowered(host);
    for (char& c : lowered) c = lower(c);
    if (ends_in_number(lowered)) {
        auto v4 = parse_ipv4(lowered);
        if (!v4) return n;
        n.kind = HostKind::ipv4, n.v4 = *v4, n.text = ipv4_to_string(*v4);
        return n;
    }
    // A domain: LDH (+ "_") labels, no empty label except one trailing dot, at most 253 bytes.
    std::string_view body = lowered;
    if (!body.empty() && body.back() == '.') body.remove_suffix(1);
    if (body.empty() || body.size() > 253) return n;
    std::size_t label = 0;
    for (char c : body) {
        if (c == '.') {
            if (label == 0) return n;
            label = 0;
        } else if (is_ldh_label_char(c)) {
            if (++label > 63) return n;
        } else {
            return n;
        }
    }
    if (label == 0) return n;
    n.kind = HostKind::domain;
    n.text = std::string(body);
    return n;
}

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
    return std::uint32_t(a << 24 | b << 16 | c << 8 | d);
}
constexpr bool in_v4(std::uint32_t a, std::uint32_t net, int bits) {
    return bits == 0 || (a >> (32 - bits)) == (net >> (32 - bits));
}

bool private_v4(std::uint32_t a) {
    return in_v4(a, v4(10, 0, 0, 0), 8) || in_v4(a, v4(172, 16, 0, 0), 12) ||
           in_v4(a, v4(192, 168, 0, 0), 16) || in_v4(a, v4(127, 0, 0, 0), 8) ||
           in_v4(a, v4(169, 254, 0, 0), 16) || in_v4(a, v4(0, 0, 0, 0), 8) ||
           in_v4(a, v4(100, 64, 0, 0), 10) || a >= v4(224, 0, 0, 0);
}
bool metadata_v4(std::uint32_t a) {
    return a == v4(169, 254, 169, 254) || a == v4(100, 100, 100, 200) || a == v4(192, 0, 0, 192);
}

using V6 = std::array<std::uint8_t, 16>;

bool v6_prefix(const V6& a, std::initializer_list<std::uint8_t> bytes, int bits) {
    int i = 0;
    for (std::uint8_t byte : bytes) {
        int take = std::min(8, bits - 8 * i);
        if (take <= 0) break;
        std::uint8_t mask = std::uint8_t(0xFF << (8 - take));
        if ((a[i] & mask) != (byte & mask)) return false;
        ++i;
    }
    return true;
}
std::uint32_t v4_at(const V6& a, int at) {
    return std::uint32_t(a[at] << 24 | a[at + 1] << 16 | a[at + 2] << 8 | a[at + 3]);
}

// Every IPv4 address this IPv6 address carries (mapped, IPv4-compatible, 6to4, NAT64). The
// local-use NAT64 prefix 64:ff9b:1::/48 admits several embeddings (RFC 6052): all are returned.
int embedded_v4(const V6& a, std::uint32_t out[4]) {
    int n = 0;
    bool first80_zero = std::all_of(a.begin(), a.begin() + 10, [](std::uint8_t b) { return b == 0; });
    if (first80_zero && a[10] == 0xFF && a[11] == 0xFF) out[n++] = v4_at(a, 12);  // ::ffff:0:0/96
    if (first80_zero && a[10] == 0 && a[11] == 0) out[n++] = v4_at(a, 12);        // ::/96 (compat)
    if (v6_prefix(a, {0x20, 0x02}, 16)) out[n++] = v4_at(a, 2);                   // 2002::/16
    if (v6_prefix(a, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) out[n++] = v4_at(a, 12);
    if (v6_prefix(a, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48)) {
        // RFC 6052 layouts for /48 (bytes 6,7,9,10), /56 (7,9,10,11), /64 (9..12), /96 (12..15).
        out[n++] = std::uint32_t(a[6] << 24 | a[7] << 16 | a[9] << 8 | a[10]);
        out[n++] = std::uint32_t(a[7] << 24 | a[9] << 16 | a[10] << 8 | a[11]);
        out[n++] = v4_at(a, 9);
        if (n < 4) out[n++] = v4_at(a, 12);
    }
    return n;
}

bool metadata_v6(const V6& a) {
    // fd00:ec2::254
    static constexpr V6 kEc2 = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
    if (a == kEc2) return true;
    std::uint32_t embedded[4];
    int n = embedded_v4(a, embedded);
    for (int i = 0; i < n; ++i)
        if (metadata_v4(embedded[i])) return true;
    return false;
}

bool private_v6(const V6& a) {
    static constexpr V6 kZero{};
    V6 loopback{};
    loopback[15] = 1;
    if (a == kZero || a == loopback) return true;
    if (v6_prefix(a, {0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64)) return true;  // 100::/64
    if (v6_prefix(a, {0xfc}, 7)) return true;                           // fc00::/7
    if (v6_prefix(a, {0xfe, 0x80}, 10)) return true;                    // fe80::/10
    if (v6_prefix(a, {0xfe, 0xc0}, 10)) return true;                    // fec0::/10
    if (v6_prefix(a, {0xff}, 8)) return true;                           // ff00::/8
    std::uint32_t embedded[4];
    int n = embedded_v4(a, embedded);
    for (int i = 0; i < n; ++i)
        if (private_v4(embedded[i])) return true;
    return false;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

HostVerdict verdict(const NormalHost& h, bool allow_private) {
    switch (h.kind) {
        case HostKind::invalid:
            return HostVerdict::invalid_url;
        case HostKind::ipv4:
            if (metadata_v4(h.v4)) return HostVerdict::blocked_host;
            if (private_v4(h.v4) && !allow_private) return HostVerdict::private_host_blocked;
            return HostVerdict::ok;
        case HostKind::ipv6:
            if (metadata_v6(h.v6)) return HostVerdict::blocked_host;
            if (private_v6(h.v6) && !allow_private) return HostVerdict::private_host_blocked;
            return HostVerdict::ok;
        case HostKind::domain:
            if (is_metadata_host(h.text)) return HostVerdict::blocked_host;
            if (is_private_host(h.text) && !allow_private) return HostVerdict::private_host_blocked;
            return HostVerdict::ok;
    }
    return HostVerdict::invalid_url;
}

}  // namespace

std::string_view to_string(HostVerdict v) noexcept {
    switch (v) {
        case HostVerdict::ok: return "ok";
        case HostVerdict::invalid_url: return "INVALID_URL";
        case HostVerdict::blocked_host: return "BLOCKED_HOST";
        case HostVerdict::private_host_blocked: return "PRIVATE_HOST_BLOCKED";
    }
    return "INVALID_URL";
}

std::optional<std::uint32_t> parse_ipv4(std::string_view host) {
    if (host.empty()) return std::nullopt;
    if (host.back() == '.') host.remove_suffix(1);  // one empty trailing part is dropped
    std::uint64_t parts[4];
    int count = 0;
    std::size_t start = 0;
    while (true) {
        if (count == 4) return std::nullopt;
        auto dot = host.find('.', start);
        auto part = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        auto value = parse_ipv4_number(part);
        if (!value) return std::nullopt;
        parts[count++] = *value;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    for (int i = 0; i + 1 < count; ++i)
        if (parts[i] > 255) return std::nullopt;
    std::uint64_t limit = std::uint64_t{1} << (8 * (5 - count));
    if (parts[count - 1] >= limit) return std::nullopt;
    std::uint64_t address = parts[count - 1];
    for (int i = 0; i + 1 < count; ++i) address += parts[i] << (8 * (3 - i));
    return std::uint32_t(address);
}

std::optional<std::array<std::uint8_t, 16>> parse_ipv6(std::string_view in) {
    std::uint16_t pieces[8] = {};
    int index = 0, compress = -1;
    std::size_t p = 0;
    const std::size_t n = in.size();
    if (n == 0) return std::nullopt;
    if (in[0] == ':') {
        if (n < 2 || in[1] != ':') return std::nullopt;
        p = 2;
        compress = ++index;
    }
    while (p < n) {
        if (index == 8) return std::nullopt;
        if (in[p] == ':') {
            if (compress != -1) return std::nullopt;
            ++p;
            compress = ++index;
            continue;
        }
        unsigned value = 0;
        int length = 0;
        while (length < 4 && p < n && hex_value(in[p]) >= 0) {
            value = value * 16 + unsigned(hex_value(in[p]));
            ++p, ++length;
        }
        if (p < n && in[p] == '.') {
            if (length == 0) return std::nullopt;
            p -= std::size_t(length);
            if (index > 6) return std::nullopt;
            int numbers_seen = 0;
            while (p < n) {
                int ipv4_piece = -1;
                if (numbers_seen > 0) {
                    if (in[p] == '.' && numbers_seen < 4) ++p;
                    else return std::nullopt;
                }
                if (p >= n || !is_digit(in[p])) return std::nullopt;
                while (p < n && is_digit(in[p])) {
                    int number = in[p] - '0';
                    if (ipv4_piece == -1) ipv4_piece = number;
                    else if (ipv4_piece == 0) return std::nullopt;
                    else ipv4_piece = ipv4_piece * 10 + number;
                    if (ipv4_piece > 255) return std::nullopt;
                    ++p;
                }
                pieces[index] = std::uint16_t(pieces[index] * 0x100 + ipv4_piece);
                ++numbers_seen;
                if (numbers_seen == 2 || numbers_seen == 4) ++index;
            }
            if (numbers_seen != 4) return std::nullopt;
            break;
        } else if (p < n && in[p] == ':') {
            ++p;
            if (p >= n) return std::nullopt;
        } else if (p < n) {
            return std::nullopt;
        }
        pieces[index++] = std::uint16_t(value);
    }
    if (compress != -1) {
        int swaps = index - compress;
        index = 7;
        while (index != 0 && swaps > 0) {
            std::swap(pieces[index], pieces[compress + swaps - 1]);
            --index, --swaps;
        }
    } else if (index != 8) {
        return std::nullopt;
    }
    std::array<std::uint8_t, 16> out{};
    for (int i = 0; i < 8; ++i) {
        out[2 * i] = std::uint8_t(pieces[i] >> 8);
        out[2 * i + 1] = std::uint8_t(pieces[i] & 0xFF);
    }
    return out;
}

bool is_metadata_host(std::string_view h) {
    if (h == "metadata.google.internal" || h == "metadata" || h == "metadata.tencentyun.com")
        return true;
    if (h.find(':') != std::string_view::npos) {
        auto a = parse_ipv6(h);
        return a && metadata_v6(*a);
    }
    if (ends_in_number(h)) {
        auto a = parse_ipv4(h);
        return a && metadata_v4(*a);
    }
    return false;
}

bool is_private_host(std::string_view h) {
    if (h == "localhost" || h == "localhost." || ends_with(h, ".local") || ends_with(h, ".local."))
        return true;
    // Stricter than the reference: RFC 6761 names under localhost resolve to loopback.
    if (ends_with(h, ".localhost") || ends_with(h, ".localhost.")) return true;
    if (h.find(':') != std::string_view::npos) {
        auto a = parse_ipv6(h);
        return a && private_v6(*a);
    }
    if (ends_in_number(h)) {
        auto a = parse_ipv4(h);
        return a && private_v4(*a);
    }
    return false;
}

std::optional<ParsedUrl> parse_url(std::string_view url) {
    ParsedUrl out;
    for (char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return std::nullopt;
    auto colon = url.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    std::string scheme;
    for (char c : url.substr(0, colon)) scheme += lower(c);
    if (scheme != "http" && scheme != "https") return std::nullopt;
    out.scheme = scheme;
    std::string_view rest = url.substr(colon + 1);
    if (rest.size() < 2 || rest[0] != '/' || rest[1] != '/') return std::nullopt;
    rest.remove_prefix(2);
    // The authority ends at the first "/", "\" (a slash for special schemes), "?" or "#".
    std::size_t end = rest.find_first_of("/\\?#");
    std::string_view authority = rest.substr(0, end);
    auto at = authority.rfind('@');
    if (at != std::string_view::npos) {
        out.has_userinfo = true;
        authority.remove_prefix(at + 1);
    }
    // Port: after the last ":" that is outside brackets.
    std::string_view host = authority, port;
    std::size_t bracket_end = authority.rfind(']');
    std::size_t port_colon = authority.rfind(':');
    if (port_colon != std::string_view::npos &&
        (bracket_end == std::string_view::npos || port_colon > bracket_end)) {
        host = authority.substr(0, port_colon);
        port = authority.substr(port_colon + 1);
        if (!port.empty()) {
            std::uint32_t value = 0;
            for (char c : port) {
                if (!is_digit(c)) return std::nullopt;
                value = value * 10 + std::uint32_t(c - '0');
                if (value > 65535) return std::nullopt;
            }
            bool default_port = (scheme == "http" && value == 80) || (scheme == "https" && value == 443);
            if (!default_port) out.port = std::uint16_t(value);
        }
    }
    if (host.empty()) return std::nullopt;
    NormalHost normal;
    if (host.front() == '[') {
        normal = normalize_host(host);
    } else {
        if (host.find_first_of("[]") != std::string_view::npos) return std::nullopt;
        auto decoded = decode_host(host);
        if (!decoded || decoded->find(':') != std::string::npos) return std::nullopt;
        normal = normalize_host(*decoded);
    }
    if (normal.kind == HostKind::invalid) return std::nullopt;
    out.host = normal.text;
    out.host_is_ipv4 = normal.kind == HostKind::ipv4;
    out.host_is_ipv6 = normal.kind == HostKind::ipv6;
    return out;
}

HostVerdict check_host(std::string_view host, bool allow_private) {
    std::string_view h = host;
    if (!h.empty() && h.front() != '[' && h.find(':') == std::string_view::npos) {
        // A plain name or IPv4: lowercase and validate through the same path as URLs.
        return verdict(normalize_host(h), allow_private);
    }
    std::string_view inner = h;
    if (!inner.empty() && inner.front() == '[') {
        if (inner.size() < 2 || inner.back() != ']') return HostVerdict::invalid_url;
        inner = inner.substr(1, inner.size() - 2);
    }
    if (!inner.empty() && inner.back() == '.') inner.remove_suffix(1);
    return verdict(normalize_host(inner), allow_private);
}

HostVerdict check_base_url(std::string_view url, bool allow_private) {
    auto parsed = parse_url(url);
    if (!parsed) return HostVerdict::invalid_url;
    return check_host(parsed->host, allow_private);
}

}  // namespace reroute

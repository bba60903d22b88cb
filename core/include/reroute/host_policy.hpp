// Host policy for provider base URLs (failover.md Part I section 9): which hosts the gateway may
// call. Pure: it looks at the URL text only (no DNS). The edge also runs check_host() on each
// resolved address where the platform exposes it, and on every redirect.
//
//   check_base_url("https://api.openai.com/v1", false)   -> HostVerdict::ok
//   check_base_url("http://169.254.169.254/", true)       -> HostVerdict::blocked_host
//   check_base_url("http://127.0.0.1:8080/v1", false)     -> HostVerdict::private_host_blocked
//   check_base_url("http://127.0.0.1:8080/v1", true)      -> HostVerdict::ok
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reroute {

enum class HostVerdict : std::uint8_t {
    ok,
    invalid_url,           // INVALID_URL: the URL does not parse (or is not http/https)
    blocked_host,          // BLOCKED_HOST: a metadata host, refused even with the opt-in
    private_host_blocked,  // PRIVATE_HOST_BLOCKED: private/loopback/link-local without opt-in
};
// "ok", "INVALID_URL", "BLOCKED_HOST", "PRIVATE_HOST_BLOCKED" (the reference's names).
std::string_view to_string(HostVerdict verdict) noexcept;

// An absolute http(s) URL split as the WHATWG URL parser (JavaScript `new URL`) would see it, for
// the parts the policy needs. The host is normalised: ASCII-lowercased, percent-decoded, IPv4 in
// any WHATWG form ("127.1", "0x7f.0.0.1", "2130706433") rewritten to dotted decimal, IPv6 without
// brackets in canonical form, and one trailing dot removed.
struct ParsedUrl {
    std::string scheme;  // "http" or "https"
    std::string host;    // normalised as above
    std::optional<std::uint16_t> port;
    bool has_userinfo = false;  // user:password@ present (a secret in a config: refused by lint)
    bool host_is_ipv4 = false;
    bool host_is_ipv6 = false;
};

// nullopt when the text is not an absolute http:// or https:// URL with a valid host: leading or
// trailing whitespace or controls, a missing or empty host, a bad port, invalid IPv4/IPv6 literal,
// a forbidden host character, or a non-ASCII host (IDNA is not implemented: punycode is required).
std::optional<ParsedUrl> parse_url(std::string_view url);

// Section 9 on one host (a hostname, a dotted IPv4 or an IPv6 literal with or without brackets,
// any case, optionally ending in one dot). Returns ok, blocked_host or private_host_blocked, or
// invalid_url when the host itself is malformed.
HostVerdict check_host(std::string_view host, bool allow_private);

// parse_url, then check_host on the normalised host.
HostVerdict check_base_url(std::string_view url, bool allow_private);

// The pieces, for tests and explain. Both take a normalised host (ParsedUrl::host).
bool is_metadata_host(std::string_view normalized_host);
bool is_private_host(std::string_view normalized_host);

// Literal parsers used above (WHATWG rules). IPv4 accepts 1-4 parts in decimal, octal (leading 0)
// or hex (0x); IPv6 accepts "::" compression and a trailing dotted IPv4.
std::optional<std::uint32_t> parse_ipv4(std::string_view host);
std::optional<std::array<std::uint8_t, 16>> parse_ipv6(std::string_view host);

}  // namespace reroute

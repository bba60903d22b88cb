#include "reroute/host_policy.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using reroute::check_base_url;
using reroute::check_host;
using reroute::HostVerdict;
using reroute::parse_url;

namespace {

HostVerdict url(const std::string& u, bool allow_private = false) { return check_base_url(u, allow_private); }

void all_private(const std::vector<std::string>& hosts) {
    for (const auto& h : hosts) {
        CAPTURE(h);
        CHECK(check_host(h, false) == HostVerdict::private_host_blocked);
        CHECK(check_host(h, true) == HostVerdict::ok);
    }
}
void all_public(const std::vector<std::string>& hosts) {
    for (const auto& h : hosts) {
        CAPTURE(h);
        CHECK(check_host(h, false) == HostVerdict::ok);
    }
}

}  // namespace

TEST_CASE("verdicts carry the reference names") {
    CHECK(reroute::to_string(HostVerdict::ok) == "ok");
    CHECK(reroute::to_string(HostVerdict::invalid_url) == "INVALID_URL");
    CHECK(reroute::to_string(HostVerdict::blocked_host) == "BLOCKED_HOST");
    CHECK(reroute::to_string(HostVerdict::private_host_blocked) == "PRIVATE_HOST_BLOCKED");
}

TEST_CASE("a public https URL is allowed") {
    CHECK(url("https://api.openai.com/v1") == HostVerdict::ok);
    CHECK(url("https://openrouter.ai/api/v1/") == HostVerdict::ok);
    CHECK(url("http://8.8.8.8:8080/") == HostVerdict::ok);  // plain http is a lint warning, not a verdict
    CHECK(url("https://[2001:4860:4860::8888]/v1") == HostVerdict::ok);
}

TEST_CASE("169.254.169.254 is always blocked") {
    CHECK(url("http://169.254.169.254/latest/meta-data") == HostVerdict::blocked_host);
    CHECK(url("http://169.254.169.254/latest/meta-data", true) == HostVerdict::blocked_host);
    SUBCASE("in every IPv4 spelling the URL parser accepts") {
        CHECK(url("http://0xa9fea9fe/", true) == HostVerdict::blocked_host);
        CHECK(url("http://2852039166/", true) == HostVerdict::blocked_host);
        CHECK(url("http://0251.0376.0251.0376/", true) == HostVerdict::blocked_host);
        CHECK(url("http://169.254.43518/", true) == HostVerdict::blocked_host);
        CHECK(url("http://169.254.169.254./", true) == HostVerdict::blocked_host);
    }
    SUBCASE("embedded in IPv6 (stricter than the reference, which only calls it private)") {
        CHECK(url("http://[::ffff:169.254.169.254]/", true) == HostVerdict::blocked_host);
        CHECK(url("http://[::ffff:a9fe:a9fe]/", true) == HostVerdict::blocked_host);
        CHECK(url("http://[64:ff9b::a9fe:a9fe]/", true) == HostVerdict::blocked_host);
        CHECK(url("http://[2002:a9fe:a9fe::1]/", true) == HostVerdict::blocked_host);
    }
}

TEST_CASE("every metadata host on the block list is blocked, in any case, with brackets or a trailing dot") {
    for (std::string h : {"169.254.169.254", "fd00:ec2::254", "metadata.google.internal", "metadata",
                          "100.100.100.200", "192.0.0.192", "metadata.tencentyun.com"}) {
        CAPTURE(h);
        CHECK(check_host(h, false) == HostVerdict::blocked_host);
        CHECK(check_host(h, true) == HostVerdict::blocked_host);
    }
    CHECK(url("http://METADATA.Google.Internal./computeMetadata/v1", true) == HostVerdict::blocked_host);
    CHECK(url("http://[FD00:EC2:0:0:0:0:0:254]/", true) == HostVerdict::blocked_host);
    CHECK(url("http://Metadata/", true) == HostVerdict::blocked_host);
    CHECK(check_host("[fd00:ec2::254]", true) == HostVerdict::blocked_host);
    CHECK(url("http://metadata.google.internal.evil.com/") == HostVerdict::ok);
}

TEST_CASE("private IPv4 ranges are refused without the opt-in, at their exact boundaries") {
    all_private({"10.0.0.0", "10.255.255.255", "172.16.0.0", "172.31.255.255", "192.168.0.0",
                 "192.168.255.255", "127.0.0.1", "127.255.255.255", "169.254.0.1", "169.254.255.255",
                 "0.0.0.0", "0.255.255.255", "100.64.0.0", "100.127.255.255", "224.0.0.0",
                 "239.255.255.250", "240.0.0.1", "255.255.255.255"});
    all_public({"9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255",
                "192.169.0.0", "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0",
                "1.0.0.0", "100.63.255.255", "100.128.0.0", "223.255.255.255"});
}

TEST_CASE("IPv4 shorthand the URL parser expands is decoded before the check") {
    for (std::string u : {"http://127.1/", "http://0x7f.1/", "http://017700000001/", "http://2130706433/",
                          "http://0x7F000001/", "http://127.0.1/", "http://0/", "http://10.1/"}) {
        CAPTURE(u);
        CHECK(url(u) == HostVerdict::private_host_blocked);
    }
    auto p = parse_url("http://0x7f.1:8080/v1");
    REQUIRE(p);
    CHECK(p->host == "127.0.0.1");
    CHECK(p->host_is_ipv4);
    CHECK(p->port == 8080);
}

TEST_CASE("localhost and .local names are private") {
    all_private({"localhost", "localhost.", "LOCALHOST", "printer.local", "printer.local.", "api.localhost"});
    all_public({"localhost.com", "local", "notlocal.example"});
}

TEST_CASE("private IPv6 ranges are refused without the opt-in") {
    all_private({"::1", "::", "100::", "100::ffff:ffff:ffff:ffff", "fc00::1", "fdff:ffff::1", "fe80::1",
                 "febf::1", "fec0::1", "feff::1", "ff02::1", "[::1]", "0:0:0:0:0:0:0:1"});
    all_public({"2001:4860:4860::8888", "100:0:0:1::", "fbff::1", "fe7f::1", "2606:4700::1111"});
}

TEST_CASE("IPv4 embedded in IPv6 is decoded and checked again") {
    SUBCASE("mapped, dotted and hex") {
        all_private({"::ffff:127.0.0.1", "::ffff:7f00:1", "[::ffff:10.0.0.1]", "::ffff:c0a8:101"});
        all_public({"::ffff:8.8.8.8", "::ffff:808:808"});
    }
    SUBCASE("6to4 2002::/16") {
        all_private({"2002:7f00:1::", "2002:0a00:0001::1", "2002:c0a8:0101::"});
        all_public({"2002:0808:0808::1"});
    }
    SUBCASE("NAT64 64:ff9b::/96 and 64:ff9b:1::/48") {
        all_private({"64:ff9b::10.0.0.1", "64:ff9b::a00:1", "64:ff9b::127.0.0.1", "64:ff9b:1:7f00:1::",
                     "64:ff9b:1::7f00:1"});
        all_public({"64:ff9b::8.8.8.8"});
    }
    SUBCASE("through a URL, the way `new URL` serialises it") {
        CHECK(url("http://[::ffff:127.0.0.1]:8080/") == HostVerdict::private_host_blocked);
        auto p = parse_url("http://[::ffff:127.0.0.1]/");
        REQUIRE(p);
        CHECK(p->host == "::ffff:7f00:1");
    }
}

TEST_CASE("the private-host opt-in admits loopback for local development") {
    CHECK(url("http://127.0.0.1:8787/v1") == HostVerdict::private_host_blocked);
    CHECK(url("http://127.0.0.1:8787/v1", true) == HostVerdict::ok);
    CHECK(url("http://localhost:11434/v1", true) == HostVerdict::ok);
    CHECK(url("http://[::1]:8080/", true) == HostVerdict::ok);
}

TEST_CASE("a URL that does not parse is INVALID_URL") {
    for (std::string u :
         {"", "api.openai.com/v1", "ftp://example.com/", "http://", "http:///v1", "http:example.com",
          "http://exa mple.com/", " http://example.com", "http://example.com/\n", "http://[::1/",
          "http://[12345::]/", "http://[::1]x/", "http://1.2.3.256/", "http://1.2.3.4.5/", "http://0x100000000/",
          "http://example.com:99999/", "http://example.com:8a/", "http://exämple.com/", "http://a..b/",
          "http://%zz/", "http://%C3%A9.com/", "http://host:80:80/", "http://foo.123/",
          "http://a*b.com/", "http://@/"}) {
        CAPTURE(u);
        CHECK(url(u, true) == HostVerdict::invalid_url);
    }
}

TEST_CASE("the host is normalised: case, brackets, one trailing dot, default port") {
    auto p = parse_url("HTTPS://API.OpenAI.COM.:443/v1");
    REQUIRE(p);
    CHECK(p->scheme == "https");
    CHECK(p->host == "api.openai.com");
    CHECK_FALSE(p->port);
    auto q = parse_url("http://[0:0:0:0:0:0:0:1]:80/");
    REQUIRE(q);
    CHECK(q->host == "::1");
    CHECK(q->host_is_ipv6);
    CHECK_FALSE(q->port);
    auto r = parse_url("http://[2001:db8:0:0:1:0:0:1]/");
    REQUIRE(r);
    CHECK(r->host == "2001:db8::1:0:0:1");
}

TEST_CASE("userinfo and backslashes do not hide the real host") {
    CHECK(url("http://api.openai.com@127.0.0.1/") == HostVerdict::private_host_blocked);
    CHECK(url("http://a:b@api.openai.com@169.254.169.254/", true) == HostVerdict::blocked_host);
    CHECK(url("http://127.0.0.1\\@api.openai.com/") == HostVerdict::private_host_blocked);
    CHECK(url("http://api.openai.com#@127.0.0.1/") == HostVerdict::ok);
    auto p = parse_url("https://user:pass@api.openai.com/v1");
    REQUIRE(p);
    CHECK(p->has_userinfo);
    CHECK(p->host == "api.openai.com");
}

TEST_CASE("a percent-encoded host is decoded before the check") {
    CHECK(url("http://%31%32%37.0.0.1/") == HostVerdict::private_host_blocked);
    CHECK(url("http://%6c%6f%63%61%6c%68%6f%73%74/") == HostVerdict::private_host_blocked);
    CHECK(url("http://%6detadata/", true) == HostVerdict::blocked_host);
}

TEST_CASE("IPv6 literals follow the URL standard's parser") {
    CHECK(reroute::parse_ipv6("::"));
    CHECK(reroute::parse_ipv6("1:2:3:4:5:6:7:8"));
    CHECK(reroute::parse_ipv6("1:2:3:4:5:6:1.2.3.4"));
    CHECK(reroute::parse_ipv6("1::"));
    CHECK_FALSE(reroute::parse_ipv6("1:2:3:4:5:6:7:8:9"));
    CHECK_FALSE(reroute::parse_ipv6("1:2:3:4:5:6:7"));
    CHECK_FALSE(reroute::parse_ipv6("1::2::3"));
    CHECK_FALSE(reroute::parse_ipv6(":1"));
    CHECK_FALSE(reroute::parse_ipv6("1:"));
    CHECK_FALSE(reroute::parse_ipv6("::1.2.3"));
    CHECK_FALSE(reroute::parse_ipv6("::01.2.3.4"));
    CHECK_FALSE(reroute::parse_ipv6("::1.2.3.4.5"));
    CHECK_FALSE(reroute::parse_ipv6("1:2:3:4:5:6:7:1.2.3.4"));
    CHECK_FALSE(reroute::parse_ipv6("12345::"));
    CHECK_FALSE(reroute::parse_ipv6(""));
}

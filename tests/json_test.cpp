#include "reroute/json.hpp"
#include "reroute/text.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using reroute::json::Kind;
using reroute::json::parse;
using reroute::json::Value;

namespace {

bool accepts(std::string_view text) { return parse(text).has_value(); }

std::string quoted(std::string_view s) {
    std::string out;
    reroute::json::write_string(out, s);
    return out;
}

std::string number(double d) {
    std::string out;
    reroute::json::write_number(out, d);
    return out;
}

std::string parsed_string(std::string_view text) {
    const auto v = parse(text);
    REQUIRE(v.has_value());
    REQUIRE(v->kind == Kind::string);
    return v->string;
}

double parsed_number(std::string_view text) {
    const auto v = parse(text);
    REQUIRE(v.has_value());
    REQUIRE(v->kind == Kind::number);
    return v->number;
}

// Well-formed UTF-8; with allow_surrogates, a lone surrogate may appear in its 3-byte form (what
// JavaScript hosts hand over).
bool well_formed(std::string_view s, bool allow_surrogates) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t n = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : (b & 0xF0) == 0xE0 ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
        for (std::size_t k = 1; k < n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
        if (!allow_surrogates && cp >= 0xD800 && cp <= 0xDFFF) return false;
        i += n;
    }
    return true;
}

}  // namespace

TEST_CASE("parse reads one value of each kind") {
    CHECK(parse("null")->kind == Kind::null);
    CHECK(parse("true")->boolean == true);
    CHECK(parse("false")->kind == Kind::boolean);
    CHECK(parsed_number("42") == 42);
    CHECK(parsed_string("\"hi\"") == "hi");
    const auto a = parse("[1,\"x\",[],{}]");
    REQUIRE(a);
    REQUIRE(a->kind == Kind::array);
    REQUIRE(a->items.size() == 4);
    CHECK(a->items[1].string == "x");
    CHECK(a->items[2].kind == Kind::array);
    CHECK(a->items[3].kind == Kind::object);
    const auto o = parse("{\"a\":{\"b\":[true]}}");
    REQUIRE(o);
    REQUIRE(o->find("a"));
    REQUIRE(o->find("a")->find("b"));
    CHECK(o->find("a")->find("b")->items.at(0).boolean);
    CHECK(o->find("missing") == nullptr);
}

TEST_CASE("parse allows only space, tab, LF and CR around and between tokens") {
    CHECK(accepts(" \t\r\n{ \"a\" : [ 1 , 2 ] } \r\n"));
    CHECK(accepts("{}\r"));  // a CR left over from a CRLF line ending
    CHECK_FALSE(accepts("\xC2\xA0{}"));      // U+00A0
    CHECK_FALSE(accepts("{}\xC2\xA0"));
    CHECK_FALSE(accepts("\xEF\xBB\xBF{}"));  // BOM
    CHECK_FALSE(accepts("\v{}"));
    CHECK_FALSE(accepts("\f{}"));
    CHECK_FALSE(accepts("{\xE2\x80\xA8}"));  // U+2028
}

TEST_CASE("parse rejects anything but exactly one value") {
    CHECK_FALSE(accepts(""));
    CHECK_FALSE(accepts("   "));
    CHECK_FALSE(accepts("{} {}"));
    CHECK_FALSE(accepts("1 2"));
    CHECK_FALSE(accepts("{}x"));
    CHECK_FALSE(accepts("nul"));
    CHECK_FALSE(accepts("True"));
    CHECK_FALSE(accepts("nulll"));
    CHECK_FALSE(accepts(std::string_view("{}\0", 3)));
}

TEST_CASE("parse rejects JSON5 and JavaScript-literal extensions") {
    CHECK_FALSE(accepts("[1,]"));
    CHECK_FALSE(accepts("{\"a\":1,}"));
    CHECK_FALSE(accepts("[,1]"));
    CHECK_FALSE(accepts("[1,,2]"));
    CHECK_FALSE(accepts("{,}"));
    CHECK_FALSE(accepts("// c\n{}"));
    CHECK_FALSE(accepts("{} /* c */"));
    CHECK_FALSE(accepts("'a'"));
    CHECK_FALSE(accepts("{'a':1}"));
    CHECK_FALSE(accepts("{a:1}"));
    CHECK_FALSE(accepts("NaN"));
    CHECK_FALSE(accepts("Infinity"));
    CHECK_FALSE(accepts("-Infinity"));
    CHECK_FALSE(accepts("undefined"));
    CHECK_FALSE(accepts("{\"a\" 1}"));
    CHECK_FALSE(accepts("{\"a\":}"));
    CHECK_FALSE(accepts("{1:2}"));
    CHECK_FALSE(accepts("[1}"));
    CHECK_FALSE(accepts("{\"a\":1]"));
    CHECK_FALSE(accepts("["));
    CHECK_FALSE(accepts("{"));
    CHECK_FALSE(accepts("{\"a\""));
    CHECK_FALSE(accepts("]"));
}

TEST_CASE("parse follows the JSON number grammar") {
    CHECK(parsed_number("0") == 0);
    CHECK(parsed_number("-0") == 0);
    CHECK(std::signbit(parsed_number("-0")));
    CHECK(parsed_number("2.5") == 2.5);
    CHECK(parsed_number("-12.5e-1") == -1.25);
    CHECK(parsed_number("1E2") == 100);
    CHECK(parsed_number("1e+2") == 100);
    CHECK(parsed_number("0.5") == 0.5);
    CHECK_FALSE(accepts("01"));
    CHECK_FALSE(accepts("-01"));
    CHECK_FALSE(accepts("00"));
    CHECK_FALSE(accepts("+1"));
    CHECK_FALSE(accepts(".5"));
    CHECK_FALSE(accepts("1."));
    CHECK_FALSE(accepts("1.e2"));
    CHECK_FALSE(accepts("1e"));
    CHECK_FALSE(accepts("1e+"));
    CHECK_FALSE(accepts("-"));
    CHECK_FALSE(accepts("- 1"));
    CHECK_FALSE(accepts("0x10"));
    CHECK_FALSE(accepts("1_000"));
}

TEST_CASE("parse rounds numbers correctly and overflows to infinity") {
    CHECK(parsed_number("0.1") == 0.1);
    CHECK(parsed_number("9007199254740993") == 9007199254740992.0);
    CHECK(parsed_number("1.7976931348623157e308") == std::numeric_limits<double>::max());
    CHECK(parsed_number("5e-324") == std::numeric_limits<double>::denorm_min());
    CHECK(parsed_number("1e400") == std::numeric_limits<double>::infinity());
    CHECK(parsed_number("-1e400") == -std::numeric_limits<double>::infinity());
    CHECK(parsed_number("1e-400") == 0);
    const std::string long_number = "1." + std::string(400, '0') + "1";
    CHECK(parsed_number(long_number) == 1.0);
    const std::string many_digits = std::string(400, '9');
    CHECK(parsed_number(many_digits) == std::numeric_limits<double>::infinity());
}

TEST_CASE("parse decodes the nine escapes") {
    CHECK(parsed_string(R"("\"\\\/\b\f\n\r\t")") == "\"\\/\b\f\n\r\t");
    CHECK(parsed_string(R"("\u0061uth_error")") == "auth_error");
    CHECK(parsed_string(R"("\u00e9\u00C9")") == "\xC3\xA9\xC3\x89");
    CHECK(parsed_string(R"("\u0000")") == std::string(1, '\0'));
    CHECK_FALSE(accepts(R"("\x41")"));
    CHECK_FALSE(accepts(R"("\a")"));
    CHECK_FALSE(accepts(R"("\')"));
    CHECK_FALSE(accepts(R"("\u12")"));
    CHECK_FALSE(accepts(R"("\u12G4")"));
    CHECK_FALSE(accepts(R"("\)"));
    CHECK_FALSE(accepts("\"\\"));
}

TEST_CASE("parse combines surrogate escape pairs and keeps a lone surrogate as one unit") {
    CHECK(parsed_string(R"("\ud83d\ude80")") == "\xF0\x9F\x9A\x80");
    CHECK(parsed_string(R"("\uD800")") == "\xED\xA0\x80");
    CHECK(parsed_string(R"("\uDC00x")") == "\xED\xB0\x80x");
    CHECK(parsed_string(R"("\uD800\u0041")") == "\xED\xA0\x80" "A");
    CHECK(parsed_string(R"("\uD800\uD800")") == "\xED\xA0\x80\xED\xA0\x80");
    CHECK(parsed_string(R"("\uD800\n")") == "\xED\xA0\x80\n");
    CHECK_FALSE(accepts(R"("\uD800\u")"));
}

TEST_CASE("parse rejects raw control characters in strings but not DEL or non-ASCII") {
    for (int c = 0; c < 0x20; ++c) {
        std::string text = "\"a";
        text += char(c);
        text += "\"";
        CHECK_FALSE(accepts(text));
    }
    CHECK(parsed_string("\"\x7F\"") == "\x7F");
    CHECK(parsed_string("\"\xE2\x80\xA8 Z\xC3\xBCrich \xF0\x9F\x9A\x80\"") == "\xE2\x80\xA8 Z\xC3\xBCrich \xF0\x9F\x9A\x80");
    CHECK_FALSE(accepts("\"unterminated"));
}

TEST_CASE("parse replaces invalid UTF-8 in strings so its output is always well-formed") {
    CHECK(parsed_string("\"a\xFF" "b\"") == "a\xEF\xBF\xBD" "b");
    CHECK(parsed_string("\"\xC0\xAF\"") == "\xEF\xBF\xBD\xEF\xBF\xBD");      // overlong
    CHECK(parsed_string("\"\xE2\x82\"") == "\xEF\xBF\xBD\xEF\xBF\xBD");      // truncated
    CHECK(parsed_string("\"\xF4\x90\x80\x80\"").size() == 12);               // above U+10FFFF
    CHECK(parsed_string("\"\xED\xA0\x80\"") == "\xED\xA0\x80");              // a lone surrogate as JS hands it over
    CHECK_FALSE(accepts("\"\xE2"));                                          // truncated at the very end
    CHECK_FALSE(accepts("\xFF"));
}

TEST_CASE("parse keeps duplicate keys and find returns the last") {
    const auto v = parse(R"({"code":"generic","x":1,"code":"auth_error"})");
    REQUIRE(v);
    REQUIRE(v->members.size() == 3);
    CHECK(v->members[0].second.string == "generic");
    CHECK(v->find("code")->string == "auth_error");
    CHECK(v->find("x")->number == 1);
}

TEST_CASE("parse treats __proto__ as an ordinary member") {
    const auto v = parse(R"({"__proto__":{"code":"x"},"code":"y"})");
    REQUIRE(v);
    CHECK(v->find("__proto__")->is_object());
    CHECK(v->find("code")->string == "y");
}

TEST_CASE("parse accepts nesting up to kMaxDepth and rejects deeper without recursing") {
    const std::size_t depth = reroute::json::kMaxDepth;
    std::string ok = std::string(depth, '[') + std::string(depth, ']');
    CHECK(accepts(ok));
    std::string objects;
    for (std::size_t i = 0; i < depth; ++i) objects += "{\"a\":";
    objects += "1";
    objects += std::string(depth, '}');
    CHECK(accepts(objects));
    std::string too_deep = std::string(depth + 1, '[') + std::string(depth + 1, ']');
    CHECK_FALSE(accepts(too_deep));
    CHECK_FALSE(accepts(std::string(1'000'000, '[')));
    CHECK_FALSE(accepts(std::string(1'000'000, '{')));
}

TEST_CASE("parse never reads past the end of a truncated document") {
    const std::string doc =
        R"({"code":"credit_exhausted","provider":"Z\u00fcrich","tried":-1.5e+3,"a":[true,false,null,{}],"s":"\ud83d\ude80\n"})";
    REQUIRE(accepts(doc));
    for (std::size_t n = 0; n < doc.size(); ++n) {
        // A copy of exactly n bytes, so a sanitizer sees any read beyond it.
        const std::string cut = doc.substr(0, n);
        CHECK_FALSE(accepts(cut));
    }
}

TEST_CASE("write_string quotes as JSON.stringify does") {
    CHECK(quoted("") == "\"\"");
    CHECK(quoted("a\"b\\c") == R"("a\"b\\c")");
    CHECK(quoted("\b\f\n\r\t") == R"("\b\f\n\r\t")");
    CHECK(quoted(std::string_view("\x00\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
    CHECK(quoted("\x1b") == R"("\u001b")");  // lowercase hex
    CHECK(quoted("/\x7F") == "\"/\x7F\"");
    CHECK(quoted("\xE2\x80\xA8\xE2\x80\xA9") == "\"\xE2\x80\xA8\xE2\x80\xA9\"");
    CHECK(quoted("Z\xC3\xBCrich \xF0\x9F\x9A\x80") == "\"Z\xC3\xBCrich \xF0\x9F\x9A\x80\"");
}

TEST_CASE("write_string escapes a lone surrogate and replaces invalid bytes") {
    CHECK(quoted("\xED\xA0\x80") == R"("\ud800")");
    CHECK(quoted("a\xED\xBF\xBF" "b") == R"("a\udfffb")");
    CHECK(quoted("\xED\xA0\xBD\xED\xBA\x80") == "\"\xF0\x9F\x9A\x80\"");  // two halves of one pair
    CHECK(quoted("\xFF") == "\"\xEF\xBF\xBD\"");
    CHECK(quoted("\xC3") == "\"\xEF\xBF\xBD\"");
    CHECK(quoted("\xC0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST_CASE("write_string output reads back as the same text") {
    const std::string samples[] = {"plain", "q\"uote", "back\\slash", "ctl\x01\x02\x7F", "\xE2\x80\xA8", "\xF0\x9F\x9A\x80"};
    for (const auto& s : samples) CHECK(parsed_string(quoted(s)) == s);
    const std::string lone = "\xED\xA0\x80";
    CHECK(parsed_string(quoted(lone)) == lone);
}

TEST_CASE("write_number writes what Number#toString writes") {
    CHECK(number(0) == "0");
    CHECK(number(-0.0) == "0");
    CHECK(number(3) == "3");
    CHECK(number(1000000) == "1000000");
    CHECK(number(2.5) == "2.5");
    CHECK(number(-2.5) == "-2.5");
    CHECK(number(0.1) == "0.1");
    CHECK(number(0.1 + 0.2) == "0.30000000000000004");
    CHECK(number(100) == "100");
    CHECK(number(9007199254740992.0) == "9007199254740992");
    CHECK(number(123456789012345680000.0) == "123456789012345680000");
    CHECK(number(1e21) == "1e+21");
    CHECK(number(1.25e21) == "1.25e+21");
    CHECK(number(0.000001) == "0.000001");
    CHECK(number(0.0000015) == "0.0000015");
    CHECK(number(1e-7) == "1e-7");
    CHECK(number(1.5e-7) == "1.5e-7");
    CHECK(number(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
    CHECK(number(std::numeric_limits<double>::denorm_min()) == "5e-324");
    CHECK(number(std::numeric_limits<double>::min()) == "2.2250738585072014e-308");
    CHECK(number(1.0 / 3) == "0.3333333333333333");
    CHECK(number(5e-7) == "5e-7");
    CHECK(number(123e-20) == "1.23e-18");
}

TEST_CASE("write_number writes JSON.stringify's null for non-finite values") {
    CHECK(number(std::numeric_limits<double>::infinity()) == "null");
    CHECK(number(-std::numeric_limits<double>::infinity()) == "null");
    CHECK(number(std::numeric_limits<double>::quiet_NaN()) == "null");
}

TEST_CASE("write_number output reads back as the same double") {
    std::mt19937_64 rng(12345);
    for (int i = 0; i < 20000; ++i) {
        std::uint64_t bits = rng();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        if (!std::isfinite(d)) continue;
        const std::string text = number(d);
        CHECK(parsed_number(text) == d);
    }
    for (int e = -1074; e <= 1023; ++e) {
        const double d = std::ldexp(1.0, e);  // powers of two: the uneven rounding intervals
        CHECK(parsed_number(number(d)) == d);
    }
}

namespace {
bool strings_well_formed(const Value& v) {
    if (v.kind == Kind::string) return well_formed(v.string, true);
    for (const auto& item : v.items)
        if (!strings_well_formed(item)) return false;
    for (const auto& [key, member] : v.members)
        if (!well_formed(key, true) || !strings_well_formed(member)) return false;
    return true;
}
}  // namespace

TEST_CASE("parse and write_string survive arbitrary bytes and only ever produce well-formed text") {
    std::mt19937 rng(7);
    const std::string alphabet[] = {"{", "}", "[", "]", ":", ",", "\"", "\\", "u", "d8", "00", "dc", "1", "-",
                                    "e", ".", " ", "true", "\xFF", "\xC3", "\xA9", "\xED\xA0\x80", "\x01", "a"};
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        const int len = int(rng() % 24);
        for (int i = 0; i < len; ++i) text += alphabet[rng() % std::size(alphabet)];
        const auto v = parse(text);
        if (v) CHECK(strings_well_formed(*v));
        const std::string q = quoted(text);
        CHECK(well_formed(q, false));
        const auto back = parse(q);
        REQUIRE(back);
        CHECK(back->kind == Kind::string);
    }
}

TEST_CASE("scan accepts exactly what parse accepts and names the top-level kind") {
    const std::string samples[] = {
        "null", "true", " 42 ", "\"s\"", "[]", "{}", "[1,[2,{\"a\":[]}]]", "{\"a\":{\"b\":1},\"c\":[true]}",
        "", "[1,]", "{\"a\":1,}", "01", "1.", "{\"a\" 1}", "[1}", "\"\\x\"", "\"a\x01\"", "{}x", "\xC2\xA0{}",
        "{\"a\":1]", "[[[]]", "nul", "-", "{\"a\":}", "[\"\\ud800\"]"};
    for (const auto& text : samples) {
        const auto parsed = parse(text);
        const auto kind = reroute::json::scan(text, nullptr, nullptr);
        CHECK(kind.has_value() == parsed.has_value());
        if (parsed && kind) CHECK(*kind == parsed->kind);
    }
    const std::size_t depth = reroute::json::kMaxDepth;
    CHECK(reroute::json::scan(std::string(depth, '[') + std::string(depth, ']'), nullptr, nullptr));
    CHECK_FALSE(reroute::json::scan(std::string(depth + 1, '[') + std::string(depth + 1, ']'), nullptr, nullptr));
    CHECK_FALSE(reroute::json::scan(std::string(1'000'000, '{'), nullptr, nullptr));
}

TEST_CASE("scan reports each top-level member with its decoded key and exact value text") {
    std::vector<std::pair<std::string, std::string>> seen;
    const auto kind = reroute::json::scan(R"( {"code" : "generic", "\u0063ode":42,"n":{"code":"x","a":[1, 2]},"e":[] } )",
                                          [&](std::string_view key, std::string_view value) {
                                              seen.emplace_back(std::string(key), std::string(value));
                                          });
    REQUIRE(kind == Kind::object);
    REQUIRE(seen.size() == 4);
    CHECK(seen[0] == std::pair<std::string, std::string>{"code", "\"generic\""});
    CHECK(seen[1] == std::pair<std::string, std::string>{"code", "42"});
    CHECK(seen[2] == std::pair<std::string, std::string>{"n", R"({"code":"x","a":[1, 2]})"});
    CHECK(seen[3] == std::pair<std::string, std::string>{"e", "[]"});
    seen.clear();
    CHECK(reroute::json::scan(R"([{"a":1}])", [&](std::string_view k, std::string_view v) {
              seen.emplace_back(std::string(k), std::string(v));
          }) == Kind::array);
    CHECK(seen.empty());
}

TEST_CASE("scan agrees with parse on arbitrary bytes") {
    std::mt19937 rng(11);
    const std::string alphabet[] = {"{", "}", "[", "]", ":", ",", "\"", "\\", "u", "0", "1", "-", "e", ".", " ",
                                    "true", "null", "\"k\"", "\xFF", "\x01", "a", "\r"};
    for (int round = 0; round < 50000; ++round) {
        std::string text;
        const int len = int(rng() % 16);
        for (int i = 0; i < len; ++i) text += alphabet[rng() % std::size(alphabet)];
        const auto parsed = parse(text);
        const auto kind = reroute::json::scan(text, [](std::string_view, std::string_view value) {
            CHECK(parse(value).has_value());
        });
        CHECK(kind.has_value() == parsed.has_value());
        if (parsed && kind) CHECK(*kind == parsed->kind);
    }
}

TEST_CASE("for_each_item and for_each_member give each entry of a valid text with its exact text") {
    std::vector<std::string> items;
    reroute::json::for_each_item(R"( [ 1 , "a]\"," , {"b":[2,"}"]} ,[ ], null,-2.5e3] )", [&](std::string_view v) {
        items.emplace_back(v);
    });
    CHECK(items == std::vector<std::string>{"1", R"("a]\",")", R"({"b":[2,"}"]})", "[ ]", "null", "-2.5e3"});
    std::vector<std::pair<std::string, std::string>> members;
    reroute::json::for_each_member(R"({ "a" : true ,"\u0062":{"c":"d"},"a":"x"})", [&](std::string_view k, std::string_view v) {
        members.emplace_back(k, v);
    });
    CHECK(members == std::vector<std::pair<std::string, std::string>>{
                         {R"("a")", "true"}, {R"("\u0062")", R"({"c":"d"})"}, {R"("a")", R"("x")"}});
    int calls = 0;
    reroute::json::for_each_item(R"({"a":1})", [&](std::string_view) { ++calls; });
    reroute::json::for_each_member("[1]", [&](std::string_view, std::string_view) { ++calls; });
    reroute::json::for_each_item("[]", [&](std::string_view) { ++calls; });
    reroute::json::for_each_member(R"("x")", [&](std::string_view, std::string_view) { ++calls; });
    CHECK(calls == 0);
}

TEST_CASE("a string literal's length and equality are those of the string it decodes to") {
    using reroute::json::literal_equals;
    using reroute::json::literal_utf16_length;
    CHECK(literal_utf16_length(R"("")") == 0);
    CHECK(literal_utf16_length(R"("ab\n\"")") == 4);
    CHECK(literal_utf16_length("\"\xC3\xA9\xF0\x9F\x98\x80\"") == 3);  // é one unit, the emoji two
    CHECK(literal_utf16_length(R"("\ud83d\ude00\u00e9\ud800")") == 4);  // a pair, é, a lone surrogate
    CHECK(literal_utf16_length("\"\xFF\xE2\x82" "a\"") == 4);           // each invalid byte is one unit (U+FFFD)
    CHECK(literal_equals(R"("content")", "content"));
    CHECK(literal_equals(R"("con\u0074ent")", "content"));
    CHECK_FALSE(literal_equals(R"("contents")", "content"));
    CHECK_FALSE(literal_equals(R"("Content")", "content"));
}

namespace {
// A random JSON document: containers up to three deep, strings with escapes, non-ASCII, invalid
// bytes and the characters the walkers must not take for structure, random whitespace.
std::string random_json(std::mt19937& rng, int depth) {
    const std::string ws[] = {"", " ", "\n", "\t ", "\r\n"};
    const std::string pieces[] = {"a", "]", "}", ",", ":", "\\\"", "\\\\", "\\n", "\\u00e9", "\\ud83d\\ude00", "\\ud800",
                                  "\xC3\xA9", "\xF0\x9F\x98\x80", "\xFF", "[", "{", "content", "text"};
    const auto space = [&] { return ws[rng() % std::size(ws)]; };
    const auto string = [&] {
        std::string out = "\"";
        for (int n = int(rng() % 5); n > 0; --n) out += pieces[rng() % std::size(pieces)];
        return out + "\"";
    };
    const int pick = int(rng() % (depth < 3 ? 7 : 4));
    switch (pick) {
        case 0: return string();
        case 1: return std::to_string(int(rng() % 2000) - 1000) + (rng() % 2 ? ".5e1" : "");
        case 2: return rng() % 2 ? "true" : "null";
        case 3: return string();
        case 4:
        case 5: {
            std::string out = "[" + space();
            for (int n = int(rng() % 4); n > 0; --n) out += random_json(rng, depth + 1) + space() + (n > 1 ? "," + space() : "");
            return out + "]";
        }
        default: {
            std::string out = "{" + space();
            for (int n = int(rng() % 4); n > 0; --n)
                out += string() + space() + ":" + space() + random_json(rng, depth + 1) + space() + (n > 1 ? "," + space() : "");
            return out + "}";
        }
    }
}
}  // namespace

TEST_CASE("the walkers agree with parse on random valid documents") {
    std::mt19937 rng(17);
    int documents = 0;
    for (int round = 0; round < 20000 && documents < 3000; ++round) {
        const std::string text = random_json(rng, 0);
        const auto parsed = parse(text);
        REQUIRE(parsed);
        if (parsed->kind != Kind::array && parsed->kind != Kind::object) continue;
        ++documents;
        CAPTURE(text);
        std::size_t n = 0;
        reroute::json::for_each_item(text, [&](std::string_view v) {
            REQUIRE(n < parsed->items.size());
            const auto item = parse(v);
            REQUIRE(item);
            CHECK(item->kind == parsed->items[n].kind);
            if (item->is_string()) {
                CHECK(item->string == parsed->items[n].string);
                CHECK(reroute::json::literal_utf16_length(v) == reroute::text::utf16_length(item->string));
                CHECK(reroute::json::literal_equals(v, item->string));
            }
            ++n;
        });
        CHECK(n == parsed->items.size());
        n = 0;
        reroute::json::for_each_member(text, [&](std::string_view k, std::string_view v) {
            REQUIRE(n < parsed->members.size());
            CHECK(reroute::json::literal_equals(k, parsed->members[n].first));
            const auto value = parse(v);
            REQUIRE(value);
            CHECK(value->kind == parsed->members[n].second.kind);
            ++n;
        });
        CHECK(n == parsed->members.size());
    }
    CHECK(documents == 3000);
}

TEST_CASE("strings are read exactly whatever the offset of an escape, a control character or a non-ASCII byte") {
    // The reader takes plain bytes eight at a time: put each kind of special byte at every offset
    // of two words, with plain bytes on both sides.
    for (std::size_t at = 0; at < 20; ++at) {
        CAPTURE(at);
        const std::string before(at, 'a'), after(19 - at, 'b');
        const auto escaped = parse("\"" + before + "\\n" + after + "\"");
        REQUIRE(escaped);
        CHECK(escaped->string == before + "\n" + after);
        CHECK(parsed_string("\"" + before + "\xC3\xA9" + after + "\"") == before + "\xC3\xA9" + after);
        CHECK_FALSE(accepts("\"" + before + "\x1F" + after + "\""));
        CHECK_FALSE(accepts("\"" + before + after));  // no closing quote
        const std::string literal = "\"" + before + "\\\"\xF0\x9F\x98\x80" + after + "\"";
        CHECK(reroute::json::literal_utf16_length(literal) == 22);  // 19 plain, the quote, the emoji (two)
        std::vector<std::string> items;
        reroute::json::for_each_item("[" + literal + "," + literal + "]", [&](std::string_view v) { items.emplace_back(v); });
        CHECK(items == std::vector<std::string>{literal, literal});
    }
}

TEST_CASE("the walkers never read outside a text or loop on one that is not valid") {
    std::mt19937 rng(23);
    const std::string alphabet[] = {"{", "}", "[", "]", ":", ",", "\"", "\\", "u", "1", " ", "null", "\xFF", "a"};
    std::size_t visits = 0;
    for (int round = 0; round < 50000; ++round) {
        std::string text;
        for (int n = int(rng() % 12); n > 0; --n) text += alphabet[rng() % std::size(alphabet)];
        reroute::json::for_each_item(text, [&](std::string_view v) { visits += v.size() <= text.size(); });
        reroute::json::for_each_member(text, [&](std::string_view k, std::string_view v) {
            visits += reroute::json::literal_utf16_length(k) <= k.size() && v.size() <= text.size();
        });
        reroute::json::literal_utf16_length(text);
    }
    CHECK(visits > 0);
}

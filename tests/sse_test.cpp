#include "reroute/sse.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using reroute::sse::ItemKind;
using reroute::sse::OwnedItem;
using reroute::sse::Parser;
using reroute::sse::Status;

namespace {

OwnedItem event(std::string data, std::string type = "", std::string id = "") {
    return {ItemKind::event, std::move(type), std::move(data), std::move(id)};
}
OwnedItem comment(std::string text) { return {ItemKind::comment, "", std::move(text), ""}; }

std::vector<OwnedItem> parse_all(std::string_view bytes) {
    Parser p;
    return p.feed_all(bytes);
}

// Feeds bytes in pieces cut at the given positions.
std::vector<OwnedItem> parse_split(std::string_view bytes, std::vector<std::size_t> cuts) {
    Parser p;
    std::vector<OwnedItem> items;
    std::size_t from = 0;
    cuts.push_back(bytes.size());
    for (std::size_t cut : cuts) {
        auto got = p.feed_all(bytes.substr(from, cut - from));
        items.insert(items.end(), got.begin(), got.end());
        from = cut;
    }
    return items;
}

const std::string kMixed =
    "\xEF\xBB\xBF: hello\r\n"
    "event: add\r\n"
    "data: 73857293\r\n"
    "\r\n"
    "data:one\rdata:  two\r\rid: 7\n"
    "data\n\n"
    "retry: 1500\n"
    "data: {\"a\":1}\n\n"
    "event: x\n\n"  // no data: nothing dispatched
    ":\n"
    "data: last\r\n\r\n";

}  // namespace

TEST_CASE("sse: a blank line dispatches the data of the event") {
    CHECK(parse_all("data: hello\n\n") == std::vector<OwnedItem>{event("hello")});
    CHECK(parse_all("data: hello\n") == std::vector<OwnedItem>{});  // not dispatched yet
}

TEST_CASE("sse: multi-line data is joined with LF") {
    CHECK(parse_all("data: a\ndata: b\ndata:\ndata: c\n\n") == std::vector<OwnedItem>{event("a\nb\n\nc")});
}

TEST_CASE("sse: one space after the colon is dropped, no more") {
    CHECK(parse_all("data:x\n\n") == std::vector<OwnedItem>{event("x")});
    CHECK(parse_all("data:  x \n\n") == std::vector<OwnedItem>{event(" x ")});
    CHECK(parse_all("data: a: b\n\n") == std::vector<OwnedItem>{event("a: b")});
}

TEST_CASE("sse: a field without a colon has an empty value") {
    CHECK(parse_all("data\n\n") == std::vector<OwnedItem>{event("")});
    CHECK(parse_all("data\ndata\n\n") == std::vector<OwnedItem>{event("\n")});
}

TEST_CASE("sse: event names the type and is reset after each dispatch") {
    CHECK(parse_all("event: error\ndata: {}\n\ndata: x\n\n") ==
          std::vector<OwnedItem>{event("{}", "error"), event("x")});
}

TEST_CASE("sse: a blank line with no data dispatches nothing and resets the type") {
    CHECK(parse_all("event: a\n\ndata: x\n\n") == std::vector<OwnedItem>{event("x")});
    CHECK(parse_all("\n\n\n") == std::vector<OwnedItem>{});
}

TEST_CASE("sse: id persists across events; an id holding NUL is ignored") {
    CHECK(parse_all("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n") ==
          std::vector<OwnedItem>{event("a", "", "1"), event("b", "", "1"), event("c", "", "")});
    Parser p;
    p.feed_all("id: 5\n\n");
    CHECK(p.last_event_id() == "5");
    p.feed_all(std::string("id: 6\0x\n\n", 9));
    CHECK(p.last_event_id() == "5");
}

TEST_CASE("sse: retry takes digits only") {
    Parser p;
    p.feed_all("retry: 1500\n\n");
    CHECK(p.retry_ms() == 1500u);
    p.feed_all("retry: 15x\nretry: -1\nretry:\n\n");
    CHECK(p.retry_ms() == 1500u);
    p.feed_all("retry:99999999999999999999999\n");
    CHECK(p.retry_ms() == UINT64_MAX);
}

TEST_CASE("sse: unknown fields are ignored") {
    CHECK(parse_all("foo: bar\ndata: x\nData: y\n\n") == std::vector<OwnedItem>{event("x")});
}

TEST_CASE("sse: comments are reported verbatim and never dispatch") {
    CHECK(parse_all(": keep-alive\n\n:\n:x:y\n") ==
          std::vector<OwnedItem>{comment(" keep-alive"), comment(""), comment("x:y")});
    CHECK(parse_all("data: a\n: mid\ndata: b\n\n") == std::vector<OwnedItem>{comment(" mid"), event("a\nb")});
}

TEST_CASE("sse: CRLF and CR line endings") {
    CHECK(parse_all("data: a\r\n\r\n") == std::vector<OwnedItem>{event("a")});
    CHECK(parse_all("data: a\r\rdata: b\r\n\n") == std::vector<OwnedItem>{event("a"), event("b")});
    CHECK(parse_all("data: a\rdata: b\r\r") == std::vector<OwnedItem>{event("a\nb")});
    // CR LF is one line end, LF CR is two.
    CHECK(parse_all("data: a\n\rdata: b\n\n") == std::vector<OwnedItem>{event("a"), event("b")});
}

TEST_CASE("sse: a CR at the end of a chunk and its LF at the start of the next are one line end") {
    Parser p;
    CHECK(p.feed_all("data: a\r").empty());
    CHECK(p.feed_all("\n").empty());  // the LF of CRLF, not a blank line
    CHECK(p.feed_all("\r") == std::vector<OwnedItem>{event("a")});
    CHECK(p.feed_all("\ndata: b\n\n") == std::vector<OwnedItem>{event("b")});
    // An empty chunk between CR and LF changes nothing.
    Parser q;
    q.feed_all("data: a\r");
    q.feed_all("");
    CHECK(q.feed_all("\n\n") == std::vector<OwnedItem>{event("a")});
}

TEST_CASE("sse: a leading BOM is stripped, also when split; only at the very start") {
    CHECK(parse_all("\xEF\xBB\xBF" "data: a\n\n") == std::vector<OwnedItem>{event("a")});
    CHECK(parse_split("\xEF\xBB\xBF" "data: a\n\n", {1, 2}) == std::vector<OwnedItem>{event("a")});
    // A second BOM is part of the line: the field name is no longer "data".
    CHECK(parse_all("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\n") == std::vector<OwnedItem>{});
    // A broken BOM prefix is kept as bytes of the first line.
    CHECK(parse_all("\xEF\xBB" "x\ndata: a\n\n") == std::vector<OwnedItem>{event("a")});
    CHECK(parse_split("\xEF" "data: a\n\n", {1}) == std::vector<OwnedItem>{});
}

TEST_CASE("sse: frames split at every byte boundary give the same events") {
    const auto whole = parse_all(kMixed);
    REQUIRE(whole == std::vector<OwnedItem>{comment(" hello"), event("73857293", "add"), event("one\n two"),
                                            event("", "", "7"), event("{\"a\":1}", "", "7"), comment(""),
                                            event("last", "", "7")});
    for (std::size_t i = 0; i <= kMixed.size(); ++i) {
        CAPTURE(i);
        CHECK(parse_split(kMixed, {i}) == whole);
        for (std::size_t j = i; j <= kMixed.size(); j += 7) CHECK(parse_split(kMixed, {i, j}) == whole);
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < kMixed.size(); ++i) every.push_back(i);
    CHECK(parse_split(kMixed, every) == whole);
}

TEST_CASE("sse: the callback can stop the current chunk") {
    Parser p;
    int seen = 0;
    p.feed("data: a\n\ndata: b\n\n", [&](const reroute::sse::Item&) {
        ++seen;
        return false;
    });
    CHECK(seen == 1);
}

TEST_CASE("sse: an event larger than the limit is an error, not unbounded growth") {
    SUBCASE("many data lines") {
        Parser p(64);
        CHECK(p.feed_all("data: 0123456789012345678901234567890123456789\n").empty());
        CHECK(p.status() == Status::ok);
        p.feed_all("data: 0123456789012345678901234567890123456789\n");
        CHECK(p.status() == Status::event_too_large);
        CHECK(p.pending_bytes() == 0);
        CHECK(p.feed_all("\n").empty());  // stays failed
        CHECK(p.feed("data: x\n\n", [](const reroute::sse::Item&) { return true; }) == Status::event_too_large);
    }
    SUBCASE("one endless line") {
        Parser p(64);
        for (int i = 0; i < 6; ++i) p.feed_all("0123456789");
        CHECK(p.status() == Status::ok);
        p.feed_all("0123456789");
        CHECK(p.status() == Status::event_too_large);
    }
    SUBCASE("an event at the limit passes, one byte more fails, however it is split") {
        const std::string frame = "data: 0123456789abcd\n\n";  // a 20-byte line
        for (std::size_t cut = 0; cut <= frame.size(); ++cut) {
            Parser p(20);
            CHECK(p.feed_all(frame.substr(0, cut)).size() + p.feed_all(frame.substr(cut)).size() == 1);
            CHECK(p.status() == Status::ok);
            Parser q(19);
            q.feed_all(frame.substr(0, cut));
            q.feed_all(frame.substr(cut));
            CHECK(q.status() == Status::event_too_large);
        }
    }
    SUBCASE("the limit is per event, not per stream") {
        Parser p(32);
        for (int i = 0; i < 1000; ++i) CHECK(p.feed_all("data: 0123456789\n\n").size() == 1);
        CHECK(p.status() == Status::ok);
    }
}

TEST_CASE("sse: finish reports an unterminated trailing event") {
    SUBCASE("clean end") {
        Parser p;
        p.feed_all("data: a\n\n");
        auto tail = p.finish();
        CHECK(tail.status == Status::ok);
        CHECK_FALSE(tail.unterminated);
        CHECK_FALSE(tail.pending);
    }
    SUBCASE("fields without their blank line") {
        Parser p;
        p.feed_all("event: e\ndata: a\n");
        auto tail = p.finish();
        CHECK(tail.unterminated);
        REQUIRE(tail.pending);
        CHECK(*tail.pending == event("a", "e"));
    }
    SUBCASE("an unterminated last line") {
        Parser p;
        p.feed_all("data: a\ndata: {\"b\":");
        auto tail = p.finish();
        CHECK(tail.unterminated);
        REQUIRE(tail.pending);
        CHECK(tail.pending->data == "a\n{\"b\":");
    }
    SUBCASE("an unterminated comment holds no event") {
        Parser p;
        p.feed_all(": ping");
        auto tail = p.finish();
        CHECK(tail.unterminated);
        CHECK_FALSE(tail.pending);
    }
    SUBCASE("the parser is reusable after finish") {
        Parser p;
        p.feed_all("data: a");
        p.finish();
        CHECK(p.feed_all("\xEF\xBB\xBF" "data: b\n\n") == std::vector<OwnedItem>{event("b")});
    }
}

TEST_CASE("sse: write_event frames data line by line and round-trips") {
    std::string out;
    reroute::sse::write_event(out, "reroute.fallback", "[MODEL_FALLBACK] from=a to=b");
    CHECK(out == "event: reroute.fallback\ndata: [MODEL_FALLBACK] from=a to=b\n\n");
    out.clear();
    reroute::sse::write_data(out, "a\nb\r\nc\rd");
    CHECK(out == "data: a\ndata: b\ndata: c\ndata: d\n\n");
    CHECK(parse_all(out) == std::vector<OwnedItem>{event("a\nb\nc\nd")});
    out.clear();
    reroute::sse::write_data(out, "");
    CHECK(out == "data: \n\n");
    CHECK(parse_all(out) == std::vector<OwnedItem>{event("")});
    out.clear();
    reroute::sse::write_data(out, "x\n");
    CHECK(parse_all(out) == std::vector<OwnedItem>{event("x\n")});
    out.clear();
    reroute::sse::write_event(out, "bad\nevent: evil", " lead");
    CHECK(out == "event: bad\ndata:  lead\n\n");
    CHECK(parse_all(out) == std::vector<OwnedItem>{event(" lead", "bad")});
    out.clear();
    reroute::sse::write_comment(out, "keep\nalive");
    CHECK(out == ":keep\n\n");
}

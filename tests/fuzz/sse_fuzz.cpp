// libFuzzer target: random bytes into the SSE parser and the stream relay. Never a crash, a hang or
// unbounded growth, and splitting the input differently never changes what comes out.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Icore/include \
//     tests/fuzz/sse_fuzz.cpp core/src/*.cpp -o /tmp/sse_fuzz && /tmp/sse_fuzz
//
// Input layout: byte 0 picks the piece size for the split run (1..64, or everything), byte 1 the
// relay options (small hold and event limits, prefill continuation); the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reroute/config.hpp"
#include "reroute/sse.hpp"
#include "reroute/stream.hpp"

namespace {

using namespace reroute;

void require(bool ok) {
    if (!ok) __builtin_trap();
}

std::vector<sse::OwnedItem> parse_pieces(std::string_view bytes, std::size_t piece, std::size_t limit, sse::Tail& tail) {
    sse::Parser parser(limit);
    std::vector<sse::OwnedItem> items;
    for (std::size_t i = 0; i < bytes.size(); i += piece) {
        auto got = parser.feed_all(bytes.substr(i, piece));
        items.insert(items.end(), got.begin(), got.end());
        require(parser.pending_bytes() <= limit + piece);
    }
    tail = parser.finish();
    return items;
}

struct Outcome {
    std::string out;
    bool complete = false;
    std::optional<stream::OutcomeKind> kind;
    std::string partial;
};

Outcome relay_pieces(std::string_view bytes, std::size_t piece, const stream::RelayOptions& options) {
    StreamRelay relay(options);
    Outcome o;
    for (std::size_t i = 0; i < bytes.size(); i += piece) {
        stream::Step s = relay.feed(bytes.substr(i, piece));
        o.out += s.out;
        require(relay.held_bytes() <= options.hold_limit);
        if (s.failure) {
            require(!o.kind);
            o.kind = s.failure->kind;
        }
    }
    stream::End e = relay.end_of_upstream("event: reroute.trail\ndata: []\n\n");
    o.out += e.out;
    o.complete = e.complete;
    if (e.failure) o.kind = e.failure->kind;
    require(o.complete != o.kind.has_value());
    o.partial = relay.partial_text();

    // Exercise what the gateway would do next.
    (void)relay.in_unfinished_tool_call();
    if (o.kind) {
        stream::ErrorEnding ending;
        ending.code = relay.failure()->code.value_or(ErrorCode::generic);
        ending.raw = relay.failure()->raw;
        ending.chunk_id = relay.chunk_id();
        ending.chunk_model = relay.model();
        ending.created = relay.created().value_or(0);
        const std::string bytes_out = stream::error_ending(ending);
        // Two events, the chunk then the error, and never [DONE] (the raw text sits escaped inside
        // a JSON string, so whatever it holds cannot end a line).
        sse::Parser check;
        const auto events = check.feed_all(bytes_out);
        require(events.size() == 2 && check.pending_bytes() == 0);
        require(events[1].data.rfind("{\"error\":{", 0) == 0);
        for (const auto& event : events) require(event.data != "[DONE]");
        (void)stream::plan_continuation(Continuation::continue_, relay, true);
    }
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t piece_byte = data[0];
    const std::uint8_t flags = data[1];
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
    const std::size_t piece = piece_byte >= 64 ? bytes.size() + 1 : piece_byte + 1;

    // The parser: any split gives the same items and the same tail.
    const std::size_t limit = (flags & 1) ? 64 : sse::kDefaultMaxEventBytes;
    sse::Tail whole_tail, split_tail;
    const auto whole = parse_pieces(bytes, bytes.size() + 1, limit, whole_tail);
    const auto split = parse_pieces(bytes, piece, limit, split_tail);
    require(whole == split);
    require(whole_tail.status == split_tail.status);
    require(whole_tail.unterminated == split_tail.unterminated);
    require(whole_tail.pending == split_tail.pending);
    // Written events parse back to themselves (data with LF line breaks).
    for (const auto& item : whole) {
        if (item.kind != sse::ItemKind::event || item.data.find('\r') != std::string::npos) continue;
        std::string frame;
        sse::write_event(frame, item.type, item.data);
        sse::Parser back;
        const auto again = back.feed_all(frame);
        require(again.size() == 1 && again[0].data == item.data);
    }

    // The relay: same client bytes and outcome for any split.
    stream::RelayOptions options;
    if (flags & 2) options.hold_limit = 256;
    if (flags & 4) options.max_event_bytes = 256;
    if (flags & 8) {
        options.partial_prefix = "Hello";
        options.drop_preamble = true;
    }
    if (flags & 16) stream::restart_event(options.prelude);
    const Outcome a = relay_pieces(bytes, bytes.size() + 1, options);
    const Outcome b = relay_pieces(bytes, piece, options);
    require(a.out == b.out);
    require(a.kind == b.kind);
    require(a.partial == b.partial);

    (void)stream::check_completion_body(bytes);
    return 0;
}

// Server-sent events: an incremental parser that follows the WHATWG EventSource rules ("Interpreting
// an event stream", HTML Living Standard 9.2.6) and a writer for the frames the edge sends.
//
//   reroute::sse::Parser parser;
//   parser.feed(chunk, [&](const reroute::sse::Item& item) {
//       if (item.kind == reroute::sse::ItemKind::event) use(item.type, item.data);
//       return true;  // keep going; false stops this feed
//   });
//
// The parser works on bytes and is byte-transparent: it strips one leading UTF-8 BOM and splits on
// LF, CR and CRLF (also when a CR ends one chunk and its LF starts the next), but does not replace
// invalid UTF-8 (the relay forwards what it got). Memory is bounded: an event whose pending bytes
// (current line + data + event name) exceed max_event_bytes is a parse error rather than unbounded
// growth; after an error the parser reports nothing more. Never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace reroute::sse {

inline constexpr std::size_t kDefaultMaxEventBytes = std::size_t{1} << 20;  // 1 MiB

enum class ItemKind : std::uint8_t {
    event,    // a dispatched event (a blank line ended it and its data buffer was not empty)
    comment,  // a line starting with ':' (WHATWG ignores these; a relay may forward keep-alives)
};

// What the parser reports. Views into the parser's buffers or the fed bytes: valid only during the
// callback.
struct Item {
    ItemKind kind = ItemKind::event;
    std::string_view type;  // event: the `event:` field value; empty when none was given ("message")
    std::string_view data;  // event: data lines joined with LF; comment: the text after ':' verbatim
    std::string_view id;    // event: the last event ID string after this event (persists across events)
};

// An Item that owns its text (for tests and callers that keep events).
struct OwnedItem {
    ItemKind kind = ItemKind::event;
    std::string type, data, id;
    friend bool operator==(const OwnedItem&, const OwnedItem&) = default;
};

enum class Status : std::uint8_t {
    ok,
    event_too_large,  // an event or line grew beyond max_event_bytes; the parser stays failed
};

// What finish() found at the end of the input. WHATWG discards an event that no blank line ended;
// the parser reports it so the caller can tell a clean end from a cut one.
struct Tail {
    Status status = Status::ok;
    // Bytes after the last complete event: an unterminated line, or fields without their blank line.
    bool unterminated = false;
    // The event the pending fields would have dispatched had a blank line followed (the
    // unterminated last line included); nullopt when they hold no data. Owned.
    std::optional<OwnedItem> pending;
};

class Parser {
public:
    // Callback: bool(const Item&); return false to stop reading the current chunk (the rest of the
    // chunk is dropped; the parser should not be fed again).
    using Callback = bool (*)(void* context, const Item& item);

    explicit Parser(std::size_t max_event_bytes = kDefaultMaxEventBytes) noexcept
        : max_event_bytes_(max_event_bytes) {}

    // Parses the next bytes of the stream, calling on_item for every comment and dispatched event,
    // in stream order. Linear in bytes.size(); a line split over chunks is copied once.
    Status feed(std::string_view bytes, Callback on_item, void* context);
    template <class F>
    Status feed(std::string_view bytes, F&& on_item) {
        return feed(
            bytes,
            [](void* context, const Item& item) -> bool {
                return (*static_cast<std::remove_reference_t<F>*>(context))(item);
            },
            const_cast<void*>(static_cast<const void*>(&on_item)));
    }
    // Convenience: everything one feed reports, owned.
    std::vector<OwnedItem> feed_all(std::string_view bytes);

    // The end of the input. Reports an unterminated trailing event; afterwards the parser is reset
    // (the last event ID and retry survive, as for a reconnecting EventSource).
    Tail finish();

    Status status() const noexcept { return status_; }
    const std::string& last_event_id() const noexcept { return last_id_; }
    // The last valid `retry:` value (reconnection time in ms), if any.
    std::optional<std::uint64_t> retry_ms() const noexcept { return retry_; }
    std::size_t max_event_bytes() const noexcept { return max_event_bytes_; }
    // Bytes currently buffered for an incomplete event.
    std::size_t pending_bytes() const noexcept { return line_.size() + data_.size() + type_.size(); }

private:
    bool process_line(std::string_view line, Callback on_item, void* context);
    bool dispatch(Callback on_item, void* context);
    bool over_limit(std::size_t extra) const noexcept { return pending_bytes() + extra > max_event_bytes_; }
    Status consume(std::string_view bytes, Callback on_item, void* context);
    void fail() noexcept;

    std::size_t max_event_bytes_;
    Status status_ = Status::ok;
    std::string line_;      // the current line, when it spans chunks
    std::string data_;      // data buffer (each line followed by LF)
    std::string type_;      // event type buffer
    std::string id_buf_;    // last event ID buffer
    std::string last_id_;   // last event ID string
    std::optional<std::uint64_t> retry_;
    char bom_[3] = {0, 0, 0};
    std::uint8_t bom_len_ = 0;
    bool bom_done_ = false;
    bool after_cr_ = false;  // the previous chunk ended with CR: a leading LF belongs to it
};

// Appends one event frame: `event: <name>` when name is not empty, one `data: ` line per line of
// data (LF, CR and CRLF in data each start a new data line, so the parser gives back the data with
// LF line breaks), then the blank line. A line break inside name is cut there (it would end the
// field). Empty data is written as one empty data line, which dispatches an event with empty data.
void write_event(std::string& out, std::string_view name, std::string_view data);
inline void write_data(std::string& out, std::string_view data) { write_event(out, {}, data); }
// `:<text>` + blank line (keep-alive). Text is cut at its first line break.
void write_comment(std::string& out, std::string_view text);
// `data: [DONE]` + blank line, the OpenAI end marker.
inline constexpr std::string_view kDoneFrame = "data: [DONE]\n\n";

}  // namespace reroute::sse

// The OpenAI-compatible stream relay (failover.md II.4, II.5, II.12): one StreamRelay per upstream
// attempt, fed the upstream's raw bytes, deciding for every frame whether to hold it (before the
// commit point), release what was held and forward it (at and after the commit point), or fail the
// attempt (in-band error, malformed frame, cut). Also the client-facing stream endings, the
// reroute.* event writers, the non-streaming body check and the continuation plan.
//
//   reroute::StreamRelay relay;                        // one per attempt
//   for (chunk : upstream) {
//       reroute::stream::Step s = relay.feed(chunk);
//       if (s.committed) send_headers();               // first attempt only
//       write(s.out);                                  // may be empty while holding
//       if (s.failure) { /* before commit: fail over; after: error_ending or continue */ }
//       if (s.done) break;                             // upstream sent [DONE]
//   }
//   reroute::stream::End e = relay.end_of_upstream(trail_event_bytes);
//   if (e.complete) write(e.out);                      // flushed frames, trail, data: [DONE]
//
// Pure: no I/O, no clock (timeouts are reported by the host through fail()), no exceptions. Each
// frame is parsed once (json.hpp); upstream content frames are forwarded byte for byte (their data
// is re-framed as `data: <json>\n\n`, nothing inside is rewritten: `model`, `id` and `usage` stay
// those of the serving target). Upstream `[DONE]` is not forwarded: the relay writes it at the end,
// after the trail. Unknown named events (not `error`) are dropped; comments are held like preamble
// frames and forwarded after the commit point.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reroute/codes.hpp"
#include "reroute/error_value.hpp"
#include "reroute/outcome.hpp"
#include "reroute/sse.hpp"

namespace reroute {

// config.hpp: off | restart | continue_ (forward-declared to keep this header light).
enum class Continuation : std::uint8_t;

namespace stream {

inline constexpr std::size_t kDefaultHoldLimit = std::size_t{64} << 10;  // II.4: 64 KiB
// Raw text kept for an envelope (bytes; cut on a code point boundary).
inline constexpr std::size_t kMaxRawBytes = 4096;

// Attempt outcome kinds (II.1) live in outcome.hpp.
using reroute::OutcomeKind;
using reroute::parse_outcome_kind;

// One failed attempt: what the failover policy, the envelope and the trail need.
struct Failure {
    OutcomeKind kind = OutcomeKind::stream_truncated;
    std::optional<ErrorCode> code;  // code_for_kind(kind), else classify(facts); nullopt only for cancelled
    ErrorValue facts;               // what was classified (provider_body.hpp for in-band errors)
    std::string raw;                // raw text for the envelope: redacted, at most kMaxRawBytes
    std::optional<double> retry_after_ms;  // stated in the error message, if any
    bool after_commit = false;      // the client had already received this attempt's frames
};

// Builds a Failure: code from the kind or the facts, a retry hint from the facts' message, the raw
// text redacted and bounded. For failures the host observes (reset, timeouts, cancel), facts come
// from provider_body.hpp's error_from_transport or are left absent.
Failure make_failure(OutcomeKind kind, ErrorValue facts, std::string_view raw, bool after_commit);

// ---------------------------------------------------------------------------------------------
// The relay

struct Usage {
    std::optional<double> prompt_tokens, completion_tokens, total_tokens;
    std::string json;  // the `usage` object as received (compact JSON)
};

struct RelayOptions {
    std::size_t hold_limit = kDefaultHoldLimit;                  // commit and flush beyond this
    std::size_t max_event_bytes = sse::kDefaultMaxEventBytes;    // larger events: stream_malformed
    // Bytes written at the commit point before the first released frame: fallback notices
    // (fallback_event) and, for a restart, restart_event.
    std::string prelude;
    // A continuation with prefill: the client already has the role delta and earlier text, so
    // frames held before this attempt's commit point are dropped instead of released.
    bool drop_preamble = false;
    // Partial text the client already has from earlier attempts (prefill continuation); it counts
    // as produced output and starts partial_text().
    std::string partial_prefix;
};

// What one feed() decided.
struct Step {
    std::string out;         // bytes for the client, in order; empty while holding
    bool committed = false;  // this call passed the commit point (send headers before `out`)
    bool done = false;       // the upstream sent [DONE]: call end_of_upstream()
    // The attempt failed in this call. `out` holds only frames that preceded the failure after the
    // commit point; before it everything held is discarded.
    std::optional<Failure> failure;
};

// What end_of_upstream() decided.
struct End {
    bool complete = false;   // finish reason seen (and something produced)
    bool committed = false;  // this call passed the commit point
    bool done_added = false; // the upstream sent no [DONE]; the relay wrote one
    // complete: frames still held, then the trail bytes given, then `data: [DONE]\n\n`.
    std::string out;
    std::optional<Failure> failure;  // stream_truncated, stream_malformed, empty_answer, in-band
};

class StreamRelay {
public:
    explicit StreamRelay(RelayOptions options = {});

    // Upstream bytes, any split. After a failure or [DONE] further bytes are ignored.
    Step feed(std::string_view bytes);

    // The upstream closed (or sent [DONE]). complete when a finish reason was seen for every
    // choice that appeared and something was produced; then out ends with the trail bytes given
    // (e.g. from trail_event) and `data: [DONE]`. Otherwise a failure: stream_truncated (no finish
    // reason, or cut inside a frame), empty_answer (a finish with no text, tool call or refusal),
    // or the finish_reason content_filter with nothing produced (in_band_error, content_filter).
    // An unterminated last event whose data is complete is accepted. Calling it again returns the
    // same failure (or an empty complete End).
    End end_of_upstream(std::string_view trail = {});

    // A failure the host observed (timeouts, reset, cancel): recorded with after_commit =
    // committed(); later bytes are ignored. Returns the Failure.
    Failure fail(OutcomeKind kind, ErrorValue facts = {}, std::string_view raw = {});

    // ---- what the relay saw ----
    bool committed() const noexcept { return committed_; }
    bool failed() const noexcept { return failure_.has_value(); }
    const std::optional<Failure>& failure() const noexcept { return failure_; }
    bool done_seen() const noexcept { return done_; }
    bool finish_seen() const noexcept { return !finish_reason_.empty(); }
    // The last finish reason seen (empty when none). "error" is never recorded here: it fails.
    const std::string& finish_reason() const noexcept { return finish_reason_; }
    // partial_prefix + text content of choice 0 so far (for a prefill continuation).
    const std::string& partial_text() const noexcept { return partial_; }
    // Whether text, reasoning, a tool call or a refusal came (or partial_prefix was given).
    bool produced() const noexcept { return produced_; }
    bool has_tool_calls() const noexcept { return !tools_.empty(); }
    // The output ends inside tool-call arguments that are not complete JSON (II.5: only a restart
    // is possible then). Checked on demand.
    bool in_unfinished_tool_call() const;
    const std::optional<Usage>& usage() const noexcept { return usage_; }
    // Chunk `model`, `id` and `created` as the serving target sent them (first non-empty seen).
    const std::string& model() const noexcept { return model_; }
    const std::string& chunk_id() const noexcept { return id_; }
    std::optional<double> created() const noexcept { return created_; }
    std::size_t held_bytes() const noexcept { return held_.size(); }

private:
    struct ToolCall {
        double index = 0;
        std::string arguments;
    };
    struct ChoiceState {
        double index = 0;
        bool finished = false;
    };
    static bool on_item_thunk(void* self, const sse::Item& item);
    bool on_item(const sse::Item& item);
    // Returns false to stop reading (failure or [DONE]).
    bool on_event(std::string_view type, std::string_view data, bool at_end);
    void emit(std::string_view frame_bytes, bool content);
    void commit();
    void set_failure(Failure failure);
    ChoiceState* choice(double index);

    RelayOptions options_;
    sse::Parser parser_;
    std::string held_;      // frames held before the commit point, serialized, in order
    std::string* out_ = nullptr;  // the current Step's or End's output
    bool* committed_now_ = nullptr;
    std::string frame_;     // scratch for one serialized frame
    bool committed_ = false;
    bool done_ = false;
    bool ended_ = false;
    bool produced_ = false;
    bool text_or_tool_ = false;  // text, tool call or refusal: what empty_answer asks for
    std::optional<Failure> failure_;
    std::string finish_reason_;
    std::string partial_;
    std::vector<ToolCall> tools_;
    std::vector<ChoiceState> choices_;
    std::optional<Usage> usage_;
    std::string model_, id_;
    std::optional<double> created_;
};

// ---------------------------------------------------------------------------------------------
// Client-facing endings and events

// The facts of a mid-stream failure ending (II.5).
struct ErrorEnding {
    ErrorCode code = ErrorCode::generic;
    std::optional<std::string> provider, model;  // of the failed attempt: envelope and sentence
    std::optional<double> tried;                 // distinct targets that received a request
    std::string raw;                             // redacted again here; "Unknown error" when empty
    std::optional<double> retry_after_ms;        // envelope member retryAfterMs
    // The stream's own chunk fields for the final chunk (the relay's chunk_id/model/created).
    std::string chunk_id, chunk_model;
    double created = 0;
    std::string trail;  // bytes written first (e.g. trail_event), may be empty
};

// trail, then
//   data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[{"index":0,"delta":{},"finish_reason":"error"}]}
//   data: {"error":{"message":<content sentence>,"type":<code>,"code":<code>,"envelope":<TALE_ERR1 …>,"partial":true}}
// each followed by a blank line, and no `data: [DONE]`: the stream must end right after.
std::string error_ending(const ErrorEnding& ending);

// `event: reroute.fallback` with the [MODEL_FALLBACK] notice content (notice.hpp) as data.
void fallback_event(std::string& out, std::string_view notice_content);
// `event: reroute.restart`: the client should discard the partial text (data "{}" by default, so
// that clients parsing every data as JSON do not fail).
void restart_event(std::string& out, std::string_view data = "{}");
// `event: reroute.trail` with the JSON trail as data.
void trail_event(std::string& out, std::string_view trail_json);

// ---------------------------------------------------------------------------------------------
// Non-streaming (II.4): a 2xx body is an answer only with at least one choice that has text, a
// tool call or a refusal.

struct BodyCheck {
    std::optional<Failure> failure;  // nullopt: the body is an answer
    std::string model;               // `model` as received
    std::optional<Usage> usage;
    bool ok() const noexcept { return !failure.has_value(); }
};

// A 2xx completion body. Failures: not JSON or not an object, or `choices` missing or not an
// array -> stream_malformed; an `error` member (or Anthropic {type:"error"}) or a choice with
// finish_reason "error" -> in_band_error classified over the error (provider_body.hpp); no choice
// with content, tool call or refusal -> empty_answer, except finish_reason content_filter with
// nothing produced -> in_band_error with code content_filter.
BodyCheck check_completion_body(std::string_view body);

// ---------------------------------------------------------------------------------------------
// Continuation after a mid-stream failure (II.5)

enum class ContinuationAction : std::uint8_t {
    end_with_error,  // write error_ending
    restart,         // the next target answers from scratch; restart_event before its content
    prefill,         // the next target continues after the partial text given as a prefill
};
std::string_view to_string(ContinuationAction action) noexcept;

struct ContinuationPlan {
    ContinuationAction action = ContinuationAction::end_with_error;
    // continuation_off | restart_requested | unfinished_tool_call | tool_calls_in_partial |
    // no_partial_text | prefill_unsupported | prefill; budget_spent (Attempts::continue_stream)
    std::string_view reason;
    // prefill: the message the gateway appends to the next request's `messages`:
    // {"role":"assistant","content":<partial text>}
    std::string prefill_message;
    // restart / prefill: the options of the next attempt's relay (prelude holds restart_event for
    // a restart; partial_prefix and drop_preamble for a prefill).
    RelayOptions next;
};

// The plan once a committed attempt failed and the mid-stream budget allows another target (the
// budget is the caller's). Never prefill inside or after tool calls: prefill only carries text.
ContinuationPlan plan_continuation(Continuation mode, std::string_view partial_text, bool unfinished_tool_call,
                                   bool has_tool_calls, bool next_supports_prefill);
ContinuationPlan plan_continuation(Continuation mode, const StreamRelay& failed, bool next_supports_prefill);

}  // namespace stream

using stream::StreamRelay;

}  // namespace reroute

// The Auto router (reasoning.md section 4): picks one of an auto route's candidate routes for a
// request, cheapest step first, and returns why. Pure: the cache row, the classifier's reply and
// the time come in as values; the edge does the I/O between the steps.
//
// Ladder (4.2):  1 no eligible candidate -> no route (no_candidates)
//                2 exactly one           -> it (single_candidate)
//                3 empty message key     -> default candidate (fallback, no classifier call)
//                4 fresh cache row whose slug is eligible -> it (cached) with the row's advice
//                5 classifier reply that parses against the shortlist -> it (classified)
//                6 timeout / error / unparsable reply -> default candidate (fallback)
//
// At the edge (section 3 of the issue; the classifier call goes through the failover planner):
//
//   using namespace reroute::reasoning;
//   RouteContext ctx = route_prepare({candidates, allow, default_slug, message});
//   if (ctx.decided) return use(*ctx.decided);                        // steps 1-3
//   std::optional<CacheRow> row = store.get(ctx.candidates_hash, ctx.message_key);
//   if (auto hit = route_cached(ctx, row ? &*row : nullptr, now)) {   // step 4
//       thread.last_auto_route = hit->pointer; return use(*hit);
//   }
//   ClassifierPrompt prompt = classifier_prompt(ctx, message);
//   // The classifier target is a route or provider:model ref: plan it like any request, with a
//   // deadline of classifier_deadline_ms(what the client request has left), at most 8000 ms.
//   reroute::Request req = classifier_request(target, prompt, classifier_deadline_ms(left_ms));
//   auto started = planner.start(req, &traffic, now);
//   ... for each attempt d: body = classifier_body(prompt, d.attempt.upstream_model, capability_of(d));
//       a failing utility model falls back to the route's next target exactly like a chat request;
//   ClassifierResult result = ok ? ClassifierResult::ok(content) : timed_out ? ClassifierResult::timeout()
//                                                                            : ClassifierResult::error();
//   RouteDecision d = route_classified(ctx, row ? &*row : nullptr, result, now());   // steps 5-6
//   if (d.cache_write) store.put(ctx.candidates_hash, ctx.message_key, *d.cache_write);
//   if (d.pointer) thread.last_auto_route = *d.pointer;
//
// route() runs the whole ladder at once when the reply is already known (tests, the composer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reroute/governor.hpp"
#include "reroute/plan.hpp"
#include "reroute/reasoning.hpp"

namespace reroute::reasoning {

// ---------------------------------------------------------------------------------------------
// Constants (section 6)

inline constexpr std::int64_t kClassifierTimeoutMs = 8000;
inline constexpr std::size_t kShortlistCap = 40;
inline constexpr std::int64_t kClassifierMaxTokens = 160;
inline constexpr std::size_t kClassifierMessageChars = 4000;
inline constexpr std::size_t kMessageKeyChars = 256;
inline constexpr std::int64_t kCacheTtlMs = 2'592'000'000;  // 30 days, from created_at_ms
inline constexpr std::int64_t kPurgeMaxAgeMs = 2'592'000'000;
inline constexpr std::size_t kPurgeBatch = 2000;
// Section 2 of the issue (reroute addition): the classifier may use at most this share of what
// the client request has left, and never more than the 8000 ms of the spec.
inline constexpr double kClassifierDeadlineShare = 0.25;
inline constexpr std::size_t kLanguageMinChars = 2, kLanguageMaxChars = 32, kLanguageMaxWords = 3;

// ---------------------------------------------------------------------------------------------
// Advice (4.4, 4.5): reported, never injected into the caller's messages.

enum class Style : std::uint8_t { concise, detailed, formal, friendly };
enum class Verbosity : std::uint8_t { terse, normal, verbose };
std::string_view to_string(Style s) noexcept;
std::string_view to_string(Verbosity v) noexcept;
std::optional<Style> parse_style(std::string_view name) noexcept;       // exact names
std::optional<Verbosity> parse_verbosity(std::string_view name) noexcept;

struct Tuning {
    std::optional<Style> style;
    std::optional<Verbosity> verbosity;
    bool empty() const noexcept { return !style && !verbosity; }
    friend bool operator==(const Tuning&, const Tuning&) = default;
};

struct Advice {
    std::optional<std::string> language;
    Tuning tuning;
    Seed seed;
    bool empty() const noexcept { return !language && tuning.empty() && seed.empty(); }
    friend bool operator==(const Advice&, const Advice&) = default;
};

// ---------------------------------------------------------------------------------------------
// The classifier reply (4.4)

struct ParsedReply {
    std::string slug;  // the shortlist's own spelling
    Advice advice;     // JSON path only; empty for a truncated reply or prose
};

// nullopt when nothing usable is found. Never fails otherwise, whatever the bytes.
std::optional<ParsedReply> parse_reply(std::string_view reply, const std::vector<std::string>& shortlist);

// match(s): trimmed, ASCII-lowercased, equal to a shortlist slug's ASCII-lowercased form; the
// first such slug, in its own spelling.
std::optional<std::string> match_slug(std::string_view s, const std::vector<std::string>& shortlist);

// The language rule: the trimmed value when it is a plausible language name or tag.
std::optional<std::string> valid_language(std::string_view value);

// An enumeration value: trimmed, ASCII-lowercased, kept when one of the allowed words.
std::optional<Style> normalise_style(std::string_view value);
std::optional<Verbosity> normalise_verbosity(std::string_view value);
std::optional<Effort> normalise_effort(std::string_view value);
std::optional<Creativity> normalise_creativity(std::string_view value);

// ---------------------------------------------------------------------------------------------
// The route cache (4.6)

// Fold case, whitespace runs as one U+0020, trim, first 256 code points.
std::string message_key(std::string_view message);

struct Candidate {
    std::string slug;
    std::string description;  // empty when the route has none
};

// FNV-1a 64 over the sorted `slug 0x1F description` entries joined by 0x1E, 16 lowercase hex.
std::string candidates_hash(const std::vector<Candidate>& candidates);

enum class RowSource : std::uint8_t { classified, override };
std::string_view to_string(RowSource s) noexcept;
std::optional<RowSource> parse_row_source(std::string_view name) noexcept;

struct CacheRow {
    std::string slug;
    RowSource source = RowSource::classified;
    Advice advice;
    std::int64_t hits = 0;
    std::int64_t created_at_ms = 0;
    std::int64_t last_used_at_ms = 0;
    friend bool operator==(const CacheRow&, const CacheRow&) = default;
};

// What an upsert writes.
struct CacheDecision {
    std::string slug;
    RowSource source = RowSource::classified;
    Advice advice;
};

// now - created_at_ms <= 30 days.
bool is_fresh(const CacheRow& row, std::int64_t now_ms) noexcept;

// A fresh row is updated (decision's slug, source and advice; hits + 1; created kept); a missing
// or expired one is replaced by a new row (hits 1).
CacheRow upsert(const CacheRow* row, const CacheDecision& decision, std::int64_t now_ms);

// The thread's last_auto_route.
struct Pointer {
    std::string message_key;
    std::string candidates_hash;
    std::string slug;
    friend bool operator==(const Pointer&, const Pointer&) = default;
};

// Override feedback: a later request in the same thread named a route directly.
struct OverrideResult {
    std::optional<CacheRow> row_write;  // upsert at (pointer.candidates_hash, pointer.message_key)
    std::optional<Pointer> pointer;     // the pointer after the step
};
// `row` is the row stored at the pointer's key, if any.
OverrideResult override_feedback(const std::optional<Pointer>& pointer, std::string_view message,
                                 std::string_view pinned_slug, const CacheRow* row, std::int64_t now_ms);

struct PurgeCandidate {
    std::string id;
    std::int64_t created_at_ms = 0;
};
// Ids to delete, oldest first (ties in the given order), at most `batch`: rows created before
// now - max_age.
std::vector<std::string> purge(const std::vector<PurgeCandidate>& rows, std::int64_t now_ms,
                               std::int64_t max_age_ms = kPurgeMaxAgeMs, std::size_t batch = kPurgeBatch);

// ---------------------------------------------------------------------------------------------
// The ladder (4.1, 4.2)

enum class RouteReason : std::uint8_t { no_candidates, single_candidate, cached, classified, fallback };
std::string_view to_string(RouteReason r) noexcept;

// The ladder step that decided (1-6 as numbered above).
enum class LadderStep : std::uint8_t {
    no_candidates = 1, single_candidate = 2, empty_message = 3, cache = 4, classify = 5, fallback = 6,
};
std::string_view to_string(LadderStep s) noexcept;

// Why a fallback happened.
enum class FallbackCause : std::uint8_t { none, empty_message, timeout, error, unparsable };
std::string_view to_string(FallbackCause c) noexcept;

struct RouteRequest {
    std::vector<Candidate> candidates;     // existing, non-auto, in configured order
    std::vector<std::string> allow;        // empty: no restriction
    std::optional<std::string> default_slug;
    std::string_view message;              // text of the last user message
};

struct RouteDecision {
    std::optional<std::string> slug;       // absent only for no_candidates
    RouteReason reason = RouteReason::fallback;
    Advice advice;                         // cached and classified only
    bool classifier_called = false;
    std::optional<CacheRow> cache_write;   // classified only
    std::optional<Pointer> pointer;        // cached and classified
    // Why, for explain and logs.
    LadderStep step = LadderStep::fallback;
    FallbackCause cause = FallbackCause::none;
    std::size_t shortlist_dropped = 0;     // eligible candidates beyond the shortlist cap
};

// "auto=code-helper reason=classified step=5" (+ " cause=timeout", " dropped=2").
std::string explain(const RouteDecision& d);

// What the ladder derives before any I/O.
struct RouteContext {
    std::vector<Candidate> eligible;       // after the allow-list, in configured order
    std::size_t default_index = 0;         // the default candidate in `eligible`
    std::string message_key;
    std::string candidates_hash;           // of `eligible`; empty when decided early
    std::optional<RouteDecision> decided;  // steps 1-3

    std::vector<std::string> shortlist() const;  // first 40 eligible slugs
    const Candidate* default_candidate() const noexcept;
};

RouteContext route_prepare(const RouteRequest& request);

// Step 4 (and 1-3 when decided early): the decision, or nullopt when the classifier must run.
std::optional<RouteDecision> route_cached(const RouteContext& ctx, const CacheRow* row, std::int64_t now_ms);

struct ClassifierResult {
    enum class Kind : std::uint8_t { ok, timeout, error } kind = Kind::error;
    std::optional<std::string> reply;  // choices[0].message.content; absent or non-string: unparsable

    static ClassifierResult ok(std::string reply) { return {Kind::ok, std::move(reply)}; }
    static ClassifierResult timeout() { return {Kind::timeout, std::nullopt}; }
    static ClassifierResult error() { return {Kind::error, std::nullopt}; }
};

// Steps 5-6 after the classifier ran (or failed). `row` is the cache row looked up for step 4.
RouteDecision route_classified(const RouteContext& ctx, const CacheRow* row, const ClassifierResult& result,
                               std::int64_t now_ms);

// The whole ladder with everything known in advance.
RouteDecision route(const RouteRequest& request, const CacheRow* row, const ClassifierResult& result,
                    std::int64_t now_ms);

// ---------------------------------------------------------------------------------------------
// The classifier call (4.3), through the failover planner

struct ClassifierPrompt {
    std::string system;                  // the template with the shortlist and hints filled in
    std::string user;                    // the first 4000 code points of the message
    std::vector<std::string> shortlist;
    TurnClass complexity = TurnClass::easy;  // the hint: the static prior's class of the message
};

ClassifierPrompt classifier_prompt(const RouteContext& ctx, std::string_view message);

// The classifier's share of the client request's deadline: min(8000, floor(left * share)), or
// 8000 when the request has no deadline. 0 when nothing is left: treat as a timeout.
std::int64_t classifier_deadline_ms(std::optional<std::int64_t> request_left_ms,
                                    double share = kClassifierDeadlineShare) noexcept;

// A planner request for the classifier target (a route or provider:model ref): prompt tokens
// estimated, 160 output tokens, no tools, the deadline as a per-request override, so that a
// failing utility model fails over like any request and the whole call stays within it.
Request classifier_request(std::string_view target, const ClassifierPrompt& prompt, std::int64_t deadline_ms,
                           std::string_view conversation_id = "");

// The OpenAI-compatible, non-streaming body for one attempt: model, the two messages,
// max_tokens 160, and the governor's utility plan for that model merged in (reasoning off,
// temperature 0.4 where one is sent).
std::string classifier_body(const ClassifierPrompt& prompt, std::string_view upstream_model,
                            const Capability& capability);

}  // namespace reroute::reasoning

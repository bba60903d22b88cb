// JSON forms of the reasoning types (reasoning.md 5.5, 4.6, section 7), and a JSON facade over the
// Auto router and the governor: the shape the edge persists (learned state, cache rows, pointers)
// and the shape the WASM module and the conformance runners speak. Field names are the spec's
// (snake_case). Readers never fail on bad input: a value of the wrong type reads as absent, a
// stored state that breaks a rule of 5.5 reads as no state at all.
//
//   auto state = reroute::reasoning::parse_state(stored_text);        // nullopt: treat as absent
//   reroute::reasoning::record(*state, outcome);
//   std::string text = reroute::reasoning::to_json(*state);           // every field present
//
//   reroute::reasoning::call("govern", R"({"request":{"text":"hi"},"capability":{"knob":"effort"}})");
//   // {"prior":{...},"thresholds":{"lo":0.34,"hi":0.67},"steerable":true,"decision":{...},...}
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reroute/auto_router.hpp"
#include "reroute/governor.hpp"
#include "reroute/json.hpp"

namespace reroute::reasoning {

// ---- learned state (5.5) ----

// A stored state: partial states take defaults for missing fields; a state that is not an object,
// has `intensity`, `buckets` or a bucket that is not an object, a non-finite number, a negative
// m2, a negative or fractional count or turns, an EMA outside [0, 1] or an unknown tier name is
// nullopt (treated as absent as a whole). Counts above 2^53 are refused too (not exact in JSON).
std::optional<ReasoningState> state_from_json(const json::Value& value);
std::optional<ReasoningState> parse_state(std::string_view text);
// Complete: every field, buckets easy, medium, hard.
void write_json(std::string& out, const ReasoningState& state);
std::string to_json(const ReasoningState& state);

// The same rules over a state's loose fields, however they were read (a JSON document here, a
// JS object field by field in the WASM binding): one slot per field of 5.5.
enum class FieldType : std::uint8_t { absent, number, string, null, object, other };
struct LooseField {
    FieldType type = FieldType::absent;
    double number = 0;  // type number: the value; type string: the tier index, or -1 if not a tier name
};
enum StateSlot : std::uint8_t {
    kStateSelf, kStateTurns, kStateIntensity, kIntensityCount, kIntensityMean, kIntensityM2, kStateBuckets,
    kBucketFirst,  // then per bucket (easy, medium, hard): the kBucket* offsets
};
enum BucketSlot : std::uint8_t {
    kBucketSelf, kBucketCount, kBucketMean, kBucketM2, kBucketUnder, kBucketWasteful, kBucketQuality,
    kBucketLastTier, kBucketSlots,
};
inline constexpr int kStateSlots = kBucketFirst + 3 * kBucketSlots;
using LooseState = std::array<LooseField, kStateSlots>;
std::optional<ReasoningState> state_from_loose(const LooseState& fields);
// The complete form (every field present, each a number, the last tier a tier name or null) as
// plain numbers: the same rules, without the field types. last_tier holds the tier's rank
// (0 off .. 3 high) or kNoLastTier for null.
inline constexpr double kNoLastTier = -1;
struct StateNumbers {
    double turns = 0;
    double intensity_count = 0, intensity_mean = 0, intensity_m2 = 0;
    struct BucketNumbers {
        double count = 0, mean = 0, m2 = 0, under_ema = 0, wasteful_ema = 0, quality_ema = 1, last_tier = kNoLastTier;
    } buckets[kTurnClassCount];
};
std::optional<ReasoningState> state_from_numbers(const StateNumbers& numbers);
// An accumulator {count, mean, m2} under the same rules (`self`: the accumulator value itself).
std::optional<Accumulator> accumulator_from_loose(const LooseField& self, const LooseField& count,
                                                  const LooseField& mean, const LooseField& m2);

// {count, mean, m2} under the same rules.
std::optional<Accumulator> accumulator_from_json(const json::Value& value);

// An outcome; nullopt without a valid `class`.
std::optional<Outcome> outcome_from_json(const json::Value& value);

// ---- cache rows and pointers (4.6) ----

// nullopt without a string slug or an integer created_at_ms, or with an unknown source.
std::optional<CacheRow> cache_row_from_json(const json::Value& value);
std::optional<CacheRow> parse_cache_row(std::string_view text);
void write_json(std::string& out, const CacheRow& row);
std::string to_json(const CacheRow& row);

std::optional<Pointer> pointer_from_json(const json::Value& value);
void write_json(std::string& out, const Pointer& pointer);
std::string to_json(const Pointer& pointer);

// ---- model capability and client controls (3.1, 5.7) ----

Capability capability_from_json(const json::Value* value);  // null or absent: knob none
ClientControls client_from_json(const json::Value* value);

// ---- the incoming request (4.1, 5.2, 5.7) ----

// What the governor and the router read from an OpenAI-style chat-completions body.
struct RequestFacts {
    std::string message;                 // the last user message: a string as is, text parts joined by U+000A
    bool has_attachments = false;        // that message has a non-text part
    bool has_web = false;                // `web_search_options` present
    double tool_count = 0;               // length of `tools`
    double history_message_count = 0;    // user/assistant messages before the last user message
    ClientControls client;               // temperature / reasoning control present, max_tokens
};
// A member counts as present when it exists and is not null.
RequestFacts request_facts(const json::Value& body);

// ---- the facade ----

// Runs one operation of reasoning.md section 7 on a JSON input and returns its JSON output;
// nullopt for an unknown op. Inputs of the wrong shape read as absent, so every known op has a
// defined result. Extra ops for the edge:
//   route_prepare  {candidates, allow?, default_slug?, message}
//                  -> {decided: decision or null, message_key, candidates_hash, shortlist}
//   route_plan     the `route` input without `classifier`, plus deadline_left_ms? (what is left of
//                  the client's deadline, when it set one)
//                  -> {decision: decision or null, classifier: {system, user, shortlist, complexity,
//                     max_tokens} or null}; a null decision means: call the classifier, then `route`
//   classifier_body {prompt: {system, user}, model, capability?} -> {body}
//   state          {state} -> the stored state made complete, or null when it is invalid (5.5)
//   record_quality {state, class, quality} -> the state with only that class's quality EMA moved
//                  (a score that arrives after its turn was recorded)
//   request_facts  {body} -> {message, message_key, has_attachments, has_web, tool_count,
//                  history_message_count, client: {temperature?, reasoning, max_tokens?}}
//   outcome        {record: template, response: {reasoning_tokens?, reasoning_characters?,
//                  completion_tokens?, finish_reason?, retried?, quality?}} -> outcome
// `route`, `decide` and `govern` add "why" (ladder step, signals, controller move) and
// "explain" (one line for logs) when the input has "explain": true.
std::optional<std::string> call(std::string_view op, std::string_view input_json);

}  // namespace reroute::reasoning

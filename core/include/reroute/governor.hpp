// The reasoning governor (reasoning.md section 5): how hard the chosen model thinks on this turn.
// Pure: the prior reads message signals, the controller reads learned state, the wire mapping
// writes the upstream patch; learned state comes in and goes out as values (reasoning_json.hpp
// gives its JSON form). Nothing here reads a clock, draws a random number or throws.
//
//   using namespace reroute::reasoning;
//   GovernInput in;
//   in.request.text = "Design a rate limiter and compare token bucket with sliding window.";
//   in.capability = {Knob::budget, false, std::nullopt, std::nullopt, 64000};
//   in.thread = thread_state ? &*thread_state : nullptr;   // per conversation, may be absent
//   in.profile = profile_state ? &*profile_state : nullptr; // per (model, agent type)
//   Governed g = govern(in);
//   // g.decision: {high, 22088, cold}; g.patch.thinking_budget 22088, g.patch.max_tokens 64000
//   // explain(g): "tier=high budget=22088 reason=cold; prior tier high (class hard, ...) ..."
//   ... after the turn, for each steerable chat turn:
//   Outcome o = make_outcome(*g.record, facts);               // facts from the response (5.8)
//   record(thread, o); record(profile, o);                    // both folded with the same outcome
//
// Steps of one attempt (5.1-5.7): thresholds (5.4) -> signals (reasoning_signals.hpp) -> prior
// (5.3, with the router's seed) -> controller (5.6, steerable models only) -> wire (5.7).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reroute/reasoning.hpp"
#include "reroute/reasoning_signals.hpp"

namespace reroute::reasoning {

// ---------------------------------------------------------------------------------------------
// Constants (section 6)

inline constexpr double kPriorBias = -1.25;
inline constexpr double kWeightLength = 1.7;
inline constexpr double kWeightCode = 2.6;
inline constexpr double kWeightStructure = 1.2;
inline constexpr double kWeightMath = 0.8;
inline constexpr double kWeightHard = 3.0;
inline constexpr double kWeightEasy = -3.2;
inline constexpr double kWeightRetrieval = 0.9;
inline constexpr double kWeightAgentic = 1.1;
inline constexpr double kWeightTrivial = -3.0;
inline constexpr double kWeightFollowUp = -0.9;
inline constexpr double kLengthNormTokens = 1500;     // length_norm = ln(1 + tokens) / ln 1500
inline constexpr double kLongContextTokens = 1500;    // damp above this
inline constexpr double kLongContextDamp = 0.85;
inline constexpr double kOffIntensity = 0.12;         // raw budget 0 at or below
inline constexpr double kBudgetCurveBase = 1024;      // 1024 + x^1.4 * 23552
inline constexpr double kBudgetCurveSpan = 23552;
inline constexpr double kBudgetCurveExponent = 1.4;
inline constexpr std::int64_t kEasyClassCap = 2048;
inline constexpr std::int64_t kMediumClassCap = 8192;
inline constexpr double kCreativityBase = 0.5;
inline constexpr double kCreativityCreative = 0.7;
inline constexpr double kCreativityAnalytical = 0.35;
inline constexpr double kCreativityEasy = 0.2;

inline constexpr double kStaticLo = 0.34;
inline constexpr double kStaticHi = 0.67;
inline constexpr std::int64_t kAdaptiveMinSamples = 20;
inline constexpr double kAdaptiveSpread = 0.43;
inline constexpr double kAdaptiveLoMin = 0.2, kAdaptiveLoMax = 0.45;
inline constexpr double kAdaptiveHiMin = 0.55, kAdaptiveHiMax = 0.8;

inline constexpr double kEmaFactor = 0.5;
inline constexpr double kSaturation = 0.9;
inline constexpr double kWasteShare = 0.6;
inline constexpr double kWasteMaxOutputTokens = 256;

inline constexpr double kShrinkage = 3;
inline constexpr std::int64_t kProfileSampleCap = 20;
inline constexpr std::int64_t kWarmMinSamples = 2;
inline constexpr double kSelfTruncationMargin = 1.15;
inline constexpr double kStdWeight = 1.0;
inline constexpr double kBump = 1.4;
inline constexpr double kWasteTrim = 0.85;
inline constexpr double kBandPriorFactor = 1.5;
inline constexpr double kUnderHigh = 0.5;
inline constexpr double kUnderLow = 0.2;
inline constexpr double kWasteHigh = 0.5;
inline constexpr double kQualityTarget = 0.7;
inline constexpr double kStrongUnder = 0.8;
inline constexpr double kQualityWeight = 0.5;
inline constexpr double kColdQualityShortfall = 0.25;
inline constexpr double kHysteresisUp = 0.65;         // up moves need eff >= 0.65
inline constexpr double kHysteresisDownEff = 0.05;    // down moves need eff < 0.05 ...
inline constexpr double kHysteresisDownWaste = 0.65;  // ... or wasteful >= 0.65

inline constexpr std::int64_t kDefaultMinThinkingBudget = 1024;
inline constexpr std::int64_t kAnswerHeadroom = 1024;
inline constexpr std::int64_t kUnboundedThinkingCeiling = 24576;
inline constexpr double kTemperatureBase = 0.4;
inline constexpr double kTemperatureSpan = 0.5;

// ---------------------------------------------------------------------------------------------
// Class thresholds (5.4)

// A Welford accumulator. Its standard deviation is sqrt(m2 / (count - 1)) when count >= 2.
struct Accumulator {
    std::int64_t count = 0;
    double mean = 0;
    double m2 = 0;

    void add(double x) noexcept;
    double stddev() const noexcept;
    friend bool operator==(const Accumulator&, const Accumulator&) = default;
};

struct Thresholds {
    double lo = kStaticLo;
    double hi = kStaticHi;
    bool adaptive = false;  // from learned intensities (not part of the JSON form)
};

// The accumulator with the larger count (a tie or no thread takes the profile); static
// thresholds with fewer than 20 samples.
Thresholds thresholds(const Accumulator* thread, const Accumulator* profile) noexcept;

// ---------------------------------------------------------------------------------------------
// The prior (5.3)

// Which signal term of the logit contributed what (weight x feature), for explain and logs.
enum class Signal : std::uint8_t {
    length, code, structure, math, hard, easy, retrieval, agentic, trivial, follow_up,
};
inline constexpr int kSignalCount = 10;
std::string_view to_string(Signal s) noexcept;

// Where the floor came from.
enum class FloorSource : std::uint8_t { none, code, hard, attachments };
std::string_view to_string(FloorSource s) noexcept;

struct PriorWhy {
    std::array<double, kSignalCount> contribution{};  // each term of z
    double z = 0;
    bool damped = false;       // long-context damp applied
    bool seeded = false;       // an effort seed blended in
    bool class_capped = false;  // the class cap lowered the budget
    bool floor_raised = false;  // the floor lifted tier or budget
    FloorSource floor_from = FloorSource::none;

    // The term with the largest magnitude (length when all are 0).
    Signal dominant() const noexcept;
};

struct Prior {
    double base_intensity = 0;  // before the seed
    double intensity = 0;       // after the seed
    double creativity = 0;
    TurnClass turn_class = TurnClass::easy;
    Tier floor = Tier::off;
    Tier tier = Tier::off;
    std::int64_t budget = 0;
    PriorWhy why;
};

// kind utility: the fixed utility prior (everything 0, class easy, tier off).
Prior prior(Kind kind, const Features& features, const Seed& seed = {}, const Thresholds& thresholds = {});

// ---------------------------------------------------------------------------------------------
// Learned state (5.5)

struct Bucket {
    Accumulator tokens;  // observed reasoning tokens
    double under_ema = 0;
    double wasteful_ema = 0;
    double quality_ema = 1;
    std::optional<Tier> last_tier;

    friend bool operator==(const Bucket&, const Bucket&) = default;
};

struct ReasoningState {
    std::int64_t turns = 0;
    Accumulator intensity;
    std::array<Bucket, kTurnClassCount> buckets{};

    Bucket& bucket(TurnClass c) noexcept { return buckets[static_cast<std::size_t>(c)]; }
    const Bucket& bucket(TurnClass c) const noexcept { return buckets[static_cast<std::size_t>(c)]; }
    friend bool operator==(const ReasoningState&, const ReasoningState&) = default;
};

enum class FinishReason : std::uint8_t { stop, length, tool_calls, content_filter, other };
std::string_view to_string(FinishReason f) noexcept;
FinishReason parse_finish_reason(std::string_view name) noexcept;  // unknown names are `other`

// One recorded turn. Optional numbers that are absent, negative (tokens) or not finite count as
// absent; a non-finite intensity leaves the intensity accumulator alone.
struct Outcome {
    TurnClass turn_class = TurnClass::easy;
    double intensity = 0;       // the seeded intensity of the turn
    double budget_tokens = 0;
    bool self_truncates = false;
    std::optional<double> reasoning_tokens;
    std::optional<double> output_tokens;
    FinishReason finish_reason = FinishReason::stop;
    bool retried = false;
    bool budget_exhausted = false;
    std::optional<double> quality;  // [0, 1], clamped
    std::optional<Tier> chosen_tier;
};

// Folds one outcome into a state (5.5 steps 1-9).
void record(ReasoningState& state, const Outcome& outcome) noexcept;
// Starting from a default state when there is none.
ReasoningState recorded(const ReasoningState* state, const Outcome& outcome) noexcept;
// The quality part of step 6 alone, for a score that arrives after its turn was recorded: the
// bucket's quality EMA moves, nothing else (the turn is already counted). Ignores a non-finite score.
void record_quality(ReasoningState& state, TurnClass turn_class, double quality) noexcept;

// ---------------------------------------------------------------------------------------------
// The controller (5.6)

enum class DecisionReason : std::uint8_t { utility, cold, cold_quality, warm, bandit, held };
std::string_view to_string(DecisionReason r) noexcept;

// The bandit's first step (effort knob).
enum class Move : std::uint8_t { none, strong_under, under, wasteful, clean };
std::string_view to_string(Move m) noexcept;  // "none", "+2 strong under", ...

enum class StateSource : std::uint8_t { none, thread, profile };

struct ControllerWhy {
    double n = 0;            // tN + capped pN
    double mean = 0;         // shrunk towards the prior budget
    double std = 0;
    double under = 0, wasteful = 0, quality = 1, shortfall = 0, eff = 0;
    StateSource emas_from = StateSource::none;
    std::optional<Tier> last;
    Move move = Move::none;          // effort knob
    bool clamped_to_floor = false;   // effort knob: r was raised to the floor / lowered to high
    bool bumped = false;             // budget knob, warm: eff >= 0.5 (x 1.4)
    bool trimmed = false;            // budget knob, warm: wasteful >= 0.5 (x 0.85)
    double estimate = 0;             // budget knob, warm: before the band
    double band_lo = 0, band_hi = 0;
};

struct ControllerInput {
    Knob knob = Knob::effort;        // effort or budget (none is not steerable)
    Tier prior_tier = Tier::off;
    std::int64_t prior_budget = 0;
    Tier floor = Tier::off;
    TurnClass turn_class = TurnClass::easy;
    const ReasoningState* thread = nullptr;
    const ReasoningState* profile = nullptr;
};

struct TierDecision {
    Tier tier = Tier::off;
    std::int64_t budget = 0;
    DecisionReason reason = DecisionReason::cold;
    ControllerWhy why;
};

TierDecision decide(const ControllerInput& in) noexcept;

// ---------------------------------------------------------------------------------------------
// Wire mapping (5.7)

struct Capability {
    Knob knob = Knob::none;
    bool supports_minimal = false;
    std::optional<std::int64_t> min_budget_tokens;  // default 1024
    std::optional<std::int64_t> max_budget_tokens;  // default unbounded
    std::optional<std::int64_t> max_output_tokens;  // the model's
};

// What the incoming request set (5.7).
struct ClientControls {
    bool temperature = false;  // `temperature` present
    bool reasoning = false;    // reasoning_effort, thinking or reasoning present
    std::optional<std::int64_t> max_tokens;  // min(max_tokens, max_completion_tokens) when given
};

// Fields merged into the upstream chat-completions body; never one the client set.
struct Patch {
    std::optional<std::string_view> reasoning_effort;  // minimal | low | medium | high
    std::optional<std::int64_t> thinking_budget;       // {"thinking":{"type":"enabled","budget_tokens":n}}
    std::optional<std::int64_t> max_tokens;
    std::optional<double> temperature;

    bool empty() const noexcept { return !reasoning_effort && !thinking_budget && !max_tokens && !temperature; }
};

struct Wired {
    bool applied = false;
    Patch patch;
};

// The effort value sent for a tier (2.3).
std::string_view effort_value(Tier tier, bool supports_minimal) noexcept;
// round(100 (0.4 + 0.5 clamp01(creativity))) / 100.
double temperature_for(double creativity) noexcept;

Wired wire(const Capability& capability, Tier tier, std::int64_t budget, double creativity,
           const ClientControls& client = {}) noexcept;

// ---------------------------------------------------------------------------------------------
// One attempt, chained (section 7 `govern`)

// What to record for a steerable chat turn (5.7); the edge completes it from the response.
struct RecordTemplate {
    TurnClass turn_class = TurnClass::easy;
    double intensity = 0;
    Tier chosen_tier = Tier::off;
    std::int64_t budget_tokens = 0;
    bool self_truncates = false;
    bool record_reasoning_tokens = false;
};

struct GovernInput {
    Kind kind = Kind::chat;
    SignalInput request;
    Seed seed;                   // auto requests only (3.2)
    Capability capability;       // of the attempt's model
    const ReasoningState* thread = nullptr;   // nullptr: no conversation id, or invalid state
    const ReasoningState* profile = nullptr;  // of the attempt's model and agent type
    ClientControls client;
};

struct Governed {
    Features features;           // zero for utility calls
    Prior prior;
    Thresholds thresholds;
    bool steerable = false;
    std::optional<TierDecision> decision;
    bool applied = false;
    Patch patch;
    std::optional<RecordTemplate> record;
};

Governed govern(const GovernInput& in);

// A one-line account for logs and the explain call, e.g.
// "tier=medium budget=8192 reason=held; prior tier high (class hard, intensity 0.82; hard +1.50,
//  length +0.60); floor medium (hard); n 3 eff 0.40 +1 under; held at medium by last_tier".
std::string explain(const Governed& g);

// ---------------------------------------------------------------------------------------------
// Outcomes from the upstream response (5.8), for the edge

struct ResponseFacts {
    std::optional<double> usage_reasoning_tokens;  // usage.completion_tokens_details.reasoning_tokens
    std::optional<double> reasoning_characters;    // characters of reasoning text, when no usage count
    std::optional<double> completion_tokens;       // usage.completion_tokens
    FinishReason finish_reason = FinishReason::stop;
    bool retried = false;                          // regeneration of the previous turn
    std::optional<double> quality;
};

// The outcome to record for a steerable turn: reasoning_tokens from usage, else ceil(chars / 4)
// of reasoning text, and only when the plan was applied; output tokens; budget_exhausted.
Outcome make_outcome(const RecordTemplate& plan, const ResponseFacts& facts) noexcept;

}  // namespace reroute::reasoning

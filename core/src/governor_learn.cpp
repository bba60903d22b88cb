// The governor's learning side (reasoning.md 5.5, 5.8): folding a turn's outcome into learned state
// and building that outcome from the response. Runs after a turn, off the per-attempt path (the
// module compiles it for size; governor.cpp, the per-attempt step, for speed).
// reasoning.md 2.2: binary64 in the order written, without fused multiply-add contraction, whatever
// the build's flags (x86-64 and WebAssembly have no FMA by default; other targets may).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include <algorithm>
#include <cmath>

#include "reroute/governor.hpp"

namespace reroute::reasoning {

std::string_view to_string(FinishReason f) noexcept {
    switch (f) {
        case FinishReason::stop: return "stop";
        case FinishReason::length: return "length";
        case FinishReason::tool_calls: return "tool_calls";
        case FinishReason::content_filter: return "content_filter";
        case FinishReason::other: return "other";
    }
    return "other";
}

FinishReason parse_finish_reason(std::string_view name) noexcept {
    if (name == "stop") return FinishReason::stop;
    if (name == "length") return FinishReason::length;
    if (name == "tool_calls") return FinishReason::tool_calls;
    if (name == "content_filter") return FinishReason::content_filter;
    return FinishReason::other;
}

void Accumulator::add(double x) noexcept {
    count += 1;
    const double d = x - mean;
    mean += d / static_cast<double>(count);
    m2 += d * (x - mean);
}

// ---------------------------------------------------------------------------------------------
// Learned state (5.5)

namespace {

bool present(const std::optional<double>& v) noexcept { return v && std::isfinite(*v); }
double ema(double previous, double x) noexcept { return kEmaFactor * x + (1 - kEmaFactor) * previous; }

}  // namespace

void record_quality(ReasoningState& state, TurnClass turn_class, double quality) noexcept {
    if (!std::isfinite(quality)) return;
    Bucket& b = state.bucket(turn_class);
    b.quality_ema = ema(b.quality_ema, clamp01(quality));
}

void record(ReasoningState& state, const Outcome& o) noexcept {
    Bucket& b = state.bucket(o.turn_class);
    const bool has_reasoning = present(o.reasoning_tokens) && *o.reasoning_tokens >= 0;
    const bool has_output = present(o.output_tokens) && *o.output_tokens >= 0;
    const double budget = std::isfinite(o.budget_tokens) ? o.budget_tokens : 0;
    if (has_reasoning) b.tokens.add(*o.reasoning_tokens);
    const double saturation = (has_reasoning && budget > 0) ? *o.reasoning_tokens / budget : 0;
    const bool under = o.retried || o.budget_exhausted || (o.self_truncates && saturation >= kSaturation);
    const bool wasteful = has_reasoning && has_output && budget > 0 && *o.reasoning_tokens >= kWasteShare * budget &&
                          *o.output_tokens < kWasteMaxOutputTokens && o.finish_reason == FinishReason::stop &&
                          !o.retried;
    b.under_ema = ema(b.under_ema, under ? 1 : 0);
    b.wasteful_ema = ema(b.wasteful_ema, wasteful ? 1 : 0);
    if (present(o.quality)) record_quality(state, o.turn_class, *o.quality);
    if (o.chosen_tier) b.last_tier = o.chosen_tier;
    if (std::isfinite(o.intensity)) state.intensity.add(o.intensity);
    state.turns += 1;
}

ReasoningState recorded(const ReasoningState* state, const Outcome& outcome) noexcept {
    ReasoningState s = state ? *state : ReasoningState{};
    record(s, outcome);
    return s;
}

// ---------------------------------------------------------------------------------------------
// Outcomes (5.8)

Outcome make_outcome(const RecordTemplate& plan, const ResponseFacts& facts) noexcept {
    Outcome o;
    o.turn_class = plan.turn_class;
    o.intensity = plan.intensity;
    o.budget_tokens = double(plan.budget_tokens);
    o.self_truncates = plan.self_truncates;
    o.chosen_tier = plan.chosen_tier;
    o.finish_reason = facts.finish_reason;
    o.retried = facts.retried;
    o.quality = facts.quality;
    std::optional<double> reasoning;
    if (present(facts.usage_reasoning_tokens) && *facts.usage_reasoning_tokens >= 0) {
        reasoning = facts.usage_reasoning_tokens;
    } else if (present(facts.reasoning_characters) && *facts.reasoning_characters > 0) {
        reasoning = std::ceil(*facts.reasoning_characters / 4);
    }
    if (present(facts.completion_tokens)) {
        o.output_tokens = reasoning ? std::max(0.0, *facts.completion_tokens - *reasoning) : *facts.completion_tokens;
    }
    o.budget_exhausted = facts.finish_reason == FinishReason::length && o.output_tokens && *o.output_tokens == 0;
    if (plan.record_reasoning_tokens) o.reasoning_tokens = reasoning;
    return o;
}
}  // namespace reroute::reasoning

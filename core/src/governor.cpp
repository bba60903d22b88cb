// reasoning.md 2.2: binary64 in the order written, without fused multiply-add contraction, whatever
// the build's flags (x86-64 and WebAssembly have no FMA by default; other targets may).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include "reroute/governor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace reroute::reasoning {

// ---------------------------------------------------------------------------------------------
// Thresholds (5.4)


double Accumulator::stddev() const noexcept {
    if (count < 2) return 0;
    return std::sqrt(m2 / static_cast<double>(count - 1));
}

Thresholds thresholds(const Accumulator* thread, const Accumulator* profile) noexcept {
    const std::int64_t profile_count = profile ? profile->count : 0;
    const Accumulator* a = (thread && thread->count > profile_count) ? thread : profile;
    Thresholds t;
    if (!a || a->count < kAdaptiveMinSamples) return t;
    const double std = a->stddev();
    t.lo = std::min(kAdaptiveLoMax, std::max(kAdaptiveLoMin, a->mean - kAdaptiveSpread * std));
    t.hi = std::min(kAdaptiveHiMax, std::max(kAdaptiveHiMin, a->mean + kAdaptiveSpread * std));
    t.adaptive = true;
    return t;
}

// ---------------------------------------------------------------------------------------------
// Prior (5.3)


Prior prior(Kind kind, const Features& f, const Seed& seed, const Thresholds& th) {
    Prior p;
    if (kind == Kind::utility) return p;  // intensity 0, creativity 0, easy, off, 0, floor off

    PriorWhy& why = p.why;
    auto& c = why.contribution;
    const double length_norm = clamp01(std::log(1 + f.tokens) / std::log(kLengthNormTokens));
    c[int(Signal::length)] = kWeightLength * length_norm;
    c[int(Signal::code)] = kWeightCode * f.code_density;
    c[int(Signal::structure)] = kWeightStructure * f.structure;
    c[int(Signal::math)] = kWeightMath * (f.has_math ? 1 : 0);
    c[int(Signal::hard)] = kWeightHard * f.hard;
    c[int(Signal::easy)] = kWeightEasy * f.easy;
    c[int(Signal::retrieval)] = kWeightRetrieval * f.retrieval;
    c[int(Signal::agentic)] = kWeightAgentic * f.agentic;
    c[int(Signal::trivial)] = kWeightTrivial * (f.trivial ? 1 : 0);
    c[int(Signal::follow_up)] = kWeightFollowUp * f.follow_up;
    // Summed left to right, in the order of the formula.
    double z = kPriorBias;
    for (double term : c) z += term;
    why.z = z;

    double x = 1 / (1 + std::exp(-z));
    if (f.tokens > kLongContextTokens && f.code_density == 0 && f.hard == 0 && !f.has_math && f.structure < 0.4 &&
        !f.trivial) {
        x = x * kLongContextDamp;
        why.damped = true;
    }
    p.base_intensity = x;
    if (seed.effort) {
        x = kSeedBlend * x + kSeedBlend * seed_value(*seed.effort);
        why.seeded = true;
    }
    p.intensity = x;

    double creativity = clamp01(kCreativityBase + kCreativityCreative * f.creative -
                                kCreativityAnalytical * (f.analytical ? 1 : 0) - kCreativityEasy * f.easy);
    if (seed.creativity) creativity = clamp01(kSeedBlend * creativity + kSeedBlend * seed_value(*seed.creativity));
    p.creativity = creativity;

    if (f.code_density > 0) {
        p.floor = Tier::medium;
        why.floor_from = FloorSource::code;
    } else if (f.hard > 0) {
        p.floor = Tier::medium;
        why.floor_from = FloorSource::hard;
    } else if (f.has_attachments) {
        p.floor = Tier::low;
        why.floor_from = FloorSource::attachments;
    }

    p.turn_class = x < th.lo ? TurnClass::easy : x < th.hi ? TurnClass::medium : TurnClass::hard;

    double budget = 0;
    if (x > kOffIntensity) budget = round_half_up(kBudgetCurveBase + std::pow(x, kBudgetCurveExponent) * kBudgetCurveSpan);
    const double cap = p.turn_class == TurnClass::easy     ? double(kEasyClassCap)
                       : p.turn_class == TurnClass::medium ? double(kMediumClassCap)
                                                           : std::numeric_limits<double>::infinity();
    if (budget > cap) {
        budget = cap;
        why.class_capped = true;
    }
    const Tier raw_tier = tier_of(budget);
    p.tier = max_tier(raw_tier, p.floor);
    const double floor_budget = double(canonical_budget(p.floor));
    why.floor_raised = p.tier != raw_tier || floor_budget > budget;
    p.budget = static_cast<std::int64_t>(std::max(budget, floor_budget));
    return p;
}

// ---------------------------------------------------------------------------------------------
// Controller (5.6)

TierDecision decide(const ControllerInput& in) noexcept {
    TierDecision d;
    ControllerWhy& why = d.why;
    const Bucket* t = in.thread ? &in.thread->bucket(in.turn_class) : nullptr;
    const Bucket* p = in.profile ? &in.profile->bucket(in.turn_class) : nullptr;
    const double tN = t ? double(t->tokens.count) : 0;
    const double pN = p ? double(std::min(p->tokens.count, kProfileSampleCap)) : 0;
    const double n = tN + pN;
    const double prior_budget = double(in.prior_budget);
    double mean = prior_budget;
    if (n > 0) {
        const double blended = (tN * (t ? t->tokens.mean : 0) + pN * (p ? p->tokens.mean : 0)) / n;
        mean = (n * blended + kShrinkage * prior_budget) / (n + kShrinkage);
    }
    double std = 0;
    if (t && t->tokens.count >= 2) std = t->tokens.stddev();
    else if (p && p->tokens.count >= 2) std = p->tokens.stddev();

    const Bucket* emas = t ? t : p;
    const double under = emas ? emas->under_ema : 0;
    const double wasteful = emas ? emas->wasteful_ema : 0;
    const double quality = emas ? emas->quality_ema : 1;
    std::optional<Tier> last;
    if (t && t->last_tier) last = t->last_tier;
    else if (p && p->last_tier) last = p->last_tier;

    const double shortfall = std::max(0.0, (kQualityTarget - quality) / kQualityTarget);
    const double eff = std::min(1.0, under + kQualityWeight * shortfall);

    why.n = n;
    why.mean = mean;
    why.std = std;
    why.under = under;
    why.wasteful = wasteful;
    why.quality = quality;
    why.shortfall = shortfall;
    why.eff = eff;
    why.emas_from = t ? StateSource::thread : p ? StateSource::profile : StateSource::none;
    why.last = last;

    const double floor_budget = double(canonical_budget(in.floor));
    if (in.knob == Knob::budget) {
        if (n < double(kWarmMinSamples)) {
            if (shortfall >= kColdQualityShortfall && in.prior_tier != Tier::high) {
                d.tier = max_tier(tier_at(rank(in.prior_tier) + 1), in.floor);
                d.budget = canonical_budget(d.tier);
                d.reason = DecisionReason::cold_quality;
            } else {
                d.tier = max_tier(in.prior_tier, in.floor);
                d.budget = static_cast<std::int64_t>(std::max(prior_budget, floor_budget));
                d.reason = DecisionReason::cold;
            }
            return d;
        }
        double est = mean * kSelfTruncationMargin + kStdWeight * std;
        if (eff >= kUnderHigh) {
            est = est * kBump;
            why.bumped = true;
        } else if (wasteful >= kWasteHigh) {
            est = est * kWasteTrim;
            why.trimmed = true;
        }
        why.estimate = est;
        why.band_lo = floor_budget;
        why.band_hi = std::max(kBandPriorFactor * prior_budget, floor_budget);
        est = std::min(why.band_hi, std::max(why.band_lo, est));
        d.budget = static_cast<std::int64_t>(round_half_up(est));
        d.tier = max_tier(tier_of(double(d.budget)), in.floor);
        d.reason = DecisionReason::warm;
        return d;
    }

    // Effort knob: a damped bandit from the prior's rank.
    int r = rank(in.prior_tier);
    if (eff >= kStrongUnder) {
        r += 2;
        why.move = Move::strong_under;
    } else if (eff >= kUnderHigh) {
        r += 1;
        why.move = Move::under;
    } else if (wasteful >= kWasteHigh && n >= 4) {
        r -= 2;
        why.move = Move::wasteful;
    } else if (eff < kUnderLow && n >= 2) {
        r -= 1;
        why.move = Move::clean;
    }
    const int lo = rank(in.floor);
    const int clamped = std::min(3, std::max(lo, r));
    why.clamped_to_floor = clamped != r;
    r = clamped;
    d.reason = DecisionReason::bandit;
    if (last && rank(*last) != r && rank(*last) >= lo) {
        const bool up = r > rank(*last);
        const bool decisive = up ? eff >= kHysteresisUp : (eff < kHysteresisDownEff || wasteful >= kHysteresisDownWaste);
        if (!decisive) {
            r = rank(*last);
            d.reason = DecisionReason::held;
        }
    }
    d.tier = tier_at(r);
    d.budget = canonical_budget(d.tier);
    return d;
}

// ---------------------------------------------------------------------------------------------
// Wire (5.7)

std::string_view effort_value(Tier tier, bool supports_minimal) noexcept {
    switch (tier) {
        case Tier::off: return supports_minimal ? "minimal" : "low";
        case Tier::low: return "low";
        case Tier::medium: return "medium";
        case Tier::high: return "high";
    }
    return "low";
}

double temperature_for(double creativity) noexcept {
    const double t = kTemperatureBase + kTemperatureSpan * clamp01(creativity);
    return round_half_up(100 * t) / 100;
}

Wired wire(const Capability& cap, Tier tier, std::int64_t budget, double creativity,
           const ClientControls& client) noexcept {
    Wired w;
    if (client.reasoning) return w;
    bool thinking = false;
    if (cap.knob == Knob::effort) {
        w.applied = true;
        w.patch.reasoning_effort = effort_value(tier, cap.supports_minimal);
    } else if (cap.knob == Knob::budget && tier != Tier::off) {
        const std::int64_t min = cap.min_budget_tokens.value_or(kDefaultMinThinkingBudget);
        std::optional<std::int64_t> max = cap.max_budget_tokens;
        std::optional<std::int64_t> output_cap = cap.max_output_tokens;
        if (client.max_tokens) output_cap = output_cap ? std::min(*output_cap, *client.max_tokens) : *client.max_tokens;
        if (output_cap) {
            const std::int64_t room = *output_cap - kAnswerHeadroom;
            max = max ? std::min(*max, room) : room;
        }
        const std::int64_t ceiling = max.value_or(kUnboundedThinkingCeiling);
        if (ceiling >= min) {
            w.applied = true;
            thinking = true;
            w.patch.thinking_budget = std::clamp(budget, min, ceiling);
            if (!client.max_tokens && cap.max_output_tokens) w.patch.max_tokens = *cap.max_output_tokens;
        }
    }
    if (cap.knob != Knob::effort && !thinking && !client.temperature) w.patch.temperature = temperature_for(creativity);
    return w;
}

// ---------------------------------------------------------------------------------------------
// govern

Governed govern(const GovernInput& in) {
    Governed g;
    const bool utility = in.kind == Kind::utility;
    if (!utility) {
        g.thresholds = thresholds(in.thread ? &in.thread->intensity : nullptr, in.profile ? &in.profile->intensity : nullptr);
        g.features = signals(in.request);
    }
    g.prior = prior(in.kind, g.features, in.seed, g.thresholds);
    g.steerable = (in.capability.knob == Knob::effort || in.capability.knob == Knob::budget) && !in.client.reasoning;
    if (utility) {
        TierDecision d;
        d.reason = DecisionReason::utility;
        g.decision = d;
    } else if (g.steerable) {
        ControllerInput c;
        c.knob = in.capability.knob;
        c.prior_tier = g.prior.tier;
        c.prior_budget = g.prior.budget;
        c.floor = g.prior.floor;
        c.turn_class = g.prior.turn_class;
        c.thread = in.thread;
        c.profile = in.profile;
        g.decision = decide(c);
    }
    const Tier tier = g.decision ? g.decision->tier : Tier::off;
    const std::int64_t budget = g.decision ? g.decision->budget : 0;
    const Wired w = wire(in.capability, tier, budget, g.prior.creativity, in.client);
    g.applied = w.applied;
    g.patch = w.patch;
    if (!utility && g.steerable) {
        RecordTemplate r;
        r.turn_class = g.prior.turn_class;
        r.intensity = g.prior.intensity;
        r.chosen_tier = tier;
        r.self_truncates = in.capability.knob == Knob::budget;
        r.budget_tokens = r.self_truncates ? budget : canonical_budget(tier);
        r.record_reasoning_tokens = w.applied;
        g.record = r;
    }
    return g;
}

}  // namespace reroute::reasoning

// The governor's account of a decision (governor.hpp explain and the names it prints): for logs and
// the explain call, off the per-attempt path (the module compiles it for size).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reroute/governor.hpp"

namespace reroute::reasoning {

// ---------------------------------------------------------------------------------------------
// Names

std::string_view to_string(Signal s) noexcept {
    switch (s) {
        case Signal::length: return "length";
        case Signal::code: return "code";
        case Signal::structure: return "structure";
        case Signal::math: return "math";
        case Signal::hard: return "hard";
        case Signal::easy: return "easy";
        case Signal::retrieval: return "retrieval";
        case Signal::agentic: return "agentic";
        case Signal::trivial: return "trivial";
        case Signal::follow_up: return "follow_up";
    }
    return "length";
}

std::string_view to_string(FloorSource s) noexcept {
    switch (s) {
        case FloorSource::none: return "none";
        case FloorSource::code: return "code";
        case FloorSource::hard: return "hard";
        case FloorSource::attachments: return "attachments";
    }
    return "none";
}

std::string_view to_string(DecisionReason r) noexcept {
    switch (r) {
        case DecisionReason::utility: return "utility";
        case DecisionReason::cold: return "cold";
        case DecisionReason::cold_quality: return "cold_quality";
        case DecisionReason::warm: return "warm";
        case DecisionReason::bandit: return "bandit";
        case DecisionReason::held: return "held";
    }
    return "cold";
}

std::string_view to_string(Move m) noexcept {
    switch (m) {
        case Move::none: return "none";
        case Move::strong_under: return "+2 strong under";
        case Move::under: return "+1 under";
        case Move::wasteful: return "-2 wasteful";
        case Move::clean: return "-1 clean";
    }
    return "none";
}

Signal PriorWhy::dominant() const noexcept {
    int best = 0;
    for (int i = 1; i < kSignalCount; ++i)
        if (std::fabs(contribution[i]) > std::fabs(contribution[best])) best = i;
    return static_cast<Signal>(best);
}

namespace {

void appendf(std::string& out, const char* format, double value) {
    char buf[48];
    const int n = std::snprintf(buf, sizeof buf, format, value);
    if (n > 0) out.append(buf, static_cast<std::size_t>(std::min<int>(n, sizeof buf - 1)));
}

}  // namespace

std::string explain(const Governed& g) {
    std::string out;
    const Prior& p = g.prior;
    if (g.decision) {
        out += "tier=";
        out += to_string(g.decision->tier);
        out += " budget=";
        out += std::to_string(g.decision->budget);
        out += " reason=";
        out += to_string(g.decision->reason);
    } else {
        out += g.steerable ? "not steered" : "not steerable";
    }
    if (g.decision && g.decision->reason == DecisionReason::utility) {
        out += "; utility call: reasoning off";
        return out;
    }
    out += "; prior tier ";
    out += to_string(p.tier);
    out += " (class ";
    out += to_string(p.turn_class);
    appendf(out, ", intensity %.2f;", p.intensity);
    // The two strongest signals.
    int first = -1, second = -1;
    for (int i = 0; i < kSignalCount; ++i) {
        const double v = std::fabs(p.why.contribution[i]);
        if (v == 0) continue;
        if (first < 0 || v > std::fabs(p.why.contribution[first])) {
            second = first;
            first = i;
        } else if (second < 0 || v > std::fabs(p.why.contribution[second])) {
            second = i;
        }
    }
    bool listed = false;
    for (int i : {first, second}) {
        if (i < 0) continue;
        out += listed ? ", " : " ";
        listed = true;
        out += to_string(static_cast<Signal>(i));
        appendf(out, " %+.2f", p.why.contribution[i]);
    }
    out += ")";
    if (p.why.seeded) out += " seeded";
    if (p.why.damped) out += " damped";
    if (p.why.class_capped) out += " class-capped";
    if (p.floor != Tier::off) {
        out += "; floor ";
        out += to_string(p.floor);
        out += " (";
        out += to_string(p.why.floor_from);
        out += ")";
    }
    if (g.thresholds.adaptive) {
        appendf(out, "; thresholds %.3f", g.thresholds.lo);
        appendf(out, "/%.3f", g.thresholds.hi);
    }
    if (!g.decision) return out;
    const ControllerWhy& w = g.decision->why;
    appendf(out, "; n %.0f", w.n);
    appendf(out, " eff %.2f", w.eff);
    if (w.wasteful > 0) appendf(out, " waste %.2f", w.wasteful);
    if (w.quality < 1) appendf(out, " quality %.2f", w.quality);
    switch (g.decision->reason) {
        case DecisionReason::bandit:
        case DecisionReason::held:
            if (w.move != Move::none) {
                out += " ";
                out += to_string(w.move);
            }
            if (w.clamped_to_floor) out += " clamped";
            if (g.decision->reason == DecisionReason::held) {
                out += "; held at ";
                out += to_string(*w.last);
                out += " by last_tier";
            }
            break;
        case DecisionReason::warm:
            appendf(out, "; estimate %.0f", w.estimate);
            if (w.bumped) out += " bumped";
            if (w.trimmed) out += " trimmed";
            appendf(out, " band [%.0f", w.band_lo);
            appendf(out, ", %.0f]", w.band_hi);
            break;
        case DecisionReason::cold_quality:
            out += "; cold quality shortfall: one tier up";
            break;
        default:
            break;
    }
    return out;
}
}  // namespace reroute::reasoning

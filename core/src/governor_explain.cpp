// The governor's account of a decision (governor.hpp explain and the names it prints): for logs and
// the explain call, off the per-attempt path (the module compiles it for size).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>

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

// `text`, then `value` with `decimals` (0..3) digits after the point exactly as printf's %.Nf
// writes it: the binary value scaled and rounded half to even, in integers (a '+' before a
// non-negative value when `plus`). Written by hand: printf's floating-point code is a large share
// of the WebAssembly module.
void append_fixed(std::string& out, std::string_view text, double value, int decimals, bool plus = false) {
    out += text;
    if (!std::isfinite(value)) {
        out += std::isnan(value) ? "nan" : value < 0 ? "-inf" : "inf";
        return;
    }
    std::uint64_t unit = 1;
    for (int i = 0; i < decimals; ++i) unit *= 10;
    if (std::signbit(value)) out += '-';
    else if (plus) out += '+';
    const double magnitude = std::fabs(value);
    std::uint64_t scaled;  // round(magnitude * unit), half to even
    if (magnitude >= 0x1p53) {
        // Already an integer; beyond 2^64 (never an explain figure) it saturates.
        out += std::to_string(magnitude < 0x1p64 ? static_cast<std::uint64_t>(magnitude) : UINT64_MAX);
        if (decimals > 0) out += '.' + std::string(static_cast<std::size_t>(decimals), '0');
        return;
    }
    int exponent = 0;
    const auto mantissa = static_cast<std::uint64_t>(std::ldexp(std::frexp(magnitude, &exponent), 53));
    const std::uint64_t product = mantissa * unit;  // magnitude * unit = product / 2^shift, < 2^63
    const int shift = 53 - exponent;
    if (shift <= 0) {
        scaled = product << -shift;
    } else if (shift >= 64) {
        scaled = 0;  // below 2^-1 after scaling
    } else {
        const std::uint64_t whole = product >> shift, rest = product & ((std::uint64_t{1} << shift) - 1);
        const std::uint64_t half = std::uint64_t{1} << (shift - 1);
        scaled = whole + ((rest > half || (rest == half && (whole & 1))) ? 1 : 0);
    }
    out += std::to_string(scaled / unit);
    if (decimals == 0) return;
    const std::string fraction = std::to_string(scaled % unit);
    out += '.';
    out.append(static_cast<std::size_t>(decimals) - fraction.size(), '0');
    out += fraction;
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
    append_fixed(out, ", intensity ", p.intensity, 2);
    out += ';';
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
        append_fixed(out, " ", p.why.contribution[i], 2, true);
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
        append_fixed(out, "; thresholds ", g.thresholds.lo, 3);
        append_fixed(out, "/", g.thresholds.hi, 3);
    }
    if (!g.decision) return out;
    const ControllerWhy& w = g.decision->why;
    append_fixed(out, "; n ", w.n, 0);
    append_fixed(out, " eff ", w.eff, 2);
    if (w.wasteful > 0) append_fixed(out, " waste ", w.wasteful, 2);
    if (w.quality < 1) append_fixed(out, " quality ", w.quality, 2);
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
            append_fixed(out, "; estimate ", w.estimate, 0);
            if (w.bumped) out += " bumped";
            if (w.trimmed) out += " trimmed";
            append_fixed(out, " band [", w.band_lo, 0);
            append_fixed(out, ", ", w.band_hi, 0);
            out += ']';
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

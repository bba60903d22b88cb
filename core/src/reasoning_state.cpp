// Learned state from loose fields (reasoning.md 5.5): the validation rules shared by the JSON reader
// (reasoning_json.cpp) and the WASM binding, which writes a JS object's fields straight into a
// LooseState. On the governor's per-attempt path, so it lives apart from the JSON code (the module
// compiles this file for speed and the JSON code for size).
#include <cmath>

#include "reroute/reasoning_json.hpp"

namespace reroute::reasoning {
namespace {

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

bool is_integer(double d) noexcept { return std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= kMaxExactInteger; }

// State validation (5.5). `ok` turns false on the first broken rule. Everything is written in place
// and inlined: this runs on every governor step from JS, for the thread state and the profile.
struct StateReader {
    bool ok = true;

    // A count: absent -> 0; otherwise a non-negative integer.
    [[gnu::always_inline]] std::int64_t count(const LooseField& f) {
        if (f.type == FieldType::absent) return 0;
        if (f.type != FieldType::number || !is_integer(f.number) || f.number < 0) {
            ok = false;
            return 0;
        }
        return static_cast<std::int64_t>(f.number);
    }
    // A finite number: absent -> fallback.
    [[gnu::always_inline]] double number(const LooseField& f, double fallback) {
        if (f.type == FieldType::absent) return fallback;
        if (f.type != FieldType::number || !std::isfinite(f.number)) {
            ok = false;
            return fallback;
        }
        return f.number;
    }
    [[gnu::always_inline]] double ema(const LooseField& f, double fallback) {
        const double x = number(f, fallback);
        if (x < 0 || x > 1) ok = false;
        return x;
    }
    // An optional object: absent is fine, anything but an object breaks the state.
    [[gnu::always_inline]] bool object(const LooseField& f) {
        if (f.type == FieldType::absent) return false;
        if (f.type != FieldType::object) ok = false;
        return ok;
    }
    // `fields` starts at the accumulator's own slot, then count, mean, m2.
    [[gnu::always_inline]] void accumulator(const LooseField* fields, Accumulator& a) {
        if (!object(fields[0])) return;
        a.count = count(fields[1]);
        a.mean = number(fields[2], 0);
        a.m2 = number(fields[3], 0);
        if (a.m2 < 0) ok = false;
    }
    [[gnu::always_inline]] void bucket(const LooseField* fields, Bucket& b) {
        accumulator(fields, b.tokens);
        if (fields[kBucketSelf].type != FieldType::object) return;
        b.under_ema = ema(fields[kBucketUnder], 0);
        b.wasteful_ema = ema(fields[kBucketWasteful], 0);
        b.quality_ema = ema(fields[kBucketQuality], 1);
        const LooseField& t = fields[kBucketLastTier];
        if (t.type == FieldType::string && t.number >= 0 && t.number <= 3) b.last_tier = tier_at(static_cast<int>(t.number));
        else if (t.type != FieldType::absent && t.type != FieldType::null) ok = false;
    }
    // `out` starts as a default state.
    void state(const LooseState& s, ReasoningState& out) {
        if (s[kStateSelf].type != FieldType::object) {
            ok = false;
            return;
        }
        out.turns = count(s[kStateTurns]);
        accumulator(&s[kStateIntensity], out.intensity);
        if (object(s[kStateBuckets])) {
            for (int b = 0; b < kTurnClassCount; ++b)
                bucket(&s[kBucketFirst + b * kBucketSlots], out.buckets[static_cast<std::size_t>(b)]);
        }
    }
};

}  // namespace

std::optional<ReasoningState> state_from_loose(const LooseState& fields) {
    std::optional<ReasoningState> out(std::in_place);
    StateReader r;
    r.state(fields, *out);
    if (!r.ok) out.reset();
    return out;
}

std::optional<Accumulator> accumulator_from_loose(const LooseField& self, const LooseField& count,
                                                  const LooseField& mean, const LooseField& m2) {
    const LooseField fields[] = {self, count, mean, m2};
    Accumulator a;
    StateReader r;
    r.accumulator(fields, a);
    if (!r.ok) return std::nullopt;
    return a;
}

}  // namespace reroute::reasoning

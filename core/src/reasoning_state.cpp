// Learned state from loose fields or from the complete form's numbers (reasoning.md 5.5): the
// validation rules shared by the JSON reader (reasoning_json.cpp) and the WASM binding, which writes
// a JS object's fields straight into a LooseState or, for a complete state, a StateNumbers. On the governor's per-attempt path, so it lives apart from the JSON code (the module
// compiles this file for speed and the JSON code for size).
#include <cmath>

#include "reroute/reasoning_json.hpp"

namespace reroute::reasoning {
namespace {

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

bool is_integer(double d) noexcept { return std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= kMaxExactInteger; }

// State validation (5.5). `ok` turns false on the first broken rule. Everything is written in place
// and inlined: this runs on every governor step from JS, for the thread state and the profile.
// The number rules come first; the loose form checks each field's type, then applies them.
struct StateReader {
    bool ok = true;

    // A count: a non-negative integer.
    [[gnu::always_inline]] std::int64_t count(double x) {
        if (!is_integer(x) || x < 0) {
            ok = false;
            return 0;
        }
        return static_cast<std::int64_t>(x);
    }
    [[gnu::always_inline]] double finite(double x) {
        if (!std::isfinite(x)) ok = false;
        return x;
    }
    [[gnu::always_inline]] double ema(double x) {
        if (!(x >= 0 && x <= 1)) ok = false;  // NaN included
        return x;
    }
    [[gnu::always_inline]] void accumulator(double count_value, double mean, double m2, Accumulator& a) {
        a.count = count(count_value);
        a.mean = finite(mean);
        a.m2 = finite(m2);
        if (a.m2 < 0) ok = false;
    }
    // A tier's rank (0 off .. 3 high).
    [[gnu::always_inline]] void last_tier(double rank, Bucket& b) {
        if (rank == 0 || rank == 1 || rank == 2 || rank == 3) b.last_tier = tier_at(static_cast<int>(rank));
        else ok = false;
    }

    // ---- the loose form: absent fields take their defaults ----
    [[gnu::always_inline]] std::int64_t count(const LooseField& f) {
        if (f.type == FieldType::absent) return 0;
        if (f.type != FieldType::number) ok = false;
        return count(f.number);
    }
    [[gnu::always_inline]] double number(const LooseField& f, double fallback) {
        if (f.type == FieldType::absent) return fallback;
        if (f.type != FieldType::number) {
            ok = false;
            return fallback;
        }
        return finite(f.number);
    }
    [[gnu::always_inline]] double ema(const LooseField& f, double fallback) { return ema(number(f, fallback)); }
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
        if (t.type == FieldType::string) last_tier(t.number, b);  // -1: not a tier name
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

    // ---- the complete form: every field present ----
    void state(const StateNumbers& s, ReasoningState& out) {
        out.turns = count(s.turns);
        accumulator(s.intensity_count, s.intensity_mean, s.intensity_m2, out.intensity);
        for (int i = 0; i < kTurnClassCount; ++i) {
            const StateNumbers::BucketNumbers& n = s.buckets[i];
            Bucket& b = out.buckets[static_cast<std::size_t>(i)];
            accumulator(n.count, n.mean, n.m2, b.tokens);
            b.under_ema = ema(n.under_ema);
            b.wasteful_ema = ema(n.wasteful_ema);
            b.quality_ema = ema(n.quality_ema);
            if (n.last_tier != kNoLastTier) last_tier(n.last_tier, b);
        }
    }
};

// A state read from either form; nullopt when it breaks a rule.
template <class Form>
std::optional<ReasoningState> read_state(const Form& form) {
    std::optional<ReasoningState> out(std::in_place);
    StateReader r;
    r.state(form, *out);
    if (!r.ok) out.reset();
    return out;
}

}  // namespace

std::optional<ReasoningState> state_from_loose(const LooseState& fields) { return read_state(fields); }

std::optional<ReasoningState> state_from_numbers(const StateNumbers& numbers) { return read_state(numbers); }

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

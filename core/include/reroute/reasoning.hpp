// The vocabulary shared by the Auto router (auto_router.hpp) and the reasoning governor
// (governor.hpp): tiers, difficulty classes, the router's seed, knobs, the spec's rounding, and
// every constant of reasoning.md section 6 that more than one piece uses.
//
//   using namespace reroute::reasoning;
//   tier_of(9000);                       // Tier::medium (3072 < b <= 12288)
//   canonical_budget(Tier::high);        // 24576
//   round_half_up(52.49999999999999);    // 53: floor(x + 0.5 + 1e-9)
//
// Everything here is constexpr-cheap and noexcept; names parse back with parse_*().
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace reroute::reasoning {

// ---------------------------------------------------------------------------------------------
// Tiers (2.3). Order matters: the enumerator value is the rank.

enum class Tier : std::uint8_t { off = 0, low = 1, medium = 2, high = 3 };

constexpr int rank(Tier t) noexcept { return static_cast<int>(t); }
// The tier of a rank, clamped into [0, 3].
constexpr Tier tier_at(int rank) noexcept {
    return static_cast<Tier>(rank < 0 ? 0 : rank > 3 ? 3 : rank);
}
constexpr Tier max_tier(Tier a, Tier b) noexcept { return rank(a) >= rank(b) ? a : b; }

inline constexpr std::int64_t kBudgetOff = 0;
inline constexpr std::int64_t kBudgetLow = 2048;
inline constexpr std::int64_t kBudgetMedium = 8192;
inline constexpr std::int64_t kBudgetHigh = 24576;
// tierOf cut-offs: below the midpoints, so a budget between two canonical values is the higher tier.
inline constexpr double kTierLowUpTo = 3072;
inline constexpr double kTierMediumUpTo = 12288;

constexpr std::int64_t canonical_budget(Tier t) noexcept {
    switch (t) {
        case Tier::off: return kBudgetOff;
        case Tier::low: return kBudgetLow;
        case Tier::medium: return kBudgetMedium;
        case Tier::high: return kBudgetHigh;
    }
    return kBudgetOff;
}
// tierOf(b): off if b <= 0, low if b <= 3072, medium if b <= 12288, else high. NaN is off.
constexpr Tier tier_of(double budget) noexcept {
    if (!(budget > 0)) return Tier::off;
    if (budget <= kTierLowUpTo) return Tier::low;
    if (budget <= kTierMediumUpTo) return Tier::medium;
    return Tier::high;
}

std::string_view to_string(Tier t) noexcept;
std::optional<Tier> parse_tier(std::string_view name) noexcept;

// ---------------------------------------------------------------------------------------------
// Difficulty classes: the bucket a turn is learned under.

enum class TurnClass : std::uint8_t { easy = 0, medium = 1, hard = 2 };
inline constexpr int kTurnClassCount = 3;

std::string_view to_string(TurnClass c) noexcept;
std::optional<TurnClass> parse_turn_class(std::string_view name) noexcept;

// ---------------------------------------------------------------------------------------------
// The router's seed (4.4, 5.3): coarse advice, a prior and never an override.

enum class Effort : std::uint8_t { low, medium, high };
enum class Creativity : std::uint8_t { precise, balanced, creative };

struct Seed {
    std::optional<Effort> effort;
    std::optional<Creativity> creativity;

    bool empty() const noexcept { return !effort && !creativity; }
    friend bool operator==(const Seed&, const Seed&) = default;
};

inline constexpr double kSeedBlend = 0.5;  // x = 0.5 x + 0.5 S
constexpr double seed_value(Effort e) noexcept {
    return e == Effort::low ? 0.25 : e == Effort::medium ? 0.55 : 0.85;
}
constexpr double seed_value(Creativity c) noexcept {
    return c == Creativity::precise ? 0.0 : c == Creativity::balanced ? 0.5 : 1.0;
}

std::string_view to_string(Effort e) noexcept;
std::string_view to_string(Creativity c) noexcept;
std::optional<Effort> parse_effort(std::string_view name) noexcept;
std::optional<Creativity> parse_creativity(std::string_view name) noexcept;

// ---------------------------------------------------------------------------------------------
// How a model's reasoning is steered (3.1). No declaration means none.

enum class Knob : std::uint8_t { none, effort, budget };

std::string_view to_string(Knob k) noexcept;
std::optional<Knob> parse_knob(std::string_view name) noexcept;

// Kind of call (5.1): utility is the classifier call; everything else is chat.
enum class Kind : std::uint8_t { chat, utility };

std::string_view to_string(Kind k) noexcept;
std::optional<Kind> parse_kind(std::string_view name) noexcept;

// ---------------------------------------------------------------------------------------------
// Numbers (2.2). Binary64 in the order written; the core is compiled without FMA contraction.

// round(x) = floor(x + 0.5 + 1e-9): halves go up, and so does a hair below a half. Inline: the
// prior and the controller call it on the per-attempt path (no product, so no FMA to contract).
inline double round_half_up(double x) noexcept { return std::floor(x + 0.5 + 1e-9); }
constexpr double clamp01(double x) noexcept { return x < 0 ? 0 : x > 1 ? 1 : x != x ? 0 : x; }

}  // namespace reroute::reasoning

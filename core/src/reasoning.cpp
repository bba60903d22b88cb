// Names of the reasoning enumerations (tiers, classes, seeds, knobs, kinds) and their parsers.
#include "reroute/reasoning.hpp"

namespace reroute::reasoning {

std::string_view to_string(Tier t) noexcept {
    switch (t) {
        case Tier::off: return "off";
        case Tier::low: return "low";
        case Tier::medium: return "medium";
        case Tier::high: return "high";
    }
    return "off";
}

std::optional<Tier> parse_tier(std::string_view name) noexcept {
    if (name == "off") return Tier::off;
    if (name == "low") return Tier::low;
    if (name == "medium") return Tier::medium;
    if (name == "high") return Tier::high;
    return std::nullopt;
}

std::string_view to_string(TurnClass c) noexcept {
    switch (c) {
        case TurnClass::easy: return "easy";
        case TurnClass::medium: return "medium";
        case TurnClass::hard: return "hard";
    }
    return "easy";
}

std::optional<TurnClass> parse_turn_class(std::string_view name) noexcept {
    if (name == "easy") return TurnClass::easy;
    if (name == "medium") return TurnClass::medium;
    if (name == "hard") return TurnClass::hard;
    return std::nullopt;
}

std::string_view to_string(Effort e) noexcept {
    switch (e) {
        case Effort::low: return "low";
        case Effort::medium: return "medium";
        case Effort::high: return "high";
    }
    return "low";
}

std::string_view to_string(Creativity c) noexcept {
    switch (c) {
        case Creativity::precise: return "precise";
        case Creativity::balanced: return "balanced";
        case Creativity::creative: return "creative";
    }
    return "balanced";
}

std::optional<Effort> parse_effort(std::string_view name) noexcept {
    if (name == "low") return Effort::low;
    if (name == "medium") return Effort::medium;
    if (name == "high") return Effort::high;
    return std::nullopt;
}

std::optional<Creativity> parse_creativity(std::string_view name) noexcept {
    if (name == "precise") return Creativity::precise;
    if (name == "balanced") return Creativity::balanced;
    if (name == "creative") return Creativity::creative;
    return std::nullopt;
}

std::string_view to_string(Knob k) noexcept {
    switch (k) {
        case Knob::none: return "none";
        case Knob::effort: return "effort";
        case Knob::budget: return "budget";
    }
    return "none";
}

std::optional<Knob> parse_knob(std::string_view name) noexcept {
    if (name == "none") return Knob::none;
    if (name == "effort") return Knob::effort;
    if (name == "budget") return Knob::budget;
    return std::nullopt;
}

std::string_view to_string(Kind k) noexcept { return k == Kind::utility ? "utility" : "chat"; }

std::optional<Kind> parse_kind(std::string_view name) noexcept {
    if (name == "chat") return Kind::chat;
    if (name == "utility") return Kind::utility;
    return std::nullopt;
}

}  // namespace reroute::reasoning

// The chat message catalogues in English, German and French (chat-errors.md section 8), and the
// single-pass placeholder interpolation every rendered message goes through.
//
//   interpolate(*message(Locale::de, "errorHintRateLimitedNamed"), {.provider = "OpenAI"})
//   // "Ratenlimit bei OpenAI erreicht. Bitte warte einen Moment und versuche es erneut."
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reroute {

enum class Locale { en, de, fr };
inline constexpr int kLocaleCount = 3;

std::string_view to_string(Locale locale) noexcept;
// "en", "de" or "fr", ASCII case-insensitive, optionally with a region ("de-CH", "fr_CA");
// anything else is no locale.
std::optional<Locale> parse_locale(std::string_view tag) noexcept;

struct CatalogueEntry {
    std::string_view key;
    std::string_view text;
};

// One locale's catalogue, in the order of the specification's tables.
std::span<const CatalogueEntry> catalogue(Locale locale) noexcept;
// Every key, in the same order.
std::span<const std::string_view> catalogue_keys() noexcept;
// The message for a key (namespace `chat`); nullopt for an unknown key.
std::optional<std::string_view> message(Locale locale, std::string_view key) noexcept;

// The values placeholders are replaced with; an absent value leaves its placeholder as it is.
struct MessageParams {
    std::optional<std::string_view> provider{}, count{}, from{}, to{};
};

// Replaces {provider}, {count}, {from} and {to} in one pass from left to right. Inserted text is
// never scanned again, so a provider named "{provider}" or "$&" shows as it is.
std::string interpolate(std::string_view message, const MessageParams& params);

// The placeholder names of a message ("{" ASCII letters "}"), sorted, without duplicates.
std::vector<std::string_view> placeholders(std::string_view message);

struct NamedCatalogue {
    std::string_view locale;
    std::span<const CatalogueEntry> entries;
};
// Why these catalogues disagree, one line per problem: a key missing from a locale, a key given
// twice, or a key whose placeholder set differs between locales. Empty when they agree.
std::vector<std::string> catalogue_problems(std::span<const NamedCatalogue> catalogues);

}  // namespace reroute

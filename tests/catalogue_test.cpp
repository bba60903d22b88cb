#include "reroute/catalogue.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

using reroute::catalogue;
using reroute::catalogue_keys;
using reroute::catalogue_problems;
using reroute::CatalogueEntry;
using reroute::interpolate;
using reroute::Locale;
using reroute::message;
using reroute::NamedCatalogue;
using reroute::parse_locale;
using reroute::placeholders;

namespace {

std::vector<std::string> problems_of(std::span<const CatalogueEntry> en, std::span<const CatalogueEntry> de,
                                     std::span<const CatalogueEntry> fr) {
    const std::array<NamedCatalogue, 3> named{{{"en", en}, {"de", de}, {"fr", fr}}};
    return catalogue_problems(named);
}

std::string render(Locale locale, std::string_view key, const reroute::MessageParams& params = {}) {
    const auto text = message(locale, key);
    REQUIRE(text.has_value());
    return interpolate(*text, params);
}

}  // namespace

TEST_CASE("the three catalogues have the same keys and the same placeholders per key") {
    const auto problems = problems_of(catalogue(Locale::en), catalogue(Locale::de), catalogue(Locale::fr));
    std::string report;
    for (const auto& p : problems) report += p + "\n";
    INFO(report);
    CHECK(problems.empty());
    CHECK(catalogue(Locale::en).size() == catalogue_keys().size());
    CHECK(catalogue(Locale::de).size() == catalogue_keys().size());
    CHECK(catalogue(Locale::fr).size() == catalogue_keys().size());
}

TEST_CASE("the catalogue checker reports a key missing in one language") {
    const CatalogueEntry en[] = {{"a", "A"}, {"b", "B"}};
    const CatalogueEntry de[] = {{"a", "A"}};
    const CatalogueEntry fr[] = {{"b", "B"}, {"a", "A"}};
    const auto problems = problems_of(en, de, fr);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "de: key b is missing");
}

TEST_CASE("the catalogue checker reports a key only one language has") {
    const CatalogueEntry en[] = {{"a", "A"}};
    const CatalogueEntry de[] = {{"a", "A"}};
    const CatalogueEntry fr[] = {{"a", "A"}, {"extra", "E"}};
    const auto problems = problems_of(en, de, fr);
    REQUIRE(problems.size() == 2);
    CHECK(problems[0] == "en: key extra is missing");
    CHECK(problems[1] == "de: key extra is missing");
}

TEST_CASE("the catalogue checker reports a placeholder set that differs between languages") {
    const CatalogueEntry en[] = {{"n", "{provider} failed {count} times"}};
    const CatalogueEntry de[] = {{"n", "{count} mal: {provider}"}};  // order does not matter
    const CatalogueEntry fr[] = {{"n", "{fournisseur} a échoué {count} fois"}};
    const auto problems = problems_of(en, de, fr);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "key n: placeholders {count, provider} in en but {count, fournisseur} in fr");
}

TEST_CASE("the catalogue checker reports a key given twice") {
    const CatalogueEntry en[] = {{"a", "A"}, {"a", "A again"}};
    const CatalogueEntry de[] = {{"a", "A"}};
    const CatalogueEntry fr[] = {{"a", "A"}};
    const auto problems = problems_of(en, de, fr);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "en: key a is given twice");
}

TEST_CASE("every key of sections 7.4, 7.6 and 8 is in the catalogue") {
    const char* keys[] = {
        "errorGenerating", "errorDetailsSummary", "retryGeneration", "errorTriedModels", "openProviderSettings",
        "errorHintMissingApiKey", "errorHintCreditExhausted", "errorHintAuthError", "errorHintModelNotFound",
        "errorHintModelNotEntitled", "errorHintUnsupportedParameter", "errorHintOutputCapTooHigh",
        "errorHintTokenLimit", "errorHintRateLimited", "errorHintContentFilter", "errorHintContextLength",
        "errorHintToolFailure", "errorHintProviderUnreachable", "errorHintProviderError",
        "errorGeneratingDescription", "errorHintCreditExhaustedNamed", "errorHintAuthErrorNamed",
        "errorHintModelNotFoundNamed", "errorHintModelNotEntitledNamed", "errorHintRateLimitedNamed",
        "errorHintProviderUnreachableNamed", "modelFallbackNotice", "modelFallbackDefaultModel", "modelFallbackUnknown"};
    CHECK(catalogue_keys().size() == std::size(keys));
    for (const char* key : keys)
        for (const Locale locale : {Locale::en, Locale::de, Locale::fr}) CHECK(message(locale, key).has_value());
    CHECK_FALSE(message(Locale::en, "errorHintBogus").has_value());
    CHECK_FALSE(message(Locale::en, "").has_value());
}

TEST_CASE("catalogue strings keep their typographic characters") {
    CHECK(*message(Locale::en, "modelFallbackNotice") == "{from} was unavailable \xE2\x80\x94 switched to {to}.");
    CHECK(*message(Locale::de, "modelFallbackNotice") == "{from} war nicht verf\xC3\xBCgbar \xE2\x80\x93 zu {to} gewechselt.");
    CHECK(*message(Locale::fr, "modelFallbackNotice") == "{from} \xC3\xA9tait indisponible \xE2\x80\x94 passage \xC3\xA0 {to}.");
    CHECK(*message(Locale::en, "errorHintMissingApiKey") ==
          "No API key is configured for this organization yet. Open Settings \xE2\x86\x92 AI providers and add one to "
          "start chatting.");
    CHECK(*message(Locale::fr, "errorGenerating") == "Une erreur s'est produite");
    CHECK(*message(Locale::de, "openProviderSettings") == "Anbietereinstellungen \xC3\xB6" "ffnen");
}

TEST_CASE("parse_locale reads en, de and fr with or without a region") {
    CHECK(parse_locale("en") == Locale::en);
    CHECK(parse_locale("de") == Locale::de);
    CHECK(parse_locale("fr") == Locale::fr);
    CHECK(parse_locale("DE") == Locale::de);
    CHECK(parse_locale("de-CH") == Locale::de);
    CHECK(parse_locale("fr_CA") == Locale::fr);
    CHECK_FALSE(parse_locale(""));
    CHECK_FALSE(parse_locale("e"));
    CHECK_FALSE(parse_locale("es"));
    CHECK_FALSE(parse_locale("eng"));
    CHECK_FALSE(parse_locale("en-"));
    CHECK_FALSE(parse_locale("deu-DE"));
    CHECK(reroute::to_string(Locale::fr) == "fr");
}

TEST_CASE("interpolate replaces the four placeholders") {
    CHECK(render(Locale::en, "errorTriedModels", {.count = "3"}) == "Tried 3 models before giving up.");
    CHECK(render(Locale::en, "modelFallbackNotice", {.from = "gpt-5", .to = "claude"}) ==
          "gpt-5 was unavailable \xE2\x80\x94 switched to claude.");
    CHECK(render(Locale::de, "errorHintRateLimitedNamed", {.provider = "OpenAI"}) ==
          "Ratenlimit bei OpenAI erreicht. Bitte warte einen Moment und versuche es erneut.");
    CHECK(interpolate("{to}{to}{from}", {.from = "a", .to = "b"}) == "bba");
}

TEST_CASE("interpolate never rescans inserted text") {
    CHECK(interpolate("{provider} is out of credits.", {.provider = "{provider}"}) == "{provider} is out of credits.");
    CHECK(interpolate("{provider} is out of credits.", {.provider = "$&"}) == "$& is out of credits.");
    CHECK(interpolate("{from} to {to}", {.from = "{to}", .to = "x"}) == "{to} to x");
    CHECK(interpolate("{provider}", {.provider = "$1 $` $' {count}", .count = "9"}) == "$1 $` $' {count}");
}

TEST_CASE("interpolate leaves placeholders without a value and other braces as they are") {
    CHECK(interpolate("{provider} failed", {}) == "{provider} failed");
    CHECK(interpolate("{model} {unknown} {} { {provider", {.provider = "p"}) == "{model} {unknown} {} { {provider");
    CHECK(interpolate("{{provider}}", {.provider = "p"}) == "{p}");
    CHECK(interpolate("", {.provider = "p"}) == "");
}

TEST_CASE("placeholders lists the names of a message once each, sorted") {
    CHECK(placeholders("{to} and {from} and {to}") == std::vector<std::string_view>{"from", "to"});
    CHECK(placeholders("no placeholders { here } {} {a b}").empty());
    CHECK(placeholders("{provider}") == std::vector<std::string_view>{"provider"});
}

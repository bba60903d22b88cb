#include "reroute/catalogue.hpp"

#include <algorithm>
#include <array>

namespace reroute {
namespace {

// Section 8 of chat-errors.md, string for string (typographic characters as given there: U+2014,
// U+2013, U+2192, and the plain apostrophe U+0027). Every locale lists the keys in the same order.
constexpr CatalogueEntry kEn[] = {
    {"errorGenerating", "Something went wrong"},
    {"errorDetailsSummary", "Technical details"},
    {"retryGeneration", "Try again"},
    {"errorTriedModels", "Tried {count} models before giving up."},
    {"openProviderSettings", "Open provider settings"},
    {"errorHintMissingApiKey",
     "No API key is configured for this organization yet. Open Settings → AI providers and add one "
     "to start chatting."},
    {"errorHintCreditExhausted",
     "The AI provider's credit limit was exceeded. Contact your administrator to add credits."},
    {"errorHintAuthError",
     "The API key is invalid or does not have access to this model. Contact your administrator."},
    {"errorHintModelNotFound",
     "The selected model was not found or is unavailable. Contact your administrator."},
    {"errorHintModelNotEntitled",
     "The provider's plan does not include this model. Pick another model, or ask your administrator "
     "to upgrade the plan."},
    {"errorHintUnsupportedParameter",
     "The model rejected one of the request parameters. This usually means a provider or model "
     "configuration mismatch — check the model settings, or expand the details below."},
    {"errorHintOutputCapTooHigh",
     "This model's configured max output tokens is higher than the model supports. Ask your "
     "administrator to lower the model's Max output tokens setting."},
    {"errorHintTokenLimit",
     "The model's output token limit was exceeded. Try a shorter request or ask your administrator "
     "to adjust the model settings."},
    {"errorHintRateLimited", "Too many requests. Please wait a moment and try again."},
    {"errorHintContentFilter", "The message was flagged by the content filter. Try rephrasing your message."},
    {"errorHintContextLength",
     "The conversation is too long for the model's context window. Try starting a new chat."},
    {"errorHintToolFailure",
     "The agent encountered an error while accessing data. Try rephrasing your request or asking for "
     "a smaller set of data."},
    {"errorHintProviderUnreachable",
     "The AI provider could not be reached. It may be offline or misconfigured. Try again, or "
     "contact your administrator."},
    {"errorHintProviderError",
     "The AI provider is temporarily experiencing issues. Please try again in a moment."},
    {"errorGeneratingDescription", "There was an error generating a response. Please try again."},
    {"errorHintCreditExhaustedNamed",
     "{provider} is out of credits. Contact your administrator to add credits or switch providers."},
    {"errorHintAuthErrorNamed",
     "The API key for {provider} is invalid or expired. Contact your administrator to update it."},
    {"errorHintModelNotFoundNamed",
     "The selected model was not found on {provider}. It may have been renamed or removed."},
    {"errorHintModelNotEntitledNamed",
     "The {provider} plan does not include this model. Pick another model, or ask your administrator "
     "to upgrade the plan."},
    {"errorHintRateLimitedNamed", "Rate limit reached on {provider}. Please wait a moment and try again."},
    {"errorHintProviderUnreachableNamed",
     "{provider} could not be reached. It may be offline or misconfigured. Try again, or contact "
     "your administrator."},
    {"modelFallbackNotice", "{from} was unavailable — switched to {to}."},
    {"modelFallbackDefaultModel", "the default model"},
    {"modelFallbackUnknown", "the previous model"},
};

constexpr CatalogueEntry kDe[] = {
    {"errorGenerating", "Etwas ist schiefgelaufen"},
    {"errorDetailsSummary", "Technische Details"},
    {"retryGeneration", "Erneut versuchen"},
    {"errorTriedModels", "{count} Modelle wurden vor dem Abbruch versucht."},
    {"openProviderSettings", "Anbietereinstellungen öffnen"},
    {"errorHintMissingApiKey",
     "Für diese Organisation ist noch kein API-Schlüssel konfiguriert. Öffne Einstellungen → "
     "KI-Anbieter und füge einen hinzu, um den Chat zu starten."},
    {"errorHintCreditExhausted",
     "Das Guthaben des KI-Anbieters wurde überschritten. Kontaktiere deinen Administrator, um "
     "Guthaben aufzuladen."},
    {"errorHintAuthError",
     "Der API-Schlüssel ist ungültig oder hat keinen Zugriff auf dieses Modell. Kontaktiere deinen "
     "Administrator."},
    {"errorHintModelNotFound",
     "Das ausgewählte Modell wurde nicht gefunden oder ist nicht verfügbar. Kontaktiere deinen "
     "Administrator."},
    {"errorHintModelNotEntitled",
     "Der Tarif des Anbieters enthält dieses Modell nicht. Wähl ein anderes Modell oder lass deinen "
     "Administrator den Tarif erweitern."},
    {"errorHintUnsupportedParameter",
     "Das Modell hat einen der Anfrageparameter abgelehnt. Das deutet meist auf eine falsch "
     "konfigurierte Anbieter- oder Modelleinstellung hin – prüfe die Modelleinstellungen oder öffne "
     "die Details unten."},
    {"errorHintOutputCapTooHigh",
     "Die konfigurierten maximalen Ausgabe-Tokens sind höher als dieses Modell unterstützt. Bitte "
     "deinen Administrator, die maximalen Ausgabe-Tokens des Modells zu senken."},
    {"errorHintTokenLimit",
     "Das Token-Limit des Modells wurde überschritten. Versuche eine kürzere Anfrage oder bitte "
     "deinen Administrator, die Modelleinstellungen anzupassen."},
    {"errorHintRateLimited", "Zu viele Anfragen. Bitte warte einen Moment und versuche es erneut."},
    {"errorHintContentFilter",
     "Die Nachricht wurde vom Inhaltsfilter markiert. Versuche, deine Nachricht umzuformulieren."},
    {"errorHintContextLength",
     "Die Konversation ist zu lang für das Kontextfenster des Modells. Versuche, einen neuen Chat zu "
     "starten."},
    {"errorHintToolFailure",
     "Der Agent hat beim Datenzugriff einen Fehler festgestellt. Versuche, deine Anfrage "
     "umzuformulieren oder weniger Daten anzufordern."},
    {"errorHintProviderUnreachable",
     "Der KI-Anbieter konnte nicht erreicht werden. Er ist möglicherweise offline oder falsch "
     "konfiguriert. Versuche es erneut oder kontaktiere deinen Administrator."},
    {"errorHintProviderError",
     "Der KI-Anbieter hat vorübergehend technische Probleme. Bitte versuche es in einem Moment "
     "erneut."},
    {"errorGeneratingDescription",
     "Beim Generieren einer Antwort ist ein Fehler aufgetreten. Bitte versuche es erneut."},
    {"errorHintCreditExhaustedNamed",
     "{provider} hat kein Guthaben mehr. Kontaktiere deinen Administrator, um Guthaben aufzuladen "
     "oder den Anbieter zu wechseln."},
    {"errorHintAuthErrorNamed",
     "Der API-Schlüssel für {provider} ist ungültig oder abgelaufen. Kontaktiere deinen "
     "Administrator, um ihn zu aktualisieren."},
    {"errorHintModelNotFoundNamed",
     "Das ausgewählte Modell wurde bei {provider} nicht gefunden. Es wurde möglicherweise umbenannt "
     "oder entfernt."},
    {"errorHintModelNotEntitledNamed",
     "Der Tarif bei {provider} enthält dieses Modell nicht. Wähl ein anderes Modell oder lass deinen "
     "Administrator den Tarif erweitern."},
    {"errorHintRateLimitedNamed",
     "Ratenlimit bei {provider} erreicht. Bitte warte einen Moment und versuche es erneut."},
    {"errorHintProviderUnreachableNamed",
     "{provider} konnte nicht erreicht werden. Der Anbieter ist möglicherweise offline oder falsch "
     "konfiguriert. Versuche es erneut oder kontaktiere deinen Administrator."},
    {"modelFallbackNotice", "{from} war nicht verfügbar – zu {to} gewechselt."},
    {"modelFallbackDefaultModel", "das Standardmodell"},
    {"modelFallbackUnknown", "das vorherige Modell"},
};

constexpr CatalogueEntry kFr[] = {
    {"errorGenerating", "Une erreur s'est produite"},
    {"errorDetailsSummary", "Détails techniques"},
    {"retryGeneration", "Réessayer"},
    {"errorTriedModels", "{count} modèles ont été essayés avant d'abandonner."},
    {"openProviderSettings", "Ouvrir les paramètres du fournisseur"},
    {"errorHintMissingApiKey",
     "Aucune clé API n'est encore configurée pour cette organisation. Ouvre Paramètres → "
     "Fournisseurs IA et ajoute-en une pour commencer à discuter."},
    {"errorHintCreditExhausted",
     "Le plafond de crédits du fournisseur d'IA a été dépassé. Contacte ton administrateur pour "
     "ajouter des crédits."},
    {"errorHintAuthError",
     "La clé API est invalide ou n'a pas accès à ce modèle. Contacte ton administrateur."},
    {"errorHintModelNotFound",
     "Le modèle sélectionné est introuvable ou indisponible. Contacte ton administrateur."},
    {"errorHintModelNotEntitled",
     "Le forfait du fournisseur n'inclut pas ce modèle. Choisis un autre modèle ou demande à ton "
     "administrateur d'étendre le forfait."},
    {"errorHintUnsupportedParameter",
     "Le modèle a rejeté l'un des paramètres de la requête. Cela indique généralement une mauvaise "
     "configuration du fournisseur ou du modèle — vérifie les paramètres du modèle ou ouvre les "
     "détails ci-dessous."},
    {"errorHintOutputCapTooHigh",
     "Le nombre maximal de tokens en sortie configuré est supérieur à ce que ce modèle prend en "
     "charge. Demande à ton administrateur de réduire le nombre maximal de tokens en sortie du "
     "modèle."},
    {"errorHintTokenLimit",
     "La limite de tokens en sortie du modèle a été dépassée. Essaie une requête plus courte ou "
     "demande à ton administrateur d'ajuster les paramètres du modèle."},
    {"errorHintRateLimited", "Trop de requêtes. Merci de patienter un moment et réessayer."},
    {"errorHintContentFilter",
     "Le message a été signalé par le filtre de contenu. Essaie de reformuler ton message."},
    {"errorHintContextLength",
     "La conversation est trop longue pour la fenêtre de contexte du modèle. Essaie de démarrer un "
     "nouveau chat."},
    {"errorHintToolFailure",
     "L'agent a rencontré une erreur lors de l'accès aux données. Essaie de reformuler ta demande ou "
     "de demander un ensemble de données plus restreint."},
    {"errorHintProviderUnreachable",
     "Le fournisseur d'IA est injoignable. Il est peut-être hors ligne ou mal configuré. Réessaie ou "
     "contacte ton administrateur."},
    {"errorHintProviderError",
     "Le fournisseur d'IA rencontre temporairement des problèmes. Merci de réessayer dans un instant."},
    {"errorGeneratingDescription",
     "Une erreur est survenue lors de la génération de la réponse. Merci de réessayer."},
    {"errorHintCreditExhaustedNamed",
     "{provider} n'a plus de crédits. Contacte ton administrateur pour ajouter des crédits ou "
     "changer de fournisseur."},
    {"errorHintAuthErrorNamed",
     "La clé API de {provider} est invalide ou expirée. Contacte ton administrateur pour la mettre à "
     "jour."},
    {"errorHintModelNotFoundNamed",
     "Le modèle sélectionné est introuvable chez {provider}. Il a peut-être été renommé ou supprimé."},
    {"errorHintModelNotEntitledNamed",
     "Le forfait chez {provider} n'inclut pas ce modèle. Choisis un autre modèle ou demande à ton "
     "administrateur d'étendre le forfait."},
    {"errorHintRateLimitedNamed",
     "Limite de débit atteinte chez {provider}. Merci de patienter un moment puis de réessayer."},
    {"errorHintProviderUnreachableNamed",
     "{provider} est injoignable. Le fournisseur est peut-être hors ligne ou mal configuré. Réessaie "
     "ou contacte ton administrateur."},
    {"modelFallbackNotice", "{from} était indisponible — passage à {to}."},
    {"modelFallbackDefaultModel", "le modèle par défaut"},
    {"modelFallbackUnknown", "le modèle précédent"},
};
constexpr std::size_t kKeyCount = std::size(kEn);
static_assert(std::size(kDe) == kKeyCount && std::size(kFr) == kKeyCount);

constexpr bool same_key_order() {
    for (std::size_t i = 0; i < kKeyCount; ++i)
        if (kEn[i].key != kDe[i].key || kEn[i].key != kFr[i].key) return false;
    return true;
}
static_assert(same_key_order(), "the three catalogues list the same keys in the same order");

constexpr std::array<std::string_view, kKeyCount> make_keys() {
    std::array<std::string_view, kKeyCount> keys{};
    for (std::size_t i = 0; i < kKeyCount; ++i) keys[i] = kEn[i].key;
    return keys;
}
constexpr std::array<std::string_view, kKeyCount> kKeys = make_keys();

constexpr bool is_ascii_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string join(const std::vector<std::string_view>& names) {
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) out += ", ";
        out += names[i];
    }
    return out + "}";
}

}  // namespace

std::string_view to_string(Locale locale) noexcept {
    switch (locale) {
        case Locale::de: return "de";
        case Locale::fr: return "fr";
        case Locale::en: break;
    }
    return "en";
}

std::optional<Locale> parse_locale(std::string_view tag) noexcept {
    if (tag.size() > 2 && tag[2] != '-' && tag[2] != '_') return std::nullopt;
    if (tag.size() < 2 || tag.size() == 3) return std::nullopt;
    const char a = tag[0] >= 'A' && tag[0] <= 'Z' ? char(tag[0] + 32) : tag[0];
    const char b = tag[1] >= 'A' && tag[1] <= 'Z' ? char(tag[1] + 32) : tag[1];
    if (a == 'e' && b == 'n') return Locale::en;
    if (a == 'd' && b == 'e') return Locale::de;
    if (a == 'f' && b == 'r') return Locale::fr;
    return std::nullopt;
}

std::span<const CatalogueEntry> catalogue(Locale locale) noexcept {
    switch (locale) {
        case Locale::de: return kDe;
        case Locale::fr: return kFr;
        case Locale::en: break;
    }
    return kEn;
}

std::span<const std::string_view> catalogue_keys() noexcept { return kKeys; }

std::optional<std::string_view> message(Locale locale, std::string_view key) noexcept {
    for (const CatalogueEntry& e : catalogue(locale))
        if (e.key == key) return e.text;
    return std::nullopt;
}

std::string interpolate(std::string_view message, const MessageParams& params) {
    std::string out;
    out.reserve(message.size() + 32);
    std::size_t i = 0;
    while (i < message.size()) {
        const std::size_t open = message.find('{', i);
        if (open == std::string_view::npos) {
            out.append(message.data() + i, message.size() - i);
            break;
        }
        out.append(message.data() + i, open - i);
        const std::size_t close = message.find('}', open + 1);
        const std::string_view name =
            close == std::string_view::npos ? std::string_view() : message.substr(open + 1, close - open - 1);
        const std::optional<std::string_view>* value = nullptr;
        if (name == "provider") value = &params.provider;
        else if (name == "count") value = &params.count;
        else if (name == "from") value = &params.from;
        else if (name == "to") value = &params.to;
        if (value && value->has_value()) {
            out += **value;
            i = close + 1;
        } else {
            out += '{';  // not a placeholder we fill: keep the brace and read on after it
            i = open + 1;
        }
    }
    return out;
}

std::vector<std::string_view> placeholders(std::string_view message) {
    std::vector<std::string_view> names;
    for (std::size_t open = message.find('{'); open != std::string_view::npos; open = message.find('{', open + 1)) {
        std::size_t end = open + 1;
        while (end < message.size() && is_ascii_letter(message[end])) ++end;
        if (end > open + 1 && end < message.size() && message[end] == '}')
            names.push_back(message.substr(open + 1, end - open - 1));
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

std::vector<std::string> catalogue_problems(std::span<const NamedCatalogue> catalogues) {
    std::vector<std::string> problems;
    std::vector<std::string_view> all_keys;  // every key of every locale, first appearance first
    for (const NamedCatalogue& c : catalogues) {
        for (std::size_t i = 0; i < c.entries.size(); ++i) {
            const std::string_view key = c.entries[i].key;
            for (std::size_t j = 0; j < i; ++j) {
                if (c.entries[j].key == key) {
                    problems.push_back(std::string(c.locale) + ": key " + std::string(key) + " is given twice");
                    break;
                }
            }
            if (std::find(all_keys.begin(), all_keys.end(), key) == all_keys.end()) all_keys.push_back(key);
        }
    }
    for (const std::string_view key : all_keys) {
        const NamedCatalogue* reference = nullptr;
        std::vector<std::string_view> expected;
        for (const NamedCatalogue& c : catalogues) {
            const auto it = std::find_if(c.entries.begin(), c.entries.end(),
                                         [&](const CatalogueEntry& e) { return e.key == key; });
            if (it == c.entries.end()) {
                problems.push_back(std::string(c.locale) + ": key " + std::string(key) + " is missing");
                continue;
            }
            const std::vector<std::string_view> found = placeholders(it->text);
            if (!reference) {
                reference = &c;
                expected = found;
            } else if (found != expected) {
                problems.push_back("key " + std::string(key) + ": placeholders " + join(expected) + " in " +
                                   std::string(reference->locale) + " but " + join(found) + " in " +
                                   std::string(c.locale));
            }
        }
    }
    return problems;
}

}  // namespace reroute

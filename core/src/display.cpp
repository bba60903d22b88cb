#include "reroute/display.hpp"

#include <array>

#include "reroute/classify.hpp"
#include "reroute/envelope.hpp"
#include "reroute/redact.hpp"
#include "reroute/text.hpp"

namespace reroute {
namespace {

struct Keys {
    std::string_view base;
    std::string_view named;  // empty: none
};

// Indexed by ErrorCode (codes.hpp declaration order).
constexpr std::array<Keys, kErrorCodeCount> kKeys = {{
    {"errorHintMissingApiKey", ""},
    {"errorHintCreditExhausted", "errorHintCreditExhaustedNamed"},
    {"errorHintAuthError", "errorHintAuthErrorNamed"},
    {"errorHintModelNotFound", "errorHintModelNotFoundNamed"},
    {"errorHintUnsupportedParameter", ""},
    {"errorHintOutputCapTooHigh", ""},
    {"errorHintTokenLimit", ""},
    {"errorHintRateLimited", "errorHintRateLimitedNamed"},
    {"errorHintContentFilter", ""},
    {"errorHintContextLength", ""},
    {"errorHintToolFailure", ""},
    {"errorHintProviderUnreachable", "errorHintProviderUnreachableNamed"},
    {"errorHintProviderError", ""},
    {"errorGeneratingDescription", ""},
    {"errorHintModelNotEntitled", "errorHintModelNotEntitledNamed"},
}};

constexpr std::size_t kMaxRawMessageUnits = 300;

// Removes W* word W+ (sep_required) or W* word W* from the front of s, ASCII case-insensitive, or
// leaves s alone when it does not start that way.
std::string_view strip_prefix(std::string_view s, std::string_view word, bool space_required) {
    const std::string_view rest = text::trim_start(s);
    if (rest.size() < word.size() || !text::iequals_ascii(rest.substr(0, word.size()), word)) return s;
    const std::string_view after = rest.substr(word.size());
    const std::string_view tail = text::trim_start(after);
    if (space_required && tail.size() == after.size()) return s;
    return tail;
}

bool is_whitespace_at(std::string_view s, std::size_t i) {
    return i < s.size() && text::is_whitespace(text::decode_utf8(s, i).cp);
}

// "at" starting a token, followed by one W unit.
bool has_word_at(std::string_view s) {
    for (std::size_t p = s.find("at"); p != std::string_view::npos; p = s.find("at", p + 1)) {
        const bool starts_token = p == 0 || !text::is_word_byte(static_cast<unsigned char>(s[p - 1]));
        if (starts_token && is_whitespace_at(s, p + 2)) return true;
    }
    return false;
}

// "." [cm]? [jt] "s" "x"? ":" digit
bool has_source_location(std::string_view s) {
    for (std::size_t p = s.find('.'); p != std::string_view::npos; p = s.find('.', p + 1)) {
        std::size_t i = p + 1;
        const auto at = [&](std::size_t k) { return k < s.size() ? s[k] : '\0'; };
        if (at(i) == 'c' || at(i) == 'm') ++i;
        if (at(i) != 'j' && at(i) != 't') continue;
        ++i;
        if (at(i) != 's') continue;
        ++i;
        if (at(i) == 'x') ++i;
        if (at(i) == ':' && at(i + 1) >= '0' && at(i + 1) <= '9') return true;
    }
    return false;
}

// A "/" at the start or right after a W unit, followed by a non-W unit.
bool has_path_token(std::string_view s) {
    bool after_space = true;  // the start counts as a boundary
    for (std::size_t i = 0; i < s.size();) {
        const text::Decoded d = text::decode_utf8(s, i);
        if (d.cp == '/' && after_space && i + 1 < s.size() && !is_whitespace_at(s, i + 1)) return true;
        after_space = text::is_whitespace(d.cp);
        i += d.len;
    }
    return false;
}

bool looks_unsafe(std::string_view s) {
    return has_word_at(s) || text::contains(s, "node_modules") || has_source_location(s) ||
           text::contains(s, "http://") || text::contains(s, "https://") || has_path_token(s) ||
           text::contains(s, "TALE_ERR1");
}

bool present(const std::optional<std::string_view>& s) { return s && !s->empty(); }

}  // namespace

std::string_view base_key(ErrorCode code) noexcept { return kKeys[static_cast<std::size_t>(code)].base; }

std::optional<std::string_view> named_key(ErrorCode code) noexcept {
    const std::string_view named = kKeys[static_cast<std::size_t>(code)].named;
    if (named.empty()) return std::nullopt;
    return named;
}

std::optional<std::string> clean_raw_message(std::string_view raw) {
    if (raw.empty()) return std::nullopt;
    std::string_view line = raw.substr(0, raw.find('\n'));  // a CR is not a separator
    line = strip_prefix(line, "uncaught", true);
    line = strip_prefix(line, "error:", false);
    line = text::trim(line);
    if (line.empty() || line.size() > 4 * kMaxRawMessageUnits) return std::nullopt;  // cheap bound first
    if (text::utf16_length(line) > kMaxRawMessageUnits || looks_unsafe(line)) return std::nullopt;
    return std::string(line);
}

SanitizedError sanitize(std::string_view stored) {
    DecodedEnvelope decoded = decode_envelope(stored);
    SanitizedError out;
    out.code = decoded.code ? *decoded.code : classify_message(decoded.raw ? std::string_view(*decoded.raw) : "");
    const std::optional<std::string_view> named = named_key(out.code);
    if (named && (decoded.provider || decoded.model)) {
        out.i18n_key = *named;
        out.params = SanitizedParams{std::move(decoded.provider), std::move(decoded.model)};
    } else {
        out.i18n_key = base_key(out.code);
    }
    if (decoded.tried_count && *decoded.tried_count > 1) out.tried_count = decoded.tried_count;
    if (decoded.raw) {
        if (std::optional<std::string> cleaned = clean_raw_message(*decoded.raw)) out.raw_message = redact_secrets(*cleaned);
    }
    return out;
}

Hint hint(ErrorCode code, std::optional<std::string_view> provider, std::optional<std::string_view> /*model*/,
          Locale locale) {
    const std::optional<std::string_view> named = named_key(code);
    Hint h;
    MessageParams params;
    if (named && present(provider)) {
        h.key = *named;
        params.provider = provider;
    } else {
        h.key = base_key(code);
    }
    h.text = interpolate(message(locale, h.key).value_or(h.key), params);
    return h;
}

RestProjection rest_projection(std::string_view stored) {
    DecodedEnvelope decoded = decode_envelope(stored);
    RestProjection r;
    r.error = decoded.raw ? std::move(*decoded.raw) : std::string(kTurnFailedText);
    r.error_code = decoded.code;
    return r;
}

std::string content_sentence(ErrorCode code, std::optional<std::string_view> provider,
                             std::optional<std::string_view> model) {
    const bool has_p = present(provider);
    const bool has_m = present(model);
    const std::string p = has_p ? std::string(*provider) : std::string();
    const std::string m = has_m ? std::string(*model) : std::string();
    switch (code) {
        case ErrorCode::missing_api_key:
            return "No AI provider API key is configured. Add one in Settings \u2192 AI providers.";
        case ErrorCode::credit_exhausted:
            return (has_p ? p : "The AI provider") +
                   " is out of credits. Ask an administrator to add credits or switch providers.";
        case ErrorCode::auth_error:
            return "The API key for " + (has_p ? p : "the AI provider") +
                   " is invalid or expired. Ask an administrator to update it.";
        case ErrorCode::model_not_found:
            if (!has_p) return "The model was not found on the provider. It may have been renamed or removed.";
            return (has_m ? "The model \"" + m + "\"" : std::string("The model")) + " was not found on " + p +
                   ". It may have been renamed or removed.";
        case ErrorCode::model_not_entitled:
            return "The plan on " + (has_p ? p : "the AI provider") + " does not include " +
                   (has_p && has_m ? "the model \"" + m + "\"" : std::string("this model")) +
                   ". Pick another model or ask an administrator to upgrade the plan.";
        case ErrorCode::unsupported_parameter:
            return "The model rejected a request parameter \u2014 likely a provider or model configuration mismatch.";
        case ErrorCode::output_cap_too_high:
            return "The model\u2019s configured max output tokens exceeds what it supports. Ask an administrator to "
                   "lower it.";
        case ErrorCode::token_limit:
            return "The model\u2019s output token limit was exceeded. Try a shorter request.";
        case ErrorCode::rate_limited:
            return has_p ? "Rate limit reached on " + p + ". Please wait a moment and try again."
                         : "Rate limit reached. Please wait a moment and try again.";
        case ErrorCode::content_filter:
            return "The request was blocked by a content filter. Try rephrasing your message.";
        case ErrorCode::context_length:
            return "The conversation is too long for the model\u2019s context window. Start a new chat.";
        case ErrorCode::tool_failure:
            return "The agent hit an error while accessing data. Try rephrasing your request.";
        case ErrorCode::provider_unreachable:
            return "Could not reach " + (has_p ? p : "the AI provider") + ". It may be down or misconfigured.";
        case ErrorCode::provider_error:
            return (has_p ? p : "The AI provider") +
                   " is temporarily experiencing issues. Please try again shortly.";
        case ErrorCode::generic:
            break;
    }
    return "An unexpected error occurred. Try again or switch to a different model.";
}

std::string_view to_string(CardAction action) noexcept {
    switch (action) {
        case CardAction::switch_model: return "switch_model";
        case CardAction::new_chat: return "new_chat";
        case CardAction::open_provider_settings: return "open_provider_settings";
        case CardAction::none: break;
    }
    return "none";
}

CardAction card_action(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::missing_api_key: return CardAction::open_provider_settings;
        case ErrorCode::context_length: return CardAction::new_chat;
        case ErrorCode::content_filter:  // the same words fail on every model
        case ErrorCode::tool_failure: return CardAction::none;
        default: return CardAction::switch_model;
    }
}

FailureCard failure_card(std::string_view stored, Locale locale) {
    const DecodedEnvelope decoded = decode_envelope(stored);
    SanitizedError s = sanitize(stored);
    FailureCard card;
    card.code = s.code;
    card.hint = hint(s.code, decoded.provider, decoded.model, locale);
    card.tried_count = s.tried_count;
    card.raw_message = std::move(s.raw_message);
    card.details_open = s.code == ErrorCode::generic;
    card.retry_after_ms = decoded.retry_after_ms;
    card.action = card_action(s.code);
    return card;
}

}  // namespace reroute

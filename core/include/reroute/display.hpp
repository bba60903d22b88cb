// What a failed chat turn shows (chat-errors.md sections 7, 9 and 10): the display adapter that
// turns a stored `error` value into a code, an i18n key and a safe one-line raw message; the hint
// line in the user's language; the English content sentence stored beside the envelope; and the
// public REST projection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reroute/catalogue.hpp"
#include "reroute/codes.hpp"

namespace reroute {

// 7.4: every code's base key (namespace `chat`), and the named key of the six codes that have one.
std::string_view base_key(ErrorCode code) noexcept;
std::optional<std::string_view> named_key(ErrorCode code) noexcept;

struct SanitizedParams {
    std::optional<std::string> provider, model;  // each only if the envelope carried it
};

// The display adapter's result (7.2).
struct SanitizedError {
    ErrorCode code = ErrorCode::generic;
    std::string_view i18n_key;              // static storage
    std::optional<SanitizedParams> params;  // only when i18n_key is the named key
    std::optional<double> tried_count;      // only when greater than 1
    std::optional<std::string> raw_message;
};

// 7.1-7.3 for a stored `error` value (absent and empty behave alike). The code is the envelope's
// when it carries one, otherwise classify_message of the decoded raw text. rawMessage is the
// cleaned first line (clean_raw_message), with secrets redacted (section 12) once it is kept.
SanitizedError sanitize(std::string_view stored);

// 7.3 exactly: the first line of raw, without a leading "Uncaught " and then "Error:", trimmed;
// nullopt when that is empty, longer than 300 UTF-16 units, or looks like a stack frame, a path,
// a URL or an envelope.
std::optional<std::string> clean_raw_message(std::string_view raw);

// 7.5: the hint line. The named key only when the code has one and a non-empty provider is given;
// {provider} is filled in a single pass. model is accepted for symmetry; no message uses it.
struct Hint {
    std::string_view key;  // static storage
    std::string text;
};
Hint hint(ErrorCode code, std::optional<std::string_view> provider, std::optional<std::string_view> model,
          Locale locale);

// Section 10: what a public message listing carries for a stored `error` value.
inline constexpr std::string_view kTurnFailedText = "The turn failed.";
struct RestProjection {
    std::string error;                    // the decoded raw text, or kTurnFailedText
    std::optional<ErrorCode> error_code;  // only when the envelope carried a valid code
};
RestProjection rest_projection(std::string_view stored);

// 7.6: everything the failed-turn card shows for a stored error value, in one locale: the hint
// (7.5) for the decoded code, provider and model; the tried count and cleaned raw text of the
// display adapter (7.2); whether the details start open (only for generic); the retry hint the
// envelope carries; and the fix offered beside "Try again".
enum class CardAction : std::uint8_t {
    none,                    // nothing the person can change (content_filter, tool_failure)
    switch_model,            // another model may work: point at the picker
    new_chat,                // context_length: a fresh conversation fits
    open_provider_settings,  // missing_api_key (7.6): the openProviderSettings action
};
std::string_view to_string(CardAction action) noexcept;
CardAction card_action(ErrorCode code) noexcept;

struct FailureCard {
    ErrorCode code = ErrorCode::generic;
    Hint hint;
    std::optional<double> tried_count;     // only when greater than 1
    std::optional<std::string> raw_message;
    bool details_open = false;
    std::optional<double> retry_after_ms;  // the envelope's reroute extra member
    CardAction action = CardAction::none;
};
FailureCard failure_card(std::string_view stored, Locale locale);

// Section 9: the English sentence stored as the failed message's content. provider and model
// count as absent when absent or empty. Apostrophes are U+2019.
std::string content_sentence(ErrorCode code, std::optional<std::string_view> provider,
                             std::optional<std::string_view> model);

}  // namespace reroute

// The [MODEL_FALLBACK] notice and the composer's automatic model switch (chat-errors.md
// section 11): recognising tagged system messages, writing and reading the notice body, the
// localized row text, and the decision the composer takes when the message list changes.
//
//   format_notice({.from = "gpt-5", .to = "anthropic/claude", .reason = "rate_limited"})
//   // "[MODEL_FALLBACK] from=gpt-5 to=anthropic%2Fclaude reason=rate_limited"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reroute/catalogue.hpp"

namespace reroute {

inline constexpr std::string_view kModelFallbackTag = "MODEL_FALLBACK";

// 11.2: a content carries a system tag only when it starts with one of the known tags, written
// "[" + capitals and underscores + "]". tag is the name without brackets; body is the rest of the
// content with leading W removed. Both view the content.
struct SystemTag {
    std::string_view tag;
    std::string_view body;
};
std::optional<SystemTag> system_tag(std::string_view content) noexcept;

// The values of one notice (11.1). format_notice writes only non-empty values; parse_notice may
// return empty strings (an empty value is kept).
struct FallbackNotice {
    std::optional<std::string> from{}, to{}, reason{};
};

// 11.1: "[MODEL_FALLBACK] " followed by the space-joined from=, to=, reason= tokens, in this
// order, each value percent-encoded (encodeURIComponent).
std::string format_notice(const FallbackNotice& notice);

// 11.3: the values of a [MODEL_FALLBACK] notice; nullopt when the content is not one. A body
// without structured tokens (the older English sentences) gives a notice with no values.
std::optional<FallbackNotice> parse_notice(std::string_view content);
// The same for a body already separated from its tag.
FallbackNotice parse_notice_body(std::string_view body);

// 11.4 steps 1-3: the short name shown for a candidate reference; nullopt for no label (absent,
// empty, exactly "default", or nothing left after dropping the qualifier and the path).
std::optional<std::string> friendly_label(std::optional<std::string_view> ref);

// 11.4: modelFallbackNotice with {from} and {to} filled with friendly labels, or with
// modelFallbackUnknown / modelFallbackDefaultModel where there is no label.
std::string notice_text(std::optional<std::string_view> from, std::optional<std::string_view> to, Locale locale);

// 11.4 for a whole message: nullopt when the content is not a [MODEL_FALLBACK] notice; the body
// verbatim when neither from nor to is a non-empty string; otherwise notice_text.
std::optional<std::string> notice_display_text(std::string_view content, Locale locale);

// 11.5 composer auto-switch.
struct ChatMessage {
    std::string id, role, content;
    std::optional<std::string> status;
};
struct AutoSwitchDecision {
    std::optional<std::string> switch_to;  // the new override, verbatim; nullopt: no switch
    std::vector<std::string> processed;    // the acted-on notice ids, the consumed one appended
};
// Looks only at the last system message carrying the [MODEL_FALLBACK] tag. It is consumed once a
// later assistant message has succeeded (status absent or "success"), and then switches to its
// `to` unless that is absent, empty, "default" or already the current override.
AutoSwitchDecision auto_switch(const std::vector<ChatMessage>& messages, bool loading,
                               std::optional<std::string_view> current, std::vector<std::string> processed);

}  // namespace reroute

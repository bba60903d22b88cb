#include "reroute/notice.hpp"

#include <algorithm>
#include <array>

#include "reroute/envelope.hpp"
#include "reroute/text.hpp"

namespace reroute {
namespace {

constexpr std::array<std::string_view, 14> kKnownTags = {
    "APPROVAL_REJECTED",  "WORKFLOW_CANCELLED",   "WORKFLOW_COMPLETED",   "WORKFLOW_FAILED",
    "WORKFLOW_CREATED",   "WORKFLOW_STARTED",     "WORKFLOW_UPDATED",     "HUMAN_INPUT_RESPONSE",
    "LOCATION_RESPONSE",  "RESPONSE_INTERRUPTED", "TIMEOUT_RECOVERY",     "INTEGRATION_OPERATION_COMPLETED",
    "INTEGRATION_OPERATION_FAILED", "MODEL_FALLBACK",
};

constexpr bool is_capital(char c) noexcept { return c >= 'A' && c <= 'Z'; }

bool non_empty(const std::optional<std::string>& s) { return s && !s->empty(); }

void append_token(std::string& out, bool& first, std::string_view key, const std::optional<std::string>& value) {
    if (!non_empty(value)) return;
    if (!first) out += ' ';
    first = false;
    out += key;
    out += '=';
    percent_encode(out, *value);
}

std::string_view catalogue_text(Locale locale, std::string_view key) {
    return message(locale, key).value_or(key);
}

}  // namespace

std::optional<SystemTag> system_tag(std::string_view content) noexcept {
    // "[" capital (capital | "_")+ "]"
    if (content.size() < 4 || content[0] != '[' || !is_capital(content[1])) return std::nullopt;
    std::size_t end = 2;
    while (end < content.size() && (is_capital(content[end]) || content[end] == '_')) ++end;
    if (end == 2 || end >= content.size() || content[end] != ']') return std::nullopt;
    const std::string_view tag = content.substr(1, end - 1);
    if (std::find(kKnownTags.begin(), kKnownTags.end(), tag) == kKnownTags.end()) return std::nullopt;
    return SystemTag{tag, text::trim_start(content.substr(end + 1))};
}

std::string format_notice(const FallbackNotice& notice) {
    std::string out = "[MODEL_FALLBACK] ";
    bool first = true;
    append_token(out, first, "from", notice.from);
    append_token(out, first, "to", notice.to);
    append_token(out, first, "reason", notice.reason);
    return out;
}

FallbackNotice parse_notice_body(std::string_view body) {
    FallbackNotice notice;
    std::string_view rest = text::trim(body);
    while (!rest.empty()) {
        // The next token runs up to the next W (rest starts with a non-W unit).
        std::size_t end = 0;
        while (end < rest.size()) {
            const text::Decoded d = text::decode_utf8(rest, end);
            if (text::is_whitespace(d.cp)) break;
            end += d.len;
        }
        const std::string_view token = rest.substr(0, end);
        rest = text::trim_start(rest.substr(end));

        const std::size_t eq = token.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        const std::string_view key = token.substr(0, eq);
        std::optional<std::string>* slot = key == "from" ? &notice.from
                                         : key == "to"   ? &notice.to
                                         : key == "reason" ? &notice.reason
                                                           : nullptr;
        if (!slot) continue;
        const std::string_view value = token.substr(eq + 1);
        std::optional<std::string> decoded = percent_decode(value);
        *slot = decoded ? std::move(*decoded) : std::string(value);  // undecodable: kept as it was
    }
    return notice;
}

std::optional<FallbackNotice> parse_notice(std::string_view content) {
    const std::optional<SystemTag> tag = system_tag(content);
    if (!tag || tag->tag != kModelFallbackTag) return std::nullopt;
    return parse_notice_body(tag->body);
}

std::optional<std::string> friendly_label(std::optional<std::string_view> ref) {
    if (!ref || ref->empty() || *ref == "default") return std::nullopt;
    std::string_view label = *ref;
    if (const std::size_t colon = label.find(':'); colon != std::string_view::npos) label.remove_prefix(colon + 1);
    if (const std::size_t slash = label.rfind('/'); slash != std::string_view::npos) label.remove_prefix(slash + 1);
    if (label.empty()) return std::nullopt;
    return std::string(label);
}

std::string notice_text(std::optional<std::string_view> from, std::optional<std::string_view> to, Locale locale) {
    const std::optional<std::string> from_label = friendly_label(from);
    const std::optional<std::string> to_label = friendly_label(to);
    MessageParams params;
    params.from = from_label ? std::string_view(*from_label) : catalogue_text(locale, "modelFallbackUnknown");
    params.to = to_label ? std::string_view(*to_label) : catalogue_text(locale, "modelFallbackDefaultModel");
    return interpolate(catalogue_text(locale, "modelFallbackNotice"), params);
}

std::optional<std::string> notice_display_text(std::string_view content, Locale locale) {
    const std::optional<SystemTag> tag = system_tag(content);
    if (!tag || tag->tag != kModelFallbackTag) return std::nullopt;
    const FallbackNotice notice = parse_notice_body(tag->body);
    if (!non_empty(notice.from) && !non_empty(notice.to)) return std::string(tag->body);
    const auto view = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
        if (s) return std::string_view(*s);
        return std::nullopt;
    };
    return notice_text(view(notice.from), view(notice.to), locale);
}

AutoSwitchDecision auto_switch(const std::vector<ChatMessage>& messages, bool loading,
                               std::optional<std::string_view> current, std::vector<std::string> processed) {
    AutoSwitchDecision decision;
    decision.processed = std::move(processed);
    if (loading || messages.empty()) return decision;

    // Only the last notice is ever examined.
    std::size_t notice = messages.size();
    for (std::size_t i = messages.size(); i-- > 0;) {
        const ChatMessage& m = messages[i];
        if (m.role != "system") continue;
        const std::optional<SystemTag> tag = system_tag(m.content);
        if (tag && tag->tag == kModelFallbackTag) {
            notice = i;
            break;
        }
    }
    if (notice == messages.size()) return decision;
    const ChatMessage& n = messages[notice];
    if (std::find(decision.processed.begin(), decision.processed.end(), n.id) != decision.processed.end())
        return decision;

    // [reroute] a later assistant message must have succeeded; otherwise look again later.
    const bool answered = std::any_of(messages.begin() + std::ptrdiff_t(notice) + 1, messages.end(), [](const ChatMessage& m) {
        return m.role == "assistant" && (!m.status || *m.status == "success");
    });
    if (!answered) return decision;

    decision.processed.push_back(n.id);
    const std::optional<FallbackNotice> parsed = parse_notice(n.content);
    if (!parsed || !non_empty(parsed->to) || *parsed->to == "default") return decision;
    if (!current || *current != *parsed->to) decision.switch_to = *parsed->to;
    return decision;
}

}  // namespace reroute

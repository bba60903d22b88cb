#include "reroute/provider_body.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "reroute/classify.hpp"
#include "reroute/codes.hpp"
#include "reroute/json.hpp"
#include "reroute/redact.hpp"
#include "reroute/text.hpp"

namespace reroute {
namespace {

// ---------------------------------------------------------------------------------------------
// The mapping table: provider-specific signals that section 4 would leave generic (or get wrong),
// and the facts that make classify() reach the right code without changing its rules.
//
// A row with a status sets that status unless the status already present says the same thing
// (same_status_class). A row without one can only be expressed in the message: when the facts do
// not classify as `code` yet, a status that stands in the way is dropped, and the hint is appended
// to the message as " (hint)". Rows are tried in order; the first whose signal is present applies.

enum class Signal : std::uint8_t {
    message,     // the message contains `text` (lowercased, 3.1)
    name,        // error.code, error.type or Google's error.status equals `text` (ASCII, any case)
    moderation,  // OpenRouter moderation metadata: metadata.reasons or metadata.flagged_input
    key_reason,  // Google details[].reason == "API_KEY_INVALID"
};

struct Mapping {
    std::string_view provider;  // whose wording this is (documentation)
    Signal signal;
    std::string_view text;
    ErrorCode code;             // what the error must classify as
    int status;                 // the status that says so, or 0: message only
    std::string_view hint;      // appended when needed, for message-only rows
};

// clang-format off
constexpr std::array<Mapping, 43> kMappings = {{
    // provider     signal              text                                          code                                 status  hint
    {"OpenRouter",  Signal::moderation, "metadata.reasons / flagged_input",           ErrorCode::content_filter,           0,      "content filter"},
    {"Anthropic",   Signal::message,    "your credit balance is too low",             ErrorCode::credit_exhausted,         402,    ""},
    {"Anthropic",   Signal::message,    "prompt is too long",                         ErrorCode::context_length,           0,      "context length exceeded"},
    {"OpenAI",      Signal::message,    "incorrect api key provided",                 ErrorCode::auth_error,               401,    ""},
    {"Google",      Signal::key_reason, "API_KEY_INVALID",                            ErrorCode::auth_error,               401,    ""},
    {"Google",      Signal::message,    "api key not valid",                          ErrorCode::auth_error,               401,    ""},
    {"Google",      Signal::message,    "exceeds the maximum number of tokens allowed", ErrorCode::context_length,         0,      "context length exceeded"},
    {"OpenRouter",  Signal::message,    "is not a valid model id",                    ErrorCode::model_not_found,          404,    ""},
    {"Anthropic",   Signal::name,       "authentication_error",                       ErrorCode::auth_error,               401,    ""},
    {"Anthropic",   Signal::name,       "permission_error",                           ErrorCode::auth_error,               403,    ""},
    {"Anthropic",   Signal::name,       "billing_error",                              ErrorCode::credit_exhausted,         402,    ""},
    {"Anthropic",   Signal::name,       "not_found_error",                            ErrorCode::model_not_found,          404,    ""},
    {"Anthropic",   Signal::name,       "rate_limit_error",                           ErrorCode::rate_limited,             429,    ""},
    {"Anthropic",   Signal::name,       "overloaded_error",                           ErrorCode::provider_error,           529,    ""},
    {"Anthropic",   Signal::name,       "api_error",                                  ErrorCode::provider_error,           500,    ""},
    {"OpenAI",      Signal::name,       "insufficient_quota",                         ErrorCode::credit_exhausted,         402,    ""},
    {"OpenAI",      Signal::name,       "invalid_api_key",                            ErrorCode::auth_error,               401,    ""},
    {"OpenAI",      Signal::name,       "model_not_found",                            ErrorCode::model_not_found,          404,    ""},
    {"OpenAI",      Signal::name,       "rate_limit_exceeded",                        ErrorCode::rate_limited,             429,    ""},
    {"OpenAI",      Signal::name,       "server_error",                               ErrorCode::provider_error,           500,    ""},
    {"OpenAI",      Signal::name,       "context_length_exceeded",                    ErrorCode::context_length,           0,      "context length exceeded"},
    {"OpenAI",      Signal::name,       "content_filter",                             ErrorCode::content_filter,           0,      "content filter"},
    {"OpenAI",      Signal::name,       "content_policy_violation",                   ErrorCode::content_filter,           0,      "content filter"},
    {"OpenAI",      Signal::name,       "unsupported_parameter",                      ErrorCode::unsupported_parameter,    0,      "unsupported parameter"},
    {"OpenAI",      Signal::name,       "unsupported_value",                          ErrorCode::unsupported_parameter,    0,      "unsupported parameter"},
    {"Google",      Signal::name,       "RESOURCE_EXHAUSTED",                         ErrorCode::rate_limited,             429,    ""},
    {"Google",      Signal::name,       "UNAUTHENTICATED",                            ErrorCode::auth_error,               401,    ""},
    {"Google",      Signal::name,       "PERMISSION_DENIED",                          ErrorCode::auth_error,               403,    ""},
    {"Google",      Signal::name,       "NOT_FOUND",                                  ErrorCode::model_not_found,          404,    ""},
    {"Google",      Signal::name,       "UNAVAILABLE",                                ErrorCode::provider_error,           503,    ""},
    {"Google",      Signal::name,       "INTERNAL",                                   ErrorCode::provider_error,           500,    ""},
    {"Google",      Signal::name,       "DEADLINE_EXCEEDED",                          ErrorCode::provider_error,           504,    ""},
    // Transport codes (error_from_transport) beyond the five that rules 11 and 13 know by name.
    {"transport",   Signal::name,       "EHOSTUNREACH",                               ErrorCode::provider_unreachable,     0,      "host unreachable: fetch failed"},
    {"transport",   Signal::name,       "ENETUNREACH",                                ErrorCode::provider_unreachable,     0,      "network unreachable: fetch failed"},
    {"transport",   Signal::name,       "EAI_FAIL",                                   ErrorCode::provider_unreachable,     0,      "DNS lookup failed"},
    {"transport",   Signal::name,       "EAI_NONAME",                                 ErrorCode::provider_unreachable,     0,      "DNS lookup failed"},
    {"transport",   Signal::name,       "UND_ERR_CONNECT_TIMEOUT",                    ErrorCode::provider_error,           0,      "timeout"},
    {"transport",   Signal::name,       "UND_ERR_HEADERS_TIMEOUT",                    ErrorCode::provider_error,           0,      "timeout"},
    {"transport",   Signal::name,       "UND_ERR_BODY_TIMEOUT",                       ErrorCode::provider_error,           0,      "timeout"},
    {"transport",   Signal::name,       "ECONNABORTED",                               ErrorCode::provider_error,           0,      "connection closed, like ECONNRESET"},
    {"transport",   Signal::name,       "EPIPE",                                      ErrorCode::provider_error,           0,      "connection closed, like ECONNRESET"},
    {"transport",   Signal::name,       "UND_ERR_SOCKET",                             ErrorCode::provider_error,           0,      "connection closed, like ECONNRESET"},
    {"transport",   Signal::name,       "UND_ERR_CLOSED",                             ErrorCode::provider_error,           0,      "connection closed, like ECONNRESET"},
}};
// clang-format on

// Whether status s already expresses code, so that a mapping row keeps it (a 503 stays a 503).
bool same_status_class(ErrorCode code, double s) {
    switch (code) {
        case ErrorCode::credit_exhausted: return s == 402;
        case ErrorCode::auth_error: return s == 401 || s == 403;
        case ErrorCode::model_not_found: return s == 404;
        case ErrorCode::rate_limited: return s == 429;
        case ErrorCode::provider_error: return s >= 500 && s <= 599;
        default: return false;
    }
}

// What a row can look at.
struct Signals {
    std::vector<std::string_view> names;
    bool moderation = false;
    bool api_key_invalid = false;
};

bool present(const Mapping& row, const Signals& signals, std::string_view lower_message) {
    switch (row.signal) {
        case Signal::message: return text::contains(lower_message, row.text);
        case Signal::moderation: return signals.moderation;
        case Signal::key_reason: return signals.api_key_invalid;
        case Signal::name:
            return std::any_of(signals.names.begin(), signals.names.end(),
                               [&](std::string_view n) { return text::iequals_ascii(n, row.text); });
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// Messages.

// s trimmed and cut to at most max_units UTF-16 units on a code point boundary; bytes that are not
// UTF-8 (decode_utf8 reads them as single bytes) become U+FFFD. A 3-byte surrogate, JavaScript's
// lone surrogate, is kept as one unit.
std::string bounded(std::string_view s, std::size_t max_units) {
    s = text::trim(s);
    std::string out;
    out.reserve(std::min(s.size(), max_units * 3));
    std::size_t units = 0;
    for (std::size_t i = 0; i < s.size();) {
        const text::Decoded d = text::decode_utf8(s, i);
        const bool valid = d.len > 1 || d.cp < 0x80;
        const char32_t cp = valid ? d.cp : U'\uFFFD';
        const std::size_t n = text::utf16_units(cp);
        if (units + n > max_units) break;
        if (valid) out.append(s.substr(i, d.len));
        else text::append_utf8(out, cp);
        units += n;
        i += d.len;
    }
    return std::string(text::trim(out));
}

std::string clean_message(std::string_view raw) { return bounded(redact_secrets(raw), kMaxMessageUnits); }

// Appends " (hint)" within the length bound.
void append_hint(std::string& message, std::string_view hint) {
    if (message.empty()) {
        message = std::string(hint);
        return;
    }
    const std::size_t extra = hint.size() + 3;  // hints are ASCII
    if (text::utf16_length(message) + extra > kMaxMessageUnits)
        message = bounded(message, kMaxMessageUnits - extra);
    message.append(" (").append(hint).append(")");
}

// Makes v classify as code by the smallest change: drop a status that stands in the way, else
// append the hint, else both. Leaves v as it was when nothing helps (an earlier rule of section 4
// holds for the provider's own words, and that is the classifier's call).
void reach_by_message(ErrorValue& v, ErrorCode code, std::string_view hint) {
    if (classify(v) == code) return;
    const std::optional<double> status = v.status;
    v.status.reset();
    if (status && classify(v) == code) return;
    v.status = status;
    const std::string message = *v.message;
    append_hint(*v.message, hint);
    if (classify(v) == code) return;
    v.status.reset();
    if (classify(v) == code) return;
    v.status = status;
    v.message = message;
}

void apply_mappings(ErrorValue& v, const Signals& signals) {
    const std::string lower = text::lowercase_for_matching(*v.message);
    for (const Mapping& row : kMappings) {
        if (!present(row, signals, lower)) continue;
        if (row.status == 0) reach_by_message(v, row.code, row.hint);
        else if (!v.status || !same_status_class(row.code, *v.status)) v.status = row.status;
        return;
    }
}

// ---------------------------------------------------------------------------------------------
// Reading provider error bodies.

struct ProviderError {
    std::optional<std::string> message;
    std::optional<std::string> code;         // error.code, if a string
    std::optional<double> code_number;       // error.code, if a number
    std::optional<std::string> type;         // error.type
    std::optional<std::string> status_name;  // Google's error.status
    const json::Value* raw = nullptr;        // OpenRouter's metadata.raw (a JSON text or a value)
    bool moderation = false;
    bool api_key_invalid = false;
};

const std::string* string_member(const json::Value& v, std::string_view key) {
    const json::Value* m = v.find(key);
    return m && m->is_string() ? &m->string : nullptr;
}

void read_error_fields(const json::Value& e, ProviderError& out) {
    if (const auto* m = string_member(e, "message")) out.message = *m;
    else if (const auto* d = string_member(e, "detail")) out.message = *d;
    if (const json::Value* c = e.find("code")) {
        if (c->is_string()) out.code = c->string;
        else if (c->is_number()) out.code_number = c->number;
    }
    if (const auto* t = string_member(e, "type")) out.type = *t;
    if (const auto* s = string_member(e, "status")) out.status_name = *s;
    if (const json::Value* meta = e.find("metadata"); meta && meta->is_object()) {
        if (const json::Value* raw = meta->find("raw"); raw && raw->kind != json::Kind::null) out.raw = raw;
        out.moderation = meta->find("reasons") || meta->find("flagged_input");
    }
    if (const json::Value* details = e.find("details"); details && details->kind == json::Kind::array) {
        for (const json::Value& d : details->items) {
            if (!d.is_object()) continue;
            if (const auto* reason = string_member(d, "reason"); reason && *reason == "API_KEY_INVALID")
                out.api_key_invalid = true;
        }
    }
}

// The provider error a JSON document describes, or nullopt. `flat` also accepts forms without an
// `error` member ({message, code, type}, a bare JSON string), which only an error context allows:
// in a stream, ordinary chunks must not read as errors.
std::optional<ProviderError> read_provider_error(const json::Value& doc, bool flat) {
    const json::Value* v = &doc;
    if (v->kind == json::Kind::array) {  // Google, sometimes: [{"error": {...}}]
        if (v->items.empty()) return std::nullopt;
        v = &v->items.front();
    }
    ProviderError out;
    if (v->is_string()) {
        if (!flat) return std::nullopt;
        out.message = v->string;
        return out;
    }
    if (!v->is_object()) return std::nullopt;
    const std::string* type = string_member(*v, "type");
    if (type && *type == "response.failed") {  // OpenAI Responses stream: response.error
        const json::Value* response = v->find("response");
        const json::Value* error = response && response->is_object() ? response->find("error") : nullptr;
        if (!error || !error->is_object()) return std::nullopt;
        read_error_fields(*error, out);
        return out;
    }
    if (const json::Value* error = v->find("error")) {
        if (error->is_object()) {
            read_error_fields(*error, out);
            return out;
        }
        if (error->is_string()) {  // {"error": "text"}, maybe beside a more specific message
            read_error_fields(*v, out);
            if (!out.message) out.message = error->string;
            return out;
        }
    }
    if (!flat && !(type && *type == "error")) return std::nullopt;
    read_error_fields(*v, out);
    if (!out.message && !out.code && !out.code_number) return std::nullopt;
    return out;
}

// An HTTP status that is an error status, as the status fact.
std::optional<double> error_status(int status) {
    if (status < 100 || status > 599 || (status >= 200 && status <= 299)) return std::nullopt;
    return double(status);
}
// A numeric body code that is an HTTP error status (OpenRouter's and Google's error.code).
std::optional<double> status_from_code(const std::optional<double>& code) {
    if (code && *code >= 400 && *code <= 599 && std::floor(*code) == *code) return *code;
    return std::nullopt;
}

ErrorValue from_text(std::optional<double> status, std::string_view body) {
    ErrorValue v = ErrorValue::object();
    v.status = status;
    v.message = clean_message(body);
    apply_mappings(v, {});
    return v;
}

ErrorValue from_provider_error(std::optional<double> http_status, const ProviderError& outer) {
    // OpenRouter: the upstream body, as JSON text (or a JSON value), or plain text.
    std::optional<json::Value> inner_doc;
    std::optional<ProviderError> inner;
    std::string_view inner_text;
    if (outer.raw) {
        if (outer.raw->is_string()) {
            inner_doc = json::parse(outer.raw->string);
            if (inner_doc) inner = read_provider_error(*inner_doc, /*flat=*/true);
            if (!inner) inner_text = outer.raw->string;
        } else {
            inner = read_provider_error(*outer.raw, /*flat=*/true);
        }
    }

    ErrorValue v = ErrorValue::object();

    // The message: the outer one, unless it says nothing the rules can use and the upstream's
    // own message (or raw text) is there.
    const std::string_view outer_message = outer.message ? std::string_view(*outer.message) : std::string_view();
    const std::string_view inner_message = inner && inner->message ? std::string_view(*inner->message) : inner_text;
    const bool outer_says_nothing =
        text::trim(outer_message).empty() || classify_message(outer_message) == ErrorCode::generic;
    const bool use_inner = !text::trim(inner_message).empty() && outer_says_nothing;
    v.message = clean_message(use_inner ? inner_message : outer_message);

    // The provider's code: the upstream's when it has one, it is the more specific.
    const ProviderError& coded = inner && (inner->code || inner->code_number) ? *inner : outer;
    v.code = coded.code;
    v.error_code = coded.code;
    v.error_code_number = coded.code_number;

    v.status = http_status;
    if (!v.status) v.status = status_from_code(outer.code_number);
    if (!v.status && inner) v.status = status_from_code(inner->code_number);

    Signals signals;
    for (const ProviderError* e : std::array<const ProviderError*, 2>{inner ? &*inner : nullptr, &outer}) {
        if (!e) continue;
        for (const auto* name : {&e->code, &e->type, &e->status_name})
            if (*name) signals.names.emplace_back(**name);
        signals.moderation = signals.moderation || e->moderation;
        signals.api_key_invalid = signals.api_key_invalid || e->api_key_invalid;
    }
    apply_mappings(v, signals);
    return v;
}

}  // namespace

ErrorValue error_from_response(int status, std::string_view body) {
    const std::optional<double> http_status = error_status(status);
    if (const std::optional<json::Value> doc = json::parse(body)) {
        if (const auto error = read_provider_error(*doc, /*flat=*/true)) return from_provider_error(http_status, *error);
    }
    return from_text(http_status, body);
}

std::optional<ErrorValue> error_from_stream_event(std::string_view event_name, std::string_view data) {
    const bool error_event = text::iequals_ascii(text::trim(event_name), "error");
    if (const std::optional<json::Value> doc = json::parse(text::trim(data))) {
        if (const auto error = read_provider_error(*doc, /*flat=*/error_event))
            return from_provider_error(std::nullopt, *error);
    }
    if (error_event) return from_text(std::nullopt, data);
    return std::nullopt;
}

ErrorValue error_from_transport(std::string_view code, std::string_view message) {
    ErrorValue v = ErrorValue::object();
    if (!code.empty()) v.code = std::string(code);
    v.message = clean_message(text::trim(message).empty() ? code : message);
    Signals signals;
    if (!code.empty()) signals.names.push_back(code);
    apply_mappings(v, signals);
    return v;
}

}  // namespace reroute

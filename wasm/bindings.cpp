// Embind bindings over the reroute core: type mapping only, no logic. Plain JS objects in and
// out; a field the core leaves absent is absent in JS (never an empty string). Nothing here
// throws: the core returns defined results for any input, and inputs of the wrong JS type are
// read as absent.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reroute/catalogue.hpp"
#include "reroute/classify.hpp"
#include "reroute/display.hpp"
#include "reroute/envelope.hpp"
#include "reroute/json.hpp"
#include "reroute/notice.hpp"
#include "reroute/error_value.hpp"
#include "reroute/scope.hpp"

using emscripten::val;

namespace reroute::wasm {
namespace {

// ---- JS -> core ----

bool is_object(const val& v) { return !v.isNull() && v.typeOf().as<std::string>() == "object"; }

std::optional<std::string> optional_string(const val& v) {
    if (v.isString()) return v.as<std::string>();
    return std::nullopt;
}

std::optional<std::string> string_member(const val& object, const char* key) {
    return optional_string(object[key]);
}

std::optional<double> number_member(const val& object, const char* key) {
    const val member = object[key];
    if (member.isNumber()) return member.as<double>();
    return std::nullopt;
}

std::optional<std::string_view> view(const std::optional<std::string>& s) {
    if (s) return std::string_view(*s);
    return std::nullopt;
}

Locale locale_member(const val& object) {
    return parse_locale(string_member(object, "locale").value_or("en")).value_or(Locale::en);
}

// ---- core -> JS ----

val str(std::string_view s) { return val(std::string(s)); }

void set(val& object, const char* key, const std::optional<std::string>& s) {
    if (s) object.set(key, *s);
}
void set(val& object, const char* key, const std::optional<double>& d) {
    if (d) object.set(key, *d);
}

// ---- the API ----

std::string retirement_js(val code) { return std::string(to_string(retirement_for(optional_string(code).value_or("")))); }
std::string fingerprint_js(val key) {
    const auto text = optional_string(key);
    return text ? fingerprint(*text) : std::string();  // no key, no fingerprint
}

val scope_keys_js(val input) {
    const bool ok = is_object(input);
    const auto provider = ok ? string_member(input, "provider") : std::nullopt;
    const auto api_key = ok ? string_member(input, "apiKey") : std::nullopt;
    const auto base_url = ok ? string_member(input, "baseUrl") : std::nullopt;
    const ScopeKeys keys = scope_keys(provider.value_or(""), view(api_key), view(base_url));
    val out = val::object();
    out.set("credential", keys.credential);
    out.set("endpoint", keys.endpoint);
    out.set("credit", keys.credit);
    return out;
}

val sanitize_js(val stored) {
    const SanitizedError s = sanitize(optional_string(stored).value_or(""));
    val out = val::object();
    out.set("code", str(to_string(s.code)));
    out.set("i18nKey", str(s.i18n_key));
    if (s.params) {
        val params = val::object();
        set(params, "provider", s.params->provider);
        set(params, "model", s.params->model);
        out.set("params", params);
    }
    set(out, "triedCount", s.tried_count);
    set(out, "rawMessage", s.raw_message);
    return out;
}

val rest_projection_js(val stored) {
    const RestProjection r = rest_projection(optional_string(stored).value_or(""));
    val out = val::object();
    out.set("error", r.error);
    if (r.error_code) out.set("errorCode", str(to_string(*r.error_code)));
    return out;
}

struct CodeAndNames {
    ErrorCode code = ErrorCode::generic;
    std::optional<std::string> provider, model;
};
CodeAndNames code_and_names(const val& input) {
    if (!is_object(input)) return {};
    return {parse_error_code(string_member(input, "code").value_or("")).value_or(ErrorCode::generic),
            string_member(input, "provider"), string_member(input, "model")};
}

val hint_js(val input) {
    const CodeAndNames in = code_and_names(input);
    const Hint h = hint(in.code, view(in.provider), view(in.model), is_object(input) ? locale_member(input) : Locale::en);
    val out = val::object();
    out.set("key", str(h.key));
    out.set("text", h.text);
    return out;
}

std::string content_sentence_js(val input) {
    const CodeAndNames in = code_and_names(input);
    return content_sentence(in.code, view(in.provider), view(in.model));
}

FallbackNotice notice_fields(const val& input) {
    if (!is_object(input)) return {};
    return {string_member(input, "from"), string_member(input, "to"), string_member(input, "reason")};
}

std::string format_notice_js(val input) { return format_notice(notice_fields(input)); }

val parse_notice_js(val content) {
    const auto notice = parse_notice(optional_string(content).value_or(""));
    if (!notice) return val::null();
    val out = val::object();
    set(out, "from", notice->from);
    set(out, "to", notice->to);
    set(out, "reason", notice->reason);
    return out;
}

std::string notice_text_js(val input) {
    const FallbackNotice n = notice_fields(input);
    return notice_text(view(n.from), view(n.to), is_object(input) ? locale_member(input) : Locale::en);
}

val auto_switch_js(val input) {
    std::vector<ChatMessage> messages;
    std::vector<std::string> processed;
    if (!is_object(input)) input = val::object();
    const val list = input["messages"];
    if (list.isArray()) {
        const auto count = list["length"].as<unsigned>();
        messages.reserve(count);
        for (unsigned i = 0; i < count; ++i) {
            const val m = list[i];
            if (!is_object(m)) continue;
            messages.push_back({string_member(m, "id").value_or(""), string_member(m, "role").value_or(""),
                                string_member(m, "content").value_or(""), string_member(m, "status")});
        }
    }
    const val ids = input["processed"];
    if (ids.isArray()) {
        const auto count = ids["length"].as<unsigned>();
        for (unsigned i = 0; i < count; ++i)
            if (auto id = optional_string(ids[i])) processed.push_back(std::move(*id));
    }
    const auto current = string_member(input, "current");
    const AutoSwitchDecision d = auto_switch(messages, input["loading"].isTrue(), view(current), std::move(processed));
    val out = val::object();
    out.set("switchTo", d.switch_to ? val(*d.switch_to) : val::null());
    val out_ids = val::array();
    for (const auto& id : d.processed) out_ids.call<void>("push", id);
    out.set("processed", out_ids);
    return out;
}

// A catalogue message (chat-errors.md section 8) with its placeholders filled, or null.
val message_js(val input) {
    if (!is_object(input)) return val::null();
    const auto key = string_member(input, "key");
    const auto text = key ? message(locale_member(input), *key) : std::nullopt;
    if (!text) return val::null();
    const auto provider = string_member(input, "provider");
    const auto from = string_member(input, "from");
    const auto to = string_member(input, "to");
    std::optional<std::string> count = string_member(input, "count");
    if (const auto n = number_member(input, "count")) {
        std::string written;
        json::write_number(written, *n);
        count = std::move(written);
    }
    return val(interpolate(*text, {view(provider), view(count), view(from), view(to)}));
}

// The row text of a system message carrying [MODEL_FALLBACK] (11.4), or null for any other content.
val notice_display_text_js(val input) {
    if (!is_object(input)) return val::null();
    const auto text = notice_display_text(string_member(input, "content").value_or(""), locale_member(input));
    return text ? val(*text) : val::null();
}

// Everything the failed-turn card shows (7.6), for a stored error value.
val failure_card_js(val input) {
    const bool ok = is_object(input);
    const auto stored = ok ? string_member(input, "stored") : std::nullopt;
    const FailureCard card = failure_card(stored.value_or(""), ok ? locale_member(input) : Locale::en);
    val out = val::object();
    out.set("code", str(to_string(card.code)));
    out.set("hintKey", str(card.hint.key));
    out.set("hint", card.hint.text);
    set(out, "triedCount", card.tried_count);
    set(out, "rawMessage", card.raw_message);
    out.set("detailsOpen", card.details_open);
    set(out, "retryAfterMs", card.retry_after_ms);
    out.set("action", str(to_string(card.action)));
    return out;
}

val failure_scopes_js() {
    val out = val::array();
    for (auto scope : {FailureScope::terminal, FailureScope::provider, FailureScope::model})
        out.call<void>("push", str(to_string(scope)));
    return out;
}

val error_codes_js() {
    val out = val::array();
    for (int i = 0; i < kErrorCodeCount; ++i) out.call<void>("push", str(to_string(static_cast<ErrorCode>(i))));
    return out;
}

// ---- hot paths: raw exports (see wire in reroute.mjs) ----
// Classification and the envelope run per request at the edge, so they skip Embind's per-field
// conversions: JS writes strings as UTF-8 into a scratch buffer (TextEncoder.encodeInto) and
// reads results through typed views over a static result block.

std::string g_scratch;
std::string g_text_result;

// The length that marks an absent string.
constexpr std::uint32_t kAbsent = 0xFFFFFFFFu;

// A string the caller wrote into the scratch buffer (empty when out of range).
std::string_view scratch_view(std::uint32_t offset, std::uint32_t len) {
    if (std::size_t{offset} + len > g_scratch.size()) return {};
    return std::string_view(g_scratch).substr(offset, len);
}

// A string the caller wrote into the scratch buffer, assigned into a string whose capacity is
// reused across calls; absent when len is kAbsent.
void assign_scratch(std::optional<std::string>& to, std::uint32_t offset, std::uint32_t len) {
    if (len == kAbsent) {
        to.reset();
        return;
    }
    if (!to) to.emplace();
    to->assign(scratch_view(offset, len));
}

ErrorValue g_error;      // reused by rr_error_op: its strings keep their capacity
EnvelopeFields g_fields;  // reused by rr_encode_envelope, likewise

// Decoded envelope, read by JS through HEAPU32/HEAPF64: keep the layout in step with reroute.mjs.
struct DecodedBlock {
    std::uint32_t present;  // bit 0 code, 1 provider, 2 model, 3 triedCount, 4 raw, 5 retryAfterMs
    std::uint32_t code;
    double tried_count;
    double retry_after_ms;
    std::uint32_t provider_ptr, provider_len, model_ptr, model_len, raw_ptr, raw_len;
};
DecodedBlock g_decoded;
DecodedEnvelope g_decoded_envelope;  // owns the strings g_decoded points into

}  // namespace
}  // namespace reroute::wasm

extern "C" {

// A scratch buffer of at least `bytes` bytes for the next call's inputs.
EMSCRIPTEN_KEEPALIVE char* rr_scratch(std::uint32_t bytes) {
    auto& s = reroute::wasm::g_scratch;
    if (s.size() < bytes) s.resize(bytes);
    return s.data();
}

// The error functions over an error value whose members JS copied in. `op`: 0 classify,
// 1 failure scope, 2 may fail over, 3 is transient. `kind`: ErrorValue::Kind. Numbers are
// present per the bits of `numbers` (status, statusCode, code, error.code).
EMSCRIPTEN_KEEPALIVE int rr_error_op(int op, int kind, int numbers, double status, double status_code,
                                     double code_number, double error_code_number, int has_data,
                                     std::uint32_t text_at, std::uint32_t text_len,
                                     std::uint32_t code_at, std::uint32_t code_len,
                                     std::uint32_t message_at, std::uint32_t message_len,
                                     std::uint32_t name_at, std::uint32_t name_len,
                                     std::uint32_t data_code_at, std::uint32_t data_code_len,
                                     std::uint32_t data_message_at, std::uint32_t data_message_len,
                                     std::uint32_t error_code_at, std::uint32_t error_code_len) {
    using namespace reroute;
    using wasm::assign_scratch;
    ErrorValue& e = wasm::g_error;
    e.kind = static_cast<ErrorValue::Kind>(kind);
    if (e.kind == ErrorValue::Kind::string) {
        const std::string_view text = wasm::scratch_view(text_at, text_len);
        if (op == 0) return static_cast<int>(classify_message(text));  // the common case: no copy
        e.text.assign(text);
    }
    const auto number = [&](std::optional<double>& to, int bit, double value) {
        if (numbers & bit) to = value;
        else to.reset();
    };
    number(e.status, 1, status);
    number(e.status_code, 2, status_code);
    number(e.code_number, 4, code_number);
    number(e.error_code_number, 8, error_code_number);
    e.has_data = has_data != 0;
    assign_scratch(e.code, code_at, code_len);
    assign_scratch(e.message, message_at, message_len);
    assign_scratch(e.name, name_at, name_len);
    assign_scratch(e.data_code, data_code_at, data_code_len);
    assign_scratch(e.data_message, data_message_at, data_message_len);
    assign_scratch(e.error_code, error_code_at, error_code_len);
    switch (op) {
        case 0: return static_cast<int>(classify(e));
        case 1: return static_cast<int>(failure_scope(e));
        case 2: return may_fail_over(e) ? 1 : 0;
        default: return is_transient(e) ? 1 : 0;
    }
}

// encode_envelope over fields in the scratch buffer; returns the result's address, its byte
// length through rr_text_result_len().
EMSCRIPTEN_KEEPALIVE const char* rr_encode_envelope(int numbers, double tried, double retry_after_ms,
                                                    std::uint32_t code_at, std::uint32_t code_len,
                                                    std::uint32_t provider_at, std::uint32_t provider_len,
                                                    std::uint32_t model_at, std::uint32_t model_len,
                                                    std::uint32_t raw_at, std::uint32_t raw_len) {
    using reroute::wasm::assign_scratch;
    reroute::EnvelopeFields& f = reroute::wasm::g_fields;
    assign_scratch(f.code, code_at, code_len);
    assign_scratch(f.provider, provider_at, provider_len);
    assign_scratch(f.model, model_at, model_len);
    assign_scratch(f.raw, raw_at, raw_len);
    f.tried = (numbers & 1) ? std::optional<double>(tried) : std::nullopt;
    f.retry_after_ms = (numbers & 2) ? std::optional<double>(retry_after_ms) : std::nullopt;
    reroute::encode_envelope(f, reroute::wasm::g_text_result);
    return reroute::wasm::g_text_result.data();
}

EMSCRIPTEN_KEEPALIVE std::uint32_t rr_text_result_len() {
    return static_cast<std::uint32_t>(reroute::wasm::g_text_result.size());
}

// decode_envelope of the scratch buffer's first `len` bytes (absent when `present` is 0).
EMSCRIPTEN_KEEPALIVE const reroute::wasm::DecodedBlock* rr_decode_envelope(int present, std::uint32_t len) {
    using namespace reroute::wasm;
    std::optional<std::string_view> stored;
    if (present) stored = std::string_view(g_scratch).substr(0, std::min<std::size_t>(len, g_scratch.size()));
    g_decoded_envelope = reroute::decode_envelope(stored);
    const auto& d = g_decoded_envelope;
    DecodedBlock& b = g_decoded;
    b = DecodedBlock{};
    auto put = [&](const std::optional<std::string>& s, unsigned bit, std::uint32_t& ptr, std::uint32_t& n) {
        if (!s) return;
        b.present |= 1u << bit;
        ptr = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(s->data()));
        n = static_cast<std::uint32_t>(s->size());
    };
    if (d.code) {
        b.present |= 1u;
        b.code = static_cast<std::uint32_t>(*d.code);
    }
    put(d.provider, 1, b.provider_ptr, b.provider_len);
    put(d.model, 2, b.model_ptr, b.model_len);
    if (d.tried_count) {
        b.present |= 1u << 3;
        b.tried_count = *d.tried_count;
    }
    put(d.raw, 4, b.raw_ptr, b.raw_len);
    if (d.retry_after_ms) {
        b.present |= 1u << 5;
        b.retry_after_ms = *d.retry_after_ms;
    }
    return &b;
}

}  // extern "C"

EMSCRIPTEN_BINDINGS(reroute) {
    using namespace reroute::wasm;
    emscripten::function("errorCodes", &error_codes_js);
    emscripten::function("failureScopes", &failure_scopes_js);
    emscripten::function("retirement", &retirement_js);
    emscripten::function("fingerprint", &fingerprint_js);
    emscripten::function("scopeKeys", &scope_keys_js);
    emscripten::function("sanitize", &sanitize_js);
    emscripten::function("restProjection", &rest_projection_js);
    emscripten::function("hint", &hint_js);
    emscripten::function("contentSentence", &content_sentence_js);
    emscripten::function("formatNotice", &format_notice_js);
    emscripten::function("parseNotice", &parse_notice_js);
    emscripten::function("noticeText", &notice_text_js);
    emscripten::function("autoSwitch", &auto_switch_js);
    emscripten::function("message", &message_js);
    emscripten::function("noticeDisplayText", &notice_display_text_js);
    emscripten::function("failureCard", &failure_card_js);
}

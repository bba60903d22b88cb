// Embind bindings over the reroute core: type mapping only, no logic. Plain JS objects in and
// out; a field the core leaves absent is absent in JS (never an empty string). Nothing here
// throws: the core returns defined results for any input, and inputs of the wrong JS type are
// read as absent.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <optional>
#include <string>
#include <vector>

#include "reroute/catalogue.hpp"
#include "reroute/classify.hpp"
#include "reroute/display.hpp"
#include "reroute/envelope.hpp"
#include "reroute/notice.hpp"
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

// The members of a thrown value that the classification rules read (chat-errors.md section 3).
ErrorValue error_value(const val& v) {
    if (v.isUndefined() || v.isNull()) return ErrorValue{};  // "no error" (5.1 step 1)
    if (v.isString()) return ErrorValue::from_text(v.as<std::string>());
    if (!is_object(v) || v.isArray()) {
        ErrorValue other;
        other.kind = ErrorValue::Kind::other;
        return other;
    }
    ErrorValue e = ErrorValue::object();
    e.status = number_member(v, "status");
    e.status_code = number_member(v, "statusCode");
    e.code = string_member(v, "code");
    e.code_number = number_member(v, "code");
    e.message = string_member(v, "message");
    e.name = string_member(v, "name");
    const val data = v["data"];
    if (is_object(data)) {
        e.has_data = true;
        if (!data.isArray()) {
            e.data_code = string_member(data, "code");
            e.data_message = string_member(data, "message");
        }
    }
    const val nested = v["error"];
    if (is_object(nested) && !nested.isArray()) {
        e.error_code = string_member(nested, "code");
        e.error_code_number = number_member(nested, "code");
    }
    return e;
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

std::string classify_js(val error) { return std::string(to_string(classify(error_value(error)))); }
std::string classify_message_js(std::string message) { return std::string(to_string(classify_message(message))); }
std::string failure_scope_js(val error) { return std::string(to_string(failure_scope(error_value(error)))); }
bool may_fail_over_js(val error) { return may_fail_over(error_value(error)); }
bool is_transient_js(val error) { return is_transient(error_value(error)); }
std::string retirement_js(val code) { return std::string(to_string(retirement_for(optional_string(code).value_or("")))); }
std::string fingerprint_js(std::string key) { return fingerprint(key); }

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

std::string encode_envelope_js(val fields) {
    EnvelopeFields f;
    if (is_object(fields)) {
        f.code = string_member(fields, "code");
        f.provider = string_member(fields, "provider");
        f.model = string_member(fields, "model");
        f.tried = number_member(fields, "tried");
        f.raw = string_member(fields, "raw");
        f.retry_after_ms = number_member(fields, "retryAfterMs");
    }
    return encode_envelope(f);
}

val decode_envelope_js(val stored) {
    const auto text = optional_string(stored);
    const DecodedEnvelope d = decode_envelope(view(text));
    val out = val::object();
    if (d.code) out.set("code", str(to_string(*d.code)));
    set(out, "provider", d.provider);
    set(out, "model", d.model);
    set(out, "triedCount", d.tried_count);
    set(out, "raw", d.raw);
    set(out, "retryAfterMs", d.retry_after_ms);
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

val error_codes_js() {
    val out = val::array();
    for (int i = 0; i < kErrorCodeCount; ++i) out.call<void>("push", str(to_string(static_cast<ErrorCode>(i))));
    return out;
}

}  // namespace
}  // namespace reroute::wasm

EMSCRIPTEN_BINDINGS(reroute) {
    using namespace reroute::wasm;
    emscripten::function("errorCodes", &error_codes_js);
    emscripten::function("classify", &classify_js);
    emscripten::function("classifyMessage", &classify_message_js);
    emscripten::function("failureScope", &failure_scope_js);
    emscripten::function("mayFailOver", &may_fail_over_js);
    emscripten::function("isTransient", &is_transient_js);
    emscripten::function("retirement", &retirement_js);
    emscripten::function("fingerprint", &fingerprint_js);
    emscripten::function("scopeKeys", &scope_keys_js);
    emscripten::function("encodeEnvelope", &encode_envelope_js);
    emscripten::function("decodeEnvelope", &decode_envelope_js);
    emscripten::function("sanitize", &sanitize_js);
    emscripten::function("restProjection", &rest_projection_js);
    emscripten::function("hint", &hint_js);
    emscripten::function("contentSentence", &content_sentence_js);
    emscripten::function("formatNotice", &format_notice_js);
    emscripten::function("parseNotice", &parse_notice_js);
    emscripten::function("noticeText", &notice_text_js);
    emscripten::function("autoSwitch", &auto_switch_js);
}

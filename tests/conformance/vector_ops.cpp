#include "vector_ops.hpp"

#include "reasoning_ops.hpp"

#include <optional>

#include "reroute/catalogue.hpp"
#include "reroute/classify.hpp"
#include "reroute/display.hpp"
#include "reroute/envelope.hpp"
#include "reroute/notice.hpp"
#include "reroute/scope.hpp"

namespace reroute::conformance {
namespace json = boost::json;

namespace {

std::optional<std::string> opt_string(const json::object& o, const char* key) {
    const json::value* v = o.if_contains(key);
    if (v && v->is_string()) return std::string(v->get_string());
    return std::nullopt;
}
std::optional<double> opt_number(const json::object& o, const char* key) {
    const json::value* v = o.if_contains(key);
    if (v && v->is_number()) return v->to_number<double>();
    return std::nullopt;
}
std::optional<std::string_view> view(const std::optional<std::string>& s) {
    if (s) return std::string_view(*s);
    return std::nullopt;
}
void put(json::object& o, const char* key, const std::optional<std::string>& s) {
    if (s) o[key] = *s;
}
void put(json::object& o, const char* key, const std::optional<double>& d) {
    if (d) o[key] = *d;
}

OpResult ok(json::value v) { return {true, std::move(v), {}}; }
OpResult bad(std::string why) { return {false, {}, std::move(why)}; }

Locale locale_of(const json::object& in) {
    return parse_locale(opt_string(in, "locale").value_or("en")).value_or(Locale::en);
}

json::object decoded_to_json(const DecodedEnvelope& d) {
    json::object out;
    if (d.code) out["code"] = std::string(to_string(*d.code));
    put(out, "provider", d.provider);
    put(out, "model", d.model);
    put(out, "triedCount", d.tried_count);
    put(out, "raw", d.raw);
    return out;
}

}  // namespace

ErrorValue error_value_from_json(const json::value* value) {
    if (!value || value->is_null()) return ErrorValue{};  // null and absent: "no error" (5.1 step 1)
    if (value->is_string()) return ErrorValue::from_text(std::string(value->get_string()));
    if (!value->is_object()) {
        ErrorValue v;
        v.kind = ErrorValue::Kind::other;
        return v;
    }
    const json::object& o = value->get_object();
    ErrorValue v = ErrorValue::object();
    v.status = opt_number(o, "status");
    v.status_code = opt_number(o, "statusCode");
    v.code = opt_string(o, "code");
    v.code_number = opt_number(o, "code");
    v.message = opt_string(o, "message");
    v.name = opt_string(o, "name");
    if (const json::value* data = o.if_contains("data"); data && (data->is_object() || data->is_array())) {
        v.has_data = true;
        if (data->is_object()) {
            v.data_code = opt_string(data->get_object(), "code");
            v.data_message = opt_string(data->get_object(), "message");
        }
    }
    if (const json::value* err = o.if_contains("error"); err && err->is_object()) {
        v.error_code = opt_string(err->get_object(), "code");
        v.error_code_number = opt_number(err->get_object(), "code");
    }
    return v;
}

ErrorValue error_value_from_input(const json::value& input) {
    if (const json::object* o = input.if_object()) {
        if (const json::value* e = o->if_contains("error")) return error_value_from_json(e);
        if (const json::value* t = o->if_contains("text")) return error_value_from_json(t);
        if (const json::value* x = o->if_contains("value")) return error_value_from_json(x);
        if (!o->contains("value")) return ErrorValue{};  // {"value"} absent: an absent error
    }
    return error_value_from_json(&input);
}

OpResult run_op(const std::string& op, const json::value& input_value) {
    const json::object* input_ptr = input_value.if_object();
    if (!input_ptr) return bad("input is not an object");
    const json::object& in = *input_ptr;

    if (op == "classify") {
        return ok(json::object{{"code", std::string(to_string(classify(error_value_from_input(input_value))))}});
    }
    if (op == "failure_scope") {
        return ok(json::object{{"scope", std::string(to_string(failure_scope(error_value_from_input(input_value))))}});
    }
    if (op == "retire") {
        return ok(json::object{{"retires", std::string(to_string(retirement_for(opt_string(in, "code").value_or(""))))}});
    }
    if (op == "scope_keys") {
        const auto api_key = opt_string(in, "apiKey");
        const auto base_url = opt_string(in, "baseUrl");
        const ScopeKeys keys = scope_keys(opt_string(in, "provider").value_or(""), view(api_key), view(base_url));
        return ok(json::object{{"credential", keys.credential}, {"endpoint", keys.endpoint}});
    }
    if (op == "encode") {
        EnvelopeFields f;
        f.code = opt_string(in, "code");
        f.provider = opt_string(in, "provider");
        f.model = opt_string(in, "model");
        f.tried = opt_number(in, "tried");
        f.raw = opt_string(in, "raw");
        return ok(json::object{{"envelope", encode_envelope(f)}});
    }
    if (op == "decode") {
        const auto stored = opt_string(in, "envelope");
        return ok(decoded_to_json(decode_envelope(view(stored))));
    }
    if (op == "sanitize") {
        const SanitizedError s = sanitize(opt_string(in, "error").value_or(""));
        json::object out{{"code", std::string(to_string(s.code))}, {"i18nKey", std::string(s.i18n_key)}};
        if (s.params) {
            json::object params;
            put(params, "provider", s.params->provider);
            put(params, "model", s.params->model);
            out["params"] = std::move(params);
        }
        put(out, "triedCount", s.tried_count);
        put(out, "rawMessage", s.raw_message);
        return ok(std::move(out));
    }
    if (op == "rest_projection") {
        const RestProjection r = rest_projection(opt_string(in, "stored").value_or(""));
        json::object out{{"error", r.error}};
        if (r.error_code) out["errorCode"] = std::string(to_string(*r.error_code));
        return ok(std::move(out));
    }
    if (op == "hint") {
        const auto code = parse_error_code(opt_string(in, "code").value_or(""));
        if (!code) return bad("hint: input code is not an error code");
        const auto provider = opt_string(in, "provider");
        const auto model = opt_string(in, "model");
        const Hint h = hint(*code, view(provider), view(model), locale_of(in));
        return ok(json::object{{"key", std::string(h.key)}, {"text", h.text}});
    }
    if (op == "notice_format") {
        FallbackNotice n{opt_string(in, "from"), opt_string(in, "to"), opt_string(in, "reason")};
        return ok(json::object{{"content", format_notice(n)}});
    }
    if (op == "notice_parse") {
        const auto n = parse_notice(opt_string(in, "content").value_or(""));
        json::object out;
        if (n) {
            out["tag"] = "MODEL_FALLBACK";
            put(out, "from", n->from);
            put(out, "to", n->to);
            put(out, "reason", n->reason);
        }
        return ok(std::move(out));
    }
    if (op == "notice_text") {
        const auto from = opt_string(in, "from");
        const auto to = opt_string(in, "to");
        return ok(json::object{{"text", notice_text(view(from), view(to), locale_of(in))}});
    }
    if (op == "auto_switch") {
        std::vector<ChatMessage> messages;
        if (const json::value* list = in.if_contains("messages"); list && list->is_array()) {
            for (const json::value& m : list->get_array()) {
                if (!m.is_object()) return bad("auto_switch: a message is not an object");
                const json::object& mo = m.get_object();
                messages.push_back({opt_string(mo, "id").value_or(""), opt_string(mo, "role").value_or(""),
                                    opt_string(mo, "content").value_or(""), opt_string(mo, "status")});
            }
        }
        std::vector<std::string> processed;
        if (const json::value* list = in.if_contains("processed"); list && list->is_array())
            for (const json::value& id : list->get_array())
                if (id.is_string()) processed.emplace_back(id.get_string());
        const json::value* loading = in.if_contains("loading");
        const auto current = opt_string(in, "current");
        const AutoSwitchDecision d = auto_switch(messages, loading && loading->is_bool() && loading->get_bool(),
                                                 view(current), std::move(processed));
        json::array ids;
        for (const auto& id : d.processed) ids.emplace_back(id);
        json::object out{{"processed", std::move(ids)}};
        out["switchTo"] = d.switch_to ? json::value(*d.switch_to) : json::value(nullptr);
        return ok(std::move(out));
    }
    return run_reasoning_op(op, input_value);  // reasoning.json ops; "unknown op" otherwise
}

}  // namespace reroute::conformance

// Embind binding of what automatic routing and the governor need from a routing config
// (reasoning.md 3.1): the auto routes (a declared one, or the implicit `auto`), each route's
// description, agent type, max steps and reasoning mode, and each model's reasoning capability.
// The edge asks once per loaded config. The view is written as JSON text and parsed once on the
// JS side: one crossing, no per-field Embind calls, and little code in the module.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>
#include <string_view>

#include "reroute/config.hpp"
#include "reroute/json.hpp"

using emscripten::val;

namespace reroute::wasm::auto_binding {
namespace {

void member(std::string& out, std::string_view key) {
    if (out.back() != '{') out += ',';
    json::write_string(out, key);
    out += ':';
}
void string_member(std::string& out, std::string_view key, std::string_view value) {
    member(out, key);
    json::write_string(out, value);
}
void optional_member(std::string& out, std::string_view key, const std::optional<std::string>& value) {
    member(out, key);
    if (value) json::write_string(out, *value);
    else out += "null";
}
void number_member(std::string& out, std::string_view key, double value) {
    member(out, key);
    json::write_number(out, value);
}

void write_auto_route(std::string& out, const Config& config, const AutoRoute& route) {
    out += '{';
    string_member(out, "name", route.name);
    member(out, "candidates");
    out += '[';
    for (const std::string& name : route.candidates) {
        if (out.back() != '[') out += ',';
        out += '{';
        string_member(out, "slug", name);
        const Route* r = config.find_declared_route(name);
        string_member(out, "description", r ? std::string_view(r->description) : std::string_view());
        out += '}';
    }
    out += ']';
    optional_member(out, "default", route.default_route);
    optional_member(out, "classifier", config.classifier_of(route));
    out += '}';
}

// The capability object govern() takes (snake_case, as reasoning.d.ts declares it), or null.
void write_capability(std::string& out, const Model& model) {
    if (!model.reasoning || model.reasoning->knob == reasoning::Knob::none) {
        out += "null";
        return;
    }
    const reasoning::Capability& r = *model.reasoning;
    out += '{';
    string_member(out, "knob", reasoning::to_string(r.knob));
    member(out, "supports_minimal");
    out += r.supports_minimal ? "true" : "false";
    if (r.min_budget_tokens) number_member(out, "min_budget_tokens", double(*r.min_budget_tokens));
    if (r.max_budget_tokens) number_member(out, "max_budget_tokens", double(*r.max_budget_tokens));
    if (r.max_output_tokens) number_member(out, "max_output_tokens", double(*r.max_output_tokens));
    out += '}';
}

std::string view_json(const Config& config) {
    std::string out = "{\"ok\":true";
    out += ",\"autoRoutes\":[";
    for (const AutoRoute& a : config.auto_routes) {
        if (out.back() != '[') out += ',';
        write_auto_route(out, config, a);
    }
    if (auto implicit = config.find_auto_route("auto"); implicit && implicit->path.empty() && !implicit->candidates.empty()) {
        if (out.back() != '[') out += ',';
        write_auto_route(out, config, *implicit);
    }
    out += "],\"routes\":[";
    for (const Route& r : config.routes) {
        if (out.back() != '[') out += ',';
        out += '{';
        string_member(out, "name", r.name);
        string_member(out, "description", r.description);
        string_member(out, "agentType", r.agent_type);
        number_member(out, "maxSteps", r.max_steps);
        string_member(out, "reasoning", to_string(r.reasoning));
        out += '}';
    }
    out += "],\"models\":[";
    for (const Model& m : config.models) {
        if (out.back() != '[') out += ',';
        out += '{';
        string_member(out, "ref", m.provider + ":" + m.id);
        member(out, "capability");
        write_capability(out, m);
        out += '}';
    }
    out += "]}";
    return out;
}

// { ok: true, autoRoutes, routes, models } for a config that loads, else { ok: false } (the
// router reports the problems; this view never repeats them).
val reasoning_config(std::string text) {
    ConfigResult loaded = load_config(text);
    return val::global("JSON").call<val>("parse", loaded.ok() ? view_json(*loaded.config) : std::string("{\"ok\":false}"));
}

}  // namespace
}  // namespace reroute::wasm::auto_binding

EMSCRIPTEN_BINDINGS(reroute_auto) {
    emscripten::function("reasoningConfig", &reroute::wasm::auto_binding::reasoning_config);
}

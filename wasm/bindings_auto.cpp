// Embind binding of what automatic routing and the governor need from a routing config
// (reasoning.md 3.1): the auto routes (a declared one, or the implicit `auto`), each route's
// description, agent type, max steps and reasoning mode, and each model's reasoning capability.
// The edge asks once per loaded config. The view is written as JSON text and parsed once on the
// JS side: one crossing, no per-field Embind calls, and little code in the module.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>
#include <string_view>
#include <vector>

#include "reroute/config.hpp"
#include "reroute/json.hpp"

using emscripten::val;

namespace reroute::wasm::auto_binding {
namespace {

// The items of `list` as a JSON array, each written by `write`.
template <class List, class Write>
void write_array(std::string& out, const List& list, Write write) {
    out += '[';
    for (const auto& item : list) {
        if (out.back() != '[') out += ',';
        write(item);
    }
    out += ']';
}

void write_auto_route(std::string& out, const Config& config, const AutoRoute& route) {
    json::ObjectWriter o(out);
    o.str("name", route.name);
    write_array(o.key("candidates"), route.candidates, [&](const std::string& name) {
        json::ObjectWriter c(out);
        c.str("slug", name);
        const Route* r = config.find_declared_route(name);
        c.str("description", r ? std::string_view(r->description) : std::string_view());
        c.close();
    });
    if (route.default_route) o.str("default", *route.default_route);
    else o.null("default");
    if (const auto classifier = config.classifier_of(route)) o.str("classifier", *classifier);
    else o.null("classifier");
    o.close();
}

// The capability object govern() takes (snake_case, as reasoning.d.ts declares it), or null.
void write_capability(std::string& out, const Model& model) {
    if (!model.reasoning || model.reasoning->knob == reasoning::Knob::none) {
        out += "null";
        return;
    }
    const reasoning::Capability& r = *model.reasoning;
    json::ObjectWriter o(out);
    o.str("knob", reasoning::to_string(r.knob));
    o.boolean("supports_minimal", r.supports_minimal);
    if (r.min_budget_tokens) o.integer("min_budget_tokens", *r.min_budget_tokens);
    if (r.max_budget_tokens) o.integer("max_budget_tokens", *r.max_budget_tokens);
    if (r.max_output_tokens) o.integer("max_output_tokens", *r.max_output_tokens);
    o.close();
}

std::string view_json(const Config& config) {
    std::string out;
    json::ObjectWriter o(out);
    o.boolean("ok", true);
    std::vector<AutoRoute> autos = config.auto_routes;
    if (auto implicit = config.find_auto_route("auto"); implicit && implicit->path.empty() && !implicit->candidates.empty())
        autos.push_back(std::move(*implicit));
    write_array(o.key("autoRoutes"), autos, [&](const AutoRoute& a) { write_auto_route(out, config, a); });
    write_array(o.key("routes"), config.routes, [&](const Route& r) {
        json::ObjectWriter w(out);
        w.str("name", r.name);
        w.str("description", r.description);
        w.str("agentType", r.agent_type);
        w.integer("maxSteps", r.max_steps);
        w.str("reasoning", to_string(r.reasoning));
        w.close();
    });
    write_array(o.key("models"), config.models, [&](const Model& m) {
        json::ObjectWriter w(out);
        w.str("ref", m.provider + ":" + m.id);
        write_capability(w.key("capability"), m);
        w.close();
    });
    o.close();
    return out;
}

// { ok: true, autoRoutes, routes, models } for a config that loads, else { ok: false } (the
// router reports the problems; this view never repeats them).
val reasoning_config(val text) {
    // Anything but a string reads as a config text that does not load.
    ConfigResult loaded = load_config(text.isString() ? text.as<std::string>() : std::string());
    return val::global("JSON").call<val>("parse", loaded.ok() ? view_json(*loaded.config) : std::string("{\"ok\":false}"));
}

}  // namespace
}  // namespace reroute::wasm::auto_binding

EMSCRIPTEN_BINDINGS(reroute_auto) {
    emscripten::function("reasoningConfig", &reroute::wasm::auto_binding::reasoning_config);
}

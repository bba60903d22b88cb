#include "reroute/plan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <unordered_map>

#include "reroute/classify.hpp"
#include "reroute/json.hpp"
#include "reroute/notice.hpp"
#include "reroute/provider_body.hpp"
#include "reroute/redact.hpp"
#include "reroute/scope.hpp"
#include "reroute/stream.hpp"
#include "reroute/text.hpp"

// Set-up and reporting code in this file, which the WASM build compiles for speed (the planner is
// on its per-request path): clang optimises these functions for size instead. GCC has no such
// per-function switch without side effects; natively it changes nothing.
#if defined(__clang__)
#define REROUTE_FOR_SIZE [[clang::minsize]]
#else
#define REROUTE_FOR_SIZE
#endif

namespace reroute {
namespace {

// ---- compiled configuration ---------------------------------------------------------------

struct CTarget {
    const ResolvedTarget* rt = nullptr;
    const Model* model = nullptr;
    TargetResources res;
    std::string fingerprint;
    std::string ref;  // provider:model
    std::int64_t window = 0;
    bool config_failure = false;  // credential variable not set
    std::uint64_t sticky_key = 0;
    Reason base = Reason::ok;  // drained or config_failure whatever the request; else ok
    bool tools = false, vision = false;  // the model's capabilities
};

struct CRoute {
    const ResolvedRoute* route = nullptr;
    std::unique_ptr<ResolvedRoute> owned;  // the synthetic route of a provider:model ref
    std::vector<CTarget> targets;
    std::vector<std::uint64_t> group_keys;
    std::uint64_t name_hash = 0;  // hash_text(route->name), for the traffic lookup of every start
};

std::uint64_t hash_text(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ull) noexcept {
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    h ^= 0xff;  // terminator, so that ("ab","c") and ("a","bc") differ
    h *= 0x100000001b3ull;
    return h;
}

Policies clamp_policies(Policies p, const ServerLimits& server) {
    p.retry.max_attempts = std::clamp(p.retry.max_attempts, 1, std::max(1, server.max_attempts));
    p.timeout.deadline_ms = std::clamp<std::int64_t>(p.timeout.deadline_ms, 1, std::max<std::int64_t>(1, server.deadline_ms));
    p.timeout.min_attempt_ms = std::clamp<std::int64_t>(p.timeout.min_attempt_ms, 0, p.timeout.deadline_ms);
    return p;
}

REROUTE_FOR_SIZE std::unique_ptr<ResolvedRoute> synthetic_route(const Config& config, const Model& model, std::size_t model_index) {
    const Provider* provider = config.find_provider(model.provider);
    if (!provider || provider->endpoints.empty()) return nullptr;
    auto r = std::make_unique<ResolvedRoute>();
    r->name = model.provider + ":" + model.id;
    ResolvedGroup g;
    g.strategy = Strategy::fallback;
    g.expansion = true;
    g.path = "/models/" + std::to_string(model_index);
    g.policies = clamp_policies(config.base_policies(), config.server);
    std::vector<const Credential*> creds;
    for (const Credential& c : provider->credentials) creds.push_back(&c);
    if (creds.empty()) creds.push_back(nullptr);
    for (const Credential* c : creds) {
        for (const Endpoint& e : provider->endpoints) {
            ResolvedTarget t;
            t.index = r->targets.size();
            t.leaf = 0;
            t.leaf_path = g.path;
            t.provider = provider->id;
            t.provider_index = static_cast<std::size_t>(provider - config.providers.data());
            t.api_format = provider->api_format;
            t.endpoint_id = e.id;
            t.base_url = e.base_url;
            if (c) {
                t.credential_id = c->id;
                t.credential_env = c->env;
            }
            t.model = model.id;
            t.upstream_model = model.upstream_id();
            t.model_index = model_index;
            t.policies = g.policies;
            g.children.push_back({false, t.index, 1.0});
            r->targets.push_back(std::move(t));
        }
    }
    g.first_target = 0;
    g.end_target = r->targets.size();
    r->groups.push_back(std::move(g));
    return r;
}

REROUTE_FOR_SIZE std::unique_ptr<CRoute> compile(const Config& config, const KeyFingerprints& keys, const ResolvedRoute* route,
                                std::unique_ptr<ResolvedRoute> owned) {
    auto c = std::make_unique<CRoute>();
    c->owned = std::move(owned);
    c->route = c->owned ? c->owned.get() : route;
    c->targets.reserve(c->route->targets.size());
    const std::string empty_fp = fingerprint("");
    for (const ResolvedTarget& rt : c->route->targets) {
        CTarget t;
        t.rt = &rt;
        t.model = rt.model_index < config.models.size() ? &config.models[rt.model_index] : nullptr;
        if (rt.credential_env) {
            auto it = keys.find(*rt.credential_env);
            if (it == keys.end()) t.config_failure = true;
            else t.fingerprint = it->second;
        } else {
            t.fingerprint = empty_fp;
        }
        const bool free_model = t.model && is_free_model(t.model->id, t.model->input_price, t.model->output_price);
        t.res = TargetResources::make(rt.provider, rt.base_url, t.fingerprint, rt.model, free_model);
        t.ref = rt.provider + ":" + rt.model;
        t.window = t.model ? t.model->context_window : 0;
        t.base = rt.drained ? Reason::drained : t.config_failure || !t.model ? Reason::config_failure : Reason::ok;
        t.tools = t.model && t.model->capabilities.tools;
        t.vision = t.model && t.model->capabilities.vision;
        std::uint64_t h = hash_text(rt.provider);
        h = hash_text(rt.endpoint_id, h);
        h = hash_text(rt.credential_id.value_or(""), h);
        t.sticky_key = hash_text(rt.model, h);
        c->targets.push_back(std::move(t));
    }
    for (const ResolvedGroup& g : c->route->groups) c->group_keys.push_back(hash_text(g.path, 0x9e3779b97f4a7c15ull));
    c->name_hash = hash_text(c->route->name);
    return c;
}

// ---- small helpers ------------------------------------------------------------------------

bool is_overload(const ErrorValue& e) {
    const std::optional<double> status = e.status ? e.status : e.status_code;
    if (status && (*status == 503 || *status == 529)) return true;
    for (const std::optional<std::string>* m : {&e.message, &e.data_message}) {
        if (*m && text::contains(text::lowercase_for_matching(**m), "overloaded")) return true;
    }
    return e.kind == ErrorValue::Kind::string && text::contains(text::lowercase_for_matching(e.text), "overloaded");
}

std::string raw_message(const ErrorValue& e) {
    std::string_view m;
    if (e.kind == ErrorValue::Kind::string) m = e.text;
    else if (e.message && !e.message->empty()) m = *e.message;
    else if (e.data_message && !e.data_message->empty()) m = *e.data_message;
    if (m.empty()) return "Unknown error";
    return redact_secrets(m);
}

bool contains_name(const std::vector<std::string>& list, std::string_view a, std::string_view b = {}) {
    for (const std::string& s : list)
        if (s == a || (!b.empty() && s == b)) return true;
    return false;
}

int continuation_rank(Continuation c) noexcept {
    switch (c) {
        case Continuation::off: return 0;
        case Continuation::restart: return 1;
        case Continuation::continue_: return 2;
    }
    return 0;
}

// Weighted rendezvous score of a child for a conversation: higher wins.
double rendezvous(std::uint64_t conversation, std::uint64_t key, double weight) noexcept {
    const std::uint64_t h = mix64(conversation ^ mix64(key));
    const double u = (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53;  // (0, 1)
    return -weight / std::log(u);
}

}  // namespace

// ---- request facts --------------------------------------------------------------------------

namespace {

// `value` (JSON text) is an array with at least one item.
bool non_empty_array(std::string_view value) noexcept {
    if (value.empty() || value[0] != '[') return false;
    const auto first = value.find_first_not_of(" \t\r\n", 1);
    return first != std::string_view::npos && value[first] != ']';
}

bool is_image_part_literal(std::string_view type) {
    return json::literal_equals(type, "image_url") || json::literal_equals(type, "input_image") ||
           json::literal_equals(type, "image");
}

}  // namespace

void read_body_facts(std::string_view body, Request& req) {
    std::string_view messages, tools, max_completion, max_tokens;
    const auto kind = json::scan(body, [&](std::string_view key, std::string_view value) {
        if (key == "messages") messages = value;
        else if (key == "tools") tools = value;
        else if (key == "max_completion_tokens") max_completion = value;
        else if (key == "max_tokens") max_tokens = value;
    });
    if (kind != json::Kind::object) return;
    // The scan checked the whole body, so messages is walked without building it (bodies of long
    // conversations run to megabytes).
    std::size_t chars = 0;
    bool vision = false;
    json::for_each_item(messages, [&](std::string_view message) {
        std::string_view content;  // the last "content" member wins, as in JSON.parse
        json::for_each_member(message, [&](std::string_view key, std::string_view value) {
            if (json::literal_equals(key, "content")) content = value;
        });
        if (content.empty()) return;
        if (content[0] == '"') {
            chars += json::literal_utf16_length(content);
            return;
        }
        json::for_each_item(content, [&](std::string_view part) {
            std::string_view text, type;
            json::for_each_member(part, [&](std::string_view key, std::string_view value) {
                if (json::literal_equals(key, "text")) text = value;
                else if (json::literal_equals(key, "type")) type = value;
            });
            if (!text.empty() && text[0] == '"') chars += json::literal_utf16_length(text);
            if (!type.empty() && type[0] == '"' && is_image_part_literal(type)) vision = true;
        });
    });
    req.prompt_tokens = static_cast<std::int64_t>((chars + 3) / 4);
    req.needs_vision = vision;
    req.needs_tools = non_empty_array(tools);
    std::optional<json::Value> max;
    if (!max_completion.empty()) max = json::parse(max_completion);
    if ((!max || max->kind == json::Kind::null) && !max_tokens.empty()) max = json::parse(max_tokens);
    req.max_output_tokens.reset();
    if (max && max->is_number() && std::isfinite(max->number) && max->number > 0)
        req.max_output_tokens = static_cast<std::int64_t>(std::ceil(std::min(max->number, 9.0e15)));  // 0.5 asks for 1
}

bool write_upstream_body(std::string_view client_body, std::string_view upstream_model, std::string& out,
                         std::string_view defaults, std::string_view appended_message) {
    struct Member {
        std::string_view key;    // owned by index (its nodes do not move)
        std::string_view value;  // the last value given for the key
    };
    std::vector<Member> members;
    std::unordered_map<std::string, std::size_t> index;  // key -> its place in members
    const auto kind = json::scan(client_body, [&](std::string_view key, std::string_view value) {
        const auto [at, added] = index.try_emplace(std::string(key), members.size());
        if (added) members.push_back({at->first, value});
        else members[at->second].value = value;
    });
    if (kind != json::Kind::object) return false;
    if (!defaults.empty()) {
        const auto defaults_kind = json::scan(defaults, [&](std::string_view key, std::string_view value) {
            if (key == "model" || key == "messages" || key == "reroute") return;  // the gateway's own
            const auto [at, added] = index.try_emplace(std::string(key), members.size());
            if (added) members.push_back({at->first, value});
        });
        if (defaults_kind != json::Kind::object) return false;
    }
    if (!appended_message.empty() && !json::scan(appended_message, nullptr, nullptr)) return false;

    out.reserve(out.size() + client_body.size() + defaults.size() + appended_message.size() + upstream_model.size() + 32);
    json::ObjectWriter o(out);
    // The client's messages and the appended one: [items..., message].
    const auto write_messages = [&](std::string_view client_messages) {
        std::string& m = o.key("messages");
        if (non_empty_array(client_messages)) {
            m += client_messages.substr(0, client_messages.rfind(']'));
            m += ',';
        } else {
            m += '[';
        }
        m += appended_message;
        m += ']';
    };
    bool model_written = false, messages_written = appended_message.empty();
    for (const Member& m : members) {
        if (m.key == "reroute") continue;
        if (m.key == "model") {
            o.str("model", upstream_model);
            model_written = true;
        } else if (m.key == "messages" && !messages_written) {
            write_messages(m.value);
            messages_written = true;
        } else {
            o.key(m.key) += m.value;
        }
    }
    if (!model_written) o.str("model", upstream_model);
    if (!messages_written) write_messages({});
    o.close();
    return true;
}

// ---- trail --------------------------------------------------------------------------------

namespace {

std::string_view host_of(std::string_view url) {
    if (auto at = url.find("://"); at != std::string_view::npos) url.remove_prefix(at + 3);
    url = url.substr(0, url.find_first_of("/?#"));
    if (auto user = url.rfind('@'); user != std::string_view::npos) url.remove_prefix(user + 1);
    return url;
}

}  // namespace

REROUTE_FOR_SIZE std::string served_by_header(const Attempt& a) {
    std::string h = "provider=";
    percent_encode(h, a.provider);
    h += ";ep=";
    percent_encode(h, a.endpoint_id);
    h += ";host=";
    percent_encode(h, host_of(a.base_url));
    h += ";fp=";
    percent_encode(h, a.fingerprint);
    h += ";model=";
    percent_encode(h, a.model);
    return h;
}

REROUTE_FOR_SIZE std::string render_trail(const std::vector<TrailEntry>& trail) {
    std::vector<std::string> parts;
    for (const TrailEntry& e : trail) {
        std::string s = "ref=";
        percent_encode(s, e.ref);
        s += ";ep=";
        percent_encode(s, e.endpoint_id);
        s += ";fp=";
        percent_encode(s, e.fingerprint);
        s += ";code=";
        s += to_string(e.code);
        s += ";kind=";
        s += to_string(e.kind);
        s += ";ms=";
        s += std::to_string(std::max<std::int64_t>(0, e.duration_ms));
        parts.push_back(std::move(s));
    }
    std::size_t keep = std::min(parts.size(), kMaxTrailEntries);
    for (;;) {
        std::string out;
        for (std::size_t i = 0; i < keep; ++i) {
            if (i) out += ", ";
            out += parts[i];
        }
        if (keep < parts.size()) {
            if (keep) out += ", ";
            out += "+" + std::to_string(parts.size() - keep);
        }
        if (out.size() <= kMaxTrailBytes || keep == 0) return out.substr(0, kMaxTrailBytes);
        --keep;
    }
}

int http_status_for(ErrorCode code, bool timed_out) noexcept {
    switch (code) {
        case ErrorCode::content_filter:
        case ErrorCode::context_length:
        case ErrorCode::unsupported_parameter:
        case ErrorCode::output_cap_too_high:
        case ErrorCode::token_limit: return 400;
        case ErrorCode::credit_exhausted: return 402;
        case ErrorCode::model_not_entitled: return 403;
        case ErrorCode::model_not_found: return 404;
        case ErrorCode::rate_limited: return 429;
        case ErrorCode::missing_api_key: return 503;
        default: return timed_out ? 504 : 502;
    }
}

// ---- overrides ----------------------------------------------------------------------------

REROUTE_FOR_SIZE OverridesResult parse_overrides(std::string_view json_object, std::string_view base_path) {
    OverridesResult r;
    const std::string base(base_path);
    // Strict Unicode and exact integers, as Boost.JSON (used here before) read them.
    json::ParseOptions options;
    options.strict_unicode = true;
    options.number_text = true;
    const std::optional<json::Value> v = json::parse(json_object, options);
    if (!v) {
        r.problems.push_back(Problem{base, "request.syntax", "not JSON", "a JSON object"});
        return r;
    }
    if (!v->is_object()) {
        r.problems.push_back(Problem{base, "request.type", "not an object", "an object"});
        return r;
    }
    RequestOverrides o;
    auto integer = [](const json::Value& x) -> std::optional<std::int64_t> {
        if (x.kind != json::Kind::number) return std::nullopt;
        const json::IntegerLiteral l = json::integer_literal(x);
        if (l.type == json::IntegerLiteral::Type::int64) return l.i;
        if (l.type == json::IntegerLiteral::Type::uint64) return std::numeric_limits<std::int64_t>::max();  // above int64
        const double d = x.number;
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e18) return static_cast<std::int64_t>(d);
        return std::nullopt;
    };
    auto strings = [&](const json::Value& x, const std::string& path) -> std::optional<std::vector<std::string>> {
        if (x.kind != json::Kind::array) {
            r.problems.push_back(Problem{path, "request.type", "not an array", "an array of strings"});
            return std::nullopt;
        }
        std::vector<std::string> out;
        for (std::size_t i = 0; i < x.items.size(); ++i) {
            const std::string* s = x.items[i].is_string() ? &x.items[i].string : nullptr;
            if (!s || s->empty()) {
                r.problems.push_back(Problem{path + "/" + std::to_string(i), "request.type",
                                             s ? "an empty string" : "not a string", "a non-empty string"});
                return std::nullopt;
            }
            out.push_back(*s);
        }
        return out;
    };
    // A repeated key counts once, at its first place, with its last value (as Boost.JSON's object).
    std::vector<std::pair<std::string_view, const json::Value*>> members;
    for (const auto& member : v->members) {
        const std::string_view k = member.first;
        auto same = std::find_if(members.begin(), members.end(), [k](const auto& m) { return m.first == k; });
        if (same == members.end()) members.emplace_back(k, &member.second);
        else same->second = &member.second;
    }
    for (const auto& member : members) {
        const std::string key(member.first);
        const std::string path = base + "/" + key;
        const json::Value& x = *member.second;
        if (key == "disable_fallbacks") {
            if (x.kind == json::Kind::boolean) o.disable_fallbacks = x.boolean;
            else r.problems.push_back(Problem{path, "request.type", "not a boolean", "true or false"});
        } else if (key == "max_attempts") {
            const auto i = integer(x);
            if (!i) r.problems.push_back(Problem{path, "request.type", "not an integer", "an integer"});
            else if (*i < 1) r.problems.push_back(Problem{path, "request.range", std::to_string(*i), "1 or more"});
            else o.max_attempts = static_cast<int>(std::min<std::int64_t>(*i, 1'000'000));
        } else if (key == "deadline_ms") {
            const auto i = integer(x);
            if (!i) r.problems.push_back(Problem{path, "request.type", "not an integer", "an integer"});
            else if (*i < 1) r.problems.push_back(Problem{path, "request.range", std::to_string(*i), "1 or more"});
            else o.deadline_ms = *i;
        } else if (key == "allowed_providers") {
            o.allowed_providers = strings(x, path);
        } else if (key == "allowed_models") {
            o.allowed_models = strings(x, path);
        } else if (key == "continuation") {
            const std::string* s = x.is_string() ? &x.string : nullptr;
            if (s && *s == "off") o.continuation = Continuation::off;
            else if (s && *s == "restart") o.continuation = Continuation::restart;
            else if (s && *s == "continue") o.continuation = Continuation::continue_;
            else r.problems.push_back(Problem{path, "request.format", s ? *s : "not a string",
                                              "\"off\", \"restart\" or \"continue\""});
        } else {
            r.problems.push_back(Problem{path, "request.unknown_member", key,
                                         "disable_fallbacks, max_attempts, deadline_ms, allowed_providers, "
                                         "allowed_models or continuation"});
        }
    }
    if (r.problems.empty()) r.overrides = std::move(o);
    return r;
}

// ---- traffic ------------------------------------------------------------------------------

Traffic::Entry* Traffic::lookup(std::string_view name, std::uint64_t hash) const noexcept {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(hash) & mask;; i = (i + 1) & mask) {
        const Slot& s = slots_[i];
        if (s.index_plus_one == 0) return nullptr;
        Entry* e = routes_[s.index_plus_one - 1].get();
        if (s.hash == hash && detail::same_bytes(e->name, name)) return e;
    }
}

RouteTraffic& Traffic::route(std::string_view name, std::size_t targets) { return route(name, hash_text(name), targets); }

RouteTraffic& Traffic::route(std::string_view name, std::uint64_t h, std::size_t targets) {
    Entry* e = lookup(name, h);
    if (!e) {
        routes_.push_back(std::make_unique<Entry>(Entry{std::string(name), RouteTraffic{}}));
        e = routes_.back().get();
        if (slots_.size() < routes_.size() * 2) {
            std::size_t cap = 16;
            while (cap < routes_.size() * 2) cap <<= 1;
            slots_.assign(cap, Slot{});
            for (std::uint32_t k = 0; k < routes_.size(); ++k) {
                const std::uint64_t hk = hash_text(routes_[k]->name);
                std::size_t i = static_cast<std::size_t>(hk) & (cap - 1);
                while (slots_[i].index_plus_one != 0) i = (i + 1) & (cap - 1);
                slots_[i] = Slot{hk, k + 1};
            }
        } else {
            const std::size_t mask = slots_.size() - 1;
            std::size_t i = static_cast<std::size_t>(h) & mask;
            while (slots_[i].index_plus_one != 0) i = (i + 1) & mask;
            slots_[i] = Slot{h, static_cast<std::uint32_t>(routes_.size())};
        }
    }
    if (e->traffic.in_flight.size() < targets) e->traffic.in_flight.resize(targets, 0);
    return e->traffic;
}

const RouteTraffic* Traffic::find(std::string_view name) const {
    const Entry* e = lookup(name, hash_text(name));
    return e ? &e->traffic : nullptr;
}

// ---- planner ------------------------------------------------------------------------------

struct Planner::Compiled {
    const Config* config = nullptr;
    KeyFingerprints keys;
    std::vector<std::unique_ptr<CRoute>> routes;
    std::map<std::string, std::size_t, std::less<>> by_name;
    // by_name as a flat hash index for the per-request lookup (no string map walk).
    struct Slot {
        std::uint64_t hash = 0;
        const std::string* name = nullptr;  // a key of by_name; nullptr = empty
        std::size_t route = 0;
    };
    std::vector<Slot> slots;

    void index() {
        std::size_t cap = 16;
        while (cap < by_name.size() * 2 + 2) cap <<= 1;
        slots.assign(cap, Slot{});
        for (const auto& [name, route] : by_name) {
            const std::uint64_t h = hash_text(name);
            std::size_t i = static_cast<std::size_t>(h) & (cap - 1);
            while (slots[i].name) i = (i + 1) & (cap - 1);
            slots[i] = Slot{h, &name, route};
        }
    }
    std::optional<std::size_t> find(std::string_view name) const noexcept {
        const std::uint64_t h = hash_text(name);
        const std::size_t mask = slots.size() - 1;
        for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
            const Slot& s = slots[i];
            if (!s.name) return std::nullopt;
            if (s.hash == h && detail::same_bytes(*s.name, name)) return s.route;
        }
    }
};

REROUTE_FOR_SIZE Planner::Planner(const Config& config, KeyFingerprints keys) : c_(std::make_unique<Compiled>()) {
    c_->config = &config;
    c_->keys = std::move(keys);
    for (const ResolvedRoute& r : config.resolved) {
        if (c_->by_name.count(r.name)) continue;
        c_->by_name.emplace(r.name, c_->routes.size());
        c_->routes.push_back(compile(config, c_->keys, &r, nullptr));
    }
    for (std::size_t i = 0; i < config.models.size(); ++i) {
        const Model& m = config.models[i];
        const std::string ref = m.provider + ":" + m.id;
        if (c_->by_name.count(ref)) continue;
        auto owned = synthetic_route(config, m, i);
        if (!owned) continue;
        c_->by_name.emplace(ref, c_->routes.size());
        c_->routes.push_back(compile(config, c_->keys, nullptr, std::move(owned)));
    }
    c_->index();
}

Planner::Planner(Planner&&) noexcept = default;
Planner& Planner::operator=(Planner&&) noexcept = default;
Planner::~Planner() = default;

const Config& Planner::config() const noexcept { return *c_->config; }

// ---- the request state --------------------------------------------------------------------

struct Attempts::State {
    const Config* config = nullptr;
    const CRoute* route = nullptr;
    RouteTraffic* traffic = nullptr;
    RetryBudget local_budget;  // when there is no shared traffic

    // the request, validated and clamped
    std::uint64_t conversation = 0;
    bool has_conversation = false;
    bool disable_fallbacks = false;
    int max_attempts = kDefaultMaxAttempts;
    std::int64_t start_ms = 0, deadline_at = 0, min_attempt_ms = 0;
    Continuation continuation = Continuation::off;
    int continuation_budget = 0;
    int continuations = 0;  // mid-stream fallbacks made
    // Per target, in one allocation: the static verdict (ok or why never usable), progress and
    // the per-call availability memo.
    // The static verdict is worked out on first use (most requests look at a few targets only);
    // the memo's Availability is written before it is read (gen), so it starts uninitialised.
    struct PerTarget {
        PerTarget() {}
        std::uint8_t known = 0;  // skip is set
        Reason skip = Reason::ok;
        std::uint8_t attempted = 0;
        std::uint8_t retries = 0;
        std::uint32_t gen = 0;
        union {
            Availability a;
        };
    };
    static_assert(std::is_trivially_copyable_v<Availability> && std::is_trivially_destructible_v<Availability>);
    static_assert(std::is_trivially_destructible_v<PerTarget> && alignof(PerTarget) <= alignof(std::max_align_t));
    PerTarget* per = nullptr;  // `targets` entries stored right after this object (make)
    // what the static verdict needs of the request
    std::int64_t need = 0;
    bool needs_tools = false, needs_vision = false;

    // progress
    int attempts = 0;
    std::size_t distinct = 0;
    std::vector<const ResourceId*> retired;
    std::int64_t min_window_exclusive = -1;
    std::optional<std::size_t> locked;  // disable_fallbacks: the only target after the first

    // the attempt in flight
    bool in_flight = false;
    Attempt current;
    double jitter = 0;

    // the last failure
    bool has_failure = false;
    std::size_t last_target = 0;
    ErrorCode last_code = ErrorCode::generic;
    OutcomeKind last_kind = OutcomeKind::http_error;
    std::optional<double> last_hint;
    std::string last_raw;
    bool last_overload = false;

    std::optional<Final> final;
    std::vector<TrailEntry> trail;

    // per-call availability memo (PerTarget::gen, PerTarget::a)
    std::uint32_t gen = 0;
    std::int64_t memo_at = 0;
    const HealthState* memo_health = nullptr;

    ~State() { release(); }

    // One allocation per request: the state and, behind it, its per-target array. Default- rather
    // than value-initialised (every member has its initialiser), so nothing is zeroed twice.
    static std::unique_ptr<State> make(std::size_t targets) {
        constexpr std::size_t head = (sizeof(State) + alignof(PerTarget) - 1) / alignof(PerTarget) * alignof(PerTarget);
        void* block = ::operator new(head + targets * sizeof(PerTarget));
        auto* s = ::new (block) State;
        s->per = reinterpret_cast<PerTarget*>(static_cast<char*>(block) + head);
        std::uninitialized_default_construct_n(s->per, targets);
        return std::unique_ptr<State>(s);
    }
    // The block's size differs from sizeof(State): release it unsized.
    static void operator delete(void* block) { ::operator delete(block); }

    RetryBudget& budget() noexcept { return traffic ? traffic->budget : local_budget; }
    const ResolvedGroup& group(std::size_t g) const { return route->route->groups[g]; }
    const CTarget& target(std::size_t t) const { return route->targets[t]; }
    std::size_t size() const { return route->targets.size(); }

    void release() {
        if (!route) return;
        if (in_flight) {
            if (traffic && current.target < traffic->in_flight.size() && traffic->in_flight[current.target] > 0)
                --traffic->in_flight[current.target];
            if (current.same_target_retry) budget().end_retry();
            in_flight = false;
        }
        budget().end_request();
        route = nullptr;
    }

    // -- availability --

    void begin_eval(const HealthState& h, std::int64_t at) {
        ++gen;
        if (gen == 0) {  // wrapped: clear
            for (std::size_t t = 0; t < size(); ++t) per[t].gen = 0;
            gen = 1;
        }
        memo_at = at;
        memo_health = &h;
    }
    const Availability& health_of(std::size_t t) {
        PerTarget& m = per[t];
        if (m.gen != gen) {
            m.a = memo_health->is_available(target(t).res, memo_at);
            m.gen = gen;
        }
        return m.a;
    }

    bool is_retired(std::size_t t) const {
        const CTarget& c = target(t);
        for (const ResourceId* r : retired) {
            if (r->kind() == ResourceKind::credit && c.res.free_model) continue;
            if (c.res.get(r->kind()) == *r) return true;
        }
        return false;
    }

    // Why this request can never use t (ok when it can): fixed for the request.
    Reason skip_of(std::size_t t) const {
        PerTarget& p = per[t];
        if (!p.known) {
            const CTarget& ct = target(t);
            p.skip = ct.base != Reason::ok                                                  ? ct.base
                     : (needs_tools && !ct.tools) || (needs_vision && !ct.vision) ? Reason::capability_missing
                     : need > ct.window                                                    ? Reason::context_too_small
                                                                                           : Reason::ok;
            p.known = 1;
        }
        return p.skip;
    }

    // Why this request cannot use t, before asking health (ok when it can).
    Reason request_verdict(std::size_t t) const {
        if (const Reason v = skip_of(t); v != Reason::ok) return v;
        if (per[t].attempted) return Reason::attempted;
        if (locked && *locked != t) return Reason::fallbacks_disabled;
        if (min_window_exclusive >= 0 && target(t).window <= min_window_exclusive) return Reason::smaller_window;
        if (is_retired(t)) return Reason::retired;
        return Reason::ok;
    }

    bool usable(std::size_t t) { return request_verdict(t) == Reason::ok && health_of(t).usable(); }

    bool group_has_usable(std::size_t g) {
        const ResolvedGroup& G = group(g);
        for (std::size_t t = G.first_target; t < G.end_target; ++t)
            if (usable(t)) return true;
        return false;
    }

    std::int64_t in_flight_of(const ResolvedChild& c) const {
        if (!traffic) return 0;
        auto count = [&](std::size_t t) { return t < traffic->in_flight.size() ? traffic->in_flight[t] : 0; };
        if (!c.is_group) return count(c.index);
        const ResolvedGroup& G = group(c.index);
        std::int64_t n = 0;
        for (std::size_t t = G.first_target; t < G.end_target; ++t) n += count(t);
        return n;
    }

    std::uint64_t child_key(const ResolvedChild& c) const {
        return c.is_group ? route->group_keys[c.index] : target(c.index).sticky_key;
    }

    struct Pick {
        std::size_t target = 0;
        Reason reason = Reason::first_choice;
    };

    // The best usable target under group g, following the group strategies.
    std::optional<Pick> choose(std::size_t g, Rng& rng, int depth = 0) {
        if (depth > 64) return std::nullopt;
        const ResolvedGroup& G = group(g);
        auto descend = [&](const ResolvedChild& c, Reason why) -> std::optional<Pick> {
            if (!c.is_group) return Pick{c.index, why};
            auto p = choose(c.index, rng, depth + 1);
            if (p && p->reason == Reason::first_choice) p->reason = why;
            return p;
        };
        if (G.strategy == Strategy::loadbalance && !G.expansion) {
            std::vector<const ResolvedChild*> live;
            for (const ResolvedChild& c : G.children) {
                if (!(c.weight > 0)) continue;
                if (c.is_group ? group_has_usable(c.index) : usable(c.index)) live.push_back(&c);
            }
            if (live.empty()) return std::nullopt;
            if (live.size() == 1) return descend(*live[0], Reason::first_choice);
            if (G.balance == LoadBalance::sticky && has_conversation) {
                const ResolvedChild* best = live[0];
                double best_score = -1;
                for (const ResolvedChild* c : live) {
                    const double s = rendezvous(conversation, child_key(*c), c->weight);
                    if (s > best_score) best_score = s, best = c;
                }
                return descend(*best, Reason::sticky);
            }
            if (G.balance == LoadBalance::least_in_flight) {
                const std::size_t a = static_cast<std::size_t>(rng.below(live.size()));
                std::size_t b = static_cast<std::size_t>(rng.below(live.size() - 1));
                if (b >= a) ++b;
                const ResolvedChild* pick = in_flight_of(*live[b]) < in_flight_of(*live[a]) ? live[b] : live[a];
                return descend(*pick, Reason::least_in_flight);
            }
            double total = 0;
            for (const ResolvedChild* c : live) total += c->weight;
            double r = rng.uniform() * total;
            for (const ResolvedChild* c : live) {
                if (r < c->weight) return descend(*c, Reason::weighted_pick);
                r -= c->weight;
            }
            return descend(*live.back(), Reason::weighted_pick);
        }
        for (const ResolvedChild& c : G.children) {
            if (!(c.weight > 0)) continue;
            if (!c.is_group) {
                if (usable(c.index)) return Pick{c.index, Reason::first_choice};
                continue;
            }
            if (auto p = choose(c.index, rng, depth + 1)) return p;
            if (G.strategy == Strategy::single) break;
        }
        return std::nullopt;
    }

    // Breaker-ejected targets this request could otherwise use, least recently ejected first.
    std::optional<std::size_t> panic_pick() {
        std::optional<std::size_t> best;
        std::int64_t best_at = 0;
        for (std::size_t t = 0; t < size(); ++t) {
            if (request_verdict(t) != Reason::ok) continue;
            const Availability& a = health_of(t);
            if (!a.breaker_only()) continue;
            if (!best || a.ejected_at_ms < best_at) best = t, best_at = a.ejected_at_ms;
        }
        return best;
    }

    // -- decisions --

    Decision::Kind finish(Reason reason, std::optional<std::int64_t> retry_after = std::nullopt) {
        Final f;
        f.reason = reason;
        f.attempts = attempts;
        if (has_failure) {
            const CTarget& t = target(last_target);
            f.code = last_code;
            f.envelope.provider = t.rt->provider;
            f.envelope.model = t.rt->model;
            f.envelope.raw = last_raw;
            const bool timed_out = last_kind == OutcomeKind::timeout_connect ||
                                   last_kind == OutcomeKind::timeout_first_token || last_kind == OutcomeKind::timeout_idle;
            f.http_status = http_status_for(last_code, timed_out);
            if (last_code == ErrorCode::rate_limited && last_hint && *last_hint >= 0 && std::isfinite(*last_hint))
                retry_after = static_cast<std::int64_t>(std::min(std::ceil(*last_hint), 9.0e15));
        } else {
            nothing_attempted(f, retry_after);
        }
        f.envelope.code = std::string(to_string(f.code.value_or(ErrorCode::generic)));
        if (distinct > 0) f.envelope.tried = static_cast<double>(distinct);
        if (retry_after) {
            f.retry_after_ms = std::max<std::int64_t>(0, *retry_after);
            f.envelope.retry_after_ms = static_cast<double>(*f.retry_after_ms);
        }
        final = std::move(f);
        return Decision::Kind::final;
    }

    // Nothing was attempted: the code says why every target was skipped.
    void nothing_attempted(Final& f, std::optional<std::int64_t>& retry_after) {
        struct Candidate {
            int rank;
            ErrorCode code;
            std::size_t target;
        };
        std::optional<Candidate> best;
        std::int64_t cooling_end = -1;
        auto offer = [&](int rank, ErrorCode code, std::size_t t) {
            if (!best || rank < best->rank) best = Candidate{rank, code, t};
        };
        for (std::size_t t = 0; t < size(); ++t) {
            const Reason v = request_verdict(t);
            switch (v) {
                case Reason::ok: {
                    const Availability& a = health_of(t);
                    if (a.reason == Reason::cooling) {
                        offer(0, ErrorCode::rate_limited, t);
                        if (cooling_end < 0 || a.until_ms < cooling_end) cooling_end = a.until_ms;
                    } else if (a.reason == Reason::benched) {
                        offer(1, a.code.value_or(ErrorCode::generic), t);
                    } else if (a.reason == Reason::admin_retired) {
                        offer(1, ErrorCode::auth_error, t);
                    } else if (!a.usable()) {
                        offer(2, ErrorCode::provider_error, t);
                    }
                    break;
                }
                case Reason::context_too_small: offer(3, ErrorCode::context_length, t); break;
                case Reason::capability_missing: offer(4, ErrorCode::unsupported_parameter, t); break;
                case Reason::not_allowed: offer(5, ErrorCode::model_not_found, t); break;
                case Reason::config_failure: offer(6, ErrorCode::missing_api_key, t); break;
                default: break;
            }
        }
        const ErrorCode code = best ? best->code : ErrorCode::generic;
        f.code = code;
        f.http_status = http_status_for(code, false);
        const std::size_t t = best ? best->target : 0;
        if (size() > 0) {
            f.envelope.provider = target(t).rt->provider;
            f.envelope.model = target(t).rt->model;
        }
        f.envelope.raw = "no target of route \"" + route->route->name + "\" could be attempted";
        if (code == ErrorCode::rate_limited && cooling_end >= 0) retry_after = cooling_end - memo_at;
    }

    Decision::Kind emit(std::size_t t, Reason reason, std::int64_t now, std::int64_t wait, bool probe, bool retry,
                        HealthState& health, Rng& rng) {
        const CTarget& c = target(t);
        const ResolvedTarget& rt = *c.rt;
        // The attempt in flight carries no texts (fill_texts adds them where asked for).
        Attempt& a = current;
        a.target = t;
        a.number = ++attempts;
        a.wait_ms = wait;
        a.start_ms = now + wait;
        a.deadline_at_ms = deadline_at;
        const std::int64_t left = std::max<std::int64_t>(0, deadline_at - a.start_ms);
        const TimeoutPolicy& tp = rt.policies.timeout;
        a.timeouts = Timeouts{std::min(tp.connect_timeout_ms, left), std::min(tp.first_token_timeout_ms, left),
                              std::min(tp.idle_timeout_ms, left)};
        a.reason = reason;
        a.is_probe = probe;
        a.same_target_retry = retry;
        a.notice.reset();
        if (has_failure && t != last_target) {
            FallbackNotice n;
            n.from = target(last_target).ref;
            n.to = c.ref;
            n.reason = std::string(to_string(last_code));
            a.notice = format_notice(n);
        }
        if (probe) health.begin_probe(c.res, a.start_ms, std::max<std::int64_t>(1, left));
        if (!per[t].attempted) {
            per[t].attempted = 1;
            ++distinct;
        }
        if (retry) {
            if (per[t].retries < 255) ++per[t].retries;
            budget().begin_retry();
        }
        if (traffic && t < traffic->in_flight.size()) ++traffic->in_flight[t];
        const int jp = std::max(0, rt.policies.breaker.jitter_percent);
        jitter = rng.uniform() * jp / 100.0;
        if (disable_fallbacks && !locked) locked = t;
        in_flight = true;
        return Decision::Kind::attempt;
    }

    void fill_texts(Attempt& a) const {
        if (a.target >= size()) return;
        const CTarget& c = target(a.target);
        const ResolvedTarget& rt = *c.rt;
        a.provider = rt.provider;
        a.endpoint_id = rt.endpoint_id;
        a.base_url = rt.base_url;
        a.credential_env = rt.credential_env;
        a.fingerprint = c.fingerprint;
        a.model = rt.model;
        a.upstream_model = rt.upstream_model;
        a.ref = c.ref;
    }

    // The decision advance() came to, as next() hands it out.
    Decision decision() const {
        Decision d;
        if (final) {
            d.final = *final;
            if (final->reason == Reason::succeeded && final->served_by && *final->served_by < size()) {
                const ResolvedTarget& rt = *target(*final->served_by).rt;
                d.final.envelope.provider = rt.provider;
                d.final.envelope.model = rt.model;
            }
        } else {
            d.kind = Decision::Kind::attempt;
            d.attempt = current;
        }
        return d;
    }

    // Sets `current` (an attempt) or `final`: the same attempt while it is in flight, the same
    // final once there is one.
    Decision::Kind advance(HealthState& health, std::int64_t now, Rng& rng) {
        if (final) return Decision::Kind::final;
        if (in_flight) return Decision::Kind::attempt;
        begin_eval(health, now);
        if (attempts >= max_attempts) return finish(Reason::max_attempts);
        if (deadline_at - now < min_attempt_ms) return finish(Reason::deadline);

        // 1. a healthy alternative, at once
        if (has_failure) {
            const ClassPolicy& cp = target(last_target).rt->policies.classes;
            const bool sibling_first =
                last_code == ErrorCode::auth_error || last_code == ErrorCode::credit_exhausted ||
                last_code == ErrorCode::model_not_entitled ||
                (cp.prefer == Prefer::same_model_first &&
                 (last_code == ErrorCode::rate_limited || (last_code == ErrorCode::provider_error && last_overload)));
            if (sibling_first) {
                const CTarget& from = target(last_target);
                for (std::size_t t = 0; t < size(); ++t) {
                    const CTarget& c = target(t);
                    if (t == last_target || c.rt->model_index != from.rt->model_index) continue;
                    if (usable(t)) return emit(t, Reason::same_model_sibling, now, 0, health_of(t).probe(), false, health, rng);
                }
            }
        }
        if (auto p = choose(0, rng)) {
            const Reason why = has_failure ? Reason::switch_target : p->reason;
            return emit(p->target, why, now, 0, health_of(p->target).probe(), false, health, rng);
        }

        // 2. the same target again, after its backoff or retry hint
        Reason refusal = Reason::exhausted;
        std::optional<std::int64_t> exposed_hint;
        if (has_failure) {
            const std::size_t t = last_target;
            const RetryPolicy& rp = target(t).rt->policies.retry;
            if (!may_retry_same_target(rp, last_code, last_kind) ||
                per[t].retries >= same_target_retries(rp, last_code) || skip_of(t) != Reason::ok ||
                (locked && *locked != t)) {
                refusal = Reason::not_retryable;
            } else {
                std::int64_t wait = backoff_ms(rp, per[t].retries + 1, rng.uniform());
                bool ok = true;
                if (last_hint && std::isfinite(*last_hint) && *last_hint >= 0) {
                    const HintVerdict v = judge_hint(rp, *last_hint, deadline_at - now, min_attempt_ms);
                    if (!v.wait) {
                        ok = false;
                        refusal = v.reason;
                        exposed_hint = v.wait_ms;
                    } else {
                        wait = last_code == ErrorCode::rate_limited ? v.wait_ms : std::max(wait, v.wait_ms);
                    }
                }
                if (ok) {
                    // Cooling (a 429 without a hint) ends before the retry starts.
                    const Availability a = health.is_available(target(t).res, now + wait);
                    if (a.reason == Reason::cooling) wait = std::max(wait, a.until_ms - now);
                    const Availability at = health.is_available(target(t).res, now + wait);
                    if (!at.usable() && !at.breaker_only()) {
                        ok = false;
                        refusal = Reason::not_retryable;
                    } else if (deadline_at - (now + wait) < min_attempt_ms) {
                        ok = false;
                        refusal = Reason::deadline;
                    } else if (!budget().allows_retry(rp)) {
                        budget().count_refusal();
                        ok = false;
                        refusal = Reason::budget_exhausted;
                    }
                    if (ok) return emit(t, Reason::retry_same_target, now, wait, at.probe(), true, health, rng);
                }
            }
        }

        // 3. the panic guard: rather an ejected target than no request at all
        if (auto t = panic_pick()) return emit(*t, Reason::panic, now, 0, false, false, health, rng);

        if (has_failure && last_code == ErrorCode::context_length) refusal = Reason::terminal;
        if (exposed_hint && last_code != ErrorCode::rate_limited) exposed_hint.reset();
        return finish(refusal, exposed_hint);
    }

    void report(const Outcome& o, HealthState& health, std::int64_t now) {
        if (!in_flight || final) return;
        in_flight = false;
        const std::size_t t = current.target;
        if (traffic && t < traffic->in_flight.size() && traffic->in_flight[t] > 0) --traffic->in_flight[t];
        if (current.same_target_retry) budget().end_retry();
        const CTarget& c = target(t);

        const std::optional<ErrorCode> code = failure_code(o);

        Observation obs;
        obs.kind = o.kind;
        obs.code = code;
        obs.retry_after_ms = o.retry_after_ms;
        obs.probe = current.is_probe;
        obs.jitter = jitter;
        obs.breaker = &c.rt->policies.breaker;
        obs.threshold = c.rt->policies.breaker.consecutive_failures;
        if (code == ErrorCode::provider_error || code == ErrorCode::provider_unreachable)
            breaker_context(t, *code, health, now, obs);
        health.record(c.res, obs, now);

        if (o.kind == OutcomeKind::success) {
            Final f;
            f.reason = Reason::succeeded;
            f.http_status = 200;
            f.attempts = attempts;
            f.served_by = t;  // envelope.provider and .model: added by next()
            if (distinct > 0) f.envelope.tried = static_cast<double>(distinct);
            final = std::move(f);
            return;
        }
        if (o.kind == OutcomeKind::cancelled) {
            Final f;
            f.reason = Reason::cancelled;
            f.http_status = 499;
            f.attempts = attempts;
            final = std::move(f);
            return;
        }

        if (trail.size() < kMaxTrailEntries)
            trail.push_back(TrailEntry{t, c.ref, c.rt->endpoint_id, c.fingerprint, *code, o.kind, o.duration_ms});
        has_failure = true;
        last_target = t;
        last_code = *code;
        last_kind = o.kind;
        last_hint = o.retry_after_ms;
        last_raw = raw_message(o.error);
        last_overload = is_overload(o.error);

        // II.3, "this request"
        switch (*code) {
            case ErrorCode::auth_error: retired.push_back(&c.res.credential); break;
            case ErrorCode::credit_exhausted: retired.push_back(&c.res.credit); break;
            case ErrorCode::model_not_entitled: retired.push_back(&c.res.credential_model); break;
            case ErrorCode::provider_unreachable: retired.push_back(&c.res.endpoint); break;
            case ErrorCode::model_not_found:
            case ErrorCode::unsupported_parameter:
            case ErrorCode::output_cap_too_high:
            case ErrorCode::token_limit: retired.push_back(&c.res.endpoint_model); break;
            case ErrorCode::context_length:
                min_window_exclusive = std::max(min_window_exclusive, c.window);
                break;
            case ErrorCode::content_filter:
                if (!route_policies().classes.route_around_content_filter) {
                    begin_eval(health, now);
                    finish(Reason::terminal);
                }
                break;
            default: break;
        }
    }

    const Policies& route_policies() const { return group(0).policies; }

    // The threshold (1 with a healthy alternative in the route, else 3) and the panic guard (at
    // most max_ejection_percent of the route's targets ejected at once).
    void breaker_context(std::size_t t, ErrorCode code, const HealthState& health, std::int64_t now, Observation& obs) {
        const CTarget& c = target(t);
        const BreakerPolicy& bp = c.rt->policies.breaker;
        std::size_t live = 0, ejected = 0;
        bool alternative = false;
        for (std::size_t u = 0; u < size(); ++u) {
            const CTarget& o = target(u);
            if (o.rt->drained || o.config_failure) continue;
            ++live;
            const Availability a = health.is_available(o.res, now);
            if (a.reason == Reason::breaker_open) ++ejected;
            if (u == t || alternative || !a.usable()) continue;
            const bool independent = code == ErrorCode::provider_unreachable ? !(o.res.endpoint == c.res.endpoint)
                                                                             : !(o.res.endpoint_model == c.res.endpoint_model);
            if (independent) alternative = true;
        }
        obs.threshold = alternative ? bp.consecutive_failures_with_alternative : bp.consecutive_failures;
        obs.may_eject = static_cast<std::int64_t>(ejected) * 100 <
                        static_cast<std::int64_t>(std::clamp(bp.max_ejection_percent, 0, 100)) * static_cast<std::int64_t>(live);
    }
};

Attempts::Attempts(std::unique_ptr<State> state) : s_(std::move(state)) {}
Attempts::Attempts(Attempts&&) noexcept = default;
Attempts& Attempts::operator=(Attempts&&) noexcept = default;
Attempts::~Attempts() = default;

Decision Attempts::next(HealthState& health, std::int64_t now_ms, Rng& rng) {
    if (!s_) return Decision{};
    s_->advance(health, now_ms, rng);
    Decision d = s_->decision();
    if (!d.is_final()) s_->fill_texts(d.attempt);
    return d;
}
Decision Attempts::next_lean(HealthState& health, std::int64_t now_ms, Rng& rng) {
    if (!s_) return Decision{};
    s_->advance(health, now_ms, rng);
    return s_->decision();
}
Decision::Kind Attempts::advance(HealthState& health, std::int64_t now_ms, Rng& rng) {
    return s_ ? s_->advance(health, now_ms, rng) : Decision::Kind::final;
}
const Attempt& Attempts::last_attempt() const noexcept {
    static const Attempt kNone;
    return s_ ? s_->current : kNone;
}
void Attempts::fill_texts(Attempt& attempt) const {
    if (s_ && s_->route) s_->fill_texts(attempt);
}
void Attempts::report(const Outcome& outcome, HealthState& health, std::int64_t now_ms) {
    if (s_) s_->report(outcome, health, now_ms);
}
const std::vector<TrailEntry>& Attempts::trail() const noexcept {
    static const std::vector<TrailEntry> kEmpty;
    return s_ ? s_->trail : kEmpty;
}
int Attempts::attempts_made() const noexcept { return s_ ? s_->attempts : 0; }
std::size_t Attempts::distinct_targets_tried() const noexcept { return s_ ? s_->distinct : 0; }
std::int64_t Attempts::deadline_at_ms() const noexcept { return s_ ? s_->deadline_at : 0; }
int Attempts::max_attempts() const noexcept { return s_ ? s_->max_attempts : 0; }
bool Attempts::finished() const noexcept { return !s_ || s_->final.has_value(); }
Continuation Attempts::continuation() const noexcept { return s_ ? s_->continuation : Continuation::off; }
int Attempts::continuation_budget() const noexcept { return s_ ? s_->continuation_budget : 0; }
bool Attempts::may_continue_stream() const noexcept {
    return s_ && s_->continuation != Continuation::off && s_->continuations < s_->continuation_budget;
}

stream::ContinuationPlan Attempts::continue_stream(const StreamRelay* failed) {
    if (!may_continue_stream() || !s_->in_flight) {
        stream::ContinuationPlan none;
        none.reason = "budget_spent";
        return none;
    }
    const Model* model = s_->route->targets[s_->current.target].model;
    const bool prefill = model && model->capabilities.prefill;
    stream::ContinuationPlan plan = failed ? stream::plan_continuation(s_->continuation, *failed, prefill)
                                           : stream::plan_continuation(s_->continuation, "", false, false, prefill);
    if (plan.action != stream::ContinuationAction::end_with_error) ++s_->continuations;
    return plan;
}
std::string_view Attempts::route_name() const noexcept {
    return s_ && s_->route ? std::string_view(s_->route->route->name) : std::string_view();
}

// ---- start and explain --------------------------------------------------------------------

namespace {

// Validates and clamps; fills everything of the state but the traffic registration.
// `route`: the index of the request's route; nullopt or past the last route: request.route names
// no route (a problem quoting it).
std::unique_ptr<Attempts::State> prepare(const Planner::Compiled& c, std::optional<std::size_t> route, const Request& req,
                                         std::int64_t now, std::vector<Problem>& problems) {
    const Config& config = *c.config;
    if (!route || *route >= c.routes.size()) {
        problems.push_back(Problem{"/model", "request.reference", "\"" + req.route + "\"",
                                   "a route name or a provider:model ref of the configuration"});
    }
    const RequestOverrides& o = req.overrides;
    const std::string& base = req.overrides_path;
    if (o.max_attempts && *o.max_attempts < 1)
        problems.push_back(Problem{base + "/max_attempts", "request.range", std::to_string(*o.max_attempts), "1 or more"});
    if (o.deadline_ms && *o.deadline_ms < 1)
        problems.push_back(Problem{base + "/deadline_ms", "request.range", std::to_string(*o.deadline_ms), "1 or more"});
    if (!problems.empty()) return nullptr;

    const CRoute* compiled = c.routes[*route].get();
    if (compiled->route->groups.empty()) {
        problems.push_back(Problem{"/model", "request.reference", "\"" + compiled->route->name + "\"", "a route with targets"});
        return nullptr;
    }
    const std::size_t n = compiled->targets.size();
    auto s = Attempts::State::make(n);
    s->config = &config;
    s->route = compiled;
    const Policies& rp = s->route->route->groups[0].policies;
    const ServerLimits& server = config.server;

    s->max_attempts = std::clamp(rp.retry.max_attempts, 1, kMaxAttemptsCeiling);
    if (o.max_attempts) s->max_attempts = std::clamp(*o.max_attempts, 1, std::clamp(server.max_attempts, 1, kMaxAttemptsCeiling));
    std::int64_t deadline = rp.timeout.deadline_ms;
    if (o.deadline_ms) deadline = std::min(*o.deadline_ms, std::max<std::int64_t>(1, server.deadline_ms));
    deadline = std::max<std::int64_t>(1, deadline);
    s->start_ms = now;
    s->deadline_at = now + deadline;
    s->min_attempt_ms = std::clamp<std::int64_t>(rp.timeout.min_attempt_ms, 0, deadline);
    s->disable_fallbacks = o.disable_fallbacks.value_or(false) && server.allow_disable_fallbacks;
    if (o.continuation)
        s->continuation = continuation_rank(*o.continuation) <= continuation_rank(server.continuation) ? *o.continuation
                                                                                                       : server.continuation;
    s->continuation_budget = rp.classes.continuation_budget;
    s->has_conversation = !req.conversation_id.empty();
    s->conversation = hash_text(req.conversation_id);

    s->need = std::max<std::int64_t>(0, req.prompt_tokens) + std::max<std::int64_t>(0, req.max_output_tokens.value_or(0));
    s->needs_tools = req.needs_tools;
    s->needs_vision = req.needs_vision;
    // The request's own lists are not kept: with them, every verdict is worked out now.
    if (o.allowed_providers || o.allowed_models) {
        for (std::size_t t = 0; t < n; ++t) {
            const CTarget& ct = s->route->targets[t];
            Attempts::State::PerTarget& p = s->per[t];
            if (ct.base != Reason::ok) p.skip = ct.base;
            else if (o.allowed_providers && !contains_name(*o.allowed_providers, ct.rt->provider)) p.skip = Reason::not_allowed;
            else if (o.allowed_models && !contains_name(*o.allowed_models, ct.rt->model, ct.ref)) p.skip = Reason::not_allowed;
            else p.skip = s->skip_of(t);
            p.known = 1;
        }
    }
    return s;
}

}  // namespace

StartResult Planner::start(const Request& request, Traffic* traffic, std::int64_t now_ms) const {
    return start(c_->find(request.route).value_or(c_->routes.size()), request, traffic, now_ms);  // past the last: unknown
}

std::optional<std::size_t> Planner::route_index(std::string_view name) const noexcept { return c_->find(name); }

StartResult Planner::start(std::size_t route_index, const Request& request, Traffic* traffic, std::int64_t now_ms) const {
    StartResult r;
    auto s = prepare(*c_, route_index, request, now_ms, r.problems);
    if (!s) return r;
    if (traffic) s->traffic = &traffic->route(s->route->route->name, s->route->name_hash, s->route->targets.size());
    s->budget().begin_request();
    r.attempts.emplace(Attempts(std::move(s)));
    return r;
}

REROUTE_FOR_SIZE std::vector<Explained> Planner::explain(const Request& request, const HealthState& health, std::int64_t now_ms) const {
    std::vector<Problem> problems;
    auto s = prepare(*c_, c_->find(request.route), request, now_ms, problems);
    std::vector<Explained> out;
    if (!s) return out;
    s->begin_eval(health, now_ms);

    // Plan order: depth first; loadbalance children ranked by rendezvous score for a sticky
    // conversation, else by weight (ties: configured order).
    std::vector<std::size_t> order;
    auto walk = [&](auto&& self, std::size_t g, int depth) -> void {
        if (depth > 64) return;
        const ResolvedGroup& G = s->group(g);
        std::vector<const ResolvedChild*> kids;
        for (const ResolvedChild& c : G.children) kids.push_back(&c);
        if (G.strategy == Strategy::loadbalance && !G.expansion) {
            std::stable_sort(kids.begin(), kids.end(), [&](const ResolvedChild* a, const ResolvedChild* b) {
                if (G.balance == LoadBalance::sticky && s->has_conversation)
                    return rendezvous(s->conversation, s->child_key(*a), a->weight) >
                           rendezvous(s->conversation, s->child_key(*b), b->weight);
                return a->weight > b->weight;
            });
        }
        for (const ResolvedChild* c : kids) {
            if (c->is_group) self(self, c->index, depth + 1);
            else order.push_back(c->index);
        }
    };
    walk(walk, 0, 0);

    bool any_use = false;
    for (std::size_t t : order) {
        const CTarget& ct = s->target(t);
        Explained e;
        e.target = t;
        e.ref = ct.ref;
        e.endpoint_id = ct.rt->endpoint_id;
        e.credential_id = ct.rt->credential_id;
        const Reason v = s->request_verdict(t);
        if (v != Reason::ok) {
            e.reason = v;
        } else if (s->disable_fallbacks && any_use) {
            e.reason = Reason::fallbacks_disabled;
        } else {
            const Availability& a = s->health_of(t);
            if (a.usable()) {
                e.use = true;
                e.reason = a.probe() ? Reason::half_open_probe : any_use ? Reason::ok : Reason::first_choice;
                any_use = true;
            } else {
                e.reason = a.reason;
                e.resource = a.resource;
                e.until_ms = a.until_ms;
            }
        }
        out.push_back(std::move(e));
    }
    if (!any_use) {
        // The panic guard would still try the least recently ejected target.
        std::optional<std::size_t> best;
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (out[i].reason != Reason::breaker_open && out[i].reason != Reason::probe_in_flight) continue;
            const Availability& a = s->health_of(out[i].target);
            if (!best || a.ejected_at_ms < s->health_of(out[*best].target).ejected_at_ms) best = i;
        }
        if (best) {
            out[*best].use = true;
            out[*best].reason = Reason::panic;
        }
    }
    // prepare() registered nothing; make sure the state's destructor releases nothing either.
    s->route = nullptr;
    return out;
}

std::optional<ErrorCode> failure_code(const Outcome& o) {
    if (o.kind == OutcomeKind::success || o.kind == OutcomeKind::cancelled) return std::nullopt;
    if (auto k = code_for_kind(o.kind)) return k;
    if (o.code) return o.code;
    if (o.error.kind != ErrorValue::Kind::absent) return classify(o.error);
    return ErrorCode::generic;
}

void read_failure(Outcome& o, const ObservedFailure& seen, std::int64_t now_ms) {
    const auto& message = seen.message;
    if (seen.error) {
        o.error = *seen.error;
    } else if (o.kind == OutcomeKind::http_error) {
        if (seen.status || seen.body)
            o.error = error_from_response(seen.status ? static_cast<int>(*seen.status) : 0, seen.body.value_or(""));
        else if (message)
            o.error = error_from_response(0, *message);
    } else if (o.kind == OutcomeKind::in_band_error) {
        if (seen.data) {
            auto e = error_from_stream_event(seen.event.value_or(""), *seen.data);
            o.error = e ? std::move(*e) : error_from_response(0, *seen.data);
        } else if (seen.body) {
            stream::BodyCheck check = stream::check_completion_body(*seen.body);
            o.error = check.failure ? std::move(check.failure->facts) : error_from_response(0, *seen.body);
        } else if (message) {
            o.error = error_from_response(0, *message);
        }
    } else if (seen.transport_code) {
        o.error = error_from_transport(*seen.transport_code, message.value_or(""));
    } else if (message) {
        o.error = error_from_transport("", *message);
    }

    if (seen.retry_after_ms && *seen.retry_after_ms >= 0) {
        o.retry_after_ms = *seen.retry_after_ms;
        return;
    }
    if (!seen.headers.empty()) o.retry_after_ms = retry_after_ms(seen.headers, static_cast<double>(now_ms));
    if (!o.retry_after_ms && (o.kind == OutcomeKind::http_error || o.kind == OutcomeKind::in_band_error)) {
        if (o.error.kind == ErrorValue::Kind::string) o.retry_after_ms = retry_after_ms_from_text(o.error.text);
        else if (o.error.message) o.retry_after_ms = retry_after_ms_from_text(*o.error.message);
    }
}

}  // namespace reroute

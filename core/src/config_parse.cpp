// Pass 1 of load_config: JSON text to declared data, with every schema problem (types, required
// and unknown members, formats, ranges). Mirrors core/config.schema.json member by member.
// Boost.JSON is used only through non-throwing calls (error_code overloads, if_*/get_* after a
// kind check), so this compiles and behaves the same with exceptions off (WASM).
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <set>

#include "config_internal.hpp"

namespace reroute::config_detail {
namespace {

namespace bj = boost::json;

// ---------------------------------------------------------------------------------------------
// Formats (the schema's "pattern"s)

constexpr bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) { return is_lower(c) || is_upper(c) || is_digit(c); }

// ^[a-z0-9][a-z0-9_-]{0,99}$ (failover.md 1.1)
bool is_provider_slug(std::string_view s) {
    if (s.empty() || s.size() > 100 || !(is_lower(s[0]) || is_digit(s[0]))) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return is_lower(c) || is_digit(c) || c == '_' || c == '-'; });
}
// ^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$ (endpoint and credential ids)
bool is_item_id(std::string_view s) {
    if (s.empty() || s.size() > 100 || !is_alnum(s[0])) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}
// ^[A-Za-z_][A-Za-z0-9_]{0,127}$
bool is_env_name(std::string_view s) {
    if (s.empty() || s.size() > 128 || is_digit(s[0])) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '_'; });
}
// ^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$
bool is_route_name(std::string_view s) {
    if (s.empty() || s.size() > 128 || !is_alnum(s[0])) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return is_alnum(c) || c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
    });
}
// ^[!-~]{1,256}$: printable ASCII without spaces (model ids such as "meta-llama/x:free")
bool is_model_id(std::string_view s) {
    if (s.empty() || s.size() > 256) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

// ---------------------------------------------------------------------------------------------
// Rendering values for Problem::found

std::string render(const bj::value& v) {
    switch (v.kind()) {
        case bj::kind::object: return "object";
        case bj::kind::array: return "array";
        case bj::kind::string: return quoted(std::string_view(v.get_string()));
        default: return shorten(bj::serialize(v));
    }
}

// Levenshtein distance, for "did you mean" on unknown members (short strings only).
std::size_t edit_distance(std::string_view a, std::string_view b) {
    if (a.size() > 64 || b.size() > 64) return 99;
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string range_text(std::int64_t lo, std::int64_t hi) {
    return "integer " + std::to_string(lo) + ".." + std::to_string(hi);
}

using Known = std::initializer_list<std::string_view>;

// ---------------------------------------------------------------------------------------------
// The reader: typed access to members, reporting every mismatch.

class Reader {
public:
    explicit Reader(Problems& problems) : p_(problems) {}

    const bj::object* object(const bj::value& v, const std::string& path) {
        if (const bj::object* o = v.if_object()) return o;
        p_.error(path, "config.type", render(v), "object");
        return nullptr;
    }
    const bj::array* array(const bj::value& v, const std::string& path) {
        if (const bj::array* a = v.if_array()) return a;
        p_.error(path, "config.type", render(v), "array");
        return nullptr;
    }

    // Every member not in `known` is an error (typos never pass silently).
    void only(const bj::object& o, const std::string& path, Known known) {
        for (const auto& kv : o) {
            std::string_view key = kv.key();
            if (std::find(known.begin(), known.end(), key) != known.end()) continue;
            std::string_view best;
            std::size_t best_distance = 3;
            for (std::string_view k : known) {
                std::size_t d = edit_distance(key, k);
                if (d < best_distance) best_distance = d, best = k;
            }
            std::string expected;
            if (!best.empty()) {
                expected = "did you mean " + quoted(best) + "?";
            } else {
                expected = "one of";
                for (std::string_view k : known) expected += " " + std::string(k);
            }
            p_.error(child_path(path, key), "config.unknown_member", quoted(key), expected);
        }
    }

    const bj::value* get(const bj::object& o, std::string_view key, const std::string& path,
                         bool required, std::string_view expected) {
        if (const bj::value* v = o.if_contains(key)) return v;
        if (required) p_.error(child_path(path, key), "config.required", "missing", std::string(expected));
        return nullptr;
    }

    std::optional<std::string> string(const bj::object& o, std::string_view key,
                                      const std::string& path, bool required = false) {
        const bj::value* v = get(o, key, path, required, "string");
        if (!v) return std::nullopt;
        if (const bj::string* s = v->if_string()) return std::string(std::string_view(*s));
        p_.error(child_path(path, key), "config.type", render(*v), "string");
        return std::nullopt;
    }

    // A string member that must match a format; reports config.format with `expected`.
    std::optional<std::string> formatted(const bj::object& o, std::string_view key,
                                         const std::string& path, bool required,
                                         bool (*valid)(std::string_view), std::string_view expected) {
        auto s = string(o, key, path, required);
        if (s && !valid(*s)) {
            p_.error(child_path(path, key), "config.format", quoted(shorten(*s)), std::string(expected));
            return std::nullopt;
        }
        return s;
    }

    std::optional<bool> boolean(const bj::object& o, std::string_view key, const std::string& path) {
        const bj::value* v = get(o, key, path, false, "boolean");
        if (!v) return std::nullopt;
        if (const bool* b = v->if_bool()) return *b;
        p_.error(child_path(path, key), "config.type", render(*v), "boolean");
        return std::nullopt;
    }

    // An integer (JSON Schema "integer": 5000.0 counts) within [lo, hi].
    std::optional<std::int64_t> integer(const bj::object& o, std::string_view key,
                                        const std::string& path, std::int64_t lo, std::int64_t hi,
                                        bool required = false) {
        const bj::value* v = get(o, key, path, required, range_text(lo, hi));
        if (!v) return std::nullopt;
        std::string at = child_path(path, key);
        bool out_of_range = false;
        std::int64_t value = 0;
        if (const std::int64_t* i = v->if_int64()) {
            value = *i;
            out_of_range = value < lo || value > hi;
        } else if (v->if_uint64()) {
            out_of_range = true;  // beyond int64: above every range here
        } else if (const double* d = v->if_double()) {
            if (!std::isfinite(*d) || std::floor(*d) != *d) {
                p_.error(at, "config.type", render(*v), "integer");
                return std::nullopt;
            }
            if (*d < double(lo) || *d > double(hi)) out_of_range = true;
            else value = std::int64_t(*d);
        } else {
            p_.error(at, "config.type", render(*v), "integer");
            return std::nullopt;
        }
        if (out_of_range) {
            p_.error(at, "config.range", render(*v), range_text(lo, hi));
            return std::nullopt;
        }
        return value;
    }
    std::optional<int> small(const bj::object& o, std::string_view key, const std::string& path,
                             int lo, int hi) {
        auto v = integer(o, key, path, lo, hi);
        if (!v) return std::nullopt;
        return int(*v);
    }

    std::optional<double> number(const bj::object& o, std::string_view key, const std::string& path,
                                 double lo, double hi) {
        const bj::value* v = get(o, key, path, false, "number");
        if (!v) return std::nullopt;
        std::string at = child_path(path, key);
        double value;
        if (const std::int64_t* i = v->if_int64()) value = double(*i);
        else if (const std::uint64_t* u = v->if_uint64()) value = double(*u);
        else if (const double* d = v->if_double()) value = *d;
        else {
            p_.error(at, "config.type", render(*v), "number");
            return std::nullopt;
        }
        if (!(value >= lo && value <= hi)) {
            p_.error(at, "config.range", render(*v), "number " + shorten(bj::serialize(bj::value(lo))) +
                                                     ".." + shorten(bj::serialize(bj::value(hi))));
            return std::nullopt;
        }
        return value;
    }

    // One of `names`; returns its index.
    std::optional<std::size_t> choice(const bj::object& o, std::string_view key,
                                      const std::string& path, Known names) {
        auto s = string(o, key, path);
        if (!s) return std::nullopt;
        std::size_t i = 0;
        for (std::string_view n : names) {
            if (*s == n) return i;
            ++i;
        }
        std::string expected = "one of";
        for (std::string_view n : names) expected += " " + quoted(n);
        p_.error(child_path(path, key), "config.format", quoted(shorten(*s)), expected);
        return std::nullopt;
    }

    Problems& problems() { return p_; }

private:
    Problems& p_;
};

// ---------------------------------------------------------------------------------------------
// Policies

void read_retry(Reader& r, const bj::value& v, const std::string& path, RetryOverrides& out) {
    const bj::object* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"max_attempts", "same_target_retries", "backoff_base_ms", "backoff_cap_ms",
                      "retry_hint_cap_ms", "budget_min", "budget_percent"});
    out.max_attempts = r.small(*o, "max_attempts", path, 1, kMaxAttemptsCeiling);
    if (const bj::value* st = o->if_contains("same_target_retries")) {
        std::string sp = child_path(path, "same_target_retries");
        if (const bj::object* so = r.object(*st, sp)) {
            r.only(*so, sp, {"provider_error", "rate_limited", "provider_unreachable"});
            out.retries_provider_error = r.small(*so, "provider_error", sp, 0, kMaxAttemptsCeiling);
            out.retries_rate_limited = r.small(*so, "rate_limited", sp, 0, kMaxAttemptsCeiling);
            out.retries_provider_unreachable =
                r.small(*so, "provider_unreachable", sp, 0, kMaxAttemptsCeiling);
        }
    }
    out.backoff_base_ms = r.integer(*o, "backoff_base_ms", path, 1, 60'000);
    out.backoff_cap_ms = r.integer(*o, "backoff_cap_ms", path, 1, 60'000);
    out.retry_hint_cap_ms = r.integer(*o, "retry_hint_cap_ms", path, 0, kDeadlineCeilingMs);
    out.budget_min = r.small(*o, "budget_min", path, 0, 10'000);
    out.budget_percent = r.small(*o, "budget_percent", path, 0, 100);
}

void read_timeout(Reader& r, const bj::value& v, const std::string& path, TimeoutOverrides& out) {
    const bj::object* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"connect_timeout_ms", "first_token_timeout_ms", "idle_timeout_ms",
                      "deadline_ms", "min_attempt_ms"});
    out.connect_timeout_ms = r.integer(*o, "connect_timeout_ms", path, 1, kDeadlineCeilingMs);
    out.first_token_timeout_ms = r.integer(*o, "first_token_timeout_ms", path, 1, kDeadlineCeilingMs);
    out.idle_timeout_ms = r.integer(*o, "idle_timeout_ms", path, 1, kDeadlineCeilingMs);
    out.deadline_ms = r.integer(*o, "deadline_ms", path, 1, kDeadlineCeilingMs);
    out.min_attempt_ms = r.integer(*o, "min_attempt_ms", path, 0, kDeadlineCeilingMs);
}

void read_breaker(Reader& r, const bj::value& v, const std::string& path, BreakerOverrides& out) {
    const bj::object* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"consecutive_failures", "consecutive_failures_with_alternative",
                      "failure_rate_percent", "min_request_volume", "failure_window_ms",
                      "ejection_base_ms", "ejection_max_ms", "jitter_percent",
                      "max_ejection_percent"});
    out.consecutive_failures = r.small(*o, "consecutive_failures", path, 1, 1000);
    out.consecutive_failures_with_alternative =
        r.small(*o, "consecutive_failures_with_alternative", path, 1, 1000);
    out.failure_rate_percent = r.small(*o, "failure_rate_percent", path, 1, 100);
    out.min_request_volume = r.small(*o, "min_request_volume", path, 1, 1'000'000);
    out.failure_window_ms = r.integer(*o, "failure_window_ms", path, 1000, 3'600'000);
    out.ejection_base_ms = r.integer(*o, "ejection_base_ms", path, 1, 3'600'000);
    out.ejection_max_ms = r.integer(*o, "ejection_max_ms", path, 1, 3'600'000);
    out.jitter_percent = r.small(*o, "jitter_percent", path, 0, 100);
    out.max_ejection_percent = r.small(*o, "max_ejection_percent", path, 0, 100);
}

void read_classes(Reader& r, const bj::value& v, const std::string& path, ClassOverrides& out) {
    const bj::object* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"route_around_content_filter", "prefer", "continuation_budget"});
    out.route_around_content_filter = r.boolean(*o, "route_around_content_filter", path);
    if (auto i = r.choice(*o, "prefer", path, {"same_model_first", "next_target"}))
        out.prefer = Prefer(*i);
    out.continuation_budget = r.small(*o, "continuation_budget", path, 0, kMaxAttemptsCeiling);
}

// The four policy members, wherever they may appear.
void read_policies(Reader& r, const bj::object& o, const std::string& path, PolicyOverrides& out) {
    if (const bj::value* v = o.if_contains("retry")) read_retry(r, *v, child_path(path, "retry"), out.retry);
    if (const bj::value* v = o.if_contains("timeout"))
        read_timeout(r, *v, child_path(path, "timeout"), out.timeout);
    if (const bj::value* v = o.if_contains("breaker"))
        read_breaker(r, *v, child_path(path, "breaker"), out.breaker);
    if (const bj::value* v = o.if_contains("classes"))
        read_classes(r, *v, child_path(path, "classes"), out.classes);
}

// ---------------------------------------------------------------------------------------------
// Providers and models

void read_provider(Reader& r, const bj::value& v, const std::string& path, Config& config,
                   Sites& sites) {
    const bj::object* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"id", "api_format", "base_url", "endpoints", "credentials", "allow_private_hosts"});
    Provider provider;
    ProviderSite site;
    site.path = path;
    auto id = r.formatted(*o, "id", path, true, is_provider_slug,
                          "a slug: [a-z0-9][a-z0-9_-]{0,99}");
    if (auto f = r.choice(*o, "api_format", path, {"openai", "anthropic"})) provider.api_format = ApiFormat(*f);
    provider.allow_private_hosts = r.boolean(*o, "allow_private_hosts", path).value_or(false);

    const bj::value* base = o->if_contains("base_url");
    const bj::value* endpoints = o->if_contains("endpoints");
    if (base && endpoints) {
        r.problems().error(child_path(path, "endpoints"), "config.conflict", "base_url and endpoints",
                           "either base_url or endpoints");
    } else if (!base && !endpoints) {
        r.problems().error(child_path(path, "base_url"), "config.required", "missing",
                           "base_url (string) or endpoints (array)");
    }
    if (base) {
        if (auto url = r.string(*o, "base_url", path)) {
            provider.endpoints.push_back({"default", *url});
            site.endpoint_paths.push_back(child_path(path, "base_url"));
        }
    } else if (endpoints) {
        std::string ep = child_path(path, "endpoints");
        if (const bj::array* a = r.array(*endpoints, ep)) {
            if (a->empty()) r.problems().error(ep, "config.range", "0 items", "at least 1 endpoint");
            for (std::size_t i = 0; i < a->size(); ++i) {
                std::string item = child_path(ep, i);
                const bj::object* e = r.object((*a)[i], item);
                if (!e) continue;
                r.only(*e, item, {"id", "base_url"});
                auto eid = r.formatted(*e, "id", item, true, is_item_id, "an id: [A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
                auto url = r.string(*e, "base_url", item, true);
                if (eid && url) {
                    provider.endpoints.push_back({*eid, *url});
                    site.endpoint_paths.push_back(child_path(item, "base_url"));
                }
            }
        }
    }
    if (const bj::value* creds = o->if_contains("credentials")) {
        std::string cp = child_path(path, "credentials");
        if (const bj::array* a = r.array(*creds, cp)) {
            for (std::size_t i = 0; i < a->size(); ++i) {
                std::string item = child_path(cp, i);
                const bj::object* c = r.object((*a)[i], item);
                if (!c) continue;
                r.only(*c, item, {"id", "env"});
                auto env = r.formatted(*c, "env", item, true, is_env_name,
                                       "an environment variable name: [A-Za-z_][A-Za-z0-9_]{0,127}");
                bool id_given = c->if_contains("id") != nullptr;
                auto cid = r.formatted(*c, "id", item, false, is_item_id,
                                       "an id: [A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
                if (env && (cid || !id_given)) {
                    provider.credentials.push_back({cid ? *cid : *env, *env});
                    site.credential_paths.push_back(item);
                }
            }
        }
    }
    if (!id) return;
    provider.id = *id;
    config.providers.push_back(std::move(provider));
    sites.providers.push_back(std::move(site));
}

void read_model(Reader& r, const bj::value& v, const std::string& path, Config& config, Sites& sites) {
    const bj::object* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"provider", "id", "native_id", "context_window", "max_output_tokens",
                      "input_price", "output_price", "capabilities"});
    Model model;
    auto provider = r.formatted(*o, "provider", path, true, is_provider_slug,
                                "a provider id: [a-z0-9][a-z0-9_-]{0,99}");
    auto id = r.formatted(*o, "id", path, true, is_model_id,
                          "a model id: 1-256 printable ASCII characters, no spaces");
    model.native_id = r.formatted(*o, "native_id", path, false, is_model_id,
                                  "a model id: 1-256 printable ASCII characters, no spaces");
    auto window = r.integer(*o, "context_window", path, 1, 100'000'000, true);
    auto output = r.integer(*o, "max_output_tokens", path, 1, 100'000'000, true);
    if (window && output && *output > *window) {
        r.problems().error(child_path(path, "max_output_tokens"), "config.range", std::to_string(*output),
                           "at most context_window (" + std::to_string(*window) + ")");
    }
    model.context_window = window.value_or(0);
    model.max_output_tokens = output.value_or(0);
    model.input_price = r.number(*o, "input_price", path, 0, 1e9);
    model.output_price = r.number(*o, "output_price", path, 0, 1e9);
    if (const bj::value* caps = o->if_contains("capabilities")) {
        std::string cp = child_path(path, "capabilities");
        if (const bj::object* c = r.object(*caps, cp)) {
            r.only(*c, cp, {"tools", "vision", "prefill", "reasoning"});
            model.capabilities.tools = r.boolean(*c, "tools", cp).value_or(false);
            model.capabilities.vision = r.boolean(*c, "vision", cp).value_or(false);
            model.capabilities.prefill = r.boolean(*c, "prefill", cp).value_or(false);
            model.capabilities.reasoning = r.boolean(*c, "reasoning", cp).value_or(false);
        }
    }
    if (!provider || !id) return;
    model.provider = *provider;
    model.id = *id;
    config.models.push_back(std::move(model));
    sites.models.push_back(path);
}

// ---------------------------------------------------------------------------------------------
// Routes


void read_group_body(Reader& r, const bj::object& o, const std::string& path, Node& node);

Node read_node(Reader& r, const bj::value& v, const std::string& path) {
    Node node;
    node.path = path;
    const bj::object* o = r.object(v, path);
    if (!o) {
        node.kind = NodeKind::group;  // inert: an empty group reports nothing further
        return node;
    }
    if (auto w = r.number(*o, "weight", path, 0, 1'000'000)) node.weight = *w;
    read_policies(r, *o, path, node.policy);
    if (o->if_contains("route")) {
        node.kind = NodeKind::route_ref;
        r.only(*o, path, {"route", "weight", "retry", "timeout", "breaker", "classes"});
        node.route = r.formatted(*o, "route", path, true, is_route_name,
                                 "a route name: [A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}")
                         .value_or("");
    } else if (o->if_contains("targets") || o->if_contains("strategy")) {
        node.kind = NodeKind::group;
        r.only(*o, path, {"strategy", "balance", "targets", "weight", "retry", "timeout", "breaker", "classes"});
        read_group_body(r, *o, path, node);
    } else {
        node.kind = NodeKind::target;
        r.only(*o, path, {"provider", "model", "credential", "endpoint", "weight", "retry", "timeout",
                          "breaker", "classes"});
        node.provider = r.formatted(*o, "provider", path, true, is_provider_slug,
                                    "a provider id: [a-z0-9][a-z0-9_-]{0,99}")
                            .value_or("");
        node.model = r.formatted(*o, "model", path, true, is_model_id,
                                 "a model id: 1-256 printable ASCII characters, no spaces")
                         .value_or("");
        node.credential = r.formatted(*o, "credential", path, false, is_item_id,
                                      "a credential id: [A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
        node.endpoint = r.formatted(*o, "endpoint", path, false, is_item_id,
                                    "an endpoint id: [A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
    }
    return node;
}

// strategy, balance and targets of a group or route object.
void read_group_body(Reader& r, const bj::object& o, const std::string& path, Node& node) {
    node.kind = NodeKind::group;
    if (auto s = r.choice(o, "strategy", path, {"single", "fallback", "loadbalance"}))
        node.strategy = Strategy(*s);
    if (o.if_contains("balance")) {
        if (auto b = r.choice(o, "balance", path, {"weighted", "least_in_flight", "sticky"}))
            node.balance = LoadBalance(*b);
        if (node.strategy != Strategy::loadbalance) {
            r.problems().error(child_path(path, "balance"), "config.conflict",
                               "balance with strategy " + quoted(to_string(node.strategy)),
                               "strategy \"loadbalance\"");
        }
    }
    const bj::value* targets = r.get(o, "targets", path, true, "array of targets, groups or route references");
    if (!targets) return;
    std::string tp = child_path(path, "targets");
    const bj::array* a = r.array(*targets, tp);
    if (!a) return;
    if (a->empty()) r.problems().error(tp, "config.range", "0 items", "at least 1 target");
    node.children.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) node.children.push_back(read_node(r, (*a)[i], child_path(tp, i)));
}

void read_route(Reader& r, const bj::value& v, const std::string& path, Config& config, Sites& sites) {
    const bj::object* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"name", "strategy", "balance", "targets", "retry", "timeout", "breaker", "classes"});
    Route route;
    auto name = r.formatted(*o, "name", path, true, is_route_name,
                            "a route name: [A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}");
    if (name && *name == "auto") {
        r.problems().error(child_path(path, "name"), "config.reserved", "\"auto\"",
                           "a name other than \"auto\" (reserved for automatic routing)");
        name.reset();
    }
    route.root.path = path;
    read_policies(r, *o, path, route.root.policy);
    read_group_body(r, *o, path, route.root);
    if (!name) return;
    route.name = *name;
    config.routes.push_back(std::move(route));
    sites.routes.push_back(path);
}

// ---------------------------------------------------------------------------------------------
// Top level

template <class F>
void each_item(Reader& r, const bj::object& root, std::string_view key, bool required, F&& f) {
    const bj::value* v = r.get(root, key, "", required, "array");
    if (!v) return;
    std::string path = child_path("", key);
    const bj::array* a = r.array(*v, path);
    if (!a) return;
    for (std::size_t i = 0; i < a->size(); ++i) f((*a)[i], child_path(path, i));
}

void read_server(Reader& r, const bj::value& v, const std::string& path, ServerLimits& out) {
    const bj::object* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"max_attempts", "deadline_ms", "continuation", "continuation_budget",
                      "allow_disable_fallbacks"});
    if (auto x = r.small(*o, "max_attempts", path, 1, kMaxAttemptsCeiling)) out.max_attempts = *x;
    if (auto x = r.integer(*o, "deadline_ms", path, 1, kDeadlineCeilingMs)) out.deadline_ms = *x;
    if (auto x = r.choice(*o, "continuation", path, {"off", "restart", "continue"}))
        out.continuation = Continuation(*x);
    if (auto x = r.small(*o, "continuation_budget", path, 0, kMaxAttemptsCeiling)) out.continuation_budget = *x;
    if (auto x = r.boolean(*o, "allow_disable_fallbacks", path)) out.allow_disable_fallbacks = *x;
}

// Position of byte `offset` as 1-based line and column.
SourcePosition position_of(std::string_view text, std::size_t offset) {
    SourcePosition pos;
    pos.offset = std::min(offset, text.size());
    for (std::size_t i = 0; i < pos.offset; ++i) {
        if (text[i] == '\n') ++pos.line, pos.column = 1;
        else ++pos.column;
    }
    return pos;
}

// Boost.JSON keeps the last of two equal keys, as JSON.parse does. A repeated key in a config is
// almost always a mistake, so the text (already known to be valid JSON) is scanned once more for
// repeats, comparing keys after unescaping. Iterative: the depth is bounded by the parser's limit.
std::string unescape_key(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    auto hex4 = [&](std::size_t at) {
        unsigned v = 0;
        for (std::size_t k = 0; k < 4 && at + k < raw.size(); ++k) {
            char c = raw[at + k];
            v = v * 16 + unsigned(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        return v;
    };
    auto put = [&](std::uint32_t cp) {
        if (cp < 0x80) out += char(cp);
        else if (cp < 0x800) out += char(0xC0 | cp >> 6), out += char(0x80 | (cp & 0x3F));
        else if (cp < 0x10000)
            out += char(0xE0 | cp >> 12), out += char(0x80 | (cp >> 6 & 0x3F)), out += char(0x80 | (cp & 0x3F));
        else
            out += char(0xF0 | cp >> 18), out += char(0x80 | (cp >> 12 & 0x3F)),
                out += char(0x80 | (cp >> 6 & 0x3F)), out += char(0x80 | (cp & 0x3F));
    };
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\' || i + 1 >= raw.size()) {
            out += raw[i];
            continue;
        }
        char e = raw[++i];
        switch (e) {
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                std::uint32_t cp = hex4(i + 1);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < raw.size() && raw[i + 1] == '\\' &&
                    raw[i + 2] == 'u') {
                    std::uint32_t lo = hex4(i + 3);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    }
                }
                put(cp);
                break;
            }
            default: out += e; break;  // \" \\ \/
        }
    }
    return out;
}

void report_duplicate_keys(std::string_view text, Problems& problems) {
    struct Frame {
        bool object;
        std::size_t index = 0;         // arrays: the next element's index
        std::set<std::string> keys;    // objects: keys seen
        std::string path;              // of this container
        std::string pending;           // objects: path of the member whose value comes next
    };
    std::vector<Frame> stack;
    auto value_path = [&]() -> std::string {
        if (stack.empty()) return "";
        Frame& f = stack.back();
        return f.object ? f.pending : child_path(f.path, f.index);
    };
    bool expect_key = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        switch (c) {
            case '{':
            case '[': {
                std::string path = value_path();
                stack.push_back(Frame{c == '{', 0, {}, std::move(path), {}});
                expect_key = c == '{';
                break;
            }
            case '}':
            case ']':
                if (!stack.empty()) stack.pop_back();
                expect_key = false;
                break;
            case ',':
                if (!stack.empty()) {
                    if (stack.back().object) expect_key = true;
                    else ++stack.back().index;
                }
                break;
            case '"': {
                std::size_t start = i + 1, j = start;
                while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
                if (expect_key && !stack.empty()) {
                    Frame& f = stack.back();
                    std::string key = unescape_key(text.substr(start, std::min(j, text.size()) - start));
                    f.pending = child_path(f.path, key);
                    if (!f.keys.insert(key).second) {
                        problems.error(f.pending, "config.duplicate", quoted(key) + " given twice",
                                       "each member once (the last one would silently win)");
                    }
                    expect_key = false;
                }
                i = j;
                break;
            }
            default:
                break;
        }
    }
}
}  // namespace

bool parse_document(std::string_view text, Config& config, Sites& sites, Problems& problems) {
    if (text.size() > kMaxConfigBytes) {
        problems.error("", "config.too_large", std::to_string(text.size()) + " bytes",
                       "at most " + std::to_string(kMaxConfigBytes) + " bytes");
        return false;
    }
    bj::parse_options options;
    options.max_depth = kMaxConfigDepth;
    bj::stream_parser parser(bj::storage_ptr(), options);
    bj::error_code ec;
    std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
    if (!ec && consumed < text.size()) ec = bj::error::extra_data;
    if (!ec) parser.finish(ec);
    if (ec || !parser.done()) {
        SourcePosition pos = position_of(text, consumed);
        bool too_deep = ec == bj::error::too_deep;
        Problem p;
        p.path = "";
        p.code = too_deep ? "config.too_large" : "config.syntax";
        p.found = (ec ? ec.message() : std::string("incomplete JSON")) + " at line " +
                  std::to_string(pos.line) + ", column " + std::to_string(pos.column) + " (byte " +
                  std::to_string(pos.offset) + ")";
        p.expected = too_deep ? "nesting depth at most " + std::to_string(kMaxConfigDepth) : "a JSON document";
        p.position = pos;
        problems.push(std::move(p));
        return false;
    }
    bj::value doc = parser.release();

    report_duplicate_keys(text, problems);

    Reader r(problems);
    const bj::object* root = r.object(doc, "");
    if (!root) return true;
    r.only(*root, "", {"$schema", "$comment", "version", "allow_private_hosts", "providers", "models", "routes",
                       "defaults", "server", "admin"});
    r.string(*root, "$schema", "");
    r.string(*root, "$comment", "");
    r.integer(*root, "version", "", 1, 1);
    config.allow_private_hosts = r.boolean(*root, "allow_private_hosts", "").value_or(false);
    each_item(r, *root, "providers", true,
              [&](const bj::value& v, const std::string& path) { read_provider(r, v, path, config, sites); });
    each_item(r, *root, "models", true,
              [&](const bj::value& v, const std::string& path) { read_model(r, v, path, config, sites); });
    each_item(r, *root, "routes", true,
              [&](const bj::value& v, const std::string& path) { read_route(r, v, path, config, sites); });
    if (const bj::value* d = root->if_contains("defaults")) {
        if (const bj::object* o = r.object(*d, "/defaults")) {
            r.only(*o, "/defaults", {"retry", "timeout", "breaker", "classes"});
            read_policies(r, *o, "/defaults", config.defaults);
        }
    }
    if (const bj::value* s = root->if_contains("server")) read_server(r, *s, "/server", config.server);
    if (const bj::value* a = root->if_contains("admin")) {
        if (const bj::object* o = r.object(*a, "/admin")) {
            r.only(*o, "/admin", {"secret_env"});
            config.admin.secret_env = r.formatted(*o, "secret_env", "/admin", false, is_env_name,
                                                  "an environment variable name: [A-Za-z_][A-Za-z0-9_]{0,127}");
            if (config.admin.secret_env) sites.admin_secret = "/admin/secret_env";
        }
    }
    return true;
}

}  // namespace reroute::config_detail

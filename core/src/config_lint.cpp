// Pass 2 of load_config: what needs the whole document. References and uniqueness, host policy,
// environment names, cross-field policy rules and server ceilings, route cycles, then resolution
// into ResolvedRoute with the route lint (unreachable targets, weaker fallbacks).
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "config_internal.hpp"
#include "reroute/host_policy.hpp"

namespace reroute::config_detail {
namespace {

std::string num(std::int64_t v) { return std::to_string(v); }

std::string model_name(const Model& m) { return m.provider + "/" + m.id; }

// Lookups by id for the passes below (Config::find_* scan linearly, which a document with
// thousands of models and targets would turn quadratic). The first declaration wins, as in find_*.
class Index {
public:
    explicit Index(const Config& config) : config_(config) {
        for (std::size_t i = 0; i < config.providers.size(); ++i) providers_.emplace(config.providers[i].id, i);
        for (std::size_t i = 0; i < config.models.size(); ++i)
            models_.emplace(key(config.models[i].provider, config.models[i].id), i);
    }
    const Provider* provider(std::string_view id) const {
        auto it = providers_.find(id);
        return it == providers_.end() ? nullptr : &config_.providers[it->second];
    }
    const Model* model(std::string_view provider, std::string_view id) const {
        auto it = models_.find(key(provider, id));
        return it == models_.end() ? nullptr : &config_.models[it->second];
    }

private:
    static std::string key(std::string_view provider, std::string_view id) {
        std::string k(provider);
        k += '\0';
        k += id;
        return k;
    }
    const Config& config_;
    std::unordered_map<std::string_view, std::size_t> providers_;
    std::unordered_map<std::string, std::size_t> models_;
};

// ---------------------------------------------------------------------------------------------
// Providers, models, routes: uniqueness, hosts, env names

void check_providers(const Config& config, const Sites& sites, const EnvView& env, Problems& p) {
    std::set<std::string_view> ids;
    for (std::size_t i = 0; i < config.providers.size(); ++i) {
        const Provider& provider = config.providers[i];
        const ProviderSite& site = sites.providers[i];
        if (!ids.insert(provider.id).second) {
            p.error(child_path(site.path, "id"), "config.duplicate", quoted(provider.id),
                    "a provider id not used before");
        }
        std::set<std::string_view> endpoint_ids, urls;
        bool allow_private = provider.allow_private_hosts || config.allow_private_hosts;
        for (std::size_t e = 0; e < provider.endpoints.size(); ++e) {
            const Endpoint& endpoint = provider.endpoints[e];
            const std::string& at = site.endpoint_paths[e];
            if (!endpoint_ids.insert(endpoint.id).second) {
                std::string id_path = at.substr(0, at.size() - std::string_view("/base_url").size()) + "/id";
                p.error(id_path, "config.duplicate", quoted(endpoint.id), "an endpoint id not used before in this provider");
            }
            if (!urls.insert(endpoint.base_url).second) {
                p.error(at, "config.duplicate", quoted(shorten(endpoint.base_url)),
                        "a base URL not used before in this provider (it is the endpoint's identity)");
            }
            auto url = parse_url(endpoint.base_url);
            if (!url) {
                p.error(at, "host.invalid_url", quoted(shorten(endpoint.base_url)),
                        "an absolute http:// or https:// URL with a valid ASCII host (INVALID_URL)");
                continue;
            }
            if (url->has_userinfo) {
                p.error(at, "config.format", "user:password@ in the URL",
                        "no credentials in a base URL: name an environment variable in credentials");
            }
            if (endpoint.base_url.find('#') != std::string::npos) {
                p.error(at, "config.format", "a #fragment", "a base URL without a fragment");
            }
            switch (check_host(url->host, allow_private)) {
                case HostVerdict::ok:
                    if (url->scheme == "http" && !is_private_host(url->host)) {
                        p.warning(at, "host.plain_http", quoted(shorten(endpoint.base_url)),
                                  "https:// for a public host (keys would travel in clear text)");
                    }
                    break;
                case HostVerdict::blocked_host:
                    p.error(at, "host.blocked", quoted(url->host),
                            "not a cloud metadata host (BLOCKED_HOST, refused even with allow_private_hosts)");
                    break;
                case HostVerdict::private_host_blocked:
                    p.error(at, "host.private", quoted(url->host),
                            "a public host, or allow_private_hosts: true on the provider or the document "
                            "(PRIVATE_HOST_BLOCKED)");
                    break;
                case HostVerdict::invalid_url:
                    p.error(at, "host.invalid_url", quoted(url->host), "a valid host (INVALID_URL)");
                    break;
            }
        }
        std::set<std::string_view> credential_ids;
        std::map<std::string_view, std::string_view> envs;  // env -> path of its first use
        for (std::size_t c = 0; c < provider.credentials.size(); ++c) {
            const Credential& credential = provider.credentials[c];
            const std::string& at = site.credential_paths[c];
            if (!credential_ids.insert(credential.id).second) {
                p.error(child_path(at, "id"), "config.duplicate", quoted(credential.id),
                        "a credential id not used before in this provider");
            }
            auto [it, fresh] = envs.emplace(credential.env, at);
            if (!fresh) {
                p.error(child_path(at, "env"), "lint.duplicate_credential", quoted(credential.env),
                        "each key listed once per provider (already at " + std::string(it->second) + ")");
            }
            if (env.known() && !env.is_set(credential.env)) {
                p.warning(child_path(at, "env"), "lint.env_unset", quoted(credential.env) + " is not set",
                          "a set environment variable (this credential is skipped until it is)");
            }
        }
    }
}

void check_models(const Config& config, const Index& index, const Sites& sites, Problems& p) {
    std::set<std::pair<std::string_view, std::string_view>> seen;
    for (std::size_t i = 0; i < config.models.size(); ++i) {
        const Model& m = config.models[i];
        if (!index.provider(m.provider)) {
            p.error(child_path(sites.models[i], "provider"), "config.reference", quoted(m.provider),
                    "a provider id declared in /providers");
        }
        if (!seen.emplace(m.provider, m.id).second) {
            p.error(child_path(sites.models[i], "id"), "config.duplicate", quoted(model_name(m)),
                    "a model id not used before for this provider");
        }
    }
}

void check_admin(const Config& config, const Sites& sites, const EnvView& env, Problems& p) {
    if (!config.admin.secret_env) return;
    const std::string& name = *config.admin.secret_env;
    for (const Provider& provider : config.providers) {
        for (const Credential& c : provider.credentials) {
            if (c.env == name) {
                p.error(sites.admin_secret, "lint.admin_secret_shared", quoted(name),
                        "an admin secret that is not also a provider key (provider " + quoted(provider.id) + ")");
                return;
            }
        }
    }
    if (env.known() && !env.is_set(name)) {
        p.warning(sites.admin_secret, "lint.env_unset", quoted(name) + " is not set",
                  "a set environment variable (the admin plane stays off until it is)");
    }
}

// ---------------------------------------------------------------------------------------------
// References in route trees

void check_references(const Index& index, const Node& node,
                      const std::unordered_map<std::string_view, std::size_t>& routes, Problems& p) {
    switch (node.kind) {
        case NodeKind::target: {
            if (node.provider.empty()) return;  // reported as required or malformed already
            const Provider* provider = index.provider(node.provider);
            if (!provider) {
                p.error(child_path(node.path, "provider"), "config.reference", quoted(node.provider),
                        "a provider id declared in /providers");
                return;
            }
            if (!node.model.empty() && !index.model(node.provider, node.model)) {
                p.error(child_path(node.path, "model"), "config.reference", quoted(node.model),
                        "a model of provider " + quoted(node.provider) + " declared in /models");
            }
            if (node.credential &&
                std::none_of(provider->credentials.begin(), provider->credentials.end(),
                             [&](const Credential& c) { return c.id == *node.credential; })) {
                p.error(child_path(node.path, "credential"), "config.reference", quoted(*node.credential),
                        "a credential id of provider " + quoted(node.provider));
            }
            if (node.endpoint &&
                std::none_of(provider->endpoints.begin(), provider->endpoints.end(),
                             [&](const Endpoint& e) { return e.id == *node.endpoint; })) {
                p.error(child_path(node.path, "endpoint"), "config.reference", quoted(*node.endpoint),
                        "an endpoint id of provider " + quoted(node.provider));
            }
            return;
        }
        case NodeKind::route_ref:
            if (!node.route.empty() && !routes.count(node.route)) {
                p.error(child_path(node.path, "route"), "config.reference", quoted(node.route),
                        "a route name declared in /routes");
            }
            return;
        case NodeKind::group:
            for (const Node& child : node.children) check_references(index, child, routes, p);
            return;
    }
}

// ---------------------------------------------------------------------------------------------
// Cycles: routes referencing routes. Each back edge is one cycle, reported at the reference that
// closes it, with the whole loop spelled out.

struct RouteEdge {
    std::size_t to;
    std::string path;  // of the reference node
};

void collect_edges(const Node& node, const std::unordered_map<std::string_view, std::size_t>& routes,
                   std::vector<RouteEdge>& out) {
    if (node.kind == NodeKind::route_ref) {
        auto it = routes.find(node.route);
        if (it != routes.end()) out.push_back({it->second, node.path});
    }
    for (const Node& child : node.children) collect_edges(child, routes, out);
}

void check_cycles(const Config& config, const std::unordered_map<std::string_view, std::size_t>& routes,
                  Problems& p) {
    const std::size_t n = config.routes.size();
    std::vector<std::vector<RouteEdge>> edges(n);
    for (std::size_t i = 0; i < n; ++i) collect_edges(config.routes[i].root, routes, edges[i]);
    enum Color : std::uint8_t { white, grey, black };
    std::vector<Color> color(n, white);
    // Iterative DFS (routes can be many): frames of (route, next edge).
    for (std::size_t start = 0; start < n; ++start) {
        if (color[start] != white) continue;
        std::vector<std::pair<std::size_t, std::size_t>> stack{{start, 0}};
        color[start] = grey;
        while (!stack.empty()) {
            auto& [u, next] = stack.back();
            if (next == edges[u].size()) {
                color[u] = black;
                stack.pop_back();
                continue;
            }
            const RouteEdge& edge = edges[u][next++];
            if (color[edge.to] == grey) {
                std::string loop;
                bool on = false;
                for (const auto& frame : stack) {
                    if (frame.first == edge.to) on = true;
                    if (on) loop += config.routes[frame.first].name + " -> ";
                }
                loop += config.routes[edge.to].name;
                p.error(edge.path, "lint.cycle", shorten(loop, 200), "routes that never reach themselves");
            } else if (color[edge.to] == white) {
                color[edge.to] = grey;
                stack.push_back({edge.to, 0});
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Policies: cross-field rules and server ceilings, checked where a node sets a member.

Policies clamp_to_server(Policies policies, const ServerLimits& server) {
    policies.retry.max_attempts = std::min(policies.retry.max_attempts, server.max_attempts);
    policies.timeout.deadline_ms = std::min(policies.timeout.deadline_ms, server.deadline_ms);
    policies.timeout.min_attempt_ms = std::min(policies.timeout.min_attempt_ms, policies.timeout.deadline_ms);
    policies.classes.continuation_budget =
        std::min(policies.classes.continuation_budget, server.continuation_budget);
    return policies;
}

// `effective` is before clamping. Reports at `path` (a node or /defaults) for the rules whose
// members this level sets.
void check_policy_rules(const Policies& effective, const PolicyOverrides& set, const std::string& path,
                        const ServerLimits& server, Problems& p) {
    const RetryPolicy& r = effective.retry;
    if ((set.retry.backoff_base_ms || set.retry.backoff_cap_ms) && r.backoff_cap_ms < r.backoff_base_ms) {
        p.error(path + (set.retry.backoff_cap_ms ? "/retry/backoff_cap_ms" : "/retry/backoff_base_ms"),
                "config.range",
                "backoff_cap_ms " + num(r.backoff_cap_ms) + " < backoff_base_ms " + num(r.backoff_base_ms),
                "backoff_cap_ms >= backoff_base_ms");
    }
    const BreakerPolicy& b = effective.breaker;
    if ((set.breaker.ejection_base_ms || set.breaker.ejection_max_ms) && b.ejection_max_ms < b.ejection_base_ms) {
        p.error(path + (set.breaker.ejection_max_ms ? "/breaker/ejection_max_ms" : "/breaker/ejection_base_ms"),
                "config.range",
                "ejection_max_ms " + num(b.ejection_max_ms) + " < ejection_base_ms " + num(b.ejection_base_ms),
                "ejection_max_ms >= ejection_base_ms");
    }
    const TimeoutPolicy& t = effective.timeout;
    if ((set.timeout.min_attempt_ms || set.timeout.deadline_ms) && t.min_attempt_ms > t.deadline_ms) {
        p.error(path + (set.timeout.min_attempt_ms ? "/timeout/min_attempt_ms" : "/timeout/deadline_ms"),
                "config.range",
                "min_attempt_ms " + num(t.min_attempt_ms) + " > deadline_ms " + num(t.deadline_ms),
                "min_attempt_ms <= deadline_ms");
    }
    if (set.retry.max_attempts && r.max_attempts > server.max_attempts) {
        p.error(path + "/retry/max_attempts", "lint.exceeds_ceiling", num(r.max_attempts),
                "at most server.max_attempts (" + num(server.max_attempts) + ")");
    }
    if (set.timeout.deadline_ms && t.deadline_ms > server.deadline_ms) {
        p.error(path + "/timeout/deadline_ms", "lint.exceeds_ceiling", num(t.deadline_ms),
                "at most server.deadline_ms (" + num(server.deadline_ms) + ")");
    }
    if (set.classes.continuation_budget && effective.classes.continuation_budget > server.continuation_budget) {
        p.error(path + "/classes/continuation_budget", "lint.exceeds_ceiling",
                num(effective.classes.continuation_budget),
                "at most server.continuation_budget (" + num(server.continuation_budget) + ")");
    }
}

// ---------------------------------------------------------------------------------------------
// Resolution

class Resolver {
public:
    Resolver(Config& config, const Index& index, const std::unordered_map<std::string_view, std::size_t>& routes,
             Problems& p)
        : config_(config), index_(index), routes_(routes), p_(p) {}

    ResolvedRoute resolve(std::size_t route_index) {
        const Route& route = config_.routes[route_index];
        ResolvedRoute out;
        out.name = route.name;
        overflow_ = false;
        std::vector<std::size_t> stack{route_index};
        Policies base = config_.base_policies();  // unclamped: rules are checked before clamping
        Policies here = resolve_policies(base, route.root.policy);
        check_policy_rules(here, route.root.policy, route.root.path, config_.server, p_);
        out.groups.emplace_back();
        build_group(out, 0, route.root, here, false, stack);
        bool any = std::any_of(out.targets.begin(), out.targets.end(),
                               [](const ResolvedTarget& t) { return !t.drained; });
        if (!any && !out.targets.empty()) {
            p_.error(route.root.path, "lint.unreachable", "no target can be reached",
                     "at least one target with a non-zero weight on its whole path");
        }
        return out;
    }

private:
    // Fills groups[gi] from a group node whose effective (unclamped) policies are `policies`.
    void build_group(ResolvedRoute& out, std::size_t gi, const Node& node, const Policies& policies,
                     bool drained, std::vector<std::size_t>& stack) {
        {
            ResolvedGroup& g = out.groups[gi];
            g.strategy = node.strategy;
            g.balance = node.balance;
            g.path = node.path;
            g.policies = clamp_to_server(policies, config_.server);
            g.first_target = out.targets.size();
        }
        std::size_t live = 0;
        for (std::size_t k = 0; k < node.children.size(); ++k)
            if (node.children[k].weight > 0) ++live;
        if (live == 0 && !node.children.empty()) {
            p_.error(node.path, "lint.unreachable", "every child has weight 0",
                     "at least one child with a non-zero weight");
        }
        for (std::size_t k = 0; k < node.children.size(); ++k) {
            const Node& child = node.children[k];
            bool child_drained = drained || child.weight <= 0;
            if (node.strategy == Strategy::single && k > 0) {
                p_.error(child.path, "lint.unreachable", "a child after the first of a single group",
                         "strategy \"single\" has exactly one child (use fallback for more)");
                child_drained = true;
            } else if (child.weight <= 0 && live > 0) {
                p_.warning(child_path(child.path, "weight"), "lint.unreachable", "weight 0 (drained)",
                           "a non-zero weight, unless the drain is intended");
            }
            Policies child_policies = resolve_policies(policies, child.policy);
            switch (child.kind) {
                case NodeKind::target:
                    check_policy_rules(child_policies, child.policy, child.path, config_.server, p_);
                    add_leaf(out, gi, child, child_policies, child_drained);
                    break;
                case NodeKind::group: {
                    if (!budget(out, child)) break;
                    check_policy_rules(child_policies, child.policy, child.path, config_.server, p_);
                    std::size_t sub = out.groups.size();
                    out.groups.emplace_back();
                    out.groups[gi].children.push_back({true, sub, child.weight});
                    build_group(out, sub, child, child_policies, child_drained, stack);
                    break;
                }
                case NodeKind::route_ref: {
                    auto it = routes_.find(child.route);
                    if (it == routes_.end()) break;  // config.reference
                    if (std::find(stack.begin(), stack.end(), it->second) != stack.end()) break;  // lint.cycle
                    if (stack.size() >= kMaxRouteNesting) {
                        p_.error(child.path, "config.too_large", "routes nested deeper than " + num(kMaxRouteNesting),
                                 "at most " + num(kMaxRouteNesting) + " routes referencing each other in a chain");
                        break;
                    }
                    if (!budget(out, child)) break;
                    const Route& target = config_.routes[it->second];
                    Policies inlined = resolve_policies(resolve_policies(policies, target.root.policy), child.policy);
                    check_policy_rules(inlined, child.policy, child.path, config_.server, p_);
                    std::size_t sub = out.groups.size();
                    out.groups.emplace_back();
                    out.groups[gi].children.push_back({true, sub, child.weight});
                    stack.push_back(it->second);
                    build_group(out, sub, target.root, inlined, child_drained, stack);
                    stack.pop_back();
                    break;
                }
            }
        }
        out.groups[gi].end_target = out.targets.size();
    }

    // A leaf: one target, or an expansion group over credentials x endpoints.
    void add_leaf(ResolvedRoute& out, std::size_t gi, const Node& leaf, const Policies& policies,
                  bool drained) {
        const Provider* provider = index_.provider(leaf.provider);
        const Model* model = index_.model(leaf.provider, leaf.model);
        if (!provider || !model) return;  // config.reference
        std::vector<const Credential*> credentials;
        if (leaf.credential) {
            for (const Credential& c : provider->credentials)
                if (c.id == *leaf.credential) credentials.push_back(&c);
            if (credentials.empty()) return;
            credentials.resize(1);
        } else if (provider->credentials.empty()) {
            credentials.push_back(nullptr);  // keyless
        } else {
            for (const Credential& c : provider->credentials) credentials.push_back(&c);
        }
        std::vector<const Endpoint*> endpoints;
        for (const Endpoint& e : provider->endpoints)
            if (!leaf.endpoint || e.id == *leaf.endpoint) endpoints.push_back(&e);
        if (endpoints.empty()) return;
        if (leaf.endpoint) endpoints.resize(1);

        std::size_t count = credentials.size() * endpoints.size();
        if (!budget(out, leaf, count)) return;
        std::size_t parent = gi;
        if (count > 1) {
            parent = out.groups.size();
            out.groups[gi].children.push_back({true, parent, leaf.weight});
            ResolvedGroup g;
            g.strategy = Strategy::fallback;
            g.expansion = true;
            g.path = leaf.path;
            g.policies = clamp_to_server(policies, config_.server);
            g.first_target = out.targets.size();
            out.groups.push_back(std::move(g));
        }
        std::size_t leaf_index = leaf_count(out);
        for (const Credential* c : credentials) {
            for (const Endpoint* e : endpoints) {
                ResolvedTarget t;
                t.index = out.targets.size();
                t.leaf = leaf_index;
                t.leaf_path = leaf.path;
                t.provider = provider->id;
                t.provider_index = std::size_t(provider - config_.providers.data());
                t.api_format = provider->api_format;
                t.endpoint_id = e->id;
                t.base_url = e->base_url;
                if (c) t.credential_id = c->id, t.credential_env = c->env;
                t.model = model->id;
                t.upstream_model = model->upstream_id();
                t.model_index = std::size_t(model - config_.models.data());
                t.policies = clamp_to_server(policies, config_.server);
                t.drained = drained;
                out.groups[parent].children.push_back({false, t.index, count > 1 ? 1.0 : leaf.weight});
                out.targets.push_back(std::move(t));
            }
        }
        if (count > 1) out.groups[parent].end_target = out.targets.size();
    }

    // Routes inlined into routes can multiply: every route has a budget of groups plus targets,
    // and so does the whole document.
    bool budget(const ResolvedRoute& out, const Node& at, std::size_t more = 1) {
        if (overflow_) return false;
        std::size_t here = out.targets.size() + out.groups.size() + more;
        if (here > kMaxResolvedTargets || total_ + here > kMaxResolvedTotal) {
            overflow_ = true;
            p_.error(at.path, "config.too_large",
                     "route " + quoted(out.name) + " expands to more than " + num(kMaxResolvedTargets) +
                         " targets and groups (or the document to more than " + num(kMaxResolvedTotal) + ")",
                     "fewer credentials x endpoints, or fewer routes inlined into routes");
            return false;
        }
        return true;
    }

    static std::size_t leaf_count(const ResolvedRoute& out) {
        return out.targets.empty() ? 0 : out.targets.back().leaf + 1;
    }

    Config& config_;
    const Index& index_;
    const std::unordered_map<std::string_view, std::size_t>& routes_;
    Problems& p_;
    bool overflow_ = false;

public:
    std::size_t total_ = 0;  // targets and groups of the routes resolved so far
};

// ---------------------------------------------------------------------------------------------
// Route lint over the resolved view: in every fallback group, each later target must be able to
// do what the primary (the first reachable target) does.

void lint_fallbacks(const Config& config, const ResolvedRoute& route, Problems& p) {
    bool continuation = config.server.continuation == Continuation::continue_;
    for (const ResolvedGroup& g : route.groups) {
        if (g.expansion || g.strategy == Strategy::loadbalance) continue;
        const ResolvedTarget* primary = nullptr;
        std::size_t primary_child = g.children.size();
        for (std::size_t k = 0; k < g.children.size() && !primary; ++k) {
            const ResolvedChild& c = g.children[k];
            if (c.weight <= 0) continue;
            std::size_t first = c.is_group ? route.groups[c.index].first_target : c.index;
            std::size_t end = c.is_group ? route.groups[c.index].end_target : c.index + 1;
            for (std::size_t t = first; t < end; ++t) {
                if (!route.targets[t].drained) {
                    primary = &route.targets[t];
                    primary_child = k;
                    break;
                }
            }
        }
        if (!primary) continue;
        const Model& pm = config.models[primary->model_index];
        for (std::size_t k = primary_child + 1; k < g.children.size(); ++k) {
            const ResolvedChild& c = g.children[k];
            std::size_t first = c.is_group ? route.groups[c.index].first_target : c.index;
            std::size_t end = c.is_group ? route.groups[c.index].end_target : c.index + 1;
            for (std::size_t t = first; t < end; ++t) {
                const ResolvedTarget& target = route.targets[t];
                if (target.drained) continue;
                const Model& m = config.models[target.model_index];
                std::string at = child_path(target.leaf_path, "model");
                std::string primary_text = "the primary " + model_name(pm) + " at " + primary->leaf_path;
                if (m.context_window < pm.context_window) {
                    p.error(at, "lint.context_window",
                            model_name(m) + " has context_window " + num(m.context_window),
                            "at least " + num(pm.context_window) + ", as " + primary_text);
                }
                std::string missing;
                if (pm.capabilities.tools && !m.capabilities.tools) missing += " tools";
                if (pm.capabilities.vision && !m.capabilities.vision) missing += " vision";
                if (!missing.empty()) {
                    p.error(at, "lint.capability", model_name(m) + " lacks" + missing,
                            "the capabilities of " + primary_text);
                }
                if (continuation && pm.capabilities.prefill && !m.capabilities.prefill) {
                    p.warning(at, "lint.capability", model_name(m) + " lacks prefill",
                              "prefill as " + primary_text + " (server.continuation is \"continue\": "
                              "this fallback can only restart)");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Automatic routing (reasoning.md 3.1): auto routes choose among declared routes, and classifier
// calls go to a route or one model.

using RouteIndex = std::unordered_map<std::string_view, std::size_t>;

bool names_route_or_model(std::string_view ref, const RouteIndex& routes, const Index& index) {
    if (routes.count(ref)) return true;
    std::size_t colon = ref.find(':');
    return colon != std::string_view::npos && index.model(ref.substr(0, colon), ref.substr(colon + 1));
}

void check_auto_routes(const Config& config, const RouteIndex& routes, const Index& index, Problems& p) {
    constexpr std::string_view kRouteOrModel = "a route declared in /routes (not an auto route) or a provider:model declared in /models";
    if (config.utility_model && !names_route_or_model(*config.utility_model, routes, index))
        p.error("/utility_model", "config.reference", quoted(*config.utility_model), std::string(kRouteOrModel));
    std::set<std::string_view> auto_names;
    for (const AutoRoute& a : config.auto_routes) {
        if (routes.count(a.name) || !auto_names.insert(a.name).second)
            p.error(child_path(a.path, "name"), "config.duplicate", quoted(a.name), "a route name not used before");
        std::set<std::string_view> seen;
        for (std::size_t i = 0; i < a.candidates.size(); ++i) {
            const std::string& c = a.candidates[i];
            std::string at = child_path(child_path(a.path, "candidates"), i);
            if (!routes.count(c))
                p.error(at, "config.reference", quoted(c), "a route declared in /routes (not an auto route)");
            else if (!seen.insert(c).second)
                p.error(at, "config.duplicate", quoted(c), "each candidate once");
        }
        if (a.default_route && !seen.count(*a.default_route))
            p.error(child_path(a.path, "default"), "config.reference", quoted(*a.default_route), "one of the candidates");
        if (a.classifier && !names_route_or_model(*a.classifier, routes, index))
            p.error(child_path(a.path, "classifier"), "config.reference", quoted(*a.classifier), std::string(kRouteOrModel));
        if (!a.classifier && !config.utility_model)
            p.error(child_path(a.path, "classifier"), "config.required", "missing, and no /utility_model",
                    "a classifier (route or provider:model), or a top-level utility_model");
    }
}

// A route that asks for the governor but whose models declare no knob would never be steered.
void lint_reasoning(const Config& config, const Sites& sites, Problems& p) {
    for (std::size_t i = 0; i < config.routes.size() && i < config.resolved.size(); ++i) {
        const ResolvedRoute& route = config.resolved[i];
        if (config.routes[i].reasoning != RouteReasoning::adaptive || route.targets.empty()) continue;
        bool steerable = std::any_of(route.targets.begin(), route.targets.end(), [&](const ResolvedTarget& t) {
            const auto& r = config.models[t.model_index].reasoning;
            return r && r->knob != reasoning::Knob::none;
        });
        if (!steerable)
            p.warning(child_path(sites.routes[i], "reasoning"), "lint.reasoning",
                      "\"adaptive\", but no model of the route declares a reasoning knob",
                      "a model with \"reasoning\": {\"knob\": \"effort\" or \"budget\"}, or reasoning \"off\"");
    }
}

}  // namespace

void check_and_resolve(Config& config, const Sites& sites, const EnvView& env, Problems& p) {
    check_providers(config, sites, env, p);
    Index index(config);
    check_models(config, index, sites, p);
    check_admin(config, sites, env, p);

    std::unordered_map<std::string_view, std::size_t> routes;
    for (std::size_t i = 0; i < config.routes.size(); ++i) {
        if (!routes.emplace(config.routes[i].name, i).second) {
            p.error(child_path(sites.routes[i], "name"), "config.duplicate", quoted(config.routes[i].name),
                    "a route name not used before");
        }
    }
    for (const Route& route : config.routes) check_references(index, route.root, routes, p);
    check_cycles(config, routes, p);

    check_policy_rules(config.base_policies(), config.defaults, "/defaults", config.server, p);

    Resolver resolver(config, index, routes, p);
    config.resolved.clear();
    config.resolved.reserve(config.routes.size());
    for (std::size_t i = 0; i < config.routes.size(); ++i) {
        config.resolved.push_back(resolver.resolve(i));
        resolver.total_ += config.resolved.back().targets.size() + config.resolved.back().groups.size();
    }
    for (const ResolvedRoute& route : config.resolved) lint_fallbacks(config, route, p);
    check_auto_routes(config, routes, index, p);
    lint_reasoning(config, sites, p);
}

}  // namespace reroute::config_detail

// Pass 1 of load_config: JSON text to declared data, with every schema problem (types, required
// and unknown members, formats, ranges). Mirrors core/config.schema.json member by member.
// Reads the document with reroute/json.hpp (strict Unicode, numbers with their source text), and
// reports what Boost.JSON, which this loader used before, reported: the same syntax error names
// and positions, int64 / uint64 / double number kinds and their printed forms.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <set>

#include "config_internal.hpp"
#include "reroute/json.hpp"

namespace reroute::config_detail {
namespace {

using JValue = json::Value;
using json::Kind;

// ---------------------------------------------------------------------------------------------
// Numbers as Boost.JSON classified and printed them: an integer literal that fits int64 is an
// int64, else one that fits uint64 a uint64; every other number a double, printed in the shortest
// round-trip digits as d.dddE<exponent> ("2.5E0", "5E3", "1E-1").

struct Number {
    enum class Type { int64, uint64, dbl } type = Type::dbl;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    double d = 0;
};

Number number_of(const JValue& v) {
    Number n;
    n.d = v.number;
    const json::IntegerLiteral l = json::integer_literal(v);  // ParseOptions::number_text
    n.type = l.type == json::IntegerLiteral::Type::int64    ? Number::Type::int64
             : l.type == json::IntegerLiteral::Type::uint64 ? Number::Type::uint64
                                                            : Number::Type::dbl;
    n.i = l.i;
    n.u = l.u;
    return n;
}

std::string double_text(double d) {
    if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
    if (std::isnan(d)) return "NaN";
    if (d == 0) return std::signbit(d) ? "-0E0" : "0E0";
    std::string js;
    json::write_number(js, std::fabs(d));  // shortest round-trip digits, JavaScript's layout
    std::string digits;
    int point = -1, exp10 = 0;
    std::size_t k = 0;
    for (; k < js.size() && js[k] != 'e'; ++k) {
        if (js[k] == '.') point = static_cast<int>(digits.size());
        else digits += js[k];
    }
    if (k < js.size()) {
        std::from_chars(js.data() + k + 1 + (js[k + 1] == '+' ? 1 : 0), js.data() + js.size(), exp10);
    }
    if (point < 0) point = static_cast<int>(digits.size());
    std::size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos) return "0E0";
    std::string significant = digits.substr(first);
    while (significant.size() > 1 && significant.back() == '0') significant.pop_back();
    const int e = point - static_cast<int>(first) - 1 + exp10;
    std::string out = d < 0 ? "-" : "";
    out += significant[0];
    if (significant.size() > 1) {
        out += '.';
        out.append(significant, 1);
    }
    return out + "E" + std::to_string(e);
}

std::string number_text(const JValue& v) {
    const Number n = number_of(v);
    switch (n.type) {
        case Number::Type::int64: return std::to_string(n.i);
        case Number::Type::uint64: return std::to_string(n.u);
        case Number::Type::dbl: break;
    }
    return double_text(n.d);
}

const JValue* if_object(const JValue& v) { return v.kind == Kind::object ? &v : nullptr; }
const JValue* if_array(const JValue& v) { return v.kind == Kind::array ? &v : nullptr; }

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
// A route name, or "<provider>:<model id>" (how requests name one model directly).
bool is_route_or_model_ref(std::string_view s) {
    if (is_route_name(s)) return true;
    std::size_t colon = s.find(':');
    return colon != std::string_view::npos && is_provider_slug(s.substr(0, colon)) &&
           is_model_id(s.substr(colon + 1));
}
// ^[a-z0-9][a-z0-9_-]{0,63}$ (agent types: part of the governor's profile key)
bool is_agent_type(std::string_view s) { return s.size() <= 64 && is_provider_slug(s); }
// One line for the classifier's prompt: at most 1000 characters (code points, as the schema's
// maxLength counts), no control characters. The parser has already checked the UTF-8.
bool is_one_line(std::string_view s) {
    std::size_t characters = 0;
    for (char c : s) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) return false;
        if ((byte & 0xC0) != 0x80) ++characters;
    }
    return characters <= 1000;
}

// ---------------------------------------------------------------------------------------------
// Rendering values for Problem::found

std::string render(const JValue& v) {
    switch (v.kind) {
        case Kind::object: return "object";
        case Kind::array: return "array";
        case Kind::string: return quoted(std::string_view(v.string));
        case Kind::null: return "null";
        case Kind::boolean: return v.boolean ? "true" : "false";
        case Kind::number: break;
    }
    return shorten(number_text(v));
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

    const JValue* object(const JValue& v, const std::string& path) {
        if (const JValue* o = if_object(v)) return o;
        p_.error(path, "config.type", render(v), "object");
        return nullptr;
    }
    const JValue* array(const JValue& v, const std::string& path) {
        if (const JValue* a = if_array(v)) return a;
        p_.error(path, "config.type", render(v), "array");
        return nullptr;
    }

    // Every member not in `known` is an error (typos never pass silently).
    void only(const JValue& o, const std::string& path, Known known) {
        // A repeated key counts once, at its first place (as Boost.JSON's object kept it).
        std::set<std::string_view> seen;
        for (const auto& kv : o.members) {
            std::string_view key = kv.first;
            if (o.members.size() > 1 && !seen.insert(key).second) continue;
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

    const JValue* get(const JValue& o, std::string_view key, const std::string& path,
                      bool required, std::string_view expected) {
        if (const JValue* v = o.find(key)) return v;
        if (required) p_.error(child_path(path, key), "config.required", "missing", std::string(expected));
        return nullptr;
    }

    std::optional<std::string> string(const JValue& o, std::string_view key,
                                      const std::string& path, bool required = false) {
        const JValue* v = get(o, key, path, required, "string");
        if (!v) return std::nullopt;
        if (v->kind == Kind::string) return v->string;
        p_.error(child_path(path, key), "config.type", render(*v), "string");
        return std::nullopt;
    }

    // A string member that must match a format; reports config.format with `expected`.
    std::optional<std::string> formatted(const JValue& o, std::string_view key,
                                         const std::string& path, bool required,
                                         bool (*valid)(std::string_view), std::string_view expected) {
        auto s = string(o, key, path, required);
        if (s && !valid(*s)) {
            p_.error(child_path(path, key), "config.format", quoted(shorten(*s)), std::string(expected));
            return std::nullopt;
        }
        return s;
    }

    std::optional<bool> boolean(const JValue& o, std::string_view key, const std::string& path) {
        const JValue* v = get(o, key, path, false, "boolean");
        if (!v) return std::nullopt;
        if (v->kind == Kind::boolean) return v->boolean;
        p_.error(child_path(path, key), "config.type", render(*v), "boolean");
        return std::nullopt;
    }

    // An integer (JSON Schema "integer": 5000.0 counts) within [lo, hi].
    std::optional<std::int64_t> integer(const JValue& o, std::string_view key,
                                        const std::string& path, std::int64_t lo, std::int64_t hi,
                                        bool required = false) {
        const JValue* v = get(o, key, path, required, range_text(lo, hi));
        if (!v) return std::nullopt;
        std::string at = child_path(path, key);
        bool out_of_range = false;
        std::int64_t value = 0;
        const Number n = v->kind == Kind::number ? number_of(*v) : Number{};
        if (v->kind == Kind::number && n.type == Number::Type::int64) {
            value = n.i;
            out_of_range = value < lo || value > hi;
        } else if (v->kind == Kind::number && n.type == Number::Type::uint64) {
            out_of_range = true;  // beyond int64: above every range here
        } else if (v->kind == Kind::number) {
            const double* d = &n.d;
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
    std::optional<int> small(const JValue& o, std::string_view key, const std::string& path,
                             int lo, int hi) {
        auto v = integer(o, key, path, lo, hi);
        if (!v) return std::nullopt;
        return int(*v);
    }

    std::optional<double> number(const JValue& o, std::string_view key, const std::string& path,
                                 double lo, double hi) {
        const JValue* v = get(o, key, path, false, "number");
        if (!v) return std::nullopt;
        std::string at = child_path(path, key);
        double value;
        if (v->kind == Kind::number) {
            const Number n = number_of(*v);
            value = n.type == Number::Type::int64 ? double(n.i) : n.type == Number::Type::uint64 ? double(n.u) : n.d;
        } else {
            p_.error(at, "config.type", render(*v), "number");
            return std::nullopt;
        }
        if (!(value >= lo && value <= hi)) {
            p_.error(at, "config.range", render(*v), "number " + shorten(double_text(lo)) +
                                                     ".." + shorten(double_text(hi)));
            return std::nullopt;
        }
        return value;
    }

    // One of `names`; returns its index.
    std::optional<std::size_t> choice(const JValue& o, std::string_view key,
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

void read_retry(Reader& r, const JValue& v, const std::string& path, RetryOverrides& out) {
    const JValue* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"max_attempts", "same_target_retries", "backoff_base_ms", "backoff_cap_ms",
                      "retry_hint_cap_ms", "budget_min", "budget_percent"});
    out.max_attempts = r.small(*o, "max_attempts", path, 1, kMaxAttemptsCeiling);
    if (const JValue* st = o->find("same_target_retries")) {
        std::string sp = child_path(path, "same_target_retries");
        if (const JValue* so = r.object(*st, sp)) {
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

void read_timeout(Reader& r, const JValue& v, const std::string& path, TimeoutOverrides& out) {
    const JValue* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"connect_timeout_ms", "first_token_timeout_ms", "idle_timeout_ms",
                      "deadline_ms", "min_attempt_ms"});
    out.connect_timeout_ms = r.integer(*o, "connect_timeout_ms", path, 1, kDeadlineCeilingMs);
    out.first_token_timeout_ms = r.integer(*o, "first_token_timeout_ms", path, 1, kDeadlineCeilingMs);
    out.idle_timeout_ms = r.integer(*o, "idle_timeout_ms", path, 1, kDeadlineCeilingMs);
    out.deadline_ms = r.integer(*o, "deadline_ms", path, 1, kDeadlineCeilingMs);
    out.min_attempt_ms = r.integer(*o, "min_attempt_ms", path, 0, kDeadlineCeilingMs);
}

void read_breaker(Reader& r, const JValue& v, const std::string& path, BreakerOverrides& out) {
    const JValue* o = r.object(v, path);
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

void read_classes(Reader& r, const JValue& v, const std::string& path, ClassOverrides& out) {
    const JValue* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"route_around_content_filter", "prefer", "continuation_budget"});
    out.route_around_content_filter = r.boolean(*o, "route_around_content_filter", path);
    if (auto i = r.choice(*o, "prefer", path, {"same_model_first", "next_target"}))
        out.prefer = Prefer(*i);
    out.continuation_budget = r.small(*o, "continuation_budget", path, 0, kMaxAttemptsCeiling);
}

// The four policy members, wherever they may appear.
void read_policies(Reader& r, const JValue& o, const std::string& path, PolicyOverrides& out) {
    if (const JValue* v = o.find("retry")) read_retry(r, *v, child_path(path, "retry"), out.retry);
    if (const JValue* v = o.find("timeout"))
        read_timeout(r, *v, child_path(path, "timeout"), out.timeout);
    if (const JValue* v = o.find("breaker"))
        read_breaker(r, *v, child_path(path, "breaker"), out.breaker);
    if (const JValue* v = o.find("classes"))
        read_classes(r, *v, child_path(path, "classes"), out.classes);
}

// ---------------------------------------------------------------------------------------------
// Providers and models

void read_provider(Reader& r, const JValue& v, const std::string& path, Config& config,
                   Sites& sites) {
    const JValue* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"id", "api_format", "base_url", "endpoints", "credentials", "allow_private_hosts"});
    Provider provider;
    ProviderSite site;
    site.path = path;
    auto id = r.formatted(*o, "id", path, true, is_provider_slug,
                          "a slug: [a-z0-9][a-z0-9_-]{0,99}");
    if (auto f = r.choice(*o, "api_format", path, {"openai", "anthropic"})) provider.api_format = ApiFormat(*f);
    provider.allow_private_hosts = r.boolean(*o, "allow_private_hosts", path).value_or(false);

    const JValue* base = o->find("base_url");
    const JValue* endpoints = o->find("endpoints");
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
        if (const JValue* a = r.array(*endpoints, ep)) {
            if (a->items.empty()) r.problems().error(ep, "config.range", "0 items", "at least 1 endpoint");
            for (std::size_t i = 0; i < a->items.size(); ++i) {
                std::string item = child_path(ep, i);
                const JValue* e = r.object(a->items[i], item);
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
    if (const JValue* creds = o->find("credentials")) {
        std::string cp = child_path(path, "credentials");
        if (const JValue* a = r.array(*creds, cp)) {
            for (std::size_t i = 0; i < a->items.size(); ++i) {
                std::string item = child_path(cp, i);
                const JValue* c = r.object(a->items[i], item);
                if (!c) continue;
                r.only(*c, item, {"id", "env"});
                auto env = r.formatted(*c, "env", item, true, is_env_name,
                                       "an environment variable name: [A-Za-z_][A-Za-z0-9_]{0,127}");
                bool id_given = c->find("id") != nullptr;
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

// A model's "reasoning" object (reasoning.md 3.1) as the governor's capability, with the model's
// output cap. Budget bounds belong to the budget knob, "minimal" to the effort knob; the smallest
// budget must fit the model's output.
std::optional<reasoning::Capability> read_reasoning_support(Reader& r, const JValue& v, const std::string& path,
                                                       std::optional<std::int64_t> max_output_tokens) {
    const JValue* o = r.object(v, path);
    if (!o) return std::nullopt;
    r.only(*o, path, {"knob", "supports_minimal", "min_budget_tokens", "max_budget_tokens"});
    reasoning::Capability support;
    support.max_output_tokens = max_output_tokens;
    std::optional<std::size_t> knob;
    if (r.get(*o, "knob", path, true, "one of \"none\" \"effort\" \"budget\""))
        knob = r.choice(*o, "knob", path, {"none", "effort", "budget"});
    if (knob) support.knob = reasoning::Knob(*knob);
    support.supports_minimal = r.boolean(*o, "supports_minimal", path).value_or(false);
    support.min_budget_tokens = r.integer(*o, "min_budget_tokens", path, 1, 100'000'000);
    support.max_budget_tokens = r.integer(*o, "max_budget_tokens", path, 1, 100'000'000);
    if (knob && support.knob != reasoning::Knob::budget) {
        for (std::string_view member : {"min_budget_tokens", "max_budget_tokens"}) {
            if (o->find(member))
                r.problems().error(child_path(path, member), "config.conflict",
                                   std::string(member) + " with knob " + quoted(to_string(support.knob)),
                                   "knob \"budget\"");
        }
    }
    if (knob && support.knob != reasoning::Knob::effort && o->find("supports_minimal")) {
        r.problems().error(child_path(path, "supports_minimal"), "config.conflict",
                           "supports_minimal with knob " + quoted(to_string(support.knob)), "knob \"effort\"");
    }
    if (support.min_budget_tokens && support.max_budget_tokens &&
        *support.max_budget_tokens < *support.min_budget_tokens) {
        r.problems().error(child_path(path, "max_budget_tokens"), "config.range",
                           std::to_string(*support.max_budget_tokens),
                           "at least min_budget_tokens (" + std::to_string(*support.min_budget_tokens) + ")");
    }
    if (support.min_budget_tokens && max_output_tokens && *support.min_budget_tokens > *max_output_tokens) {
        r.problems().error(child_path(path, "min_budget_tokens"), "config.range",
                           std::to_string(*support.min_budget_tokens),
                           "at most max_output_tokens (" + std::to_string(*max_output_tokens) + ")");
    }
    if (!knob) return std::nullopt;
    return support;
}

void read_model(Reader& r, const JValue& v, const std::string& path, Config& config, Sites& sites) {
    const JValue* o = r.object(v, path);
    if (!o) return;
    r.only(*o, path, {"provider", "id", "native_id", "context_window", "max_output_tokens",
                      "input_price", "output_price", "capabilities", "reasoning"});
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
    if (const JValue* caps = o->find("capabilities")) {
        std::string cp = child_path(path, "capabilities");
        if (const JValue* c = r.object(*caps, cp)) {
            r.only(*c, cp, {"tools", "vision", "prefill", "reasoning"});
            model.capabilities.tools = r.boolean(*c, "tools", cp).value_or(false);
            model.capabilities.vision = r.boolean(*c, "vision", cp).value_or(false);
            model.capabilities.prefill = r.boolean(*c, "prefill", cp).value_or(false);
            model.capabilities.reasoning = r.boolean(*c, "reasoning", cp).value_or(false);
        }
    }
    if (const JValue* reasoning = o->find("reasoning"))
        model.reasoning = read_reasoning_support(r, *reasoning, child_path(path, "reasoning"), output);
    if (!provider || !id) return;
    model.provider = *provider;
    model.id = *id;
    config.models.push_back(std::move(model));
    sites.models.push_back(path);
}

// ---------------------------------------------------------------------------------------------
// Routes


void read_group_body(Reader& r, const JValue& o, const std::string& path, Node& node);

Node read_node(Reader& r, const JValue& v, const std::string& path) {
    Node node;
    node.path = path;
    const JValue* o = r.object(v, path);
    if (!o) {
        node.kind = NodeKind::group;  // inert: an empty group reports nothing further
        return node;
    }
    if (auto w = r.number(*o, "weight", path, 0, 1'000'000)) node.weight = *w;
    read_policies(r, *o, path, node.policy);
    if (o->find("route")) {
        node.kind = NodeKind::route_ref;
        r.only(*o, path, {"route", "weight", "retry", "timeout", "breaker", "classes"});
        node.route = r.formatted(*o, "route", path, true, is_route_name,
                                 "a route name: [A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}")
                         .value_or("");
    } else if (o->find("targets") || o->find("strategy")) {
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
void read_group_body(Reader& r, const JValue& o, const std::string& path, Node& node) {
    node.kind = NodeKind::group;
    if (auto s = r.choice(o, "strategy", path, {"single", "fallback", "loadbalance"}))
        node.strategy = Strategy(*s);
    if (o.find("balance")) {
        if (auto b = r.choice(o, "balance", path, {"weighted", "least_in_flight", "sticky"}))
            node.balance = LoadBalance(*b);
        if (node.strategy != Strategy::loadbalance) {
            r.problems().error(child_path(path, "balance"), "config.conflict",
                               "balance with strategy " + quoted(to_string(node.strategy)),
                               "strategy \"loadbalance\"");
        }
    }
    const JValue* targets = r.get(o, "targets", path, true, "array of targets, groups or route references");
    if (!targets) return;
    std::string tp = child_path(path, "targets");
    const JValue* a = r.array(*targets, tp);
    if (!a) return;
    if (a->items.empty()) r.problems().error(tp, "config.range", "0 items", "at least 1 target");
    node.children.reserve(a->items.size());
    for (std::size_t i = 0; i < a->items.size(); ++i) node.children.push_back(read_node(r, a->items[i], child_path(tp, i)));
}

constexpr std::string_view kRouteNameFormat = "a route name: [A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}";

// {"strategy": "auto", "candidates": [...], "default"?, "classifier"?} (reasoning.md 3.1).
void read_auto_route(Reader& r, const JValue& o, const std::string& path, std::optional<std::string> name,
                     Config& config) {
    r.only(o, path, {"name", "strategy", "candidates", "default", "classifier"});
    AutoRoute route;
    route.path = path;
    if (const JValue* list = r.get(o, "candidates", path, true, "array of route names")) {
        std::string lp = child_path(path, "candidates");
        if (const JValue* a = r.array(*list, lp)) {
            if (a->items.empty()) r.problems().error(lp, "config.range", "0 items", "at least 1 route name");
            for (std::size_t i = 0; i < a->items.size(); ++i) {
                const JValue& item = a->items[i];
                std::string ip = child_path(lp, i);
                if (item.kind != Kind::string) r.problems().error(ip, "config.type", render(item), "string");
                else if (!is_route_name(item.string))
                    r.problems().error(ip, "config.format", quoted(shorten(item.string)), std::string(kRouteNameFormat));
                else route.candidates.push_back(item.string);
            }
        }
    }
    route.default_route = r.formatted(o, "default", path, false, is_route_name, kRouteNameFormat);
    route.classifier = r.formatted(o, "classifier", path, false, is_route_or_model_ref,
                                   "a route name or a provider:model reference");
    if (!name) return;
    route.name = std::move(*name);
    config.auto_routes.push_back(std::move(route));
}

void read_route(Reader& r, const JValue& v, const std::string& path, Config& config, Sites& sites) {
    const JValue* o = r.object(v, path);
    if (!o) return;
    auto name = r.formatted(*o, "name", path, true, is_route_name, kRouteNameFormat);
    const JValue* strategy = o->find("strategy");
    if (strategy && strategy->kind == Kind::string && strategy->string == "auto") {
        read_auto_route(r, *o, path, std::move(name), config);
        return;
    }
    r.only(*o, path, {"name", "strategy", "balance", "targets", "retry", "timeout", "breaker", "classes",
                      "description", "agent_type", "max_steps", "reasoning"});
    Route route;
    if (name && *name == "auto") {
        r.problems().error(child_path(path, "name"), "config.reserved", "\"auto\"",
                           "strategy \"auto\" (the name auto is for automatic routing), or another name");
        name.reset();
    }
    route.root.path = path;
    read_policies(r, *o, path, route.root.policy);
    read_group_body(r, *o, path, route.root);
    route.description = r.formatted(*o, "description", path, false, is_one_line,
                                    "one line: at most 1000 characters, no control characters")
                            .value_or("");
    route.agent_type = r.formatted(*o, "agent_type", path, false, is_agent_type,
                                   "an agent type: [a-z0-9][a-z0-9_-]{0,63}")
                           .value_or("chat");
    route.max_steps = r.small(*o, "max_steps", path, 0, 1000).value_or(0);
    if (auto mode = r.choice(*o, "reasoning", path, {"off", "adaptive"})) route.reasoning = RouteReasoning(*mode);
    if (!name) return;
    route.name = *name;
    config.routes.push_back(std::move(route));
    sites.routes.push_back(path);
}

// ---------------------------------------------------------------------------------------------
// Top level

template <class F>
void each_item(Reader& r, const JValue& root, std::string_view key, bool required, F&& f) {
    const JValue* v = r.get(root, key, "", required, "array");
    if (!v) return;
    std::string path = child_path("", key);
    const JValue* a = r.array(*v, path);
    if (!a) return;
    for (std::size_t i = 0; i < a->items.size(); ++i) f(a->items[i], child_path(path, i));
}

void read_server(Reader& r, const JValue& v, const std::string& path, ServerLimits& out) {
    const JValue* o = r.object(v, path);
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

// The last of two equal keys wins, as in JSON.parse. A repeated key in a config is almost always
// a mistake: every repeat is reported, in document order. Iterative: the depth is bounded by the
// parser's limit.
void report_duplicate_keys(const JValue& doc, Problems& problems) {
    struct Frame {
        const JValue* value;
        std::string path;
        std::size_t next = 0;  // the next member or item to visit
        std::set<std::string_view> keys;
    };
    std::vector<Frame> stack;
    if (doc.kind == Kind::object || doc.kind == Kind::array) stack.push_back(Frame{&doc, "", 0, {}});
    while (!stack.empty()) {
        Frame& f = stack.back();
        const JValue& v = *f.value;
        const std::size_t n = v.kind == Kind::object ? v.members.size() : v.items.size();
        if (f.next >= n) {
            stack.pop_back();
            continue;
        }
        const std::size_t i = f.next++;
        const JValue* child;
        std::string path;
        if (v.kind == Kind::object) {
            const std::string& key = v.members[i].first;
            path = child_path(f.path, key);
            if (!f.keys.insert(key).second)
                problems.error(path, "config.duplicate", quoted(key) + " given twice",
                               "each member once (the last one would silently win)");
            child = &v.members[i].second;
        } else {
            path = child_path(f.path, i);
            child = &v.items[i];
        }
        if (child->kind == Kind::object || child->kind == Kind::array)
            stack.push_back(Frame{child, std::move(path), 0, {}});  // f may dangle from here
    }
}
}  // namespace

bool parse_document(std::string_view text, Config& config, Sites& sites, Problems& problems) {
    if (text.size() > kMaxConfigBytes) {
        problems.error("", "config.too_large", std::to_string(text.size()) + " bytes",
                       "at most " + std::to_string(kMaxConfigBytes) + " bytes");
        return false;
    }
    json::ParseOptions options;
    options.max_depth = kMaxConfigDepth;
    options.strict_unicode = true;
    options.number_text = true;
    json::ParseError error;
    std::optional<JValue> parsed = json::parse(text, options, &error);
    if (!parsed) {
        SourcePosition pos = position_of(text, error.offset);
        bool too_deep = error.code == json::ParseError::Code::too_deep;
        Problem p;
        p.path = "";
        p.code = too_deep ? "config.too_large" : "config.syntax";
        p.found = std::string(json::to_string(error.code)) + " at line " +
                  std::to_string(pos.line) + ", column " + std::to_string(pos.column) + " (byte " +
                  std::to_string(pos.offset) + ")";
        p.expected = too_deep ? "nesting depth at most " + std::to_string(kMaxConfigDepth) : "a JSON document";
        p.position = pos;
        problems.push(std::move(p));
        return false;
    }
    const JValue& doc = *parsed;

    report_duplicate_keys(doc, problems);

    Reader r(problems);
    const JValue* root = r.object(doc, "");
    if (!root) return true;
    r.only(*root, "", {"$schema", "$comment", "version", "allow_private_hosts", "providers", "models", "routes",
                       "defaults", "server", "admin", "utility_model"});
    config.utility_model = r.formatted(*root, "utility_model", "", false, is_route_or_model_ref,
                                       "a route name or a provider:model reference");
    r.string(*root, "$schema", "");
    r.string(*root, "$comment", "");
    r.integer(*root, "version", "", 1, 1);
    config.allow_private_hosts = r.boolean(*root, "allow_private_hosts", "").value_or(false);
    each_item(r, *root, "providers", true,
              [&](const JValue& v, const std::string& path) { read_provider(r, v, path, config, sites); });
    each_item(r, *root, "models", true,
              [&](const JValue& v, const std::string& path) { read_model(r, v, path, config, sites); });
    each_item(r, *root, "routes", true,
              [&](const JValue& v, const std::string& path) { read_route(r, v, path, config, sites); });
    if (const JValue* d = root->find("defaults")) {
        if (const JValue* o = r.object(*d, "/defaults")) {
            r.only(*o, "/defaults", {"retry", "timeout", "breaker", "classes"});
            read_policies(r, *o, "/defaults", config.defaults);
        }
    }
    if (const JValue* s = root->find("server")) read_server(r, *s, "/server", config.server);
    if (const JValue* a = root->find("admin")) {
        if (const JValue* o = r.object(*a, "/admin")) {
            r.only(*o, "/admin", {"secret_env"});
            config.admin.secret_env = r.formatted(*o, "secret_env", "/admin", false, is_env_name,
                                                  "an environment variable name: [A-Za-z_][A-Za-z0-9_]{0,127}");
            if (config.admin.secret_env) sites.admin_secret = "/admin/secret_env";
        }
    }
    return true;
}

}  // namespace reroute::config_detail

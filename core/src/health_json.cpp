// The health state as it travels between isolates: its JSON form (to_json, from_json) and the
// merge of two states. Apart from the per-request asking and recording in health.cpp, so that the
// WebAssembly build compiles this for size (health is on its list of speed-compiled sources).
#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <tuple>

#include "reroute/health.hpp"
#include "reroute/json.hpp"

namespace reroute {
namespace {

// Merge of two benches of the same resource: higher epoch, then the later deadline, then a fixed
// order of the remaining fields, so the result never depends on argument order.
Bench merge_bench(const Bench& a, const Bench& b) noexcept {
    auto key = [](const Bench& x) {
        return std::make_tuple(x.epoch, x.until_ms, x.since_ms, static_cast<int>(x.code), x.admin, x.restored);
    };
    return key(a) >= key(b) ? a : b;
}

// ---- JSON writing -------------------------------------------------------------------------

void put_int(std::string& out, std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}
void put_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// [since, until (-1 = never), epoch, "code", flags (1 admin, 2 restored)]
void put_bench(std::string& out, const Bench& b) {
    out += '[';
    put_int(out, b.since_ms);
    out += ',';
    put_int(out, b.until_ms == kNever ? -1 : b.until_ms);
    out += ',';
    put_uint(out, b.epoch);
    out += ",\"";
    out += to_string(b.code);
    out += "\",";
    put_uint(out, (b.admin ? 1u : 0u) | (b.restored ? 2u : 0u));
    out += ']';
}

// [epoch, ejected, ejected_at, until, n, healthy_since, consecutive, probe_until,
//  [[bucket index, successes, failures], ...], successes, local, upstream, ejections, eject_ms]
void put_breaker(std::string& out, const BreakerState& s) {
    out += '[';
    put_uint(out, s.epoch);
    out += s.ejected ? ",1," : ",0,";
    put_int(out, s.ejected_at_ms);
    out += ',';
    put_int(out, s.eject_until_ms);
    out += ',';
    put_uint(out, s.n);
    out += ',';
    put_int(out, s.healthy_since_ms);
    out += ',';
    put_uint(out, s.consecutive);
    out += ',';
    put_int(out, s.probe_until_ms);
    out += ",[";
    bool first = true;
    for (std::size_t i = 0; i < s.window.size(); ++i) {
        const BreakerBucket& b = s.window[i];
        if (b.index < 0 && b.successes == 0 && b.failures == 0) continue;
        if (!first) out += ',';
        first = false;
        out += '[';
        put_int(out, b.index);
        out += ',';
        put_uint(out, b.successes);
        out += ',';
        put_uint(out, b.failures);
        out += ']';
    }
    out += "],";
    put_uint(out, s.successes);
    out += ',';
    put_uint(out, s.local_failures);
    out += ',';
    put_uint(out, s.upstream_failures);
    out += ',';
    put_uint(out, s.ejections);
    out += ',';
    put_int(out, s.eject_ms);
    out += ']';
}

// ---- JSON reading -------------------------------------------------------------------------

struct Reader {
    std::string* error;
    bool fail(const std::string& path, std::string_view what) {
        if (error) *error = path + ": " + std::string(what);
        return false;
    }
    // Integers as Boost.JSON (used here before) typed them: integer literals only, exactly.
    bool get_int(const json::Value& v, const std::string& path, std::int64_t& out) {
        const json::IntegerLiteral l = json::integer_literal(v);
        if (l.type == json::IntegerLiteral::Type::int64) {
            out = l.i;
            return true;
        }
        return fail(path, "expected an integer");
    }
    template <class U>
    bool get_uint(const json::Value& v, const std::string& path, U& out) {
        std::int64_t i = 0;
        if (const json::IntegerLiteral l = json::integer_literal(v); l.type == json::IntegerLiteral::Type::uint64) {
            if (l.u > static_cast<std::uint64_t>(std::numeric_limits<U>::max()))
                return fail(path, "expected a non-negative integer in range");
            out = static_cast<U>(l.u);
            return true;
        }
        if (!get_int(v, path, i)) return false;
        if (i < 0 || static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(std::numeric_limits<U>::max()))
            return fail(path, "expected a non-negative integer in range");
        out = static_cast<U>(i);
        return true;
    }
    // The array's items, or nullptr.
    const std::vector<json::Value>* get_array(const json::Value& v, const std::string& path,
                                              std::size_t min_size, std::size_t max_size) {
        if (v.kind != json::Kind::array) {
            fail(path, "expected an array");
            return nullptr;
        }
        const std::vector<json::Value>* a = &v.items;
        if (a->size() < min_size || a->size() > max_size) {
            fail(path, "expected an array of " + std::to_string(min_size) +
                           (min_size == max_size ? "" : " to " + std::to_string(max_size)) + " elements");
            return nullptr;
        }
        return a;
    }

    bool read_id(const json::Value& v, const std::string& path, std::optional<ResourceId>& out) {
        const auto* a = get_array(v, path, 3, 4);
        if (!a) return false;
        std::array<std::string_view, 4> s{};
        for (std::size_t i = 0; i < a->size(); ++i) {
            if (!(*a)[i].is_string()) return fail(path + "/" + std::to_string(i), "expected a string");
            s[i] = (*a)[i].string;
        }
        const auto kind = parse_resource_kind(s[0]);
        if (!kind) return fail(path + "/0", "expected a resource kind");
        if (a->size() != part_count(*kind) + 1)
            return fail(path, "expected " + std::to_string(part_count(*kind)) + " parts for " + std::string(s[0]));
        out = ResourceId::from_parts(*kind, s[1], s[2], s[3]);
        return true;
    }

    bool read_bench(const json::Value& v, const std::string& path, Bench& b) {
        const auto* a = get_array(v, path, 5, 5);
        if (!a) return false;
        std::int64_t until = 0;
        unsigned flags = 0;
        if (!get_int((*a)[0], path + "/0", b.since_ms) || !get_int((*a)[1], path + "/1", until) ||
            !get_uint((*a)[2], path + "/2", b.epoch) || !get_uint((*a)[4], path + "/4", flags))
            return false;
        b.until_ms = until == -1 ? kNever : until;
        const auto parsed = (*a)[3].is_string() ? parse_error_code((*a)[3].string) : std::nullopt;
        if (!parsed) return fail(path + "/3", "expected an error code");
        b.code = *parsed;
        if (flags > 3) return fail(path + "/4", "expected flags 0 to 3");
        b.admin = flags & 1u;
        b.restored = flags & 2u;
        return true;
    }

    bool read_breaker(const json::Value& v, const std::string& path, BreakerState& s) {
        const auto* a = get_array(v, path, 14, 14);
        if (!a) return false;
        unsigned ejected = 0;
        if (!get_uint((*a)[0], path + "/0", s.epoch) || !get_uint((*a)[1], path + "/1", ejected) ||
            !get_int((*a)[2], path + "/2", s.ejected_at_ms) || !get_int((*a)[3], path + "/3", s.eject_until_ms) ||
            !get_uint((*a)[4], path + "/4", s.n) || !get_int((*a)[5], path + "/5", s.healthy_since_ms) ||
            !get_uint((*a)[6], path + "/6", s.consecutive) || !get_int((*a)[7], path + "/7", s.probe_until_ms) ||
            !get_uint((*a)[9], path + "/9", s.successes) || !get_uint((*a)[10], path + "/10", s.local_failures) ||
            !get_uint((*a)[11], path + "/11", s.upstream_failures) || !get_uint((*a)[12], path + "/12", s.ejections) ||
            !get_int((*a)[13], path + "/13", s.eject_ms))
            return false;
        if (ejected > 1) return fail(path + "/1", "expected 0 or 1");
        if (s.n < 1) return fail(path + "/4", "expected n >= 1");
        s.ejected = ejected == 1;
        const auto* w = get_array((*a)[8], path + "/8", 0, kBreakerBuckets);
        if (!w) return false;
        s.window = {};
        for (std::size_t i = 0; i < w->size(); ++i) {
            const std::string bp = path + "/8/" + std::to_string(i);
            const auto* b = get_array((*w)[i], bp, 3, 3);
            if (!b) return false;
            BreakerBucket bucket;
            if (!get_int((*b)[0], bp + "/0", bucket.index) || !get_uint((*b)[1], bp + "/1", bucket.successes) ||
                !get_uint((*b)[2], bp + "/2", bucket.failures))
                return false;
            const std::int64_t m = bucket.index % kBreakerBuckets;
            const std::size_t slot = static_cast<std::size_t>(m < 0 ? m + kBreakerBuckets : m);
            if (s.window[slot].index != -1 || s.window[slot].successes || s.window[slot].failures)
                return fail(bp + "/0", "expected at most one bucket per slot");
            s.window[slot] = bucket;
        }
        return true;
    }
};

}  // namespace

// ---- JSON ---------------------------------------------------------------------------------

std::string HealthState::to_json() const {
    std::string out;
    out.reserve(64 + items_.size() * 160);
    out += "{\"v\":1,\"t\":[";
    const HealthTotals& t = totals_;
    const std::uint64_t tv[] = {t.successes, t.local_failures, t.upstream_failures, t.ejections,
                                t.suppressed_ejections, t.probes, t.benches, t.coolings};
    for (std::size_t i = 0; i < std::size(tv); ++i) {
        if (i) out += ',';
        put_uint(out, tv[i]);
    }
    out += "],\"r\":[";
    bool first = true;
    for (std::uint32_t i : sorted_indices()) {
        const Item& it = items_[i];
        if (!first) out += ',';
        first = false;
        out += '[';
        it.id.append_json(out);
        out += ',';
        if (it.entry.bench) put_bench(out, *it.entry.bench);
        else out += '0';
        out += ',';
        if (it.entry.breaker) put_breaker(out, *it.entry.breaker);
        else out += '0';
        out += ']';
    }
    out += "]}";
    return out;
}

std::optional<HealthState> HealthState::from_json(std::string_view text, HealthParams params, std::string* error) {
    Reader rd{error};
    // Strict Unicode and exact integers, as Boost.JSON (used here before) read them.
    json::ParseOptions options;
    options.strict_unicode = true;
    options.number_text = true;
    json::ParseError perr;
    const std::optional<json::Value> root = json::parse(text, options, &perr);
    if (!root) {
        rd.fail("", "not JSON (" + std::string(json::to_string(perr.code)) + ")");
        return std::nullopt;
    }
    if (!root->is_object()) {
        rd.fail("", "expected an object");
        return std::nullopt;
    }
    const json::Value* obj = &*root;
    const auto* v = obj->find("v");
    const json::IntegerLiteral version = v ? json::integer_literal(*v) : json::IntegerLiteral{};
    if (version.type != json::IntegerLiteral::Type::int64 || version.i != 1) {
        rd.fail("/v", "expected version 1");
        return std::nullopt;
    }
    HealthState st(params);
    if (const auto* tv = obj->find("t")) {
        const auto* ta = rd.get_array(*tv, "/t", 8, 8);
        if (!ta) return std::nullopt;
        std::uint64_t* fields[] = {&st.totals_.successes, &st.totals_.local_failures, &st.totals_.upstream_failures,
                                   &st.totals_.ejections, &st.totals_.suppressed_ejections, &st.totals_.probes,
                                   &st.totals_.benches, &st.totals_.coolings};
        for (std::size_t i = 0; i < 8; ++i)
            if (!rd.get_uint((*ta)[i], "/t/" + std::to_string(i), *fields[i])) return std::nullopt;
    }
    const auto* rv = obj->find("r");
    if (!rv) {
        rd.fail("/r", "missing");
        return std::nullopt;
    }
    const auto* ra = rd.get_array(*rv, "/r", 0, static_cast<std::size_t>(-1));
    if (!ra) return std::nullopt;
    st.items_.reserve(ra->size());
    for (std::size_t i = 0; i < ra->size(); ++i) {
        const std::string path = "/r/" + std::to_string(i);
        const auto* e = rd.get_array((*ra)[i], path, 3, 3);
        if (!e) return std::nullopt;
        std::optional<ResourceId> id;
        if (!rd.read_id((*e)[0], path + "/0", id)) return std::nullopt;
        HealthEntry entry;
        auto is_zero = [](const json::Value& x) {
            const json::IntegerLiteral l = json::integer_literal(x);
            return l.type == json::IntegerLiteral::Type::int64 && l.i == 0;
        };
        if (!is_zero((*e)[1])) {
            Bench b;
            if (!rd.read_bench((*e)[1], path + "/1", b)) return std::nullopt;
            entry.bench = b;
        }
        if (!is_zero((*e)[2])) {
            BreakerState b;
            if (!rd.read_breaker((*e)[2], path + "/2", b)) return std::nullopt;
            entry.breaker = b;
        }
        if (st.find(*id)) {
            rd.fail(path + "/0", "duplicate resource");
            return std::nullopt;
        }
        st.upsert(*id) = std::move(entry);
    }
    return st;
}

HealthState HealthState::merge(const HealthState& a, const HealthState& b) {
    HealthState r(a.params_);
    r.items_.reserve(a.items_.size() + b.items_.size());
    for (const Item& it : a.items_) r.items_.push_back(it);
    r.rebuild_index();
    for (const Item& it : b.items_) {
        HealthEntry& e = r.upsert(it.id);
        if (it.entry.bench) e.bench = e.bench ? merge_bench(*e.bench, *it.entry.bench) : *it.entry.bench;
        if (it.entry.breaker)
            e.breaker = e.breaker ? breaker::merge(*e.breaker, *it.entry.breaker) : *it.entry.breaker;
    }
    const HealthTotals& x = a.totals_;
    const HealthTotals& y = b.totals_;
    r.totals_ = HealthTotals{std::max(x.successes, y.successes),       std::max(x.local_failures, y.local_failures),
                             std::max(x.upstream_failures, y.upstream_failures), std::max(x.ejections, y.ejections),
                             std::max(x.suppressed_ejections, y.suppressed_ejections), std::max(x.probes, y.probes),
                             std::max(x.benches, y.benches),           std::max(x.coolings, y.coolings)};
    return r;
}

}  // namespace reroute

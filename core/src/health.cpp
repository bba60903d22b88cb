#include "reroute/health.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <tuple>

#include "reroute/json.hpp"

namespace reroute {
namespace {

// How long a restored admin retirement (which had no end) is remembered as a merge tombstone.
constexpr std::int64_t kTombstoneMs = 24 * 3'600'000LL;

std::int64_t add_ms(std::int64_t now, double ms) noexcept {
    if (!(ms > 0)) return now;
    const double end = static_cast<double>(now) + std::ceil(ms);
    if (end >= 9.0e18) return kNever;
    return static_cast<std::int64_t>(end);
}

void inc(std::uint64_t& v) noexcept {
    if (v != ~std::uint64_t{0}) ++v;
}

// Merge of two benches of the same resource: higher epoch, then the later deadline, then a fixed
// order of the remaining fields, so the result never depends on argument order.
Bench merge_bench(const Bench& a, const Bench& b) noexcept {
    auto key = [](const Bench& x) {
        return std::make_tuple(x.epoch, x.until_ms, x.since_ms, static_cast<int>(x.code), x.admin, x.restored);
    };
    return key(a) >= key(b) ? a : b;
}

Reason bench_reason(const Bench& b) noexcept {
    if (b.admin) return Reason::admin_retired;
    if (b.code == ErrorCode::rate_limited) return Reason::cooling;
    return Reason::benched;
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

// ---- outcome kinds ------------------------------------------------------------------------

// ---- target resources ---------------------------------------------------------------------

TargetResources TargetResources::make(std::string_view provider, std::string_view base_url,
                                      std::string_view fingerprint, std::string_view model, bool free_model) {
    TargetResources t;
    t.endpoint = ResourceId::endpoint(provider, base_url);
    t.credential = ResourceId::credential(provider, fingerprint);
    t.credit = ResourceId::credit(provider, fingerprint);
    t.endpoint_model = ResourceId::endpoint_model(provider, base_url, model);
    t.credential_model = ResourceId::credential_model(provider, fingerprint, model);
    t.credential_endpoint = ResourceId::credential_endpoint(provider, fingerprint, base_url);
    t.free_model = free_model;
    return t;
}

const ResourceId& TargetResources::get(ResourceKind kind) const noexcept {
    switch (kind) {
        case ResourceKind::endpoint: return endpoint;
        case ResourceKind::credential: return credential;
        case ResourceKind::credit: return credit;
        case ResourceKind::endpoint_model: return endpoint_model;
        case ResourceKind::credential_model: return credential_model;
        case ResourceKind::credential_endpoint: return credential_endpoint;
    }
    return endpoint;
}

// ---- the table ----------------------------------------------------------------------------

HealthState::HealthState(HealthParams params) : params_(params) {}

const HealthEntry* HealthState::find(const ResourceId& r) const noexcept {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(r.hash()) & mask;; i = (i + 1) & mask) {
        const Slot& s = slots_[i];
        if (s.index_plus_one == 0) return nullptr;
        if (s.hash == r.hash() && items_[s.index_plus_one - 1].id == r) return &items_[s.index_plus_one - 1].entry;
    }
}

HealthEntry* HealthState::find_mut(const ResourceId& r) noexcept {
    return const_cast<HealthEntry*>(static_cast<const HealthState*>(this)->find(r));
}

void HealthState::rebuild_index() {
    std::size_t cap = 16;
    while (cap < items_.size() * 2 + 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    const std::size_t mask = cap - 1;
    for (std::uint32_t k = 0; k < items_.size(); ++k) {
        const std::uint64_t h = items_[k].id.hash();
        std::size_t i = static_cast<std::size_t>(h) & mask;
        while (slots_[i].index_plus_one != 0) i = (i + 1) & mask;
        slots_[i] = Slot{h, k + 1};
    }
}

HealthEntry& HealthState::upsert(const ResourceId& r) {
    if (HealthEntry* e = find_mut(r)) return *e;
    items_.push_back(Item{r, {}});
    if (slots_.size() < items_.size() * 2 + 2) {
        rebuild_index();
    } else {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = static_cast<std::size_t>(r.hash()) & mask;
        while (slots_[i].index_plus_one != 0) i = (i + 1) & mask;
        slots_[i] = Slot{r.hash(), static_cast<std::uint32_t>(items_.size())};
    }
    return items_.back().entry;
}

std::vector<std::uint32_t> HealthState::sorted_indices() const {
    std::vector<std::uint32_t> idx(items_.size());
    for (std::uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [this](std::uint32_t a, std::uint32_t b) { return items_[a].id < items_[b].id; });
    return idx;
}

BreakerState& HealthState::breaker_of(const ResourceId& r) {
    HealthEntry& e = upsert(r);
    if (!e.breaker) e.breaker.emplace();
    return *e.breaker;
}

// ---- asking -------------------------------------------------------------------------------

Availability HealthState::is_available(const TargetResources& t, std::int64_t now_ms) const {
    if (items_.empty()) return {};
    auto benched = [&](const ResourceId& r, Availability& out) {
        const HealthEntry* e = find(r);
        if (!e || !e->bench || !e->bench->active(now_ms)) return false;
        out.reason = bench_reason(*e->bench);
        out.resource = r.kind();
        out.until_ms = e->bench->until_ms;
        out.code = e->bench->code;
        return true;
    };
    Availability a;
    if (benched(t.credential, a)) return a;
    if (!t.free_model && benched(t.credit, a)) return a;
    if (benched(t.credential_model, a)) return a;
    if (benched(t.endpoint_model, a)) return a;
    if (benched(t.credential_endpoint, a)) return a;

    Availability probe;
    Availability waiting;
    for (const ResourceId* r : {&t.endpoint, &t.endpoint_model}) {
        const HealthEntry* e = find(*r);
        if (!e || !e->breaker) continue;
        const BreakerAdmission adm = breaker::admit(params_.breaker, *e->breaker, now_ms);
        if (adm.reason == Reason::breaker_open)
            return Availability{Reason::breaker_open, r->kind(), adm.until_ms, e->breaker->ejected_at_ms, {}};
        if (adm.reason == Reason::probe_in_flight && waiting.reason == Reason::ok)
            waiting = Availability{Reason::probe_in_flight, r->kind(), adm.until_ms, e->breaker->ejected_at_ms, {}};
        if (adm.probe && probe.reason == Reason::ok)
            probe = Availability{Reason::half_open_probe, r->kind(), 0, e->breaker->ejected_at_ms, {}};
    }
    if (waiting.reason != Reason::ok) return waiting;
    return probe;
}

void HealthState::begin_probe(const TargetResources& t, std::int64_t now_ms, std::int64_t lease_ms) {
    for (const ResourceId* r : {&t.endpoint, &t.endpoint_model}) {
        HealthEntry* e = find_mut(*r);
        if (!e || !e->breaker) continue;
        if (breaker::begin_probe(params_.breaker, *e->breaker, now_ms, lease_ms).reason == Reason::probe_started)
            inc(totals_.probes);
    }
}

// ---- acting -------------------------------------------------------------------------------

HealthChange HealthState::bench(const ResourceId& r, ErrorCode code, std::int64_t now_ms, std::int64_t until_ms) {
    HealthEntry& e = upsert(r);
    if (!e.bench) {
        e.bench = Bench{now_ms, until_ms, 0, code, false, false};
    } else if (e.bench->restored) {
        // A new bench after an admin restore must beat stale copies of the tombstone.
        e.bench = Bench{now_ms, until_ms, e.bench->epoch + 1, code, false, false};
    } else if (!e.bench->active(now_ms)) {
        e.bench = Bench{now_ms, until_ms, e.bench->epoch, code, false, false};
    } else if (until_ms > e.bench->until_ms && !e.bench->admin) {
        e.bench->until_ms = until_ms;  // the later deadline wins; since stays
        e.bench->code = code;
    }
    inc(code == ErrorCode::rate_limited ? totals_.coolings : totals_.benches);
    return HealthChange{r.kind(), bench_reason(*e.bench), e.bench->until_ms};
}

HealthChanges HealthState::record(const TargetResources& t, const Observation& o, std::int64_t now_ms) {
    HealthChanges changes;
    int absorbed = 0;  // failures taken by a breaker that was already ejected or half-open
    const BreakerPolicy& bp = o.breaker ? *o.breaker : params_.breaker;

    auto neutral = [&](const ResourceId& r) {
        if (!o.probe) return;
        if (HealthEntry* e = find_mut(r); e && e->breaker) {
            const BreakerTransition tr = breaker::on_neutral(bp, *e->breaker, now_ms, true);
            if (tr.reason != Reason::no_effect) changes.push({r.kind(), tr.reason, 0});
        }
    };
    auto failure = [&](const ResourceId& r, int threshold) {
        const FailureSource src = is_local_failure(o.kind) ? FailureSource::local : FailureSource::upstream;
        const BreakerTransition tr =
            breaker::on_failure(bp, breaker_of(r), now_ms, src, o.probe, threshold, o.may_eject, o.jitter);
        if (tr.from != BreakerStatus::closed) ++absorbed;
        if (tr.reason == Reason::ejected_consecutive || tr.reason == Reason::ejected_failure_rate ||
            tr.reason == Reason::probe_failed)
            inc(totals_.ejections);
        if (tr.reason == Reason::ejection_suppressed) inc(totals_.suppressed_ejections);
        changes.push({r.kind(), tr.reason, tr.until_ms});
    };

    if (o.kind == OutcomeKind::cancelled) {
        neutral(t.endpoint);
        neutral(t.endpoint_model);
        return changes;
    }
    if (o.kind == OutcomeKind::success) {
        inc(totals_.successes);
        for (const ResourceId* r : {&t.endpoint, &t.endpoint_model}) {
            const BreakerTransition tr = breaker::on_success(bp, breaker_of(*r), now_ms, o.probe);
            if (tr.reason != Reason::success_counted) changes.push({r->kind(), tr.reason, 0});
        }
        return changes;
    }

    const ErrorCode code = o.code ? *o.code : code_for_kind(o.kind).value_or(ErrorCode::generic);
    const bool breaker_failure = code == ErrorCode::provider_error || code == ErrorCode::provider_unreachable;
    if (breaker_failure) inc(is_local_failure(o.kind) ? totals_.local_failures : totals_.upstream_failures);
    // The provider's hint, or -1 when there is none usable.
    const double hint = o.retry_after_ms && std::isfinite(*o.retry_after_ms) && *o.retry_after_ms >= 0
                            ? *o.retry_after_ms
                            : -1.0;

    switch (code) {
        case ErrorCode::auth_error:
            changes.push(bench(t.credential, code, now_ms, add_ms(now_ms, static_cast<double>(params_.auth_bench_ms))));
            break;
        case ErrorCode::credit_exhausted:
            changes.push(bench(t.credit, code, now_ms,
                               add_ms(now_ms, hint > 0 ? hint : static_cast<double>(params_.credit_bench_ms))));
            break;
        case ErrorCode::model_not_entitled:
            changes.push(bench(t.credential_model, code, now_ms,
                               add_ms(now_ms, static_cast<double>(params_.entitlement_bench_ms))));
            break;
        case ErrorCode::model_not_found:
            changes.push(bench(t.endpoint_model, code, now_ms, add_ms(now_ms, static_cast<double>(params_.not_found_bench_ms))));
            break;
        case ErrorCode::rate_limited: {
            const double wait = hint >= 0 ? std::min(hint, static_cast<double>(params_.rate_limit_cap_ms))
                                     : static_cast<double>(params_.rate_limit_cooling_ms);
            changes.push(bench(t.credential_endpoint, code, now_ms, add_ms(now_ms, wait)));
            break;
        }
        case ErrorCode::provider_unreachable:
            failure(t.endpoint, o.threshold);
            neutral(t.endpoint_model);
            return changes;
        case ErrorCode::provider_error:
            // The route-aware threshold applies to the resource at fault (the model on this
            // endpoint); the endpoint as a whole keeps the base threshold, and a failed probe of
            // a model that is already ejected is not counted against the endpoint again, so that
            // one model's outage does not eject every model behind the same URL.
            failure(t.endpoint_model, o.threshold);
            if (absorbed == 0) failure(t.endpoint, std::max(o.threshold, bp.consecutive_failures));
            else neutral(t.endpoint);
            return changes;
        default: break;
    }
    neutral(t.endpoint);
    neutral(t.endpoint_model);
    return changes;
}

// ---- admin --------------------------------------------------------------------------------

Reason HealthState::reset_breaker(const ResourceId& r, std::int64_t now_ms) {
    HealthEntry* e = find_mut(r);
    if (!e || !e->breaker) return Reason::no_effect;
    return breaker::reset(*e->breaker, now_ms).reason;
}

std::size_t HealthState::reset_all_breakers(std::int64_t now_ms) {
    std::size_t n = 0;
    for (Item& it : items_)
        if (it.entry.breaker) {
            breaker::reset(*it.entry.breaker, now_ms);
            ++n;
        }
    return n;
}

Reason HealthState::retire_credential(std::string_view provider, std::string_view fingerprint, std::int64_t now_ms) {
    HealthEntry& e = upsert(ResourceId::credential(provider, fingerprint));
    const std::uint32_t epoch = e.bench ? e.bench->epoch + 1 : 1;
    e.bench = Bench{now_ms, kNever, epoch, ErrorCode::auth_error, true, false};
    return Reason::admin_retired;
}

Reason HealthState::restore_credential(std::string_view provider, std::string_view fingerprint, std::int64_t now_ms) {
    return clear_bench(ResourceId::credential(provider, fingerprint), now_ms);
}

Reason HealthState::clear_bench(const ResourceId& r, std::int64_t now_ms) {
    HealthEntry* e = find_mut(r);
    if (!e || !e->bench || e->bench->restored) return Reason::no_effect;
    Bench& b = *e->bench;
    ++b.epoch;
    b.restored = true;
    if (b.until_ms == kNever) b.until_ms = add_ms(now_ms, static_cast<double>(kTombstoneMs));
    b.admin = false;
    return Reason::admin_restored;
}

std::size_t HealthState::prune(std::int64_t now_ms) {
    const std::size_t before = items_.size();
    std::vector<Item> kept;
    kept.reserve(items_.size());
    for (Item& it : items_) {
        HealthEntry& e = it.entry;
        if (e.bench && now_ms >= e.bench->until_ms) e.bench.reset();
        if (e.breaker && breaker::is_idle(params_.breaker, *e.breaker, now_ms)) e.breaker.reset();
        if (e.bench || e.breaker) kept.push_back(std::move(it));
    }
    items_ = std::move(kept);
    rebuild_index();
    return before - items_.size();
}

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

bool operator==(const HealthState& a, const HealthState& b) {
    if (a.items_.size() != b.items_.size() || !(a.totals_ == b.totals_)) return false;
    for (const HealthState::Item& it : a.items_) {
        const HealthEntry* e = b.find(it.id);
        if (!e || !(*e == it.entry)) return false;
    }
    return true;
}

}  // namespace reroute

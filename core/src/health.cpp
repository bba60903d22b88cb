#include "reroute/health.hpp"

#include <algorithm>
#include <cmath>

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

Reason bench_reason(const Bench& b) noexcept {
    if (b.admin) return Reason::admin_retired;
    if (b.code == ErrorCode::rate_limited) return Reason::cooling;
    return Reason::benched;
}

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

bool operator==(const HealthState& a, const HealthState& b) {
    if (a.items_.size() != b.items_.size() || !(a.totals_ == b.totals_)) return false;
    for (const HealthState::Item& it : a.items_) {
        const HealthEntry* e = b.find(it.id);
        if (!e || !(*e == it.entry)) return false;
    }
    return true;
}

}  // namespace reroute

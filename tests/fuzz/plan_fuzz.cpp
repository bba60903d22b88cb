// libFuzzer target for the planner and the health state: arbitrary request overrides, outcome
// sequences, timestamps (including time going backwards), admin actions, health round trips and
// chat bodies read for their planning facts.
// The planner must never crash or hang, never hand out more upstream requests than max_attempts,
// and keep its counters balanced; health must round-trip through JSON and merge idempotently.
//   scripts/fuzz 180 plan
#include "reroute/health.hpp"
#include "reroute/json.hpp"
#include "reroute/plan.hpp"
#include "reroute/scope.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

using namespace reroute;

namespace {

constexpr const char* kConfig = R"({
  "providers": [
    { "id": "p", "endpoints": [ { "id": "e1", "base_url": "https://p1.example/v1" },
                                { "id": "e2", "base_url": "https://p2.example/v1" } ],
      "credentials": [ { "id": "k1", "env": "K1" }, { "id": "k2", "env": "K2" } ] },
    { "id": "q", "base_url": "https://q.example/v1", "credentials": [ { "id": "k3", "env": "K3" } ] },
    { "id": "local", "base_url": "https://local.example/v1" }
  ],
  "models": [
    { "provider": "p", "id": "m1", "context_window": 16000, "max_output_tokens": 2000, "capabilities": { "tools": true } },
    { "provider": "p", "id": "m2:free", "context_window": 32000, "max_output_tokens": 2000, "capabilities": { "tools": true } },
    { "provider": "q", "id": "n1", "context_window": 64000, "max_output_tokens": 2000, "capabilities": { "tools": true, "vision": true } },
    { "provider": "local", "id": "l1", "context_window": 64000, "max_output_tokens": 2000, "capabilities": { "tools": true } }
  ],
  "server": { "max_attempts": 8, "deadline_ms": 300000 },
  "routes": [
    { "name": "fb", "targets": [ { "provider": "p", "model": "m1" }, { "provider": "p", "model": "m2:free" },
                                 { "provider": "q", "model": "n1" }, { "provider": "local", "model": "l1" } ] },
    { "name": "lb", "strategy": "loadbalance", "balance": "weighted", "retry": { "max_attempts": 8 }, "targets": [
        { "provider": "p", "model": "m1", "weight": 2 }, { "provider": "q", "model": "n1", "weight": 1 },
        { "strategy": "fallback", "targets": [ { "provider": "p", "model": "m2:free" }, { "provider": "local", "model": "l1" } ] } ] },
    { "name": "lif", "strategy": "loadbalance", "balance": "least_in_flight", "targets": [
        { "provider": "p", "model": "m1" }, { "provider": "q", "model": "n1" } ] },
    { "name": "st", "strategy": "loadbalance", "balance": "sticky", "classes": { "route_around_content_filter": true },
      "breaker": { "consecutive_failures": 1, "jitter_percent": 0 }, "targets": [
        { "provider": "p", "model": "m1", "credential": "k1" }, { "provider": "q", "model": "n1" },
        { "provider": "p", "model": "m2:free", "credential": "k2", "endpoint": "e2" } ] }
  ]
})";

struct Reader {
    const std::uint8_t* p;
    std::size_t n;
    std::uint8_t byte() {
        if (n == 0) return 0;
        --n;
        return *p++;
    }
    std::uint32_t u32() { return byte() | (std::uint32_t(byte()) << 8) | (std::uint32_t(byte()) << 16) | (std::uint32_t(byte()) << 24); }
    bool empty() const { return n == 0; }
};

struct Fixture {
    Config config;
    std::optional<Planner> planner;
    Fixture() {
        ConfigResult r = load_config(kConfig);
        if (!r.ok()) std::abort();
        config = std::move(*r.config);
        planner.emplace(config, KeyFingerprints{{"K1", fingerprint("k1")}, {"K2", fingerprint("k2")}, {"K3", fingerprint("k3")}});
    }
};

const Fixture& fixture() {
    static const Fixture f;
    return f;
}

constexpr const char* kRoutes[] = {"fb", "lb", "lif", "st", "p:m1", "q:n1", "local:l1", "nope"};

Outcome outcome(Reader& in) {
    Outcome o;
    o.kind = static_cast<OutcomeKind>(in.byte() % kOutcomeKindCount);
    const std::uint8_t c = in.byte();
    if (c & 0x80) o.code = static_cast<ErrorCode>(c % kErrorCodeCount);
    const std::uint8_t e = in.byte();
    if (e & 1) {
        o.error = ErrorValue::object();
        static const double statuses[] = {400, 401, 402, 403, 404, 408, 429, 500, 502, 503, 504, 529};
        o.error.status = statuses[(e >> 1) % 12];
        static const char* messages[] = {"overloaded", "content_policy violation", "maximum context length exceeded",
                                         "requires more credits", "Invalid API key sk-abcdefghijklmnopqrstuv",
                                         "model not found", "rate limit", ""};
        o.error.message = messages[(e >> 4) % 8];
    } else if (e & 2) {
        o.error = ErrorValue::from_text("timed out");
    }
    const std::uint8_t h = in.byte();
    if (h & 1) {
        static const double hints[] = {0, 1, 999.5, 2000, 59'999, 60'000, 60'001, 1e12, -5, 1e308};
        o.retry_after_ms = hints[(h >> 1) % 10];
    }
    o.duration_ms = static_cast<std::int64_t>(in.u32() % 400'000) - 1'000;
    o.bytes_received = in.byte();
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader in{data, size};
    const Fixture& fx = fixture();
    const std::uint8_t mode = in.byte();

    if (mode % 8 == 7) {
        // Arbitrary text as a health state and as request overrides.
        const std::string_view text(reinterpret_cast<const char*>(in.p), in.n);
        std::string error;
        if (auto h = HealthState::from_json(text, {}, &error)) {
            const std::string once = h->to_json();
            auto again = HealthState::from_json(once);
            if (!again || !(*again == *h) || again->to_json() != once) std::abort();
            if (!(HealthState::merge(*h, *h) == *h)) std::abort();
        } else if (error.empty()) {
            std::abort();
        }
        const OverridesResult o = parse_overrides(text, "/x");
        if (o.overrides.has_value() == !o.problems.empty()) std::abort();
        // ... and as a client's chat body: facts of sane sign, and read the same way twice.
        Request first, second;
        read_body_facts(text, first);
        read_body_facts(text, second);
        if (first.prompt_tokens < 0 || (first.max_output_tokens && *first.max_output_tokens <= 0)) std::abort();
        if (first.prompt_tokens != second.prompt_tokens || first.needs_tools != second.needs_tools ||
            first.needs_vision != second.needs_vision || first.max_output_tokens != second.max_output_tokens)
            std::abort();
        // ... and as the body of an attempt: a JSON object exactly when the client's was one, with
        // the target's model and without reroute.
        std::string upstream;
        const bool written = write_upstream_body(text, "vendor/m\"x", upstream);
        if (written != (json::scan(text, nullptr, nullptr) == json::Kind::object)) std::abort();
        if (written) {
            const auto doc = json::parse(upstream);
            if (!doc || !doc->is_object() || doc->find("reroute")) std::abort();
            const json::Value* model = doc->find("model");
            if (!model || !model->is_string() || model->string != "vendor/m\"x") std::abort();
        }
        return 0;
    }

    HealthState health;
    Traffic traffic;
    Rng rng(in.u32());
    std::int64_t now = 1'700'000'000'000 + static_cast<std::int64_t>(in.u32());

    // Up to three requests interleaved, so probes, budgets and in-flight counts interact.
    struct Live {
        std::optional<Attempts> attempts;
        int max_attempts = 0;
        int handed_out = 0;
        bool in_flight = false;
    };
    std::vector<Live> live(3);
    auto start = [&](Live& l) {
        Request r;
        r.route = kRoutes[in.byte() % 8];
        const std::uint8_t f = in.byte();
        if (f & 1) r.conversation_id = "c" + std::to_string(in.byte());
        if (f & 2) r.prompt_tokens = static_cast<std::int64_t>(in.u32() % 80'000) - 100;
        if (f & 4) r.max_output_tokens = static_cast<std::int64_t>(in.byte()) * 100 - 500;
        r.needs_tools = f & 8;
        r.needs_vision = f & 16;
        const std::uint8_t g = in.byte();
        if (g & 1) r.overrides.disable_fallbacks = (g & 2) != 0;
        if (g & 4) r.overrides.max_attempts = static_cast<int>(in.byte()) - 2;
        if (g & 8) r.overrides.deadline_ms = static_cast<std::int64_t>(in.u32() % 400'000) - 10;
        if (g & 16) r.overrides.allowed_providers = std::vector<std::string>{(g & 32) ? "p" : "q"};
        if (g & 64) r.overrides.allowed_models = std::vector<std::string>{(g & 128) ? "p:m1" : "n1"};
        if (in.byte() & 1) (void)fx.planner->explain(r, health, now);
        StartResult s = fx.planner->start(r, &traffic, now);
        if (s.attempts.has_value() != s.problems.empty()) std::abort();
        if (!s.attempts) return;
        l.attempts.emplace(std::move(*s.attempts));
        l.max_attempts = l.attempts->max_attempts();
        if (l.max_attempts < 1 || l.max_attempts > kMaxAttemptsCeiling) std::abort();
        l.handed_out = 0;
        l.in_flight = false;
    };

    for (int step = 0; step < 400 && !in.empty(); ++step) {
        Live& l = live[in.byte() % live.size()];
        const std::uint8_t op = in.byte() % 10;
        switch (op) {
            case 0:
                l.attempts.reset();  // abandon (destructor must release counters)
                start(l);
                break;
            case 1:
            case 2:
            case 3: {
                if (!l.attempts) {
                    start(l);
                    break;
                }
                const Decision d = l.attempts->next(health, now, rng);
                if (d.is_final()) {
                    if (d.final.attempts > l.max_attempts) std::abort();
                    if (d.final.ok() && !d.final.served_by) std::abort();
                    if (!d.final.ok() && d.final.reason != Reason::cancelled && !d.final.code) std::abort();
                    if (d.final.envelope.tried && (*d.final.envelope.tried < 1 || *d.final.envelope.tried > d.final.attempts))
                        std::abort();
                    (void)encode_envelope(d.final.envelope);
                } else {
                    if (!l.in_flight) {
                        ++l.handed_out;
                        if (d.attempt.number != l.handed_out) std::abort();
                    }
                    l.in_flight = true;
                    if (l.handed_out > l.max_attempts) std::abort();
                    if (d.attempt.wait_ms < 0) std::abort();
                    if (d.attempt.timeouts.first_token_ms < 0 || d.attempt.timeouts.connect_ms < 0) std::abort();
                    if (d.attempt.start_ms > d.attempt.deadline_at_ms) std::abort();
                }
                break;
            }
            case 4:
            case 5:
            case 6:
                if (l.attempts) {
                    l.attempts->report(outcome(in), health, now);
                    l.in_flight = false;
                    if (render_trail(l.attempts->trail()).size() > kMaxTrailBytes) std::abort();
                }
                break;
            case 7: {
                // Time moves, mostly forward.
                const std::uint32_t dt = in.u32();
                now += (dt & 1) ? -static_cast<std::int64_t>(dt % 5'000) : static_cast<std::int64_t>(dt % 200'000);
                break;
            }
            case 8: {
                const std::uint8_t a = in.byte();
                switch (a % 5) {
                    case 0: health.retire_credential("p", fingerprint("k1"), now); break;
                    case 1: health.restore_credential("p", fingerprint("k1"), now); break;
                    case 2: health.reset_all_breakers(now); break;
                    case 3: health.prune(now); break;
                    default: health.reset_breaker(ResourceId::endpoint("q", "https://q.example/v1"), now); break;
                }
                break;
            }
            default: {
                // Round trip and merge with a copy.
                auto back = HealthState::from_json(health.to_json());
                if (!back || !(*back == health)) std::abort();
                HealthState m = HealthState::merge(health, *back);
                if (!(m == health)) std::abort();
                break;
            }
        }
    }
    live.clear();
    for (const char* name : {"fb", "lb", "lif", "st", "p:m1", "q:n1", "local:l1"}) {
        if (const RouteTraffic* t = traffic.find(name)) {
            if (t->budget.active_requests() != 0 || t->budget.retries_in_flight() != 0) std::abort();
            for (std::int32_t c : t->in_flight)
                if (c != 0) std::abort();
        }
    }
    return 0;
}

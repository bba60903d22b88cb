// Planner benchmark (issue 3, section 4): planning one attempt and recording its outcome with 50
// targets and 1 000 tracked resources (p50 per operation, in ns), and the serialized size of a
// health state of 10 000 resources. Standalone; prints one line per figure, then a JSON summary.
//
//   g++ -std=c++20 -O2 -DNDEBUG -Icore/include bench/plan_bench.cpp core/src/*.cpp -o plan_bench
//   ./plan_bench [iterations]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "reroute/config.hpp"
#include "reroute/display.hpp"
#include "reroute/envelope.hpp"
#include "reroute/health.hpp"
#include "reroute/plan.hpp"
#include "reroute/scope.hpp"

using namespace reroute;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t T0 = 1'700'000'000'000;
constexpr int kProviders = 5, kModelsPerProvider = 10;  // 50 targets

std::string config_json() {
    std::string s = R"({"providers":[)";
    for (int p = 0; p < kProviders; ++p) {
        if (p) s += ',';
        s += R"({"id":"prov)" + std::to_string(p) + R"(","base_url":"https://api)" + std::to_string(p) +
             R"(.example.com/v1","credentials":[{"id":"main","env":"KEY_)" + std::to_string(p) + R"("}]})";
    }
    s += R"(],"models":[)";
    for (int p = 0; p < kProviders; ++p)
        for (int m = 0; m < kModelsPerProvider; ++m) {
            if (p || m) s += ',';
            s += R"({"provider":"prov)" + std::to_string(p) + R"(","id":"vendor/model-)" + std::to_string(m) +
                 R"(","context_window":128000,"max_output_tokens":4096,"capabilities":{"tools":true}})";
        }
    auto targets = [&] {
        std::string t;
        for (int m = 0; m < kModelsPerProvider; ++m)
            for (int p = 0; p < kProviders; ++p) {
                if (p || m) t += ',';
                t += R"({"provider":"prov)" + std::to_string(p) + R"(","model":"vendor/model-)" + std::to_string(m) + R"("})";
            }
        return t;
    };
    s += R"(],"routes":[{"name":"fallback","targets":[)" + targets() + R"(]},)";
    s += R"({"name":"weighted","strategy":"loadbalance","balance":"weighted","targets":[)" + targets() + R"(]},)";
    s += R"({"name":"sticky","strategy":"loadbalance","balance":"sticky","targets":[)" + targets() + R"(]}]})";
    return s;
}

KeyFingerprints keys() {
    KeyFingerprints k;
    for (int p = 0; p < kProviders; ++p) k["KEY_" + std::to_string(p)] = fingerprint("sk-bench-" + std::to_string(p));
    return k;
}

Observation failure(ErrorCode code, double hint = -1) {
    Observation o;
    o.kind = OutcomeKind::http_error;
    o.code = code;
    if (hint >= 0) o.retry_after_ms = hint;
    return o;
}

// 1 000 tracked resources unrelated to the route, plus the first three targets of the route
// benched, cooling or ejected, so that planning has to skip some.
HealthState tracked_health() {
    HealthState h;
    Rng rng(5);
    for (int i = 0; static_cast<int>(h.size()) < 1000; ++i) {
        const auto t = TargetResources::make("other" + std::to_string(i % 7), "https://other" + std::to_string(i % 11) + ".example/v1",
                                             fingerprint("k" + std::to_string(i % 31)), "model-" + std::to_string(i), false);
        Observation o = i % 3 == 0 ? failure(ErrorCode::provider_error) : i % 3 == 1 ? failure(ErrorCode::rate_limited, 30'000) : Observation{};
        h.record(t, o, T0 - static_cast<std::int64_t>(rng.below(10'000)));
    }
    const std::string fp0 = fingerprint("sk-bench-0"), fp1 = fingerprint("sk-bench-1"), fp2 = fingerprint("sk-bench-2");
    h.record(TargetResources::make("prov0", "https://api0.example.com/v1", fp0, "vendor/model-0", false), failure(ErrorCode::auth_error), T0);
    h.record(TargetResources::make("prov1", "https://api1.example.com/v1", fp1, "vendor/model-0", false),
             failure(ErrorCode::rate_limited, 3'600'000), T0);
    Observation eject = failure(ErrorCode::provider_error);
    eject.threshold = 1;
    h.record(TargetResources::make("prov2", "https://api2.example.com/v1", fp2, "vendor/model-0", false), eject, T0);
    return h;
}

struct Stats {
    double p50 = 0, p90 = 0, p99 = 0, mean = 0;
};

Stats stats(std::vector<double>& ns) {
    std::sort(ns.begin(), ns.end());
    Stats s;
    auto at = [&](double q) { return ns[std::min(ns.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ns.size())))]; };
    s.p50 = at(0.5);
    s.p90 = at(0.9);
    s.p99 = at(0.99);
    double sum = 0;
    for (double v : ns) sum += v;
    s.mean = sum / static_cast<double>(ns.size());
    return s;
}

// One operation = plan one attempt (start + next) and record its outcome (report).
Stats bench_route(const Planner& planner, const std::string& route, int iterations, bool failing, bool sticky) {
    HealthState health = tracked_health();
    Traffic traffic;
    Rng rng(42);
    std::vector<double> ns;
    ns.reserve(static_cast<std::size_t>(iterations));
    Outcome ok;
    ok.duration_ms = 1;
    Outcome bad;
    bad.kind = OutcomeKind::http_error;
    bad.code = ErrorCode::model_not_found;  // benches endpoint-model: the next op plans around it
    std::int64_t now = T0 + 1;
    volatile std::size_t sink = 0;
    for (int i = 0; i < iterations; ++i) {
        Request req;
        req.route = route;
        req.prompt_tokens = 2'000;
        if (sticky) req.conversation_id = "conversation-" + std::to_string(i % 997);
        const auto t0 = Clock::now();
        StartResult st = planner.start(req, &traffic, now);
        Decision d = st.attempts->next(health, now, rng);
        // A final failure is answered with its envelope and sentence, as the module's
        // attempts.next hands them to the edge.
        if (d.is_final() && d.final.code)
            sink = sink + encode_envelope(d.final.envelope).size() +
                   content_sentence(*d.final.code, d.final.envelope.provider, d.final.envelope.model).size();
        st.attempts->report(failing && i % 2 ? bad : ok, health, now + 1);
        const auto t1 = Clock::now();
        sink = sink + d.attempt.target;
        ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
        now += 1;
        if (failing && i % 1000 == 999) health = tracked_health();  // keep 1 000 resources tracked
    }
    (void)sink;
    return stats(ns);
}

// next + report on an already started request (the per-attempt cost without request set-up).
Stats bench_next_only(const Planner& planner, int iterations) {
    HealthState health = tracked_health();
    Traffic traffic;
    Rng rng(42);
    std::vector<double> ns;
    Outcome ok;
    std::int64_t now = T0 + 1;
    for (int i = 0; i < iterations; ++i) {
        Request req;
        req.route = "fallback";
        StartResult st = planner.start(req, &traffic, now);
        const auto t0 = Clock::now();
        Decision d = st.attempts->next(health, now, rng);
        st.attempts->report(ok, health, now + 1);
        const auto t1 = Clock::now();
        (void)d;
        ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
        ++now;
    }
    return stats(ns);
}

// A long conversation as a client sends it: 200 messages of 485 characters, about 97 KiB.
std::string long_chat_body() {
    std::string content;
    for (int i = 0; i < 5; ++i) content += "The quick brown fox jumps over the lazy dog, and then explains its reasoning at some length. ";
    std::string body = R"({"model":"fallback","messages":[)";
    for (int i = 0; i < 200; ++i) {
        if (i) body += ',';
        body += i % 2 ? R"({"role":"assistant","content":")" : R"({"role":"user","content":")";
        body += content + "\"}";
    }
    return body + "]}";
}

// Request set-up from the client's body: the core reads the planning facts, then plans.
Stats bench_long_body(const Planner& planner, int iterations) {
    const std::string body = long_chat_body();
    Traffic traffic;
    std::vector<double> ns;
    std::int64_t now = T0 + 1;
    volatile std::int64_t sink = 0;
    for (int i = 0; i < iterations; ++i) {
        const auto t0 = Clock::now();
        Request req;
        req.route = "fallback";
        read_body_facts(body, req);
        StartResult st = planner.start(req, &traffic, now);
        const auto t1 = Clock::now();
        sink = sink + req.prompt_tokens;
        ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
        ++now;
    }
    (void)sink;
    return stats(ns);
}

HealthState ten_thousand() {
    HealthState h;
    Rng rng(11);
    for (int i = 0; static_cast<int>(h.size()) < 10'000; ++i) {
        const auto t = TargetResources::make("provider-" + std::to_string(i % 5), "https://api" + std::to_string(i % 13) + ".example-provider.com/v1",
                                             fingerprint("key-" + std::to_string(i % 997)),
                                             "vendor-" + std::to_string(i % 7) + "/model-name-" + std::to_string(i) + "-instruct", false);
        const std::int64_t now = T0 + static_cast<std::int64_t>(rng.below(20'000));
        Observation o;
        switch (i % 6) {
            case 0: o = failure(ErrorCode::provider_error); o.threshold = 1; o.jitter = rng.uniform() * 0.1; break;
            case 1: o = failure(ErrorCode::rate_limited, 1'500); break;
            case 2: o = failure(ErrorCode::model_not_found); break;
            case 3: o = failure(ErrorCode::provider_error); o.kind = OutcomeKind::timeout_idle; break;
            case 4: o = failure(ErrorCode::auth_error); break;
            default: break;
        }
        h.record(t, o, now);
    }
    return h;
}

}  // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::max(1000, std::atoi(argv[1])) : 200'000;
    ConfigResult cfg = load_config(config_json());
    if (!cfg.ok()) {
        for (const Problem& p : cfg.problems) std::fprintf(stderr, "%s\n", describe(p).c_str());
        return 1;
    }
    const Planner planner(*cfg.config, keys());

    const Stats fb = bench_route(planner, "fallback", iterations, false, false);
    const Stats fbf = bench_route(planner, "fallback", iterations, true, false);
    const Stats lb = bench_route(planner, "weighted", iterations, false, false);
    const Stats st = bench_route(planner, "sticky", iterations, false, true);
    const Stats nx = bench_next_only(planner, iterations);
    const Stats lc = bench_long_body(planner, std::max(1000, iterations / 100));

    const HealthState big = ten_thousand();
    const auto s0 = Clock::now();
    const std::string json = big.to_json();
    const auto s1 = Clock::now();
    const auto back = HealthState::from_json(json);
    const auto s2 = Clock::now();
    const HealthState merged = HealthState::merge(big, *back);
    const auto s3 = Clock::now();
    const double ms_ser = std::chrono::duration<double, std::milli>(s1 - s0).count();
    const double ms_parse = std::chrono::duration<double, std::milli>(s2 - s1).count();
    const double ms_merge = std::chrono::duration<double, std::milli>(s3 - s2).count();

    auto line = [](const char* name, const Stats& s) {
        std::printf("%-58s p50 %7.0f ns  p90 %7.0f ns  p99 %7.0f ns\n", name, s.p50, s.p90, s.p99);
    };
    std::printf("plan one attempt + record its outcome, 50 targets, 1 000 tracked resources (%d ops)\n", iterations);
    line("  fallback route, success", fb);
    line("  fallback route, every other attempt fails (benches)", fbf);
    line("  loadbalance weighted over 50, success", lb);
    line("  loadbalance sticky over 50 (conversation id), success", st);
    line("  next + report only (request already started)", nx);
    line("  start from a 97 KiB chat body (200 messages)", lc);
    std::printf("health state of %zu resources: %zu bytes serialized (%.2f MiB); to_json %.1f ms, from_json %.1f ms, merge %.1f ms (%zu)\n",
                big.size(), json.size(), static_cast<double>(json.size()) / (1024.0 * 1024.0), ms_ser, ms_parse, ms_merge,
                merged.size());
    std::printf("{\"plan_record_p50_ns\":%.0f,\"plan_record_fail_p50_ns\":%.0f,\"plan_record_weighted_p50_ns\":%.0f,"
                "\"plan_record_sticky_p50_ns\":%.0f,\"next_report_p50_ns\":%.0f,\"long_body_start_p50_ns\":%.0f,\"health_10k_bytes\":%zu}\n",
                fb.p50, fbf.p50, lb.p50, st.p50, nx.p50, lc.p50, json.size());
    return fb.p50 <= 5'000 && json.size() <= 2u * 1024 * 1024 ? 0 : 2;
}

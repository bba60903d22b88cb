// Governor benchmark (issue 6, section 4): the whole governor step of one attempt (signals ->
// prior with the seed -> thresholds -> controller -> wire mapping, i.e. reasoning::govern) on a
// typical chat message with learned thread and profile state, p50 in ns per step. Also the step
// through the JSON facade (JSON text in and out, what the WASM module runs) and the parts alone.
// Standalone; prints one line per figure, then a JSON summary on the last line.
//
//   g++ -std=c++20 -O2 -DNDEBUG -ffp-contract=off -Icore/include bench/governor_bench.cpp core/src/*.cpp -o governor_bench
//   ./governor_bench [batches]          (or build/native/bench/governor_bench after scripts/build)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "reroute/governor.hpp"
#include "reroute/reasoning_json.hpp"

using namespace reroute::reasoning;
using Clock = std::chrono::steady_clock;

namespace {

// A typical request: a question with a code block and a stack trace, about 330 characters.
constexpr const char* kMessage =
    "Can you debug this function? It throws when I call it with an empty list, and I'd like to refactor it so "
    "that it is easier to read.\n```js\nfunction firstDoubled(xs) {\n  return xs[0].map((y) => y * 2);\n}\n```\n"
    "TypeError: Cannot read properties of undefined (reading 'map')\n    at firstDoubled (/src/util.js:2:16)";

// A short chat turn (a follow-up question).
constexpr const char* kShortMessage = "and what about the other one?";

Outcome turn(TurnClass c, double reasoning, double output, bool retried) {
    Outcome o;
    o.turn_class = c;
    o.intensity = c == TurnClass::hard ? 0.8 : c == TurnClass::medium ? 0.5 : 0.2;
    o.budget_tokens = 8192;
    o.self_truncates = true;
    o.reasoning_tokens = reasoning;
    o.output_tokens = output;
    o.retried = retried;
    o.chosen_tier = Tier::medium;
    return o;
}

// A thread with 6 turns and a profile with 40, spread over the classes.
void learned(ReasoningState& thread, ReasoningState& profile) {
    for (int i = 0; i < 6; ++i) record(thread, turn(static_cast<TurnClass>(i % 3), 1500 + 400 * i, 600, i == 3));
    for (int i = 0; i < 40; ++i) record(profile, turn(static_cast<TurnClass>(i % 3), 900 + 150 * (i % 11), 400 + 50 * (i % 5), i % 9 == 0));
}

struct Figure {
    const char* name;
    double p50 = 0, p90 = 0;
};

// Batches of `per_batch` calls; ns per call in each batch; percentiles over batches.
template <class F>
Figure measure(const char* name, int batches, int per_batch, F&& f) {
    for (int i = 0; i < per_batch * 20; ++i) f();  // warm up
    std::vector<double> ns;
    ns.reserve(static_cast<std::size_t>(batches));
    for (int b = 0; b < batches; ++b) {
        const auto t0 = Clock::now();
        for (int i = 0; i < per_batch; ++i) f();
        const auto t1 = Clock::now();
        ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / per_batch);
    }
    std::sort(ns.begin(), ns.end());
    Figure fig{name};
    fig.p50 = ns[ns.size() / 2];
    fig.p90 = ns[ns.size() * 9 / 10];
    std::printf("%-44s p50 %8.1f ns   p90 %8.1f ns\n", name, fig.p50, fig.p90);
    return fig;
}

std::int64_t g_sink = 0;  // printed at the end, so no call is optimised away

}  // namespace

int main(int argc, char** argv) {
    const int batches = argc > 1 ? std::max(10, std::atoi(argv[1])) : 2000;
    const int per_batch = 50;

    ReasoningState thread, profile;
    learned(thread, profile);

    GovernInput effort;
    effort.request.text = kMessage;
    effort.request.history_message_count = 4;
    effort.seed.effort = Effort::high;
    effort.capability.knob = Knob::effort;
    effort.capability.supports_minimal = true;
    effort.thread = &thread;
    effort.profile = &profile;

    GovernInput budget = effort;
    budget.capability = Capability{Knob::budget, false, std::nullopt, std::nullopt, 64000};

    GovernInput short_turn = effort;
    short_turn.request.text = kShortMessage;

    std::vector<Figure> figures;
    figures.push_back(measure("govern (effort model, 330-char message)", batches, per_batch,
                              [&] { g_sink += govern(effort).patch.reasoning_effort->size(); }));
    figures.push_back(measure("govern (budget model, 330-char message)", batches, per_batch,
                              [&] { g_sink += *govern(budget).patch.thinking_budget; }));
    figures.push_back(measure("govern (effort model, short follow-up)", batches, per_batch,
                              [&] { g_sink += govern(short_turn).decision->budget; }));

    SignalInput si;
    si.text = kMessage;
    const Features f = signals(si);
    const Thresholds th = thresholds(&thread.intensity, &profile.intensity);
    const Prior p = prior(Kind::chat, f, effort.seed, th);
    ControllerInput ci{Knob::effort, p.tier, p.budget, p.floor, p.turn_class, &thread, &profile};
    figures.push_back(measure("  signals alone", batches, per_batch, [&] { g_sink += signals(si).trivial; }));
    figures.push_back(measure("  prior alone", batches, per_batch, [&] { g_sink += prior(Kind::chat, f, effort.seed, th).budget; }));
    figures.push_back(measure("  controller alone", batches, per_batch, [&] { g_sink += decide(ci).budget; }));
    figures.push_back(measure("  wire alone", batches, per_batch,
                              [&] { g_sink += wire(budget.capability, Tier::high, 20000, 0.3).applied; }));

    // The JSON facade: what the WASM binding runs (input JSON text, output JSON text).
    std::string input = R"({"request":{"text":)";
    reroute::json::write_string(input, kMessage);
    input += R"(,"history_message_count":4},"seed":{"effort":"high"},"capability":{"knob":"effort","supports_minimal":true},"thread":)";
    input += to_json(thread);
    input += R"(,"profile":)";
    input += to_json(profile);
    input += "}";
    figures.push_back(measure("govern via the JSON facade (state as JSON)", batches, per_batch,
                              [&] { g_sink += call("govern", input)->size(); }));

    std::printf("{\"bench\":\"governor\",\"unit\":\"ns\",\"batches\":%d,\"per_batch\":%d", batches, per_batch);
    const char* keys[] = {"govern_effort_p50", "govern_budget_p50", "govern_short_p50", "signals_p50",
                          "prior_p50", "controller_p50", "wire_p50", "govern_json_p50"};
    for (std::size_t i = 0; i < figures.size(); ++i) std::printf(",\"%s\":%.1f", keys[i], figures[i].p50);
    std::printf(",\"target_ns\":2000}\n");
    std::fprintf(stderr, "(sink %lld)\n", static_cast<long long>(g_sink));
    return 0;
}

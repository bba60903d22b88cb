// libFuzzer target for the configuration loader: any bytes, with and without a known
// environment. The loader must never crash, hang, leak or throw, and its result must be
// self-consistent (a config exactly when there is no error; resolved views within bounds).
//   scripts/fuzz 180       (builds every tests/fuzz/*_fuzz.cpp under build/fuzz and runs it)
#include "reroute/config.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // The first byte picks the environment view, so the env lint is exercised too.
    bool known_env = size > 0 && (data[0] & 1);
    reroute::EnvView env = known_env ? reroute::EnvView{"OPENAI_API_KEY", "K1"} : reroute::EnvView{};
    reroute::ConfigResult r = reroute::load_config(text, env);

    if (r.ok() != (r.error_count() == 0)) std::abort();
    if (r.problems.size() > reroute::kMaxProblems) std::abort();
    for (const reroute::Problem& p : r.problems) {
        if (p.code.empty()) std::abort();
        if (!p.path.empty() && p.path[0] != '/') std::abort();
        (void)reroute::describe(p);
    }
    if (r.ok()) {
        const reroute::Config& c = *r.config;
        if (c.resolved.size() != c.routes.size()) std::abort();
        for (const reroute::ResolvedRoute& route : c.resolved) {
            if (route.groups.empty()) std::abort();
            if (route.targets.size() + route.groups.size() > reroute::kMaxResolvedTargets) std::abort();
            for (std::size_t i = 0; i < route.targets.size(); ++i) {
                const reroute::ResolvedTarget& t = route.targets[i];
                if (t.index != i || t.model_index >= c.models.size() || t.provider_index >= c.providers.size())
                    std::abort();
            }
            for (const reroute::ResolvedGroup& g : route.groups) {
                if (g.first_target > g.end_target || g.end_target > route.targets.size()) std::abort();
                for (const reroute::ResolvedChild& ch : g.children)
                    if (ch.index >= (ch.is_group ? route.groups.size() : route.targets.size())) std::abort();
            }
            if (c.find_route(route.name) == nullptr) std::abort();
        }
    }
    return 0;
}

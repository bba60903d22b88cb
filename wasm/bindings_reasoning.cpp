// Embind bindings of the Auto router and the reasoning governor (reroute/reasoning_json.hpp).
// Plain JS objects in and out, with the spec's snake_case field names (the same JSON the edge
// persists: learned state, cache rows, pointers). Each function hands its argument to the core's
// JSON facade as JSON text and returns the facade's answer parsed, so native and WASM share one
// mapping. Nothing here throws: an argument that is not an object reads as {}, and fields of the
// wrong type read as absent.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>

#include "reroute/reasoning_json.hpp"

using emscripten::val;

namespace reroute::wasm {
namespace {

const val& json_global() {
    static const val json = val::global("JSON");
    return json;
}

bool is_object(const val& v) { return !v.isNull() && !v.isUndefined() && v.typeOf().as<std::string>() == "object"; }

val call_op(const char* op, const val& input) {
    const std::string text = is_object(input) ? json_global().call<std::string>("stringify", input) : std::string("{}");
    const std::optional<std::string> out = reasoning::call(op, text);
    return json_global().call<val>("parse", out ? *out : std::string("null"));
}

template <const char* Op>
val op(val input) {
    return call_op(Op, input);
}

constexpr char kRouteParse[] = "route_parse";
constexpr char kRoute[] = "route";
constexpr char kRoutePrepare[] = "route_prepare";
constexpr char kRoutePlan[] = "route_plan";
constexpr char kClassifierBody[] = "classifier_body";
constexpr char kCacheKey[] = "cache_key";
constexpr char kCandidatesHash[] = "candidates_hash";
constexpr char kCacheRead[] = "cache_read";
constexpr char kCacheUpsert[] = "cache_upsert";
constexpr char kCacheOverride[] = "cache_override";
constexpr char kCachePurge[] = "cache_purge";
constexpr char kSignals[] = "signals";
constexpr char kPrior[] = "prior";
constexpr char kThresholds[] = "thresholds";
constexpr char kTierOf[] = "tier_of";
constexpr char kRecord[] = "record";
constexpr char kState[] = "state";
constexpr char kDecide[] = "decide";
constexpr char kWire[] = "wire";
constexpr char kGovern[] = "govern";
constexpr char kOutcome[] = "outcome";

}  // namespace
}  // namespace reroute::wasm

EMSCRIPTEN_BINDINGS(reroute_reasoning) {
    using namespace reroute::wasm;
    using emscripten::function;
    // Auto router (reasoning.md section 4)
    function("parseClassifierReply", &op<kRouteParse>);
    function("autoRoute", &op<kRoute>);
    function("autoRoutePrepare", &op<kRoutePrepare>);
    function("autoRoutePlan", &op<kRoutePlan>);
    function("classifierBody", &op<kClassifierBody>);
    function("routeCacheKey", &op<kCacheKey>);
    function("candidatesHash", &op<kCandidatesHash>);
    function("routeCacheRead", &op<kCacheRead>);
    function("routeCacheUpsert", &op<kCacheUpsert>);
    function("routeCacheOverride", &op<kCacheOverride>);
    function("routeCachePurge", &op<kCachePurge>);
    // Governor (section 5)
    function("reasoningSignals", &op<kSignals>);
    function("reasoningPrior", &op<kPrior>);
    function("reasoningThresholds", &op<kThresholds>);
    function("tierOf", &op<kTierOf>);
    function("recordOutcome", &op<kRecord>);
    function("reasoningState", &op<kState>);
    function("decideTier", &op<kDecide>);
    function("wireReasoning", &op<kWire>);
    function("govern", &op<kGovern>);
    function("reasoningOutcome", &op<kOutcome>);
}

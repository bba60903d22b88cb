// Embind bindings of the Auto router and the reasoning governor (reroute/reasoning_json.hpp).
// Plain JS objects in and out, with the spec's snake_case field names (the same JSON the edge
// persists: learned state, cache rows, pointers). Nothing here throws: an argument that is not an
// object reads as {}, and fields of the wrong type read as absent.
//
// Every function hands its argument to the core's JSON facade (reasoning::call) as JSON text and
// returns the facade's answer parsed, so native and WASM share one mapping; the text moves through
// linear memory in one JS call each way (EM_JS), not through Embind's per-value calls. These are
// the cold paths (compiled for size). The per-attempt `govern` is in bindings_reasoning_govern.cpp;
// its "explain": true form comes here (`_governExplained`).
#include <emscripten/bind.h>
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <cstdint>
#include <string>

#include "reroute/reasoning_json.hpp"

using emscripten::val;
using EmVal = emscripten::EM_VAL;

namespace reroute::wasm::reasoning_binding {
namespace {

std::string g_buffer;  // JSON text written by JS

}  // namespace
}  // namespace reroute::wasm::reasoning_binding

extern "C" {
// A buffer of at least `bytes` bytes for JS to write into (the previous contents are dropped).
EMSCRIPTEN_KEEPALIVE char* rr_reasoning_buffer(std::uint32_t bytes) {
    auto& b = reroute::wasm::reasoning_binding::g_buffer;
    if (b.size() < bytes) b.resize(bytes);
    return b.data();
}
}

// ---- JS side ---------------------------------------------------------------------------------

// JSON.stringify(input) (or "{}" when it is not a plain object) as UTF-8 in rr_reasoning_buffer;
// returns the byte length.
EM_JS(std::uint32_t, rr_reasoning_stringify, (EmVal handle), {
    var input = Emval.toValue(handle);
    var text = input !== null && typeof input === 'object' && !Array.isArray(input) ? JSON.stringify(input) : '{}';
    var cap = text.length * 3;
    var ptr = _rr_reasoning_buffer(cap);
    var enc = Module.rrEncoder || (Module.rrEncoder = new TextEncoder());
    return enc.encodeInto(text, HEAPU8.subarray(ptr, ptr + cap)).written;
});

// JSON.parse of `len` UTF-8 bytes at `ptr`.
EM_JS(EmVal, rr_reasoning_parse, (const char* ptr, std::uint32_t len), {
    var dec = Module.rrDecoder || (Module.rrDecoder = new TextDecoder());
    return Emval.toHandle(JSON.parse(dec.decode(HEAPU8.subarray(ptr, ptr + len))));
});

// ---- C++ side --------------------------------------------------------------------------------

namespace reroute::wasm::reasoning_binding {
namespace {

using namespace reroute::reasoning;

val call_op(const char* op, const val& input) {
    const std::uint32_t len = rr_reasoning_stringify(input.as_handle());
    const std::optional<std::string> out = reasoning::call(op, std::string_view(g_buffer.data(), len));
    const std::string& text = out ? *out : std::string("null");
    return val::take_ownership(rr_reasoning_parse(text.data(), static_cast<std::uint32_t>(text.size())));
}

template <const char* Op>
val op(val input) {
    return call_op(Op, input);
}

constexpr char kGovern[] = "govern";
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
constexpr char kRecordQuality[] = "record_quality";
constexpr char kState[] = "state";
constexpr char kDecide[] = "decide";
constexpr char kWire[] = "wire";
constexpr char kOutcome[] = "outcome";
constexpr char kRequestFacts[] = "request_facts";

}  // namespace
}  // namespace reroute::wasm::reasoning_binding

EMSCRIPTEN_BINDINGS(reroute_reasoning) {
    using namespace reroute::wasm::reasoning_binding;
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
    function("recordQuality", &op<kRecordQuality>);
    function("reasoningState", &op<kState>);
    function("decideTier", &op<kDecide>);
    function("wireReasoning", &op<kWire>);
    function("_governExplained", &op<kGovern>);
    function("reasoningOutcome", &op<kOutcome>);
    function("reasoningRequestFacts", &op<kRequestFacts>);
}

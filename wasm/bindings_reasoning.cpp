// Embind bindings of the Auto router and the reasoning governor (reroute/reasoning_json.hpp).
// Plain JS objects in and out, with the spec's snake_case field names (the same JSON the edge
// persists: learned state, cache rows, pointers). Nothing here throws: an argument that is not an
// object reads as {}, and fields of the wrong type read as absent.
//
// Two paths, one mapping:
// - every function hands its argument to the core's JSON facade (reasoning::call) as JSON text
//   and returns the facade's answer parsed, so native and WASM share one mapping; the text moves
//   through linear memory in one JS call each way (EM_JS), not through Embind's per-value calls;
// - govern, the per-attempt hot path, reads its input fields into a flat block in one JS call,
//   runs the typed core, and builds the result object from a flat block in one JS call. Learned
//   state goes through the same validation (state_from_loose) as the JSON reader. With
//   "explain": true it takes the facade path, which adds "why" and "explain".
#include <emscripten/bind.h>
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "reroute/governor.hpp"
#include "reroute/reasoning_json.hpp"

using emscripten::val;
using EmVal = emscripten::EM_VAL;

namespace reroute::wasm::reasoning_binding {
namespace {

std::string g_buffer;  // JSON text and message bytes written by JS

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

// Helpers of the govern wire, made once per module instance.
EM_JS(void, rr_reasoning_wire_init, (), {
    var isObj = function(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); };
    // Loose fields, written straight into a C++ LooseState (LooseField: FieldType byte at +0,
    // number at +8, 16 bytes each). FieldType: absent 0, number 1, string 2, null 3, object 4,
    // other 5. `b` is the LooseState's byte address, `f` the HEAPF64 index of its first number.
    var other = function(F, U, b, f, v, s) {
        var t;
        if (v === undefined) t = 0;
        else if (typeof v === 'number') { t = 1; F[f + 2 * s] = v; }
        else if (typeof v === 'string') {
            t = 2;
            F[f + 2 * s] = v === 'off' ? 0 : v === 'low' ? 1 : v === 'medium' ? 2 : v === 'high' ? 3 : -1;
        }
        else if (v === null) t = 3;
        else if (typeof v === 'object' && !Array.isArray(v)) t = 4;
        else t = 5;
        U[b + 16 * s] = t;
    };
    var obj = function(U, b, v, s) {
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) { U[b + 16 * s] = 4; return true; }
        U[b + 16 * s] = v === undefined ? 0 : v === null ? 3 : typeof v === 'number' ? 1 : typeof v === 'string' ? 2 : 5;
        return false;
    };
    var putBucket = function(F, U, b, f, k, s) {
        if (!obj(U, b, k, s)) return;
        var v;
        v = k.count; if (typeof v === 'number') { F[f + 2 * s + 2] = v; U[b + 16 * s + 16] = 1; } else other(F, U, b, f, v, s + 1);
        v = k.mean; if (typeof v === 'number') { F[f + 2 * s + 4] = v; U[b + 16 * s + 32] = 1; } else other(F, U, b, f, v, s + 2);
        v = k.m2; if (typeof v === 'number') { F[f + 2 * s + 6] = v; U[b + 16 * s + 48] = 1; } else other(F, U, b, f, v, s + 3);
        v = k.under_ema; if (typeof v === 'number') { F[f + 2 * s + 8] = v; U[b + 16 * s + 64] = 1; } else other(F, U, b, f, v, s + 4);
        v = k.wasteful_ema; if (typeof v === 'number') { F[f + 2 * s + 10] = v; U[b + 16 * s + 80] = 1; } else other(F, U, b, f, v, s + 5);
        v = k.quality_ema; if (typeof v === 'number') { F[f + 2 * s + 12] = v; U[b + 16 * s + 96] = 1; } else other(F, U, b, f, v, s + 6);
        other(F, U, b, f, k.last_tier, s + 7);
    };
    var putState = function(F, U, b, st) {
        var f = (b + 8) >> 3;
        if (!obj(U, b, st, 0)) return;
        var v = st.turns;
        if (typeof v === 'number') { F[f + 2] = v; U[b + 16] = 1; } else other(F, U, b, f, v, 1);
        var a = st.intensity;
        if (obj(U, b, a, 2)) {
            v = a.count; if (typeof v === 'number') { F[f + 6] = v; U[b + 48] = 1; } else other(F, U, b, f, v, 3);
            v = a.mean; if (typeof v === 'number') { F[f + 8] = v; U[b + 64] = 1; } else other(F, U, b, f, v, 4);
            v = a.m2; if (typeof v === 'number') { F[f + 10] = v; U[b + 80] = 1; } else other(F, U, b, f, v, 5);
        }
        var k = st.buckets;
        if (!obj(U, b, k, 6)) return;
        putBucket(F, U, b, f, k.easy, 7);
        putBucket(F, U, b, f, k.medium, 15);
        putBucket(F, U, b, f, k.hard, 23);
    };
    Module.rrWire = {
        isObj: isObj,
        putState: putState,
        EMPTY: {},
        EFFORT: { low: 0, medium: 1, high: 2 },
        CREATIVITY: { precise: 0, balanced: 1, creative: 2 },
        KNOB: { none: 0, effort: 1, budget: 2 },
        TIERS: ['off', 'low', 'medium', 'high'],
        CLASSES: ['easy', 'medium', 'hard'],
        REASONS: ['utility', 'cold', 'cold_quality', 'warm', 'bandit', 'held'],
        EFFORTS: ['minimal', 'low', 'medium', 'high'],
        encoder: new TextEncoder(),
        view: null,  // a Uint8Array over the text buffer, reused while the buffer stays put
    };
});

// govern's input as a flat block (slots in GovernSlot below) and the learned states as loose
// fields into two LooseStates. Returns 1 when the input asks for an explanation.
EM_JS(int, rr_reasoning_govern_read, (EmVal handle, double* nums, void* thread, void* profile), {
    var W = Module.rrWire;
    var isObj = W.isObj;
    var input = Emval.toValue(handle);
    var o = isObj(input) ? input : W.EMPTY;
    if (o.explain === true) return 1;
    var req = isObj(o.request) ? o.request : W.EMPTY;
    var text = req.text;
    var written = 0, ptr = 0;
    if (typeof text === 'string' && text.length > 0) {
        var want = Math.max(text.length * 3, 1024);
        ptr = _rr_reasoning_buffer(want);  // may move the buffer or grow the memory: checked below
        var view = W.view;
        if (view === null || view.buffer !== HEAPU8.buffer || view.byteOffset !== ptr || view.length < want) {
            view = W.view = new Uint8Array(HEAPU8.buffer, ptr, want);
        }
        written = W.encoder.encodeInto(text, view).written;
    }
    var F = HEAPF64;
    var n = nums >> 3;
    var seed = isObj(o.seed) ? o.seed : W.EMPTY;
    var cp = isObj(o.capability) ? o.capability : W.EMPTY;
    var client = isObj(o.client) ? o.client : W.EMPTY;
    var at = req.agent_type;
    var flags = (req.has_attachments === true ? 1 : 0) | (req.has_rag === true ? 2 : 0) | (req.has_web === true ? 4 : 0) |
        (cp.supports_minimal === true ? 8 : 0) |
        (typeof client.temperature === 'number' && isFinite(client.temperature) ? 16 : 0) |
        (client.reasoning === true ? 32 : 0) |
        (typeof at === 'string' && at !== 'chat' && at !== 'subagent' ? 64 : 0);
    var v;
    F[n] = o.kind === 'utility' ? 1 : 0;
    v = req.tokens; F[n + 1] = typeof v === 'number' && isFinite(v) ? v : NaN;
    v = req.tool_count; F[n + 2] = typeof v === 'number' && isFinite(v) ? v : NaN;
    v = req.max_steps; F[n + 3] = typeof v === 'number' && isFinite(v) ? v : NaN;
    v = req.history_message_count; F[n + 4] = typeof v === 'number' && isFinite(v) ? v : NaN;
    F[n + 5] = flags;
    v = seed.effort; F[n + 6] = typeof v === 'string' && W.EFFORT.hasOwnProperty(v) ? W.EFFORT[v] : -1;
    v = seed.creativity; F[n + 7] = typeof v === 'string' && W.CREATIVITY.hasOwnProperty(v) ? W.CREATIVITY[v] : -1;
    v = cp.knob; F[n + 8] = typeof v === 'string' && W.KNOB.hasOwnProperty(v) ? W.KNOB[v] : 0;
    v = cp.min_budget_tokens; F[n + 9] = typeof v === 'number' && isFinite(v) && Math.abs(v) <= 9007199254740992 ? Math.floor(v) : NaN;
    v = cp.max_budget_tokens; F[n + 10] = typeof v === 'number' && isFinite(v) && Math.abs(v) <= 9007199254740992 ? Math.floor(v) : NaN;
    v = cp.max_output_tokens; F[n + 11] = typeof v === 'number' && isFinite(v) && Math.abs(v) <= 9007199254740992 ? Math.floor(v) : NaN;
    v = client.max_tokens; F[n + 12] = typeof v === 'number' && isFinite(v) && Math.abs(v) <= 9007199254740992 ? Math.floor(v) : NaN;
    F[n + 13] = ptr;
    F[n + 14] = written;
    var U = HEAPU8;
    if (o.thread !== undefined && o.thread !== null) W.putState(F, U, thread, o.thread);
    if (o.profile !== undefined && o.profile !== null) W.putState(F, U, profile, o.profile);
    return 0;
});

// govern's result object from a flat block (slots in ResultSlot below).
EM_JS(EmVal, rr_reasoning_govern_result, (const double* out), {
    var F = HEAPF64;
    var r = out >> 3;
    var W = Module.rrWire;
    var TIERS = W.TIERS, CLASSES = W.CLASSES, REASONS = W.REASONS, EFFORTS = W.EFFORTS;
    var patch = {};
    if (F[r + 15] >= 0) patch.reasoning_effort = EFFORTS[F[r + 15]];
    if (F[r + 16] === F[r + 16]) patch.thinking = { type: 'enabled', budget_tokens: F[r + 16] };
    if (F[r + 17] === F[r + 17]) patch.max_tokens = F[r + 17];
    if (F[r + 18] === F[r + 18]) patch.temperature = F[r + 18];
    return Emval.toHandle({
        prior: {
            base_intensity: F[r], intensity: F[r + 1], creativity: F[r + 2], class: CLASSES[F[r + 3]],
            floor: TIERS[F[r + 4]], tier: TIERS[F[r + 5]], budget: F[r + 6],
        },
        thresholds: { lo: F[r + 7], hi: F[r + 8] },
        steerable: F[r + 9] === 1,
        decision: F[r + 10] === 1 ? { tier: TIERS[F[r + 11]], budget: F[r + 12], reason: REASONS[F[r + 13]] } : null,
        applied: F[r + 14] === 1,
        patch: patch,
        record: F[r + 19] === 1 ? {
            class: CLASSES[F[r + 20]], intensity: F[r + 21], chosen_tier: TIERS[F[r + 22]], budget_tokens: F[r + 23],
            self_truncates: F[r + 24] === 1, record_reasoning_tokens: F[r + 25] === 1,
        } : null,
    });
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

// Slots of the govern input block (keep in step with rr_reasoning_govern_read).
enum GovernSlot : int {
    kKind, kTokens, kToolCount, kMaxSteps, kHistory, kFlags, kSeedEffort, kSeedCreativity, kKnob,
    kMinBudget, kMaxBudget, kMaxOutput, kClientMaxTokens, kTextPtr, kTextLen, kGovernSlots,
};
static_assert(sizeof(LooseField) == 16 && offsetof(LooseField, number) == 8, "the JS side writes LooseFields by offset");
enum GovernFlag : int {
    kHasAttachments = 1, kHasRag = 2, kHasWeb = 4, kSupportsMinimal = 8, kClientTemperature = 16,
    kClientReasoning = 32, kOtherAgentType = 64,
};
// Slots of the result block (keep in step with rr_reasoning_govern_result).
enum ResultSlot : int {
    kBaseIntensity, kIntensity, kCreativity, kClass, kFloor, kTier, kBudget, kLo, kHi, kSteerable,
    kHasDecision, kDecisionTier, kDecisionBudget, kDecisionReason, kApplied, kPatchEffort, kPatchThinking,
    kPatchMaxTokens, kPatchTemperature, kHasRecord, kRecordClass, kRecordIntensity, kRecordTier,
    kRecordBudget, kRecordSelfTruncates, kRecordReasoningTokens, kResultSlots,
};

std::optional<std::int64_t> whole(double d) {
    if (d != d) return std::nullopt;
    return static_cast<std::int64_t>(d);
}
double finite_or(double d, double fallback) { return d == d ? d : fallback; }

// A state the JS side read (a slot-0 type of absent or null: no state).
std::optional<ReasoningState> state_from_fields(const LooseState& fields) {
    const FieldType self = fields[kStateSelf].type;
    if (self == FieldType::absent || self == FieldType::null) return std::nullopt;
    return state_from_loose(fields);
}

double effort_index(const std::optional<std::string_view>& v) {
    if (!v) return -1;
    if (*v == "minimal") return 0;
    if (*v == "low") return 1;
    if (*v == "medium") return 2;
    return 3;
}

constexpr char kGovern[] = "govern";

val govern_js(val input) {
    double in[kGovernSlots];
    LooseState thread_fields, profile_fields;  // every field absent until JS writes it
    if (rr_reasoning_govern_read(input.as_handle(), in, thread_fields.data(), profile_fields.data()) != 0)
        return call_op(kGovern, input);

    const int flags = static_cast<int>(in[kFlags]);
    GovernInput g;
    g.kind = in[kKind] == 1 ? Kind::utility : Kind::chat;
    SignalInput& r = g.request;
    r.text = std::string_view(g_buffer.data(), static_cast<std::size_t>(in[kTextLen]));
    if (in[kTokens] == in[kTokens]) r.tokens = in[kTokens];
    r.tool_count = finite_or(in[kToolCount], 0);
    r.max_steps = finite_or(in[kMaxSteps], 0);
    r.history_message_count = finite_or(in[kHistory], 0);
    r.has_attachments = flags & kHasAttachments;
    r.has_rag = flags & kHasRag;
    r.has_web = flags & kHasWeb;
    r.agent_type = (flags & kOtherAgentType) ? "other" : "chat";
    if (in[kSeedEffort] >= 0) g.seed.effort = static_cast<Effort>(static_cast<int>(in[kSeedEffort]));
    if (in[kSeedCreativity] >= 0) g.seed.creativity = static_cast<Creativity>(static_cast<int>(in[kSeedCreativity]));
    g.capability.knob = static_cast<Knob>(static_cast<int>(in[kKnob]));
    g.capability.supports_minimal = flags & kSupportsMinimal;
    g.capability.min_budget_tokens = whole(in[kMinBudget]);
    g.capability.max_budget_tokens = whole(in[kMaxBudget]);
    g.capability.max_output_tokens = whole(in[kMaxOutput]);
    g.client.temperature = flags & kClientTemperature;
    g.client.reasoning = flags & kClientReasoning;
    g.client.max_tokens = whole(in[kClientMaxTokens]);
    const auto thread = state_from_fields(thread_fields);
    const auto profile = state_from_fields(profile_fields);
    g.thread = thread ? &*thread : nullptr;
    g.profile = profile ? &*profile : nullptr;

    const Governed res = govern(g);

    constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
    double out[kResultSlots];
    const Prior& p = res.prior;
    out[kBaseIntensity] = p.base_intensity;
    out[kIntensity] = p.intensity;
    out[kCreativity] = p.creativity;
    out[kClass] = static_cast<double>(p.turn_class);
    out[kFloor] = rank(p.floor);
    out[kTier] = rank(p.tier);
    out[kBudget] = static_cast<double>(p.budget);
    out[kLo] = res.thresholds.lo;
    out[kHi] = res.thresholds.hi;
    out[kSteerable] = res.steerable ? 1 : 0;
    out[kHasDecision] = res.decision ? 1 : 0;
    out[kDecisionTier] = res.decision ? rank(res.decision->tier) : 0;
    out[kDecisionBudget] = res.decision ? static_cast<double>(res.decision->budget) : 0;
    out[kDecisionReason] = res.decision ? static_cast<double>(res.decision->reason) : 0;
    out[kApplied] = res.applied ? 1 : 0;
    out[kPatchEffort] = effort_index(res.patch.reasoning_effort);
    out[kPatchThinking] = res.patch.thinking_budget ? static_cast<double>(*res.patch.thinking_budget) : kNone;
    out[kPatchMaxTokens] = res.patch.max_tokens ? static_cast<double>(*res.patch.max_tokens) : kNone;
    out[kPatchTemperature] = res.patch.temperature ? *res.patch.temperature : kNone;
    out[kHasRecord] = res.record ? 1 : 0;
    if (res.record) {
        out[kRecordClass] = static_cast<double>(res.record->turn_class);
        out[kRecordIntensity] = res.record->intensity;
        out[kRecordTier] = rank(res.record->chosen_tier);
        out[kRecordBudget] = static_cast<double>(res.record->budget_tokens);
        out[kRecordSelfTruncates] = res.record->self_truncates ? 1 : 0;
        out[kRecordReasoningTokens] = res.record->record_reasoning_tokens ? 1 : 0;
    } else {
        for (int i = kRecordClass; i < kResultSlots; ++i) out[i] = 0;
    }
    return val::take_ownership(rr_reasoning_govern_result(out));
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
constexpr char kOutcome[] = "outcome";
constexpr char kRequestFacts[] = "request_facts";

}  // namespace
}  // namespace reroute::wasm::reasoning_binding

EMSCRIPTEN_BINDINGS(reroute_reasoning) {
    using namespace reroute::wasm::reasoning_binding;
    using emscripten::function;
    rr_reasoning_wire_init();
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
    function("govern", &govern_js);
    function("reasoningOutcome", &op<kOutcome>);
    function("reasoningRequestFacts", &op<kRequestFacts>);
}

// The governor's per-attempt step from JS (reasoning.md section 7 `govern`), without Embind.
//
// `govern` is a JS function that lives in the glue (installed below with EM_JS, exposed by the
// loader from `Module.rrDirect`): it reads the plain input object into static blocks in linear
// memory, writes the message as UTF-8 into a text buffer, calls the raw export rr_govern, and
// builds the plain result object from a static block of numbers. A learned state in the complete
// form that the edge stores (every field present, of the right type) travels as its 25 numbers;
// any other shape as loose fields with their types. The core checks either against the rules of
// 5.5. No Embind conversion, no handle, no allocation in the module per call. With
// "explain": true it hands the input to the JSON facade (bindings_reasoning.cpp), which adds "why"
// and "explain".
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "reroute/governor.hpp"
#include "reroute/reasoning_json.hpp"

namespace reroute::wasm::govern_binding {
namespace {

using namespace reroute::reasoning;

// Slots of the input block (keep in step with the JS below).
enum InputSlot : int {
    kKind, kTokens, kToolCount, kMaxSteps, kHistory, kFlags, kSeedEffort, kSeedCreativity, kKnob,
    kMinBudget, kMaxBudget, kMaxOutput, kClientMaxTokens, kTextLen, kThreadShape, kProfileShape, kInputSlots,
};
// How JS wrote a learned state.
enum StateShape : int {
    kLooseShape,     // every field the state reader looks at, with its type (LooseState)
    kCompleteShape,  // the complete form: its numbers (StateNumbers)
};
enum InputFlag : int {
    kHasAttachments = 1, kHasRag = 2, kHasWeb = 4, kSupportsMinimal = 8, kClientTemperature = 16,
    kClientReasoning = 32, kOtherAgentType = 64,
};
// Slots of the result block (keep in step with the JS below).
enum ResultSlot : int {
    kBaseIntensity, kIntensity, kCreativity, kClass, kFloor, kTier, kBudget, kLo, kHi, kSteerable,
    kHasDecision, kDecisionTier, kDecisionBudget, kDecisionReason, kApplied, kPatchEffort, kPatchThinking,
    kPatchMaxTokens, kPatchTemperature, kHasRecord, kRecordClass, kRecordIntensity, kRecordTier,
    kRecordBudget, kRecordSelfTruncates, kRecordReasoningTokens, kResultSlots,
};
static_assert(sizeof(LooseField) == 16 && offsetof(LooseField, type) == 0 && offsetof(LooseField, number) == 8,
              "the JS side writes LooseFields by offset");
static_assert(sizeof(StateNumbers) == 25 * sizeof(double) && offsetof(StateNumbers, buckets) == 4 * sizeof(double) &&
                  sizeof(StateNumbers::BucketNumbers) == 7 * sizeof(double),
              "the JS side writes StateNumbers as 25 doubles: turns, intensity, then 7 per bucket");

// The blocks JS writes and reads, at fixed addresses. JS writes every slot the state reader looks
// at (a child only under an object parent), so the states need no clearing between calls.
struct Blocks {
    double input[kInputSlots];
    LooseState thread;
    LooseState profile;
    StateNumbers thread_numbers;
    StateNumbers profile_numbers;
    double result[kResultSlots];
};
Blocks g_blocks;
std::vector<char> g_text;  // the message's UTF-8

std::optional<std::int64_t> whole(double d) {
    if (d != d) return std::nullopt;
    return static_cast<std::int64_t>(d);
}
double finite_or(double d, double fallback) { return d == d ? d : fallback; }

// A state JS wrote: in the complete form as numbers, else as loose fields (self absent or null: no
// state).
std::optional<ReasoningState> state_from_blocks(const StateNumbers& numbers, const LooseState& fields, double shape) {
    if (shape == static_cast<double>(kCompleteShape)) return state_from_numbers(numbers);
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

void write_result(const Governed& res) {
    constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
    double* out = g_blocks.result;
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
    if (res.decision) {
        out[kDecisionTier] = rank(res.decision->tier);
        out[kDecisionBudget] = static_cast<double>(res.decision->budget);
        out[kDecisionReason] = static_cast<double>(res.decision->reason);
    }
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
    }
}

}  // namespace
}  // namespace reroute::wasm::govern_binding

extern "C" {

// A text buffer of at least `bytes` bytes (its previous contents are dropped); may grow the memory.
EMSCRIPTEN_KEEPALIVE char* rr_govern_text(std::uint32_t bytes) {
    auto& t = reroute::wasm::govern_binding::g_text;
    if (t.size() < bytes) t.resize(bytes);
    return t.data();
}

// One governor step over the input blocks; the result block is filled.
EMSCRIPTEN_KEEPALIVE void rr_govern() {
    using namespace reroute::wasm::govern_binding;
    const double* in = g_blocks.input;
    const int flags = static_cast<int>(in[kFlags]);
    GovernInput g;
    g.kind = in[kKind] == 1 ? Kind::utility : Kind::chat;
    SignalInput& r = g.request;
    r.text = std::string_view(g_text.data(), static_cast<std::size_t>(in[kTextLen]));
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
    const auto thread = state_from_blocks(g_blocks.thread_numbers, g_blocks.thread, in[kThreadShape]);
    const auto profile = state_from_blocks(g_blocks.profile_numbers, g_blocks.profile, in[kProfileShape]);
    g.thread = thread ? &*thread : nullptr;
    g.profile = profile ? &*profile : nullptr;
    write_result(govern(g));
}

}  // extern "C"

// The JS side. `blocks` is g_blocks' address; the offsets follow struct Blocks.
EM_JS(void, rr_govern_install, (const void* blocks, std::uint32_t thread_offset, std::uint32_t profile_offset,
                                std::uint32_t thread_numbers_offset, std::uint32_t profile_numbers_offset,
                                std::uint32_t result_offset), {
    var IN = blocks >> 3;
    var THREAD = blocks + thread_offset;
    var PROFILE = blocks + profile_offset;
    var THREAD_NUMBERS = blocks + thread_numbers_offset;
    var PROFILE_NUMBERS = blocks + profile_numbers_offset;
    var OUT = (blocks + result_offset) >> 3;
    var TIERS = ['off', 'low', 'medium', 'high'];
    var CLASSES = ['easy', 'medium', 'hard'];
    var REASONS = ['utility', 'cold', 'cold_quality', 'warm', 'bandit', 'held'];
    var EFFORTS = ['minimal', 'low', 'medium', 'high'];
    var EMPTY = {};
    var encoder = new TextEncoder();
    var textPtr = 0, textCap = 0, textView = null;

    var isObj = function(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); };
    var seedEffort = function(v) { return v === 'low' ? 0 : v === 'medium' ? 1 : v === 'high' ? 2 : -1; };
    var seedCreativity = function(v) { return v === 'precise' ? 0 : v === 'balanced' ? 1 : v === 'creative' ? 2 : -1; };
    var knob = function(v) { return v === 'effort' ? 1 : v === 'budget' ? 2 : 0; };
    var tierIndex = function(v) { return v === 'off' ? 0 : v === 'low' ? 1 : v === 'medium' ? 2 : v === 'high' ? 3 : -1; };
    var num = function(v) { return typeof v === 'number' && isFinite(v) ? v : NaN; };
    // Budgets and token caps: rounded down, NaN when absent or not exact.
    var whole = function(v) { return typeof v === 'number' && isFinite(v) && Math.abs(v) <= 9007199254740992 ? Math.floor(v) : NaN; };

    // One loose field (reasoning_json.hpp LooseField: FieldType byte at +0, number at +8). FieldType:
    // absent 0, number 1, string 2 (number: the tier index or -1), null 3, object 4, other 5.
    // Returns whether the value is an object.
    var put = function(U, F, at, v) {
        var t;
        if (typeof v === 'number') { t = 1; F[(at + 8) >> 3] = v; }
        else if (v === undefined) t = 0;
        else if (typeof v === 'string') { t = 2; F[(at + 8) >> 3] = tierIndex(v); }
        else if (v === null) t = 3;
        else if (typeof v === 'object' && !Array.isArray(v)) t = 4;
        else t = 5;
        U[at] = t;
        return t === 4;
    };
    // A learned state in the complete form, as StateNumbers at F[f..f+24]: turns, intensity, then
    // per bucket (easy, medium, hard) its numbers and its last tier's rank (-1 for null). False
    // (leaving a partial write) for any other shape, unknown tier names included.
    var putCompleteBucket = function(F, f, k) {
        if (!isObj(k)) return false;
        var v;
        v = k.count; if (typeof v !== 'number') return false; F[f] = v;
        v = k.mean; if (typeof v !== 'number') return false; F[f + 1] = v;
        v = k.m2; if (typeof v !== 'number') return false; F[f + 2] = v;
        v = k.under_ema; if (typeof v !== 'number') return false; F[f + 3] = v;
        v = k.wasteful_ema; if (typeof v !== 'number') return false; F[f + 4] = v;
        v = k.quality_ema; if (typeof v !== 'number') return false; F[f + 5] = v;
        v = k.last_tier;
        if (v === null) F[f + 6] = -1;
        else if (typeof v !== 'string' || (F[f + 6] = tierIndex(v)) < 0) return false;
        return true;
    };
    var putComplete = function(F, f, s) {
        if (!isObj(s)) return false;
        var a = s.intensity, k = s.buckets, v;
        if (!isObj(a) || !isObj(k)) return false;
        v = s.turns; if (typeof v !== 'number') return false; F[f] = v;
        v = a.count; if (typeof v !== 'number') return false; F[f + 1] = v;
        v = a.mean; if (typeof v !== 'number') return false; F[f + 2] = v;
        v = a.m2; if (typeof v !== 'number') return false; F[f + 3] = v;
        return putCompleteBucket(F, f + 4, k.easy) && putCompleteBucket(F, f + 11, k.medium) &&
            putCompleteBucket(F, f + 18, k.hard);
    };
    // A learned state as loose fields, in StateSlot/BucketSlot order, 16 bytes a slot.
    var putBucket = function(U, F, at, k) {
        if (!put(U, F, at, k)) return;
        put(U, F, at + 16, k.count);
        put(U, F, at + 32, k.mean);
        put(U, F, at + 48, k.m2);
        put(U, F, at + 64, k.under_ema);
        put(U, F, at + 80, k.wasteful_ema);
        put(U, F, at + 96, k.quality_ema);
        put(U, F, at + 112, k.last_tier);
    };
    var putLoose = function(U, F, at, s) {
        if (!put(U, F, at, s)) return;
        put(U, F, at + 16, s.turns);
        var a = s.intensity;
        if (put(U, F, at + 32, a)) {
            put(U, F, at + 48, a.count);
            put(U, F, at + 64, a.mean);
            put(U, F, at + 80, a.m2);
        }
        var k = s.buckets;
        if (!put(U, F, at + 96, k)) return;
        putBucket(U, F, at + 112, k.easy);
        putBucket(U, F, at + 240, k.medium);
        putBucket(U, F, at + 368, k.hard);
    };
    // Returns the StateShape written.
    var putState = function(U, F, loose, numbers, s) {
        if (putComplete(F, numbers >> 3, s)) return 1;
        putLoose(U, F, loose, s);
        return 0;
    };
    // The message as UTF-8 in the text buffer; returns its byte length. Short ASCII text is copied
    // by hand (cheaper than an encodeInto call).
    var putText = function(text) {
        var n = text.length;
        if (n * 3 > textCap) {
            textCap = Math.max(n * 3, 1024);
            textPtr = _rr_govern_text(textCap);  // may grow the memory: HEAPU8 is read after
        }
        var U = HEAPU8;
        if (n <= 64) {
            var i = 0;
            for (; i < n; i++) {
                var c = text.charCodeAt(i);
                if (c > 0x7f) break;
                U[textPtr + i] = c;
            }
            if (i === n) return n;
        }
        if (textView === null || textView.buffer !== U.buffer || textView.byteOffset !== textPtr || textView.length !== textCap) {
            textView = new Uint8Array(U.buffer, textPtr, textCap);
        }
        return encoder.encodeInto(text, textView).written;
    };

    var govern = function(input) {
        var o = isObj(input) ? input : EMPTY;
        if (o.explain === true) return Module['_governExplained'](o);
        var req = isObj(o.request) ? o.request : EMPTY;
        var seed = isObj(o.seed) ? o.seed : EMPTY;
        var cp = isObj(o.capability) ? o.capability : EMPTY;
        var client = isObj(o.client) ? o.client : EMPTY;
        var text = req.text;
        var len = typeof text === 'string' && text.length > 0 ? putText(text) : 0;
        var F = HEAPF64, U = HEAPU8;
        var at = req.agent_type;
        F[IN] = o.kind === 'utility' ? 1 : 0;
        F[IN + 1] = num(req.tokens);
        F[IN + 2] = num(req.tool_count);
        F[IN + 3] = num(req.max_steps);
        F[IN + 4] = num(req.history_message_count);
        F[IN + 5] = (req.has_attachments === true ? 1 : 0) | (req.has_rag === true ? 2 : 0) | (req.has_web === true ? 4 : 0) |
            (cp.supports_minimal === true ? 8 : 0) | (typeof client.temperature === 'number' && isFinite(client.temperature) ? 16 : 0) |
            (client.reasoning === true ? 32 : 0) | (typeof at === 'string' && at !== 'chat' && at !== 'subagent' ? 64 : 0);
        F[IN + 6] = seedEffort(seed.effort);
        F[IN + 7] = seedCreativity(seed.creativity);
        F[IN + 8] = knob(cp.knob);
        F[IN + 9] = whole(cp.min_budget_tokens);
        F[IN + 10] = whole(cp.max_budget_tokens);
        F[IN + 11] = whole(cp.max_output_tokens);
        F[IN + 12] = whole(client.max_tokens);
        F[IN + 13] = len;
        F[IN + 14] = putState(U, F, THREAD, THREAD_NUMBERS, o.thread);
        F[IN + 15] = putState(U, F, PROFILE, PROFILE_NUMBERS, o.profile);
        _rr_govern();
        F = HEAPF64;
        var patch = {};
        if (F[OUT + 15] >= 0) patch.reasoning_effort = EFFORTS[F[OUT + 15]];
        if (F[OUT + 16] === F[OUT + 16]) patch.thinking = { type: 'enabled', budget_tokens: F[OUT + 16] };
        if (F[OUT + 17] === F[OUT + 17]) patch.max_tokens = F[OUT + 17];
        if (F[OUT + 18] === F[OUT + 18]) patch.temperature = F[OUT + 18];
        return {
            prior: {
                base_intensity: F[OUT], intensity: F[OUT + 1], creativity: F[OUT + 2], class: CLASSES[F[OUT + 3]],
                floor: TIERS[F[OUT + 4]], tier: TIERS[F[OUT + 5]], budget: F[OUT + 6],
            },
            thresholds: { lo: F[OUT + 7], hi: F[OUT + 8] },
            steerable: F[OUT + 9] === 1,
            decision: F[OUT + 10] === 1 ? { tier: TIERS[F[OUT + 11]], budget: F[OUT + 12], reason: REASONS[F[OUT + 13]] } : null,
            applied: F[OUT + 14] === 1,
            patch: patch,
            record: F[OUT + 19] === 1 ? {
                class: CLASSES[F[OUT + 20]], intensity: F[OUT + 21], chosen_tier: TIERS[F[OUT + 22]], budget_tokens: F[OUT + 23],
                self_truncates: F[OUT + 24] === 1, record_reasoning_tokens: F[OUT + 25] === 1,
            } : null,
        };
    };
    Module['rrDirect'] = Object.assign(Module['rrDirect'] || {}, { govern: govern });
});

namespace {
// Installs the JS side when the module starts (a static constructor, like Embind's registrations).
[[maybe_unused]] const bool g_installed = [] {
    using reroute::wasm::govern_binding::Blocks;
    using reroute::wasm::govern_binding::g_blocks;
    rr_govern_install(&g_blocks, offsetof(Blocks, thread), offsetof(Blocks, profile), offsetof(Blocks, thread_numbers),
                      offsetof(Blocks, profile_numbers), offsetof(Blocks, result));
    return true;
}();
}  // namespace

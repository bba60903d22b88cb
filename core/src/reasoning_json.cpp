#include "reroute/reasoning_json.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace reroute::reasoning {
namespace {

using json::Value;
using JKind = json::Kind;

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

// ---------------------------------------------------------------------------------------------
// Reading

const Value* member(const Value* object, std::string_view key) noexcept {
    if (!object || !object->is_object()) return nullptr;
    return object->find(key);
}

std::optional<std::string_view> string_at(const Value* object, std::string_view key) noexcept {
    const Value* v = member(object, key);
    if (v && v->is_string()) return std::string_view(v->string);
    return std::nullopt;
}

std::optional<double> number_at(const Value* object, std::string_view key) noexcept {
    const Value* v = member(object, key);
    if (v && v->is_number() && std::isfinite(v->number)) return v->number;
    return std::nullopt;
}

bool bool_at(const Value* object, std::string_view key) noexcept {
    const Value* v = member(object, key);
    return v && v->kind == JKind::boolean && v->boolean;
}

bool is_integer(double d) noexcept { return std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= kMaxExactInteger; }

// An integer-valued number (timestamps, budgets, counts).
std::optional<std::int64_t> int_at(const Value* object, std::string_view key) noexcept {
    const auto d = number_at(object, key);
    if (d && is_integer(*d)) return static_cast<std::int64_t>(*d);
    return std::nullopt;
}

// Budgets and token caps given as any number: rounded down to an integer.
std::optional<std::int64_t> whole_at(const Value* object, std::string_view key) noexcept {
    const auto d = number_at(object, key);
    if (d && std::fabs(*d) <= kMaxExactInteger) return static_cast<std::int64_t>(std::floor(*d));
    return std::nullopt;
}

std::vector<std::string> strings_at(const Value* object, std::string_view key) {
    std::vector<std::string> out;
    const Value* v = member(object, key);
    if (!v || v->kind != JKind::array) return out;
    for (const Value& item : v->items)
        if (item.is_string()) out.push_back(item.string);
    return out;
}

Seed seed_from(const Value* v) {
    Seed s;
    if (auto e = string_at(v, "effort")) s.effort = parse_effort(*e);
    if (auto c = string_at(v, "creativity")) s.creativity = parse_creativity(*c);
    return s;
}

// Stored advice: the same rules as a reply's (so a tampered store cannot inject anything).
Advice advice_from(const Value* v) {
    Advice a;
    if (auto l = string_at(v, "language")) a.language = valid_language(*l);
    const Value* tuning = member(v, "tuning");
    if (auto s = string_at(tuning, "style")) a.tuning.style = normalise_style(*s);
    if (auto s = string_at(tuning, "verbosity")) a.tuning.verbosity = normalise_verbosity(*s);
    const Value* seed = member(v, "seed");
    if (auto s = string_at(seed, "effort")) a.seed.effort = normalise_effort(*s);
    if (auto s = string_at(seed, "creativity")) a.seed.creativity = normalise_creativity(*s);
    return a;
}

std::vector<Candidate> candidates_from(const Value* v) {
    std::vector<Candidate> out;
    if (!v || v->kind != JKind::array) return out;
    for (const Value& item : v->items) {
        const auto slug = string_at(&item, "slug");
        if (!slug) continue;
        out.push_back({std::string(*slug), std::string(string_at(&item, "description").value_or(""))});
    }
    return out;
}

// A JSON value as a loose field.
LooseField loose(const Value* v) {
    LooseField f;
    if (!v) return f;
    switch (v->kind) {
        case JKind::number: f.type = FieldType::number; f.number = v->number; break;
        case JKind::string: {
            f.type = FieldType::string;
            const auto tier = parse_tier(v->string);
            f.number = tier ? rank(*tier) : -1;
            break;
        }
        case JKind::null: f.type = FieldType::null; break;
        case JKind::object: f.type = FieldType::object; break;
        default: f.type = FieldType::other; break;
    }
    return f;
}

LooseState loose_state(const Value& v) {
    LooseState s{};
    s[kStateSelf] = loose(&v);
    if (!v.is_object()) return s;
    s[kStateTurns] = loose(v.find("turns"));
    const Value* intensity = v.find("intensity");
    s[kStateIntensity] = loose(intensity);
    if (intensity && intensity->is_object()) {
        s[kIntensityCount] = loose(intensity->find("count"));
        s[kIntensityMean] = loose(intensity->find("mean"));
        s[kIntensityM2] = loose(intensity->find("m2"));
    }
    const Value* buckets = v.find("buckets");
    s[kStateBuckets] = loose(buckets);
    if (buckets && buckets->is_object()) {
        static constexpr std::string_view kNames[] = {"easy", "medium", "hard"};
        for (int b = 0; b < 3; ++b) {
            const Value* bucket = buckets->find(kNames[b]);
            const int at = kBucketFirst + b * kBucketSlots;
            s[at + kBucketSelf] = loose(bucket);
            if (!bucket || !bucket->is_object()) continue;
            s[at + kBucketCount] = loose(bucket->find("count"));
            s[at + kBucketMean] = loose(bucket->find("mean"));
            s[at + kBucketM2] = loose(bucket->find("m2"));
            s[at + kBucketUnder] = loose(bucket->find("under_ema"));
            s[at + kBucketWasteful] = loose(bucket->find("wasteful_ema"));
            s[at + kBucketQuality] = loose(bucket->find("quality_ema"));
            s[at + kBucketLastTier] = loose(bucket->find("last_tier"));
        }
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// Writing

using Obj = json::ObjectWriter;

void write_accumulator(std::string& out, const Accumulator& a) {
    Obj o(out);
    o.integer("count", a.count);
    o.num("mean", a.mean);
    o.num("m2", a.m2);
    o.close();
}

void write_seed(Obj& o, const Seed& s) {
    if (s.empty()) return;
    Obj seed(o.key("seed"));
    if (s.effort) seed.str("effort", to_string(*s.effort));
    if (s.creativity) seed.str("creativity", to_string(*s.creativity));
    seed.close();
}

// language?, tuning?, seed? into an open object.
void write_advice(Obj& o, const Advice& a) {
    if (a.language) o.str("language", *a.language);
    if (!a.tuning.empty()) {
        Obj t(o.key("tuning"));
        if (a.tuning.style) t.str("style", to_string(*a.tuning.style));
        if (a.tuning.verbosity) t.str("verbosity", to_string(*a.tuning.verbosity));
        t.close();
    }
    write_seed(o, a.seed);
}

void write_features(std::string& out, const Features& f) {
    Obj o(out);
    o.num("tokens", f.tokens);
    o.num("code_density", f.code_density);
    o.boolean("has_math", f.has_math);
    o.num("structure", f.structure);
    o.num("hard", f.hard);
    o.num("easy", f.easy);
    o.num("creative", f.creative);
    o.boolean("analytical", f.analytical);
    o.boolean("trivial", f.trivial);
    o.num("retrieval", f.retrieval);
    o.num("agentic", f.agentic);
    o.num("follow_up", f.follow_up);
    o.boolean("has_attachments", f.has_attachments);
    o.close();
}

void write_prior(std::string& out, const Prior& p) {
    Obj o(out);
    o.num("base_intensity", p.base_intensity);
    o.num("intensity", p.intensity);
    o.num("creativity", p.creativity);
    o.str("class", to_string(p.turn_class));
    o.str("floor", to_string(p.floor));
    o.str("tier", to_string(p.tier));
    o.integer("budget", p.budget);
    o.close();
}

void write_thresholds(std::string& out, const Thresholds& t) {
    Obj o(out);
    o.num("lo", t.lo);
    o.num("hi", t.hi);
    o.close();
}

void write_patch(std::string& out, const Patch& p) {
    Obj o(out);
    if (p.reasoning_effort) o.str("reasoning_effort", *p.reasoning_effort);
    if (p.thinking_budget) {
        Obj t(o.key("thinking"));
        t.str("type", "enabled");
        t.integer("budget_tokens", *p.thinking_budget);
        t.close();
    }
    if (p.max_tokens) o.integer("max_tokens", *p.max_tokens);
    if (p.temperature) o.num("temperature", *p.temperature);
    o.close();
}

void write_controller_why(std::string& out, const ControllerWhy& w) {
    Obj o(out);
    o.num("n", w.n);
    o.num("mean", w.mean);
    o.num("std", w.std);
    o.num("under", w.under);
    o.num("wasteful", w.wasteful);
    o.num("quality", w.quality);
    o.num("eff", w.eff);
    o.str("emas_from", w.emas_from == StateSource::thread ? "thread" : w.emas_from == StateSource::profile ? "profile" : "none");
    if (w.last) o.str("last_tier", to_string(*w.last));
    else o.null("last_tier");
    o.str("move", to_string(w.move));
    o.boolean("clamped", w.clamped_to_floor);
    if (w.estimate != 0) {
        o.num("estimate", w.estimate);
        o.boolean("bumped", w.bumped);
        o.boolean("trimmed", w.trimmed);
        o.num("band_lo", w.band_lo);
        o.num("band_hi", w.band_hi);
    }
    o.close();
}

void write_decision(std::string& out, const TierDecision& d, bool why) {
    Obj o(out);
    o.str("tier", to_string(d.tier));
    o.integer("budget", d.budget);
    o.str("reason", to_string(d.reason));
    if (why) write_controller_why(o.key("why"), d.why);
    o.close();
}

void write_prior_why(std::string& out, const PriorWhy& w) {
    Obj o(out);
    {
        Obj c(o.key("signals"));
        for (int i = 0; i < kSignalCount; ++i)
            if (w.contribution[i] != 0) c.num(to_string(static_cast<Signal>(i)), w.contribution[i]);
        c.close();
    }
    o.str("dominant", to_string(w.dominant()));
    o.num("z", w.z);
    o.boolean("damped", w.damped);
    o.boolean("seeded", w.seeded);
    o.boolean("class_capped", w.class_capped);
    o.boolean("floor_raised", w.floor_raised);
    o.str("floor_from", to_string(w.floor_from));
    o.close();
}

void write_route_decision(std::string& out, const RouteDecision& d, bool why) {
    Obj o(out);
    if (d.slug) o.str("slug", *d.slug);
    else o.null("slug");
    o.str("reason", to_string(d.reason));
    write_advice(o, d.advice);
    o.boolean("classifier_called", d.classifier_called);
    if (d.cache_write) write_json(o.key("cache_write"), *d.cache_write);
    else o.null("cache_write");
    if (d.pointer) write_json(o.key("pointer"), *d.pointer);
    else o.null("pointer");
    if (why) {
        Obj w(o.key("why"));
        w.integer("step", static_cast<int>(d.step));
        w.str("step_name", to_string(d.step));
        if (d.cause != FallbackCause::none) w.str("cause", to_string(d.cause));
        if (d.shortlist_dropped) w.integer("shortlist_dropped", static_cast<std::int64_t>(d.shortlist_dropped));
        w.close();
        o.str("explain", explain(d));
    }
    o.close();
}

// ---------------------------------------------------------------------------------------------
// Op inputs

SignalInput signal_input(const Value* v) {
    SignalInput in;
    if (auto t = string_at(v, "text")) in.text = *t;
    in.tokens = number_at(v, "tokens");
    in.has_attachments = bool_at(v, "has_attachments");
    in.has_rag = bool_at(v, "has_rag");
    in.has_web = bool_at(v, "has_web");
    in.tool_count = number_at(v, "tool_count").value_or(0);
    in.max_steps = number_at(v, "max_steps").value_or(0);
    if (auto a = string_at(v, "agent_type")) in.agent_type = *a;
    in.history_message_count = number_at(v, "history_message_count").value_or(0);
    return in;
}

Features features_from(const Value* v) {
    Features f;
    f.tokens = number_at(v, "tokens").value_or(0);
    f.code_density = number_at(v, "code_density").value_or(0);
    f.has_math = bool_at(v, "has_math");
    f.structure = number_at(v, "structure").value_or(0);
    f.hard = number_at(v, "hard").value_or(0);
    f.easy = number_at(v, "easy").value_or(0);
    f.creative = number_at(v, "creative").value_or(0);
    f.analytical = bool_at(v, "analytical");
    f.trivial = bool_at(v, "trivial");
    f.retrieval = number_at(v, "retrieval").value_or(0);
    f.agentic = number_at(v, "agentic").value_or(0);
    f.follow_up = number_at(v, "follow_up").value_or(0);
    f.has_attachments = bool_at(v, "has_attachments");
    return f;
}

Kind kind_from(const Value* in) {
    const auto k = string_at(in, "kind");
    return k ? parse_kind(*k).value_or(Kind::chat) : Kind::chat;
}

std::optional<ReasoningState> state_at(const Value* in, std::string_view key) {
    const Value* v = member(in, key);
    if (!v || v->kind == JKind::null) return std::nullopt;
    return state_from_json(*v);
}

const ReasoningState* ptr(const std::optional<ReasoningState>& s) { return s ? &*s : nullptr; }

std::optional<CacheRow> row_at(const Value* in, std::string_view key) {
    const Value* v = member(in, key);
    if (!v) return std::nullopt;
    return cache_row_from_json(*v);
}

const CacheRow* ptr(const std::optional<CacheRow>& r) { return r ? &*r : nullptr; }

RouteRequest route_request(const Value* in) {
    RouteRequest r;
    r.candidates = candidates_from(member(in, "candidates"));
    r.allow = strings_at(in, "allow");
    if (auto d = string_at(in, "default_slug")) r.default_slug = std::string(*d);
    if (auto m = string_at(in, "message")) r.message = *m;
    return r;
}

ClassifierResult classifier_from(const Value* in) {
    const Value* c = member(in, "classifier");
    const auto outcome = string_at(c, "outcome");
    if (outcome == "ok") {
        ClassifierResult r;
        r.kind = ClassifierResult::Kind::ok;
        if (auto reply = string_at(c, "reply")) r.reply = std::string(*reply);
        return r;
    }
    if (outcome == "timeout") return ClassifierResult::timeout();
    return ClassifierResult::error();
}

ControllerInput controller_from(const Value* in) {
    ControllerInput c;
    c.knob = parse_knob(string_at(in, "knob").value_or("effort")).value_or(Knob::effort);
    if (c.knob == Knob::none) c.knob = Knob::effort;
    const Value* p = member(in, "prior");
    c.prior_tier = parse_tier(string_at(p, "tier").value_or("off")).value_or(Tier::off);
    c.prior_budget = whole_at(p, "budget").value_or(canonical_budget(c.prior_tier));
    c.floor = parse_tier(string_at(in, "floor").value_or("off")).value_or(Tier::off);
    c.turn_class = parse_turn_class(string_at(in, "class").value_or("easy")).value_or(TurnClass::easy);
    return c;
}

std::optional<ReasoningState> fold_outcomes(const Value* list) {
    if (!list || list->kind != JKind::array || list->items.empty()) return std::nullopt;
    std::optional<ReasoningState> state;
    for (const Value& item : list->items) {
        const auto o = outcome_from_json(item);
        if (!o) continue;
        if (!state) state.emplace();
        record(*state, *o);
    }
    return state;
}

// ---------------------------------------------------------------------------------------------
// The ops

std::string op_route_parse(const Value* in) {
    const auto parsed = parse_reply(string_at(in, "reply").value_or(""), strings_at(in, "shortlist"));
    if (!parsed) return "null";
    std::string out;
    Obj o(out);
    o.str("slug", parsed->slug);
    write_advice(o, parsed->advice);
    o.close();
    return out;
}

std::string op_route(const Value* in) {
    const std::optional<CacheRow> row = row_at(in, "cache_row");
    const RouteDecision d = route(route_request(in), ptr(row), classifier_from(in), int_at(in, "now_ms").value_or(0));
    std::string out;
    write_route_decision(out, d, bool_at(in, "explain"));
    return out;
}

std::string op_route_prepare(const Value* in) {
    const RouteRequest request = route_request(in);
    const RouteContext ctx = route_prepare(request);
    std::string out;
    Obj o(out);
    if (ctx.decided) write_route_decision(o.key("decided"), *ctx.decided, bool_at(in, "explain"));
    else o.null("decided");
    o.str("message_key", ctx.message_key);
    o.str("candidates_hash", ctx.candidates_hash);
    std::string& list = o.key("shortlist");
    list += '[';
    bool first = true;
    for (const std::string& s : ctx.shortlist()) {
        if (!first) list += ',';
        first = false;
        json::write_string(list, s);
    }
    list += ']';
    o.close();
    return out;
}

std::string op_route_plan(const Value* in) {
    const RouteRequest request = route_request(in);
    const RouteContext ctx = route_prepare(request);
    const std::optional<CacheRow> row = row_at(in, "cache_row");
    const auto decided = route_cached(ctx, ptr(row), int_at(in, "now_ms").value_or(0));
    std::string out;
    Obj o(out);
    if (decided) {
        write_route_decision(o.key("decision"), *decided, bool_at(in, "explain"));
        o.null("classifier");
    } else {
        o.null("decision");
        const ClassifierPrompt p = classifier_prompt(ctx, request.message);
        Obj c(o.key("classifier"));
        c.str("system", p.system);
        c.str("user", p.user);
        std::string& list = c.key("shortlist");
        list += '[';
        for (std::size_t i = 0; i < p.shortlist.size(); ++i) {
            if (i) list += ',';
            json::write_string(list, p.shortlist[i]);
        }
        list += ']';
        c.str("complexity", to_string(p.complexity));
        c.integer("max_tokens", kClassifierMaxTokens);
        c.integer("timeout_ms", classifier_deadline_ms(int_at(in, "deadline_left_ms")));
        c.close();
    }
    o.close();
    return out;
}

std::string op_classifier_body(const Value* in) {
    const Value* p = member(in, "prompt");
    ClassifierPrompt prompt;
    prompt.system = std::string(string_at(p, "system").value_or(""));
    prompt.user = std::string(string_at(p, "user").value_or(""));
    std::string out;
    Obj o(out);
    o.str("body", classifier_body(prompt, string_at(in, "model").value_or(""), capability_from_json(member(in, "capability"))));
    o.close();
    return out;
}

std::string op_cache_key(const Value* in) {
    std::string out;
    Obj o(out);
    o.str("key", message_key(string_at(in, "message").value_or("")));
    o.close();
    return out;
}

std::string op_candidates_hash(const Value* in) {
    std::string out;
    Obj o(out);
    o.str("hash", candidates_hash(candidates_from(member(in, "candidates"))));
    o.close();
    return out;
}

std::string op_cache_read(const Value* in) {
    const std::optional<CacheRow> row = row_at(in, "row");
    std::string out;
    Obj o(out);
    o.boolean("hit", row && is_fresh(*row, int_at(in, "now_ms").value_or(0)));
    o.close();
    return out;
}

std::string op_cache_upsert(const Value* in) {
    const std::optional<CacheRow> row = row_at(in, "row");
    const Value* d = member(in, "decision");
    CacheDecision decision;
    decision.slug = std::string(string_at(d, "slug").value_or(""));
    decision.source = parse_row_source(string_at(d, "source").value_or("classified")).value_or(RowSource::classified);
    decision.advice = advice_from(d);
    std::string out;
    write_json(out, upsert(ptr(row), decision, int_at(in, "now_ms").value_or(0)));
    return out;
}

std::string op_cache_override(const Value* in) {
    const Value* p = member(in, "pointer");
    const std::optional<Pointer> pointer = p ? pointer_from_json(*p) : std::nullopt;
    const std::optional<CacheRow> row = row_at(in, "row");
    const OverrideResult r = override_feedback(pointer, string_at(in, "message").value_or(""),
                                               string_at(in, "pinned_slug").value_or(""), ptr(row),
                                               int_at(in, "now_ms").value_or(0));
    std::string out;
    Obj o(out);
    if (r.row_write) write_json(o.key("row_write"), *r.row_write);
    else o.null("row_write");
    if (r.pointer) write_json(o.key("pointer"), *r.pointer);
    else o.null("pointer");
    o.close();
    return out;
}

std::string op_cache_purge(const Value* in) {
    std::vector<PurgeCandidate> rows;
    if (const Value* list = member(in, "rows"); list && list->kind == JKind::array) {
        for (const Value& item : list->items) {
            const auto id = string_at(&item, "id");
            const auto created = int_at(&item, "created_at_ms");
            if (id && created) rows.push_back({std::string(*id), *created});
        }
    }
    const std::int64_t max_age = int_at(in, "max_age_ms").value_or(kPurgeMaxAgeMs);
    const std::int64_t batch = int_at(in, "batch").value_or(static_cast<std::int64_t>(kPurgeBatch));
    const auto ids = purge(rows, int_at(in, "now_ms").value_or(0), max_age, batch < 0 ? 0 : static_cast<std::size_t>(batch));
    std::string out;
    Obj o(out);
    std::string& list = o.key("delete");
    list += '[';
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) list += ',';
        json::write_string(list, ids[i]);
    }
    list += ']';
    o.close();
    return out;
}

std::string op_signals(const Value* in) {
    std::string out;
    write_features(out, signals(signal_input(in)));
    return out;
}

std::string op_prior(const Value* in) {
    Thresholds th;
    if (const Value* t = member(in, "thresholds")) {
        th.lo = number_at(t, "lo").value_or(kStaticLo);
        th.hi = number_at(t, "hi").value_or(kStaticHi);
    }
    const Prior p = prior(kind_from(in), features_from(member(in, "features")), seed_from(member(in, "seed")), th);
    std::string out;
    write_prior(out, p);
    return out;
}

std::optional<Accumulator> accumulator_at(const Value* in, std::string_view key) {
    const Value* v = member(in, key);
    if (!v || v->kind == JKind::null) return std::nullopt;
    return accumulator_from_json(*v);
}

std::string op_thresholds(const Value* in) {
    const auto thread = accumulator_at(in, "thread");
    const auto profile = accumulator_at(in, "profile");
    std::string out;
    write_thresholds(out, thresholds(thread ? &*thread : nullptr, profile ? &*profile : nullptr));
    return out;
}

std::string op_tier_of(const Value* in) {
    std::string out;
    Obj o(out);
    o.str("tier", to_string(tier_of(number_at(in, "budget").value_or(0))));
    o.close();
    return out;
}

std::string op_record(const Value* in) {
    std::optional<ReasoningState> state = state_at(in, "state");
    if (!state) state.emplace();
    const Value* o = member(in, "outcome");
    if (const auto outcome = o ? outcome_from_json(*o) : std::nullopt) record(*state, *outcome);
    return to_json(*state);
}

std::string op_record_quality(const Value* in) {
    std::optional<ReasoningState> state = state_at(in, "state");
    if (!state) state.emplace();
    const auto c = string_at(in, "class");
    const auto turn_class = c ? parse_turn_class(*c) : std::nullopt;
    const auto quality = number_at(in, "quality");
    if (turn_class && quality) record_quality(*state, *turn_class, *quality);
    return to_json(*state);
}

std::string op_state(const Value* in) {
    const auto state = state_at(in, "state");
    return state ? to_json(*state) : std::string("null");
}

std::string op_decide(const Value* in) {
    ControllerInput c = controller_from(in);
    const auto thread = state_at(in, "thread");
    const auto profile = state_at(in, "profile");
    c.thread = ptr(thread);
    c.profile = ptr(profile);
    std::string out;
    write_decision(out, decide(c), bool_at(in, "explain"));
    return out;
}

std::string op_replay(const Value* in) {
    ControllerInput c = controller_from(in);
    const auto thread = fold_outcomes(member(in, "thread_outcomes"));
    const auto profile = fold_outcomes(member(in, "profile_outcomes"));
    c.thread = ptr(thread);
    c.profile = ptr(profile);
    std::string out;
    write_decision(out, decide(c), bool_at(in, "explain"));
    return out;
}

std::string op_wire(const Value* in) {
    const Tier tier = parse_tier(string_at(in, "tier").value_or("off")).value_or(Tier::off);
    const Wired w = wire(capability_from_json(member(in, "capability")), tier,
                         whole_at(in, "budget").value_or(canonical_budget(tier)),
                         number_at(in, "creativity").value_or(0.5), client_from_json(member(in, "client")));
    std::string out;
    Obj o(out);
    o.boolean("applied", w.applied);
    write_patch(o.key("patch"), w.patch);
    o.close();
    return out;
}

std::string op_govern(const Value* in) {
    GovernInput g;
    g.kind = kind_from(in);
    g.request = signal_input(member(in, "request"));
    g.seed = seed_from(member(in, "seed"));
    g.capability = capability_from_json(member(in, "capability"));
    const auto thread = state_at(in, "thread");
    const auto profile = state_at(in, "profile");
    g.thread = ptr(thread);
    g.profile = ptr(profile);
    g.client = client_from_json(member(in, "client"));
    const Governed r = govern(g);
    const bool why = bool_at(in, "explain");

    std::string out;
    Obj o(out);
    write_prior(o.key("prior"), r.prior);
    write_thresholds(o.key("thresholds"), r.thresholds);
    o.boolean("steerable", r.steerable);
    if (r.decision) write_decision(o.key("decision"), *r.decision, why);
    else o.null("decision");
    o.boolean("applied", r.applied);
    write_patch(o.key("patch"), r.patch);
    if (r.record) {
        Obj t(o.key("record"));
        t.str("class", to_string(r.record->turn_class));
        t.num("intensity", r.record->intensity);
        t.str("chosen_tier", to_string(r.record->chosen_tier));
        t.integer("budget_tokens", r.record->budget_tokens);
        t.boolean("self_truncates", r.record->self_truncates);
        t.boolean("record_reasoning_tokens", r.record->record_reasoning_tokens);
        t.close();
    } else {
        o.null("record");
    }
    if (why) {
        Obj w(o.key("why"));
        write_features(w.key("features"), r.features);
        write_prior_why(w.key("prior"), r.prior.why);
        w.boolean("adaptive_thresholds", r.thresholds.adaptive);
        w.close();
        o.str("explain", explain(r));
    }
    o.close();
    return out;
}

std::string op_outcome(const Value* in) {
    const Value* t = member(in, "record");
    RecordTemplate plan;
    plan.turn_class = parse_turn_class(string_at(t, "class").value_or("easy")).value_or(TurnClass::easy);
    plan.intensity = number_at(t, "intensity").value_or(0);
    plan.chosen_tier = parse_tier(string_at(t, "chosen_tier").value_or("off")).value_or(Tier::off);
    plan.budget_tokens = whole_at(t, "budget_tokens").value_or(0);
    plan.self_truncates = bool_at(t, "self_truncates");
    plan.record_reasoning_tokens = bool_at(t, "record_reasoning_tokens");
    const Value* r = member(in, "response");
    ResponseFacts facts;
    facts.usage_reasoning_tokens = number_at(r, "reasoning_tokens");
    facts.reasoning_characters = number_at(r, "reasoning_characters");
    facts.completion_tokens = number_at(r, "completion_tokens");
    facts.finish_reason = parse_finish_reason(string_at(r, "finish_reason").value_or("stop"));
    facts.retried = bool_at(r, "retried");
    facts.quality = number_at(r, "quality");
    const Outcome o = make_outcome(plan, facts);

    std::string out;
    Obj w(out);
    w.str("class", to_string(o.turn_class));
    w.num("intensity", o.intensity);
    w.num("budget_tokens", o.budget_tokens);
    w.boolean("self_truncates", o.self_truncates);
    if (o.reasoning_tokens) w.num("reasoning_tokens", *o.reasoning_tokens);
    if (o.output_tokens) w.num("output_tokens", *o.output_tokens);
    w.str("finish_reason", to_string(o.finish_reason));
    w.boolean("retried", o.retried);
    w.boolean("budget_exhausted", o.budget_exhausted);
    if (o.quality) w.num("quality", *o.quality);
    if (o.chosen_tier) w.str("chosen_tier", to_string(*o.chosen_tier));
    w.close();
    return out;
}

std::string op_request_facts(const Value* in) {
    static const Value kNull;
    const Value* body = member(in, "body");
    const RequestFacts f = request_facts(body ? *body : kNull);
    std::string out;
    Obj o(out);
    o.str("message", f.message);
    o.str("message_key", message_key(f.message));
    o.boolean("has_attachments", f.has_attachments);
    o.boolean("has_web", f.has_web);
    o.num("tool_count", f.tool_count);
    o.num("history_message_count", f.history_message_count);
    Obj c(o.key("client"));
    if (f.client.temperature) c.boolean("temperature", true);
    c.boolean("reasoning", f.client.reasoning);
    if (f.client.max_tokens) c.integer("max_tokens", *f.client.max_tokens);
    c.close();
    o.close();
    return out;
}

using OpFn = std::string (*)(const Value*);
struct OpEntry {
    std::string_view name;
    OpFn fn;
};
constexpr OpEntry kOps[] = {
    {"route_parse", op_route_parse},
    {"route", op_route},
    {"route_prepare", op_route_prepare},
    {"route_plan", op_route_plan},
    {"classifier_body", op_classifier_body},
    {"cache_key", op_cache_key},
    {"candidates_hash", op_candidates_hash},
    {"cache_read", op_cache_read},
    {"cache_upsert", op_cache_upsert},
    {"cache_override", op_cache_override},
    {"cache_purge", op_cache_purge},
    {"signals", op_signals},
    {"prior", op_prior},
    {"thresholds", op_thresholds},
    {"tier_of", op_tier_of},
    {"record", op_record},
    {"record_quality", op_record_quality},
    {"state", op_state},
    {"decide", op_decide},
    {"replay", op_replay},
    {"wire", op_wire},
    {"govern", op_govern},
    {"outcome", op_outcome},
    {"request_facts", op_request_facts},
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public readers and writers

std::optional<Accumulator> accumulator_from_json(const Value& value) {
    return accumulator_from_loose(loose(&value), loose(value.find("count")), loose(value.find("mean")), loose(value.find("m2")));
}

std::optional<ReasoningState> state_from_json(const Value& value) { return state_from_loose(loose_state(value)); }

std::optional<ReasoningState> parse_state(std::string_view text) {
    const auto v = json::parse(text);
    if (!v) return std::nullopt;
    return state_from_json(*v);
}

void write_json(std::string& out, const ReasoningState& s) {
    Obj o(out);
    o.integer("turns", s.turns);
    write_accumulator(o.key("intensity"), s.intensity);
    Obj b(o.key("buckets"));
    for (int i = 0; i < kTurnClassCount; ++i) {
        const auto c = static_cast<TurnClass>(i);
        const Bucket& k = s.bucket(c);
        Obj x(b.key(to_string(c)));
        x.integer("count", k.tokens.count);
        x.num("mean", k.tokens.mean);
        x.num("m2", k.tokens.m2);
        x.num("under_ema", k.under_ema);
        x.num("wasteful_ema", k.wasteful_ema);
        x.num("quality_ema", k.quality_ema);
        if (k.last_tier) x.str("last_tier", to_string(*k.last_tier));
        else x.null("last_tier");
        x.close();
    }
    b.close();
    o.close();
}

std::string to_json(const ReasoningState& s) {
    std::string out;
    out.reserve(512);
    write_json(out, s);
    return out;
}

std::optional<Outcome> outcome_from_json(const Value& v) {
    const auto c = string_at(&v, "class");
    const auto turn_class = c ? parse_turn_class(*c) : std::nullopt;
    if (!turn_class) return std::nullopt;
    Outcome o;
    o.turn_class = *turn_class;
    o.intensity = number_at(&v, "intensity").value_or(0);
    o.budget_tokens = number_at(&v, "budget_tokens").value_or(0);
    o.self_truncates = bool_at(&v, "self_truncates");
    o.reasoning_tokens = number_at(&v, "reasoning_tokens");
    o.output_tokens = number_at(&v, "output_tokens");
    o.finish_reason = parse_finish_reason(string_at(&v, "finish_reason").value_or("stop"));
    o.retried = bool_at(&v, "retried");
    o.budget_exhausted = bool_at(&v, "budget_exhausted");
    o.quality = number_at(&v, "quality");
    if (auto t = string_at(&v, "chosen_tier")) o.chosen_tier = parse_tier(*t);
    return o;
}

std::optional<CacheRow> cache_row_from_json(const Value& v) {
    const auto slug = string_at(&v, "slug");
    const auto created = int_at(&v, "created_at_ms");
    if (!slug || !created) return std::nullopt;
    CacheRow row;
    row.slug = std::string(*slug);
    if (const Value* s = v.find("source")) {
        const auto source = s->is_string() ? parse_row_source(s->string) : std::nullopt;
        if (!source) return std::nullopt;
        row.source = *source;
    }
    row.advice = advice_from(&v);
    row.hits = int_at(&v, "hits").value_or(0);
    row.created_at_ms = *created;
    row.last_used_at_ms = int_at(&v, "last_used_at_ms").value_or(*created);
    return row;
}

std::optional<CacheRow> parse_cache_row(std::string_view text) {
    const auto v = json::parse(text);
    if (!v) return std::nullopt;
    return cache_row_from_json(*v);
}

void write_json(std::string& out, const CacheRow& row) {
    Obj o(out);
    o.str("slug", row.slug);
    o.str("source", to_string(row.source));
    write_advice(o, row.advice);
    o.integer("hits", row.hits);
    o.integer("created_at_ms", row.created_at_ms);
    o.integer("last_used_at_ms", row.last_used_at_ms);
    o.close();
}

std::string to_json(const CacheRow& row) {
    std::string out;
    write_json(out, row);
    return out;
}

std::optional<Pointer> pointer_from_json(const Value& v) {
    const auto key = string_at(&v, "message_key");
    const auto hash = string_at(&v, "candidates_hash");
    const auto slug = string_at(&v, "slug");
    if (!key || !hash || !slug) return std::nullopt;
    return Pointer{std::string(*key), std::string(*hash), std::string(*slug)};
}

void write_json(std::string& out, const Pointer& p) {
    Obj o(out);
    o.str("message_key", p.message_key);
    o.str("candidates_hash", p.candidates_hash);
    o.str("slug", p.slug);
    o.close();
}

std::string to_json(const Pointer& p) {
    std::string out;
    write_json(out, p);
    return out;
}

Capability capability_from_json(const Value* v) {
    Capability c;
    if (!v || !v->is_object()) return c;
    c.knob = parse_knob(string_at(v, "knob").value_or("none")).value_or(Knob::none);
    c.supports_minimal = bool_at(v, "supports_minimal");
    c.min_budget_tokens = whole_at(v, "min_budget_tokens");
    c.max_budget_tokens = whole_at(v, "max_budget_tokens");
    c.max_output_tokens = whole_at(v, "max_output_tokens");
    return c;
}

RequestFacts request_facts(const Value& body) {
    RequestFacts f;
    auto present = [&](std::string_view key) {
        const Value* v = member(&body, key);
        return v && v->kind != JKind::null;
    };
    f.has_web = present("web_search_options");
    if (const Value* tools = member(&body, "tools"); tools && tools->kind == JKind::array)
        f.tool_count = static_cast<double>(tools->items.size());
    f.client.temperature = present("temperature");
    f.client.reasoning = present("reasoning_effort") || present("thinking") || present("reasoning");
    const auto max_tokens = whole_at(&body, "max_tokens");
    const auto max_completion = whole_at(&body, "max_completion_tokens");
    if (max_tokens && max_completion) f.client.max_tokens = std::min(*max_tokens, *max_completion);
    else f.client.max_tokens = max_tokens ? max_tokens : max_completion;

    const Value* messages = member(&body, "messages");
    if (!messages || messages->kind != JKind::array) return f;
    std::size_t last_user = messages->items.size();
    for (std::size_t i = messages->items.size(); i-- > 0;) {
        if (string_at(&messages->items[i], "role") == "user") {
            last_user = i;
            break;
        }
    }
    if (last_user == messages->items.size()) return f;
    for (std::size_t i = 0; i < last_user; ++i) {
        const auto role = string_at(&messages->items[i], "role");
        if (role == "user" || role == "assistant") f.history_message_count += 1;
    }
    const Value* content = member(&messages->items[last_user], "content");
    if (content && content->is_string()) {
        f.message = content->string;
    } else if (content && content->kind == JKind::array) {
        bool first = true;
        for (const Value& part : content->items) {
            if (string_at(&part, "type") == "text") {
                if (!first) f.message += '\n';
                first = false;
                f.message += string_at(&part, "text").value_or("");
            } else {
                f.has_attachments = true;
            }
        }
    }
    return f;
}

ClientControls client_from_json(const Value* v) {
    ClientControls c;
    if (!v || !v->is_object()) return c;
    c.temperature = number_at(v, "temperature").has_value();
    c.reasoning = bool_at(v, "reasoning");
    c.max_tokens = whole_at(v, "max_tokens");
    return c;
}

std::optional<std::string> call(std::string_view op, std::string_view input_json) {
    for (const OpEntry& e : kOps) {
        if (e.name != op) continue;
        const std::optional<Value> input = json::parse(input_json);
        static const Value kEmpty = [] {
            Value v;
            v.kind = JKind::object;
            return v;
        }();
        return e.fn(input && input->is_object() ? &*input : &kEmpty);
    }
    return std::nullopt;
}

}  // namespace reroute::reasoning

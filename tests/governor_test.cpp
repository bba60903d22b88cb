#include "reroute/governor.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace reroute::reasoning;

namespace {

Features tokens(double n) {
    Features f;
    f.tokens = n;
    return f;
}

Outcome turn(TurnClass c, std::optional<double> reasoning = std::nullopt) {
    Outcome o;
    o.turn_class = c;
    o.intensity = 0.5;
    o.budget_tokens = 8192;
    o.reasoning_tokens = reasoning;
    return o;
}

ReasoningState fold(const std::vector<Outcome>& outcomes) {
    ReasoningState s;
    for (const Outcome& o : outcomes) record(s, o);
    return s;
}

TierDecision decide_with(Knob knob, Tier prior_tier, std::int64_t prior_budget, Tier floor, TurnClass c,
                         const ReasoningState* thread, const ReasoningState* profile = nullptr) {
    return decide({knob, prior_tier, prior_budget, floor, c, thread, profile});
}

}  // namespace

// ---- tiers and numbers ----

TEST_CASE("tierOf cut-offs sit below the midpoints between canonical budgets") {
    CHECK(tier_of(0) == Tier::off);
    CHECK(tier_of(-5) == Tier::off);
    CHECK(tier_of(1) == Tier::low);
    CHECK(tier_of(3072) == Tier::low);
    CHECK(tier_of(3073) == Tier::medium);
    CHECK(tier_of(12288) == Tier::medium);
    CHECK(tier_of(12289) == Tier::high);
    CHECK(canonical_budget(Tier::medium) == 8192);
    CHECK(max_tier(Tier::low, Tier::medium) == Tier::medium);
}

TEST_CASE("round goes up on halves and on a hair below a half") {
    CHECK(round_half_up(2.5) == 3);
    CHECK(round_half_up(52.49999999999999) == 53);
    CHECK(round_half_up(2.4999) == 2);
    CHECK(round_half_up(-0.5) == 0);
}

// ---- the prior (5.3) ----

TEST_CASE("a utility call has the fixed prior: nothing computed") {
    Features f = tokens(500);
    f.hard = 1;
    Seed seed{Effort::high, Creativity::creative};
    const Prior p = prior(Kind::utility, f, seed);
    CHECK(p.base_intensity == 0);
    CHECK(p.intensity == 0);
    CHECK(p.creativity == 0);
    CHECK(p.turn_class == TurnClass::easy);
    CHECK(p.floor == Tier::off);
    CHECK(p.tier == Tier::off);
    CHECK(p.budget == 0);
}

TEST_CASE("the logit sums the weighted signals and the sigmoid gives the intensity") {
    Features f = tokens(1);
    f.trivial = true;
    const Prior p = prior(Kind::chat, f);
    // z = -1.25 + 1.7 ln2/ln1500 - 3
    const double z = -1.25 + 1.7 * (std::log(2.0) / std::log(1500.0)) - 3.0;
    CHECK(p.base_intensity == doctest::Approx(1 / (1 + std::exp(-z))).epsilon(1e-12));
    CHECK(p.why.z == doctest::Approx(z));
    CHECK(p.why.dominant() == Signal::trivial);
    CHECK(p.tier == Tier::off);
}

TEST_CASE("the long-context damp applies only to plain long text") {
    const Prior damped = prior(Kind::chat, tokens(3000));
    CHECK(damped.why.damped);
    CHECK(damped.base_intensity == doctest::Approx(0.5190433488568387).epsilon(1e-12));
    Features code = tokens(3000);
    code.code_density = 0.1;
    CHECK_FALSE(prior(Kind::chat, code).why.damped);
    Features listy = tokens(3000);
    listy.structure = 0.4;
    CHECK_FALSE(prior(Kind::chat, listy).why.damped);
    CHECK_FALSE(prior(Kind::chat, tokens(1500)).why.damped);
}

TEST_CASE("an effort seed blends 50/50, moves the class and never the floor") {
    Features f = tokens(1);
    f.trivial = true;
    const Prior p = prior(Kind::chat, f, Seed{Effort::high, std::nullopt});
    CHECK(p.intensity == doctest::Approx(0.5 * p.base_intensity + 0.5 * 0.85));
    CHECK(p.turn_class == TurnClass::medium);
    CHECK(p.floor == Tier::off);
    CHECK(p.tier == Tier::medium);
    CHECK(prior(Kind::chat, f, Seed{Effort::low, std::nullopt}).intensity == doctest::Approx(0.5 * p.base_intensity + 0.125));
}

TEST_CASE("creativity: 0.5 + 0.7 creative - 0.35 analytical - 0.2 easy, then the seed blend") {
    Features f = tokens(10);
    f.creative = 1;
    CHECK(prior(Kind::chat, f).creativity == 1);
    CHECK(prior(Kind::chat, f, Seed{std::nullopt, Creativity::precise}).creativity == doctest::Approx(0.5));
    Features g = tokens(10);
    g.analytical = true;
    g.easy = 0.5;
    CHECK(prior(Kind::chat, g).creativity == doctest::Approx(0.5 - 0.35 - 0.1));
}

TEST_CASE("the floor is medium for code or hard terms and low for attachments") {
    Features f = tokens(5);
    f.code_density = 0.2;
    CHECK(prior(Kind::chat, f).floor == Tier::medium);
    CHECK(prior(Kind::chat, f).why.floor_from == FloorSource::code);
    Features h = tokens(5);
    h.hard = 0.5;
    CHECK(prior(Kind::chat, h).floor == Tier::medium);
    Features a = tokens(5);
    a.has_attachments = true;
    CHECK(prior(Kind::chat, a).floor == Tier::low);
    CHECK(prior(Kind::chat, a).budget >= 2048);
}

TEST_CASE("the raw budget is 0 up to intensity 0.12, then 1024 + x^1.4 * 23552 rounded") {
    Features e = tokens(10);
    e.easy = 0.5;  // intensity about 0.09
    CHECK(prior(Kind::chat, e).budget == 0);
    Thresholds wide{0.01, 0.02};
    const Prior p = prior(Kind::chat, tokens(20), {}, wide);  // hard class: no cap
    CHECK(p.budget == static_cast<std::int64_t>(std::floor(1024 + std::pow(p.intensity, 1.4) * 23552 + 0.5 + 1e-9)));
}

TEST_CASE("class caps: easy at most 2048, medium at most 8192, hard uncapped") {
    const Prior easy = prior(Kind::chat, tokens(8));
    CHECK(easy.turn_class == TurnClass::easy);
    CHECK(easy.budget == 2048);
    CHECK(easy.why.class_capped);
    Features a = tokens(20);
    a.agentic = 1;
    const Prior medium = prior(Kind::chat, a);
    CHECK(medium.turn_class == TurnClass::medium);
    CHECK(medium.budget == 8192);
    const Prior hard = prior(Kind::chat, a, {}, Thresholds{0.214, 0.55});
    CHECK(hard.turn_class == TurnClass::hard);
    CHECK(hard.budget == 13521);
}

// ---- thresholds (5.4) ----

TEST_CASE("thresholds stay static below 20 samples") {
    Accumulator a{19, 0.7, 1};
    const Thresholds t = thresholds(nullptr, &a);
    CHECK(t.lo == 0.34);
    CHECK(t.hi == 0.67);
    CHECK_FALSE(t.adaptive);
    CHECK(thresholds(nullptr, nullptr).lo == 0.34);
}

TEST_CASE("adaptive thresholds are mean -/+ 0.43 std, lo in [0.2, 0.45], hi in [0.55, 0.8]") {
    Accumulator a{50, 0.7, 1};
    const Thresholds t = thresholds(nullptr, &a);
    CHECK(t.lo == 0.45);
    CHECK(t.hi == doctest::Approx(0.7614285714285713));
    Accumulator low{30, 0.1, 0.01};
    CHECK(thresholds(&low, nullptr).lo == 0.2);
    CHECK(thresholds(&low, nullptr).hi == 0.55);
}

TEST_CASE("the accumulator with more samples decides; a tie or no thread takes the profile") {
    Accumulator thread{30, 0.3, 1.16};
    Accumulator profile{4, 0.9, 0.01};
    CHECK(thresholds(&thread, &profile).lo == doctest::Approx(0.214));
    Accumulator t25{25, 0.5, 0.96};
    Accumulator p25{25, 0.3, 0.24};
    CHECK(thresholds(&t25, &p25).lo == doctest::Approx(0.257));
}

// ---- learned state (5.5) ----

TEST_CASE("record: a Welford update with the reasoning tokens; a negative count is absent") {
    ReasoningState s;
    record(s, turn(TurnClass::hard, 9000));
    record(s, turn(TurnClass::hard, 8000));
    CHECK(s.bucket(TurnClass::hard).tokens.count == 2);
    CHECK(s.bucket(TurnClass::hard).tokens.mean == 8500);
    CHECK(s.bucket(TurnClass::hard).tokens.m2 == 500000);
    record(s, turn(TurnClass::hard, -1));
    CHECK(s.bucket(TurnClass::hard).tokens.count == 2);
    CHECK(s.turns == 3);
}

TEST_CASE("under-resourced: a retry, an exhausted budget or 90% self-truncation; a length finish alone is not") {
    Outcome retried = turn(TurnClass::medium);
    retried.retried = true;
    CHECK(recorded(nullptr, retried).bucket(TurnClass::medium).under_ema == 0.5);
    Outcome exhausted = turn(TurnClass::medium);
    exhausted.budget_exhausted = true;
    CHECK(recorded(nullptr, exhausted).bucket(TurnClass::medium).under_ema == 0.5);
    Outcome saturated = turn(TurnClass::medium, 0.9 * 8192);
    saturated.self_truncates = true;
    CHECK(recorded(nullptr, saturated).bucket(TurnClass::medium).under_ema == 0.5);
    Outcome below = turn(TurnClass::medium, 0.89 * 8192);
    below.self_truncates = true;
    CHECK(recorded(nullptr, below).bucket(TurnClass::medium).under_ema == 0);
    Outcome length = turn(TurnClass::medium, 300);
    length.finish_reason = FinishReason::length;
    CHECK(recorded(nullptr, length).bucket(TurnClass::medium).under_ema == 0);
}

TEST_CASE("wasteful: at least 60% of the budget, under 256 output tokens, finish stop, not retried") {
    Outcome w = turn(TurnClass::hard, 0.6 * 8192);
    w.output_tokens = 255;
    CHECK(recorded(nullptr, w).bucket(TurnClass::hard).wasteful_ema == 0.5);
    Outcome enough_output = w;
    enough_output.output_tokens = 256;
    CHECK(recorded(nullptr, enough_output).bucket(TurnClass::hard).wasteful_ema == 0);
    Outcome retried = w;
    retried.retried = true;
    CHECK(recorded(nullptr, retried).bucket(TurnClass::hard).wasteful_ema == 0);
    Outcome tool = w;
    tool.finish_reason = FinishReason::tool_calls;
    CHECK(recorded(nullptr, tool).bucket(TurnClass::hard).wasteful_ema == 0);
    Outcome no_output = w;
    no_output.output_tokens.reset();
    CHECK(recorded(nullptr, no_output).bucket(TurnClass::hard).wasteful_ema == 0);
}

TEST_CASE("EMAs move halfway; quality only when present and clamped into [0, 1]") {
    Outcome q = turn(TurnClass::easy);
    q.quality = 0.4;
    ReasoningState s = recorded(nullptr, q);
    CHECK(s.bucket(TurnClass::easy).quality_ema == doctest::Approx(0.7));
    q.quality = 7;
    record(s, q);
    CHECK(s.bucket(TurnClass::easy).quality_ema == doctest::Approx(0.85));
    q.quality.reset();
    record(s, q);
    CHECK(s.bucket(TurnClass::easy).quality_ema == doctest::Approx(0.85));
}

TEST_CASE("a late quality score moves only its class's quality EMA, as recording it with the turn would") {
    Outcome o = turn(TurnClass::hard);
    o.reasoning_tokens = 4000;
    ReasoningState late = recorded(nullptr, o);
    record_quality(late, TurnClass::hard, 0.2);
    o.quality = 0.2;
    ReasoningState together = recorded(nullptr, o);
    CHECK(late.bucket(TurnClass::hard).quality_ema == together.bucket(TurnClass::hard).quality_ema);
    CHECK(late.turns == 1);
    CHECK(late.bucket(TurnClass::hard).tokens.count == 1);
    CHECK(late.bucket(TurnClass::easy).quality_ema == 1);
    record_quality(late, TurnClass::hard, std::nan(""));
    CHECK(late.bucket(TurnClass::hard).quality_ema == together.bucket(TurnClass::hard).quality_ema);
    record_quality(late, TurnClass::hard, -3);  // clamped to 0
    CHECK(late.bucket(TurnClass::hard).quality_ema == doctest::Approx(0.3));
}

TEST_CASE("last_tier follows the chosen tier; the intensity accumulator and turns grow") {
    Outcome o = turn(TurnClass::medium);
    o.chosen_tier = Tier::high;
    ReasoningState s = recorded(nullptr, o);
    CHECK(s.bucket(TurnClass::medium).last_tier == Tier::high);
    o.chosen_tier.reset();
    o.intensity = 0.7;
    record(s, o);
    CHECK(s.bucket(TurnClass::medium).last_tier == Tier::high);
    CHECK(s.intensity.count == 2);
    CHECK(s.intensity.mean == doctest::Approx(0.6));
    CHECK(s.turns == 2);
}

// ---- the controller (5.6) ----

TEST_CASE("the profile counts at most 20 samples and the mean shrinks towards the prior budget") {
    ReasoningState profile;
    profile.bucket(TurnClass::easy).tokens = {500, 20000, 0};
    const TierDecision d = decide_with(Knob::budget, Tier::high, 24576, Tier::off, TurnClass::easy, nullptr, &profile);
    CHECK(d.why.n == 20);
    CHECK(d.why.mean == doctest::Approx((20.0 * 20000 + 3 * 24576) / 23));
    CHECK(d.budget == 23686);
    CHECK(d.reason == DecisionReason::warm);
}

TEST_CASE("the standard deviation comes from the thread with 2+ samples, else from the profile") {
    ReasoningState thread;
    thread.bucket(TurnClass::hard).tokens = {2, 4000, 8000000};
    ReasoningState profile;
    profile.bucket(TurnClass::hard).tokens = {5, 4000, 400};
    CHECK(decide_with(Knob::budget, Tier::high, 24576, Tier::off, TurnClass::hard, &thread, &profile).why.std ==
          doctest::Approx(std::sqrt(8000000.0)));
    thread.bucket(TurnClass::hard).tokens.count = 1;
    CHECK(decide_with(Knob::budget, Tier::high, 24576, Tier::off, TurnClass::hard, &thread, &profile).why.std ==
          doctest::Approx(10));
}

TEST_CASE("the EMAs come from the thread whenever it exists, even with an empty bucket") {
    ReasoningState thread;
    ReasoningState profile;
    profile.bucket(TurnClass::easy).under_ema = 0.9;
    CHECK(decide_with(Knob::effort, Tier::low, 2048, Tier::off, TurnClass::easy, &thread, &profile).why.under == 0);
    CHECK(decide_with(Knob::effort, Tier::low, 2048, Tier::off, TurnClass::easy, nullptr, &profile).why.under == 0.9);
    CHECK(decide_with(Knob::effort, Tier::low, 2048, Tier::off, TurnClass::easy, nullptr, nullptr).why.quality == 1);
}

TEST_CASE("the last tier is the thread's, else the profile's") {
    ReasoningState thread, profile;
    profile.bucket(TurnClass::easy).last_tier = Tier::high;
    CHECK(decide_with(Knob::effort, Tier::low, 2048, Tier::off, TurnClass::easy, &thread, &profile).why.last == Tier::high);
    thread.bucket(TurnClass::easy).last_tier = Tier::low;
    CHECK(decide_with(Knob::effort, Tier::low, 2048, Tier::off, TurnClass::easy, &thread, &profile).why.last == Tier::low);
}

TEST_CASE("a quality shortfall sharpens eff by at most 0.5") {
    ReasoningState s;
    s.bucket(TurnClass::easy).quality_ema = 0;
    const TierDecision d = decide_with(Knob::effort, Tier::low, 2048, Tier::off, TurnClass::easy, &s);
    CHECK(d.why.shortfall == 1);
    CHECK(d.why.eff == 0.5);
    CHECK(d.tier == Tier::medium);  // +1
}

TEST_CASE("budget knob, cold: the prior's tier and budget, raised to the floor") {
    const TierDecision d = decide_with(Knob::budget, Tier::low, 2500, Tier::medium, TurnClass::easy, nullptr);
    CHECK(d.reason == DecisionReason::cold);
    CHECK(d.tier == Tier::medium);
    CHECK(d.budget == 8192);
    CHECK(decide_with(Knob::budget, Tier::high, 18000, Tier::off, TurnClass::hard, nullptr).budget == 18000);
}

TEST_CASE("cold-quality correction: one tier up once the quality EMA falls to about 0.525") {
    ReasoningState s;
    s.bucket(TurnClass::easy).quality_ema = 0.5;
    TierDecision d = decide_with(Knob::budget, Tier::low, 2048, Tier::off, TurnClass::easy, &s);
    CHECK(d.reason == DecisionReason::cold_quality);
    CHECK(d.tier == Tier::medium);
    CHECK(d.budget == 8192);
    s.bucket(TurnClass::easy).quality_ema = 0.53;
    CHECK(decide_with(Knob::budget, Tier::low, 2048, Tier::off, TurnClass::easy, &s).reason == DecisionReason::cold);
    s.bucket(TurnClass::hard).quality_ema = 0.1;
    d = decide_with(Knob::budget, Tier::high, 24576, Tier::off, TurnClass::hard, &s);
    CHECK(d.reason == DecisionReason::cold);
    CHECK(d.tier == Tier::high);
}

TEST_CASE("budget knob, warm: mean x 1.15 + std, bumped x 1.4 or trimmed x 0.85, kept in the band") {
    const ReasoningState two = fold({turn(TurnClass::hard, 1200), turn(TurnClass::hard, 1200)});
    TierDecision d = decide_with(Knob::budget, Tier::high, 24576, Tier::off, TurnClass::hard, &two);
    CHECK(d.reason == DecisionReason::warm);
    CHECK(d.budget == 17509);
    CHECK(d.tier == Tier::high);

    ReasoningState bumped = two;
    bumped.bucket(TurnClass::hard).under_ema = 0.5;
    d = decide_with(Knob::budget, Tier::high, 24576, Tier::off, TurnClass::hard, &bumped);
    CHECK(d.why.bumped);
    CHECK(d.budget == static_cast<std::int64_t>(std::floor(17509.44 * 1.4 + 0.5 + 1e-9)));

    ReasoningState trimmed = two;
    trimmed.bucket(TurnClass::hard).wasteful_ema = 0.5;
    CHECK(decide_with(Knob::budget, Tier::high, 24576, Tier::off, TurnClass::hard, &trimmed).why.trimmed);

    ReasoningState runaway;
    runaway.bucket(TurnClass::easy).tokens = {8, 100000, 0};
    d = decide_with(Knob::budget, Tier::low, 2048, Tier::off, TurnClass::easy, &runaway);
    CHECK(d.budget == 3072);  // 1.5 x the prior budget
    CHECK(d.tier == Tier::low);

    ReasoningState tiny;
    tiny.bucket(TurnClass::hard).tokens = {8, 100, 0};
    d = decide_with(Knob::budget, Tier::high, 24576, Tier::high, TurnClass::hard, &tiny);
    CHECK(d.budget == 24576);  // the floor's budget
}

TEST_CASE("effort knob: +2 strong under, +1 under, -2 wasteful with 4 samples, -1 clean with 2") {
    ReasoningState s;
    s.bucket(TurnClass::easy).under_ema = 0.8;
    TierDecision d = decide_with(Knob::effort, Tier::off, 0, Tier::off, TurnClass::easy, &s);
    CHECK(d.tier == Tier::medium);
    CHECK(d.why.move == Move::strong_under);
    s.bucket(TurnClass::easy).under_ema = 0.5;
    CHECK(decide_with(Knob::effort, Tier::off, 0, Tier::off, TurnClass::easy, &s).tier == Tier::low);

    ReasoningState w;
    w.bucket(TurnClass::hard).tokens = {4, 9000, 0};
    w.bucket(TurnClass::hard).wasteful_ema = 0.5;
    d = decide_with(Knob::effort, Tier::high, 24576, Tier::off, TurnClass::hard, &w);
    CHECK(d.tier == Tier::low);
    CHECK(d.why.move == Move::wasteful);
    w.bucket(TurnClass::hard).tokens.count = 3;
    CHECK(decide_with(Knob::effort, Tier::high, 24576, Tier::off, TurnClass::hard, &w).why.move == Move::clean);
    w.bucket(TurnClass::hard).tokens.count = 1;
    CHECK(decide_with(Knob::effort, Tier::high, 24576, Tier::off, TurnClass::hard, &w).why.move == Move::none);
}

TEST_CASE("effort knob: the rank is clamped between the floor and high") {
    ReasoningState s;
    s.bucket(TurnClass::medium).tokens = {4, 100, 0};
    const TierDecision d = decide_with(Knob::effort, Tier::medium, 8192, Tier::medium, TurnClass::medium, &s);
    CHECK(d.tier == Tier::medium);
    CHECK(d.why.clamped_to_floor);
    ReasoningState up;
    up.bucket(TurnClass::hard).under_ema = 0.9;
    CHECK(decide_with(Knob::effort, Tier::high, 24576, Tier::off, TurnClass::hard, &up).tier == Tier::high);
}

TEST_CASE("hysteresis: up needs eff >= 0.65, down needs eff < 0.05 or waste >= 0.65, else held") {
    ReasoningState s;
    auto& b = s.bucket(TurnClass::medium);
    b.last_tier = Tier::medium;
    b.under_ema = 0.6;
    TierDecision d = decide_with(Knob::effort, Tier::medium, 8192, Tier::off, TurnClass::medium, &s);
    CHECK(d.reason == DecisionReason::held);
    CHECK(d.tier == Tier::medium);
    b.under_ema = 0.7;
    d = decide_with(Knob::effort, Tier::medium, 8192, Tier::off, TurnClass::medium, &s);
    CHECK(d.reason == DecisionReason::bandit);
    CHECK(d.tier == Tier::high);
    b.tokens = {2, 300, 0};
    b.under_ema = 0.1;
    CHECK(decide_with(Knob::effort, Tier::medium, 8192, Tier::off, TurnClass::medium, &s).reason == DecisionReason::held);
    b.under_ema = 0.04;
    d = decide_with(Knob::effort, Tier::medium, 8192, Tier::off, TurnClass::medium, &s);
    CHECK(d.reason == DecisionReason::bandit);
    CHECK(d.tier == Tier::low);
}

TEST_CASE("the hysteresis guard is off when the last tier ranks below the floor") {
    ReasoningState s;
    s.bucket(TurnClass::easy).under_ema = 0.5;
    s.bucket(TurnClass::easy).last_tier = Tier::off;
    const TierDecision d = decide_with(Knob::effort, Tier::low, 2048, Tier::low, TurnClass::easy, &s);
    CHECK(d.reason == DecisionReason::bandit);
    CHECK(d.tier == Tier::medium);
}

TEST_CASE("a run of wasted budget lowers the tier once and does not oscillate") {
    // An effort model, prior high; each turn records what was chosen and wastes the budget.
    ReasoningState thread;
    std::vector<Tier> tiers;
    for (int i = 0; i < 8; ++i) {
        const TierDecision d = decide_with(Knob::effort, Tier::high, 24576, Tier::off, TurnClass::hard, &thread);
        tiers.push_back(d.tier);
        Outcome o = turn(TurnClass::hard, 0.9 * double(canonical_budget(d.tier)));
        o.budget_tokens = double(canonical_budget(d.tier));
        o.output_tokens = 20;
        o.chosen_tier = d.tier;
        record(thread, o);
    }
    // High until the waste is established, then down (one rank with 2 samples, two with 4), and
    // never back up while the waste goes on.
    CHECK(tiers == std::vector<Tier>{Tier::high, Tier::high, Tier::medium, Tier::medium, Tier::low, Tier::low,
                                     Tier::low, Tier::low});
    for (std::size_t i = 1; i < tiers.size(); ++i) CHECK(rank(tiers[i]) <= rank(tiers[i - 1]));
}

TEST_CASE("a cold-start quality drop on a budget model raises the tier once") {
    // The class is off, so no token sample is ever recorded: only quality can lift it.
    ReasoningState thread;
    std::vector<Tier> tiers;
    for (int i = 0; i < 5; ++i) {
        const TierDecision d = decide_with(Knob::budget, Tier::off, 0, Tier::off, TurnClass::easy, &thread);
        tiers.push_back(d.tier);
        Outcome bad = turn(TurnClass::easy);
        bad.budget_tokens = double(d.budget);
        bad.self_truncates = true;
        bad.quality = 0.1;
        bad.chosen_tier = d.tier;
        record(thread, bad);
    }
    // One bad turn leaves the EMA at 0.55 (shortfall 0.21); the second crosses 0.25. Then one tier
    // up, and not more however bad the quality stays.
    CHECK(tiers == std::vector<Tier>{Tier::off, Tier::off, Tier::low, Tier::low, Tier::low});
}

// ---- wire (5.7) ----

TEST_CASE("effort models get reasoning_effort, minimal at off when supported, and no temperature") {
    Capability c{Knob::effort, true};
    Wired w = wire(c, Tier::off, 0, 0.5);
    CHECK(w.applied);
    CHECK(*w.patch.reasoning_effort == "minimal");
    CHECK_FALSE(w.patch.temperature);
    c.supports_minimal = false;
    CHECK(*wire(c, Tier::off, 0, 0.5).patch.reasoning_effort == "low");
    CHECK(*wire(c, Tier::high, 24576, 0.5).patch.reasoning_effort == "high");
}

TEST_CASE("budget models at tier off send no thinking, only the temperature") {
    const Wired w = wire(Capability{Knob::budget}, Tier::off, 0, 0.5);
    CHECK_FALSE(w.applied);
    CHECK_FALSE(w.patch.thinking_budget);
    CHECK(*w.patch.temperature == doctest::Approx(0.65));
}

TEST_CASE("the thinking budget is clamped into [min, max]; max is the output cap - 1024, else 24576") {
    CHECK(*wire(Capability{Knob::budget}, Tier::high, 30000, 0.5).patch.thinking_budget == 24576);
    Capability capped{Knob::budget, false, std::nullopt, std::nullopt, 8192};
    Wired w = wire(capped, Tier::high, 17509, 0.5);
    CHECK(*w.patch.thinking_budget == 7168);
    CHECK(*w.patch.max_tokens == 8192);
    CHECK_FALSE(w.patch.temperature);
    Capability ranged{Knob::budget, false, 2000, 16000, std::nullopt};
    ClientControls client;
    client.max_tokens = 12000;
    w = wire(ranged, Tier::low, 1500, 0.3, client);
    CHECK(*w.patch.thinking_budget == 2000);
    CHECK_FALSE(w.patch.max_tokens);  // the client set max_tokens
    client.max_tokens = 3000;  // max 1976 < min 2000: nothing is sent
    CHECK_FALSE(wire(ranged, Tier::high, 9000, 0.3, client).applied);
}

TEST_CASE("no thinking is sent when the output cap leaves less than the minimum budget") {
    const Wired w = wire(Capability{Knob::budget, false, std::nullopt, std::nullopt, 1500}, Tier::medium, 8192, 0.5);
    CHECK_FALSE(w.applied);
    CHECK(*w.patch.temperature == doctest::Approx(0.65));
}

TEST_CASE("temperature is 0.4 + 0.5 creativity in two decimals, unless the client set one") {
    CHECK(temperature_for(0) == doctest::Approx(0.4));
    CHECK(temperature_for(0.25) == doctest::Approx(0.53));
    CHECK(temperature_for(0.75) == doctest::Approx(0.78));
    CHECK(temperature_for(1) == doctest::Approx(0.9));
    CHECK(temperature_for(5) == doctest::Approx(0.9));
    ClientControls client;
    client.temperature = true;
    CHECK(wire(Capability{}, Tier::off, 0, 1, client).patch.empty());
}

TEST_CASE("a client reasoning control turns the whole patch off") {
    ClientControls client;
    client.reasoning = true;
    const Wired w = wire(Capability{Knob::effort}, Tier::high, 24576, 0.5, client);
    CHECK_FALSE(w.applied);
    CHECK(w.patch.empty());
}

// ---- govern ----

TEST_CASE("govern chains thresholds, signals, prior, controller and wire") {
    GovernInput in;
    in.request.text = "Design a rate limiter for a multi-region API and compare token bucket with sliding window.";
    in.capability = Capability{Knob::budget, false, std::nullopt, std::nullopt, 64000};
    const Governed g = govern(in);
    CHECK(g.prior.turn_class == TurnClass::hard);
    CHECK(g.prior.budget == 22088);
    CHECK(g.steerable);
    CHECK(g.decision->reason == DecisionReason::cold);
    CHECK(*g.patch.thinking_budget == 22088);
    CHECK(*g.patch.max_tokens == 64000);
    CHECK(g.record->self_truncates);
    CHECK(g.record->budget_tokens == 22088);
    CHECK(g.record->record_reasoning_tokens);
}

TEST_CASE("a utility call decides off with reason utility and records nothing") {
    GovernInput in;
    in.kind = Kind::utility;
    in.request.text = "Debug this and design an algorithm";
    in.capability = Capability{Knob::effort, true};
    const Governed g = govern(in);
    CHECK(g.decision->reason == DecisionReason::utility);
    CHECK(g.decision->tier == Tier::off);
    CHECK(*g.patch.reasoning_effort == "minimal");
    CHECK_FALSE(g.record);
    in.capability = Capability{Knob::budget};
    CHECK(*govern(in).patch.temperature == doctest::Approx(0.4));
}

TEST_CASE("a model without a knob, or a client in control, gets a prior but no decision") {
    GovernInput in;
    in.request.text = "Prove that the square root of 2 is irrational, step by step.";
    Governed g = govern(in);
    CHECK_FALSE(g.steerable);
    CHECK_FALSE(g.decision);
    CHECK_FALSE(g.record);
    CHECK(g.prior.tier == Tier::high);
    CHECK(*g.patch.temperature == doctest::Approx(0.48));
    in.capability = Capability{Knob::effort};
    in.client.reasoning = true;
    g = govern(in);
    CHECK_FALSE(g.steerable);
    CHECK(g.patch.empty());
}

TEST_CASE("the record template: canonical budget for effort models, reasoning tokens only when applied") {
    GovernInput in;
    in.request.text = "hi";
    in.seed.effort = Effort::high;
    in.capability = Capability{Knob::effort, true};
    Governed g = govern(in);
    CHECK(g.record->budget_tokens == 8192);
    CHECK_FALSE(g.record->self_truncates);
    CHECK(g.record->chosen_tier == Tier::medium);
    CHECK(g.record->intensity == doctest::Approx(0.4332409440639606));
    in.seed = {};
    in.capability = Capability{Knob::budget};
    g = govern(in);
    CHECK(g.decision->tier == Tier::off);
    CHECK_FALSE(g.record->record_reasoning_tokens);  // a 0 sample would pin the class at off
}

TEST_CASE("explain names the tier, the strongest signals and the controller's move") {
    GovernInput in;
    in.request.text = "Please debug and refactor this";
    in.capability = Capability{Knob::effort};
    ReasoningState s;
    s.bucket(TurnClass::hard).last_tier = Tier::medium;
    s.bucket(TurnClass::hard).under_ema = 0.3;
    in.thread = &s;
    const std::string text = explain(govern(in));
    CHECK(text.find("reason=held") != std::string::npos);
    CHECK(text.find("hard +3.00") != std::string::npos);
    CHECK(text.find("floor medium (hard)") != std::string::npos);
    CHECK(text.find("held at medium by last_tier") != std::string::npos);
}

// ---- outcomes (5.8) ----

TEST_CASE("outcomes: reasoning tokens from usage or ceil(chars / 4), output net of reasoning, budget exhausted") {
    RecordTemplate plan{TurnClass::medium, 0.5, Tier::medium, 8192, true, true};
    ResponseFacts facts;
    facts.usage_reasoning_tokens = 8192;
    facts.completion_tokens = 8192;
    facts.finish_reason = FinishReason::length;
    Outcome o = make_outcome(plan, facts);
    CHECK(*o.reasoning_tokens == 8192);
    CHECK(*o.output_tokens == 0);
    CHECK(o.budget_exhausted);
    facts = {};
    facts.reasoning_characters = 10;
    facts.completion_tokens = 100;
    o = make_outcome(plan, facts);
    CHECK(*o.reasoning_tokens == 3);
    CHECK(*o.output_tokens == 97);
    CHECK_FALSE(o.budget_exhausted);
    plan.record_reasoning_tokens = false;
    CHECK_FALSE(make_outcome(plan, facts).reasoning_tokens);
}

// reasoning.md 2.2: binary64 in the order written, without fused multiply-add contraction, whatever
// the build's flags (x86-64 and WebAssembly have no FMA by default; other targets may).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include "reroute/auto_router.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "reasoning_text.hpp"
#include "reroute/json.hpp"

namespace reroute::reasoning {

using detail::CodePoint;
using detail::is_space;
using detail::next_cp;

// ---------------------------------------------------------------------------------------------
// Names

std::string_view to_string(Style s) noexcept {
    switch (s) {
        case Style::concise: return "concise";
        case Style::detailed: return "detailed";
        case Style::formal: return "formal";
        case Style::friendly: return "friendly";
    }
    return "concise";
}

std::string_view to_string(Verbosity v) noexcept {
    switch (v) {
        case Verbosity::terse: return "terse";
        case Verbosity::normal: return "normal";
        case Verbosity::verbose: return "verbose";
    }
    return "normal";
}

std::optional<Style> parse_style(std::string_view n) noexcept {
    if (n == "concise") return Style::concise;
    if (n == "detailed") return Style::detailed;
    if (n == "formal") return Style::formal;
    if (n == "friendly") return Style::friendly;
    return std::nullopt;
}

std::optional<Verbosity> parse_verbosity(std::string_view n) noexcept {
    if (n == "terse") return Verbosity::terse;
    if (n == "normal") return Verbosity::normal;
    if (n == "verbose") return Verbosity::verbose;
    return std::nullopt;
}

std::string_view to_string(RowSource s) noexcept { return s == RowSource::override ? "override" : "classified"; }

std::optional<RowSource> parse_row_source(std::string_view n) noexcept {
    if (n == "classified") return RowSource::classified;
    if (n == "override") return RowSource::override;
    return std::nullopt;
}

std::string_view to_string(RouteReason r) noexcept {
    switch (r) {
        case RouteReason::no_candidates: return "no_candidates";
        case RouteReason::single_candidate: return "single_candidate";
        case RouteReason::cached: return "cached";
        case RouteReason::classified: return "classified";
        case RouteReason::fallback: return "fallback";
    }
    return "fallback";
}

std::string_view to_string(LadderStep s) noexcept {
    switch (s) {
        case LadderStep::no_candidates: return "no_candidates";
        case LadderStep::single_candidate: return "single_candidate";
        case LadderStep::empty_message: return "empty_message";
        case LadderStep::cache: return "cache";
        case LadderStep::classify: return "classify";
        case LadderStep::fallback: return "fallback";
    }
    return "fallback";
}

std::string_view to_string(FallbackCause c) noexcept {
    switch (c) {
        case FallbackCause::none: return "none";
        case FallbackCause::empty_message: return "empty_message";
        case FallbackCause::timeout: return "timeout";
        case FallbackCause::error: return "error";
        case FallbackCause::unparsable: return "unparsable";
    }
    return "none";
}

// ---------------------------------------------------------------------------------------------
// Reply parsing (4.4)

namespace {

std::string lowered_trimmed(std::string_view s) { return detail::ascii_lowered(detail::trim(s)); }

bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Strip: whitespace, ", ', ` and * from both ends.
std::string_view strip(std::string_view s) noexcept {
    return detail::trim_if(s, [](char32_t c) { return is_space(c) || c == '"' || c == '\'' || c == '`' || c == '*'; });
}

// The index of the `}` matching the `{` at `open`, counting braces outside JSON strings.
std::optional<std::size_t> matching_brace(std::string_view s, std::size_t open) noexcept {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = open; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '{') ++depth;
        else if (c == '}' && --depth == 0) return i;
    }
    return std::nullopt;
}

// A truncated reply: the first "slug" after the first `{`, then `:` and a closed string value
// without backslashes.
std::optional<std::string_view> truncated_slug(std::string_view s, std::size_t open) noexcept {
    const std::size_t key = s.find("\"slug\"", open);
    if (key == std::string_view::npos) return std::nullopt;
    std::size_t i = key + 6;
    while (i < s.size() && is_json_space(s[i])) ++i;
    if (i >= s.size() || s[i] != ':') return std::nullopt;
    ++i;
    while (i < s.size() && is_json_space(s[i])) ++i;
    if (i >= s.size() || s[i] != '"') return std::nullopt;
    const std::size_t start = ++i;
    for (; i < s.size(); ++i) {
        if (s[i] == '\\') return std::nullopt;
        if (s[i] == '"') return s.substr(start, i - start);
    }
    return std::nullopt;  // not closed
}

// One prose line, cleaned (4.4 step 2).
std::string_view clean_line(std::string_view line) noexcept {
    // 1. leading whitespace, -, * and bullets; trailing whitespace
    line = detail::trim_start_if(line, [](char32_t c) { return is_space(c) || c == '-' || c == '*' || c == 0x2022; });
    line = detail::trim_end_if(line, is_space);
    // 2. strip
    std::string_view text = strip(line);
    // 3. head before the first ':'
    if (const std::size_t colon = text.find(':'); colon != std::string_view::npos) {
        const std::string_view head = strip(text.substr(0, colon));
        if (detail::ascii_lowered(head) == "slug") text = strip(text.substr(colon + 1));
        else text = head;
    }
    // 4. trailing dots
    while (!text.empty() && text.back() == '.') text = strip(text.substr(0, text.size() - 1));
    return text;
}

const json::Value* string_member(const json::Value& object, std::string_view key) {
    const json::Value* v = object.find(key);
    return v && v->is_string() ? v : nullptr;
}

// Re-encodes as valid UTF-8 (an invalid byte becomes U+FFFD).
std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const CodePoint c = next_cp(s, i);
        if (c.cp < 0x80) out += static_cast<char>(c.cp);
        else if (c.cp == detail::kReplacement && c.len == 1) detail::append_cp(out, detail::kReplacement);
        else out.append(s.substr(i, c.len));
        i += c.len;
    }
    return out;
}

}  // namespace

std::optional<std::string> match_slug(std::string_view s, const std::vector<std::string>& shortlist) {
    const std::string wanted = lowered_trimmed(s);
    if (wanted.empty()) return std::nullopt;
    for (const std::string& slug : shortlist)
        if (detail::ascii_lowered(slug) == wanted) return slug;
    return std::nullopt;
}

std::optional<std::string> valid_language(std::string_view value) {
    const std::string_view v = detail::trim(value);
    std::size_t chars = 0, spaces = 0;
    bool letter = false, previous_space = false;
    for (std::size_t i = 0; i < v.size();) {
        const CodePoint c = next_cp(v, i);
        i += c.len;
        ++chars;
        const char32_t cp = c.cp;
        const bool space = cp == ' ';
        if (space) {
            if (previous_space) return std::nullopt;
            ++spaces;
        } else if (cp < 0x80) {
            if (detail::is_ascii_letter(cp)) letter = true;
            else if (!(detail::is_ascii_digit(cp) || cp == '-' || cp == '_')) return std::nullopt;
        } else {
            if (is_space(cp)) return std::nullopt;
            letter = true;
        }
        previous_space = space;
    }
    if (chars < kLanguageMinChars || chars > kLanguageMaxChars || !letter || spaces + 1 > kLanguageMaxWords)
        return std::nullopt;
    return valid_utf8(v);
}

std::optional<Style> normalise_style(std::string_view v) { return parse_style(lowered_trimmed(v)); }
std::optional<Verbosity> normalise_verbosity(std::string_view v) { return parse_verbosity(lowered_trimmed(v)); }
std::optional<Effort> normalise_effort(std::string_view v) { return parse_effort(lowered_trimmed(v)); }
std::optional<Creativity> normalise_creativity(std::string_view v) { return parse_creativity(lowered_trimmed(v)); }

std::optional<ParsedReply> parse_reply(std::string_view reply, const std::vector<std::string>& shortlist) {
    const std::size_t open = reply.find('{');
    if (open != std::string_view::npos) {
        const std::optional<std::size_t> close = matching_brace(reply, open);
        if (!close) {
            const auto slug = truncated_slug(reply, open);
            if (!slug) return std::nullopt;
            auto matched = match_slug(*slug, shortlist);
            if (!matched) return std::nullopt;
            return ParsedReply{std::move(*matched), {}};
        }
        const std::optional<json::Value> doc = json::parse(reply.substr(open, *close - open + 1));
        if (!doc || !doc->is_object()) return std::nullopt;
        const json::Value* slug = string_member(*doc, "slug");
        if (!slug) return std::nullopt;
        auto matched = match_slug(slug->string, shortlist);
        if (!matched) return std::nullopt;
        ParsedReply r{std::move(*matched), {}};
        if (const json::Value* v = string_member(*doc, "language")) r.advice.language = valid_language(v->string);
        if (const json::Value* v = string_member(*doc, "style")) r.advice.tuning.style = normalise_style(v->string);
        if (const json::Value* v = string_member(*doc, "verbosity")) r.advice.tuning.verbosity = normalise_verbosity(v->string);
        if (const json::Value* v = string_member(*doc, "effort")) r.advice.seed.effort = normalise_effort(v->string);
        if (const json::Value* v = string_member(*doc, "creativity")) r.advice.seed.creativity = normalise_creativity(v->string);
        return r;
    }
    std::optional<ParsedReply> found;
    detail::for_each_line(reply, [&](std::string_view line) {
        if (auto matched = match_slug(clean_line(line), shortlist)) {
            found = ParsedReply{std::move(*matched), {}};
            return false;
        }
        return true;
    });
    return found;
}

// ---------------------------------------------------------------------------------------------
// Cache (4.6)

namespace {

// a - b without overflow (saturating).
std::int64_t minus(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
    return r;
}

}  // namespace

std::string message_key(std::string_view message) {
    std::string key;
    key.reserve(std::min<std::size_t>(message.size(), kMessageKeyChars * 4));
    std::size_t chars = 0;
    bool pending_space = false;
    for (std::size_t i = 0; i < message.size() && chars < kMessageKeyChars;) {
        const CodePoint c = next_cp(message, i);
        i += c.len;
        if (is_space(c.cp)) {
            pending_space = !key.empty();
            continue;
        }
        if (pending_space) {
            key += ' ';
            pending_space = false;
            if (++chars == kMessageKeyChars) break;
        }
        const char32_t f = detail::fold(c.cp);
        if (f < 0x80) key += static_cast<char>(f);
        else if (f == c.cp && !(c.cp == detail::kReplacement && c.len == 1)) key.append(message.substr(i - c.len, c.len));
        else detail::append_cp(key, f);
        ++chars;
    }
    return key;
}

std::string candidates_hash(const std::vector<Candidate>& candidates) {
    std::vector<std::string> entries;
    entries.reserve(candidates.size());
    for (const Candidate& c : candidates) {
        std::string e;
        e.reserve(c.slug.size() + 1 + c.description.size());
        e += c.slug;
        e += '\x1F';
        e += c.description;
        entries.push_back(std::move(e));
    }
    std::sort(entries.begin(), entries.end());  // char_traits<char>::compare is unsigned bytewise
    std::uint64_t h = 0xcbf29ce484222325ull;
    auto feed = [&h](unsigned char b) {
        h ^= b;
        h *= 0x100000001b3ull;
    };
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i) feed(0x1E);
        for (char c : entries[i]) feed(static_cast<unsigned char>(c));
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 0xF];
    return out;
}

bool is_fresh(const CacheRow& row, std::int64_t now_ms) noexcept {
    return minus(now_ms, row.created_at_ms) <= kCacheTtlMs;
}

CacheRow upsert(const CacheRow* row, const CacheDecision& decision, std::int64_t now_ms) {
    CacheRow out;
    out.slug = decision.slug;
    out.source = decision.source;
    out.advice = decision.advice;
    if (row && is_fresh(*row, now_ms)) {
        out.hits = row->hits + 1;
        out.created_at_ms = row->created_at_ms;
    } else {
        out.hits = 1;
        out.created_at_ms = now_ms;
    }
    out.last_used_at_ms = now_ms;
    return out;
}

OverrideResult override_feedback(const std::optional<Pointer>& pointer, std::string_view message,
                                 std::string_view pinned_slug, const CacheRow* row, std::int64_t now_ms) {
    OverrideResult r;
    r.pointer = pointer;
    if (!pointer || pointer->slug == pinned_slug || message_key(message) != pointer->message_key) return r;
    r.row_write = upsert(row, CacheDecision{std::string(pinned_slug), RowSource::override, {}}, now_ms);
    r.pointer.reset();
    return r;
}

std::vector<std::string> purge(const std::vector<PurgeCandidate>& rows, std::int64_t now_ms, std::int64_t max_age_ms,
                               std::size_t batch) {
    const std::int64_t cutoff = minus(now_ms, max_age_ms);
    std::vector<const PurgeCandidate*> old;
    for (const PurgeCandidate& r : rows)
        if (r.created_at_ms < cutoff) old.push_back(&r);
    std::stable_sort(old.begin(), old.end(),
                     [](const PurgeCandidate* a, const PurgeCandidate* b) { return a->created_at_ms < b->created_at_ms; });
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < old.size() && i < batch; ++i) ids.push_back(old[i]->id);
    return ids;
}

// ---------------------------------------------------------------------------------------------
// The ladder (4.2)

std::vector<std::string> RouteContext::shortlist() const {
    std::vector<std::string> out;
    const std::size_t n = std::min(eligible.size(), kShortlistCap);
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(eligible[i].slug);
    return out;
}

const Candidate* RouteContext::default_candidate() const noexcept {
    return default_index < eligible.size() ? &eligible[default_index] : nullptr;
}

namespace {

RouteDecision fallback_to_default(const RouteContext& ctx, FallbackCause cause, LadderStep step) {
    RouteDecision d;
    if (const Candidate* c = ctx.default_candidate()) d.slug = c->slug;
    d.reason = RouteReason::fallback;
    d.step = step;
    d.cause = cause;
    return d;
}

bool is_eligible(const RouteContext& ctx, std::string_view slug) noexcept {
    for (const Candidate& c : ctx.eligible)
        if (c.slug == slug) return true;
    return false;
}

}  // namespace

RouteContext route_prepare(const RouteRequest& request) {
    RouteContext ctx;
    ctx.eligible.reserve(request.candidates.size());
    for (const Candidate& c : request.candidates) {
        if (!request.allow.empty() && std::find(request.allow.begin(), request.allow.end(), c.slug) == request.allow.end())
            continue;
        ctx.eligible.push_back(c);
    }
    if (request.default_slug) {
        for (std::size_t i = 0; i < ctx.eligible.size(); ++i) {
            if (ctx.eligible[i].slug == *request.default_slug) {
                ctx.default_index = i;
                break;
            }
        }
    }
    if (ctx.eligible.empty()) {
        RouteDecision d;
        d.reason = RouteReason::no_candidates;
        d.step = LadderStep::no_candidates;
        ctx.decided = std::move(d);
        return ctx;
    }
    if (ctx.eligible.size() == 1) {
        RouteDecision d;
        d.slug = ctx.eligible[0].slug;
        d.reason = RouteReason::single_candidate;
        d.step = LadderStep::single_candidate;
        ctx.decided = std::move(d);
        return ctx;
    }
    ctx.message_key = message_key(request.message);
    if (ctx.message_key.empty()) {
        ctx.decided = fallback_to_default(ctx, FallbackCause::empty_message, LadderStep::empty_message);
        return ctx;
    }
    ctx.candidates_hash = candidates_hash(ctx.eligible);
    return ctx;
}

std::optional<RouteDecision> route_cached(const RouteContext& ctx, const CacheRow* row, std::int64_t now_ms) {
    if (ctx.decided) return ctx.decided;
    if (!row || !is_fresh(*row, now_ms) || !is_eligible(ctx, row->slug)) return std::nullopt;
    RouteDecision d;
    d.slug = row->slug;
    d.reason = RouteReason::cached;
    d.step = LadderStep::cache;
    d.advice = row->advice;
    d.pointer = Pointer{ctx.message_key, ctx.candidates_hash, row->slug};
    return d;
}

RouteDecision route_classified(const RouteContext& ctx, const CacheRow* row, const ClassifierResult& result,
                               std::int64_t now_ms) {
    if (ctx.decided) return *ctx.decided;
    const std::size_t dropped = ctx.eligible.size() > kShortlistCap ? ctx.eligible.size() - kShortlistCap : 0;
    std::optional<ParsedReply> parsed;
    FallbackCause cause = FallbackCause::unparsable;
    if (result.kind == ClassifierResult::Kind::timeout) cause = FallbackCause::timeout;
    else if (result.kind == ClassifierResult::Kind::error) cause = FallbackCause::error;
    else if (result.reply) parsed = parse_reply(*result.reply, ctx.shortlist());
    if (!parsed) {
        RouteDecision d = fallback_to_default(ctx, cause, LadderStep::fallback);
        d.classifier_called = true;
        d.shortlist_dropped = dropped;
        return d;
    }
    RouteDecision d;
    d.slug = parsed->slug;
    d.reason = RouteReason::classified;
    d.step = LadderStep::classify;
    d.advice = parsed->advice;
    d.classifier_called = true;
    d.shortlist_dropped = dropped;
    d.cache_write = upsert(row, CacheDecision{parsed->slug, RowSource::classified, parsed->advice}, now_ms);
    d.pointer = Pointer{ctx.message_key, ctx.candidates_hash, parsed->slug};
    return d;
}

RouteDecision route(const RouteRequest& request, const CacheRow* row, const ClassifierResult& result,
                    std::int64_t now_ms) {
    const RouteContext ctx = route_prepare(request);
    if (auto d = route_cached(ctx, row, now_ms)) return std::move(*d);
    return route_classified(ctx, row, result, now_ms);
}

std::string explain(const RouteDecision& d) {
    std::string out = "auto=";
    out += d.slug ? *d.slug : std::string("(none)");
    out += " reason=";
    out += to_string(d.reason);
    out += " step=";
    out += std::to_string(static_cast<int>(d.step));
    out += " (";
    out += to_string(d.step);
    out += ")";
    if (d.cause != FallbackCause::none) {
        out += " cause=";
        out += to_string(d.cause);
    }
    if (d.shortlist_dropped) {
        out += " dropped=";
        out += std::to_string(d.shortlist_dropped);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// The classifier call (4.3)

namespace {

// A description on one line: whitespace runs as one space, trimmed.
void append_one_line(std::string& out, std::string_view s) {
    bool pending = false, any = false;
    for (std::size_t i = 0; i < s.size();) {
        const CodePoint c = next_cp(s, i);
        if (is_space(c.cp)) {
            pending = any;
        } else {
            if (pending) out += ' ';
            pending = false;
            any = true;
            if (c.cp == detail::kReplacement && c.len == 1) detail::append_cp(out, c.cp);
            else out.append(s.substr(i, c.len));
        }
        i += c.len;
    }
}

}  // namespace

ClassifierPrompt classifier_prompt(const RouteContext& ctx, std::string_view message) {
    ClassifierPrompt p;
    p.shortlist = ctx.shortlist();
    SignalInput in;
    in.text = message;
    p.complexity = prior(Kind::chat, signals(in)).turn_class;

    std::string& s = p.system;
    s = "You pick the handler for a user's message. Handlers:\n";
    const std::size_t n = std::min(ctx.eligible.size(), kShortlistCap);
    for (std::size_t i = 0; i < n; ++i) {
        s += "- ";
        append_one_line(s, ctx.eligible[i].slug);
        s += ": ";
        append_one_line(s, ctx.eligible[i].description);
        s += '\n';
    }
    s += "Complexity hint: ";
    s += to_string(p.complexity);
    s += "\n"
         "Answer with a single line of JSON and nothing else, for example\n"
         "{\"slug\":\"<handler>\",\"language\":\"<reply language>\",\"style\":\"concise|detailed|formal|friendly\","
         "\"verbosity\":\"terse|normal|verbose\",\"effort\":\"low|medium|high\",\"creativity\":\"precise|balanced|creative\"}\n"
         "Only \"slug\" is required. Leave out any other field you are not sure about.\n"
         "effort: low for greetings, lookups and simple rewrites; medium for ordinary multi-part questions;\n"
         "high for real analysis, debugging, multi-step problem solving or careful reworking, even when the\n"
         "message is short.\n"
         "creativity: precise for facts, code and extraction; creative for brainstorming, writing and\n"
         "ideas; balanced otherwise.\n"
         "Choose ";
    if (const Candidate* c = ctx.default_candidate()) append_one_line(s, c->slug);
    s += " only when no other handler fits.";

    p.user = valid_utf8(message.substr(0, detail::cp_prefix_bytes(message, kClassifierMessageChars)));
    return p;
}

std::int64_t classifier_deadline_ms(std::optional<std::int64_t> request_left_ms, double share) noexcept {
    if (!request_left_ms) return kClassifierTimeoutMs;
    if (*request_left_ms <= 0 || !(share > 0)) return 0;
    const double portion = std::floor(static_cast<double>(*request_left_ms) * std::min(share, 1.0));
    return static_cast<std::int64_t>(std::min(portion, static_cast<double>(kClassifierTimeoutMs)));
}

Request classifier_request(std::string_view target, const ClassifierPrompt& prompt, std::int64_t deadline_ms,
                           std::string_view conversation_id) {
    Request r;
    r.route = std::string(target);
    r.conversation_id = std::string(conversation_id);
    r.prompt_tokens = static_cast<std::int64_t>(estimate_tokens(prompt.system) + estimate_tokens(prompt.user));
    r.max_output_tokens = kClassifierMaxTokens;
    r.needs_tools = false;
    r.needs_vision = false;
    if (deadline_ms > 0) r.overrides.deadline_ms = std::min(deadline_ms, kClassifierTimeoutMs);
    return r;
}

std::string classifier_body(const ClassifierPrompt& prompt, std::string_view upstream_model,
                            const Capability& capability) {
    GovernInput in;
    in.kind = Kind::utility;
    in.capability = capability;
    const Governed g = govern(in);
    std::string b = "{\"model\":";
    json::write_string(b, upstream_model);
    b += ",\"messages\":[{\"role\":\"system\",\"content\":";
    json::write_string(b, prompt.system);
    b += "},{\"role\":\"user\",\"content\":";
    json::write_string(b, prompt.user);
    b += "}],\"max_tokens\":";
    b += std::to_string(kClassifierMaxTokens);
    b += ",\"stream\":false";
    if (g.patch.reasoning_effort) {
        b += ",\"reasoning_effort\":";
        json::write_string(b, *g.patch.reasoning_effort);
    }
    if (g.patch.temperature) {
        b += ",\"temperature\":";
        json::write_number(b, *g.patch.temperature);
    }
    b += '}';
    return b;
}

}  // namespace reroute::reasoning

// Classification (chat-errors.md sections 3 and 4).
//
// Design: one Aho-Corasick pass over the bytes of M reports every literal occurrence. Each
// occurrence is checked in O(1) against the shape its atom needs (whole token, one-unit gap, ...),
// which turns it into "atom facts". The ordered rule table is then walked over those facts plus
// the status and code facts. No backtracking anywhere, so the cost is linear in the length of M.
//
// Lowercasing (3.1): the automaton folds ASCII case itself, so most messages are scanned as they
// are. Only a message holding one of the two characters whose lowercasing changes bytes
// (U+212A KELVIN SIGN -> "k", U+0130 -> "i" U+0307) is first lowercased into a reused buffer.
#include "reroute/classify.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "reroute/detail/matcher.hpp"
#include "reroute/text.hpp"

namespace reroute {
namespace {

// ---------------------------------------------------------------------------------------------
// Atoms: the message patterns of 4.2 and 4.3, each one fact about M.

// How the head literal must sit in M (4.1 notation).
enum class Shape : std::uint8_t {
    plain,      // abc
    gap,        // head·?tail: tail right after head, or after exactly one non-LT UTF-16 unit
    token,      // ‹head›: non-word (or nothing) on both sides
    token_5dd,  // ‹5dd›: head is "5", then exactly two ASCII digits, as a whole token
    word_end,   // head‹: followed by the end of M or a non-word unit
    json_code,  // 4.3: head is "code" (quoted), then ws : ws "? and the digits in tail, then head‹
};

enum Atom : std::uint8_t {
    // rule 1
    no_provider_available_error, missing_api_key_error, no_api_key_for_org,
    // rule E
    json_code_1311, not_in_your_plan,
    // rule 2
    json_code_1113, insufficient_balance, more_credits, can_only_afford, credit_insufficient,
    insufficient_credit, never_purchased_credits, credit_limit, credit_reached, token_402,
    // rule 3
    token_401, token_403, invalid_key, expired_key, api_key_invalid, unauthorized, forbidden,
    authentication_fail, user_not_found, missing_authentication,
    // rule 4
    model_not_found, model_not_available, invalid_model, token_404,
    // rule 5
    unsupported_parameter, not_supported_with_this_model, not_supported_for,
    unsupported_parameter_underscore, unknown_parameter, unrecognized_request_argument,
    // rule 6
    max_tokens_too_large, too_large_max_tokens, supports_at_most_completion_tokens,
    reduce_max_tokens,
    // rule 6b
    in_the_output,
    // rule 7
    fewer_max_tokens, token_limit, max_tokens,
    // rule 8 (and 6b)
    context_length, context_window, maximum_context,
    // rule 9
    rate_limit, too_many_requests, token_429,
    // rule 10
    content_filter, content_policy, moderation,
    // rule 11
    econnrefused, enotfound, getaddrinfo, fetch_failed, dns,
    // rule 12
    tool_error, tool_fail, unable_to_complete,
    // rule 13
    token_5dd, server_error, overloaded, capacity, service_unavailable, internal_error, timeout,
    timed_out, econnreset, etimedout,
    atom_count
};

struct AtomDef {
    Atom id;
    Shape shape;
    std::string_view head;
    std::string_view tail = {};  // gap: the part after the gap; json_code: the digits
    std::string_view near = {};  // non-empty: the atom is `<head shape> … near` on one line
};

constexpr AtomDef kAtoms[] = {
    {no_provider_available_error, Shape::plain, "noprovideravailableerror"},
    {missing_api_key_error, Shape::plain, "missingapikeyerror"},
    {no_api_key_for_org, Shape::plain, "no api key is configured for this organization"},

    {json_code_1311, Shape::json_code, "\"code\"", "1311"},
    {not_in_your_plan, Shape::plain, "not included in your plan"},

    {json_code_1113, Shape::json_code, "\"code\"", "1113"},
    {insufficient_balance, Shape::plain, "insufficient balance"},
    {more_credits, Shape::plain, "more credits"},
    {can_only_afford, Shape::plain, "can only afford"},
    {credit_insufficient, Shape::plain, "credit", {}, "insufficient"},
    {insufficient_credit, Shape::plain, "insufficient", {}, "credit"},
    {never_purchased_credits, Shape::plain, "never purchased credits"},
    {credit_limit, Shape::plain, "credit", {}, "limit"},
    {credit_reached, Shape::plain, "credit", {}, "reached"},
    {token_402, Shape::token, "402"},

    {token_401, Shape::token, "401"},
    {token_403, Shape::token, "403"},
    {invalid_key, Shape::plain, "invalid", {}, "key"},
    {expired_key, Shape::plain, "expired", {}, "key"},
    {api_key_invalid, Shape::gap, "api", "key", "invalid"},
    {unauthorized, Shape::plain, "unauthorized"},
    {forbidden, Shape::plain, "forbidden"},
    {authentication_fail, Shape::plain, "authentication", {}, "fail"},
    {user_not_found, Shape::plain, "user not found"},
    {missing_authentication, Shape::plain, "missing", {}, "authentication"},

    {model_not_found, Shape::plain, "model", {}, "not found"},
    {model_not_available, Shape::plain, "model", {}, "not available"},
    {invalid_model, Shape::plain, "invalid model"},
    {token_404, Shape::token, "404"},

    {unsupported_parameter, Shape::plain, "unsupported parameter"},
    {not_supported_with_this_model, Shape::plain, "is not supported with this model"},
    {not_supported_for, Shape::word_end, "not supported for"},
    {unsupported_parameter_underscore, Shape::plain, "unsupported_parameter"},
    {unknown_parameter, Shape::plain, "unknown parameter"},
    {unrecognized_request_argument, Shape::plain, "unrecognized request argument"},

    {max_tokens_too_large, Shape::plain, "max_tokens", {}, "too large"},
    {too_large_max_tokens, Shape::plain, "too large", {}, "max_tokens"},
    {supports_at_most_completion_tokens, Shape::plain, "supports at most", {}, "completion tokens"},
    {reduce_max_tokens, Shape::plain, "reduce", {}, "max_tokens"},

    {in_the_output, Shape::word_end, "in the output"},

    {fewer_max_tokens, Shape::plain, "fewer max_tokens"},
    {token_limit, Shape::plain, "token", {}, "limit"},
    {max_tokens, Shape::plain, "max_tokens"},

    {context_length, Shape::gap, "context", "length"},
    {context_window, Shape::gap, "context", "window"},
    {maximum_context, Shape::plain, "maximum context"},

    {rate_limit, Shape::gap, "rate", "limit"},
    {too_many_requests, Shape::plain, "too many requests"},
    {token_429, Shape::token, "429"},

    {content_filter, Shape::gap, "content", "filter"},
    {content_policy, Shape::gap, "content", "policy"},
    {moderation, Shape::plain, "moderation"},

    {econnrefused, Shape::plain, "econnrefused"},
    {enotfound, Shape::plain, "enotfound"},
    {getaddrinfo, Shape::plain, "getaddrinfo"},
    {fetch_failed, Shape::plain, "fetch failed"},
    {dns, Shape::plain, "dns"},

    {tool_error, Shape::plain, "tool", {}, "error"},
    {tool_fail, Shape::plain, "tool", {}, "fail"},
    {unable_to_complete, Shape::plain, "unable to complete"},

    {token_5dd, Shape::token_5dd, "5"},
    {server_error, Shape::plain, "server error"},
    {overloaded, Shape::plain, "overloaded"},
    {capacity, Shape::plain, "capacity"},
    {service_unavailable, Shape::gap, "service", "unavailable"},
    {internal_error, Shape::gap, "internal", "error"},
    {timeout, Shape::plain, "timeout"},
    {timed_out, Shape::plain, "timed out"},
    {econnreset, Shape::plain, "econnreset"},
    {etimedout, Shape::plain, "etimedout"},
};
static_assert(std::size(kAtoms) == atom_count);
static_assert([] {
    for (std::size_t i = 0; i < std::size(kAtoms); ++i)
        if (kAtoms[i].id != i) return false;
    return true;
}(), "kAtoms must list the atoms in enum order");

// A set of atoms.
struct AtomSet {
    std::array<std::uint64_t, 2> w{};
    static_assert(atom_count <= 128);

    constexpr void set(unsigned a) { w[a / 64] |= std::uint64_t{1} << (a % 64); }
    constexpr void reset(unsigned a) { w[a / 64] &= ~(std::uint64_t{1} << (a % 64)); }
    constexpr bool has(unsigned a) const { return (w[a / 64] >> (a % 64)) & 1; }
    constexpr bool empty() const { return (w[0] | w[1]) == 0; }
    constexpr bool intersects(const AtomSet& o) const { return ((w[0] & o.w[0]) | (w[1] & o.w[1])) != 0; }
    constexpr bool contains_all(const AtomSet& o) const {
        return (w[0] & o.w[0]) == o.w[0] && (w[1] & o.w[1]) == o.w[1];
    }
};

template <class... A>
constexpr AtomSet atoms(A... a) {
    AtomSet s;
    (s.set(a), ...);
    return s;
}

// ---------------------------------------------------------------------------------------------
// The ordered rules of 4.2. A rule holds when any of its status, code or provider-code tests
// holds, or when M has one of the `any` atoms and all of the `all` atoms (only 6b uses `all`).

struct StatusTest {
    enum Kind : std::uint8_t { none, equals, at_least } kind = none;
    std::array<double, 2> values{std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::quiet_NaN()};

    constexpr bool matches(std::optional<double> s) const {
        if (!s || kind == none) return false;
        if (kind == at_least) return *s >= values[0];
        return *s == values[0] || *s == values[1];  // NaN never equals
    }
};
constexpr StatusTest status_is(double a) { return {StatusTest::equals, {a, a}}; }
constexpr StatusTest status_is(double a, double b) { return {StatusTest::equals, {a, b}}; }
constexpr StatusTest status_at_least(double a) { return {StatusTest::at_least, {a, a}}; }

struct Rule {
    ErrorCode code;
    StatusTest status = {};
    std::array<std::string_view, 3> codes = {};  // K equal to one of these (case-sensitive)
    int provider_code = 0;                       // 4.3, structured forms (the JSON form is an atom)
    AtomSet any = {};
    AtomSet all = {};
};

constexpr Rule kRules[] = {
    // P1-P3 [later]: the platform's own refusals classify by their code.
    {.code = ErrorCode::missing_api_key, .codes = {"CREDENTIAL_NONE_CONFIGURED", "CREDENTIAL_ENV_UNSET"}},
    {.code = ErrorCode::auth_error,
     .codes = {"CREDENTIAL_DISABLED", "CREDENTIAL_KEY_ROTATED", "CHAT_CREDENTIAL_UNSUPPORTED"}},
    {.code = ErrorCode::model_not_found, .codes = {"CHAT_PROVIDER_UNAVAILABLE", "CHAT_MODEL_UNKNOWN"}},
    // 1
    {.code = ErrorCode::missing_api_key,
     .any = atoms(no_provider_available_error, missing_api_key_error, no_api_key_for_org)},
    // E [later]
    {.code = ErrorCode::model_not_entitled, .provider_code = 1311, .any = atoms(json_code_1311, not_in_your_plan)},
    // 2
    {.code = ErrorCode::credit_exhausted, .status = status_is(402), .provider_code = 1113,
     .any = atoms(json_code_1113, insufficient_balance, more_credits, can_only_afford, credit_insufficient,
                  insufficient_credit, never_purchased_credits, credit_limit, credit_reached, token_402)},
    // 3
    {.code = ErrorCode::auth_error, .status = status_is(401, 403),
     .any = atoms(token_401, token_403, invalid_key, expired_key, api_key_invalid, unauthorized, forbidden,
                  authentication_fail, user_not_found, missing_authentication)},
    // 4
    {.code = ErrorCode::model_not_found, .status = status_is(404),
     .any = atoms(model_not_found, model_not_available, invalid_model, token_404)},
    // 5
    {.code = ErrorCode::unsupported_parameter,
     .any = atoms(unsupported_parameter, not_supported_with_this_model, not_supported_for,
                  unsupported_parameter_underscore, unknown_parameter, unrecognized_request_argument)},
    // 6
    {.code = ErrorCode::output_cap_too_high,
     .any = atoms(max_tokens_too_large, too_large_max_tokens, supports_at_most_completion_tokens,
                  reduce_max_tokens)},
    // 6b [later]: "in the output" together with context wording.
    {.code = ErrorCode::output_cap_too_high, .any = atoms(context_length, context_window, maximum_context),
     .all = atoms(in_the_output)},
    // 7
    {.code = ErrorCode::token_limit, .any = atoms(fewer_max_tokens, token_limit, max_tokens)},
    // 8
    {.code = ErrorCode::context_length, .any = atoms(context_length, context_window, maximum_context)},
    // 9
    {.code = ErrorCode::rate_limited, .status = status_is(429),
     .any = atoms(rate_limit, too_many_requests, token_429)},
    // 10
    {.code = ErrorCode::content_filter, .any = atoms(content_filter, content_policy, moderation)},
    // 11
    {.code = ErrorCode::provider_unreachable, .codes = {"ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"},
     .any = atoms(econnrefused, enotfound, getaddrinfo, fetch_failed, dns)},
    // 12
    {.code = ErrorCode::tool_failure, .any = atoms(tool_error, tool_fail, unable_to_complete)},
    // 13
    {.code = ErrorCode::provider_error, .status = status_at_least(500), .codes = {"ECONNRESET", "ETIMEDOUT"},
     .any = atoms(token_5dd, server_error, overloaded, capacity, service_unavailable, internal_error, timeout,
                  timed_out, econnreset, etimedout)},
    // 14: generic, below.
};

// ---------------------------------------------------------------------------------------------
// Shape checks, each O(1) apart from the JSON whitespace after "code" (which a later "code"
// occurrence cannot overlap, so the total stays linear).

bool word_at(std::string_view m, std::size_t i) {
    return i < m.size() && text::is_word_byte(static_cast<unsigned char>(m[i]));
}
bool ascii_digit_at(std::string_view m, std::size_t i) { return i < m.size() && m[i] >= '0' && m[i] <= '9'; }
// Non-word or nothing before `start`; non-ASCII bytes are non-word, like every non-ASCII unit.
bool token_start(std::string_view m, std::size_t start) { return start == 0 || !word_at(m, start - 1); }

// ASCII case folded like the automaton: `lower` is a lowercase literal.
bool starts_with_folded(std::string_view m, std::size_t at, std::string_view lower) {
    return at <= m.size() && text::iequals_ascii(m.substr(at, lower.size()), lower);
}

// `tail` at `at`, or after exactly one UTF-16 unit that is not a line terminator. A 4-byte
// sequence is two units; an invalid byte counts as one, as in text::utf16_length.
bool gap_then(std::string_view m, std::size_t at, std::string_view tail, std::size_t& end) {
    if (starts_with_folded(m, at, tail)) {
        end = at + tail.size();
        return true;
    }
    if (at >= m.size()) return false;
    const text::Decoded d = text::decode_utf8(m, at);
    if (text::utf16_units(d.cp) != 1 || text::is_line_terminator(d.cp)) return false;
    if (!starts_with_folded(m, at + d.len, tail)) return false;
    end = at + d.len + tail.size();
    return true;
}

bool json_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// After `"code"`: ws : ws "? digits, then a non-word unit or the end.
bool json_code_then(std::string_view m, std::size_t at, std::string_view digits) {
    std::size_t i = at;
    while (i < m.size() && json_ws(m[i])) ++i;
    if (i >= m.size() || m[i] != ':') return false;
    ++i;
    while (i < m.size() && json_ws(m[i])) ++i;
    if (i < m.size() && m[i] == '"') ++i;
    return m.substr(i, digits.size()) == digits && !word_at(m, i + digits.size());
}

// Whether the head occurrence [start, end) has its atom's shape; `left_end` receives where the
// left side of a `… near` atom ends.
bool head_fits(const AtomDef& a, std::string_view m, std::size_t start, std::size_t end, std::size_t& left_end) {
    left_end = end;
    switch (a.shape) {
        case Shape::plain: return true;
        case Shape::gap: return gap_then(m, end, a.tail, left_end);
        case Shape::token: return token_start(m, start) && !word_at(m, end);
        case Shape::token_5dd:
            return token_start(m, start) && ascii_digit_at(m, end) && ascii_digit_at(m, end + 1) &&
                   !word_at(m, end + 2);
        case Shape::word_end: return !word_at(m, end);
        case Shape::json_code: return json_code_then(m, end, a.tail);
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// The automaton over every head and near literal, plus the line terminators.

// The line terminators are literals too, numbered first: they end the lines of `a … b`.
constexpr std::string_view kLineTerminators[] = {"\n", "\r", "\xE2\x80\xA8", "\xE2\x80\xA9"};
constexpr std::size_t kLineTerminatorCount = std::size(kLineTerminators);
// U+212A and U+0130: the only characters whose lowercasing matters beyond ASCII (3.1). The
// automaton spots them in the same pass, and only then is M lowercased and scanned again.
constexpr std::string_view kUnfoldedLetters[] = {"\xE2\x84\xAA", "\xC4\xB0"};
constexpr std::size_t kSpecialLiteralCount = kLineTerminatorCount + std::size(kUnfoldedLetters);

// Atoms of the form `… near` get a slot holding the earliest end of their left side on the
// current line.
constexpr std::uint8_t kNoSlot = 0xFF;
constexpr auto kNearSlot = [] {
    std::array<std::uint8_t, atom_count> slot{};
    std::uint8_t next = 0;
    for (const AtomDef& a : kAtoms) slot[a.id] = a.near.empty() ? kNoSlot : next++;
    return slot;
}();
constexpr std::size_t kNearCount = [] {
    std::size_t n = 0;
    for (const AtomDef& a : kAtoms) n += !a.near.empty();
    return n;
}();

struct Listener {
    std::uint8_t atom;
    bool near;  // the literal is this atom's `near` part (else its head)
};

class Engine {
public:
    Engine() : literals_(collect_literals()), matcher_(literals_, /*fold_ascii_case=*/true) {
        std::vector<std::vector<Listener>> by_literal(literals_.size());
        for (const AtomDef& a : kAtoms) {
            by_literal[index_of(a.head)].push_back({a.id, false});
            if (!a.near.empty()) by_literal[index_of(a.near)].push_back({a.id, true});
        }
        begin_.push_back(0);
        for (const auto& ls : by_literal) {
            listeners_.insert(listeners_.end(), ls.begin(), ls.end());
            begin_.push_back(static_cast<std::uint16_t>(listeners_.size()));
        }
    }

    const detail::LiteralMatcher& matcher() const { return matcher_; }

    // The atom facts of M (ASCII case is folded by the automaton). Sets `unfolded` when M holds a
    // letter that lowercases beyond ASCII, in which case the facts are those of M as it stands.
    AtomSet scan(std::string_view m, bool& unfolded) const {
        AtomSet facts;
        // `a … b` never pairs across a line: per `… b` atom, the earliest end of its left side
        // on the current line. An entry before line_start belongs to an earlier line (a left
        // side holds no line terminator, so on the current line it ends after line_start).
        constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
        std::array<std::size_t, kNearCount> left_end;
        left_end.fill(kNone);
        std::size_t line_start = 0;
        matcher_.scan(m, [&](std::uint16_t lit, std::size_t end) {
            if (lit < kSpecialLiteralCount) {
                if (lit < kLineTerminatorCount) line_start = end;
                else unfolded = true;
                return;
            }
            const std::size_t start = end - literals_[lit].size();
            for (std::uint16_t k = begin_[lit]; k < begin_[lit + 1]; ++k) {
                const Listener l = listeners_[k];
                if (facts.has(l.atom)) continue;
                if (l.near) {  // some left side ended on this line, at or before b starts
                    const std::size_t e = left_end[kNearSlot[l.atom]];
                    if (e != kNone && e >= line_start && e <= start) facts.set(l.atom);
                    continue;
                }
                const AtomDef& a = kAtoms[l.atom];
                std::size_t e;
                if (!head_fits(a, m, start, end, e)) continue;
                if (a.near.empty()) {
                    facts.set(l.atom);
                } else {
                    std::size_t& earliest = left_end[kNearSlot[l.atom]];
                    if (earliest == kNone || earliest < line_start || e < earliest) earliest = e;
                }
            }
        });
        return facts;
    }

private:
    static std::vector<std::string_view> collect_literals() {
        std::vector<std::string_view> lits(std::begin(kLineTerminators), std::end(kLineTerminators));
        lits.insert(lits.end(), std::begin(kUnfoldedLetters), std::end(kUnfoldedLetters));
        auto add = [&](std::string_view s) {
            if (std::find(lits.begin(), lits.end(), s) == lits.end()) lits.push_back(s);
        };
        for (const AtomDef& a : kAtoms) {
            add(a.head);
            if (!a.near.empty()) add(a.near);
        }
        return lits;
    }
    std::size_t index_of(std::string_view s) const {
        return static_cast<std::size_t>(std::find(literals_.begin(), literals_.end(), s) - literals_.begin());
    }

    std::vector<std::string_view> literals_;
    detail::LiteralMatcher matcher_;
    std::vector<std::uint16_t> begin_;  // per literal, into listeners_ (plus an end)
    std::vector<Listener> listeners_;
};

const Engine& engine() {
    static const Engine e;  // built once, on first use
    return e;
}

// ---------------------------------------------------------------------------------------------
// Facts (section 3) and the rule walk.

struct Facts {
    const ErrorValue* object = nullptr;  // for provider codes in structured members (4.3)
    std::optional<double> status;        // S
    const std::string* code = nullptr;   // K
    AtomSet atoms;                       // from M
};

bool equals_decimal(std::string_view s, int n) {
    char buf[12];
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    return s == std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
}

// 4.3, the structured forms: K is the text N, or member code / error.code is the number or text N.
bool has_structured_provider_code(const Facts& f, int n) {
    const ErrorValue& e = *f.object;
    return (f.code && equals_decimal(*f.code, n)) || e.code_number == n || e.error_code_number == n ||
           (e.error_code && equals_decimal(*e.error_code, n));
}

bool holds(const Rule& r, const Facts& f) {
    if (r.status.matches(f.status)) return true;
    if (f.code && !f.code->empty())  // "" is never one of the listed codes
        for (std::string_view c : r.codes)
            if (!c.empty() && *f.code == c) return true;
    if (r.provider_code != 0 && f.object && has_structured_provider_code(f, r.provider_code)) return true;
    return f.atoms.intersects(r.any) && f.atoms.contains_all(r.all);
}

ErrorCode walk(const Facts& f) {
    for (const Rule& r : kRules)
        if (holds(r, f)) return r.code;
    return ErrorCode::generic;  // 14
}

AtomSet message_atoms(std::string_view message) {
    if (message.empty()) return {};
    bool unfolded = false;
    const AtomSet facts = engine().scan(message, unfolded);
    if (!unfolded) return facts;
    thread_local std::string lowered;  // reused: no allocation per call once warm
    text::lowercase_for_matching(message, lowered);
    return engine().scan(lowered, unfolded);
}

}  // namespace

ErrorCode classify_message(std::string_view message) {
    Facts f;
    // A string has no members, but its text can still carry a provider body wrapped as JSON
    // (4.3, last form): the vector sanitize/later-legacy-plan-refusal classifies such raw text.
    f.atoms = message_atoms(message);
    return walk(f);
}

ErrorCode classify(const ErrorValue& error) {
    switch (error.kind) {
        case ErrorValue::Kind::string: return classify_message(error.text);
        case ErrorValue::Kind::object: break;
        default: return ErrorCode::generic;  // null, numbers, booleans, absent: M empty, no members
    }
    Facts f;
    f.object = &error;
    f.status = error.status ? error.status : error.status_code;
    if (error.code) f.code = &*error.code;
    else if (error.data_code) f.code = &*error.data_code;
    // [later] data.message wins even when empty.
    const std::string* m = error.data_message ? &*error.data_message : error.message ? &*error.message : nullptr;
    if (m) f.atoms = message_atoms(*m);
    return walk(f);
}

}  // namespace reroute

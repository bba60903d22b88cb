// reasoning.md 2.2: binary64 in the order written, without fused multiply-add contraction, whatever
// the build's flags (x86-64 and WebAssembly have no FMA by default; other targets may).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include "reroute/reasoning_signals.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "reasoning_text.hpp"
#include "reroute/reasoning.hpp"

namespace reroute::reasoning {
namespace {

using detail::fold;
using detail::is_space;
using detail::is_word;
using detail::next_cp;

// ---- the lexicon (English only) ----
// Every single-word term is a run of word characters, so a term occurs exactly where a maximal
// run of word characters (folded) equals it. The phrases start with "step" or "walk" and are
// checked from there.

enum ListBit : std::uint16_t {
    kHard = 1, kEasy = 2, kCreative = 4, kAnalytical = 8, kFirst = 16, kThen = 32, kFinally = 64,
    kStep = 128,  // "step by step", "step-by-step"
    kWalk = 256,  // "walk me through"
};

struct Word {
    std::string_view text;  // lowercase ASCII
    std::uint16_t lists;
};

// A word of at most 16 bytes, zero-padded, as two 64-bit halves.
struct Packed {
    std::uint64_t lo = 0, hi = 0;
    friend bool operator==(const Packed&, const Packed&) = default;
};
constexpr Packed pack(std::string_view w) noexcept {
    Packed p;
    for (std::size_t k = 0; k < w.size() && k < 16; ++k) {
        const auto byte = static_cast<std::uint64_t>(static_cast<unsigned char>(w[k]));
        if (k < 8) p.lo |= byte << (8 * k);
        else p.hi |= byte << (8 * (k - 8));
    }
    return p;
}

constexpr Word kWords[] = {
    // hard (prove and debug are analytical too)
    {"prove", kHard | kAnalytical}, {"derive", kHard}, {"debug", kHard | kAnalytical}, {"refactor", kHard},
    {"optimise", kHard}, {"optimize", kHard}, {"analyse", kHard}, {"analyze", kHard}, {"architect", kHard},
    {"design", kHard}, {"implement", kHard}, {"evaluate", kHard}, {"diagnose", kHard}, {"troubleshoot", kHard},
    {"compare", kHard}, {"reason", kHard}, {"algorithm", kHard},
    // easy
    {"translate", kEasy}, {"rephrase", kEasy}, {"reword", kEasy}, {"rewrite", kEasy}, {"summarise", kEasy},
    {"summarize", kEasy}, {"shorten", kEasy}, {"format", kEasy}, {"capitalize", kEasy}, {"lowercase", kEasy},
    {"uppercase", kEasy},
    // creative
    {"write", kCreative}, {"story", kCreative}, {"poem", kCreative}, {"brainstorm", kCreative},
    {"imagine", kCreative}, {"draft", kCreative}, {"compose", kCreative}, {"invent", kCreative},
    {"fiction", kCreative}, {"song", kCreative}, {"lyrics", kCreative},
    // analytical
    {"calculate", kAnalytical}, {"compute", kAnalytical}, {"extract", kAnalytical}, {"classify", kAnalytical},
    {"parse", kAnalytical}, {"solve", kAnalytical}, {"count", kAnalytical}, {"verify", kAnalytical},
    // steps (structure)
    {"first", kFirst}, {"then", kThen}, {"finally", kFinally}, {"step", kStep}, {"walk", kWalk},
};
constexpr std::size_t kWordCount = sizeof kWords / sizeof kWords[0];
constexpr std::size_t kMinWord = 4, kMaxWord = 12;

// Words by (first letter, length): a range into `order`.
struct WordIndex {
    std::array<std::uint8_t, kWordCount> order{};
    std::array<Packed, kWordCount> packed{};
    std::array<std::array<std::uint8_t, kMaxWord + 2>, 26> start{};  // start[l][len] .. start[l][len + 1]
};
constexpr WordIndex build_index() {
    WordIndex ix;
    std::size_t at = 0;
    for (std::size_t l = 0; l < 26; ++l) {
        for (std::size_t len = 0; len <= kMaxWord; ++len) {
            ix.start[l][len] = static_cast<std::uint8_t>(at);
            for (std::size_t w = 0; w < kWordCount; ++w)
                if (kWords[w].text[0] == char('a' + l) && kWords[w].text.size() == len)
                    ix.order[at++] = static_cast<std::uint8_t>(w);
        }
            ix.start[l][kMaxWord + 1] = static_cast<std::uint8_t>(at);
    }
    for (std::size_t w = 0; w < kWordCount; ++w) ix.packed[w] = pack(kWords[w].text);
    return ix;
}
constexpr WordIndex kIndex = build_index();

// The lists of a word (lowercase ASCII, `len` bytes).
std::uint16_t lookup(const Packed& w, char first, std::size_t len) noexcept {
    if (len < kMinWord || len > kMaxWord || first < 'a' || first > 'z') return 0;
    const auto& row = kIndex.start[static_cast<std::size_t>(first - 'a')];
    for (std::size_t k = row[len]; k < row[len + 1]; ++k)
        if (kIndex.packed[kIndex.order[k]] == w) return kWords[kIndex.order[k]].lists;
    return 0;
}

// Bare acknowledgements, normalised (apostrophes deleted, non-word characters as spaces).
constexpr std::string_view kTrivial[] = {
    "hi", "hey", "hello", "yo", "thanks", "thank you", "ty", "ok", "okay", "cool", "nice", "great",
    "got it", "sounds good", "yes", "no", "sure", "please", "how are you", "hows it going",
    "how are you doing", "good morning", "good evening",
};
constexpr std::size_t kTrivialMaxLength = 17;  // "how are you doing"

constexpr bool is_ascii_word(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// ---- helpers over the raw bytes (every pattern is ASCII, and an ASCII byte is never part of a
// longer UTF-8 sequence, so byte matching finds exactly the code-point matches) ----

// The code point at byte j is not a word character (or the text ends there).
bool boundary_at(std::string_view s, std::size_t j) noexcept {
    if (j >= s.size()) return true;
    const auto b = static_cast<unsigned char>(s[j]);
    if (b < 0x80) return !is_ascii_word(b);
    return !is_word(next_cp(s, j).cp);
}

// After one or more whitespace code points from j: the position past them, or npos.
std::size_t skip_space_run(std::string_view s, std::size_t j) noexcept {
    const std::size_t from = j;
    while (j < s.size()) {
        const detail::CodePoint c = next_cp(s, j);
        if (!is_space(c.cp)) break;
        j += c.len;
    }
    return j > from ? j : std::string_view::npos;
}

// ASCII letters at j, compared case-folded.
bool letters_at(std::string_view s, std::size_t j, std::string_view lower_word) noexcept {
    if (j == std::string_view::npos || j + lower_word.size() > s.size()) return false;
    for (std::size_t k = 0; k < lower_word.size(); ++k)
        if (lower(s[j + k]) != lower_word[k]) return false;
    return true;
}

// "by step" / "-by-step" after a "step" ending at j; "me through" after a "walk".
bool phrase_after_step(std::string_view s, std::size_t j) noexcept {
    if (letters_at(s, j, "-by-step")) return boundary_at(s, j + 8);
    std::size_t k = skip_space_run(s, j);
    if (!letters_at(s, k, "by")) return false;
    k = skip_space_run(s, k + 2);
    return letters_at(s, k, "step") && boundary_at(s, k + 4);
}
bool phrase_after_walk(std::string_view s, std::size_t j) noexcept {
    std::size_t k = skip_space_run(s, j);
    if (!letters_at(s, k, "me")) return false;
    k = skip_space_run(s, k + 2);
    return letters_at(s, k, "through") && boundary_at(s, k + 7);
}

// ---- code density: fenced and inline spans ----
// Every marker is ASCII, so positions are bytes; a span's size is counted in code points. The
// main scan records each backtick and tilde with its line number, and the spans are found from
// those marks alone.

struct Mark {
    std::uint32_t pos;   // byte offset
    std::uint32_t line;  // line feeds before it
    char c;              // ` or ~
};

std::size_t cp_count(std::string_view s, std::size_t begin, std::size_t end, bool ascii) noexcept {
    if (ascii) return end - begin;
    return detail::cp_length(s.substr(begin, end - begin));
}

// Three marks of the same character at consecutive positions, starting at marks[j].
bool triple_at(const std::vector<Mark>& m, std::size_t j) noexcept {
    return j + 2 < m.size() && m[j + 1].c == m[j].c && m[j + 2].c == m[j].c && m[j + 1].pos == m[j].pos + 1 &&
           m[j + 2].pos == m[j].pos + 2;
}

// max(fenced share, inline share).
double span_density(std::string_view s, const std::vector<Mark>& m, bool ascii, std::size_t cps) {
    struct Span {
        std::size_t begin, end;
    };
    thread_local std::vector<Span> fences;
    fences.clear();
    // Fences: from ``` or ~~~ to the end of the next same three (searched from the opener's end),
    // or to the end of the text; scanning resumes after the span.
    std::size_t fenced = 0;
    for (std::size_t j = 0; j < m.size();) {
        if (!triple_at(m, j)) {
            ++j;
            continue;
        }
        const std::size_t open = m[j].pos;
        const char c = m[j].c;
        std::size_t end = s.size();
        std::size_t k = j + 3;
        for (; k < m.size(); ++k) {
            if (m[k].c == c && triple_at(m, k)) {
                end = m[k].pos + 3;
                break;
            }
        }
        fences.push_back({open, end});
        fenced += cp_count(s, open, end, ascii);
        j = k < m.size() ? k + 3 : m.size();
        while (j < m.size() && m[j].pos < end) ++j;
    }
    // Inline: a backtick outside the fences, the next backtick k outside them too, not adjacent,
    // on the same line: the span counts and scanning resumes after k.
    std::size_t cursor = 0;
    auto in_fence = [&](std::size_t pos) {
        while (cursor < fences.size() && fences[cursor].end <= pos) ++cursor;
        return cursor < fences.size() && fences[cursor].begin <= pos;
    };
    auto next_backtick = [&](std::size_t j) {
        while (j < m.size() && m[j].c != '`') ++j;
        return j;
    };
    std::size_t counted = 0;
    std::size_t i = next_backtick(0);
    while (i < m.size()) {
        if (in_fence(m[i].pos)) {
            i = next_backtick(i + 1);
            continue;
        }
        const std::size_t k = next_backtick(i + 1);
        if (k >= m.size()) break;  // no later backtick has a partner either
        if (!in_fence(m[k].pos) && m[k].pos != m[i].pos + 1 && m[k].line == m[i].line) {
            counted += cp_count(s, m[i].pos, m[k].pos + 1, ascii);
            i = next_backtick(k + 1);
        } else {
            i = k;
        }
    }
    const double all = static_cast<double>(cps);
    return std::max(static_cast<double>(fenced) / all, static_cast<double>(counted) / all);
}

// ---- per-line checks, on the bytes of one line (CR already dropped) ----

// After leading spaces/tabs: -, *, + or a bullet and a space; or 1-3 digits, . or ) and a space.
bool is_list_line(std::string_view l) noexcept {
    std::size_t b = 0;
    while (b < l.size() && (l[b] == ' ' || l[b] == '\t')) ++b;
    if (b >= l.size()) return false;
    const char c = l[b];
    if (c == '-' || c == '*' || c == '+') return b + 1 < l.size() && l[b + 1] == ' ';
    if (l.substr(b, 3) == "\xE2\x80\xA2") return b + 3 < l.size() && l[b + 3] == ' ';  // U+2022
    std::size_t d = b;
    while (d < l.size() && d - b < 4 && l[d] >= '0' && l[d] <= '9') ++d;
    if (d == b || d - b > 3) return false;
    return d + 1 < l.size() && (l[d] == '.' || l[d] == ')') && l[d + 1] == ' ';
}

// Stripped of spaces/tabs: non-empty, only |, -, :, spaces and tabs, at least one | and three -.
bool is_table_rule(std::string_view l) noexcept {
    int bars = 0, dashes = 0, other = 0;
    for (char c : l) {
        if (c == '|') ++bars;
        else if (c == '-') ++dashes;
        else if (c != ':' && c != ' ' && c != '\t') ++other;
    }
    return other == 0 && bars >= 1 && dashes >= 3;
}

// Stripped of leading spaces/tabs and trailing spaces/tabs/CR: "at " ... ":" digits ":" digits [")"].
bool is_stack_frame_line(std::string_view l) noexcept {
    std::size_t b = 0, e = l.size();
    while (b < e && (l[b] == ' ' || l[b] == '\t')) ++b;
    while (e > b && (l[e - 1] == ' ' || l[e - 1] == '\t' || l[e - 1] == '\r')) --e;
    if (e - b < 3 || l.substr(b, 3) != "at ") return false;
    if (l[e - 1] == ')') --e;
    auto digits_back = [&](std::size_t& end) {
        const std::size_t before = end;
        while (end > b && l[end - 1] >= '0' && l[end - 1] <= '9') --end;
        return end < before;
    };
    if (!digits_back(e) || e <= b || l[e - 1] != ':') return false;
    --e;
    if (!digits_back(e) || e <= b || l[e - 1] != ':') return false;
    return true;  // the ':' cannot lie inside "at "
}

constexpr bool is_error_prefix(char c) noexcept { return is_ascii_word(static_cast<unsigned char>(c)) || c == '_'; }

// ---- one pass over the text ----

struct Scan {
    std::size_t cps = 0;
    bool ascii = true;
    std::size_t syntax = 0, questions = 0;
    bool backslash_math = false, dollar_math = false;
    bool stack_trace = false;   // any of the stack-trace patterns
    bool table = false;
    int list_lines = 0;
    double hard = 0, easy = 0, creative = 0;
    bool analytical_term = false, step_phrase = false, then_after_first = false, finally_after_then = false;
};

// Byte classes for the scan: word bytes and plain separators are the common case.
enum ByteClass : std::uint8_t { kPlain, kWordByte, kSpecial, kHigh };
constexpr std::array<std::uint8_t, 256> build_classes() {
    std::array<std::uint8_t, 256> t{};
    for (int b = 0; b < 256; ++b) {
        if (b >= 0x80) t[b] = kHigh;
        else if (is_ascii_word(static_cast<unsigned char>(b))) t[b] = kWordByte;
    }
    for (char c : std::string_view("{}[];?`~|\\$:\n")) t[static_cast<unsigned char>(c)] = kSpecial;
    return t;
}
constexpr std::array<std::uint8_t, 256> kClasses = build_classes();

bool ends_with(std::string_view s, std::size_t end, std::size_t len, std::string_view suffix) noexcept {
    return len >= suffix.size() && s.substr(end - suffix.size(), suffix.size()) == suffix;
}

Scan scan(std::string_view s, std::vector<Mark>& marks) {
    Scan r;
    const char* p = s.data();
    const std::size_t n = s.size();
    constexpr std::size_t npos = std::string_view::npos;
    std::size_t word_start = npos;
    bool word_ascii = true;
    bool seen_first = false, seen_then = false;
    std::size_t line_start = 0, last_dollar = npos;
    std::uint32_t line = 0;
    int line_pipes = 0;
    bool previous_two_pipes = false;

    auto end_word = [&](std::size_t end) {
        const std::size_t len = end - word_start;
        // Stack-trace phrases are case-sensitive substrings: the word ends with their first word.
        if (len >= 9 && !r.stack_trace) {
            if ((ends_with(s, end, len, "Traceback") && s.substr(end, 24) == " (most recent call last)") ||
                (ends_with(s, end, len, "Exception") && s.substr(end, 10) == " in thread"))
                r.stack_trace = true;
        }
        if (!word_ascii || len < kMinWord || len > kMaxWord) return;
        const char first = lower(p[word_start]);
        if (first < 'a' || first > 'z') return;
        const auto& row = kIndex.start[static_cast<std::size_t>(first - 'a')];
        if (row[len] == row[len + 1]) return;  // no term of this letter and length
        Packed w;
        for (std::size_t k = 0; k < len; ++k) {
            const auto byte = static_cast<std::uint64_t>(static_cast<unsigned char>(lower(p[word_start + k])));
            if (k < 8) w.lo |= byte << (8 * k);
            else w.hi |= byte << (8 * (k - 8));
        }
        const std::uint16_t lists = lookup(w, first, len);
        if (!lists) return;
        if (lists & kHard) r.hard += 1;
        if (lists & kEasy) r.easy += 1;
        if (lists & kCreative) r.creative += 1;
        if (lists & kAnalytical) r.analytical_term = true;
        if (lists & kFirst) seen_first = true;
        if (lists & kThen) {
            if (seen_first) r.then_after_first = true;
            seen_then = true;
        }
        if ((lists & kFinally) && seen_then) r.finally_after_then = true;
        if ((lists & kStep) && !r.step_phrase && phrase_after_step(s, end)) r.step_phrase = true;
        if ((lists & kWalk) && !r.step_phrase && phrase_after_walk(s, end)) r.step_phrase = true;
    };
    auto end_line = [&](std::size_t end) {
        std::string_view l(p + line_start, end - line_start);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (is_list_line(l)) ++r.list_lines;
        if (previous_two_pipes && !r.table && is_table_rule(l)) r.table = true;
        previous_two_pipes = line_pipes >= 2;
        if (!r.stack_trace && is_stack_frame_line(l)) r.stack_trace = true;
    };

    for (std::size_t i = 0; i < n;) {
        const auto b = static_cast<unsigned char>(p[i]);
        const std::uint8_t cls = kClasses[b];
        if (cls == kWordByte) {
            std::size_t j = i + 1;
            while (j < n && kClasses[static_cast<unsigned char>(p[j])] == kWordByte) ++j;
            r.cps += j - i;
            if (word_start == npos) {
                word_start = i;
                word_ascii = true;
            }
            i = j;
            continue;
        }
        if (cls == kHigh) {
            r.ascii = false;
            const detail::CodePoint c = next_cp(s, i);
            ++r.cps;
            if (is_word(c.cp)) {
                if (word_start == npos) word_start = i;
                word_ascii = false;
            } else {
                if (word_start != npos) {
                    end_word(i);
                    word_start = npos;
                }
                if (c.cp == 0xFF1F) ++r.questions;
            }
            i += c.len;
            continue;
        }
        ++r.cps;
        if (word_start != npos) {
            end_word(i);
            word_start = npos;
        }
        if (cls == kSpecial) {
            switch (b) {
                case '{': case '}': case ';': case '[': case ']': ++r.syntax; break;
                case '?': ++r.questions; break;
                case '`': case '~': marks.push_back({static_cast<std::uint32_t>(i), line, static_cast<char>(b)}); break;
                case '|': ++line_pipes; break;
                case '\\':
                    if (i + 1 < n && (p[i + 1] == '(' || p[i + 1] == '[' || s.substr(i + 1, 6) == "begin{"))
                        r.backslash_math = true;
                    break;
                case '$':
                    if (last_dollar != npos && i - last_dollar >= 2) r.dollar_math = true;
                    last_dollar = i;
                    break;
                case ':':
                    if ((i >= 6 && s.substr(i - 5, 5) == "Error" && is_error_prefix(p[i - 6])) ||
                        (i >= 10 && s.substr(i - 9, 9) == "Exception" && is_error_prefix(p[i - 10])))
                        r.stack_trace = true;
                    break;
                case '\n':
                    end_line(i);
                    line_start = i + 1;
                    ++line;
                    line_pipes = 0;
                    last_dollar = npos;
                    break;
                default: break;
            }
        }
        ++i;
    }
    if (word_start != npos) end_word(n);
    end_line(n);
    return r;
}

// Normalised acknowledgement test: fold case, delete ' and U+2019, non-word characters as
// spaces, spaces collapsed, trimmed.
bool is_trivial(std::string_view text) {
    char buf[kTrivialMaxLength + 1];
    std::size_t len = 0;
    bool pending_space = false;
    for (std::size_t i = 0; i < text.size();) {
        const detail::CodePoint c = next_cp(text, i);
        i += c.len;
        if (c.cp == '\'' || c.cp == 0x2019) continue;
        const char32_t f = fold(c.cp);
        if (!is_word(f)) {
            pending_space = len > 0;
            continue;
        }
        if (f >= 0x80) return false;  // no listed phrase has a non-ASCII letter
        if (pending_space) {
            if (len >= kTrivialMaxLength) return false;
            buf[len++] = ' ';
            pending_space = false;
        }
        if (len >= kTrivialMaxLength) return false;
        buf[len++] = static_cast<char>(f);
    }
    const std::string_view normalised(buf, len);
    for (std::string_view phrase : kTrivial)
        if (normalised == phrase) return true;
    return false;
}

double lexicon_strength(double matches) noexcept {
    return std::min(1.0, std::min(matches, kLexiconMatchCap) / kLexiconMatchesForFull);
}

}  // namespace

double estimate_tokens(std::string_view text) noexcept {
    const std::size_t n = detail::cp_length(text);
    return static_cast<double>((n + 3) / 4);
}

Features signals(const SignalInput& in) {
    const std::string_view text = in.text;
    thread_local std::vector<Mark> marks;
    marks.clear();
    const Scan sc = scan(text, marks);

    Features f;
    f.tokens = in.tokens ? *in.tokens : static_cast<double>((sc.cps + 3) / 4);
    f.has_attachments = in.has_attachments;

    if (sc.cps > 0) {
        const double all = static_cast<double>(sc.cps);
        double density = marks.empty() ? 0 : span_density(text, marks, sc.ascii, sc.cps);
        if (sc.stack_trace) density = std::max(density, kStackTraceDensity);
        density = std::max(density, std::min(1.0, kSyntaxCharacterWeight * static_cast<double>(sc.syntax) / all));
        f.code_density = density;
    }
    f.has_math = sc.backslash_math || sc.dollar_math;

    double structure = 0;
    if (sc.questions >= 2) structure += kStructureQuestions;
    if (sc.table) structure += kStructureTable;
    if (sc.list_lines >= 2 || sc.step_phrase || sc.then_after_first || sc.finally_after_then) structure += kStructureList;
    f.structure = std::min(1.0, structure);

    f.hard = lexicon_strength(sc.hard);
    f.easy = lexicon_strength(sc.easy);
    f.creative = lexicon_strength(sc.creative);
    f.analytical = sc.analytical_term || f.code_density > 0 || f.has_math || f.hard > 0;
    f.trivial = is_trivial(text);
    f.retrieval = clamp01(0.5 * (in.has_attachments ? 1 : 0) + 0.5 * ((in.has_rag || in.has_web) ? 1 : 0));
    const double tools = std::min(in.tool_count, kAgenticMaxTools) / kAgenticMaxTools;
    const double steps = kAgenticStepsWeight * (in.max_steps >= kAgenticManySteps ? 1 : 0);
    const double other = kAgenticOtherTypeWeight * ((in.agent_type != "chat" && in.agent_type != "subagent") ? 1 : 0);
    f.agentic = clamp01(tools + steps + other);
    if (f.code_density > 0 || f.hard > 0 || f.has_math) {
        f.follow_up = 0;
    } else {
        f.follow_up = clamp01((in.history_message_count - 2) / 6) * (1 - clamp01(f.tokens / kFollowUpShortTokens));
    }
    return f;
}

}  // namespace reroute::reasoning

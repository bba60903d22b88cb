#include "reroute/reasoning_signals.hpp"

#include <algorithm>
#include <array>
#include <cmath>
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

enum List : std::uint8_t { kHard, kEasy, kCreative, kAnalytical, kStepPhrase, kFirst, kThen, kFinally, kListCount };

struct Term {
    std::string_view text;  // lowercase ASCII
    List list;
};

constexpr Term kTerms[] = {
    // hard
    {"prove", kHard}, {"derive", kHard}, {"debug", kHard}, {"refactor", kHard}, {"optimise", kHard},
    {"optimize", kHard}, {"analyse", kHard}, {"analyze", kHard}, {"architect", kHard}, {"design", kHard},
    {"implement", kHard}, {"evaluate", kHard}, {"diagnose", kHard}, {"troubleshoot", kHard},
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
    {"calculate", kAnalytical}, {"compute", kAnalytical}, {"prove", kAnalytical}, {"debug", kAnalytical},
    {"extract", kAnalytical}, {"classify", kAnalytical}, {"parse", kAnalytical}, {"solve", kAnalytical},
    {"count", kAnalytical}, {"verify", kAnalytical},
    // steps (structure)
    {"step by step", kStepPhrase}, {"step-by-step", kStepPhrase}, {"walk me through", kStepPhrase},
    {"first", kFirst}, {"then", kThen}, {"finally", kFinally},
};
constexpr std::size_t kTermCount = sizeof kTerms / sizeof kTerms[0];

// Terms by first letter: [start, end) ranges into an index array built once.
struct TermIndex {
    std::array<std::uint8_t, kTermCount> order{};
    std::array<std::uint8_t, 27> start{};  // start[c - 'a'] .. start[c - 'a' + 1]
};
constexpr TermIndex build_index() {
    TermIndex ix;
    std::size_t at = 0;
    for (int c = 0; c < 26; ++c) {
        ix.start[c] = static_cast<std::uint8_t>(at);
        for (std::size_t t = 0; t < kTermCount; ++t)
            if (kTerms[t].text[0] == 'a' + c) ix.order[at++] = static_cast<std::uint8_t>(t);
    }
    ix.start[26] = static_cast<std::uint8_t>(at);
    return ix;
}
constexpr TermIndex kIndex = build_index();

// Bare acknowledgements, normalised (apostrophes deleted, non-word characters as spaces).
constexpr std::string_view kTrivial[] = {
    "hi", "hey", "hello", "yo", "thanks", "thank you", "ty", "ok", "okay", "cool", "nice", "great",
    "got it", "sounds good", "yes", "no", "sure", "please", "how are you", "hows it going",
    "how are you doing", "good morning", "good evening",
};
constexpr std::size_t kTrivialMaxLength = 17;  // "how are you doing"

// Reused decode buffers (the core is single-threaded per isolate; thread_local keeps native
// callers on several threads safe).
thread_local std::u32string g_text;
thread_local std::u32string g_match;

bool at(const std::u32string& s, std::size_t i, std::string_view ascii) noexcept {
    if (i + ascii.size() > s.size()) return false;
    for (std::size_t k = 0; k < ascii.size(); ++k)
        if (s[i + k] != static_cast<unsigned char>(ascii[k])) return false;
    return true;
}

bool contains(const std::u32string& s, std::string_view ascii) noexcept {
    if (ascii.size() > s.size()) return false;
    const char32_t first = static_cast<unsigned char>(ascii[0]);
    for (std::size_t i = 0; i + ascii.size() <= s.size(); ++i)
        if (s[i] == first && at(s, i, ascii)) return true;
    return false;
}

// ---- code density ----

struct Density {
    double value = 0;
    std::size_t syntax = 0;
};

// Fenced spans: marks them in `fenced` and returns the code points they cover.
std::size_t mark_fences(const std::u32string& t, std::vector<bool>& fenced) {
    const std::size_t n = t.size();
    std::size_t covered = 0;
    std::size_t i = 0;
    while (i + 3 <= n) {
        const char32_t c = t[i];
        if ((c == '`' || c == '~') && t[i + 1] == c && t[i + 2] == c) {
            std::size_t end = n;
            for (std::size_t j = i + 3; j + 3 <= n; ++j) {
                if (t[j] == c && t[j + 1] == c && t[j + 2] == c) {
                    end = j + 3;
                    break;
                }
            }
            if (fenced.empty()) fenced.assign(n, false);
            for (std::size_t k = i; k < end; ++k) fenced[k] = true;
            covered += end - i;
            i = end;
        } else {
            ++i;
        }
    }
    return covered;
}

std::size_t inline_code(const std::u32string& t, const std::vector<bool>& fenced) {
    const std::size_t n = t.size();
    auto in_fence = [&](std::size_t i) { return !fenced.empty() && fenced[i]; };
    std::size_t counted = 0;
    std::size_t i = 0;
    while (i < n) {
        if (t[i] != '`' || in_fence(i)) {
            ++i;
            continue;
        }
        std::size_t k = i + 1;
        bool newline = false;
        while (k < n && t[k] != '`') {
            if (t[k] == '\n') newline = true;
            ++k;
        }
        if (k < n && !in_fence(k) && k != i + 1 && !newline) {
            counted += k - i + 1;
            i = k + 1;
        } else {
            ++i;
        }
    }
    return counted;
}

bool is_space_or_tab(char32_t c) noexcept { return c == ' ' || c == '\t'; }

// A line [b, e) of the text that, stripped of leading spaces/tabs and trailing spaces/tabs/CR,
// starts with "at " and ends with ":" digits ":" digits, optionally followed by ")".
bool is_stack_frame_line(const std::u32string& t, std::size_t b, std::size_t e) noexcept {
    while (b < e && is_space_or_tab(t[b])) ++b;
    while (e > b && (is_space_or_tab(t[e - 1]) || t[e - 1] == '\r')) --e;
    if (e - b < 3 || t[b] != 'a' || t[b + 1] != 't' || t[b + 2] != ' ') return false;
    if (t[e - 1] == ')') --e;
    auto digits_back = [&](std::size_t& end) {
        const std::size_t before = end;
        while (end > b && detail::is_ascii_digit(t[end - 1])) --end;
        return end < before;
    };
    if (!digits_back(e) || e <= b || t[e - 1] != ':') return false;
    --e;
    if (!digits_back(e) || e <= b || t[e - 1] != ':') return false;
    return e - 1 >= b + 3;
}

bool has_stack_trace(const std::u32string& t) noexcept {
    if (contains(t, "Traceback (most recent call last)") || contains(t, "Exception in thread")) return true;
    const std::size_t n = t.size();
    for (std::size_t i = 1; i < n; ++i) {
        if (t[i] != 'E') continue;
        const char32_t p = t[i - 1];
        if (!(detail::is_ascii_letter(p) || detail::is_ascii_digit(p) || p == '_')) continue;
        if (at(t, i, "Error:") || at(t, i, "Exception:")) return true;
    }
    std::size_t b = 0;
    for (std::size_t i = 0; i <= n; ++i) {
        if (i == n || t[i] == '\n') {
            if (is_stack_frame_line(t, b, i)) return true;
            b = i + 1;
        }
    }
    return false;
}

// ---- line scans: maths, tables, lists ----

struct LineFacts {
    bool math_dollars = false;
    bool table = false;
    int list_lines = 0;
};

bool is_list_line(const std::u32string& t, std::size_t b, std::size_t e) noexcept {
    while (b < e && is_space_or_tab(t[b])) ++b;
    if (b >= e) return false;
    const char32_t c = t[b];
    if (c == '-' || c == '*' || c == '+' || c == 0x2022) return b + 1 < e && t[b + 1] == ' ';
    std::size_t d = b;
    while (d < e && d - b < 4 && detail::is_ascii_digit(t[d])) ++d;
    const std::size_t digits = d - b;
    if (digits < 1 || digits > 3) return false;
    return d + 1 < e && (t[d] == '.' || t[d] == ')') && t[d + 1] == ' ';
}

int pipes(const std::u32string& t, std::size_t b, std::size_t e) noexcept {
    int n = 0;
    for (std::size_t i = b; i < e; ++i) n += t[i] == '|';
    return n;
}

bool is_table_rule(const std::u32string& t, std::size_t b, std::size_t e) noexcept {
    while (b < e && is_space_or_tab(t[b])) ++b;
    while (e > b && is_space_or_tab(t[e - 1])) --e;
    if (b >= e) return false;
    int bars = 0, dashes = 0;
    for (std::size_t i = b; i < e; ++i) {
        const char32_t c = t[i];
        if (c == '|') ++bars;
        else if (c == '-') ++dashes;
        else if (c != ':' && !is_space_or_tab(c)) return false;
    }
    return bars >= 1 && dashes >= 3;
}

bool dollar_pair(const std::u32string& t, std::size_t b, std::size_t e) noexcept {
    std::size_t last = e;  // none yet
    for (std::size_t i = b; i < e; ++i) {
        if (t[i] != '$') continue;
        if (last != e && i - last >= 2) return true;
        last = i;
    }
    return false;
}

LineFacts scan_lines(const std::u32string& t) {
    LineFacts f;
    const std::size_t n = t.size();
    std::size_t b = 0;
    bool previous_has_two_pipes = false;
    for (std::size_t i = 0; i <= n; ++i) {
        if (i < n && t[i] != '\n') continue;
        std::size_t e = i;
        if (e > b && t[e - 1] == '\r') --e;  // one CR at the end of a line is dropped
        if (!f.math_dollars && dollar_pair(t, b, e)) f.math_dollars = true;
        if (!f.table && previous_has_two_pipes && is_table_rule(t, b, e)) f.table = true;
        previous_has_two_pipes = pipes(t, b, e) >= 2;
        if (is_list_line(t, b, e)) ++f.list_lines;
        b = i + 1;
    }
    return f;
}

// ---- the match text and its terms ----

struct TermCounts {
    std::array<double, kListCount> matches{};
    bool then_after_first = false;
    bool finally_after_then = false;
};

TermCounts count_terms(const std::u32string& m) {
    TermCounts c;
    const std::size_t n = m.size();
    bool seen_first = false, seen_then = false;
    bool previous_word = false;
    for (std::size_t p = 0; p < n; ++p) {
        const char32_t ch = m[p];
        const bool word = is_word(ch);
        if (!previous_word && ch >= 'a' && ch <= 'z') {
            const int letter = static_cast<int>(ch - 'a');
            for (int k = kIndex.start[letter]; k < kIndex.start[letter + 1]; ++k) {
                const Term& term = kTerms[kIndex.order[k]];
                const std::size_t end = p + term.text.size();
                if (end > n || !at(m, p, term.text)) continue;
                if (end < n && is_word(m[end])) continue;
                c.matches[term.list] += 1;
                if (term.list == kFirst) seen_first = true;
                if (term.list == kThen) {
                    if (seen_first) c.then_after_first = true;
                    seen_then = true;
                }
                if (term.list == kFinally && seen_then) c.finally_after_then = true;
            }
        }
        previous_word = word;
    }
    return c;
}

double lexicon_strength(double matches) noexcept {
    return std::min(1.0, std::min(matches, kLexiconMatchCap) / kLexiconMatchesForFull);
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

}  // namespace

double estimate_tokens(std::string_view text) noexcept {
    const std::size_t n = detail::cp_length(text);
    return static_cast<double>((n + 3) / 4);
}

Features signals(const SignalInput& in) {
    // Decode once: the text as code points, and the match text (folded, whitespace runs as one
    // space).
    std::u32string& t = g_text;
    std::u32string& m = g_match;
    t.clear();
    m.clear();
    t.reserve(in.text.size());
    m.reserve(in.text.size());
    bool in_space = false;
    std::size_t syntax = 0, questions = 0;
    bool backslash_math = false;
    for (std::size_t i = 0; i < in.text.size();) {
        const detail::CodePoint c = next_cp(in.text, i);
        i += c.len;
        t.push_back(c.cp);
        switch (c.cp) {
            case '{': case '}': case ';': case '[': case ']': ++syntax; break;
            case '?': case 0xFF1F: ++questions; break;
            default: break;
        }
        if (is_space(c.cp)) {
            if (!in_space) m.push_back(' ');
            in_space = true;
        } else {
            m.push_back(fold(c.cp));
            in_space = false;
        }
    }
    const std::size_t n = t.size();
    for (std::size_t i = 0; i + 1 < n && !backslash_math; ++i)
        if (t[i] == '\\' && (t[i + 1] == '(' || t[i + 1] == '[' || at(t, i, "\\begin{"))) backslash_math = true;

    Features f;
    f.tokens = in.tokens ? *in.tokens : static_cast<double>((n + 3) / 4);
    f.has_attachments = in.has_attachments;

    // code density
    if (n > 0) {
        thread_local std::vector<bool> fenced;
        fenced.clear();
        const double all = static_cast<double>(n);
        const std::size_t fenced_cps = mark_fences(t, fenced);
        double density = static_cast<double>(fenced_cps) / all;
        if (t.find(U'`') != std::u32string::npos)
            density = std::max(density, static_cast<double>(inline_code(t, fenced)) / all);
        if (has_stack_trace(t)) density = std::max(density, kStackTraceDensity);
        density = std::max(density, std::min(1.0, kSyntaxCharacterWeight * static_cast<double>(syntax) / all));
        f.code_density = density;
    }

    const LineFacts lines = scan_lines(t);
    f.has_math = backslash_math || lines.math_dollars;

    const TermCounts terms = count_terms(m);
    double structure = 0;
    if (questions >= 2) structure += kStructureQuestions;
    if (lines.table) structure += kStructureTable;
    if (lines.list_lines >= 2 || terms.matches[kStepPhrase] > 0 || terms.then_after_first || terms.finally_after_then)
        structure += kStructureList;
    f.structure = std::min(1.0, structure);

    f.hard = lexicon_strength(terms.matches[kHard]);
    f.easy = lexicon_strength(terms.matches[kEasy]);
    f.creative = lexicon_strength(terms.matches[kCreative]);
    f.analytical = terms.matches[kAnalytical] > 0 || f.code_density > 0 || f.has_math || f.hard > 0;
    f.trivial = is_trivial(in.text);
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

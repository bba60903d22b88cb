#include "reroute/reasoning_signals.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>

using namespace reroute::reasoning;

namespace {

Features of(std::string_view text) {
    SignalInput in;
    in.text = text;
    return signals(in);
}

}  // namespace

TEST_CASE("tokens default to ceil(code points / 4) and an estimate given by the caller wins") {
    CHECK(of("").tokens == 0);
    CHECK(of("abcd").tokens == 1);
    CHECK(of("abcde").tokens == 2);
    CHECK(of("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9").tokens == 2);  // 5 code points, 10 bytes
    CHECK(of("\xF0\x9F\x98\x80").tokens == 1);                          // one code point outside the BMP
    CHECK(of("\xFF\xFE\xFD").tokens == 1);                              // invalid bytes: one U+FFFD each
    SignalInput in;
    in.text = "hello there";
    in.tokens = 900;
    CHECK(signals(in).tokens == 900);
}

TEST_CASE("fenced code counts its markers; an unclosed fence runs to the end of the text") {
    // 57 code points, the fenced span "```js ... ```" is 37 of them.
    CHECK(of("Why does this fail?\n```js\nconst x = [1, 2];\nx.push(3)\n```").code_density ==
          doctest::Approx(0.6491228070175439).epsilon(1e-12));
    CHECK(of("~~~\ncode").code_density == 1);
    CHECK(of("ab```cd").code_density == doctest::Approx(5.0 / 7));
    SUBCASE("a tilde fence is not closed by backticks") { CHECK(of("~~~a```b").code_density == 1); }
}

TEST_CASE("inline code needs a partner backtick on the same line, not adjacent, outside fences") {
    CHECK(of("run `ls` now").code_density == doctest::Approx(4.0 / 12));
    CHECK(of("a `` b").code_density == 0);         // adjacent
    CHECK(of("a `x\ny` b").code_density == 0);     // a line feed between
    CHECK(of("only ` one").code_density == 0);     // no partner
    CHECK(of("`a` and `b`").code_density == doctest::Approx(6.0 / 11));
    SUBCASE("a failed opener lets the partner open the next span") { CHECK(of("a``b`").code_density == doctest::Approx(3.0 / 5)); }
}

TEST_CASE("a stack trace sets code density to at least 0.5") {
    CHECK(of("Traceback (most recent call last) blah").code_density == 0.5);
    CHECK(of("xTraceback (most recent call last)").code_density == 0.5);
    CHECK(of("Exception in thread main").code_density == 0.5);
    CHECK(of("TypeError: oops").code_density == 0.5);
    CHECK(of("my_Exception: oops").code_density == 0.5);
    CHECK(of("Error: at the start is prose").code_density == 0);
    CHECK(of("an error: lowercase").code_density == 0);
    CHECK(of("  at App (/src/App.js:12:7)").code_density == 0.5);
    CHECK(of("\tat foo.bar:3:4 \r").code_density == 0.5);
    CHECK(of("look at line:3:4 please").code_density == 0);
    CHECK(of("at :1:").code_density == 0);
}

TEST_CASE("syntax characters count four times their share, at most 1") {
    CHECK(of("a;bcdefgh").code_density == doctest::Approx(4.0 / 9));
    CHECK(of("{}[]").code_density == 1);
}

TEST_CASE("maths: a backslash bracket or begin, or two dollars on a line with text between") {
    CHECK(of("solve \\(x\\)").has_math);
    CHECK(of("\\[ y \\]").has_math);
    CHECK(of("\\begin{align}").has_math);
    CHECK(of("cost $5 and $6").has_math);
    CHECK_FALSE(of("$$").has_math);
    CHECK_FALSE(of("$5\n$6").has_math);
    CHECK(of("$$x$").has_math);  // the second and third dollars hold x between them
}

TEST_CASE("structure: two questions 0.4, a table 0.4, a list or steps 0.5, capped at 1") {
    CHECK(of("Why? How?").structure == doctest::Approx(0.4));
    CHECK(of("Why\xEF\xBC\x9F How\xEF\xBC\x9F").structure == doctest::Approx(0.4));  // U+FF1F
    CHECK(of("| a | b |\n|---|---|").structure == doctest::Approx(0.4));
    CHECK(of("| a | b |\n| -- |").structure == 0);    // only two dashes
    CHECK(of("a | b\n|---|").structure == 0);          // one pipe on the first line
    CHECK(of("- one\n- two").structure == doctest::Approx(0.5));
    CHECK(of("| a | b |\n|---|---|\n1. x\n2) y\nWhy? How?").structure == 1);
}

TEST_CASE("list lines: a marker and a space after leading spaces or tabs") {
    CHECK(of("  * a\n\t+ b").structure == doctest::Approx(0.5));
    CHECK(of("\xE2\x80\xA2 a\n\xE2\x80\xA2 b").structure == doctest::Approx(0.5));  // bullets
    CHECK(of("1. a\n123) b").structure == doctest::Approx(0.5));
    CHECK(of("1234. a\n1. b").structure == 0);  // four digits is not a list marker
    CHECK(of("-a\n-b").structure == 0);         // no space after the marker
}

TEST_CASE("step phrases: step by step, step-by-step, walk me through, first..then, then..finally") {
    CHECK(of("Explain it Step  By\nstep").structure == doctest::Approx(0.5));  // whitespace runs collapse
    CHECK(of("a step-by-step guide").structure == doctest::Approx(0.5));
    CHECK(of("walk me through it").structure == doctest::Approx(0.5));
    CHECK(of("first do this, then that").structure == doctest::Approx(0.5));
    CHECK(of("then do it, finally stop").structure == doctest::Approx(0.5));
    CHECK(of("then first").structure == 0);
    CHECK(of("stepbystep").structure == 0);
    CHECK(of("step by steps").structure == 0);
}

TEST_CASE("lexicon terms count whole words of the folded text; two matches make strength 1") {
    CHECK(of("Please DEBUG this").hard == 0.5);
    CHECK(of("debug and refactor").hard == 1);
    CHECK(of("debugging").hard == 0);         // not a whole word
    CHECK(of("debug_mode").hard == 0.5);      // _ is not a word character
    CHECK(of("d\xC3\xA9" "bug").hard == 0);   // an accented letter is a word character
    CHECK(of("rewrite it").easy == 0.5);
    CHECK(of("rewrite it").creative == 0);    // "write" inside "rewrite" does not count
    CHECK(of("write a poem, a song and a story").creative == 1);
}

TEST_CASE("analytical: an analytical term, code, maths or a hard term") {
    CHECK(of("count the apples").analytical);
    CHECK(of("see `x`").analytical);
    CHECK(of("$a+b$").analytical);
    CHECK(of("design it").analytical);
    CHECK_FALSE(of("tell me a joke").analytical);
}

TEST_CASE("a bare acknowledgement is trivial after normalisation") {
    CHECK(of("hi").trivial);
    CHECK(of("  Thanks!!! ").trivial);
    CHECK(of("How\xE2\x80\x99s it going?").trivial);  // right single quotation mark deleted
    CHECK(of("got-it").trivial);
    CHECK(of("GOOD MORNING").trivial);
    CHECK_FALSE(of("hi there").trivial);
    CHECK_FALSE(of("thanks for the help with my long question about databases").trivial);
    CHECK_FALSE(of("").trivial);
}

TEST_CASE("retrieval and agentic come from the request context") {
    SignalInput in;
    in.text = "go";
    in.has_attachments = true;
    in.has_web = true;
    in.tool_count = 20;
    in.max_steps = 10;
    in.agent_type = "researcher";
    const Features f = signals(in);
    CHECK(f.retrieval == 1);
    CHECK(f.agentic == 1);
    CHECK(f.has_attachments);
    in.tool_count = 2;
    in.max_steps = 9;
    in.agent_type = "subagent";
    in.has_web = false;
    CHECK(signals(in).agentic == doctest::Approx(0.25));
    CHECK(signals(in).retrieval == doctest::Approx(0.5));
}

TEST_CASE("follow-up: zero with code, hard terms or maths; else history times shortness") {
    SignalInput in;
    in.text = "and the other one?";
    in.history_message_count = 6;
    CHECK(signals(in).follow_up == doctest::Approx((4.0 / 6) * (1 - 5.0 / 40)));
    in.history_message_count = 2;
    CHECK(signals(in).follow_up == 0);
    in.history_message_count = 20;
    in.text = "and debug the other one?";
    CHECK(signals(in).follow_up == 0);
}

TEST_CASE("signals never fail on arbitrary bytes") {
    std::mt19937 rng(7);
    const std::string alphabet = "ab `~$|\\{}[];:?\n\r\t-*+1.)(Error:Traceback at \xC3\xA9\xE2\x80\xA2\xFF\x80";
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        const int len = static_cast<int>(rng() % 120);
        for (int i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
        const Features f = of(text);
        CHECK(f.code_density >= 0);
        CHECK(f.code_density <= 1);
        CHECK(f.structure <= 1);
    }
}

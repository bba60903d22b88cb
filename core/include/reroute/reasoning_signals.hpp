// Message signals (reasoning.md 5.2): what the governor's prior reads from the current user
// message and the request context. Pure, linear in the text, never fails: any byte string is a
// message (an invalid byte counts as one U+FFFD).
//
//   reroute::reasoning::SignalInput in;
//   in.text = "Can you prove that there are infinitely many primes?";
//   auto f = reroute::reasoning::signals(in);
//   // f.tokens 13, f.hard 0.5 (one "prove"), f.analytical true, everything else 0/false
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace reroute::reasoning {

// The request context (5.2). The edge fills it from the request body and the route.
struct SignalInput {
    std::string_view text;               // the last user message (4.1)
    std::optional<double> tokens;        // an estimate; default ceil(characters / 4)
    bool has_attachments = false;        // the last user message has a non-text part
    bool has_rag = false;                // always false in the gateway
    bool has_web = false;                // the request has web_search_options
    double tool_count = 0;               // length of `tools`
    double max_steps = 0;                // the route's
    std::string_view agent_type = "chat";  // the route's
    double history_message_count = 0;    // user/assistant messages before the last user message
};

// The features (names as in the `signals` op). Numbers in [0, 1] except tokens.
struct Features {
    double tokens = 0;
    double code_density = 0;
    bool has_math = false;
    double structure = 0;
    double hard = 0;
    double easy = 0;
    double creative = 0;
    bool analytical = false;
    bool trivial = false;
    double retrieval = 0;
    double agentic = 0;
    double follow_up = 0;
    bool has_attachments = false;
};

// Constants of 5.2 and section 6.
inline constexpr double kLexiconMatchesForFull = 2;   // 2 matches = strength 1
inline constexpr double kLexiconMatchCap = 100;
inline constexpr double kStackTraceDensity = 0.5;
inline constexpr double kSyntaxCharacterWeight = 4;
inline constexpr double kStructureQuestions = 0.4;
inline constexpr double kStructureTable = 0.4;
inline constexpr double kStructureList = 0.5;
inline constexpr double kAgenticMaxTools = 8;
inline constexpr double kAgenticManySteps = 10;       // max_steps >= 10 adds 0.4
inline constexpr double kAgenticStepsWeight = 0.4;
inline constexpr double kAgenticOtherTypeWeight = 0.3;
inline constexpr double kFollowUpShortTokens = 40;

Features signals(const SignalInput& in);

// ceil(code points / 4): the default token estimate.
double estimate_tokens(std::string_view text) noexcept;

}  // namespace reroute::reasoning

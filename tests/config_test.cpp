#include "reroute/config.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace reroute;

namespace {

// Every env name is set except those starting with UNSET_ (the fixtures rely on it).
EnvView test_env() {
    return EnvView(std::function<bool(std::string_view)>(
        [](std::string_view name) { return name.substr(0, 6) != "UNSET_"; }));
}

ConfigResult load(const std::string& text) { return load_config(text, test_env()); }

const Problem* find(const ConfigResult& r, std::string_view code, std::string_view path = {}) {
    for (const Problem& p : r.problems)
        if (p.code == code && (path.empty() || p.path == path)) return &p;
    return nullptr;
}

std::string all(const ConfigResult& r) {
    std::string s;
    for (const Problem& p : r.problems) s += describe(p) + "\n";
    return s;
}

// The smallest valid document, with places to splice things in.
const std::string kProvider =
    R"({"id":"openai","base_url":"https://api.openai.com/v1","credentials":[{"id":"main","env":"OPENAI_API_KEY"}]})";
const std::string kModel =
    R"({"provider":"openai","id":"gpt-4o","context_window":128000,"max_output_tokens":16384,"capabilities":{"tools":true,"vision":true}})";

std::string doc(const std::string& routes, const std::string& extra_models = "",
                const std::string& extra_providers = "", const std::string& top = "") {
    return R"({"providers":[)" + kProvider + extra_providers + R"(],"models":[)" + kModel + extra_models +
           R"(],"routes":)" + routes + top + "}";
}
const std::string kChat = R"([{"name":"chat","targets":[{"provider":"openai","model":"gpt-4o"}]}])";

// A second provider and model, for fallbacks.
const std::string kAnthropicProvider =
    R"(,{"id":"anthropic","api_format":"anthropic","base_url":"https://api.anthropic.com/v1","credentials":[{"env":"ANTHROPIC_API_KEY"}]})";
std::string anthropic_model(const std::string& id, int window, const std::string& caps) {
    return R"(,{"provider":"anthropic","id":")" + id + R"(","context_window":)" + std::to_string(window) +
           R"(,"max_output_tokens":4096,"capabilities":)" + caps + "}";
}

std::filesystem::path fixture_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "fixtures" / "config";
}
std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
std::vector<std::filesystem::path> fixtures(std::string_view prefix) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(fixture_dir())) {
        std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) == 0 && e.path().extension() == ".json") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Every stable code (config.hpp). A fixture named bad_<code>_<what>.json carries one of them.
const std::vector<std::string> kCodes = {
    "config.syntax", "config.type", "config.required", "config.unknown_member", "config.range",
    "config.format", "config.reference", "config.duplicate", "config.conflict", "config.reserved",
    "config.too_large", "host.invalid_url", "host.blocked", "host.private", "host.plain_http",
    "lint.cycle", "lint.unreachable", "lint.context_window", "lint.capability",
    "lint.duplicate_credential", "lint.env_unset", "lint.exceeds_ceiling", "lint.admin_secret_shared", "lint.reasoning"};

std::string code_in_name(const std::string& name, std::string_view prefix) {
    std::string best;
    for (const std::string& code : kCodes) {
        std::string head = std::string(prefix) + code;
        bool match = name.rfind(head + "_", 0) == 0 || name == head + ".json";
        if (match && code.size() > best.size()) best = code;
    }
    return best;
}
// "... expect /a/b" at the end of the fixture's $comment; "" names the root.
std::string path_in_comment(const std::string& text) {
    auto at = text.find("expect ");
    if (at == std::string::npos) return "<none>";
    auto end = text.find('"', at);
    return text.substr(at + 7, end - at - 7);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Fixtures shared with other runners: the outcome is in the file name.

TEST_CASE("every ok fixture loads without errors") {
    auto files = fixtures("ok_");
    CHECK(files.size() >= 4);
    for (const auto& f : files) {
        CAPTURE(f.filename().string());
        ConfigResult r = load(read_file(f));
        INFO(all(r));
        CHECK(r.ok());
        CHECK(r.error_count() == 0);
    }
}

TEST_CASE("every bad fixture fails with the code in its name, at the path in its comment") {
    auto files = fixtures("bad_");
    CHECK(files.size() >= 20);
    for (const auto& f : files) {
        std::string name = f.filename().string();
        CAPTURE(name);
        std::string code = code_in_name(name, "bad_");
        REQUIRE_MESSAGE(!code.empty(), "the name does not start with a known code");
        std::string text = read_file(f);
        std::string path = path_in_comment(text);
        ConfigResult r = load(text);
        INFO(all(r));
        CHECK_FALSE(r.ok());
        const Problem* p = nullptr;
        for (const Problem& q : r.problems)
            if (q.code == code && q.path == path && q.severity == Severity::error) p = &q;
        CHECK_MESSAGE(p != nullptr, "expected " << code << " at \"" << path << "\"");
    }
}

TEST_CASE("every warn fixture loads and reports its warning at the path in its comment") {
    auto files = fixtures("warn_");
    CHECK(files.size() >= 3);
    for (const auto& f : files) {
        std::string name = f.filename().string();
        CAPTURE(name);
        std::string code = code_in_name(name, "warn_");
        REQUIRE(!code.empty());
        std::string text = read_file(f);
        ConfigResult r = load(text);
        INFO(all(r));
        CHECK(r.ok());
        const Problem* p = find(r, code, path_in_comment(text));
        REQUIRE(p != nullptr);
        CHECK(p->severity == Severity::warning);
    }
}

// ---------------------------------------------------------------------------------------------
// Validation: every mistake, with its path, what was found and what was expected

TEST_CASE("a typo in a member name is reported with its path") {
    ConfigResult r = load(doc(R"([{"name":"chat","retyr":{"max_attempts":2},"targets":[{"provider":"openai","model":"gpt-4o"}]}])"));
    CHECK_FALSE(r.ok());
    const Problem* p = find(r, "config.unknown_member", "/routes/0/retyr");
    REQUIRE(p);
    CHECK(p->found == "\"retyr\"");
    CHECK(p->expected == "did you mean \"retry\"?");
    SUBCASE("a member far from every known one lists them") {
        ConfigResult s = load(doc(kChat, "", "", R"(,"zzzzzzzz":1)"));
        const Problem* q = find(s, "config.unknown_member", "/zzzzzzzz");
        REQUIRE(q);
        CHECK(q->expected.find("providers") != std::string::npos);
    }
}

TEST_CASE("every mistake is reported at once") {
    std::string text = R"({
      "providers":[{"id":"Bad Id","base_url":"https://api.openai.com/v1","credentials":[{"env":"A-B"}]}],
      "models":[{"provider":"openai","id":"gpt-4o","context_window":"big","max_output_tokens":0}],
      "routes":[{"name":"chat","retry":{"max_attempts":12},"targets":[{"provider":"openai"}]}],
      "extra": true
    })";
    ConfigResult r = load(text);
    CHECK_FALSE(r.ok());
    CHECK(find(r, "config.format", "/providers/0/id"));
    CHECK(find(r, "config.format", "/providers/0/credentials/0/env"));
    CHECK(find(r, "config.type", "/models/0/context_window"));
    CHECK(find(r, "config.range", "/models/0/max_output_tokens"));
    CHECK(find(r, "config.range", "/routes/0/retry/max_attempts"));
    CHECK(find(r, "config.required", "/routes/0/targets/0/model"));
    CHECK(find(r, "config.unknown_member", "/extra"));
    CHECK(r.error_count() >= 7);
}

TEST_CASE("a JSON syntax error reports its byte offset, line and column") {
    ConfigResult r = load("{\n  \"providers\": [,]\n}");
    REQUIRE(r.problems.size() == 1);
    const Problem& p = r.problems[0];
    CHECK(p.code == "config.syntax");
    CHECK(p.path == "");
    REQUIRE(p.position);
    CHECK(p.position->offset == 18);
    CHECK(p.position->line == 2);
    CHECK(p.position->column == 17);
    CHECK(p.found.find("line 2, column 17") != std::string::npos);
    SUBCASE("text after the document is a syntax error too") {
        ConfigResult s = load(doc(kChat) + " {}");
        REQUIRE(s.problems.size() == 1);
        CHECK(s.problems[0].code == "config.syntax");
    }
    SUBCASE("an empty text") {
        ConfigResult s = load("");
        REQUIRE(s.problems.size() == 1);
        CHECK(s.problems[0].code == "config.syntax");
    }
}

TEST_CASE("a value of the wrong type names what was found and what was expected") {
    ConfigResult r = load(doc(R"({"chat":{}})"));
    const Problem* p = find(r, "config.type", "/routes");
    REQUIRE(p);
    CHECK(p->found == "object");
    CHECK(p->expected == "array");
    ConfigResult s = load(doc(kChat, "", "", R"(,"allow_private_hosts":"yes")"));
    const Problem* q = find(s, "config.type", "/allow_private_hosts");
    REQUIRE(q);
    CHECK(q->found == "\"yes\"");
    CHECK(q->expected == "boolean");
}

TEST_CASE("integers may be written with a zero fraction, other fractions are type errors") {
    CHECK(load(doc(kChat, "", "", R"(,"defaults":{"retry":{"max_attempts":3.0}})")).ok());
    ConfigResult r = load(doc(kChat, "", "", R"(,"defaults":{"retry":{"max_attempts":3.5}})"));
    CHECK(find(r, "config.type", "/defaults/retry/max_attempts"));
    ConfigResult s = load(doc(kChat, "", "", R"(,"defaults":{"retry":{"max_attempts":18446744073709551615}})"));
    CHECK(find(s, "config.range", "/defaults/retry/max_attempts"));
}

TEST_CASE("range errors state the allowed range, at the boundaries") {
    CHECK(load(doc(kChat, "", "", R"(,"defaults":{"retry":{"max_attempts":8}})")).ok());
    ConfigResult r = load(doc(kChat, "", "", R"(,"defaults":{"retry":{"max_attempts":9}})"));
    const Problem* p = find(r, "config.range", "/defaults/retry/max_attempts");
    REQUIRE(p);
    CHECK(p->found == "9");
    CHECK(p->expected == "integer 1..8");
    CHECK(find(load(doc(kChat, "", "", R"(,"defaults":{"retry":{"max_attempts":0}})")), "config.range"));
    CHECK(load(doc(kChat, "", "", R"(,"defaults":{"timeout":{"deadline_ms":300000}})")).ok());
    CHECK(find(load(doc(kChat, "", "", R"(,"defaults":{"timeout":{"deadline_ms":300001}})")), "config.range",
               "/defaults/timeout/deadline_ms"));
}

TEST_CASE("max_output_tokens above the context window is a range error") {
    std::string model = R"(,{"provider":"openai","id":"tiny","context_window":1000,"max_output_tokens":1001})";
    CHECK(find(load(doc(kChat, model)), "config.range", "/models/1/max_output_tokens"));
}

TEST_CASE("cross-field rules are checked where a level sets one of the members") {
    SUBCASE("backoff cap below base") {
        ConfigResult r = load(doc(R"([{"name":"chat","retry":{"backoff_base_ms":100,"backoff_cap_ms":50},"targets":[{"provider":"openai","model":"gpt-4o"}]}])"));
        const Problem* p = find(r, "config.range", "/routes/0/retry/backoff_cap_ms");
        REQUIRE(p);
        CHECK(p->expected == "backoff_cap_ms >= backoff_base_ms");
    }
    SUBCASE("ejection max below base, against the inherited base") {
        ConfigResult r = load(doc(R"([{"name":"chat","targets":[{"provider":"openai","model":"gpt-4o","breaker":{"ejection_max_ms":1000}}]}])"));
        CHECK(find(r, "config.range", "/routes/0/targets/0/breaker/ejection_max_ms"));
    }
    SUBCASE("min attempt time above the deadline") {
        ConfigResult r = load(doc(kChat, "", "", R"(,"defaults":{"timeout":{"deadline_ms":3000}})"));
        CHECK(find(r, "config.range", "/defaults/timeout/deadline_ms"));
    }
}

TEST_CASE("a member given twice is a duplicate, not a silent overwrite") {
    ConfigResult r = load(R"({"providers":[],"models":[],"routes":[],"routes":[]})");
    CHECK(find(r, "config.duplicate", "/routes"));
    SUBCASE("keys are compared after unescaping") {
        ConfigResult s = load(R"({"providers":[],"models":[],"routes":[],"rout\u0065s":[]})");
        CHECK(find(s, "config.duplicate", "/routes"));
    }
    SUBCASE("nested, with the path of the repeated member") {
        ConfigResult s = load(doc(R"([{"name":"a","targets":[{"provider":"openai","model":"gpt-4o","weight":1,"weight":2}]}])"));
        CHECK(find(s, "config.duplicate", "/routes/0/targets/0/weight"));
    }
    SUBCASE("equal keys in different objects are fine") {
        CHECK(load(doc(R"([{"name":"a","targets":[{"provider":"openai","model":"gpt-4o"}]},{"name":"b","targets":[{"provider":"openai","model":"gpt-4o"}]}])")).ok());
    }
}

TEST_CASE("JSON Pointer paths escape ~ and /") {
    ConfigResult r = load(doc(kChat, "", "", R"(,"a/b~c":1)"));
    CHECK(find(r, "config.unknown_member", "/a~1b~0c"));
}

TEST_CASE("deep nesting and oversized documents are refused without being walked") {
    std::string deep = R"({"providers":)" + std::string(100, '[') + std::string(100, ']') + "}";
    ConfigResult r = load(deep);
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].code == "config.too_large");
    std::string big(kMaxConfigBytes + 1, ' ');
    ConfigResult s = load(big);
    REQUIRE(s.problems.size() == 1);
    CHECK(s.problems[0].code == "config.too_large");
}

TEST_CASE("problems stop at kMaxProblems") {
    std::string models;
    for (int i = 0; i < 1500; ++i) models += R"(,{"provider":"openai","id":"m)" + std::to_string(i) + R"(","context_window":0,"max_output_tokens":1})";
    ConfigResult r = load(doc(kChat, models));
    CHECK(r.problems.size() <= kMaxProblems);
    CHECK_FALSE(r.ok());
}

TEST_CASE("describe renders one line per problem") {
    ConfigResult r = load(doc(kChat, "", "", R"(,"defaults":{"retry":{"max_attempts":9}})"));
    REQUIRE(r.problems.size() == 1);
    CHECK(describe(r.problems[0]) ==
          "error config.range at /defaults/retry/max_attempts: found 9, expected integer 1..8");
}

// ---------------------------------------------------------------------------------------------
// Data model and resolution

TEST_CASE("built-in defaults are the numbers of the spec") {
    Policies p;
    CHECK(p.retry.max_attempts == 4);
    CHECK(p.retry.retries_provider_error == 1);
    CHECK(p.retry.retries_rate_limited == 2);
    CHECK(p.retry.retries_provider_unreachable == 1);
    CHECK(p.retry.backoff_base_ms == 250);
    CHECK(p.retry.backoff_cap_ms == 4000);
    CHECK(p.retry.retry_hint_cap_ms == 60000);
    CHECK(p.retry.budget_min == 3);
    CHECK(p.retry.budget_percent == 20);
    CHECK(p.timeout.connect_timeout_ms == 5000);
    CHECK(p.timeout.first_token_timeout_ms == 10000);
    CHECK(p.timeout.idle_timeout_ms == 10000);
    CHECK(p.timeout.deadline_ms == 120000);
    CHECK(p.timeout.min_attempt_ms == 5000);
    CHECK(p.breaker.consecutive_failures == 3);
    CHECK(p.breaker.consecutive_failures_with_alternative == 1);
    CHECK(p.breaker.failure_rate_percent == 50);
    CHECK(p.breaker.min_request_volume == 10);
    CHECK(p.breaker.failure_window_ms == 30000);
    CHECK(p.breaker.ejection_base_ms == 15000);
    CHECK(p.breaker.ejection_max_ms == 300000);
    CHECK(p.breaker.jitter_percent == 10);
    CHECK(p.breaker.max_ejection_percent == 50);
    CHECK_FALSE(p.classes.route_around_content_filter);
    CHECK(p.classes.prefer == Prefer::same_model_first);
    CHECK(p.classes.continuation_budget == 1);
    ServerLimits s;
    CHECK(s.max_attempts == 8);
    CHECK(s.deadline_ms == 300000);
}

TEST_CASE("a provider with a single base_url gets one endpoint named default") {
    ConfigResult r = load(doc(kChat));
    REQUIRE(r.ok());
    const Provider& p = r.config->providers[0];
    REQUIRE(p.endpoints.size() == 1);
    CHECK(p.endpoints[0].id == "default");
    CHECK(p.endpoints[0].base_url == "https://api.openai.com/v1");
    CHECK(p.api_format == ApiFormat::openai);
    CHECK(p.credentials[0].env == "OPENAI_API_KEY");
}

TEST_CASE("a credential without id is named after its env variable") {
    ConfigResult r = load(doc(kChat, anthropic_model("claude", 200000, "{}"), kAnthropicProvider));
    REQUIRE(r.ok());
    CHECK(r.config->providers[1].credentials[0].id == "ANTHROPIC_API_KEY");
}

TEST_CASE("a leaf without credential or endpoint expands to every credential x endpoint, credentials outer") {
    std::string provider =
        R"(,{"id":"or","endpoints":[{"id":"a","base_url":"https://a.example.com/v1"},{"id":"b","base_url":"https://b.example.com/v1"}],"credentials":[{"id":"k1","env":"K1"},{"id":"k2","env":"K2"}]})";
    std::string model = R"(,{"provider":"or","id":"m","context_window":1000,"max_output_tokens":100})";
    ConfigResult r = load(doc(R"([{"name":"r","targets":[{"provider":"or","model":"m"},{"provider":"or","model":"m","credential":"k2","endpoint":"b"}]}])",
                              model, provider));
    REQUIRE(r.ok());
    const ResolvedRoute* route = r.config->find_route("r");
    REQUIRE(route);
    REQUIRE(route->targets.size() == 5);
    auto key = [](const ResolvedTarget& t) { return *t.credential_id + "@" + t.endpoint_id; };
    CHECK(key(route->targets[0]) == "k1@a");
    CHECK(key(route->targets[1]) == "k1@b");
    CHECK(key(route->targets[2]) == "k2@a");
    CHECK(key(route->targets[3]) == "k2@b");
    CHECK(key(route->targets[4]) == "k2@b");
    for (int i = 0; i < 4; ++i) CHECK(route->targets[i].leaf == 0);
    CHECK(route->targets[4].leaf == 1);
    CHECK(route->targets[2].credential_env == "K2");
    CHECK(route->targets[1].base_url == "https://b.example.com/v1");
    SUBCASE("the expansion is a fallback group marked as such; the exact leaf is a direct child") {
        const ResolvedGroup& root = route->groups[0];
        REQUIRE(root.children.size() == 2);
        CHECK(root.children[0].is_group);
        const ResolvedGroup& expansion = route->groups[root.children[0].index];
        CHECK(expansion.expansion);
        CHECK(expansion.strategy == Strategy::fallback);
        CHECK(expansion.first_target == 0);
        CHECK(expansion.end_target == 4);
        CHECK(expansion.children.size() == 4);
        CHECK_FALSE(root.children[1].is_group);
        CHECK(root.children[1].index == 4);
    }
}

TEST_CASE("a keyless provider yields targets without a credential") {
    ConfigResult r = load(R"({"allow_private_hosts":true,
      "providers":[{"id":"local","base_url":"http://127.0.0.1:8787/v1"}],
      "models":[{"provider":"local","id":"m","context_window":100,"max_output_tokens":10}],
      "routes":[{"name":"dev","targets":[{"provider":"local","model":"m"}]}]})");
    REQUIRE(r.ok());
    const ResolvedTarget& t = r.config->resolved[0].targets[0];
    CHECK_FALSE(t.credential_id);
    CHECK_FALSE(t.credential_env);
    CHECK(t.base_url == "http://127.0.0.1:8787/v1");
}

TEST_CASE("the upstream model id is the native id when one is given") {
    std::string model = R"(,{"provider":"openai","id":"fast","native_id":"gpt-4o-mini-2024-07-18","context_window":128000,"max_output_tokens":100,"capabilities":{"tools":true,"vision":true}})";
    ConfigResult r = load(doc(R"([{"name":"r","targets":[{"provider":"openai","model":"fast"},{"provider":"openai","model":"gpt-4o"}]}])", model));
    REQUIRE(r.ok());
    CHECK(r.config->resolved[0].targets[0].model == "fast");
    CHECK(r.config->resolved[0].targets[0].upstream_model == "gpt-4o-mini-2024-07-18");
    CHECK(r.config->resolved[0].targets[1].upstream_model == "gpt-4o");
}

TEST_CASE("policies are inherited from defaults, route, group and leaf; the nearest level wins") {
    ConfigResult r = load(doc(R"([{"name":"chat","timeout":{"idle_timeout_ms":7000},"retry":{"max_attempts":3},
        "targets":[{"strategy":"fallback","retry":{"max_attempts":2},"targets":[
            {"provider":"openai","model":"gpt-4o","timeout":{"connect_timeout_ms":1000}}]},
          {"provider":"openai","model":"gpt-4o","credential":"main"}]}])",
                              "", "", R"(,"defaults":{"timeout":{"connect_timeout_ms":2000,"idle_timeout_ms":9000},"breaker":{"jitter_percent":0}})"));
    REQUIRE(r.ok());
    const ResolvedRoute& route = r.config->resolved[0];
    REQUIRE(route.targets.size() == 2);
    const Policies& inner = route.targets[0].policies;
    CHECK(inner.timeout.connect_timeout_ms == 1000);  // leaf
    CHECK(inner.timeout.idle_timeout_ms == 7000);     // route over defaults
    CHECK(inner.retry.max_attempts == 2);             // group over route
    CHECK(inner.breaker.jitter_percent == 0);         // defaults
    CHECK(inner.timeout.first_token_timeout_ms == kDefaultFirstTokenTimeoutMs);  // built in
    const Policies& outer = route.targets[1].policies;
    CHECK(outer.timeout.connect_timeout_ms == 2000);
    CHECK(outer.retry.max_attempts == 3);
    CHECK(route.groups[0].policies.retry.max_attempts == 3);
    CHECK(route.groups[1].policies.retry.max_attempts == 2);
}

TEST_CASE("resolve_policies replaces exactly the members that are set") {
    PolicyOverrides o;
    o.retry.backoff_cap_ms = 1000;
    o.classes.prefer = Prefer::next_target;
    Policies p = resolve_policies(Policies{}, o);
    CHECK(p.retry.backoff_cap_ms == 1000);
    CHECK(p.retry.backoff_base_ms == kDefaultBackoffBaseMs);
    CHECK(p.classes.prefer == Prefer::next_target);
    CHECK(p.classes.continuation_budget == kDefaultContinuationBudget);
}

TEST_CASE("effective policies are clamped to the server ceilings") {
    ConfigResult r = load(doc(kChat, "", "", R"(,"server":{"max_attempts":2,"deadline_ms":60000,"continuation_budget":0})"));
    REQUIRE(r.ok());
    const Policies& p = r.config->resolved[0].targets[0].policies;
    CHECK(p.retry.max_attempts == 2);
    CHECK(p.timeout.deadline_ms == 60000);
    CHECK(p.classes.continuation_budget == 0);
    CHECK(r.config->server.max_attempts == 2);
    SUBCASE("a level that asks for more than the ceiling explicitly is a lint error") {
        ConfigResult s = load(doc(kChat, "", "", R"(,"server":{"deadline_ms":60000},"defaults":{"timeout":{"deadline_ms":90000}})"));
        CHECK(find(s, "lint.exceeds_ceiling", "/defaults/timeout/deadline_ms"));
    }
}

TEST_CASE("a route referenced from another route is inlined with its own policies") {
    std::string routes = R"([{"name":"chat","targets":[{"provider":"openai","model":"gpt-4o","credential":"main"},
        {"route":"claude","retry":{"max_attempts":2}}]},
      {"name":"claude","timeout":{"first_token_timeout_ms":30000},"retry":{"max_attempts":5},
        "targets":[{"provider":"anthropic","model":"claude"}]}])";
    ConfigResult r = load(doc(routes, anthropic_model("claude", 200000, R"({"tools":true,"vision":true})"), kAnthropicProvider));
    REQUIRE(r.ok());
    const ResolvedRoute* chat = r.config->find_route("chat");
    REQUIRE(chat);
    REQUIRE(chat->targets.size() == 2);
    const ResolvedTarget& t = chat->targets[1];
    CHECK(t.provider == "anthropic");
    CHECK(t.policies.timeout.first_token_timeout_ms == 30000);  // the referenced route's own
    CHECK(t.policies.retry.max_attempts == 2);                  // the reference node wins
    CHECK(chat->groups[1].path == "/routes/1");
    CHECK(r.config->find_route("claude")->targets[0].policies.retry.max_attempts == 5);
}

TEST_CASE("targets keep stable indices, a deterministic order and contiguous group ranges") {
    std::string text = read_file(fixture_dir() / "ok_nested.json");
    ConfigResult a = load(text), b = load(text);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(a.config->resolved.size() == b.config->resolved.size());
    for (std::size_t i = 0; i < a.config->resolved.size(); ++i) {
        const ResolvedRoute& ra = a.config->resolved[i];
        const ResolvedRoute& rb = b.config->resolved[i];
        REQUIRE(ra.targets.size() == rb.targets.size());
        for (std::size_t t = 0; t < ra.targets.size(); ++t) {
            CHECK(ra.targets[t].index == t);
            CHECK(ra.targets[t].leaf_path == rb.targets[t].leaf_path);
            CHECK(ra.targets[t].credential_id == rb.targets[t].credential_id);
        }
        for (const ResolvedGroup& g : ra.groups) {
            CHECK(g.first_target <= g.end_target);
            for (const ResolvedChild& c : g.children) {
                std::size_t first = c.is_group ? ra.groups[c.index].first_target : c.index;
                std::size_t end = c.is_group ? ra.groups[c.index].end_target : c.index + 1;
                CHECK(first >= g.first_target);
                CHECK(end <= g.end_target);
            }
        }
        CHECK(ra.groups[0].first_target == 0);
        CHECK(ra.groups[0].end_target == ra.targets.size());
    }
}

TEST_CASE("a document built for the planner: the full example") {
    ConfigResult r = load(read_file(fixture_dir() / "ok_full.json"));
    REQUIRE(r.ok());
    const Config& c = *r.config;
    CHECK(c.providers.size() == 3);
    CHECK(c.models.size() == 4);
    CHECK(c.find_model("openrouter", "meta-llama/llama-3.3-70b-instruct:free"));
    CHECK_FALSE(c.find_model("openai", "meta-llama/llama-3.3-70b-instruct:free"));
    const ResolvedRoute* chat = c.find_route("chat");
    REQUIRE(chat);
    REQUIRE(chat->targets.size() == 4);  // 2 keys of gpt-4o, openrouter primary, claude
    CHECK(chat->targets[0].credential_id == "main");
    CHECK(chat->targets[1].credential_id == "backup");
    CHECK(chat->targets[2].endpoint_id == "primary");
    CHECK(chat->targets[3].api_format == ApiFormat::anthropic);
    CHECK(chat->targets[3].policies.timeout.first_token_timeout_ms == 20000);
    const ResolvedRoute* spread = c.find_route("spread");
    REQUIRE(spread);
    CHECK(spread->groups[0].strategy == Strategy::loadbalance);
    CHECK(spread->groups[0].balance == LoadBalance::sticky);
    CHECK(spread->groups[0].children[0].weight == 3);
    CHECK(spread->targets.back().drained);
    CHECK_FALSE(spread->targets[0].drained);
    CHECK(c.admin.secret_env == "REROUTE_ADMIN_SECRET");
    CHECK(c.server.continuation == Continuation::restart);
    CHECK_FALSE(c.find_route("nope"));
}

// ---------------------------------------------------------------------------------------------
// References and names

TEST_CASE("a target naming an unknown provider, model, credential or endpoint is a reference error") {
    ConfigResult r = load(doc(R"([{"name":"chat","targets":[
        {"provider":"nobody","model":"gpt-4o"},
        {"provider":"openai","model":"gpt-5"},
        {"provider":"openai","model":"gpt-4o","credential":"spare"},
        {"provider":"openai","model":"gpt-4o","endpoint":"eu"}]}])"));
    CHECK(find(r, "config.reference", "/routes/0/targets/0/provider"));
    CHECK(find(r, "config.reference", "/routes/0/targets/1/model"));
    CHECK(find(r, "config.reference", "/routes/0/targets/2/credential"));
    CHECK(find(r, "config.reference", "/routes/0/targets/3/endpoint"));
}

TEST_CASE("models are looked up per provider") {
    std::string routes = R"([{"name":"chat","targets":[{"provider":"anthropic","model":"gpt-4o"}]}])";
    ConfigResult r = load(doc(routes, anthropic_model("claude", 1000, "{}"), kAnthropicProvider));
    CHECK(find(r, "config.reference", "/routes/0/targets/0/model"));
    ConfigResult s = load(doc(kChat, R"(,{"provider":"ghost","id":"x","context_window":1,"max_output_tokens":1})"));
    CHECK(find(s, "config.reference", "/models/1/provider"));
}

TEST_CASE("ids and names are unique") {
    CHECK(find(load(doc(kChat, "", "," + kProvider)), "config.duplicate", "/providers/1/id"));
    CHECK(find(load(doc(kChat, "," + kModel)), "config.duplicate", "/models/1/id"));
    CHECK(find(load(doc(R"([{"name":"a","targets":[{"provider":"openai","model":"gpt-4o"}]},{"name":"a","targets":[{"provider":"openai","model":"gpt-4o"}]}])")),
               "config.duplicate", "/routes/1/name"));
    std::string twice = R"(,{"id":"x","endpoints":[{"id":"e","base_url":"https://x.example.com/"},{"id":"e","base_url":"https://x.example.com"}],"credentials":[{"id":"c","env":"A"},{"id":"c","env":"B"}]})";
    ConfigResult r = load(doc(kChat, "", twice));
    CHECK(find(r, "config.duplicate", "/providers/1/endpoints/1/id"));
    CHECK(find(r, "config.duplicate", "/providers/1/credentials/1/id"));
    SUBCASE("the same base URL twice in one provider is one endpoint twice") {
        std::string same = R"(,{"id":"x","endpoints":[{"id":"a","base_url":"https://x.example.com/"},{"id":"b","base_url":"https://x.example.com/"}]})";
        CHECK(find(load(doc(kChat, "", same)), "config.duplicate", "/providers/1/endpoints/1/base_url"));
    }
}

TEST_CASE("a route with targets may not be called auto") {
    ConfigResult r = load(doc(R"([{"name":"auto","targets":[{"provider":"openai","model":"gpt-4o"}]}])"));
    const Problem* p = find(r, "config.reserved", "/routes/0/name");
    REQUIRE(p);
    CHECK(p->found == "\"auto\"");
}

// ---------------------------------------------------------------------------------------------
// Automatic routing and the governor's route and model attributes (reasoning.md 3.1)

namespace {
// Routes chat and code (with descriptions), plus what the test adds.
std::string auto_doc(const std::string& more_routes, const std::string& top = "") {
    return doc(R"([{"name":"chat","description":"General questions","targets":[{"provider":"openai","model":"gpt-4o"}]},)"
               R"({"name":"code","description":"Programming","agent_type":"coder","max_steps":12,"reasoning":"adaptive",)"
               R"("targets":[{"provider":"openai","model":"o3"}]})" + more_routes + "]",
               R"(,{"provider":"openai","id":"o3","context_window":200000,"max_output_tokens":100000,)"
               R"("capabilities":{"tools":true,"vision":true},"reasoning":{"knob":"effort","supports_minimal":true}})",
               "", top);
}
}  // namespace

TEST_CASE("an auto route lists candidate routes, a default and a classifier, and has no targets") {
    ConfigResult r = load(auto_doc(
        R"(,{"name":"auto","strategy":"auto","candidates":["code","chat"],"default":"chat","classifier":"openai:gpt-4o"})"));
    REQUIRE_MESSAGE(r.ok(), all(r));
    REQUIRE(r.config->auto_routes.size() == 1);
    const AutoRoute& a = r.config->auto_routes[0];
    CHECK(a.name == "auto");
    CHECK(a.path == "/routes/2");
    CHECK(a.candidates == std::vector<std::string>{"code", "chat"});
    CHECK(a.default_route == "chat");
    CHECK(r.config->classifier_of(a) == "openai:gpt-4o");
    CHECK(r.config->resolved.size() == 2);  // an auto route is not planned itself
    CHECK_FALSE(r.config->find_route("auto"));
    auto found = r.config->find_auto_route("auto");
    REQUIRE(found);
    CHECK(found->candidates == a.candidates);
    CHECK_FALSE(r.config->find_auto_route("chat"));
}

TEST_CASE("an auto route may have any free name; its classifier defaults to utility_model") {
    ConfigResult r = load(auto_doc(R"(,{"name":"smart","strategy":"auto","candidates":["chat","code"]})",
                                   R"(,"utility_model":"chat")"));
    REQUIRE_MESSAGE(r.ok(), all(r));
    auto smart = r.config->find_auto_route("smart");
    REQUIRE(smart);
    CHECK_FALSE(smart->default_route);
    CHECK(r.config->classifier_of(*smart) == "chat");
}

TEST_CASE("without a declared auto route, auto means every described route, classified by utility_model") {
    ConfigResult r = load(doc(R"([{"name":"chat","description":"General","targets":[{"provider":"openai","model":"gpt-4o"}]},)"
                              R"({"name":"utility","targets":[{"provider":"openai","model":"gpt-4o"}]}])",
                              "", "", R"(,"utility_model":"utility")"));
    REQUIRE_MESSAGE(r.ok(), all(r));
    auto implicit = r.config->find_auto_route("auto");
    REQUIRE(implicit);
    CHECK(implicit->path.empty());
    CHECK(implicit->candidates == std::vector<std::string>{"chat"});
    CHECK(r.config->classifier_of(*implicit) == "utility");
}

TEST_CASE("an auto route's candidates, default and classifier must name what the document declares") {
    ConfigResult r = load(auto_doc(
        R"(,{"name":"auto","strategy":"auto","candidates":["chat","nope","chat","other"],"default":"code2","classifier":"openai:gpt-9"},)"
        R"({"name":"other","strategy":"auto","candidates":["chat"],"classifier":"chat"})",
        R"(,"utility_model":"missing")"));
    CHECK(find(r, "config.reference", "/routes/2/candidates/1"));
    CHECK(find(r, "config.duplicate", "/routes/2/candidates/2"));
    CHECK(find(r, "config.reference", "/routes/2/candidates/3"));  // an auto route is no candidate
    CHECK(find(r, "config.reference", "/routes/2/default"));
    CHECK(find(r, "config.reference", "/routes/2/classifier"));
    CHECK(find(r, "config.reference", "/utility_model"));
    CHECK(r.problems.size() == 6);
}

TEST_CASE("an auto route needs candidates and a classifier or a utility_model, and nothing of a targets route") {
    ConfigResult r = load(auto_doc(R"(,{"name":"auto","strategy":"auto","candidates":[],"targets":[]})"));
    CHECK(find(r, "config.range", "/routes/2/candidates"));
    CHECK(find(r, "config.required", "/routes/2/classifier"));
    CHECK(find(r, "config.unknown_member", "/routes/2/targets"));
    CHECK(find(load(auto_doc(R"(,{"name":"auto","strategy":"auto","classifier":"chat"})")), "config.required",
               "/routes/2/candidates"));
}

TEST_CASE("auto routes share the route namespace") {
    ConfigResult r = load(auto_doc(R"(,{"name":"chat","strategy":"auto","candidates":["code"],"classifier":"chat"})"));
    CHECK(find(r, "config.duplicate", "/routes/2/name"));
}

TEST_CASE("a route's description, agent type, max steps and reasoning mode are read, with their defaults") {
    ConfigResult r = load(auto_doc(""));
    REQUIRE_MESSAGE(r.ok(), all(r));
    const Route* chat = r.config->find_declared_route("chat");
    const Route* code = r.config->find_declared_route("code");
    REQUIRE(chat);
    REQUIRE(code);
    CHECK(chat->description == "General questions");
    CHECK(chat->agent_type == "chat");
    CHECK(chat->max_steps == 0);
    CHECK(chat->reasoning == RouteReasoning::off);
    CHECK(code->agent_type == "coder");
    CHECK(code->max_steps == 12);
    CHECK(code->reasoning == RouteReasoning::adaptive);
}

TEST_CASE("route attributes of the wrong shape are format and range errors") {
    ConfigResult r = load(doc(R"([{"name":"chat","description":"two\nlines","agent_type":"Coder","max_steps":1001,)"
                              R"("reasoning":"always","targets":[{"provider":"openai","model":"gpt-4o"}]}])"));
    CHECK(find(r, "config.format", "/routes/0/description"));
    CHECK(find(r, "config.format", "/routes/0/agent_type"));
    CHECK(find(r, "config.range", "/routes/0/max_steps"));
    CHECK(find(r, "config.format", "/routes/0/reasoning"));
    std::string long_line(1000, 'x');
    CHECK(load(doc(R"([{"name":"chat","description":")" + long_line + R"(","targets":[{"provider":"openai","model":"gpt-4o"}]}])")).ok());
    CHECK(find(load(doc(R"([{"name":"chat","description":")" + long_line + R"(x","targets":[{"provider":"openai","model":"gpt-4o"}]}])")),
               "config.format", "/routes/0/description"));
}

TEST_CASE("a model's reasoning declaration names its knob; budget bounds belong to the budget knob") {
    auto with = [](const std::string& reasoning) {
        return load(doc(kChat, R"(,{"provider":"openai","id":"r1","context_window":200000,"max_output_tokens":32000,"reasoning":)" +
                                   reasoning + "}"));
    };
    ConfigResult ok = with(R"({"knob":"budget","min_budget_tokens":1024,"max_budget_tokens":24000})");
    REQUIRE_MESSAGE(ok.ok(), all(ok));
    const Model* r1 = ok.config->find_model("openai", "r1");
    REQUIRE(r1);
    REQUIRE(r1->reasoning);
    CHECK(r1->reasoning->knob == reasoning::Knob::budget);
    CHECK(r1->reasoning->min_budget_tokens == 1024);
    CHECK(r1->reasoning->max_budget_tokens == 24000);
    CHECK(r1->reasoning->max_output_tokens == 32000);  // the model's, as govern() takes it
    CHECK_FALSE(ok.config->find_model("openai", "gpt-4o")->reasoning);  // undeclared: knob none

    CHECK(find(with("{}"), "config.required", "/models/1/reasoning/knob"));
    CHECK(find(with(R"({"knob":"turbo"})"), "config.format", "/models/1/reasoning/knob"));
    CHECK(find(with(R"({"knob":"effort","max_budget_tokens":10})"), "config.conflict", "/models/1/reasoning/max_budget_tokens"));
    CHECK(find(with(R"({"knob":"budget","supports_minimal":true})"), "config.conflict", "/models/1/reasoning/supports_minimal"));
    CHECK(find(with(R"({"knob":"budget","min_budget_tokens":2000,"max_budget_tokens":1000})"), "config.range",
               "/models/1/reasoning/max_budget_tokens"));
    CHECK(find(with(R"({"knob":"budget","min_budget_tokens":40000})"), "config.range", "/models/1/reasoning/min_budget_tokens"));
    CHECK(find(with(R"({"knob":"effort","extra":1})"), "config.unknown_member", "/models/1/reasoning/extra"));
}

TEST_CASE("an adaptive route whose models declare no knob is a lint warning") {
    ConfigResult r = load(doc(R"([{"name":"chat","reasoning":"adaptive","targets":[{"provider":"openai","model":"gpt-4o"}]}])"));
    CHECK(r.ok());
    const Problem* p = find(r, "lint.reasoning", "/routes/0/reasoning");
    REQUIRE(p);
    CHECK(p->severity == Severity::warning);
    CHECK_FALSE(find(load(auto_doc("")), "lint.reasoning"));
}

TEST_CASE("base_url and endpoints exclude each other, and one of them is required") {
    ConfigResult r = load(doc(kChat, "", R"(,{"id":"x"})"));
    CHECK(find(r, "config.required", "/providers/1/base_url"));
}

// ---------------------------------------------------------------------------------------------
// Lint

TEST_CASE("routes referencing each other in a loop are a lint error that spells out the cycle") {
    ConfigResult r = load(doc(R"([{"name":"a","targets":[{"route":"b"}]},{"name":"b","targets":[{"route":"c"}]},
                                 {"name":"c","targets":[{"provider":"openai","model":"gpt-4o"},{"route":"a"}]}])"));
    const Problem* p = find(r, "lint.cycle", "/routes/2/targets/1");
    REQUIRE(p);
    CHECK(p->found == "a -> b -> c -> a");
    SUBCASE("a route referencing itself") {
        ConfigResult s = load(doc(R"([{"name":"a","targets":[{"provider":"openai","model":"gpt-4o"},{"route":"a"}]}])"));
        const Problem* q = find(s, "lint.cycle", "/routes/0/targets/1");
        REQUIRE(q);
        CHECK(q->found == "a -> a");
    }
    SUBCASE("two references to one route are not a cycle") {
        CHECK(load(doc(R"([{"name":"a","strategy":"loadbalance","targets":[{"route":"b"},{"route":"b"}]},
                          {"name":"b","targets":[{"provider":"openai","model":"gpt-4o"}]}])")).ok());
    }
}

TEST_CASE("a target after the first child of a single group is unreachable") {
    ConfigResult r = load(doc(R"([{"name":"chat","strategy":"single","targets":[{"provider":"openai","model":"gpt-4o"},{"provider":"openai","model":"gpt-4o","credential":"main"}]}])"));
    const Problem* p = find(r, "lint.unreachable", "/routes/0/targets/1");
    REQUIRE(p);
    CHECK(p->severity == Severity::error);
    CHECK(load(doc(R"([{"name":"chat","strategy":"single","targets":[{"provider":"openai","model":"gpt-4o"}]}])")).ok());
}

TEST_CASE("weight 0 everywhere is unreachable; one drained target beside live ones is a warning") {
    ConfigResult r = load(doc(R"([{"name":"chat","strategy":"loadbalance","targets":[{"provider":"openai","model":"gpt-4o","weight":0}]}])"));
    const Problem* p = find(r, "lint.unreachable", "/routes/0");
    REQUIRE(p);
    CHECK(p->severity == Severity::error);
    ConfigResult s = load(doc(R"([{"name":"chat","strategy":"loadbalance","targets":[{"provider":"openai","model":"gpt-4o","weight":0},{"provider":"openai","model":"gpt-4o","credential":"main","weight":0.5}]}])"));
    REQUIRE(s.ok());
    const Problem* q = find(s, "lint.unreachable", "/routes/0/targets/0/weight");
    REQUIRE(q);
    CHECK(q->severity == Severity::warning);
    CHECK(s.config->resolved[0].targets[0].drained);
    CHECK_FALSE(s.config->resolved[0].targets[1].drained);
    CHECK(s.config->resolved[0].groups[0].children[1].weight == 0.5);
}

TEST_CASE("a fallback with a smaller context window is a lint error") {
    std::string routes = R"([{"name":"chat","targets":[{"provider":"openai","model":"gpt-4o"},{"provider":"anthropic","model":"small"}]}])";
    ConfigResult r = load(doc(routes, anthropic_model("small", 32000, R"({"tools":true,"vision":true})"), kAnthropicProvider));
    const Problem* p = find(r, "lint.context_window", "/routes/0/targets/1/model");
    REQUIRE(p);
    CHECK(p->severity == Severity::error);
    CHECK(p->found == "anthropic/small has context_window 32000");
    CHECK(p->expected == "at least 128000, as the primary openai/gpt-4o at /routes/0/targets/0");
    SUBCASE("an equal or larger window is fine") {
        CHECK(load(doc(routes, anthropic_model("small", 128000, R"({"tools":true,"vision":true})"), kAnthropicProvider)).ok());
    }
    SUBCASE("the primary is the first reachable child: a drained first child does not count") {
        std::string drained = R"([{"name":"chat","targets":[{"provider":"openai","model":"gpt-4o","weight":0},{"provider":"anthropic","model":"small"}]}])";
        ConfigResult s = load(doc(drained, anthropic_model("small", 32000, "{}"), kAnthropicProvider));
        CHECK_FALSE(find(s, "lint.context_window"));
    }
    SUBCASE("loadbalance peers are not fallbacks of each other") {
        std::string lb = R"([{"name":"chat","strategy":"loadbalance","targets":[{"provider":"openai","model":"gpt-4o"},{"provider":"anthropic","model":"small"}]}])";
        CHECK(load(doc(lb, anthropic_model("small", 32000, "{}"), kAnthropicProvider)).ok());
    }
}

TEST_CASE("a fallback missing tools or vision the primary has is a lint error") {
    std::string routes = R"([{"name":"chat","targets":[{"provider":"openai","model":"gpt-4o"},{"provider":"anthropic","model":"claude"}]}])";
    ConfigResult r = load(doc(routes, anthropic_model("claude", 200000, R"({"tools":true})"), kAnthropicProvider));
    const Problem* p = find(r, "lint.capability", "/routes/0/targets/1/model");
    REQUIRE(p);
    CHECK(p->severity == Severity::error);
    CHECK(p->found == "anthropic/claude lacks vision");
}

TEST_CASE("a fallback without prefill is a warning only while continuation is allowed") {
    std::string routes = R"([{"name":"chat","targets":[{"provider":"anthropic","model":"claude"},{"provider":"openai","model":"gpt-4o"}]}])";
    std::string model = anthropic_model("claude", 100000, R"({"tools":true,"vision":true,"prefill":true})");
    ConfigResult r = load(doc(routes, model, kAnthropicProvider));
    REQUIRE(r.ok());
    const Problem* p = find(r, "lint.capability", "/routes/0/targets/1/model");
    REQUIRE(p);
    CHECK(p->severity == Severity::warning);
    ConfigResult s = load(doc(routes, model, kAnthropicProvider, R"(,"server":{"continuation":"restart"})"));
    CHECK_FALSE(find(s, "lint.capability"));
}

TEST_CASE("the same credential listed twice on a provider is a lint error; two providers may share one") {
    std::string twice = R"(,{"id":"x","base_url":"https://x.example.com","credentials":[{"id":"a","env":"KEY"},{"id":"b","env":"KEY"}]})";
    const Problem* p = nullptr;
    ConfigResult r = load(doc(kChat, "", twice));
    p = find(r, "lint.duplicate_credential", "/providers/1/credentials/1/env");
    REQUIRE(p);
    CHECK(p->expected.find("/providers/1/credentials/0") != std::string::npos);
    std::string shared = R"(,{"id":"x","base_url":"https://x.example.com","credentials":[{"env":"OPENAI_API_KEY"}]})";
    CHECK(load(doc(kChat, "", shared)).ok());
}

TEST_CASE("unset environment variables are warnings; an EnvView that knows nothing stays silent") {
    std::string text = doc(kChat, "", "", R"(,"admin":{"secret_env":"ADMIN_SECRET"})");
    ConfigResult r = load_config(text, EnvView{"OPENAI_API_KEY"});
    REQUIRE(r.ok());
    const Problem* p = find(r, "lint.env_unset", "/admin/secret_env");
    REQUIRE(p);
    CHECK(p->severity == Severity::warning);
    CHECK_FALSE(find(r, "lint.env_unset", "/providers/0/credentials/0/env"));
    ConfigResult s = load_config(text, EnvView{});
    CHECK(s.problems.empty());
    ConfigResult t = load_config(text, EnvView(std::set<std::string, std::less<>>{}));
    CHECK(t.warning_count() == 2);
}

TEST_CASE("the admin secret must not be a provider key") {
    ConfigResult r = load(doc(kChat, "", "", R"(,"admin":{"secret_env":"OPENAI_API_KEY"})"));
    CHECK(find(r, "lint.admin_secret_shared", "/admin/secret_env"));
}

// ---------------------------------------------------------------------------------------------
// Host policy in the document

namespace {
std::string with_url(const std::string& url, const std::string& provider_extra = "", const std::string& top = "") {
    return R"({"providers":[{"id":"p","base_url":")" + url + R"(")" + provider_extra +
           R"(}],"models":[{"provider":"p","id":"m","context_window":10,"max_output_tokens":1}],"routes":[{"name":"r","targets":[{"provider":"p","model":"m"}]}])" +
           top + "}";
}
}  // namespace

TEST_CASE("169.254.169.254 is always blocked") {
    CHECK(find(load(with_url("http://169.254.169.254/")), "host.blocked", "/providers/0/base_url"));
    CHECK(find(load(with_url("http://169.254.169.254/", R"(,"allow_private_hosts":true)")), "host.blocked"));
    CHECK(find(load(with_url("http://169.254.169.254/", "", R"(,"allow_private_hosts":true)")), "host.blocked"));
    CHECK(find(load(with_url("http://metadata.google.internal/")), "host.blocked"));
}

TEST_CASE("private hosts need an opt-in, on the provider or for the whole document") {
    const Problem* p = nullptr;
    ConfigResult r = load(with_url("http://127.0.0.1:8080/v1"));
    p = find(r, "host.private", "/providers/0/base_url");
    REQUIRE(p);
    CHECK(p->found == "\"127.0.0.1\"");
    CHECK(load(with_url("http://127.0.0.1:8080/v1", R"(,"allow_private_hosts":true)")).ok());
    CHECK(load(with_url("http://127.0.0.1:8080/v1", "", R"(,"allow_private_hosts":true)")).ok());
    CHECK(find(load(with_url("http://[fe80::1]/")), "host.private"));
    CHECK(find(load(with_url("http://2130706433/")), "host.private"));
}

TEST_CASE("a base URL that does not parse is host.invalid_url") {
    CHECK(find(load(with_url("api.openai.com/v1")), "host.invalid_url", "/providers/0/base_url"));
    CHECK(find(load(with_url("https://exa mple.com")), "host.invalid_url"));
    CHECK(find(load(with_url("https://[::1")), "host.invalid_url"));
}

TEST_CASE("plain http to a public host is a warning, to an opted-in private host it is not") {
    ConfigResult r = load(with_url("http://api.example.com/v1"));
    REQUIRE(r.ok());
    const Problem* p = find(r, "host.plain_http", "/providers/0/base_url");
    REQUIRE(p);
    CHECK(p->severity == Severity::warning);
    ConfigResult s = load(with_url("http://localhost:11434/v1", R"(,"allow_private_hosts":true)"));
    REQUIRE(s.ok());
    CHECK(s.problems.empty());
}

TEST_CASE("a base URL carrying user:password or a fragment is refused") {
    CHECK(find(load(with_url("https://user:sk-secret@api.example.com/v1")), "config.format", "/providers/0/base_url"));
    CHECK(find(load(with_url("https://api.example.com/v1#x")), "config.format", "/providers/0/base_url"));
}

// ---------------------------------------------------------------------------------------------
// Robustness

TEST_CASE("routes inlined into routes cannot multiply without bound") {
    // r0 references r1 ten times, r1 references r2 ten times, ...: 10^15 targets if expanded.
    std::string routes = "[";
    for (int i = 0; i < 15; ++i) {
        routes += R"({"name":"r)" + std::to_string(i) + R"(","strategy":"loadbalance","targets":[)";
        for (int k = 0; k < 10; ++k) routes += std::string(k ? "," : "") + R"({"route":"r)" + std::to_string(i + 1) + R"("})";
        routes += "]},";
    }
    routes += R"({"name":"r15","targets":[{"provider":"openai","model":"gpt-4o"}]}])";
    ConfigResult r = load(doc(routes));
    CHECK(find(r, "config.too_large"));
    CHECK_FALSE(r.ok());
}

TEST_CASE("routes nested deeper than kMaxRouteNesting are refused") {
    std::string routes = "[";
    for (std::size_t i = 0; i < kMaxRouteNesting + 2; ++i)
        routes += R"({"name":"r)" + std::to_string(i) + R"(","targets":[{"route":"r)" + std::to_string(i + 1) + R"("}]},)";
    routes += R"({"name":"r)" + std::to_string(kMaxRouteNesting + 2) + R"(","targets":[{"provider":"openai","model":"gpt-4o"}]}])";
    ConfigResult r = load(doc(routes));
    CHECK(find(r, "config.too_large"));
}

TEST_CASE("the enum names are the document's words") {
    CHECK(to_string(ApiFormat::anthropic) == "anthropic");
    CHECK(to_string(Strategy::loadbalance) == "loadbalance");
    CHECK(to_string(LoadBalance::least_in_flight) == "least_in_flight");
    CHECK(to_string(Prefer::next_target) == "next_target");
    CHECK(to_string(Continuation::continue_) == "continue");
    CHECK(to_string(Severity::warning) == "warning");
}

// ---------------------------------------------------------------------------------------------
// The published schema (core/config.schema.json) describes what the loader accepts: every bound,
// enum and default of the policy and server objects is probed against the loader here.

#include <boost/json.hpp>

namespace {

boost::json::value read_schema() {
    std::string text = read_file(fixture_dir().parent_path().parent_path().parent_path() / "core" / "config.schema.json");
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    REQUIRE_MESSAGE(!ec, "config.schema.json is not JSON");
    return v;
}

const boost::json::object& def(const boost::json::value& schema, std::string_view name) {
    return schema.get_object().at("$defs").get_object().at(name).get_object();
}

// Members a probe needs beside the probed one so that cross-field rules stay satisfied.
std::string companions(std::string_view object, std::string_view member) {
    if (member == "backoff_base_ms") return R"(,"backoff_cap_ms":60000)";
    if (member == "backoff_cap_ms") return R"(,"backoff_base_ms":1)";
    if (member == "ejection_base_ms") return R"(,"ejection_max_ms":3600000)";
    if (member == "ejection_max_ms") return R"(,"ejection_base_ms":1)";
    if (member == "deadline_ms" && object == "timeout") return R"(,"min_attempt_ms":0)";
    if (member == "min_attempt_ms") return R"(,"deadline_ms":300000)";
    return "";
}

// A document with {member: value} inside `object` ("retry", ..., or "server").
std::string probe(std::string_view object, std::string_view member, const std::string& value) {
    std::string inner = "\"" + std::string(member) + "\":" + value + companions(object, member);
    if (object == "server") return doc(kChat, "", "", R"(,"server":{)" + inner + "}");
    std::string server = object == "classes" ? R"(,"server":{"continuation_budget":8})" : "";
    return doc(kChat, "", "", R"(,"defaults":{")" + std::string(object) + R"(":{)" + inner + "}}" + server);
}

}  // namespace

TEST_CASE("the published schema's bounds and enums are exactly the loader's") {
    boost::json::value schema = read_schema();
    int probes = 0;
    for (std::string_view object : {"retry", "timeout", "breaker", "classes", "server"}) {
        for (const auto& kv : def(schema, object).at("properties").get_object()) {
            std::string member(kv.key());
            const boost::json::object& prop = kv.value().get_object();
            CAPTURE(object);
            CAPTURE(member);
            if (const auto* type = prop.if_contains("type"); type && *type == "integer") {
                std::int64_t lo = prop.at("minimum").to_number<std::int64_t>();
                std::int64_t hi = prop.at("maximum").to_number<std::int64_t>();
                CHECK(load(probe(object, member, std::to_string(lo))).ok());
                CHECK(load(probe(object, member, std::to_string(hi))).ok());
                CHECK(find(load(probe(object, member, std::to_string(lo - 1))), "config.range"));
                CHECK(find(load(probe(object, member, std::to_string(hi + 1))), "config.range"));
                CHECK(find(load(probe(object, member, "\"1\"")), "config.type"));
                probes += 5;
            } else if (const auto* values = prop.if_contains("enum")) {
                for (const auto& e : values->get_array())
                    CHECK(load(probe(object, member, boost::json::serialize(e))).ok());
                CHECK(find(load(probe(object, member, "\"bogus\"")), "config.format"));
                probes += 2;
            } else if (type && *type == "boolean") {
                CHECK(load(probe(object, member, "true")).ok());
                CHECK(find(load(probe(object, member, "1")), "config.type"));
                probes += 2;
            } else if (type && *type == "object") {  // same_target_retries
                for (const auto& inner : prop.at("properties").get_object()) {
                    std::string v = std::string(R"({")") + std::string(inner.key()) + R"(":)";
                    std::int64_t hi = inner.value().get_object().at("maximum").to_number<std::int64_t>();
                    CHECK(load(probe(object, member, v + std::to_string(hi) + "}")).ok());
                    CHECK(find(load(probe(object, member, v + std::to_string(hi + 1) + "}")), "config.range"));
                    probes += 2;
                }
                CHECK(find(load(probe(object, member, R"({"content_filter":1})")), "config.unknown_member"));
            } else {
                FAIL("a schema property of an unexpected shape");
            }
        }
        CHECK(find(load(probe(object, "no_such_member", "1")), "config.unknown_member"));
    }
    CHECK(probes >= 130);
}

TEST_CASE("the published schema's defaults are the named constants") {
    boost::json::value schema = read_schema();
    Policies p;
    ServerLimits s;
    auto dflt = [&](std::string_view object, std::string_view member) {
        return def(schema, object).at("properties").get_object().at(member).get_object().at("default");
    };
    auto integer = [&](std::string_view object, std::string_view member) {
        return dflt(object, member).to_number<std::int64_t>();
    };
    CHECK(integer("retry", "max_attempts") == p.retry.max_attempts);
    CHECK(integer("retry", "backoff_base_ms") == p.retry.backoff_base_ms);
    CHECK(integer("retry", "backoff_cap_ms") == p.retry.backoff_cap_ms);
    CHECK(integer("retry", "retry_hint_cap_ms") == p.retry.retry_hint_cap_ms);
    CHECK(integer("retry", "budget_min") == p.retry.budget_min);
    CHECK(integer("retry", "budget_percent") == p.retry.budget_percent);
    const auto& st = def(schema, "retry").at("properties").get_object().at("same_target_retries").get_object().at("properties").get_object();
    CHECK(st.at("provider_error").get_object().at("default").to_number<int>() == p.retry.retries_provider_error);
    CHECK(st.at("rate_limited").get_object().at("default").to_number<int>() == p.retry.retries_rate_limited);
    CHECK(st.at("provider_unreachable").get_object().at("default").to_number<int>() == p.retry.retries_provider_unreachable);
    CHECK(integer("timeout", "connect_timeout_ms") == p.timeout.connect_timeout_ms);
    CHECK(integer("timeout", "first_token_timeout_ms") == p.timeout.first_token_timeout_ms);
    CHECK(integer("timeout", "idle_timeout_ms") == p.timeout.idle_timeout_ms);
    CHECK(integer("timeout", "deadline_ms") == p.timeout.deadline_ms);
    CHECK(integer("timeout", "min_attempt_ms") == p.timeout.min_attempt_ms);
    CHECK(integer("breaker", "consecutive_failures") == p.breaker.consecutive_failures);
    CHECK(integer("breaker", "consecutive_failures_with_alternative") == p.breaker.consecutive_failures_with_alternative);
    CHECK(integer("breaker", "failure_rate_percent") == p.breaker.failure_rate_percent);
    CHECK(integer("breaker", "min_request_volume") == p.breaker.min_request_volume);
    CHECK(integer("breaker", "failure_window_ms") == p.breaker.failure_window_ms);
    CHECK(integer("breaker", "ejection_base_ms") == p.breaker.ejection_base_ms);
    CHECK(integer("breaker", "ejection_max_ms") == p.breaker.ejection_max_ms);
    CHECK(integer("breaker", "jitter_percent") == p.breaker.jitter_percent);
    CHECK(integer("breaker", "max_ejection_percent") == p.breaker.max_ejection_percent);
    CHECK(dflt("classes", "route_around_content_filter") == p.classes.route_around_content_filter);
    CHECK(std::string_view(dflt("classes", "prefer").get_string()) == to_string(p.classes.prefer));
    CHECK(integer("classes", "continuation_budget") == p.classes.continuation_budget);
    CHECK(integer("server", "max_attempts") == s.max_attempts);
    CHECK(integer("server", "deadline_ms") == s.deadline_ms);
    CHECK(std::string_view(dflt("server", "continuation").get_string()) == to_string(s.continuation));
    CHECK(integer("server", "continuation_budget") == s.continuation_budget);
    CHECK(dflt("server", "allow_disable_fallbacks") == s.allow_disable_fallbacks);
}

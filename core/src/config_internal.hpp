// Private to config*.cpp: the pieces load_config is made of.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reroute/config.hpp"

namespace reroute::config_detail {

// Collects problems, capped at kMaxProblems, with helpers for the usual shapes.
class Problems {
public:
    explicit Problems(std::vector<Problem>& out) : out_(out) {}
    void add(std::string path, std::string_view code, std::string found, std::string expected,
             Severity severity = Severity::error);
    void error(std::string path, std::string_view code, std::string found, std::string expected) {
        add(std::move(path), code, std::move(found), std::move(expected), Severity::error);
    }
    void warning(std::string path, std::string_view code, std::string found, std::string expected) {
        add(std::move(path), code, std::move(found), std::move(expected), Severity::warning);
    }
    void push(Problem problem);
    std::size_t errors() const noexcept { return errors_; }
    std::vector<Problem>& list() noexcept { return out_; }

private:
    std::vector<Problem>& out_;
    std::size_t errors_ = 0;
};

// RFC 6901: "~" -> "~0", "/" -> "~1".
std::string pointer_token(std::string_view key);
std::string child_path(std::string_view parent, std::string_view key);
std::string child_path(std::string_view parent, std::size_t index);
// A short, single-line rendering of a value for Problem::found (truncated on a UTF-8 boundary).
std::string shorten(std::string_view text, std::size_t max = 80);
std::string quoted(std::string_view text);

// Where the parser found things the later passes need to point at.
struct ProviderSite {
    std::string path;                         // "/providers/0"
    std::vector<std::string> endpoint_paths;  // of each base_url ("/providers/0/base_url" or
                                              // "/providers/0/endpoints/1/base_url")
    std::vector<std::string> credential_paths;  // "/providers/0/credentials/1"
};
struct Sites {
    std::vector<ProviderSite> providers;  // parallel to Config::providers
    std::vector<std::string> models;      // parallel to Config::models
    std::vector<std::string> routes;      // parallel to Config::routes
    std::string admin_secret;             // "/admin/secret_env" when set
};

// Pass 1: JSON text -> Config (declared data only) and Sites; schema, format and range problems.
// Returns false when the text is not JSON at all (nothing else can be checked then).
bool parse_document(std::string_view text, Config& config, Sites& sites, Problems& problems);

// Pass 2: references, uniqueness, host policy, env lint, policy cross-field rules, cycles,
// resolution (fills config.resolved) and the route lint.
void check_and_resolve(Config& config, const Sites& sites, const EnvView& env, Problems& problems);

}  // namespace reroute::config_detail

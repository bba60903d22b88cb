// Failure scope, retirement and scope keys (chat-errors.md section 5): what a failed attempt means
// for the rest of the turn's failover chain.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "reroute/error_value.hpp"

namespace reroute {

enum class FailureScope { terminal, provider, model };
std::string_view to_string(FailureScope scope) noexcept;

// 5.2: a throttling, overload or timeout-like failure. Only objects can be transient.
bool is_transient(const ErrorValue& error);
// 5.1: whether the chain may move on to the next candidate (false: the failure is terminal).
bool may_fail_over(const ErrorValue& error);
// 5.3: terminal when the chain must stop; provider for provider-scoped codes; model otherwise.
FailureScope failure_scope(const ErrorValue& error);

// 5.4: which resource a non-terminal failure retires for the rest of the turn. A credit failure
// retires the credential through its credit key ([later], see ScopeKeys::credit).
enum class Retirement { none, credential, endpoint };
std::string_view to_string(Retirement retirement) noexcept;
// Any string: one that is not exactly a code name retires nothing.
Retirement retirement_for(std::string_view code) noexcept;

// 5.5: 32-bit FNV-1a over the key's UTF-16 code units, as 8 lowercase hex digits. Buckets keys so
// that no raw key is held anywhere; not a security primitive.
std::string fingerprint(std::string_view key);

struct ScopeKeys {
    std::string credential;  // cred:<provider>:<fp>
    std::string endpoint;    // host:<provider>:<baseUrl>, the URL exactly as configured
    std::string credit;      // credit:<provider>:<fp>  [later]
};
// An absent key fingerprints as the empty string; an absent base URL is empty.
ScopeKeys scope_keys(std::string_view provider, std::optional<std::string_view> api_key,
                     std::optional<std::string_view> base_url);

// 5.5: the id contains ":free" (ASCII case-insensitive), or both prices are present and exactly 0.
bool is_free_model(std::string_view model_id, std::optional<double> input_price,
                   std::optional<double> output_price) noexcept;

}  // namespace reroute

#include "reasoning_ops.hpp"

#include "reroute/reasoning_json.hpp"

namespace reroute::conformance {

OpResult run_reasoning_op(const std::string& op, const boost::json::value& input) {
    if (!input.is_object()) return {false, {}, "input is not an object"};
    const std::optional<std::string> output = reasoning::call(op, boost::json::serialize(input));
    if (!output) return {false, {}, "unknown op \"" + op + "\""};
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(*output, ec);
    if (ec) return {false, {}, op + ": the core wrote invalid JSON: " + *output};
    return {true, std::move(value), {}};
}

}  // namespace reroute::conformance

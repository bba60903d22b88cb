// The conformance ops (chat-errors.md section 13) mapped onto the native core, shared by the
// native conformance runner and the native benchmark.
#pragma once

#include <boost/json.hpp>

#include <string>

#include "reroute/error_value.hpp"

namespace reroute::conformance {

struct OpResult {
    bool ok = false;
    boost::json::value value;  // the op's result, shaped like a vector's "expect"
    std::string error;         // why the op could not run (unknown op, malformed input)
};

OpResult run_op(const std::string& op, const boost::json::value& input);

// A classify input ({"error":{...}}, {"text":"..."} or {"value":...}) or a bare error value
// (object or string, as in bench/provider-errors.json) as error facts.
ErrorValue error_value_from_input(const boost::json::value& input);
ErrorValue error_value_from_json(const boost::json::value* value);

}  // namespace reroute::conformance

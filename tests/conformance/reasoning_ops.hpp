// The reasoning conformance ops (reasoning.md section 7) mapped onto the native core. The input
// goes through the core's JSON facade (reroute/reasoning_json.hpp), the same mapping the WASM
// module uses, and the output comes back as JSON text parsed here, so that expected and actual
// numbers pass through the same reader.
#pragma once

#include <boost/json.hpp>

#include <string>

#include "vector_ops.hpp"

namespace reroute::conformance {

// Every op of reasoning.json; "unknown op" for anything else.
OpResult run_reasoning_op(const std::string& op, const boost::json::value& input);

}  // namespace reroute::conformance

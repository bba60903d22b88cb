// Classification of a raw provider or SDK error into one of the fifteen codes
// (chat-errors.md sections 3 and 4). Linear in the message length: one pass, no backtracking.
#pragma once

#include <string_view>

#include "reroute/codes.hpp"
#include "reroute/error_value.hpp"

namespace reroute {

ErrorCode classify(const ErrorValue& error);
// A plain string error: the same as classify(ErrorValue::from_text(message)) without the copy.
ErrorCode classify_message(std::string_view message);

}  // namespace reroute

// Test helper: an error object built member by member, as a host would fill ErrorValue.
#pragma once

#include <string>
#include <utility>

#include "reroute/error_value.hpp"

namespace reroute::testing {

struct Obj {
    ErrorValue v = ErrorValue::object();
    Obj& status(double s) { v.status = s; return *this; }
    Obj& status_code(double s) { v.status_code = s; return *this; }
    Obj& code(std::string c) { v.code = std::move(c); return *this; }
    Obj& code_number(double c) { v.code_number = c; return *this; }
    Obj& message(std::string m) { v.message = std::move(m); return *this; }
    Obj& data_code(std::string c) { v.has_data = true; v.data_code = std::move(c); return *this; }
    Obj& data_message(std::string m) { v.has_data = true; v.data_message = std::move(m); return *this; }
    Obj& error_code(std::string c) { v.error_code = std::move(c); return *this; }
    Obj& error_code_number(double c) { v.error_code_number = c; return *this; }
    Obj& name(std::string n) { v.name = std::move(n); return *this; }
};

}  // namespace reroute::testing

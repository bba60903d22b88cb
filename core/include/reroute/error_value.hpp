// What the classifier and the failover predicates can see of a thrown value (chat-errors.md
// section 3): a JavaScript-like value reduced to the members those rules read, each kept only
// with the type a rule reads it as. Hosts (the native conformance runner, the WASM binding, the
// provider-body reader) fill it; the rules live in classify.
#pragma once

#include <optional>
#include <string>

namespace reroute {

struct ErrorValue {
    enum class Kind { absent, other, string, object };  // absent: also null; other: number, boolean, array...
    Kind kind = Kind::absent;

    std::string text;  // kind == string: the string itself

    // kind == object: members, present only when of the type named.
    std::optional<double> status;          // member status, if a number
    std::optional<double> status_code;     // member statusCode, if a number
    std::optional<std::string> code;       // member code, if a string
    std::optional<double> code_number;     // member code, if a number (provider codes, 4.3)
    std::optional<std::string> message;    // member message, if a string
    bool has_data = false;                 // member data is a JSON object or array
    std::optional<std::string> data_code;     // data.code, if data is an object and it is a string
    std::optional<std::string> data_message;  // data.message, likewise
    std::optional<std::string> error_code;    // member error (an object): its code, if a string
    std::optional<double> error_code_number;  // ... or if a number
    std::optional<std::string> name;          // member name, if a string (the error's class)

    static ErrorValue from_text(std::string s) {
        ErrorValue v;
        v.kind = Kind::string;
        v.text = std::move(s);
        return v;
    }
    static ErrorValue object() {
        ErrorValue v;
        v.kind = Kind::object;
        return v;
    }
};

}  // namespace reroute

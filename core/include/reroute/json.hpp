// A small JSON reader and writer with JavaScript's exact semantics: parse accepts precisely what
// JSON.parse accepts (chat-errors.md 6.5) and the writers produce JSON.stringify's bytes (6.2).
// Used for envelope headers and provider error bodies, where pulling Boost.JSON into the WASM
// module would cost more than the whole feature. Never throws, never recurses without bound.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace reroute::json {

enum class Kind { null, boolean, number, string, array, object };

struct Value {
    Kind kind = Kind::null;
    bool boolean = false;
    bool integral = false;  // number: its literal has neither fraction nor exponent
    double number = 0;  // out-of-range magnitudes are +/-infinity, as in JavaScript
    std::string string;  // UTF-8
    std::vector<Value> items;                            // array
    std::vector<std::pair<std::string, Value>> members;  // object, in source order, duplicates kept

    // Declared so that clang with libstdc++ 12 does not instantiate the members' destructor while
    // Value is still incomplete (it rejects the implicit one); the behaviour is the implicit one's.
    Value() = default;

    // The member's value; when a key occurs twice the last occurrence wins (JSON.parse).
    const Value* find(std::string_view key) const noexcept;
    bool is_string() const noexcept { return kind == Kind::string; }
    bool is_number() const noexcept { return kind == Kind::number; }
    bool is_object() const noexcept { return kind == Kind::object; }
};

// Nesting deeper than this is rejected rather than risking the stack.
inline constexpr std::size_t kMaxDepth = 512;

// JSON.parse: one value with optional JSON whitespace around it; nullopt on any error.
std::optional<Value> parse(std::string_view text);

// parse() with options and a report of where it stopped (for configuration files).
struct ParseOptions {
    std::size_t max_depth = kMaxDepth;  // open containers at most (at most kMaxDepth)
    // Also reject what JSON.parse lets through in strings: bytes that are not UTF-8 (including
    // the 3-byte form of a surrogate) and \u escapes of unpaired surrogates.
    bool strict_unicode = false;
    // Value::string of an integer literal of more than 15 characters holds its source text (a
    // double does not hold every such integer exactly): see integer_literal.
    bool number_text = false;
};
struct ParseError {
    enum class Code : unsigned char {
        syntax, incomplete, extra_data, too_deep, expected_hex_digit,
        illegal_leading_surrogate, illegal_trailing_surrogate,
    };
    Code code = Code::syntax;
    std::size_t offset = 0;  // the byte where the text stopped being acceptable (its size when it ended early)
};
std::string_view to_string(ParseError::Code code) noexcept;  // "syntax error", "incomplete JSON", ...
// A number parsed with ParseOptions::number_text whose literal is an integer (no fraction, no
// exponent) that fits std::int64_t, or else std::uint64_t: that exact integer. Type::none for
// every other number (as Boost.JSON typed numbers: int64, uint64, else double).
struct IntegerLiteral {
    enum class Type : unsigned char { none, int64, uint64 } type = Type::none;
    std::int64_t i = 0;
    std::uint64_t u = 0;
};
IntegerLiteral integer_literal(const Value& number) noexcept;
std::optional<Value> parse(std::string_view text, const ParseOptions& options, ParseError* error = nullptr);

// A lean pass for picking a few members without building the document. It checks text exactly as
// parse() does and returns the kind of the top-level value (nullopt where parse() fails). When the
// top-level value is an object, on_member(context, key, value_text) is called for each of its
// members in source order (duplicates included), with the decoded key and the exact source text
// of the member's value, itself a text that parse() accepts. A failure may be found after some
// calls were made: discard what they gathered when nullopt comes back. value_text views text;
// key is valid only during the call.
using MemberVisitor = void (*)(void* context, std::string_view key, std::string_view value_text);
std::optional<Kind> scan(std::string_view text, MemberVisitor on_member, void* context);
template <class F>
std::optional<Kind> scan(std::string_view text, F&& on_member) {
    return scan(
        text,
        [](void* context, std::string_view key, std::string_view value_text) {
            (*static_cast<std::remove_reference_t<F>*>(context))(key, value_text);
        },
        const_cast<void*>(static_cast<const void*>(&on_member)));
}

// ---- Walking a text that parse() accepts, without building it ----
// For a value text that scan() or parse() has already checked (these functions do not check it
// again): the items of an array, the members of an object, and facts of a string literal, at the
// cost of one pass over the bytes and no allocation.

// Calls on_item(value_text) for each item of an array text, in source order; nothing for another kind.
using ItemVisitor = void (*)(void* context, std::string_view value_text);
void for_each_item(std::string_view valid, ItemVisitor on_item, void* context);
template <class F>
void for_each_item(std::string_view valid, F&& on_item) {
    for_each_item(
        valid, [](void* context, std::string_view value_text) { (*static_cast<std::remove_reference_t<F>*>(context))(value_text); },
        const_cast<void*>(static_cast<const void*>(&on_item)));
}
// Calls on_member(key_literal, value_text) for each member of an object text, in source order
// (duplicates included); key_literal is the key's string literal, quotes included (see
// literal_equals). Nothing for another kind.
void for_each_member(std::string_view valid, MemberVisitor on_member, void* context);
template <class F>
void for_each_member(std::string_view valid, F&& on_member) {
    for_each_member(
        valid,
        [](void* context, std::string_view key, std::string_view value_text) {
            (*static_cast<std::remove_reference_t<F>*>(context))(key, value_text);
        },
        const_cast<void*>(static_cast<const void*>(&on_member)));
}
// Whether a valid string literal (quotes included) decodes to `text`.
bool literal_equals(std::string_view literal, std::string_view text);
// The length in UTF-16 units (JavaScript's String#length) of what a valid string literal (quotes
// included) decodes to.
std::size_t literal_utf16_length(std::string_view literal) noexcept;

// JSON.stringify of a string, quotes included, appended to out.
void write_string(std::string& out, std::string_view utf8);
// JavaScript's Number#toString for finite values (shortest round-trip form).
void write_number(std::string& out, double value);

// Writes one JSON object into `out`, member by member: {"a":1,"b":"x"}. key() writes a member's
// name (and the comma before it) and returns `out` for the caller to append the value; close()
// ends the object.
class ObjectWriter {
public:
    explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
    std::string& key(std::string_view name);
    void str(std::string_view name, std::string_view value) { write_string(key(name), value); }
    void num(std::string_view name, double value) { write_number(key(name), value); }
    void integer(std::string_view name, std::int64_t value) { key(name) += std::to_string(value); }
    void boolean(std::string_view name, bool value) { key(name) += value ? "true" : "false"; }
    void null(std::string_view name) { key(name) += "null"; }
    void close() { out_ += '}'; }

private:
    std::string& out_;
    bool first_ = true;
};

}  // namespace reroute::json

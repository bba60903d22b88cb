// The TALE_ERR1 error envelope (chat-errors.md section 6): what a failed assistant message stores
// in its `error` field, and the percent-encoding it is built on.
//
//   TALE_ERR1 %7B%22code%22%3A%22generic%22%7D\n<raw provider text>
//
// Encoding is byte-exact with the reference writer; decoding reproduces the reference reader on
// every odd input (6.4, 6.6). Neither throws; malformed input always yields a defined result.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "reroute/codes.hpp"

namespace reroute {

// The prefix that marks an envelope: "TALE_ERR1" and one ASCII space.
inline constexpr std::string_view kEnvelopePrefix = "TALE_ERR1 ";

// JavaScript encodeURIComponent (6.3): A-Z a-z 0-9 - _ . ! ~ * ' ( ) stay, every other character
// becomes the %XX (uppercase hex) of its UTF-8 bytes. JavaScript throws on a lone surrogate; here
// a lone surrogate (its 3-byte form) or an invalid UTF-8 byte is encoded as U+FFFD (%EF%BF%BD).
std::string percent_encode(std::string_view utf8);
void percent_encode(std::string& out, std::string_view utf8);

// JavaScript decodeURIComponent (6.5): every % must start %XX; a decoded byte below 0x80 is that
// character; multi-byte sequences must be the shortest UTF-8 form of a scalar value (no
// surrogates, nothing above U+10FFFF). nullopt where JavaScript throws URIError. Text outside
// escapes is copied unchanged.
std::optional<std::string> percent_decode(std::string_view text);

// What a writer puts into the header. Absent members are left out; an empty string or 0 is
// written. retry_after_ms is a reroute extra member ("retryAfterMs", written after "tried").
struct EnvelopeFields {
    std::optional<std::string> code, provider, model;
    std::optional<double> tried;
    std::optional<std::string> raw;
    std::optional<double> retry_after_ms;
};

// "TALE_ERR1 " + percent-encoded compact JSON header + LF + raw (6.1-6.3). Numbers are written as
// JavaScript writes them; a non-finite number is written as null, as JSON.stringify does.
std::string encode_envelope(const EnvelopeFields& fields);
// The same, into `out` (replacing its contents, reusing its capacity).
void encode_envelope(const EnvelopeFields& fields, std::string& out);

// What a reader gets back (6.4). Never holds an empty string.
struct DecodedEnvelope {
    std::optional<ErrorCode> code;                 // only one of the fifteen codes, exact match
    std::optional<std::string> provider, model;    // only non-empty strings
    std::optional<double> tried_count;             // only a finite number > 0
    std::optional<std::string> raw;                // the tail after the first LF, or the whole value
    std::optional<double> retry_after_ms;          // reroute extra: only a finite number >= 0
};

// nullopt stands for an absent or null stored value.
DecodedEnvelope decode_envelope(std::optional<std::string_view> stored);

}  // namespace reroute

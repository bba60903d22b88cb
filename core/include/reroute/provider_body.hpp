// Turning an upstream failure into error facts for classify() (chat-errors.md section 12): an HTTP
// error response, an in-band error event in a stream, or a transport failure without a response.
//
// Recognised bodies: OpenAI {error:{message,type,code,param}}, Anthropic {type:"error",error:{type,
// message}}, Google {error:{code,status,message,details}} (also as a one-element array), OpenRouter
// {error:{code,message,metadata:{raw,provider_name}}} (with the upstream body inside metadata.raw),
// and the flat {message,type,code} / {error:"text"} / {detail:"text"} forms other gateways use.
// Provider-specific names that the rule set of section 4 would leave generic are mapped onto facts
// it does read (a status, or a short hint appended to the message); the table is in
// provider_body.cpp. classify() itself is never changed.
//
// Every result has kind object and a message: the provider's message, redacted (redact.hpp),
// trimmed and cut to kMaxMessageUnits UTF-16 units on a code point boundary, with invalid UTF-8
// replaced by U+FFFD. Any bytes are accepted; nothing throws.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "reroute/error_value.hpp"

namespace reroute {

inline constexpr std::size_t kMaxMessageUnits = 2000;

// An HTTP error response from a provider: status, and the body text (any bytes, possibly truncated
// or HTML). `status` becomes the status fact when it is 100-599 and not 2xx; otherwise (200 with an
// error body, or 0 for unknown) a numeric error code 400-599 in the body takes its place. A body
// that is not a recognised error keeps that status and its trimmed, bounded text is the message.
ErrorValue error_from_response(int status, std::string_view body);

// The data payload of one server-sent event, for in-band errors mid-stream. An error when the data
// is JSON with an `error` member (OpenAI, OpenRouter, Google), Anthropic's {type:"error",...}, an
// OpenAI Responses `response.failed`, or when the event is named `error` (then non-JSON data is the
// message). nullopt when the payload is not an error (ordinary chunks, `[DONE]`).
std::optional<ErrorValue> error_from_stream_event(std::string_view event_name, std::string_view data);

// A transport failure the host saw (no HTTP response): a Node/undici error code such as
// "ECONNREFUSED", "ENOTFOUND", "ECONNRESET", "ETIMEDOUT" and its message. The code becomes the code
// fact; the message (the code itself when the message is empty) the message.
ErrorValue error_from_transport(std::string_view code, std::string_view message);

}  // namespace reroute

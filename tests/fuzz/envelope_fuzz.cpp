// libFuzzer target: the envelope decoder, the display adapter and the REST projection over any
// bytes, and the encoder's round trip. Checks the contract's invariants, not just "no crash":
// a decoded record never holds an empty string, the tail is never altered, and whatever the
// encoder writes decodes back to what it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "reroute/display.hpp"
#include "reroute/envelope.hpp"
#include "reroute/text.hpp"

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

bool non_empty(const std::optional<std::string>& s) { return !s || !s->empty(); }

// Plain UTF-8 (no invalid bytes, no 3-byte surrogate halves): what survives the encoder unchanged.
// Other input is normalised on the way (invalid bytes to U+FFFD, a pair of halves to one scalar).
bool plain_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const reroute::text::Decoded d = reroute::text::decode_utf8(s, i);
        if (!d.valid() || (d.cp >= 0xD800 && d.cp <= 0xDFFF)) return false;
        i += d.len;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const reroute::DecodedEnvelope d = reroute::decode_envelope(input);
    require(non_empty(d.provider) && non_empty(d.model) && non_empty(d.raw));
    if (d.tried_count) require(*d.tried_count > 0);
    if (d.raw) {  // the tail after the first LF, or the whole value: verbatim either way
        const std::size_t lf = input.find('\n');
        require(*d.raw == input || (lf != std::string_view::npos && *d.raw == input.substr(lf + 1)));
    }
    const reroute::SanitizedError s = reroute::sanitize(input);
    if (s.raw_message) require(s.raw_message->find("TALE_ERR1") == std::string::npos);
    (void)reroute::rest_projection(input);
    (void)reroute::percent_decode(input);

    // Round trip: the input's halves as provider and raw text.
    const std::size_t half = size / 2;
    reroute::EnvelopeFields f;
    f.code = "rate_limited";
    f.provider = std::string(input.substr(0, half));
    f.raw = std::string(input.substr(half));
    f.tried = 2;
    const std::string stored = reroute::encode_envelope(f);
    const reroute::DecodedEnvelope back = reroute::decode_envelope(stored);
    require(back.code == reroute::ErrorCode::rate_limited);
    require(back.tried_count == 2.0);
    require(f.raw->empty() ? !back.raw : back.raw == f.raw);
    if (!f.provider->empty() && plain_utf8(*f.provider)) require(back.provider == f.provider);
    return 0;
}

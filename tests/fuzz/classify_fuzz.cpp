// libFuzzer target: classification, the failover predicates, provider bodies, retry hints and
// redaction over any bytes. Beyond "no crash, no hang": a plain string and the same text as an
// object's message classify alike, and redaction is idempotent and never grows a secret back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "reroute/classify.hpp"
#include "reroute/provider_body.hpp"
#include "reroute/redact.hpp"
#include "reroute/retry_hint.hpp"
#include "reroute/scope.hpp"

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    const reroute::ErrorCode as_string = reroute::classify_message(text);
    reroute::ErrorValue object = reroute::ErrorValue::object();
    object.message = std::string(text);
    require(reroute::classify(object) == as_string);
    (void)reroute::failure_scope(object);
    (void)reroute::is_transient(object);

    const int status = size ? 400 + data[0] % 200 : 500;
    (void)reroute::classify(reroute::error_from_response(status, text));
    (void)reroute::error_from_stream_event("error", text);
    (void)reroute::retry_after_ms_from_text(text);
    const std::vector<reroute::Header> headers = {{"retry-after", text}, {"x-ratelimit-reset-tokens", text}};
    (void)reroute::retry_after_ms(headers, 1.7e12);

    const std::string once = reroute::redact_secrets(text);
    require(reroute::redact_secrets(once) == once);
    return 0;
}

// Secret redaction for raw provider text (chat-errors.md section 12): applied before raw text is
// written into an envelope and again before it is shown. One forward pass, linear in the input, no
// regular expressions. Cuts only at ASCII characters, so valid UTF-8 stays valid UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace reroute {

// What replaces a secret. Fixed, so that redacted text never depends on the secret.
inline constexpr std::string_view kRedactedMarker = "[redacted]";

// Returns text with every secret-shaped span replaced by kRedactedMarker:
//   - header echoes `Authorization: Bearer t`, `authorization: Basic t`, `x-api-key: t`,
//     `api-key: t` (any case, any `...-authorization` / `...-api-key` name): the scheme word is
//     kept, the credential is replaced;
//   - a bare `Bearer <token>` whose token looks generated (8+ characters, not a plain word);
//   - provider keys: `sk-` (kept prefixes `sk-`, `sk-proj-`, `sk-ant-`, `sk-or-v1-`, the rest
//     replaced), Google `AIza`, xAI `xai-`, Groq `gsk_`, Perplexity `pplx-`; masked echoes such as
//     `sk-proj-****8d0e` count too, since their visible digits are part of the key;
//   - query and form values `key=`, `api_key=`, `apikey=`, `token=`, `access_token=` (any name whose
//     last `-`/`_` segment is key, apikey, token, secret, password, signature or authorization);
//   - quoted members with such names, `"api_key":"v"`, `'authorization': 'v'`, and their
//     JSON-in-a-string form `\"api_key\":\"v\"`: the whole quoted value is replaced.
// Ordinary words survive: `risk-free`, `task-123`, `monkey=3`, `invalid x-api-key`, `max_tokens=5`.
std::string redact_secrets(std::string_view text);

}  // namespace reroute

// Boost.JSON, header-only, compiled exactly once for the core and everything linking it (native
// and WASM). Used where a full DOM with error codes pays off (configuration, health state); the
// envelope's hot path uses reroute/json.hpp, which has JSON.parse's exact semantics.
#include <boost/json/src.hpp>

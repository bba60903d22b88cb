// Boost.JSON, header-only, compiled once for the native tools (never for the WASM module).
#include <boost/json/src.hpp>

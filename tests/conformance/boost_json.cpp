// Boost.JSON, header-only, compiled exactly once for each native program that uses it (the unit
// tests, the conformance runner, the benchmarks). The core itself reads and writes JSON with
// reroute/json.hpp only, so the WASM module does not carry Boost.JSON.
#include <boost/json/src.hpp>

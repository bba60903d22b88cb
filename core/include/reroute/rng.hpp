// A tiny seedable random number generator for the core. The core never draws entropy itself: the
// host passes a seed (per isolate or per request), tests pass a literal, and every decision that
// needs randomness (jitter, weighted picks, power-of-two choices) takes an Rng& or a number drawn
// from one. Same seed, same sequence, on every platform (native and WASM).
//
//   reroute::Rng rng(42);
//   double u = rng.uniform();      // [0, 1)
//   std::uint64_t i = rng.below(10);  // 0..9
#pragma once

#include <cstdint>

namespace reroute {

// splitmix64 (Steele, Lea, Flood 2014): one 64-bit word of state, full period 2^64, passes
// BigCrush. Small and fast in WASM (i64 arithmetic is native there).
class Rng {
public:
    explicit constexpr Rng(std::uint64_t seed = 0) noexcept : state_(seed) {}

    constexpr std::uint64_t next_u64() noexcept {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    // Uniform in [0, 1): the top 53 bits scaled by 2^-53, so 1.0 is never returned.
    constexpr double uniform() noexcept {
        return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
    }

    // Uniform in [0, n); 0 when n is 0. Lemire's multiply-shift (the bias is below 2^-32 for the
    // small n the planner uses).
    constexpr std::uint64_t below(std::uint64_t n) noexcept {
        if (n == 0) return 0;
        if (n > 0xFFFFFFFFull) return next_u64() % n;
        return ((next_u64() >> 32) * n) >> 32;
    }

    constexpr std::uint64_t state() const noexcept { return state_; }

private:
    std::uint64_t state_;
};

// A stateless 64-bit mixer (the splitmix64 finaliser), for hashing identities and for rendezvous
// hashing where the same inputs must always give the same rank.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

}  // namespace reroute

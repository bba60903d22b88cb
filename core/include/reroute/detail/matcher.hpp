// A byte-level Aho-Corasick automaton that reports every occurrence of a fixed set of literals in
// one pass (private helper of classify). Built once; scanning is a table lookup per byte, so the
// cost is linear in the text whatever the literals.
//
// Size: bytes that occur in no literal share one class, so a row has (distinct literal bytes + 1)
// entries. Entries are uint16 offsets of the next row (state x classes), which keeps the table
// small enough for WebAssembly and saves a multiply per byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace reroute::detail {

class LiteralMatcher {
public:
    // Literals must be non-empty. If the automaton would not fit 16-bit offsets, valid() is false
    // and scan() reports nothing (a programming error, caught by the unit tests). With
    // fold_ascii_case, A-Z in the text match a-z in the literals (literals are then lowercase).
    explicit LiteralMatcher(std::span<const std::string_view> literals, bool fold_ascii_case = false);

    bool valid() const noexcept { return !next_.empty(); }
    std::size_t state_count() const noexcept { return classes_ ? next_.size() / classes_ : 0; }
    std::size_t class_count() const noexcept { return classes_; }
    std::size_t table_bytes() const noexcept {
        return next_.size() * sizeof(std::uint16_t) + outputs_.size() * sizeof(std::uint16_t) +
               out_begin_.size() * sizeof(std::uint16_t) + sizeof(class_of_);
    }

    // Calls on_match(literal_index, end) for every occurrence of every literal, where end is the
    // byte offset just past the occurrence; occurrences are reported in order of their end.
    template <class OnMatch>
    void scan(std::string_view text, OnMatch&& on_match) const {
        if (!valid()) return;
        // Locals, so that the compiler keeps them in registers across the callback.
        const auto* p = reinterpret_cast<const unsigned char*>(text.data());
        const std::size_t n = text.size();
        const std::uint8_t* class_of = class_of_.data();
        const std::uint16_t* next = next_.data();
        const std::uint32_t first_accepting = first_accepting_;
        std::uint32_t s = 0;  // offset of the current state's row
        for (std::size_t i = 0; i < n; ++i) {
            s = next[s + class_of[p[i]]];
            // Accepting states are numbered last, so one compare tells whether anything ends here.
            if (s >= first_accepting) [[unlikely]] {
                const std::size_t k = accepting_index(s - first_accepting);
                for (std::uint32_t o = out_begin_[k]; o < out_begin_[k + 1]; ++o) on_match(outputs_[o], i + 1);
            }
        }
    }

private:
    // offset / classes_ without a division: offsets are exact multiples of classes_ and below
    // 2^16, so multiplying by ceil(2^32 / classes_) and dropping 32 bits is exact.
    std::size_t accepting_index(std::uint32_t offset) const noexcept {
        return static_cast<std::size_t>((std::uint64_t{offset} * reciprocal_) >> 32);
    }

    std::array<std::uint8_t, 256> class_of_{};
    std::uint64_t reciprocal_ = 0;          // ceil(2^32 / classes_)
    std::uint32_t classes_ = 0;
    std::uint32_t first_accepting_ = 0;     // row offset of the first accepting state
    std::vector<std::uint16_t> next_;       // state_count x classes_, entries are row offsets
    std::vector<std::uint16_t> out_begin_;  // per accepting state, into outputs_ (plus an end)
    std::vector<std::uint16_t> outputs_;    // literal indices
};

}  // namespace reroute::detail

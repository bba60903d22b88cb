// A byte-level Aho-Corasick automaton that reports every occurrence of a fixed set of literals in
// one pass (private helper of classify). Built once; scanning is a table lookup per byte, so the
// cost is linear in the text whatever the literals.
//
// Size: bytes that occur in no literal share one class, so a row has (distinct literal bytes + 1)
// entries. Entries are uint16 byte offsets of the next row (state x classes), which keeps the table
// small enough for WebAssembly and saves a multiply per byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
        const auto* p = reinterpret_cast<const unsigned char*>(text.data());
        if (text.size() < kLanes * (kMinLaneBytes + max_literal_) || text.size() > UINT32_MAX) {
            scan_sequential(p, text.size(), on_match);
            return;
        }
        if (!scan_lanes(p, text.size(), on_match)) scan_sequential(p, text.size(), on_match);
    }

private:
    // Long texts are cut into kLanes consecutive lanes walked in one interleaved loop: each
    // step's table load depends on the previous one, so independent lanes let the processor
    // overlap them. Lane j starts max_literal_ - 1 bytes early (from the root, reporting nothing)
    // so that it finds every occurrence ending inside it. Occurrences are buffered per lane and
    // reported lane by lane, which keeps them in order of their end.
    static constexpr std::size_t kLanes = 4;

    // The table entry at a byte offset (rows and classes are kept as byte offsets, which saves
    // scaling an index on every step).
    static std::uint32_t entry(const unsigned char* table, std::uint32_t byte_offset) noexcept {
        std::uint16_t v;
        std::memcpy(&v, table + byte_offset, sizeof v);
        return v;
    }
    // Shortest lane worth its warm-up (measured: from a few hundred bytes on, four lanes beat one).
    static constexpr std::size_t kMinLaneBytes = 64;
    static constexpr std::size_t kLaneHits = 128;

    struct Hit {
        std::uint16_t literal;
        std::uint32_t end;
    };

    template <class OnMatch>
    void scan_sequential(const unsigned char* p, std::size_t n, OnMatch& on_match) const {
        // Locals, so that the compiler keeps them in registers across the callback.
        const std::uint8_t* class_of = class_of_.data();
        const unsigned char* next = reinterpret_cast<const unsigned char*>(next_.data());
        const std::uint32_t first_accepting = first_accepting_;
        std::uint32_t s = 0;  // offset of the current state's row
        for (std::size_t i = 0; i < n; ++i) {
            s = entry(next, s + class_of[p[i]]);
            // Accepting states are numbered last, so one compare tells whether anything ends here.
            if (s >= first_accepting) [[unlikely]] {
                const std::size_t k = accepting_index(s - first_accepting);
                for (std::uint32_t o = out_begin_[k]; o < out_begin_[k + 1]; ++o) on_match(outputs_[o], i + 1);
            }
        }
    }

    // False when a lane had more occurrences than its buffer holds (the caller then rescans
    // sequentially: still linear, and only adversarial texts get there).
    template <class OnMatch>
    bool scan_lanes(const unsigned char* p, std::size_t n, OnMatch& on_match) const {
        const std::uint8_t* class_of = class_of_.data();
        const unsigned char* next = reinterpret_cast<const unsigned char*>(next_.data());
        const std::uint32_t first_accepting = first_accepting_;
        const std::size_t lane = n / kLanes;  // the last lane also takes the remainder
        const auto warm_up = [&](std::size_t begin) {
            std::uint32_t s = 0;
            for (std::size_t i = begin - (max_literal_ - 1); i < begin; ++i) s = entry(next, s + class_of[p[i]]);
            return s;
        };
        Hit hits[kLanes][kLaneHits];
        std::size_t count[kLanes] = {};
        bool overflow = false;
        // Rare (an occurrence ends here), so kept out of the loop's registers.
        const auto record = [&](std::size_t j, std::uint32_t s, std::size_t i) {
            const std::size_t k = accepting_index(s - first_accepting);
            for (std::uint32_t o = out_begin_[k]; o < out_begin_[k + 1]; ++o) {
                if (count[j] == kLaneHits) {
                    overflow = true;
                    return;
                }
                hits[j][count[j]++] = {outputs_[o], static_cast<std::uint32_t>(i + 1)};
            }
        };
        static_assert(kLanes == 4, "the interleaved loop below walks four lanes");
        // Four scalar states (not an array), so that they stay in registers, also in WebAssembly.
        std::uint32_t s0 = 0, s1 = warm_up(lane), s2 = warm_up(2 * lane), s3 = warm_up(3 * lane);
        const unsigned char* p1 = p + lane;
        const unsigned char* p2 = p + 2 * lane;
        const unsigned char* p3 = p + 3 * lane;
        for (std::size_t i = 0; i < lane; ++i) {
            s0 = entry(next, s0 + class_of[p[i]]);
            s1 = entry(next, s1 + class_of[p1[i]]);
            s2 = entry(next, s2 + class_of[p2[i]]);
            s3 = entry(next, s3 + class_of[p3[i]]);
            if ((s0 >= first_accepting) | (s1 >= first_accepting) | (s2 >= first_accepting) |
                (s3 >= first_accepting)) [[unlikely]] {
                if (s0 >= first_accepting) record(0, s0, i);
                if (s1 >= first_accepting) record(1, s1, lane + i);
                if (s2 >= first_accepting) record(2, s2, 2 * lane + i);
                if (s3 >= first_accepting) record(3, s3, 3 * lane + i);
            }
        }
        for (std::size_t i = kLanes * lane; i < n; ++i) {
            s3 = entry(next, s3 + class_of[p[i]]);
            if (s3 >= first_accepting) [[unlikely]] record(3, s3, i);
        }
        if (overflow) return false;
        for (std::size_t j = 0; j < kLanes; ++j)
            for (std::size_t h = 0; h < count[j]; ++h) on_match(hits[j][h].literal, std::size_t{hits[j][h].end});
        return true;
    }

    // offset / row bytes without a division: offsets are exact multiples of the row size and
    // below 2^16, so multiplying by ceil(2^32 / row bytes) and dropping 32 bits is exact.
    std::size_t accepting_index(std::uint32_t offset) const noexcept {
        return static_cast<std::size_t>((std::uint64_t{offset} * reciprocal_) >> 32);
    }

    std::array<std::uint8_t, 256> class_of_{};
    std::uint64_t reciprocal_ = 0;          // ceil(2^32 / row bytes)
    std::uint32_t classes_ = 0;
    std::uint32_t first_accepting_ = 0;     // row offset of the first accepting state
    std::size_t max_literal_ = 1;           // bytes in the longest literal
    std::vector<std::uint16_t> next_;       // state_count x classes_, entries are row byte offsets
    std::vector<std::uint16_t> out_begin_;  // per accepting state, into outputs_ (plus an end)
    std::vector<std::uint16_t> outputs_;    // literal indices
};

}  // namespace reroute::detail

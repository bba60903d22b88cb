#include "reroute/detail/matcher.hpp"

#include <algorithm>
#include <limits>

namespace reroute::detail {

LiteralMatcher::LiteralMatcher(std::span<const std::string_view> literals, bool fold_ascii_case) {
    // Byte classes: one per distinct literal byte, class 0 for all the rest.
    std::uint32_t classes = 1;
    for (std::string_view lit : literals)
        for (char ch : lit) {
            auto& c = class_of_[static_cast<unsigned char>(ch)];
            if (c == 0) c = static_cast<std::uint8_t>(classes++);
        }
    if (classes > 128) return;  // a class must stay a byte once doubled into an entry offset
    if (fold_ascii_case)
        for (int c = 'A'; c <= 'Z'; ++c) {
            if (class_of_[c] != 0) return;  // an upper-case literal byte could never match
            class_of_[c] = class_of_[c - 'A' + 'a'];
        }

    // Trie of the literals; -1 marks a missing edge.
    std::vector<std::int32_t> go(classes, -1);
    std::vector<std::vector<std::uint16_t>> out(1);
    for (std::size_t li = 0; li < literals.size(); ++li) {
        if (literals[li].empty()) return;
        max_literal_ = std::max(max_literal_, literals[li].size());
        std::size_t node = 0;
        for (char ch : literals[li]) {
            const std::size_t slot = node * classes + class_of_[static_cast<unsigned char>(ch)];
            if (go[slot] < 0) {
                go[slot] = static_cast<std::int32_t>(out.size());
                out.emplace_back();
                go.resize(go.size() + classes, -1);
            }
            node = static_cast<std::size_t>(go[slot]);
        }
        out[node].push_back(static_cast<std::uint16_t>(li));
    }
    const std::size_t states = out.size();
    // Entries are byte offsets of rows of uint16: they must fit 16 bits.
    if (states * classes * sizeof(std::uint16_t) > std::numeric_limits<std::uint16_t>::max()) return;

    // Breadth-first: failure links, outputs inherited along them, and the completed DFA (missing
    // edges take the failure state's edge, which is already complete because it is shallower).
    std::vector<std::int32_t> fail(states, 0);
    std::vector<std::size_t> order{0};
    order.reserve(states);
    for (std::uint32_t c = 0; c < classes; ++c) {
        std::int32_t& v = go[c];
        if (v < 0) { v = 0; continue; }
        order.push_back(static_cast<std::size_t>(v));
    }
    for (std::size_t qi = 1; qi < order.size(); ++qi) {
        const std::size_t u = order[qi];
        for (std::uint32_t c = 0; c < classes; ++c) {
            std::int32_t& v = go[u * classes + c];
            const std::int32_t via_fail = go[static_cast<std::size_t>(fail[u]) * classes + c];
            if (v < 0) { v = via_fail; continue; }
            fail[static_cast<std::size_t>(v)] = via_fail;
            auto& own = out[static_cast<std::size_t>(v)];
            const auto& inherited = out[static_cast<std::size_t>(via_fail)];
            own.insert(own.end(), inherited.begin(), inherited.end());
            order.push_back(static_cast<std::size_t>(v));
        }
    }

    // Renumber: non-accepting states first (root stays 0), accepting states last.
    std::vector<std::uint32_t> renum(states);
    std::uint32_t id = 0;
    for (std::size_t u : order) if (out[u].empty()) renum[u] = id++;
    const std::uint32_t first_accepting = id;
    for (std::size_t u : order) if (!out[u].empty()) renum[u] = id++;

    next_.assign(states * classes, 0);
    out_begin_.assign(states - first_accepting + 1, 0);
    for (std::size_t u = 0; u < states; ++u) {
        for (std::uint32_t c = 0; c < classes; ++c)
            next_[renum[u] * classes + c] = static_cast<std::uint16_t>(
                renum[static_cast<std::size_t>(go[u * classes + c])] * classes * sizeof(std::uint16_t));
        if (!out[u].empty()) out_begin_[renum[u] - first_accepting + 1] = static_cast<std::uint16_t>(out[u].size());
    }
    for (std::size_t k = 1; k < out_begin_.size(); ++k) out_begin_[k] = static_cast<std::uint16_t>(out_begin_[k] + out_begin_[k - 1]);
    outputs_.assign(out_begin_.back(), 0);
    for (std::size_t u = 0; u < states; ++u) {
        if (out[u].empty()) continue;
        auto& lits = out[u];
        std::sort(lits.begin(), lits.end());
        std::copy(lits.begin(), lits.end(), outputs_.begin() + out_begin_[renum[u] - first_accepting]);
    }
    // From here on a class is the byte offset of its entry within a row.
    for (auto& c : class_of_) c = static_cast<std::uint8_t>(c * sizeof(std::uint16_t));
    classes_ = classes;
    const std::uint64_t row_bytes = classes * sizeof(std::uint16_t);
    reciprocal_ = ((std::uint64_t{1} << 32) + row_bytes - 1) / row_bytes;
    first_accepting_ = static_cast<std::uint32_t>(first_accepting * row_bytes);
}

}  // namespace reroute::detail

// SeenSet: which items of one answer were written already (RFC 2181 §5: no duplicate RRs), in
// O(1) per item and with no allocation per answer: an open-addressing table of item indexes
// whose slots are emptied all at once by bumping a generation stamp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace muster::resolver::internal {

class SeenSet {
  public:
    // capacity: the most items one answer inserts; the table is twice that, a power of two.
    explicit SeenSet(size_t capacity) {
        size_t slots = 1;
        while (slots < 2 * capacity)
            slots <<= 1;
        stamp_.assign(slots, 0);
        item_.assign(slots, 0);
    }

    // Forgets every item (starts a new answer).
    void clear() {
        if (++generation_ == 0) {  // wrapped: old stamps could look current
            std::fill(stamp_.begin(), stamp_.end(), 0);
            generation_ = 1;
        }
    }

    // Inserts item `index` with `hash`; `same(other_index)` tells whether an item already in
    // the set equals it. Returns false when an equal item was there.
    template <class Same>
    bool insert(uint64_t hash, uint32_t index, Same&& same) {
        size_t mask = stamp_.size() - 1;
        for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
            if (stamp_[slot] != generation_) {
                stamp_[slot] = generation_;
                item_[slot] = index;
                return true;
            }
            if (same(item_[slot]))
                return false;
        }
    }

    // FNV-1a, fed piece by piece.
    static constexpr uint64_t hash_start = 14695981039346656037ull;
    static uint64_t hash(uint64_t h, const uint8_t* data, size_t len) {
        for (size_t i = 0; i < len; ++i)
            h = (h ^ data[i]) * 1099511628211ull;
        return h;
    }
    static uint64_t hash_lower(uint64_t h, std::string_view text) {
        for (char c : text) {
            auto b = static_cast<uint8_t>(c);
            h = (h ^ ((b >= 'A' && b <= 'Z') ? b + 32 : b)) * 1099511628211ull;
        }
        return h;
    }

  private:
    std::vector<uint32_t> stamp_;
    std::vector<uint32_t> item_;
    uint32_t generation_ = 1;
};

}  // namespace muster::resolver::internal

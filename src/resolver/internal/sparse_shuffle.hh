// SparseShuffle: the first k items of a uniformly random permutation of [0, n) in O(k) time and
// with no allocation per answer, however large n is. It is Fisher-Yates with the array kept
// sparse: only the positions a step moved are stored, in an open-addressing table whose slots
// are emptied all at once by bumping a generation stamp (as SeenSet). A service with 10,000
// healthy instances thus costs an answer what the answer writes, not what the service holds.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace muster::resolver::internal {

class SparseShuffle {
  public:
    // max_steps: the most items one permutation gives (next() past it reports done()).
    explicit SparseShuffle(size_t max_steps) : max_steps_(max_steps) {
        size_t slots = 1;
        while (slots < 2 * max_steps)
            slots <<= 1;
        stamp_.assign(slots, 0);
        key_.assign(slots, 0);
        value_.assign(slots, 0);
    }

    // Starts a new permutation of [0, n).
    void reset(uint32_t n) {
        n_ = n;
        i_ = 0;
        if (++generation_ == 0) {  // wrapped: old stamps could look current
            std::fill(stamp_.begin(), stamp_.end(), 0);
            generation_ = 1;
        }
    }

    // No item left: all n given, or max_steps.
    bool done() const { return i_ >= n_ || i_ >= max_steps_; }
    uint32_t given() const { return i_; }

    // The next item; `random` gives uniform 64-bit values. Only when !done().
    template <class Random>
    uint32_t next(Random&& random) {
        // Step i of Fisher-Yates: a uniformly chosen position j of [i, n) gives its item, and
        // position i's item moves to j. Position i is never read again, so it is not stored.
        const uint32_t j = i_ + below(random(), n_ - i_);
        const uint32_t item = at(j);
        if (j != i_)
            put(j, at(i_));
        ++i_;
        return item;
    }

    // A value of [0, n) from 64 random bits by multiplying (Lemire 2019), not by a division:
    // a shuffle of 1,000 answers did 1,000 64-bit divisions. The bias is below n / 2^32.
    static uint32_t below(uint64_t random, uint32_t n) {
        return static_cast<uint32_t>(((random >> 32) * n) >> 32);
    }

  private:
    size_t find(uint32_t pos) const {
        const size_t mask = stamp_.size() - 1;
        size_t slot = (pos * 0x9E3779B1u) & mask;
        while (stamp_[slot] == generation_ && key_[slot] != pos)
            slot = (slot + 1) & mask;
        return slot;
    }
    uint32_t at(uint32_t pos) const {
        const size_t slot = find(pos);
        return stamp_[slot] == generation_ ? value_[slot] : pos;
    }
    void put(uint32_t pos, uint32_t item) {
        const size_t slot = find(pos);
        stamp_[slot] = generation_;
        key_[slot] = pos;
        value_[slot] = item;
    }

    size_t max_steps_;
    std::vector<uint32_t> stamp_, key_, value_;
    uint32_t generation_ = 1;
    uint32_t n_ = 0, i_ = 0;
};

}  // namespace muster::resolver::internal

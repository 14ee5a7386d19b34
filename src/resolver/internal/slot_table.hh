// SlotTable: per-query records kept in a slab and reused through a free list, addressed by
// generation-checked handles, so a miss does not allocate its bookkeeping (NSD's and Unbound's
// preallocated query structures).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "common/result.hh"

namespace muster::resolver::internal {

// Records live in a deque: a reference stays valid while the table does, also across later
// acquires. A released record keeps its members as they were (a vector keeps its capacity);
// whoever acquires it sets every field it uses. A handle is generation << 32 | index; a slot's
// generation changes on release, so an old handle finds nothing. Generations
// start at 1: no handle is 0.
template <class T>
class SlotTable {
  public:
    static constexpr uint64_t no_handle = 0;

    struct Acquired {
        uint64_t handle;
        T& value;
    };

    // A free record, or a new one when every record is in use (the only allocation).
    Acquired acquire() {
        uint32_t index;
        if (!free_.empty()) {
            index = free_.back();
            free_.pop_back();
        } else {
            index = static_cast<uint32_t>(slots_.size());
            slots_.emplace_back();
        }
        Slot& s = slots_[index];
        s.live = true;
        ++live_;
        return {make_handle(s.generation, index), s.value};
    }

    // The record `handle` names; null when it was released or renewed since.
    T* find(uint64_t handle) {
        Slot* s = slot(handle);
        return s ? &s->value : nullptr;
    }

    // The record a live handle names; a stale handle is a broken invariant.
    T& get(uint64_t handle) { return const_cast<T&>(std::as_const(*this).get(handle)); }
    const T& get(uint64_t handle) const {
        const Slot* s = slot(handle);
        if (!s)
            MUSTER_PANIC("stale slot handle");
        return s->value;
    }

    // Returns the record to the free list; a stale handle is ignored.
    void release(uint64_t handle) {
        Slot* s = slot(handle);
        if (!s)
            return;
        s->live = false;
        next_generation(*s);
        --live_;
        free_.push_back(index_of(handle));
    }

    size_t size() const { return live_; }              // records in use
    size_t capacity() const { return slots_.size(); }  // records made so far

    // A record's position: the low 32 bits of its handle.
    static uint32_t index_of(uint64_t handle) { return static_cast<uint32_t>(handle); }

    // For sweeps over every record in use, by position i < capacity(): the handle of the
    // record there, or no_handle when it is free. Records acquired during a sweep may appear.
    uint64_t handle_at(size_t i) const {
        const Slot& s = slots_[i];
        return s.live ? make_handle(s.generation, static_cast<uint32_t>(i)) : no_handle;
    }

  private:
    struct Slot {
        T value{};
        uint32_t generation = 1;
        bool live = false;
    };

    static uint64_t make_handle(uint32_t generation, uint32_t index) {
        return uint64_t{generation} << 32 | index;
    }
    static void next_generation(Slot& s) {
        if (++s.generation == 0)
            s.generation = 1;
    }

    const Slot* slot(uint64_t handle) const {
        uint32_t index = index_of(handle);
        if (index >= slots_.size())
            return nullptr;
        const Slot& s = slots_[index];
        if (!s.live || s.generation != static_cast<uint32_t>(handle >> 32))
            return nullptr;
        return &s;
    }
    Slot* slot(uint64_t handle) { return const_cast<Slot*>(std::as_const(*this).slot(handle)); }

    std::deque<Slot> slots_;
    std::vector<uint32_t> free_;
    size_t live_ = 0;
};

}  // namespace muster::resolver::internal

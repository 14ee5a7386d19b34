// Cache of forwarded answers: keyed by (qname, qtype, qclass, DO), TTLs count down, LRU-bounded,
// negative entries per RFC 2308, stale entries kept for RFC 8767. Shared by all workers:
// sharded, one mutex per shard; a hit renders straight into the caller's buffer (no heap).
// Operators flush it whole, by name or by zone (`muster cache flush`), from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.hh"
#include "dns/response.hh"
#include "dns/wire.hh"
#include "resolver/options.hh"

namespace muster::resolver {

// The cache key, built on the stack: qtype, qclass, DO bit, lowercased qname wire.
class CacheKey {
  public:
    CacheKey(const dns::Name& qname_lower, uint16_t qtype, uint16_t qclass, bool do_bit);
    std::string_view view() const { return {reinterpret_cast<const char*>(bytes_), len_}; }
    size_t hash() const;
    // Where the qname starts in view(), after qtype, qclass and the DO bit.
    static constexpr size_t name_offset = 5;
    // The longest view(): a maximal qname.
    static constexpr size_t max_size = name_offset + dns::max_name_wire;

  private:
    uint8_t bytes_[max_size];
    size_t len_;
};

enum class CacheState { miss, fresh, stale };

struct CacheLookup {
    CacheState state = CacheState::miss;
    size_t length = 0;          // bytes rendered into the output (fresh, or stale when asked)
    bool prefetch_due = false;  // fresh, but close to expiry: the caller should refresh it
};

enum class StaleUse { never, serve };

// What flush() removes besides the name's own entries.
enum class FlushScope {
    name,  // exactly that owner name (every type, class and DO bit)
    zone,  // the name and every name below it, as Unbound's flush_zone
};

class Cache {
  public:
    Cache(const CacheOptions& options, const Clock& clock);

    // Looks the key up and, on a fresh hit (or a stale one with StaleUse::serve, within
    // stale_max_age), renders the answer for `client` into out (limit = the client's size).
    // A stale render carries EDE 3 "Stale Answer" when the client speaks EDNS.
    CacheLookup lookup(const CacheKey& key, const dns::Query& client, const dns::EdnsOut& edns,
                       std::span<uint8_t> out, size_t limit, StaleUse stale);

    // Stores an upstream answer that parse_response found cacheable. TTLs are clamped to
    // [min_ttl, max_ttl] (negative answers: the SOA-derived TTL, capped by negative_max_ttl).
    void store(const CacheKey& key, std::span<const uint8_t> msg, const dns::ResponseInfo& info);

    // Marks a fresh entry as being prefetched (counted in stats().prefetches); false when
    // already marked or gone.
    bool claim_prefetch(const CacheKey& key);

    size_t size() const;
    uint64_t capacity() const { return options_.size; }  // the most entries it keeps
    // Removes every entry; returns how many there were.
    size_t clear();
    // Removes the entries of `name` (case-insensitive), or of the zone it heads; returns how
    // many. Locks one shard at a time, as a store does, so workers wait at most one shard's scan.
    size_t flush(const dns::Name& name, FlushScope scope);

    struct Stats {
        std::atomic<uint64_t> hits{0}, misses{0}, stale_hits{0}, inserts{0}, evictions{0};
        std::atomic<uint64_t> prefetches{0};  // refreshes claimed ahead of expiry
    };
    const Stats& stats() const { return stats_; }

  private:
    uint32_t entry_ttl(const dns::ResponseInfo& info) const;
    struct Entry {
        std::string key;
        std::vector<uint8_t> body;
        std::vector<uint16_t> ttl_offsets;
        TimePoint stored_at;
        uint32_t ttl = 0;  // seconds the entry is fresh
        bool prefetching = false;
        Entry* prev = nullptr;  // LRU: head is most recent
        Entry* next = nullptr;
    };
    struct Shard {
        std::mutex mu;
        std::unordered_map<std::string_view, std::unique_ptr<Entry>> map;
        Entry* head = nullptr;
        Entry* tail = nullptr;
        void unlink(Entry* e);
        void push_front(Entry* e);
    };
    static constexpr size_t max_shards = 16;

    Shard& shard_for(const CacheKey& key) { return shards_[key.hash() % shard_count_]; }

    CacheOptions options_;
    const Clock& clock_;
    size_t shard_count_;      // min(size, max_shards): no shard is ever without room
    size_t per_shard_limit_;  // the limits add up to exactly options.size
    mutable std::unique_ptr<Shard[]> shards_;
    mutable Stats stats_;
};

}  // namespace muster::resolver

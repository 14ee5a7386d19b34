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

    // One cached answer in one heap block: this header, then the TTL offsets, the key and the
    // body (the answer without OPT). Linked into its shard's LRU list (which owns it) and into
    // one hash bucket's chain, as Unbound's lruhash: nothing is allocated per entry but it.
    struct Entry {
        Entry* prev = nullptr;  // LRU: head is most recent
        Entry* next = nullptr;
        Entry* chain = nullptr;  // the next entry in the same bucket
        size_t hash = 0;         // of key()
        TimePoint stored_at;
        uint32_t ttl = 0;  // seconds the entry is fresh
        bool prefetching = false;
        uint16_t ttl_count = 0;
        uint16_t key_len = 0;
        uint32_t body_len = 0;

        // A new entry with room for the sizes given; free it with destroy().
        static Entry* make(size_t key_len, size_t body_len, size_t ttl_count);
        static void destroy(Entry* e);
        std::span<uint16_t> ttl_offsets() {
            return {reinterpret_cast<uint16_t*>(trailer()), ttl_count};
        }
        std::span<char> key_bytes() {
            return {reinterpret_cast<char*>(trailer() + ttl_count * sizeof(uint16_t)), key_len};
        }
        std::string_view key() const {
            auto* t = reinterpret_cast<const char*>(this + 1);
            return {t + ttl_count * sizeof(uint16_t), key_len};
        }
        std::span<uint8_t> body() {
            return {trailer() + ttl_count * sizeof(uint16_t) + key_len, body_len};
        }

      private:
        uint8_t* trailer() { return reinterpret_cast<uint8_t*>(this + 1); }
    };
    struct EntryDeleter {
        void operator()(Entry* e) const { Entry::destroy(e); }
    };
    using EntryPtr = std::unique_ptr<Entry, EntryDeleter>;

    struct Shard {
        Shard() = default;
        Shard(const Shard&) = delete;
        Shard& operator=(const Shard&) = delete;
        ~Shard() { clear(); }

        std::mutex mu;
        std::vector<Entry*> buckets;  // a power of two; grows with count
        unsigned bucket_bits = 0;
        size_t count = 0;
        Entry* head = nullptr;
        Entry* tail = nullptr;

        Entry* find(std::string_view key, size_t hash) const;
        void insert(EntryPtr e);  // the key must not be there
        void remove(Entry* e);    // unlinks and frees it
        void clear();
        void unlink(Entry* e);  // from the LRU list only
        void push_front(Entry* e);

      private:
        // Fibonacci hashing: the shard was picked by hash % shards, so the bucket takes the
        // product's high bits.
        size_t index(size_t hash) const {
            return static_cast<size_t>((hash * 0x9E3779B97F4A7C15ULL) >> (64 - bucket_bits));
        }
        void grow();
    };
    static constexpr size_t max_shards = 16;

    Shard& shard_for(size_t key_hash) { return shards_[key_hash % shard_count_]; }

    CacheOptions options_;
    const Clock& clock_;
    size_t shard_count_;      // min(size, max_shards): no shard is ever without room
    size_t per_shard_limit_;  // the limits add up to exactly options.size
    mutable std::unique_ptr<Shard[]> shards_;
    mutable Stats stats_;
};

}  // namespace muster::resolver

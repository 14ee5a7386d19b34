// Cache of forwarded answers (RFC 2308 negative caching, RFC 8767 serve-stale).
#include "resolver/cache.hh"

#include <algorithm>
#include <cstring>
#include <new>

namespace muster::resolver {

CacheKey::CacheKey(const dns::Name& qname_lower, uint16_t qtype, uint16_t qclass, bool do_bit) {
    dns::put16(bytes_, qtype);
    dns::put16(bytes_ + 2, qclass);
    bytes_[4] = do_bit ? 1 : 0;
    std::memcpy(bytes_ + name_offset, qname_lower.data(), qname_lower.size());
    len_ = name_offset + qname_lower.size();
}

size_t CacheKey::hash() const {
    return std::hash<std::string_view>{}(view());
}

Cache::Cache(const CacheOptions& options, const Clock& clock)
    : options_(options),
      clock_(clock),
      shard_count_(std::clamp<size_t>(options.size, 1, max_shards)),
      per_shard_limit_(options.size / shard_count_),
      shards_(std::make_unique<Shard[]>(shard_count_)) {}

Cache::Entry* Cache::Entry::make(size_t key_len, size_t body_len, size_t ttl_count) {
    void* block = ::operator new(sizeof(Entry) + ttl_count * sizeof(uint16_t) + key_len + body_len);
    auto* e = new (block) Entry;
    e->ttl_count = static_cast<uint16_t>(ttl_count);
    e->key_len = static_cast<uint16_t>(key_len);
    e->body_len = static_cast<uint32_t>(body_len);
    return e;
}

void Cache::Entry::destroy(Entry* e) {
    e->~Entry();
    ::operator delete(static_cast<void*>(e));
}

Cache::Entry* Cache::Shard::find(std::string_view key, size_t hash) const {
    if (buckets.empty())
        return nullptr;
    for (Entry* e = buckets[index(hash)]; e; e = e->chain)
        if (e->hash == hash && e->key() == key)
            return e;
    return nullptr;
}

void Cache::Shard::insert(EntryPtr owned) {
    if (count >= buckets.size())
        grow();  // load factor at most 1
    Entry* e = owned.release();
    Entry*& b = buckets[index(e->hash)];
    e->chain = b;
    b = e;
    ++count;
    push_front(e);
}

void Cache::Shard::remove(Entry* e) {
    for (Entry** p = &buckets[index(e->hash)]; *p; p = &(*p)->chain) {
        if (*p == e) {
            *p = e->chain;
            break;
        }
    }
    unlink(e);
    --count;
    Entry::destroy(e);
}

void Cache::Shard::clear() {
    while (head)
        remove(head);
}

void Cache::Shard::grow() {
    std::vector<Entry*> old = std::move(buckets);
    bucket_bits = old.empty() ? 6 : bucket_bits + 1;
    buckets.assign(size_t{1} << bucket_bits, nullptr);
    for (Entry* chain : old) {
        while (chain) {
            Entry* e = chain;
            chain = e->chain;
            Entry*& b = buckets[index(e->hash)];
            e->chain = b;
            b = e;
        }
    }
}

void Cache::Shard::unlink(Entry* e) {
    if (e->prev)
        e->prev->next = e->next;
    else
        head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        tail = e->prev;
    e->prev = e->next = nullptr;
}

void Cache::Shard::push_front(Entry* e) {
    e->prev = nullptr;
    e->next = head;
    if (head)
        head->prev = e;
    head = e;
    if (!tail)
        tail = e;
}

namespace {
uint32_t seconds_since(TimePoint then, TimePoint now) {
    if (now <= then)
        return 0;
    auto s = std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
    return s > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(s);
}
}  // namespace

CacheLookup Cache::lookup(const CacheKey& key, const dns::Query& client, const dns::EdnsOut& edns,
                          std::span<uint8_t> out, size_t limit, StaleUse stale) {
    CacheLookup result;
    const size_t hash = key.hash();
    Shard& sh = shard_for(hash);
    std::lock_guard lock(sh.mu);
    Entry* e = sh.find(key.view(), hash);
    if (!e) {
        stats_.misses.fetch_add(1, std::memory_order_relaxed);
        return result;
    }
    uint32_t age = seconds_since(e->stored_at, clock_.now());
    dns::RenderParams params;
    params.edns = edns;
    if (age < e->ttl) {
        params.elapsed_s = age;
        result.state = CacheState::fresh;
        // Prefetch in the last tenth of the TTL, as Unbound does (prefetch: yes).
        uint32_t remaining = e->ttl - age;
        result.prefetch_due =
            options_.prefetch && !e->prefetching && e->ttl >= 10 && remaining * 10 <= e->ttl;
        stats_.hits.fetch_add(1, std::memory_order_relaxed);
    } else {
        uint64_t past = age - e->ttl;
        if (!options_.serve_stale || past > static_cast<uint64_t>(options_.stale_max_age.count())) {
            // Too old to ever serve again: drop it now.
            sh.remove(e);
            stats_.misses.fetch_add(1, std::memory_order_relaxed);
            return result;
        }
        result.state = CacheState::stale;
        if (stale == StaleUse::never)
            return result;
        params.stale = true;  // RFC 8767 §4: stale answers carry a TTL of 30 s
        if (params.edns.present) {
            params.edns.has_ede = true;
            params.edns.ede_code = dns::ede::stale_answer;  // RFC 8914 §4.4
        }
        stats_.stale_hits.fetch_add(1, std::memory_order_relaxed);
    }
    sh.unlink(e);
    sh.push_front(e);
    result.length = dns::render_stored(e->body(), e->ttl_offsets(), client, params, out, limit);
    return result;
}

// How long an answer stays: negative answers up to negative_max_ttl, others within
// [min_ttl, max_ttl].
uint32_t Cache::entry_ttl(const dns::ResponseInfo& info) const {
    if (info.negative)
        return std::min<uint32_t>(info.ttl,
                                  static_cast<uint32_t>(options_.negative_max_ttl.count()));
    return std::clamp<uint32_t>(info.ttl, static_cast<uint32_t>(options_.min_ttl.count()),
                                static_cast<uint32_t>(options_.max_ttl.count()));
}

void Cache::store(const CacheKey& key, std::span<const uint8_t> msg,
                  const dns::ResponseInfo& info) {
    if (!info.cacheable || info.body_end > msg.size())
        return;
    if (info.negative && !info.has_soa)
        return;  // RFC 2308 §5: no SOA, no negative caching
    const uint32_t ttl = entry_ttl(info);
    if (ttl == 0)
        return;

    const size_t hash = key.hash();
    EntryPtr e(Entry::make(key.view().size(), info.body_end, info.ttl_count));
    e->hash = hash;
    std::ranges::copy(key.view(), e->key_bytes().begin());
    std::span<uint8_t> body = e->body();
    std::copy_n(msg.begin(), info.body_end, body.begin());
    dns::strip_opt_header(body, info);
    std::span<uint16_t> offsets = e->ttl_offsets();
    std::copy_n(info.ttl_offsets, info.ttl_count, offsets.begin());
    // Every RR's TTL is clamped to the entry's life, so no client is told to keep a record
    // longer than we would (max_ttl) and none counts down past 0 before the entry expires.
    for (uint16_t off : offsets) {
        if (off + 4u > body.size())
            return;
        uint32_t rr_ttl = dns::get32(&body[off]);
        if (info.negative || rr_ttl > ttl)
            rr_ttl = ttl;
        if (rr_ttl < options_.min_ttl.count())
            rr_ttl = ttl;
        dns::put32(&body[off], rr_ttl);
    }
    e->stored_at = clock_.now();
    e->ttl = ttl;

    Shard& sh = shard_for(hash);
    // The shard limits add up to exactly options.size: each shard holds size/shard_count_, the
    // first size%shard_count_ one more; with shard_count_ <= size every shard has room.
    auto index = static_cast<size_t>(&sh - shards_.get());
    size_t limit =
        std::max<size_t>(1, per_shard_limit_ + (index < options_.size % shard_count_ ? 1 : 0));
    std::lock_guard lock(sh.mu);
    if (Entry* old = sh.find(key.view(), hash))
        sh.remove(old);
    while (sh.count >= limit && sh.tail) {
        sh.remove(sh.tail);
        stats_.evictions.fetch_add(1, std::memory_order_relaxed);
    }
    sh.insert(std::move(e));
    stats_.inserts.fetch_add(1, std::memory_order_relaxed);
}

bool Cache::claim_prefetch(const CacheKey& key) {
    const size_t hash = key.hash();
    Shard& sh = shard_for(hash);
    std::lock_guard lock(sh.mu);
    Entry* e = sh.find(key.view(), hash);
    if (!e || e->prefetching)
        return false;
    e->prefetching = true;
    stats_.prefetches.fetch_add(1, std::memory_order_relaxed);
    return true;
}

size_t Cache::size() const {
    size_t n = 0;
    for (size_t i = 0; i < shard_count_; ++i) {
        Shard& sh = shards_[i];
        std::lock_guard lock(sh.mu);
        n += sh.count;
    }
    return n;
}

size_t Cache::clear() {
    size_t removed = 0;
    for (size_t i = 0; i < shard_count_; ++i) {
        Shard& sh = shards_[i];
        std::lock_guard lock(sh.mu);
        removed += sh.count;
        sh.clear();
    }
    return removed;
}

namespace {
// The owner name of a stored key (its lowercased qname wire).
std::span<const uint8_t> key_name(std::string_view key) {
    return {reinterpret_cast<const uint8_t*>(key.data()) + CacheKey::name_offset,
            key.size() - CacheKey::name_offset};
}

bool flush_matches(std::span<const uint8_t> owner, const dns::Name& name, FlushScope scope) {
    if (scope == FlushScope::name)
        return std::ranges::equal(owner, name.wire());
    dns::Name n;
    return n.assign_wire(owner) && n.is_subdomain_of(name);
}
}  // namespace

size_t Cache::flush(const dns::Name& name, FlushScope scope) {
    dns::Name lower = name;
    lower.lowercase();  // keys hold the lowercased qname
    size_t removed = 0;
    for (size_t i = 0; i < shard_count_; ++i) {
        Shard& sh = shards_[i];
        std::lock_guard lock(sh.mu);
        for (Entry* e = sh.head; e;) {
            Entry* next = e->next;
            if (flush_matches(key_name(e->key()), lower, scope)) {
                sh.remove(e);
                ++removed;
            }
            e = next;
        }
    }
    return removed;
}

}  // namespace muster::resolver

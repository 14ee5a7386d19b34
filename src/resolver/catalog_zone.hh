// CatalogZone: answers the catalog's DNS names (docs/design.md "DNS names") from the catalog store,
// authoritatively, with no heap allocation per query. One per worker thread: it owns that
// thread's DnsReader, a PRNG for shuffling and the scratch arrays an answer is built in.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/dns_record.hh"
#include "catalog/store.hh"
#include "dns/response_writer.hh"
#include "dns/wire.hh"
#include "resolver/catalog_name.hh"
#include "resolver/internal/seen_set.hh"
#include "resolver/internal/sparse_shuffle.hh"
#include "resolver/options.hh"

namespace muster::resolver {

// The TTL of a service's answers: the rule naming it exactly, else the longest matching
// "prefix*", else "*", else 0. Names compare ASCII case-insensitively.
std::chrono::seconds select_service_ttl(std::span<const TtlRule> rules, std::string_view service);

class CatalogZone {
  public:
    // The most instances (or addresses) one answer draws from the eligible ones, at random:
    // more than fit a 64 KiB TCP answer, so only a tagged A/AAAA query whose instances share a
    // few addresses or are mostly of the other family can stop short of them.
    static constexpr size_t max_instances = 4096;

    // options (with a non-null source) must outlive the zone. `seed` seeds the shuffle.
    CatalogZone(const CatalogOptions& options, uint64_t seed);
    ~CatalogZone();
    CatalogZone(const CatalogZone&) = delete;
    CatalogZone& operator=(const CatalogZone&) = delete;

    enum class Outcome { not_ours, answered };
    // Answers q when it names the catalog: begins w and writes the whole answer (AA set, plus
    // extra_flags). not_ours leaves w untouched: names outside the zone, reverse names with no
    // catalog entry, and (with forward_unknown_in_domain) names under the domain that are not
    // of the grammar.
    Outcome answer(const dns::Query& q, dns::ResponseWriter& w, const dns::EdnsOut& edns,
                   uint16_t extra_flags);

    // Bracket a batch of answer() calls (Stage::batch_begin): the first catalog answer of the
    // batch takes the read snapshot and batch_end() releases it, so a batch costs one snapshot
    // (mdb_txn_renew and the index read) instead of one per query, and a change is visible to
    // the next batch. Outside a batch every answer takes and releases its own snapshot.
    void batch_begin() { in_batch_ = true; }
    void batch_end();

  private:
    struct Reply;
    struct Eligible;
    class ReadScope;

    bool stale() const;
    void negative(Reply& r, uint8_t rcode);
    void add_soa(Reply& r, dns::Section section);
    void answer_apex(Reply& r);
    void answer_node(Reply& r, const CatalogName& n);
    bool add_meta_txt(Reply& r, const catalog::NodeView& node, dns::Section section, uint32_t ttl);
    void answer_service(Reply& r, const CatalogName& n);
    void answer_addr(Reply& r, const CatalogName& n);
    bool answer_reverse(Reply& r, const CatalogName& n);
    bool add_addresses(Reply& r, const Eligible& e, uint8_t family, uint32_t ttl);
    bool add_srv(Reply& r, const Eligible& e, uint32_t ttl);
    // The target of instance i's SRV record: <node>.node.<dc>.<domain> or <hex>.addr....
    bool srv_target(const Reply& r, const catalog::InstanceView& inst, dns::Name& out) const;
    bool node_target(std::string_view node, const dns::Name& domain, dns::Name& out) const;
    uint64_t random();
    // Fisher-Yates over a run of RRs that differ only in their RdLen-byte rdata (their last
    // bytes): the rdata moves, with sizes the compiler knows. One random value gives two steps
    // (SparseShuffle::below reads the top 32 bits; positions are below 2^16).
    template <size_t RdLen>
    void shuffle_rdata(std::span<uint8_t> rrs, size_t rr_size) {
        const size_t n = rrs.size() / rr_size;
        uint8_t* last = rrs.data() + rr_size - RdLen;  // rdata 0
        uint64_t bits = 0;
        for (size_t i = n - 1; i > 0; --i) {
            bits = ((n - 1 - i) & 1) == 0 ? random() : bits << 32;
            const size_t j = internal::SparseShuffle::below(bits, static_cast<uint32_t>(i + 1));
            uint8_t tmp[RdLen];
            std::memcpy(tmp, last + i * rr_size, RdLen);
            std::memcpy(last + i * rr_size, last + j * rr_size, RdLen);
            std::memcpy(last + j * rr_size, tmp, RdLen);
        }
    }

    const CatalogOptions& options_;
    std::unique_ptr<catalog::DnsReader> reader_;  // made on first use, on the worker's thread
    bool in_batch_ = false;                       // between batch_begin() and batch_end()
    bool snapshot_open_ = false;                  // reader_->begin() without end()
    std::string domain_text_;                     // the domain, lowercase, no trailing dot
    uint64_t rng_;
    std::vector<catalog::InstanceView> instances_;    // max_instances, allocated once
    std::vector<catalog::IpBytes> addrs_;             // max_instances, allocated once
    internal::SeenSet seen_{max_instances};           // duplicates within one answer
    internal::SparseShuffle shuffle_{max_instances};  // the random order of one answer
    // The SRV targets of an answer's first instances, built once for the SRV and its glue.
    static constexpr size_t max_kept_targets = 256;
    std::vector<dns::Name> targets_ = std::vector<dns::Name>(max_kept_targets);
};

}  // namespace muster::resolver

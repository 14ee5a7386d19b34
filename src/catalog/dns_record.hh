// The catalog as DNS reads it: per service and per node, a flat byte record materialised by
// the store inside the same write transaction as every change, so a DNS query is one LMDB
// lookup and a few reads at known offsets, with no decoding into heap objects (the hot path
// allocates nothing). Encoders are used by the store (and tests); decoders by resolver/.
//
// All integers little-endian; strings are u8 length + bytes, so at most 255 bytes (longer node
// names or tags are not representable in DNS labels anyway and are skipped).
//
// ServiceRecord (version 2), laid out so that an answer costs what it writes, not what the
// service holds (issue 18: a service with 10,000 instances answers as fast as one with 10):
//   header:    u8 version(=2) | u32 size (the record's, in bytes) | u32 count | u32 passing
//              | u32 warning | u32 addrs_at | u32 tags_at
//   offsets:   count × u32, where instance i starts
//   instances: passing ones first, then warning, then critical; within each, in the order given
//     instance: u8 health | u8 family(0,4,6) | u8 addr[16] | u8 flags | u16 port
//               | u16 weight_passing | u16 weight_warning | str node | u8 ntags | ntags × str
//     flags bit 0: the instance has its own address (not the node's): SRV target is .addr.
//   addrs_at:  for family 4, then 6: u32 passing | u32 warning | (passing + warning) × address
//              (4 or 16 bytes): the distinct addresses of passing instances, then those only
//              warning instances have; in instance order
//   tags_at:   u32 ntags | ntags × u32 entry offset, sorted by tag | entries:
//              str tag (ASCII lowercase) | u32 passing | u32 warning | (passing + warning) × u32
//              instance number (ascending: the passing ones first) of the instances with the tag
// NodeRecord: u8 version(=1) | u8 family | u8 addr[16] | str name | u8 nmeta | nmeta × (str key,
//   str value)
// PtrRecord: u8 version(=1) | u8 count | count × (u8 kind(0 node, 1 service) | str name)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "catalog/model.hh"

namespace muster::catalog {

inline constexpr uint8_t dns_record_version = 1;      // NodeRecord and PtrRecord
inline constexpr uint8_t service_record_version = 2;  // ServiceRecord

struct IpBytes {
    uint8_t family = 0;  // 0: not an IP literal (not answerable), 4 or 6
    uint8_t bytes[16] = {};
    std::span<const uint8_t> span() const {
        return {bytes, family == 4 ? 4u : family == 6 ? 16u : 0u};
    }
};
// Parses an IPv4/IPv6 literal; family 0 for anything else.
IpBytes ip_bytes(std::string_view text);

// One service instance as DNS sees it: views into the record's bytes.
struct InstanceView {
    Status health = Status::passing;  // aggregate of the instance's and its node's checks
    IpBytes addr;
    bool own_address = false;
    uint16_t port = 0;
    uint16_t weight_passing = 1;
    uint16_t weight_warning = 1;
    std::string_view node;
    uint8_t tag_count = 0;
    std::span<const uint8_t> tags;             // tag_count × (u8 len, bytes); use has_tag()
    bool has_tag(std::string_view tag) const;  // ASCII case-insensitive
};

// Decodes one instance's bytes (the instance layout above); false when malformed.
bool read_instance(std::span<const uint8_t> bytes, InstanceView& out);

// A ServiceRecord read in place. Construction checks the header and the record's size (O(1));
// every access checks its own bounds, so malformed bytes give no instance, never a read past
// the end. The store only writes well-formed records.
class ServiceRecord {
  public:
    explicit ServiceRecord(std::span<const uint8_t> bytes);
    bool valid() const { return valid_; }
    uint32_t count() const { return count_; }
    uint32_t passing() const { return passing_; }  // instances [0, passing) pass
    uint32_t warning() const { return warning_; }  // then [passing, passing + warning) warn
    // The instances a query may answer with: [0, eligible).
    uint32_t eligible(bool only_passing) const {
        return only_passing ? passing_ : passing_ + warning_;
    }
    // Instance i (in the record's health order); false when i is out of range or malformed.
    bool instance(uint32_t i, InstanceView& out) const;

    // The distinct addresses of one family: [0, passing) have a passing instance, [passing,
    // passing + warning) only warning ones.
    struct Addresses {
        std::span<const uint8_t> bytes;
        uint8_t family = 0;
        uint32_t passing = 0, warning = 0;
        uint32_t eligible(bool only_passing) const {
            return only_passing ? passing : passing + warning;
        }
        IpBytes at(uint32_t i) const;  // i < passing + warning
    };
    Addresses addresses(uint8_t family) const;  // 4 or 6; empty when malformed

    // The instances that carry one tag, as instance numbers: [0, passing) are passing ones.
    struct Tagged {
        std::span<const uint8_t> numbers;
        uint32_t passing = 0, warning = 0;
        uint32_t eligible(bool only_passing) const {
            return only_passing ? passing : passing + warning;
        }
        uint32_t at(uint32_t i) const;  // i < passing + warning
    };
    // `tag` ASCII lowercase; a binary search over the service's distinct tags.
    Tagged tagged(std::string_view tag) const;

  private:
    std::span<const uint8_t> bytes_;
    uint32_t count_ = 0, passing_ = 0, warning_ = 0, addrs_at_ = 0, tags_at_ = 0;
    bool valid_ = false;
};

// Iterates the instances of a ServiceRecord in order without allocating. Malformed bytes end
// the walk (valid() turns false).
class ServiceRecordReader {
  public:
    explicit ServiceRecordReader(std::span<const uint8_t> bytes) : record_(bytes) {}
    bool valid() const { return valid_ && record_.valid(); }
    uint32_t count() const { return record_.count(); }
    // Fills `out` with the next instance; false at the end or on malformed bytes.
    bool next(InstanceView& out);

  private:
    ServiceRecord record_;
    uint32_t next_ = 0;
    bool valid_ = true;
};

struct NodeView {
    IpBytes addr;
    std::string_view name;
    uint8_t meta_count = 0;
    std::span<const uint8_t> meta;  // meta_count × (str key, str value)
};
std::optional<NodeView> read_node_record(std::span<const uint8_t> bytes);
// Calls fn(key, value) for each meta pair of a NodeView.
template <class Fn>
void for_each_meta(const NodeView& node, Fn&& fn);

enum class PtrKind : uint8_t { node = 0, service = 1 };
// Calls fn(PtrKind, name) for each entry; false on malformed bytes.
template <class Fn>
bool for_each_ptr(std::span<const uint8_t> bytes, Fn&& fn);

// Encoders (store side).
struct InstanceData {
    Status health = Status::passing;
    IpBytes addr;
    bool own_address = false;
    uint16_t port = 0;
    Weights weights;
    std::string node;
    std::vector<std::string> tags;
};
// One instance's bytes of a ServiceRecord; empty when it cannot be represented (a node name
// longer than 255 bytes).
std::vector<uint8_t> encode_instance(const InstanceData& instance);
// A ServiceRecord of instances already encoded (encode_instance); within each health, in the
// given order. Malformed instances are left out. `out` is replaced.
void build_service_record(std::span<const std::span<const uint8_t>> instances,
                          std::vector<uint8_t>& out);
// encode_instance of each, then build_service_record.
std::vector<uint8_t> encode_service_record(std::span<const InstanceData> instances);
std::vector<uint8_t> encode_node_record(const Node& node);
std::vector<uint8_t> encode_ptr_record(std::span<const std::pair<PtrKind, std::string>> entries);

}  // namespace muster::catalog

#include "catalog/internal/dns_record_inl.hh"

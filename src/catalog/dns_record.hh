// The catalog as DNS reads it: per service and per node, a flat byte record materialised by
// the store inside the same write transaction as every change, so a DNS query is one LMDB
// lookup and a walk over bytes, with no decoding into heap objects (the hot path allocates
// nothing). Encoders are used by the store (and tests); decoders by resolver/.
//
// Layout (all integers little-endian; strings are u8 length + bytes, so at most 255 bytes;
// longer node names or tags are not representable in DNS labels anyway and are skipped):
//   ServiceRecord: u8 version(=1) | u32 count | count × instance
//     instance: u8 health | u8 family(0,4,6) | u8 addr[16] | u8 flags | u16 port
//               | u16 weight_passing | u16 weight_warning | str node | u8 ntags | ntags × str
//     flags bit 0: the instance has its own address (not the node's): SRV target is .addr.
//   NodeRecord: u8 version(=1) | u8 family | u8 addr[16] | str name | u8 nmeta | nmeta × (str key,
//   str value) PtrRecord: u8 version(=1) | u8 count | count × (u8 kind(0 node, 1 service) | str
//   name)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "catalog/model.hh"

namespace muster::catalog {

inline constexpr uint8_t dns_record_version = 1;

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

// Iterates the instances of a ServiceRecord without allocating. Malformed bytes end the walk
// (valid() turns false); the store only writes well-formed records.
class ServiceRecordReader {
  public:
    explicit ServiceRecordReader(std::span<const uint8_t> bytes);
    bool valid() const { return valid_; }
    uint32_t count() const { return count_; }
    // Fills `out` with the next instance; false at the end or on malformed bytes.
    bool next(InstanceView& out);

  private:
    std::span<const uint8_t> rest_;
    uint32_t count_ = 0;      // instances the record declares
    uint32_t remaining_ = 0;  // of those, not yet returned by next()
    bool valid_ = false;
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

// Encoders (store side). Instances are written in the given order.
struct InstanceData {
    Status health = Status::passing;
    IpBytes addr;
    bool own_address = false;
    uint16_t port = 0;
    Weights weights;
    std::string node;
    std::vector<std::string> tags;
};
std::vector<uint8_t> encode_service_record(std::span<const InstanceData> instances);
std::vector<uint8_t> encode_node_record(const Node& node);
std::vector<uint8_t> encode_ptr_record(std::span<const std::pair<PtrKind, std::string>> entries);

}  // namespace muster::catalog

#include "catalog/internal/dns_record_inl.hh"

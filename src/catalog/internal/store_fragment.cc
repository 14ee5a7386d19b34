// Per-instance DNS fragments: encoding one instance and assembling a ServiceRecord from them.
#include "catalog/internal/store_fragment.hh"

#include <algorithm>
#include <span>

#include "catalog/dns_record.hh"

namespace muster::catalog::internal {

namespace {

// ServiceRecord: u8 version | u32 count | count × instance (dns_record.hh).
constexpr std::size_t record_header_size = 5;

uint32_t clamp16(uint32_t v) {
    return std::min<uint32_t>(v, 0xffff);
}

}  // namespace

std::vector<uint8_t> encode_fragment(const Service& service, const Node& node, Status health) {
    InstanceData d;
    d.health = health;
    d.own_address = !service.address.empty();
    d.addr = ip_bytes(d.own_address ? service.address : node.address);
    d.port = service.port;
    d.weights = {.passing = clamp16(service.weights.passing),
                 .warning = clamp16(service.weights.warning)};
    d.node = node.name;
    d.tags = service.tags;
    // One encoder for both: a one-instance record minus its header is the instance's bytes.
    std::vector<uint8_t> record = encode_service_record(std::span<const InstanceData>(&d, 1));
    if (record.size() < record_header_size)
        MUSTER_PANIC("encode_service_record wrote no header");
    record.erase(record.begin(), record.begin() + record_header_size);
    return record;
}

uint32_t assemble_service_record(const lmdb::Txn& txn, const Dbs& dbs, std::string_view key,
                                 std::vector<uint8_t>& out) {
    out.clear();
    out.resize(record_header_size);
    out[0] = dns_record_version;
    uint32_t count = 0;
    lmdb::for_each_prefix(txn, dbs.dns_instance, service_index_prefix(key),
                          [&](const lmdb::Entry& e) {
                              out.insert(out.end(), e.value.begin(), e.value.end());
                              ++count;
                          });
    for (std::size_t i = 0; i < 4; ++i)
        out[1 + i] = static_cast<uint8_t>((count >> (8 * i)) & 0xff);
    return count;
}

}  // namespace muster::catalog::internal

// Per-instance DNS fragments: each instance's bytes of its ServiceRecord, kept in dns_instance so
// an apply re-encodes only the instances it changed and assembles a service's record by copying
// bytes, without decoding its other instances.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "catalog/internal/store_db.hh"
#include "catalog/model.hh"

namespace muster::catalog::internal {

// The instance's bytes of a ServiceRecord (dns_record.hh), health included; empty when the
// record cannot hold the instance (a node name longer than a DNS string).
std::vector<uint8_t> encode_fragment(const Service& service, const Node& node, Status health);

// Fills `out` with the ServiceRecord of service name `key` (lowercase), built from the
// dns_instance fragments under the name (key order, node then ID, within each health). Returns
// the instance count; 0 means the service has no instance (and `out` is not a record to store).
uint32_t assemble_service_record(const lmdb::Txn& txn, const Dbs& dbs, std::string_view key,
                                 std::vector<uint8_t>& out);

// Where the store says which ServiceRecord layout its dns_service records have.
inline constexpr std::string_view service_record_version_key = "service_record_version";

// Rebuilds every dns_service record from its fragments when the store's records are of another
// layout (a store or snapshot image written by an older build; the fragments' layout is the
// same), and marks the store current. A no-op on a current store.
Result<void> upgrade_service_records(lmdb::Txn& txn, const Dbs& dbs);

}  // namespace muster::catalog::internal

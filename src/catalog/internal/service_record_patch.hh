// The incremental path for a write that changes one instance of a big service: the previous
// ServiceRecord (dns_record.hh, layout 2) patched in a few linear copies, instead of rebuilt from
// all of the service's fragments (a health change of one instance of 10,000 cost 5x the flat
// layout's write that way; bench/store_big_service.cc).
//
// The rule, checked by tests/unit/catalog/service_record_patch_test.cc: a patched record is
// byte-identical to build_service_record of the new fragment set in key order. The patch only
// applies where it can keep that rule cheaply and says no otherwise, so the caller rebuilds:
//   - the instance is found in the previous record by its node (the fragment key orders by
//     lowercase node, then service ID), and among the other instances on its node by the
//     caller's count of them (their order is by ID, which the record does not hold);
//   - the old fragment must be the previous record's bytes of the instance;
//   - an instance keeps its address while it stays (a changed address is rebuilt).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace muster::catalog::internal {

// The instance's place among the service's other instances on its node (the fragments whose
// key starts with the same lowercase node and \0, well-formed), indexed by their health
// (`Status`): how many there are and how many sort before the instance's key.
struct NodePeers {
    uint32_t total[3] = {};
    uint32_t before[3] = {};
};

// Fills `out` with `record` (a well-formed ServiceRecord of the service's previous fragments)
// after one instance changed from `before` to `after` (its fragments: empty `before` for an
// added instance, empty `after` for a removed one; both empty is not a change). True when it
// did; false (and `out` unspecified) when the caller must rebuild from the fragments. A record
// left without instances is never patched (the caller deletes it).
bool patch_service_record(std::span<const uint8_t> record, std::span<const uint8_t> before,
                          std::span<const uint8_t> after, const NodePeers& peers,
                          std::vector<uint8_t>& out);

}  // namespace muster::catalog::internal

// The incremental path for a write that changes one instance of a big service: the previous
// ServiceRecord (dns_record.hh, layout 2) patched in a few linear copies, instead of rebuilt from
// all of the service's fragments (a health change of one instance of 10,000 cost 5x the flat
// layout's write that way; bench/store_big_service.cc).
//
// The rule, checked by tests/unit/catalog/service_record_patch_test.cc: a patched record is
// byte-identical to build_service_record of the new fragment set in key order. The patch only
// applies where it can keep that rule cheaply and says no otherwise, so the caller rebuilds:
//   - the instance is found in the previous record by its node (the fragment key orders by
//     lowercase node, then service ID), so a service with two instances on one node in the
//     same health is rebuilt (their order is by ID, which the record does not hold);
//   - the address lists are patched only while the healthy instances of the instance's family
//     all have distinct addresses (one instance per node, the big-service case);
//   - the old fragment must be the previous record's bytes of the instance.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace muster::catalog::internal {

// Fills `out` with `record` (a well-formed ServiceRecord of the service's previous fragments)
// after one instance changed from `before` to `after` (its fragments: empty `before` for an
// added instance, empty `after` for a removed one; both empty is not a change). True when it
// did; false (and `out` unspecified) when the caller must rebuild from the fragments. A record
// left without instances is never patched (the caller deletes it).
bool patch_service_record(std::span<const uint8_t> record, std::span<const uint8_t> before,
                          std::span<const uint8_t> after, std::vector<uint8_t>& out);

}  // namespace muster::catalog::internal

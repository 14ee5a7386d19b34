// Field-by-field equality of catalog entities (indexes included), independent of any codec:
// what the codec tests compare a decoded value with.
#pragma once

#include <tuple>

#include "catalog/model.hh"
#include "catalog/store.hh"

namespace muster::catalog::testing {

inline bool equal(const Node& a, const Node& b) {
    return std::tie(a.name, a.address, a.datacenter, a.tagged_addresses, a.meta, a.index.create,
                    a.index.modify) == std::tie(b.name, b.address, b.datacenter, b.tagged_addresses,
                                                b.meta, b.index.create, b.index.modify);
}
inline bool equal(const Service& a, const Service& b) {
    return std::tie(a.node, a.id, a.name, a.tags, a.address, a.port, a.meta, a.weights.passing,
                    a.weights.warning, a.enable_tag_override, a.index.create, a.index.modify) ==
           std::tie(b.node, b.id, b.name, b.tags, b.address, b.port, b.meta, b.weights.passing,
                    b.weights.warning, b.enable_tag_override, b.index.create, b.index.modify);
}
inline bool equal(const Check& a, const Check& b) {
    return std::tie(a.node, a.id, a.name, a.service_id, a.service_name, a.status, a.output, a.notes,
                    a.type, a.index.create, a.index.modify) ==
           std::tie(b.node, b.id, b.name, b.service_id, b.service_name, b.status, b.output, b.notes,
                    b.type, b.index.create, b.index.modify);
}
inline bool equal(const Change& a, const Change& b) {
    return std::tie(a.index, a.nodes, a.services) == std::tie(b.index, b.nodes, b.services);
}

}  // namespace muster::catalog::testing

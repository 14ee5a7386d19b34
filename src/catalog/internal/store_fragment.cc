// Per-instance DNS fragments: encoding one instance and assembling a ServiceRecord from them.
#include "catalog/internal/store_fragment.hh"

#include <algorithm>
#include <span>

#include "catalog/dns_record.hh"

namespace muster::catalog::internal {

namespace {

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
    return encode_instance(d);
}

uint32_t assemble_service_record(const lmdb::Txn& txn, const Dbs& dbs, std::string_view key,
                                 std::vector<uint8_t>& out) {
    // Views into the transaction's pages: valid until it ends, so no copy before the build.
    std::vector<std::span<const uint8_t>> fragments;
    lmdb::for_each_prefix(txn, dbs.dns_instance, service_index_prefix(key),
                          [&](const lmdb::Entry& e) { fragments.push_back(e.value); });
    build_service_record(fragments, out);
    return ServiceRecord(out).count();
}

Result<void> upgrade_service_records(lmdb::Txn& txn, const Dbs& dbs) {
    if (auto v = txn.get(dbs.meta, service_record_version_key);
        v && v->size() == 1 && (*v)[0] == service_record_version)
        return {};
    std::vector<std::string> names;  // every service with a record, from the old build
    {
        lmdb::Cursor cursor(txn, dbs.dns_service);
        for (auto e = cursor.first(); e; e = cursor.next())
            names.emplace_back(lmdb::text(e->key));
    }
    std::vector<uint8_t> record;
    for (const std::string& name : names) {
        if (assemble_service_record(txn, dbs, name, record) == 0) {
            if (auto r = txn.del(dbs.dns_service, name); !r)
                return r.error();
        } else if (auto r = txn.put(dbs.dns_service, name, record); !r) {
            return r;
        }
    }
    const uint8_t version[1] = {service_record_version};
    return txn.put(dbs.meta, service_record_version_key, version);
}

}  // namespace muster::catalog::internal

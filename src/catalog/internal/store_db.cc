// The catalog store's LMDB layout: database opening, keys and entity loaders.
#include "catalog/internal/store_db.hh"

#include <algorithm>
#include <cstring>

namespace muster::catalog::internal {

namespace {

constexpr std::array<lmdb::Dbi Dbs::*, db_count> db_members = {
    &Dbs::meta,         &Dbs::nodes,         &Dbs::services,   &Dbs::checks,
    &Dbs::check_health, &Dbs::service_index, &Dbs::addr_index, &Dbs::changes,
    &Dbs::dns_instance, &Dbs::dns_service,   &Dbs::dns_node,   &Dbs::dns_ptr,
    &Dbs::left_members,
};

}  // namespace

Result<Dbs> open_dbs(lmdb::Txn& txn, lmdb::DbCreate create) {
    Dbs dbs;
    for (std::size_t i = 0; i < db_count; ++i) {
        if (i >= first_added_db && create == lmdb::DbCreate::no) {
            auto r = txn.open_db_if_present(std::string(db_names[i]));
            if (!r.ok())
                return r.error();
            dbs.*db_members[i] = r->value_or(lmdb::Dbi{absent_dbi});  // see first_added_db
            continue;
        }
        auto r = txn.open_db(std::string(db_names[i]), create);
        if (!r.ok())
            return r.error();
        dbs.*db_members[i] = *r;
    }
    return dbs;
}

std::array<lmdb::Dbi, db_count> db_list(const Dbs& dbs) {
    std::array<lmdb::Dbi, db_count> out{};
    for (std::size_t i = 0; i < db_count; ++i)
        out[i] = dbs.*db_members[i];
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string child_key(std::string_view node, std::string_view id) {
    std::string k = child_prefix(node);
    k.append(id);
    return k;
}

std::string child_prefix(std::string_view node) {
    std::string k = lower(node);
    k.push_back('\0');
    return k;
}

std::string service_index_key(std::string_view name, std::string_view node, std::string_view id) {
    std::string k = service_index_prefix(name);
    k.append(child_key(node, id));
    return k;
}

std::string service_index_prefix(std::string_view name) {
    std::string k = lower(name);
    k.push_back('\0');
    return k;
}

std::string check_health_key(const Check& check) {
    std::string k = child_key(check.node, check.service_id);
    k.push_back('\0');
    k.append(check.id);
    return k;
}

namespace {

// lower(node) \0 service id \0: the check_health keys of one instance's checks.
std::string check_health_prefix(std::string_view node, std::string_view service_id) {
    std::string prefix = child_key(node, service_id);
    prefix.push_back('\0');
    return prefix;
}

}  // namespace

std::vector<std::string> instance_check_ids(const lmdb::Txn& txn, const Dbs& dbs,
                                            std::string_view node, std::string_view service_id) {
    std::vector<std::string> out;
    std::string prefix = check_health_prefix(node, service_id);
    lmdb::for_each_prefix(txn, dbs.check_health, prefix, [&](const lmdb::Entry& e) {
        out.emplace_back(lmdb::text(e.key).substr(prefix.size()));
    });
    return out;
}

Status instance_health(const lmdb::Txn& txn, const Dbs& dbs, std::string_view node,
                       std::string_view service_id) {
    Status worst = Status::passing;
    auto scan = [&](std::string_view sid) {
        lmdb::for_each_prefix(
            txn, dbs.check_health, check_health_prefix(node, sid), [&](const lmdb::Entry& e) {
                if (e.value.size() != 1 || e.value[0] > static_cast<uint8_t>(Status::critical))
                    MUSTER_PANIC("corrupt catalog store: check_health value");
                worst = std::max(worst, static_cast<Status>(e.value[0]));
            });
    };
    scan("");
    if (!service_id.empty())
        scan(service_id);
    return worst;
}

std::string addr_prefix(const IpBytes& ip) {
    std::string k(1, static_cast<char>(ip.family));
    auto b = ip.span();
    k.append(reinterpret_cast<const char*>(b.data()), b.size());
    return k;
}

std::string node_addr_key(const IpBytes& ip, std::string_view node) {
    std::string k = addr_prefix(ip);
    k.push_back(static_cast<char>(PtrKind::node));
    k.append(lower(node));
    return k;
}

std::string service_addr_key(const IpBytes& ip, std::string_view node, std::string_view id) {
    std::string k = addr_prefix(ip);
    k.push_back(static_cast<char>(PtrKind::service));
    k.append(child_key(node, id));
    return k;
}

std::array<uint8_t, 8> change_key(uint64_t index) {
    std::array<uint8_t, 8> k{};
    for (int i = 7; i >= 0; --i, index >>= 8)
        k[static_cast<std::size_t>(i)] = static_cast<uint8_t>(index & 0xff);
    return k;
}

uint64_t change_key_index(lmdb::Bytes key) {
    if (key.size() != 8)
        MUSTER_PANIC("corrupt catalog store: change key of " + std::to_string(key.size()) +
                     " bytes");
    uint64_t v = 0;
    for (uint8_t b : key)
        v = (v << 8) | b;
    return v;
}

namespace {

uint64_t read_meta_u64(const lmdb::Txn& txn, const Dbs& dbs, std::string_view key) {
    auto v = txn.get(dbs.meta, key);
    if (!v)
        return 0;
    if (v->size() != sizeof(uint64_t))
        MUSTER_PANIC("corrupt catalog store: meta " + std::string(key) + " of " +
                     std::to_string(v->size()) + " bytes");
    uint64_t value = 0;
    std::memcpy(&value, v->data(), sizeof value);
    return value;
}

}  // namespace

uint64_t read_index(const lmdb::Txn& txn, const Dbs& dbs) {
    return read_meta_u64(txn, dbs, index_key);
}

uint64_t read_raft_index(const lmdb::Txn& txn, const Dbs& dbs) {
    return read_meta_u64(txn, dbs, raft_index_key);
}

Result<void> write_raft_index(lmdb::Txn& txn, const Dbs& dbs, uint64_t raft_index) {
    uint8_t bytes[sizeof raft_index];
    std::memcpy(bytes, &raft_index, sizeof raft_index);
    return txn.put(dbs.meta, raft_index_key, bytes);
}

RaftPartial read_raft_partial(const lmdb::Txn& txn, const Dbs& dbs) {
    RaftPartial mark;
    auto v = txn.get(dbs.meta, raft_partial_key);
    if (!v)
        return mark;
    if (v->size() != sizeof mark.raft_index + sizeof mark.next)
        MUSTER_PANIC("corrupt catalog store: meta raft_partial of " + std::to_string(v->size()) +
                     " bytes");
    std::memcpy(&mark.raft_index, v->data(), sizeof mark.raft_index);
    std::memcpy(&mark.next, v->data() + sizeof mark.raft_index, sizeof mark.next);
    return mark;
}

Result<void> write_raft_partial(lmdb::Txn& txn, const Dbs& dbs, RaftPartial mark) {
    uint8_t bytes[sizeof mark.raft_index + sizeof mark.next];
    std::memcpy(bytes, &mark.raft_index, sizeof mark.raft_index);
    std::memcpy(bytes + sizeof mark.raft_index, &mark.next, sizeof mark.next);
    return txn.put(dbs.meta, raft_partial_key, bytes);
}

Result<void> clear_raft_partial(lmdb::Txn& txn, const Dbs& dbs) {
    if (auto r = txn.del(dbs.meta, raft_partial_key); !r)
        return r.error();
    return {};
}

std::optional<Node> load_node(const lmdb::Txn& txn, const Dbs& dbs, std::string_view name) {
    auto v = txn.get(dbs.nodes, lower(name));
    if (!v)
        return std::nullopt;
    return decode_entity<Node>(*v, "node");
}

std::optional<Service> load_service(const lmdb::Txn& txn, const Dbs& dbs, std::string_view node,
                                    std::string_view id) {
    auto v = txn.get(dbs.services, child_key(node, id));
    if (!v)
        return std::nullopt;
    return decode_entity<Service>(*v, "service");
}

std::optional<Check> load_check(const lmdb::Txn& txn, const Dbs& dbs, std::string_view node,
                                std::string_view id) {
    auto v = txn.get(dbs.checks, child_key(node, id));
    if (!v)
        return std::nullopt;
    return decode_entity<Check>(*v, "check");
}

std::vector<Service> load_node_services(const lmdb::Txn& txn, const Dbs& dbs,
                                        std::string_view node) {
    std::vector<Service> out;
    lmdb::for_each_prefix(txn, dbs.services, child_prefix(node), [&](const lmdb::Entry& e) {
        out.push_back(decode_entity<Service>(e.value, "service"));
    });
    return out;
}

std::vector<Check> load_node_checks(const lmdb::Txn& txn, const Dbs& dbs, std::string_view node) {
    std::vector<Check> out;
    lmdb::for_each_prefix(txn, dbs.checks, child_prefix(node), [&](const lmdb::Entry& e) {
        out.push_back(decode_entity<Check>(e.value, "check"));
    });
    return out;
}

std::vector<Check> instance_checks(const std::vector<Check>& node_checks,
                                   std::string_view service_id) {
    std::vector<Check> out;
    for (const auto& c : node_checks)
        if (c.service_id.empty() || c.service_id == service_id)
            out.push_back(c);
    return out;
}

}  // namespace muster::catalog::internal

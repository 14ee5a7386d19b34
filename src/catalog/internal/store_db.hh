// The catalog store's LMDB layout: named databases, key builders and entity loaders shared by
// the write path (store_writer) and the read paths (snapshot, DNS reader).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/dns_record.hh"
#include "catalog/internal/store_codec.hh"
#include "catalog/model.hh"
#include "common/lmdb.hh"

namespace muster::catalog::internal {

// Keys: names are ASCII-lowercased (case-insensitive lookups); IDs are kept as given. '\0'
// separates key parts, so names and IDs may not contain it (apply rejects them).
//   meta          "index" -> u64 little-endian (the catalog index)
//                 "raft_index" -> u64 little-endian (the applied Raft index; absent = 0)
//                 "raft_partial" -> u64 raft index, u64 next batch, little-endian: batches of
//                 that entry before "next batch" are applied (only while an entry with a
//                 refused batch is being applied; absent otherwise)
//   nodes         node -> Node
//   services      node \0 service id -> Service
//   checks        node \0 check id -> Check
//   service_index service name \0 node \0 service id -> "" (instances of a name, in order)
//   check_health  node \0 service id \0 check id -> u8 Status (service id "" = node-level)
//   addr_index    u8 family | addr | u8 PtrKind | node [\0 service id] -> name for the PTR
//   changes       u64 big-endian index -> Change
//   dns_instance  service name \0 node \0 service id -> the instance's bytes of its ServiceRecord
//                 (same keys as service_index, so one service's fragments are contiguous and
//                 in record order; absent for an instance the record cannot hold)
//   dns_service   service name -> ServiceRecord (the dns_instance fragments concatenated)
//   dns_node      node -> NodeRecord;  dns_ptr  addr (4 or 16 bytes) -> PtrRecord
//   left_members  node -> LeftMember (the newest left_members_kept; Writer::apply(Leave))
struct Dbs {
    lmdb::Dbi meta, nodes, services, checks, check_health, service_index, addr_index, changes;
    lmdb::Dbi dns_instance, dns_service, dns_node, dns_ptr;
    lmdb::Dbi left_members;
};
inline constexpr unsigned db_count = 13;

// The LMDB names of the databases, in the order of Dbs' members (and of a dump).
inline constexpr std::array<std::string_view, db_count> db_names = {
    "meta",          "nodes",      "services",    "checks",       "check_health",
    "service_index", "addr_index", "changes",     "dns_instance", "dns_service",
    "dns_node",      "dns_ptr",    "left_members"};

// Databases from this one on came after the first image format: an older store or image lacks
// them. open_dbs(DbCreate::no) gives such a missing database the handle absent_dbi (restore
// copies nothing from it); DbCreate::yes creates it as empty.
inline constexpr std::size_t first_added_db = 12;
inline constexpr unsigned absent_dbi = ~0U;

// How many left members the store keeps: a Leave beyond that drops the oldest record (Consul
// forgets left members after its 24h tombstone; a bound on the count needs no clock in the
// deterministic apply path).
inline constexpr std::size_t left_members_kept = 1000;

Result<Dbs> open_dbs(lmdb::Txn& txn, lmdb::DbCreate create);
std::array<lmdb::Dbi, db_count> db_list(const Dbs& dbs);  // in db_names order

inline constexpr std::string_view index_key = "index";
inline constexpr std::string_view raft_index_key = "raft_index";
inline constexpr std::string_view raft_partial_key = "raft_partial";

std::string lower(std::string_view s);
std::string child_key(std::string_view node, std::string_view id);  // lower(node) \0 id
std::string child_prefix(std::string_view node);                    // lower(node) \0
std::string service_index_key(std::string_view name, std::string_view node, std::string_view id);
std::string service_index_prefix(std::string_view name);  // lower(name) \0
std::string check_health_key(const Check& check);
std::string addr_prefix(const IpBytes& ip);
std::string node_addr_key(const IpBytes& ip, std::string_view node);
std::string service_addr_key(const IpBytes& ip, std::string_view node, std::string_view id);
std::array<uint8_t, 8> change_key(uint64_t index);
uint64_t change_key_index(lmdb::Bytes key);

uint64_t read_index(const lmdb::Txn& txn, const Dbs& dbs);
uint64_t read_raft_index(const lmdb::Txn& txn, const Dbs& dbs);
Result<void> write_raft_index(lmdb::Txn& txn, const Dbs& dbs, uint64_t raft_index);
// The "raft_partial" mark: batches of entry raft_index before `next` are applied (all zero when
// there is no mark).
struct RaftPartial {
    uint64_t raft_index = 0;
    uint64_t next = 0;
};
RaftPartial read_raft_partial(const lmdb::Txn& txn, const Dbs& dbs);
Result<void> write_raft_partial(lmdb::Txn& txn, const Dbs& dbs, RaftPartial mark);
Result<void> clear_raft_partial(lmdb::Txn& txn, const Dbs& dbs);

std::optional<Node> load_node(const lmdb::Txn& txn, const Dbs& dbs, std::string_view name);
std::optional<Service> load_service(const lmdb::Txn& txn, const Dbs& dbs, std::string_view node,
                                    std::string_view id);
std::optional<Check> load_check(const lmdb::Txn& txn, const Dbs& dbs, std::string_view node,
                                std::string_view id);
std::vector<Service> load_node_services(const lmdb::Txn& txn, const Dbs& dbs,
                                        std::string_view node);
std::vector<Check> load_node_checks(const lmdb::Txn& txn, const Dbs& dbs, std::string_view node);

// The IDs of the checks of one instance (service_id "" gives the node-level checks), from the
// check_health keys without decoding any check.
std::vector<std::string> instance_check_ids(const lmdb::Txn& txn, const Dbs& dbs,
                                            std::string_view node, std::string_view service_id);

// The checks that decide an instance's health: its own and its node's node-level ones.
std::vector<Check> instance_checks(const std::vector<Check>& node_checks,
                                   std::string_view service_id);

// The aggregate status of an instance's checks and its node's node-level checks, from
// check_health without decoding any check (service_id "" gives the node-level checks only).
Status instance_health(const lmdb::Txn& txn, const Dbs& dbs, std::string_view node,
                       std::string_view service_id);

// Calls fn(node, service id) for every instance of a service name, ordered by node then ID.
template <class Fn>
void for_each_instance(const lmdb::Txn& txn, const Dbs& dbs, std::string_view name, Fn&& fn) {
    std::string prefix = service_index_prefix(name);
    lmdb::for_each_prefix(txn, dbs.service_index, prefix, [&](const lmdb::Entry& e) {
        std::string_view rest = lmdb::text(e.key).substr(prefix.size());
        auto sep = rest.find('\0');
        if (sep == std::string_view::npos)
            MUSTER_PANIC("corrupt catalog store: service_index key without node separator");
        fn(rest.substr(0, sep), rest.substr(sep + 1));
    });
}

}  // namespace muster::catalog::internal

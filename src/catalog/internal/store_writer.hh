// The store's write path: applies commands inside one LMDB write transaction, remembers what
// they touched, then re-encodes the DNS fragments of the instances that changed, reassembles the
// DNS records of what they touched and appends the change-log entry. The cost of an apply
// follows what it changes, not the size of the services it touches.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "catalog/command.hh"
#include "catalog/internal/service_record_patch.hh"
#include "catalog/internal/store_db.hh"
#include "catalog/store.hh"

namespace muster::catalog::internal {

inline constexpr uint64_t change_log_size = 4096;

class Writer {
  public:
    // `index` is the index this batch commits as (previous + 1).
    Writer(lmdb::Txn& txn, const Dbs& dbs, uint64_t index) : txn_(txn), dbs_(dbs), index_(index) {}

    // Validates one command against the state so far (earlier commands of the batch included)
    // and applies it. On error the caller aborts the transaction.
    Result<void> apply(const Command& command);

    // Rewrites the DNS records of everything touched, stores the new index and the Change
    // (trimming the log), and returns the Change.
    Result<Change> finish();

  private:
    Result<void> apply(const Register& c);
    Result<void> apply(const Deregister& c);
    Result<void> apply(const UpdateCheck& c);
    Result<void> apply(const Leave& c);
    Result<void> apply(const Restore& c);

    Result<void> trim_left_members();

    Result<void> upsert_node(const Register& c, Node& stored);
    Result<void> upsert_service(const Node& node, Service service);
    Result<void> upsert_check(const Node& node, Check check, std::size_t position);
    Result<void> put_check(const Check& check, const std::optional<Check>& old);
    Result<void> remove_node(const Node& node);
    Result<void> remove_service(const Service& service);
    Result<void> remove_check(const Check& check);
    Result<void> unindex_instance(std::string_view name, std::string_view node,
                                  std::string_view id);

    // Every write of a DNS fragment goes through these, so a service whose record changes by
    // one instance can be patched (service_record_patch.hh) rather than rebuilt.
    Result<void> put_fragment(const std::string& key, std::span<const uint8_t> bytes);
    Result<void> del_fragment(const std::string& key);
    void note_fragment(const std::string& key);
    NodePeers node_peers(const std::string& key) const;

    Result<void> refresh_instances();
    Result<void> rebuild_node(const std::string& key);
    Result<void> rebuild_service(const std::string& key);
    Result<void> rebuild_ptr(const std::string& prefix);
    Result<void> append_change(const Change& change);

    void touch_node(const std::string& name) { nodes_[lower(name)] = name; }
    void touch_service(const std::string& name) { services_[lower(name)] = name; }
    void touch_addr(const std::string& address);
    void touch_check(const Check& check);
    void touch_instance(std::string_view node, std::string_view id) {
        instances_.emplace(lower(node), id);
    }

    lmdb::Txn& txn_;
    const Dbs& dbs_;
    uint64_t index_;
    std::map<std::string, std::string> nodes_;     // lower -> name as registered
    std::map<std::string, std::string> services_;  // lower -> name as registered
    std::set<std::string> node_wide_;  // lower node names whose every instance may have changed
    std::set<std::string> addrs_;      // addr_prefix() of addresses whose PTR may have changed
    // (lower node, service id) of instances whose DNS fragment may have changed.
    std::set<std::pair<std::string, std::string>> instances_;
    std::vector<uint8_t> record_;  // the one buffer service records are assembled in
    // Per lower service name: the one fragment this batch changed and its bytes before the batch
    // (empty: it had none), or `several` when more than one did.
    struct FragmentEdit {
        std::string key;  // in dns_instance
        std::vector<uint8_t> before;
        bool several = false;
    };
    std::map<std::string, FragmentEdit, std::less<>> fragment_edits_;
};

}  // namespace muster::catalog::internal

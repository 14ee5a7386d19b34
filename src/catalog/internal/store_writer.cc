// The store's write path: command validation and application, DNS record materialisation and
// the change log, all inside the caller's one write transaction.
#include "catalog/internal/store_writer.hh"

#include "catalog/internal/service_record_patch.hh"
#include "catalog/internal/store_fragment.hh"

#include <algorithm>
#include <cstring>
#include <tuple>
#include <utility>
#include <variant>

namespace muster::catalog::internal {

namespace {

// Equality of everything but the indexes: an unchanged upsert keeps its ModifyIndex (as
// Consul's state store does) and touches nothing.
bool same(const Node& a, const Node& b) {
    return std::tie(a.name, a.address, a.datacenter, a.tagged_addresses, a.meta) ==
           std::tie(b.name, b.address, b.datacenter, b.tagged_addresses, b.meta);
}

bool same(const Service& a, const Service& b) {
    return std::tie(a.node, a.id, a.name, a.tags, a.address, a.port, a.meta, a.weights.passing,
                    a.weights.warning, a.enable_tag_override) ==
           std::tie(b.node, b.id, b.name, b.tags, b.address, b.port, b.meta, b.weights.passing,
                    b.weights.warning, b.enable_tag_override);
}

bool same(const Check& a, const Check& b) {
    return std::tie(a.node, a.id, a.name, a.service_id, a.service_name, a.status, a.output, a.notes,
                    a.type) == std::tie(b.node, b.id, b.name, b.service_id, b.service_name,
                                        b.status, b.output, b.notes, b.type);
}

// Names and IDs are key parts separated by '\0' (store_db.hh).
Result<void> check_key_part(const std::string& where, const std::string& value) {
    if (value.empty())
        return make_error(where + ": empty");
    if (value.find('\0') != std::string::npos)
        return make_error(where + ": contains a NUL byte");
    return {};
}

std::string in_quotes(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

}  // namespace

Result<void> Writer::apply(const Command& command) {
    return std::visit([this](const auto& c) { return apply(c); }, command);
}

// ---- Register

Result<void> Writer::apply(const Register& c) {
    if (auto r = check_key_part("Register.node.name", c.node.name); !r)
        return r;
    if (c.if_node_exists && !load_node(txn_, dbs_, c.node.name))
        return {};
    // The node is back: it is a member again, no longer a left one.
    if (auto r = txn_.del(dbs_.left_members, lower(c.node.name)); !r)
        return r.error();
    Node node;
    if (auto r = upsert_node(c, node); !r)
        return r;
    if (c.service) {
        if (auto r = upsert_service(node, *c.service); !r)
            return r;
    }
    for (std::size_t i = 0; i < c.checks.size(); ++i) {
        if (auto r = upsert_check(node, c.checks[i], i); !r)
            return r;
    }
    return {};
}

Result<void> Writer::upsert_node(const Register& c, Node& stored) {
    auto old = load_node(txn_, dbs_, c.node.name);
    if (old && c.skip_node_update) {
        stored = std::move(*old);
        return {};
    }
    Node n = c.node;
    n.index = {old ? old->index.create : index_, index_};
    if (old && same(*old, n)) {
        stored = std::move(*old);
        return {};
    }
    if (auto r = txn_.put(dbs_.nodes, lower(n.name), encode_entity(n)); !r)
        return r;
    if (old) {
        if (auto ip = ip_bytes(old->address); ip.family != 0) {
            if (auto r = txn_.del(dbs_.addr_index, node_addr_key(ip, old->name)); !r)
                return r.error();
        }
        touch_addr(old->address);
    }
    if (auto ip = ip_bytes(n.address); ip.family != 0) {
        if (auto r = txn_.put(dbs_.addr_index, node_addr_key(ip, n.name), lmdb::bytes(n.name)); !r)
            return r;
    }
    touch_addr(n.address);
    touch_node(n.name);
    // The instances carry the node's address and name: all of them change with it.
    if (!old || old->address != n.address || old->name != n.name)
        node_wide_.insert(lower(n.name));
    stored = std::move(n);
    return {};
}

Result<void> Writer::upsert_service(const Node& node, Service s) {
    if (s.id.empty())
        s.id = s.name;  // Consul: the ID defaults to the name
    if (auto r = check_key_part("Register.service.name", s.name); !r)
        return r;
    if (auto r = check_key_part("Register.service.id", s.id); !r)
        return r;
    s.node = node.name;
    auto old = load_service(txn_, dbs_, node.name, s.id);
    s.index = {old ? old->index.create : index_, index_};
    if (old && same(*old, s))
        return {};
    if (auto r = txn_.put(dbs_.services, child_key(node.name, s.id), encode_entity(s)); !r)
        return r;
    if (old) {
        if (auto r = unindex_instance(old->name, node.name, s.id); !r)
            return r;
        if (auto ip = ip_bytes(old->address); ip.family != 0) {
            if (auto r = txn_.del(dbs_.addr_index, service_addr_key(ip, node.name, s.id)); !r)
                return r.error();
        }
        touch_addr(old->address);
        touch_service(old->name);
    }
    auto name_key = service_index_key(s.name, node.name, s.id);
    if (auto r = txn_.put(dbs_.service_index, name_key, {}); !r)
        return r;
    if (auto ip = ip_bytes(s.address); ip.family != 0) {
        auto key = service_addr_key(ip, node.name, s.id);
        if (auto r = txn_.put(dbs_.addr_index, key, lmdb::bytes(s.name)); !r)
            return r;
    }
    touch_addr(s.address);
    touch_service(s.name);
    touch_node(node.name);
    touch_instance(node.name, s.id);
    if (old && old->name != s.name) {  // a rename: the checks carry the service name
        for (const auto& id : instance_check_ids(txn_, dbs_, node.name, s.id)) {
            auto check = load_check(txn_, dbs_, node.name, id);
            if (!check)
                MUSTER_PANIC("corrupt catalog store: check_health names a missing check");
            auto previous = *check;
            check->service_name = s.name;
            check->index.modify = index_;
            if (auto r = put_check(*check, previous); !r)
                return r;
        }
    }
    return {};
}

Result<void> Writer::upsert_check(const Node& node, Check ch, std::size_t position) {
    std::string where = "Register.checks[" + std::to_string(position) + "]";
    if (ch.id.empty())
        ch.id = ch.name;  // Consul: the CheckID defaults to the name
    if (auto r = check_key_part(where + ".id", ch.id); !r)
        return r;
    ch.node = node.name;
    ch.service_name.clear();
    if (!ch.service_id.empty()) {
        auto service = load_service(txn_, dbs_, node.name, ch.service_id);
        if (!service)
            return make_error(where + ": service " + in_quotes(ch.service_id) +
                              " is not registered on node " + in_quotes(node.name));
        ch.service_name = service->name;
    }
    auto old = load_check(txn_, dbs_, node.name, ch.id);
    ch.index = {old ? old->index.create : index_, index_};
    if (old && same(*old, ch))
        return {};
    return put_check(ch, old);
}

Result<void> Writer::put_check(const Check& check, const std::optional<Check>& old) {
    if (auto r = txn_.put(dbs_.checks, child_key(check.node, check.id), encode_entity(check)); !r)
        return r;
    if (old) {
        if (auto r = txn_.del(dbs_.check_health, check_health_key(*old)); !r)
            return r.error();
    }
    uint8_t status = static_cast<uint8_t>(check.status);
    if (auto r = txn_.put(dbs_.check_health, check_health_key(check), lmdb::Bytes(&status, 1)); !r)
        return r;
    touch_check(check);
    if (old)
        touch_check(*old);
    return {};
}

// ---- Deregister

Result<void> Writer::apply(const Deregister& c) {
    if (auto r = check_key_part("Deregister.node", c.node); !r)
        return r;
    if (!c.service_id && !c.check_id) {
        auto node = load_node(txn_, dbs_, c.node);
        return node ? remove_node(*node) : Result<void>{};
    }
    if (c.service_id) {
        if (auto s = load_service(txn_, dbs_, c.node, *c.service_id)) {
            if (auto r = remove_service(*s); !r)
                return r;
        }
    }
    if (c.check_id) {
        if (auto check = load_check(txn_, dbs_, c.node, *c.check_id))
            return remove_check(*check);
    }
    return {};
}

Result<void> Writer::remove_node(const Node& node) {
    for (const auto& s : load_node_services(txn_, dbs_, node.name)) {
        if (auto r = remove_service(s); !r)
            return r;
    }
    for (const auto& check : load_node_checks(txn_, dbs_, node.name)) {
        if (auto r = remove_check(check); !r)
            return r;
    }
    if (auto r = txn_.del(dbs_.nodes, lower(node.name)); !r)
        return r.error();
    if (auto ip = ip_bytes(node.address); ip.family != 0) {
        if (auto r = txn_.del(dbs_.addr_index, node_addr_key(ip, node.name)); !r)
            return r.error();
    }
    touch_addr(node.address);
    touch_node(node.name);
    return {};
}

Result<void> Writer::remove_service(const Service& s) {
    if (auto r = txn_.del(dbs_.services, child_key(s.node, s.id)); !r)
        return r.error();
    if (auto r = unindex_instance(s.name, s.node, s.id); !r)
        return r;
    if (auto ip = ip_bytes(s.address); ip.family != 0) {
        if (auto r = txn_.del(dbs_.addr_index, service_addr_key(ip, s.node, s.id)); !r)
            return r.error();
    }
    for (const auto& id : instance_check_ids(txn_, dbs_, s.node, s.id)) {
        auto check = load_check(txn_, dbs_, s.node, id);
        if (!check)
            MUSTER_PANIC("corrupt catalog store: check_health names a missing check");
        if (auto r = remove_check(*check); !r)
            return r;
    }
    touch_addr(s.address);
    touch_service(s.name);
    touch_node(s.node);
    return {};
}

// The instance leaves its service's record: its index entry and its DNS fragment go together.
Result<void> Writer::unindex_instance(std::string_view name, std::string_view node,
                                      std::string_view id) {
    auto key = service_index_key(name, node, id);
    if (auto r = txn_.del(dbs_.service_index, key); !r)
        return r.error();
    return del_fragment(key);
}

Result<void> Writer::remove_check(const Check& check) {
    if (auto r = txn_.del(dbs_.checks, child_key(check.node, check.id)); !r)
        return r.error();
    if (auto r = txn_.del(dbs_.check_health, check_health_key(check)); !r)
        return r.error();
    touch_check(check);
    return {};
}

// ---- UpdateCheck

Result<void> Writer::apply(const UpdateCheck& c) {
    auto old = load_check(txn_, dbs_, c.node, c.check_id);
    if (!old)
        return make_error("UpdateCheck: check " + in_quotes(c.check_id) + " not found on node " +
                          in_quotes(c.node));
    if (old->status == c.status && old->output == c.output)
        return {};
    Check check = *old;
    check.status = c.status;
    check.output = c.output;
    check.index.modify = index_;
    return put_check(check, old);
}

// ---- Leave

Result<void> Writer::apply(const Leave& c) {
    if (auto r = check_key_part("Leave.node", c.node); !r)
        return r;
    auto node = load_node(txn_, dbs_, c.node);
    if (!node)
        return {};
    if (auto r = remove_node(*node); !r)
        return r;
    LeftMember left{
        .name = node->name, .address = node->address, .server = c.server, .index = index_};
    if (auto r = txn_.put(dbs_.left_members, lower(node->name), encode_entity(left)); !r)
        return r;
    return trim_left_members();
}

// ---- Restore

// Everything goes, then the snapshot's entries are registered through the Register path (which
// validates them and touches what the DNS records and the change log need): a node with its
// node-level checks, then each service with its own checks.
Result<void> Writer::apply(const Restore& c) {
    std::vector<Node> current;
    {
        lmdb::Cursor cursor(txn_, dbs_.nodes);
        for (auto e = cursor.first(); e; e = cursor.next())
            current.push_back(decode_entity<Node>(e->value, "node"));
    }
    for (const auto& node : current) {
        if (auto r = remove_node(node); !r)
            return r;
    }
    std::map<std::string, const Node*> nodes;  // lower name -> node
    for (const auto& node : c.nodes)
        nodes.emplace(lower(node.name), &node);
    // lower node \0 service id ("" for node-level) -> the checks of that instance
    std::map<std::string, std::vector<Check>> checks;
    for (const auto& check : c.checks) {
        if (!nodes.contains(lower(check.node)))
            return make_error("Restore: check " + in_quotes(check.id) + " names node " +
                              in_quotes(check.node) + ", which the snapshot does not hold");
        checks[child_key(check.node, check.service_id)].push_back(check);
    }
    auto take_checks = [&checks](const std::string& node, const std::string& service_id) {
        auto it = checks.find(child_key(node, service_id));
        return it == checks.end() ? std::vector<Check>{} : std::move(it->second);
    };
    for (const auto& node : c.nodes) {
        Register reg{.node = node, .service = std::nullopt, .checks = take_checks(node.name, "")};
        if (auto r = apply(reg); !r)
            return r;
    }
    for (const auto& service : c.services) {
        auto node = nodes.find(lower(service.node));
        if (node == nodes.end())
            return make_error("Restore: service " + in_quotes(service.id) + " names node " +
                              in_quotes(service.node) + ", which the snapshot does not hold");
        Register reg{.node = *node->second,
                     .service = service,
                     .checks = take_checks(service.node, service.id),
                     .skip_node_update = true};
        if (auto r = apply(reg); !r)
            return r;
    }
    for (const auto& [key, left] : checks) {
        if (!left.empty())
            return make_error("Restore: check " + in_quotes(left.front().id) + " names service " +
                              in_quotes(left.front().service_id) + ", which its node lacks");
    }
    return {};
}

// Keeps the newest left_members_kept records: drops those with the lowest index.
Result<void> Writer::trim_left_members() {
    std::vector<std::pair<uint64_t, std::string>> by_index;  // (index, key)
    lmdb::Cursor cursor(txn_, dbs_.left_members);
    for (auto e = cursor.first(); e; e = cursor.next())
        by_index.emplace_back(decode_entity<LeftMember>(e->value, "left member").index,
                              std::string(lmdb::text(e->key)));
    if (by_index.size() <= left_members_kept)
        return {};
    const auto excess = static_cast<std::ptrdiff_t>(by_index.size() - left_members_kept);
    std::nth_element(by_index.begin(), by_index.begin() + excess - 1, by_index.end());
    for (auto it = by_index.begin(); it != by_index.begin() + excess; ++it) {
        if (auto r = txn_.del(dbs_.left_members, it->second); !r)
            return r.error();
    }
    return {};
}

// ---- touched sets

void Writer::touch_addr(const std::string& address) {
    if (auto ip = ip_bytes(address); ip.family != 0)
        addrs_.insert(addr_prefix(ip));
}

void Writer::touch_check(const Check& check) {
    touch_node(check.node);
    if (check.service_id.empty()) {
        node_wide_.insert(lower(check.node));  // a node-level check decides all its instances
    } else {
        touch_service(check.service_name);
        touch_instance(check.node, check.service_id);
    }
}

// ---- finish: DNS records, change log, index

Result<Change> Writer::finish() {
    if (auto r = refresh_instances(); !r)
        return r.error();
    for (const auto& [key, name] : nodes_) {
        if (auto r = rebuild_node(key); !r)
            return r.error();
    }
    for (const auto& [key, name] : services_) {
        if (auto r = rebuild_service(key); !r)
            return r.error();
    }
    for (const auto& prefix : addrs_) {
        if (auto r = rebuild_ptr(prefix); !r)
            return r.error();
    }
    Change change{.index = index_, .nodes = {}, .services = {}};
    for (const auto& [key, name] : nodes_)
        change.nodes.push_back(name);
    for (const auto& [key, name] : services_)
        change.services.push_back(name);
    if (auto r = append_change(change); !r)
        return r.error();
    uint8_t index_bytes[sizeof index_];
    std::memcpy(index_bytes, &index_, sizeof index_);
    if (auto r = txn_.put(dbs_.meta, index_key, index_bytes); !r)
        return r.error();
    return change;
}

Result<void> Writer::rebuild_node(const std::string& key) {
    auto node = load_node(txn_, dbs_, key);
    if (!node) {
        if (auto r = txn_.del(dbs_.dns_node, key); !r)
            return r.error();
        return {};
    }
    return txn_.put(dbs_.dns_node, key, encode_node_record(*node));
}

// Re-encodes the fragment of every instance that may have changed: those touched one by one and
// every instance on a node whose name, address or node-level checks changed. Each is decoded
// once; its service's record is then reassembled from the fragments.
Result<void> Writer::refresh_instances() {
    for (const auto& node : node_wide_) {
        std::string prefix = child_prefix(node);
        lmdb::for_each_prefix(txn_, dbs_.services, prefix, [&](const lmdb::Entry& e) {
            instances_.emplace(node, lmdb::text(e.key).substr(prefix.size()));
        });
    }
    std::map<std::string, Node, std::less<>> nodes;  // lower name -> node, loaded once each
    for (const auto& [node_key, id] : instances_) {
        auto s = load_service(txn_, dbs_, node_key, id);
        if (!s)
            continue;  // removed: unindex_instance dropped its fragment
        auto it = nodes.find(node_key);
        if (it == nodes.end()) {
            auto node = load_node(txn_, dbs_, node_key);
            if (!node)
                MUSTER_PANIC("corrupt catalog store: an instance on a missing node");
            it = nodes.emplace(node_key, std::move(*node)).first;
        }
        auto key = service_index_key(s->name, node_key, id);
        auto fragment = encode_fragment(*s, it->second, instance_health(txn_, dbs_, node_key, id));
        if (fragment.empty()) {
            if (auto r = del_fragment(key); !r)
                return r;
        } else if (auto r = put_fragment(key, fragment); !r) {
            return r;
        }
        touch_service(s->name);
    }
    return {};
}

void Writer::note_fragment(const std::string& key) {
    const std::string_view service = std::string_view(key).substr(0, key.find('\0'));
    auto it = fragment_edits_.find(service);
    if (it != fragment_edits_.end()) {
        it->second.several = it->second.several || it->second.key != key;
        return;
    }
    FragmentEdit& edit = fragment_edits_[std::string(service)];
    edit.key = key;
    if (auto before = txn_.get(dbs_.dns_instance, key))
        edit.before.assign(before->begin(), before->end());
}

Result<void> Writer::put_fragment(const std::string& key, std::span<const uint8_t> bytes) {
    note_fragment(key);
    return txn_.put(dbs_.dns_instance, key, bytes);
}

Result<void> Writer::del_fragment(const std::string& key) {
    note_fragment(key);
    if (auto r = txn_.del(dbs_.dns_instance, key); !r)
        return r.error();
    return {};
}

// The service's other instances on the node of fragment `key` (service \0 node \0 id), which the
// fragment keys order by service ID.
NodePeers Writer::node_peers(const std::string& key) const {
    const std::size_t node_end = key.find('\0', key.find('\0') + 1);
    NodePeers peers;
    if (node_end == std::string::npos)
        return peers;
    lmdb::for_each_prefix(txn_, dbs_.dns_instance, std::string_view(key).substr(0, node_end + 1),
                          [&](const lmdb::Entry& e) {
                              InstanceView v;
                              if (lmdb::text(e.key) == key || !read_instance(e.value, v))
                                  return;
                              const auto h = static_cast<uint8_t>(v.health);
                              ++peers.total[h];
                              peers.before[h] += lmdb::text(e.key) < key ? 1 : 0;
                          });
    return peers;
}

// One instance changed: the previous record patched, when the patch applies (a health change of
// one instance of 10,000 rebuilt cost 5x the flat layout's write; bench/README.md, issue 18).
// Otherwise the record is built again from all the service's fragments.
Result<void> Writer::rebuild_service(const std::string& key) {
    auto old = txn_.get(dbs_.dns_service, key);
    if (auto it = fragment_edits_.find(key);
        old && it != fragment_edits_.end() && !it->second.several) {
        const lmdb::Bytes after =
            txn_.get(dbs_.dns_instance, it->second.key).value_or(lmdb::Bytes{});
        // The fragment came back as it was (a check's output changed, not its status): the same
        // fragments, so the record of them stands.
        if (std::ranges::equal(after, it->second.before))
            return {};
        if (patch_service_record(*old, it->second.before, after, node_peers(it->second.key),
                                 record_))
            return txn_.put(dbs_.dns_service, key, record_);
    }
    if (old)
        record_.reserve(old->size() + 512);  // room for a few more instances without regrowth
    if (assemble_service_record(txn_, dbs_, key, record_) == 0) {
        if (auto r = txn_.del(dbs_.dns_service, key); !r)
            return r.error();
        return {};
    }
    return txn_.put(dbs_.dns_service, key, record_);
}

Result<void> Writer::rebuild_ptr(const std::string& prefix) {
    std::vector<std::pair<PtrKind, std::string>> entries;
    std::set<std::pair<uint8_t, std::string>> seen;  // one entry per kind and name
    lmdb::for_each_prefix(txn_, dbs_.addr_index, prefix, [&](const lmdb::Entry& e) {
        if (e.key.size() <= prefix.size())
            MUSTER_PANIC("corrupt catalog store: addr_index key without kind");
        uint8_t kind = e.key[prefix.size()];
        if (kind > static_cast<uint8_t>(PtrKind::service))
            MUSTER_PANIC("corrupt catalog store: addr_index kind " + std::to_string(kind));
        std::string name(lmdb::text(e.value));
        if (seen.emplace(kind, lower(name)).second)
            entries.emplace_back(static_cast<PtrKind>(kind), std::move(name));
    });
    std::string_view addr = std::string_view(prefix).substr(1);  // after the family byte
    if (entries.empty()) {
        if (auto r = txn_.del(dbs_.dns_ptr, addr); !r)
            return r.error();
        return {};
    }
    return txn_.put(dbs_.dns_ptr, addr, encode_ptr_record(entries));
}

Result<void> Writer::append_change(const Change& change) {
    auto key = change_key(change.index);
    if (auto r = txn_.put(dbs_.changes, key, encode_entity(change)); !r)
        return r;
    // Keep the newest change_log_size entries: indexes above index - change_log_size.
    lmdb::Cursor cursor(txn_, dbs_.changes);
    for (auto e = cursor.first(); e && change_key_index(e->key) + change_log_size <= change.index;
         e = cursor.next()) {
        if (auto r = cursor.del(); !r)
            return r;
    }
    return {};
}

}  // namespace muster::catalog::internal

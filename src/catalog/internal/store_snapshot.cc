// The store's read paths: Snapshot and DnsReader over LMDB read transactions.
#include "catalog/internal/store_snapshot.hh"

#include <algorithm>
#include <map>
#include <set>

namespace muster::catalog::internal {

namespace {

// A read transaction is only refused when the reader table is full: a configuration error
// (StoreOptions::max_readers too small), not something a caller can handle per query.
lmdb::Txn begin_read(const std::shared_ptr<lmdb::Env>& env) {
    auto txn = lmdb::Txn::begin_read(env);
    if (!txn.ok())
        MUSTER_PANIC(txn.error().message + " (raise max_readers?)");
    return std::move(txn).value();
}

bool has_tag(const Service& s, std::string_view tag) {
    auto wanted = lower(tag);  // Consul matches tags case-insensitively
    return std::any_of(s.tags.begin(), s.tags.end(),
                       [&](const std::string& t) { return lower(t) == wanted; });
}

class LmdbSnapshot final : public Snapshot {
  public:
    LmdbSnapshot(const std::shared_ptr<lmdb::Env>& env, const Dbs& dbs)
        : txn_(begin_read(env)), dbs_(dbs), index_(read_index(txn_, dbs_)) {}

    uint64_t index() const override { return index_; }

    std::vector<Node> nodes() const override {
        std::vector<Node> out;
        lmdb::Cursor c(txn_, dbs_.nodes);
        for (auto e = c.first(); e; e = c.next())
            out.push_back(decode_entity<Node>(e->value, "node"));
        return out;
    }

    std::optional<Node> node(std::string_view name) const override {
        return load_node(txn_, dbs_, name);
    }

    std::vector<LeftMember> left_members() const override {
        std::vector<LeftMember> out;
        lmdb::Cursor c(txn_, dbs_.left_members);
        for (auto e = c.first(); e; e = c.next())
            out.push_back(decode_entity<LeftMember>(e->value, "left member"));
        return out;
    }

    std::vector<std::pair<std::string, std::vector<std::string>>> services() const override {
        std::map<std::string, std::pair<std::string, std::set<std::string>>> by_name;
        lmdb::Cursor c(txn_, dbs_.services);
        for (auto e = c.first(); e; e = c.next()) {
            auto s = decode_entity<Service>(e->value, "service");
            auto& [name, tags] = by_name[lower(s.name)];
            if (name.empty())
                name = s.name;
            tags.insert(s.tags.begin(), s.tags.end());
        }
        std::vector<std::pair<std::string, std::vector<std::string>>> out;
        for (auto& [key, entry] : by_name)
            out.emplace_back(entry.first,
                             std::vector<std::string>(entry.second.begin(), entry.second.end()));
        return out;
    }

    std::vector<ServiceEntry> service(std::string_view name, std::optional<std::string_view> tag,
                                      HealthFilter filter) const override {
        std::vector<ServiceEntry> out;
        std::map<std::string, std::pair<Node, std::vector<Check>>, std::less<>> nodes;
        for_each_instance(txn_, dbs_, name, [&](std::string_view node_key, std::string_view id) {
            auto s = load_service(txn_, dbs_, node_key, id);
            if (!s)
                MUSTER_PANIC("corrupt catalog store: service_index names a missing instance");
            if (tag && !has_tag(*s, *tag))
                return;
            auto it = nodes.find(node_key);
            if (it == nodes.end()) {
                auto node = load_node(txn_, dbs_, node_key);
                if (!node)
                    MUSTER_PANIC("corrupt catalog store: an instance on a missing node");
                it = nodes
                         .emplace(node_key, std::pair{std::move(*node),
                                                      load_node_checks(txn_, dbs_, node_key)})
                         .first;
            }
            auto checks = instance_checks(it->second.second, s->id);
            if (!passes(aggregate_status(checks), filter))
                return;
            out.push_back(ServiceEntry{it->second.first, std::move(*s), std::move(checks)});
        });
        return out;
    }

    std::vector<Service> node_services(std::string_view node) const override {
        return load_node_services(txn_, dbs_, node);
    }

    std::vector<Check> node_checks(std::string_view node) const override {
        return load_node_checks(txn_, dbs_, node);
    }

    std::vector<Check> service_checks(std::string_view service_name) const override {
        std::vector<Check> out;
        for_each_instance(txn_, dbs_, service_name,
                          [&](std::string_view node, std::string_view id) {
                              for (auto& c : load_node_checks(txn_, dbs_, node))
                                  if (c.service_id == id)
                                      out.push_back(std::move(c));
                          });
        return out;
    }

    std::vector<Check> checks(std::optional<Status> state) const override {
        std::vector<Check> out;
        lmdb::Cursor c(txn_, dbs_.checks);
        for (auto e = c.first(); e; e = c.next()) {
            auto check = decode_entity<Check>(e->value, "check");
            if (!state || check.status == *state)
                out.push_back(std::move(check));
        }
        return out;
    }

  private:
    lmdb::Txn txn_;
    Dbs dbs_;
    uint64_t index_;
};

class LmdbDnsReader final : public DnsReader {
  public:
    LmdbDnsReader(const std::shared_ptr<lmdb::Env>& env, const Dbs& dbs)
        : txn_(begin_read(env)), dbs_(dbs) {
        txn_.reset();  // keep the reader slot; begin() renews
    }

    void begin() override {
        txn_.renew();
        index_ = read_index(txn_, dbs_);
    }
    void end() override { txn_.reset(); }
    uint64_t index() const override { return index_; }

    std::span<const uint8_t> service(std::string_view name) override {
        return get(dbs_.dns_service, lmdb::bytes(name));
    }
    std::span<const uint8_t> node(std::string_view name) override {
        return get(dbs_.dns_node, lmdb::bytes(name));
    }
    std::span<const uint8_t> ptr(std::span<const uint8_t> addr) override {
        return get(dbs_.dns_ptr, addr);
    }

  private:
    std::span<const uint8_t> get(lmdb::Dbi db, lmdb::Bytes key) {
        if (key.empty())
            return {};  // LMDB rejects empty keys; nothing is stored under one
        auto v = txn_.get(db, key);
        return v ? *v : std::span<const uint8_t>{};
    }

    lmdb::Txn txn_;
    Dbs dbs_;
    uint64_t index_ = 0;
};

}  // namespace

std::unique_ptr<Snapshot> make_snapshot(const std::shared_ptr<lmdb::Env>& env, const Dbs& dbs) {
    return std::make_unique<LmdbSnapshot>(env, dbs);
}

std::unique_ptr<DnsReader> make_dns_reader(const std::shared_ptr<lmdb::Env>& env, const Dbs& dbs) {
    return std::make_unique<LmdbDnsReader>(env, dbs);
}

}  // namespace muster::catalog::internal

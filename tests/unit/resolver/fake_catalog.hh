// Test helper: an in-memory catalog::DnsSource whose readers serve records built with the
// catalog's own encoders, and check that every lookup happens between begin() and end() with
// a lowercase key.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/dns_record.hh"
#include "catalog/store.hh"

namespace muster::resolver::test {

struct FakeCatalogData {
    uint64_t index = 1;
    std::map<std::string, std::vector<uint8_t>, std::less<>> services, nodes;
    std::map<std::vector<uint8_t>, std::vector<uint8_t>> ptrs;
    int begins = 0, ends = 0;
    int open = 0;  // begin() without end()
    int lookups = 0;

    void add_node(const std::string& name, const std::string& address,
                  std::map<std::string, std::string> meta = {}) {
        catalog::Node n;
        n.name = name;
        n.address = address;
        n.meta = std::move(meta);
        nodes[lower(name)] = catalog::encode_node_record(n);
    }
    void set_service(const std::string& name, const std::vector<catalog::InstanceData>& list) {
        services[lower(name)] = catalog::encode_service_record(list);
    }
    void add_ptr(const std::string& address,
                 const std::vector<std::pair<catalog::PtrKind, std::string>>& entries) {
        auto ip = catalog::ip_bytes(address);
        BOOST_REQUIRE(ip.family != 0);
        auto key = ip.span();
        ptrs[{key.begin(), key.end()}] = catalog::encode_ptr_record(entries);
    }
    static std::string lower(std::string s) {
        for (char& c : s)
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c + 32);
        return s;
    }
};

class FakeDnsReader final : public catalog::DnsReader {
  public:
    explicit FakeDnsReader(std::shared_ptr<FakeCatalogData> data) : data_(std::move(data)) {}
    void begin() override {
        BOOST_CHECK_EQUAL(data_->open, 0);
        ++data_->open;
        ++data_->begins;
    }
    void end() override {
        BOOST_CHECK_EQUAL(data_->open, 1);
        --data_->open;
        ++data_->ends;
    }
    uint64_t index() const override {
        BOOST_CHECK_EQUAL(data_->open, 1);
        return data_->index;
    }
    std::span<const uint8_t> service(std::string_view name) override {
        return find(data_->services, name);
    }
    std::span<const uint8_t> node(std::string_view name) override {
        return find(data_->nodes, name);
    }
    std::span<const uint8_t> ptr(std::span<const uint8_t> addr) override {
        BOOST_CHECK_EQUAL(data_->open, 1);
        ++data_->lookups;
        auto it = data_->ptrs.find({addr.begin(), addr.end()});
        if (it == data_->ptrs.end())
            return {};
        return it->second;
    }

  private:
    std::span<const uint8_t> find(const std::map<std::string, std::vector<uint8_t>, std::less<>>& m,
                                  std::string_view key) {
        BOOST_CHECK_EQUAL(data_->open, 1);
        BOOST_CHECK_MESSAGE(FakeCatalogData::lower(std::string(key)) == key,
                            "key not lowercase: " << key);
        ++data_->lookups;
        auto it = m.find(key);
        if (it == m.end())
            return {};
        return it->second;
    }
    std::shared_ptr<FakeCatalogData> data_;
};

class FakeDnsSource final : public catalog::DnsSource {
  public:
    explicit FakeDnsSource(std::shared_ptr<FakeCatalogData> data) : data_(std::move(data)) {}
    std::unique_ptr<catalog::DnsReader> reader() const override {
        return std::make_unique<FakeDnsReader>(data_);
    }

  private:
    std::shared_ptr<FakeCatalogData> data_;
};

inline catalog::InstanceData instance(std::string node, std::string address, uint16_t port,
                                      catalog::Status health = catalog::Status::passing,
                                      std::vector<std::string> tags = {}) {
    catalog::InstanceData d;
    d.node = std::move(node);
    d.addr = catalog::ip_bytes(address);
    d.port = port;
    d.health = health;
    d.tags = std::move(tags);
    return d;
}

}  // namespace muster::resolver::test

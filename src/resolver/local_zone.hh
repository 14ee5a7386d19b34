// LocalZone: the records of `records` and `hosts_file`, answered authoritatively.
// Immutable once built; a reload builds a new one and workers swap the pointer.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/result.hh"
#include "dns/response_writer.hh"
#include "dns/wire.hh"
#include "resolver/options.hh"

namespace muster::resolver {

class LocalZone {
  public:
    // Builds from records plus the hosts file (A/AAAA for every name, PTR for the first name
    // of each line). Fails only when the hosts file cannot be read; bad hosts lines are
    // skipped and reported in `warnings`.
    static Result<std::shared_ptr<const LocalZone>> build(const Zones& zones,
                                                          std::vector<std::string>& warnings);

    enum class Outcome { not_ours, answered };
    // Answers q when its name is local data: the records of the type (following local CNAMEs),
    // or NODATA for a name that has other types only. Other names, parents of local names
    // included, are not ours.
    Outcome answer(const dns::Query& q, dns::ResponseWriter& w, const dns::EdnsOut& edns,
                   uint16_t extra_flags) const;

    size_t name_count() const { return nodes_.size(); }

  private:
    struct Rr {
        uint16_t type;
        uint32_t ttl;
        std::vector<uint8_t> rdata;
    };
    struct Node {
        dns::Name name;
        std::vector<Rr> rrs;
    };
    void add(const dns::Name& name, uint16_t type, uint32_t ttl, std::vector<uint8_t> rdata);
    const Node* find(const dns::Name& lower) const;

    // Keys are lowercased wire names; views point into the Node's own name.
    std::unordered_map<std::string_view, std::unique_ptr<Node>> nodes_;
};

}  // namespace muster::resolver

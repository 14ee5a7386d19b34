// Test helper: a message as ldns, an independent decoder, reads it: every RR of every section in
// ldns's presentation form, so compressed names are checked by code that is not ours.
#pragma once

// Before ldns: it defines bool and false as macros unless stdbool.h says they exist.
#include <stdbool.h>

#include <ldns/ldns.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace muster::dns::test {

struct LdnsRr {
    std::string owner;  // "n1.node.dc1.internal."
    uint16_t type = 0;
    std::string rdata;  // presentation form of every rdata field, space separated
};

struct LdnsView {
    std::vector<LdnsRr> answer, authority, additional;  // additional without the OPT record
};

inline std::string ldns_text(const ldns_rdf* rdf) {
    char* s = ldns_rdf2str(rdf);
    std::string out = s ? s : "";
    std::free(s);
    return out;
}

// nullopt when ldns rejects the message.
inline std::optional<LdnsView> ldns_view(std::span<const uint8_t> msg) {
    ldns_pkt* pkt = nullptr;
    if (ldns_wire2pkt(&pkt, msg.data(), msg.size()) != LDNS_STATUS_OK)
        return std::nullopt;
    std::unique_ptr<ldns_pkt, decltype(&ldns_pkt_free)> guard(pkt, ldns_pkt_free);
    LdnsView view;
    auto read = [](const ldns_rr_list* list, std::vector<LdnsRr>& out) {
        for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(list, i);
            LdnsRr r{ldns_text(ldns_rr_owner(rr)), static_cast<uint16_t>(ldns_rr_get_type(rr)), {}};
            for (size_t k = 0; k < ldns_rr_rd_count(rr); ++k)
                r.rdata += (k ? " " : "") + ldns_text(ldns_rr_rdf(rr, k));
            out.push_back(std::move(r));
        }
    };
    read(ldns_pkt_answer(pkt), view.answer);
    read(ldns_pkt_authority(pkt), view.authority);
    read(ldns_pkt_additional(pkt), view.additional);
    return view;
}

}  // namespace muster::dns::test

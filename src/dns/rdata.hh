// RDATA from presentation text (RFC 1035 §5) for the record types local data may hold.
// Built with ldns at load time; never on the query path.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/result.hh"

namespace muster::dns {

// type is a type number (type::a, ...); text is the RDATA as in a zone file:
// A "192.0.2.1", AAAA "2001:db8::1", CNAME/PTR/NS "target.example.", MX "10 mail.example.",
// SRV "10 5 8080 host.example.", TXT "some text" (one or more character strings; an unquoted
// string is one character string), SOA "ns. host. serial refresh retry expire minimum".
// Names must be absolute (a missing trailing dot is added). The result is uncompressed wire
// RDATA. Errors say what was expected.
Result<std::vector<uint8_t>> rdata_from_text(uint16_t type, std::string_view text);

}  // namespace muster::dns

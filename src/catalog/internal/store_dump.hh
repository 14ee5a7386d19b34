// The catalog dump (a Raft snapshot): every database of the store as raw key/value pairs behind
// a small versioned header, written from one read transaction and parsed in full, strictly
// bounds-checked, before anything is restored.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "catalog/internal/store_db.hh"
#include "common/lmdb.hh"
#include "common/result.hh"

namespace muster::catalog::internal {

// Layout, every integer little-endian:
//   header   magic "MUSTRDMP" (8) | u32 format version (1) | u64 applied Raft index |
//            u64 catalog index | u32 database count (db_count)
//   then per database, in db_names order:
//            u8 name length | name | u64 entry count |
//            entries: u32 key length | key | u32 value length | value
// and nothing after the last database. Keys are in LMDB order (strictly increasing, 1 to 511
// bytes), and the header's indexes are those the meta database holds.
inline constexpr std::array<uint8_t, 8> dump_magic = {'M', 'U', 'S', 'T', 'R', 'D', 'M', 'P'};
inline constexpr uint32_t dump_version = 1;
inline constexpr std::size_t dump_header_size = 8 + 4 + 8 + 8 + 4;
inline constexpr std::size_t dump_max_key = 511;  // LMDB's default key size limit

struct DumpHeader {
    uint64_t raft_index = 0;
    uint64_t index = 0;
};

// A parsed dump; the entries point into the parsed bytes.
struct ParsedDump {
    DumpHeader header;
    std::array<std::vector<lmdb::Entry>, db_count> dbs;  // in db_names order
};

// Every database of `dbs` as `txn` sees it.
std::vector<uint8_t> write_dump(const lmdb::Txn& txn, const Dbs& dbs);

// The header alone (magic, version, database count); errors say what is wrong.
Result<DumpHeader> parse_dump_header(std::span<const uint8_t> bytes);

// The whole dump; an error names the database and entry where it is malformed. The values are
// taken as the dumping store held them: what is checked is the framing, the key order and that
// the meta database agrees with the header.
Result<ParsedDump> parse_dump(std::span<const uint8_t> bytes);

}  // namespace muster::catalog::internal

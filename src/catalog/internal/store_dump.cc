// The catalog dump: writing every database from one read transaction, and strict parsing.
#include "catalog/internal/store_dump.hh"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace muster::catalog::internal {

namespace {

void put_le(std::vector<uint8_t>& out, uint64_t value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i, value >>= 8)
        out.push_back(static_cast<uint8_t>(value & 0xff));
}

void put_bytes(std::vector<uint8_t>& out, lmdb::Bytes bytes) {
    // resize + memcpy, not insert: GCC 12 at -O3 reports a false -Wstringop-overflow for an
    // insert into the still empty vector (the release build failed on it).
    size_t at = out.size();
    out.resize(at + bytes.size());
    if (!bytes.empty())
        std::memcpy(out.data() + at, bytes.data(), bytes.size());
}

// Reads the dump front to back; every read checks what is left first.
class DumpReader {
  public:
    explicit DumpReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
    std::size_t left() const { return bytes_.size() - pos_; }

    std::optional<uint64_t> le(std::size_t size) {
        if (left() < size)
            return std::nullopt;
        uint64_t v = 0;
        for (std::size_t i = size; i > 0; --i)
            v = (v << 8) | bytes_[pos_ + i - 1];
        pos_ += size;
        return v;
    }
    std::optional<lmdb::Bytes> take(uint64_t size) {
        if (left() < size)
            return std::nullopt;
        auto out = bytes_.subspan(pos_, static_cast<std::size_t>(size));
        pos_ += static_cast<std::size_t>(size);
        return out;
    }

  private:
    std::span<const uint8_t> bytes_;
    std::size_t pos_ = 0;
};

Error dump_error(const std::string& what) {
    return make_error("catalog dump: " + what);
}

Result<DumpHeader> read_header(DumpReader& in) {
    if (in.left() < dump_header_size)
        return dump_error("truncated header (" + std::to_string(in.left()) + " of " +
                          std::to_string(dump_header_size) + " bytes)");
    auto magic = *in.take(dump_magic.size());
    if (!std::equal(magic.begin(), magic.end(), dump_magic.begin()))
        return dump_error("not a catalog dump (bad magic)");
    auto version = *in.le(4);
    if (version != dump_version)
        return dump_error("format version " + std::to_string(version) + ", this build reads " +
                          std::to_string(dump_version));
    DumpHeader header;
    header.raft_index = *in.le(8);
    header.index = *in.le(8);
    auto count = *in.le(4);
    if (count != db_count)
        return dump_error(std::to_string(count) + " databases, expected " +
                          std::to_string(db_count));
    return header;
}

// LMDB's default order: bytewise, a prefix first.
bool key_less(lmdb::Bytes a, lmdb::Bytes b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

Result<std::vector<lmdb::Entry>> read_db(DumpReader& in, std::string_view name) {
    std::string where = "database " + std::string(name);
    auto name_size = in.le(1);
    if (!name_size)
        return dump_error("truncated before " + where);
    auto got = in.take(*name_size);
    if (!got)
        return dump_error("truncated name of " + where);
    if (lmdb::text(*got) != name)
        return dump_error("found database \"" + std::string(lmdb::text(*got)) + "\" where " +
                          std::string(name) + " belongs");
    auto count = in.le(8);
    if (!count)
        return dump_error("truncated entry count of " + where);
    std::vector<lmdb::Entry> entries;
    for (uint64_t i = 0; i < *count; ++i) {  // each entry takes at least 9 bytes or fails
        auto entry = [&] { return where + " entry " + std::to_string(i); };
        auto key_size = in.le(4);
        auto key = key_size ? in.take(*key_size) : std::nullopt;
        if (!key)
            return dump_error("truncated key of " + entry());
        if (key->empty() || key->size() > dump_max_key)
            return dump_error(entry() + ": key of " + std::to_string(key->size()) + " bytes");
        if (!entries.empty() && !key_less(entries.back().key, *key))
            return dump_error(entry() + ": key out of order");
        auto value_size = in.le(4);
        auto value = value_size ? in.take(*value_size) : std::nullopt;
        if (!value)
            return dump_error("truncated value of " + entry());
        entries.push_back({*key, *value});
    }
    return entries;
}

// The meta value under `key` must be the header's number (absent when that is 0).
Result<void> check_meta(const std::vector<lmdb::Entry>& meta, std::string_view key,
                        uint64_t expected) {
    auto it = std::find_if(meta.begin(), meta.end(),
                           [&](const lmdb::Entry& e) { return lmdb::text(e.key) == key; });
    uint64_t stored = 0;
    if (it != meta.end()) {
        if (it->value.size() != sizeof stored)
            return dump_error("meta " + std::string(key) + " of " +
                              std::to_string(it->value.size()) + " bytes");
        std::memcpy(&stored, it->value.data(), sizeof stored);
    }
    if (stored != expected)
        return dump_error("header says " + std::string(key) + " " + std::to_string(expected) +
                          " but the meta database holds " + std::to_string(stored));
    return {};
}

}  // namespace

std::vector<uint8_t> write_dump(const lmdb::Txn& txn, const Dbs& dbs) {
    std::vector<uint8_t> out;
    put_bytes(out, dump_magic);
    put_le(out, dump_version, 4);
    put_le(out, read_raft_index(txn, dbs), 8);
    put_le(out, read_index(txn, dbs), 8);
    put_le(out, db_count, 4);
    auto list = db_list(dbs);
    for (std::size_t i = 0; i < db_count; ++i) {
        put_le(out, db_names[i].size(), 1);
        put_bytes(out, lmdb::bytes(db_names[i]));
        std::size_t count_at = out.size();
        put_le(out, 0, 8);
        uint64_t count = 0;
        lmdb::Cursor cursor(txn, list[i]);
        for (auto e = cursor.first(); e; e = cursor.next(), ++count) {
            put_le(out, e->key.size(), 4);
            put_bytes(out, e->key);
            put_le(out, e->value.size(), 4);
            put_bytes(out, e->value);
        }
        for (std::size_t b = 0; b < 8; ++b, count >>= 8)
            out[count_at + b] = static_cast<uint8_t>(count & 0xff);
    }
    return out;
}

Result<DumpHeader> parse_dump_header(std::span<const uint8_t> bytes) {
    DumpReader in(bytes);
    return read_header(in);
}

Result<ParsedDump> parse_dump(std::span<const uint8_t> bytes) {
    DumpReader in(bytes);
    auto header = read_header(in);
    if (!header.ok())
        return header.error();
    ParsedDump dump;
    dump.header = *header;
    for (std::size_t i = 0; i < db_count; ++i) {
        auto entries = read_db(in, db_names[i]);
        if (!entries.ok())
            return entries.error();
        dump.dbs[i] = std::move(entries).value();
    }
    if (in.left() != 0)
        return dump_error(std::to_string(in.left()) + " bytes after the last database");
    static_assert(db_names[0] == "meta");
    if (auto r = check_meta(dump.dbs[0], index_key, dump.header.index); !r)
        return r.error();
    if (auto r = check_meta(dump.dbs[0], raft_index_key, dump.header.raft_index); !r)
        return r.error();
    return dump;
}

}  // namespace muster::catalog::internal

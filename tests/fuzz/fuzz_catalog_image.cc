// libFuzzer target: catalog images (the Raft snapshots a follower restores). Only the framing
// (header and checksum) is ours to parse; a mutated LMDB file fails the checksum, which is what
// keeps LMDB from ever opening a damaged file. The corpus's images are of the build before
// ServiceRecord layout 2, so they also replay the upgrade of their records on restore.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "catalog/dns_record.hh"
#include "catalog/internal/store_fragment.hh"
#include "catalog/internal/store_image.hh"
#include "catalog/store.hh"
#include "common/lmdb.hh"

namespace {

using muster::catalog::Store;

// One store for the whole run, in a directory removed at exit; reopened empty when an image
// would be ignored for being at or below its applied index, so every intact image restores.
class Target {
  public:
    Target() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "muster-fuzz-image-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr)
            __builtin_trap();
        dir_ = tmpl;
        open();
    }
    ~Target() {
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    Target(const Target&) = delete;
    Target& operator=(const Target&) = delete;

    Store& store() { return *store_; }
    void make_room_for(uint64_t raft_index) {
        if (raft_index == 0 || raft_index > store_->applied_index())
            return;
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_ / "data", ec);
        open();
    }

  private:
    void open() {
        auto s = Store::open({.dir = (dir_ / "data").string(),
                              .map_size = uint64_t{1} << 28,
                              .durability = muster::catalog::Durability::no_sync,
                              .max_readers = 8});
        if (!s.ok())
            __builtin_trap();
        store_ = std::move(s).value();
    }
    std::filesystem::path dir_;
    std::unique_ptr<Store> store_;
};

// Every entry of every database of an image, or nullopt when it does not open.
std::optional<std::vector<std::string>> entries(std::span<const uint8_t> image) {
    auto opened = muster::catalog::internal::open_image(image);
    if (!opened.ok())
        return std::nullopt;
    namespace in = muster::catalog::internal;
    std::vector<std::string> out;
    auto list = in::db_list((*opened)->dbs());
    for (std::size_t i = 0; i < in::db_count; ++i) {
        if (list[i].handle == in::absent_dbi)
            continue;  // an image from before this database
        muster::lmdb::Cursor c((*opened)->txn(), list[i]);
        for (auto e = c.first(); e; e = c.next())
            out.push_back(std::to_string(i) + " " + std::string(muster::lmdb::text(e->key)) +
                          " = " + std::string(muster::lmdb::text(e->value)));
    }
    return out;
}

std::vector<std::string> store_entries(const Store& store) {
    auto image = store.image();
    if (!image.ok())
        __builtin_trap();
    auto out = entries(*image);
    if (!out)
        __builtin_trap();  // a store's own image always opens
    return *out;
}

// The entry of meta that marks the ServiceRecord layout as current.
std::string layout_mark() {
    namespace in = muster::catalog::internal;
    return std::to_string(std::find(in::db_names.begin(), in::db_names.end(), "meta") -
                          in::db_names.begin()) +
           " " + std::string(in::service_record_version_key) + " = " +
           std::string(1, static_cast<char>(muster::catalog::service_record_version));
}

bool has_layout_mark(const std::vector<std::string>& entries) {
    return std::find(entries.begin(), entries.end(), layout_mark()) != entries.end();
}

// The entries without the service records and the layout mark: what an upgrade keeps.
std::vector<std::string> without_records(std::vector<std::string> entries) {
    namespace in = muster::catalog::internal;
    const std::string records =
        std::to_string(std::find(in::db_names.begin(), in::db_names.end(), "dns_service") -
                       in::db_names.begin()) +
        " ";
    std::erase_if(entries, [&](const std::string& e) {
        return e.starts_with(records) || e == layout_mark();
    });
    return entries;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Target target;
    std::span<const uint8_t> bytes(data, size);
    auto at = Store::image_applied_index(bytes);
    if (!at.ok()) {
        if (at.error().message.empty())
            __builtin_trap();  // every error says what was wrong
        if (target.store().restore(bytes).ok())
            __builtin_trap();  // restore checks at least what the header check does
        return 0;
    }
    target.make_room_for(*at);
    bool applies = *at > target.store().applied_index();  // else ignored: 0 is never above
    auto before = store_entries(target.store());
    auto restored = target.store().restore(bytes);
    auto after = store_entries(target.store());
    if (!restored.ok() || !applies) {
        if ((!restored.ok() && restored.error().message.empty()) || after != before)
            __builtin_trap();  // a refused or ignored image changes nothing
        return 0;
    }
    // What restores is what the image holds, at its indexes; an image of an older build has
    // its service records rebuilt in the current layout, and says so after.
    auto held = entries(bytes);
    if (!held || target.store().applied_index() != *at)
        __builtin_trap();
    if (has_layout_mark(*held)) {
        if (after != *held)
            __builtin_trap();
    } else if (!has_layout_mark(after) || without_records(after) != without_records(*held)) {
        __builtin_trap();
    }
    return 0;
}

// libFuzzer target: catalog dumps (the Raft snapshots a follower restores).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "catalog/store.hh"

namespace {

using muster::catalog::Store;

// One store for the whole run, in a directory removed at exit; reopened empty when a dump would
// be ignored for being at or below its applied index, so every well-formed dump restores.
class Target {
  public:
    Target() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "muster-fuzz-dump-XXXXXX").string();
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Target target;
    std::span<const uint8_t> bytes(data, size);
    auto at = Store::dump_applied_index(bytes);
    if (!at.ok()) {
        if (at.error().message.empty())
            __builtin_trap();  // every error says what was wrong
        if (target.store().restore(bytes).ok())
            __builtin_trap();  // restore checks at least what the header check does
        return 0;
    }
    target.make_room_for(*at);
    bool applies = *at > target.store().applied_index();  // else ignored: 0 is never above
    auto before = target.store().dump();
    if (!before.ok())
        __builtin_trap();
    auto restored = target.store().restore(bytes);
    auto after = target.store().dump();
    if (!after.ok())
        __builtin_trap();
    if (!restored.ok() || !applies) {
        if ((!restored.ok() && restored.error().message.empty()) || *after != *before)
            __builtin_trap();  // a refused or ignored dump changes nothing
        return 0;
    }
    // The format is canonical: what restores dumps back to the same bytes, at its indexes.
    if (*after != std::vector<uint8_t>(bytes.begin(), bytes.end()) ||
        target.store().applied_index() != *at)
        __builtin_trap();
    return 0;
}

// raft_dir: see raft_dir.hh.
#include "cluster/internal/raft_dir.hh"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/ascii.hh"
#include "common/fd.hh"

namespace muster::cluster::internal {
namespace {

namespace fs = std::filesystem;

// Kept below 2^63 so tools that read IDs as signed integers (JSON, SQL) see them unchanged.
uint64_t random_id() {
    for (;;) {
        uint64_t id = random_u64() & 0x7fff'ffff'ffff'ffffULL;
        if (id != 0)
            return id;
    }
}

Result<uint64_t> read_id(const fs::path& file) {
    std::ifstream in(file);
    if (!in)
        return make_error(file.string() + ": cannot read");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.pop_back();
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id == 0)
        return make_error(file.string() + ": not a nonzero decimal server ID: \"" + text + "\"");
    return id;
}

// tmp + fsync + rename + fsync(dir): after a crash the ID is either absent or whole.
Result<void> write_id(const fs::path& dir, uint64_t id) {
    const fs::path tmp = dir / "id.tmp";
    const fs::path file = dir / "id";
    std::string text = std::to_string(id) + "\n";
    int err = 0;
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!fd.valid())
            return make_error(tmp.string() + ": " + std::strerror(errno));
        ssize_t n = ::write(fd.get(), text.data(), text.size());
        err = n == static_cast<ssize_t>(text.size()) ? 0 : (n < 0 ? errno : EIO);
        if (err == 0 && ::fsync(fd.get()) != 0)
            err = errno;
    }
    if (err == 0 && ::rename(tmp.c_str(), file.c_str()) != 0)
        err = errno;
    if (err != 0) {
        ::unlink(tmp.c_str());
        return make_error(file.string() + ": " + std::strerror(err));
    }
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.valid())
        ::fsync(dfd.get());
    return {};
}

}  // namespace

uint64_t random_u64() {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

bool is_raft_state_file(const std::string& name) {
    if (name == "metadata1" || name == "metadata2")
        return true;
    if (name.starts_with("open-") || name.starts_with("snapshot-"))
        return true;
    auto dash = name.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == name.size())
        return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return c == '-' || ascii::is_digit(c); });
}

Result<bool> has_raft_state(const std::string& dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (is_raft_state_file(it->path().filename().string()))
            return true;
    }
    if (ec)
        return make_error(dir + ": " + ec.message());
    return false;
}

Result<uint64_t> take_server_id(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return make_error(dir + ": " + ec.message());
    const fs::path file = fs::path(dir) / "id";
    if (fs::exists(file, ec))
        return read_id(file);
    auto state = has_raft_state(dir);
    if (!state)
        return state.error();
    if (*state)
        return make_error(dir +
                          " holds Raft state but no id file: restore dir/id (the server's "
                          "decimal ID) rather than start as a new server");
    uint64_t id = random_id();
    if (auto w = write_id(dir, id); !w)
        return w.error();
    return id;
}

}  // namespace muster::cluster::internal

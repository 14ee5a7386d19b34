// The TTL checks' state file: loaded once at start, replaced atomically on every TTL update
// (write a temporary file, fsync it, rename it over the old one, fsync the directory).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "checks/internal/ttl_state_codec.hh"
#include "checks/monitor.hh"
#include "common/fd.hh"
#include "common/log.hh"

namespace muster::checks {
namespace {

constexpr log::Logger logger("checks");

std::string errno_text(int err) {
    return std::strerror(err);
}

// Writes all of `data` to a new file at `path` and fsyncs it.
Result<void> write_synced(const std::string& path, const std::string& data) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid())
        return make_error(path + ": " + errno_text(errno));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return make_error(path + ": " + errno_text(errno));
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0)
        return make_error(path + ": fsync: " + errno_text(errno));
    if (fd.close() != 0)
        return make_error(path + ": close: " + errno_text(errno));
    return {};
}

// So that the rename itself survives a crash.
void sync_directory(const std::filesystem::path& dir) {
    const Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.valid())
        (void)::fsync(fd.get());
}

}  // namespace

std::map<std::string, TtlState> TtlStateFile::load() const {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
        std::error_code ec;
        if (std::filesystem::exists(path_, ec))
            logger.warn("TTL state file unreadable, TTL checks start from their registered status",
                        {{"path", path_}});
        return {};
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto states = internal::decode_ttl_state(text);
    if (!states.ok()) {
        logger.warn("TTL state file corrupt, TTL checks start from their registered status",
                    {{"path", path_}, {"error", states.error().message}});
        return {};
    }
    return std::move(states).value();
}

Result<void> TtlStateFile::save(const std::map<std::string, TtlState>& states) const {
    std::filesystem::path target(path_);
    std::filesystem::path dir = target.parent_path();
    std::error_code ec;
    if (!dir.empty())
        std::filesystem::create_directories(dir, ec);
    if (ec)
        return make_error(dir.string() + ": " + ec.message());
    std::string tmp = path_ + ".tmp";
    if (auto r = write_synced(tmp, internal::encode_ttl_state(states)); !r.ok()) {
        ::unlink(tmp.c_str());
        return r;
    }
    if (::rename(tmp.c_str(), path_.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return make_error(path_ + ": rename: " + errno_text(err));
    }
    sync_directory(dir);
    return {};
}

std::optional<std::pair<catalog::Status, std::string>> restored_ttl_status(
    const std::map<std::string, TtlState>& saved, const std::string& check_id,
    std::chrono::system_clock::time_point now) {
    auto it = saved.find(check_id);
    if (it == saved.end())
        return std::nullopt;
    if (now >= it->second.expires)
        return std::pair{catalog::Status::critical,
                         std::string("TTL expired (while the agent was stopped)")};
    return std::pair{it->second.status, it->second.output};
}

}  // namespace muster::checks

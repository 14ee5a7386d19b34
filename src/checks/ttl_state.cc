// The TTL checks' state file: loaded once at start, replaced atomically on every TTL update
// (common/atomic_file: a temporary file, fsync, rename, fsync of the directory).
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "checks/internal/ttl_state_codec.hh"
#include "checks/monitor.hh"
#include "common/atomic_file.hh"
#include "common/log.hh"

namespace muster::checks {
namespace {

constexpr log::Logger logger("checks");
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
    return write_atomically(path_, internal::encode_ttl_state(states), 0600);
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

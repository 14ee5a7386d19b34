// CatalogStateMachine and RaftWriter: the catalog Store behind the Raft log.
#include "app/replicated_catalog.hh"

#include <optional>

#include "common/log.hh"

namespace muster::app {
namespace {
constexpr log::Logger logger("cluster");

// A restore replaces the whole catalog: every replica says so when it applies one.
void log_restores(uint64_t index, const std::vector<catalog::Command>& batch) {
    for (const auto& command : batch) {
        if (const auto* r = std::get_if<catalog::Restore>(&command))
            logger.info("replacing the catalog by a snapshot",
                        {{"raft_index", std::to_string(index)},
                         {"from_datacenter", r->datacenter},
                         {"nodes", std::to_string(r->nodes.size())},
                         {"services", std::to_string(r->services.size())}});
    }
}

}  // namespace

Result<std::vector<Result<uint64_t>>> CatalogStateMachine::apply(
    uint64_t index, std::span<const std::span<const uint8_t>> commands) {
    if (index <= store_.applied_index())
        return std::vector<Result<uint64_t>>{};  // a replay of what LMDB already holds
    std::vector<std::vector<catalog::Command>> batches;
    std::vector<std::optional<Error>> refused(commands.size());
    batches.reserve(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
        auto decoded = catalog::decode(commands[i]);
        if (decoded) {
            log_restores(index, *decoded);
            batches.push_back(std::move(decoded).value());
        } else
            refused[i] = make_error("undecodable catalog command: " + decoded.error().message);
    }
    auto applied = store_.apply_entry(index, batches);
    if (!applied)
        return applied.error();
    std::vector<Result<uint64_t>> results;
    results.reserve(commands.size());
    size_t next = 0;
    for (size_t i = 0; i < commands.size(); ++i) {
        if (refused[i])
            results.emplace_back(std::move(*refused[i]));
        else if (next < applied->size())
            results.push_back(std::move((*applied)[next++]));
        else
            MUSTER_PANIC("Store::apply_entry returned fewer results than batches");
    }
    return results;
}

Result<cluster::SnapshotData> CatalogStateMachine::snapshot() {
    auto image = store_.write_image();
    if (!image)
        return image.error();
    return cluster::SnapshotData{.parts = {image->header, image->file},
                                 .owner = std::move(image->owner)};
}

Result<void> CatalogStateMachine::restore(std::span<const uint8_t> snapshot) {
    auto at = catalog::Store::image_applied_index(snapshot);
    if (!at)
        return at.error();
    uint64_t local = store_.applied_index();
    if (*at <= local) {
        logger.info("raft snapshot not restored: the catalog is already past it",
                    {{"snapshot_index", std::to_string(*at)}, {"applied", std::to_string(local)}});
        return {};
    }
    logger.info("restoring the catalog from a raft snapshot",
                {{"snapshot_index", std::to_string(*at)}, {"applied", std::to_string(local)}});
    return store_.restore(snapshot);
}

void RaftWriter::submit(std::vector<catalog::Command> batch,
                        std::function<void(Result<uint64_t>)> done) {
    node_.submit(catalog::encode(batch),
                 [done = std::move(done)](cluster::Fate, Result<uint64_t> result) {
                     done(std::move(result));
                 });
}

}  // namespace muster::app

// /v1/snapshot: snapshot files in and out of the HTTP API.
#include "api/snapshot_endpoint.hh"

#include <span>
#include <string>

#include "api/endpoints.hh"
#include "catalog/snapshot_file.hh"

namespace muster::api {

http::Response snapshot_response(const Options& options, const catalog::Store& store) {
    auto file = catalog::save_snapshot_file(store, options.datacenter);
    if (!file.ok())
        return text_response(500, file.error().message);
    auto info = catalog::decode_snapshot_file(*file);
    if (!info.ok())
        return text_response(500, "snapshot: " + info.error().message);  // our own bytes: a bug
    http::Response r;
    r.content_type = "application/octet-stream";
    r.headers.emplace_back("X-Consul-Index", std::to_string(info->info.index));
    r.body.assign(file->begin(), file->end());
    return r;
}

RestorePlan plan_restore(const http::Request& request) {
    RestorePlan plan;
    const std::span<const uint8_t> body(reinterpret_cast<const uint8_t*>(request.body.data()),
                                        request.body.size());
    auto restore = catalog::read_snapshot_file(body);
    if (!restore.ok()) {
        plan.refusal = text_response(400, restore.error().message);
        return plan;
    }
    std::vector<catalog::Command> batch;
    batch.emplace_back(std::move(restore->command));
    const std::size_t size = catalog::encode(batch).size();
    if (size > max_restore_command_bytes) {
        plan.refusal = text_response(
            413, "snapshot too large to restore: its nodes, services and checks take " +
                     std::to_string(size) + " bytes in the Raft log, at most " +
                     std::to_string(max_restore_command_bytes) + " fit in one entry");
        return plan;
    }
    plan.batch = std::move(batch);
    return plan;
}

}  // namespace muster::api

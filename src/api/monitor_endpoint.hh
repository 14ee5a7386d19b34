// GET /v1/agent/monitor (Consul's): the agent's log lines streamed as they are written, at the
// level the client asks for, until the client goes away or the agent stops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include "common/event_loop.hh"
#include "common/http_server.hh"
#include "common/log.hh"
#include "common/result.hh"

namespace muster::api {

// What a monitor asks for: ?loglevel=trace|debug|info|warn|err (default info) and ?logjson
// (Consul's JSON lines). The error (a 400) names the bad level and the good ones.
Result<log::TapOptions> parse_monitor_request(const http::Request& request);

inline constexpr size_t default_max_monitors = 16;

// The live monitors of one API server, on its loop. Each holds a log::Tap and a chunked reply;
// lines go out one chunk at a time, so a client that reads slowly costs the Tap's bounded queue
// (and a "lines dropped" notice), never a growing buffer.
class Monitors {
  public:
    explicit Monitors(EventLoop& loop, size_t max_monitors = default_max_monitors);
    ~Monitors();  // ends every stream
    Monitors(const Monitors&) = delete;
    Monitors& operator=(const Monitors&) = delete;

    // Starts a stream, or replies 400 (bad level) or 429 (max_monitors already streaming).
    void serve(std::shared_ptr<http::Exchange> exchange);
    // Ends every stream (their clients see the last chunk).
    void close();
    size_t size() const { return monitors_.size(); }

  private:
    struct Monitor;
    void pump(uint64_t id);
    void drop(uint64_t id);

    EventLoop& loop_;
    size_t max_monitors_;
    uint64_t next_id_ = 1;
    std::map<uint64_t, std::unique_ptr<Monitor>> monitors_;
    // Wakes posted from logging threads hold a weak reference to this.
    std::shared_ptr<Monitors*> alive_;
};

}  // namespace muster::api

// Monitors: one log::Tap per GET /v1/agent/monitor, pumped into its chunked reply on the loop.
#include "api/monitor_endpoint.hh"

#include <string>
#include <utility>

#include "api/endpoints.hh"

namespace muster::api {
namespace {

constexpr log::Logger logger("api");

}  // namespace

Result<log::TapOptions> parse_monitor_request(const http::Request& request) {
    log::TapOptions options;
    if (auto text = request.param("loglevel"); text && !text->empty()) {
        if (!log::parse_level(*text, options.level))
            return make_error("Unknown log level: " + *text +
                              " (expected trace, debug, info, warn or err)");
    }
    // Consul takes ?logjson and ?logjson=true.
    if (auto json = request.param("logjson"); json && *json != "false" && *json != "0")
        options.format = log::TapFormat::json;
    return options;
}

struct Monitors::Monitor {
    std::unique_ptr<log::Tap> tap;
    std::unique_ptr<http::Stream> stream;
    bool writing = false;  // a chunk is in the connection's buffer
};

Monitors::Monitors(EventLoop& loop, size_t max_monitors)
    : loop_(loop), max_monitors_(max_monitors), alive_(std::make_shared<Monitors*>(this)) {}

Monitors::~Monitors() {
    close();
}

void Monitors::close() {
    // Taps first: no wake is posted for a monitor that is about to go.
    for (auto& [id, monitor] : monitors_)
        monitor->tap.reset();
    monitors_.clear();
}

void Monitors::serve(std::shared_ptr<http::Exchange> exchange) {
    auto options = parse_monitor_request(exchange->request());
    if (!options) {
        exchange->reply(text_response(400, options.error().message));
        return;
    }
    if (monitors_.size() >= max_monitors_) {
        exchange->reply(text_response(
            429, "too many monitors: " + std::to_string(max_monitors_) + " are streaming"));
        return;
    }
    const uint64_t id = next_id_++;
    auto monitor = std::make_unique<Monitor>();
    monitor->stream = exchange->stream(http::Response{}, [this, id] { drop(id); });
    if (monitor->stream == nullptr)
        return;
    std::weak_ptr<Monitors*> weak = alive_;
    EventLoop* loop = &loop_;
    options->wake = [weak, loop, id] {
        loop->post([weak, id] {
            if (auto self = weak.lock())
                (*self)->pump(id);
        });
    };
    log::Level level = options->level;
    monitors_.emplace(id, std::move(monitor));
    // Attached last: from here lines (this one too) reach the stream.
    monitors_[id]->tap = std::make_unique<log::Tap>(std::move(*options));
    logger.debug("monitor started", {{"loglevel", std::string(log::level_name(level))}});
}

void Monitors::pump(uint64_t id) {
    auto it = monitors_.find(id);
    if (it == monitors_.end() || it->second->writing || it->second->tap == nullptr)
        return;
    Monitor& m = *it->second;
    std::string lines = m.tap->take();
    if (lines.empty())
        return;
    m.writing = true;
    m.stream->write(lines, [this, id] {
        auto again = monitors_.find(id);
        if (again == monitors_.end())
            return;
        again->second->writing = false;
        pump(id);
    });
}

void Monitors::drop(uint64_t id) {
    auto it = monitors_.find(id);
    if (it == monitors_.end())
        return;
    // Out of the map before the stream goes: its destructor may not reach back in here.
    auto monitor = std::move(it->second);
    monitors_.erase(it);
    monitor->tap.reset();
    logger.debug("monitor ended", {{"monitors", std::to_string(monitors_.size())}});
}

}  // namespace muster::api

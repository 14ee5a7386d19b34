// Logging: one Logger per module, leveled, key=value fields, to stderr and to live taps.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace muster::log {

enum class Level { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

// Parses "trace|debug|info|warn|error" (case-insensitive, also "warning" and Consul's "err");
// false when unknown.
bool parse_level(std::string_view text, Level& out);
std::string_view level_name(Level l);
// The configured level: what reaches stderr.
void set_level(Level level);
Level level();
// The most verbose level anyone listens at: the configured one or a live Tap's. Loggers format
// a line only at or above it, so with no tap attached the check costs what it always did.
Level threshold();

using Field = std::pair<std::string_view, std::string>;

class Logger {
  public:
    explicit constexpr Logger(std::string_view module) : module_(module) {}

    bool enabled(Level l) const { return l >= threshold(); }
    void write(Level l, std::string_view msg, std::initializer_list<Field> fields = {}) const;

    void debug(std::string_view m, std::initializer_list<Field> f = {}) const {
        write(Level::debug, m, f);
    }
    void info(std::string_view m, std::initializer_list<Field> f = {}) const {
        write(Level::info, m, f);
    }
    void warn(std::string_view m, std::initializer_list<Field> f = {}) const {
        write(Level::warn, m, f);
    }
    void error(std::string_view m, std::initializer_list<Field> f = {}) const {
        write(Level::error, m, f);
    }

  private:
    std::string_view module_;
};

enum class TapFormat {
    text,  // the stderr line
    json,  // Consul's -log-json line: {"@level", "@message", "@module", "@timestamp", fields}
};

struct TapOptions {
    Level level = Level::info;  // may be more verbose than the configured level
    TapFormat format = TapFormat::text;
    size_t max_queued_lines = 512;                // beyond this, lines are dropped and counted
    size_t max_queued_bytes = size_t{256} << 10;  // likewise (a line may carry 4 KiB of output)
    // Called on the logging thread when the queue goes from empty to not empty, with the tap
    // registry's lock held: it must not log and must only hand over (EventLoop::post).
    std::function<void()> wake{};
};

// A live copy of the log for one reader (GET /v1/agent/monitor), on any thread. A reader that
// falls behind loses lines rather than slowing the logging threads or growing memory: the
// queue is bounded, and take() reports how many lines were lost.
class Tap {
  public:
    explicit Tap(TapOptions options);  // attached from here on
    ~Tap();                            // detached; no wake runs after it returns
    Tap(const Tap&) = delete;
    Tap& operator=(const Tap&) = delete;

    // Everything queued, oldest first, each line ending in '\n', followed by one
    // "... N lines dropped" line (or "... 1 line dropped") when some were lost since the last
    // take(); "" when none.
    std::string take();
    Level level() const { return options_.level; }
    TapFormat format() const { return options_.format; }

    struct Registry;  // internal

  private:
    friend struct Registry;
    friend class Logger;
    // Under the registry's lock.
    void push(std::string line);

    TapOptions options_;
    std::deque<std::string> queue_;  // guarded by the registry's lock
    size_t queued_bytes_ = 0;        // likewise
    uint64_t dropped_ = 0;           // likewise
};

}  // namespace muster::log

// Logging: formats "ts level module msg key=value..." lines to stderr, one write per line.
#include "common/log.hh"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace muster::log {
namespace {
std::atomic<Level> g_level{Level::info};

constexpr const char* level_name(Level l) {
    switch (l) {
        case Level::trace:
            return "trace";
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warn";
        case Level::error:
            return "error";
    }
    return "?";
}

bool needs_quotes(std::string_view v) {
    if (v.empty())
        return true;
    for (char c : v)
        if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20)
            return true;
    return false;
}
}  // namespace

bool parse_level(std::string_view text, Level& out) {
    std::string t;
    for (char c : text)
        t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error}) {
        if (t == level_name(l)) {
            out = l;
            return true;
        }
    }
    if (t == "warning") {
        out = Level::warn;
        return true;
    }
    return false;
}

void set_level(Level level) {
    g_level.store(level, std::memory_order_relaxed);
}
Level level() {
    return g_level.load(std::memory_order_relaxed);
}

void Logger::write(Level l, std::string_view msg, std::initializer_list<Field> fields) const {
    if (!enabled(l))
        return;
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[64];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    std::string line;
    line.reserve(128);
    line.append(ts).append(" ").append(level_name(l)).append(" ").append(module_).append(": ");
    line.append(msg);
    for (const auto& [k, v] : fields) {
        line.append(" ").append(k).append("=");
        if (needs_quotes(v)) {
            line.push_back('"');
            for (char c : v) {
                if (c == '"' || c == '\\')
                    line.push_back('\\');
                line.push_back(c == '\n' ? ' ' : c);
            }
            line.push_back('"');
        } else {
            line.append(v);
        }
    }
    line.push_back('\n');
    // One write(2) per line keeps lines from different threads whole.
    ssize_t r = ::write(STDERR_FILENO, line.data(), line.size());
    (void)r;
}

}  // namespace muster::log

// Logging: formats "ts level module msg key=value..." lines to stderr, one write per line,
// and hands a copy to every Tap that listens at the line's level.
#include "common/log.hh"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <vector>

namespace muster::log {

// Every attached Tap. One lock for all of them: taps are rare (an operator's monitor), and a
// line takes it only while one is attached.
struct Tap::Registry {
    std::mutex mu;
    std::vector<Tap*> taps;        // guarded by mu
    std::atomic<size_t> count{0};  // taps.size(), read without the lock by writers
};

namespace {
std::atomic<Level> g_level{Level::info};
std::atomic<Level> g_threshold{Level::info};

// Never destroyed: threads may still log while static destructors run.
Tap::Registry& registry() {
    static auto* r = new Tap::Registry;
    return *r;
}

// Under registry().mu.
void update_threshold(const Tap::Registry& r) {
    Level t = g_level.load(std::memory_order_relaxed);
    for (const Tap* tap : r.taps)
        t = std::min(t, tap->level());
    g_threshold.store(t, std::memory_order_relaxed);
}

void append_json_string(std::string& out, std::string_view v) {
    out.push_back('"');
    for (char c : v) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out.append("\\n");
        } else if (u < 0x20) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", u);
            out.append(esc);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

// Consul's JSON log line (hclog's JSON format).
std::string json_line(const char* ts, Level l, std::string_view module, std::string_view msg,
                      std::initializer_list<Field> fields) {
    std::string out = "{\"@level\":";
    append_json_string(out, level_name(l));
    out.append(",\"@message\":");
    append_json_string(out, msg);
    out.append(",\"@module\":");
    append_json_string(out, module);
    out.append(",\"@timestamp\":");
    append_json_string(out, ts);
    for (const auto& [k, v] : fields) {
        out.push_back(',');
        append_json_string(out, k);
        out.push_back(':');
        append_json_string(out, v);
    }
    out.append("}\n");
    return out;
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
    if (t == "err") {  // Consul's name
        out = Level::error;
        return true;
    }
    return false;
}

std::string_view level_name(Level l) {
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

void set_level(Level level) {
    auto& r = registry();
    std::lock_guard lock(r.mu);
    g_level.store(level, std::memory_order_relaxed);
    update_threshold(r);
}
Level level() {
    return g_level.load(std::memory_order_relaxed);
}
Level threshold() {
    return g_threshold.load(std::memory_order_relaxed);
}

Tap::Tap(TapOptions options) : options_(std::move(options)) {
    auto& r = registry();
    std::lock_guard lock(r.mu);
    r.taps.push_back(this);
    r.count.store(r.taps.size(), std::memory_order_relaxed);
    update_threshold(r);
}

Tap::~Tap() {
    auto& r = registry();
    std::lock_guard lock(r.mu);
    r.taps.erase(std::remove(r.taps.begin(), r.taps.end(), this), r.taps.end());
    r.count.store(r.taps.size(), std::memory_order_relaxed);
    update_threshold(r);
}

void Tap::push(std::string line) {
    if (queue_.size() >= options_.max_queued_lines ||
        queued_bytes_ + line.size() > options_.max_queued_bytes) {
        ++dropped_;
        return;
    }
    bool was_empty = queue_.empty() && dropped_ == 0;
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
    if (was_empty && options_.wake)
        options_.wake();
}

std::string Tap::take() {
    std::deque<std::string> lines;
    uint64_t dropped = 0;
    {
        std::lock_guard lock(registry().mu);
        lines.swap(queue_);
        queued_bytes_ = 0;
        dropped = dropped_;
        dropped_ = 0;
    }
    std::string out;
    for (const auto& line : lines)
        out.append(line);
    if (dropped > 0) {
        std::string notice =
            "... " + std::to_string(dropped) + (dropped == 1 ? " line dropped" : " lines dropped");
        if (options_.format == TapFormat::json) {
            out.append("{\"@level\":\"warn\",\"@message\":");
            append_json_string(out, notice);
            out.append(",\"@module\":\"log\"}\n");
        } else {
            out.append(notice).append("\n");
        }
    }
    return out;
}

void Logger::write(Level l, std::string_view msg, std::initializer_list<Field> fields) const {
    if (!enabled(l))
        return;  // the fast path: below the configured level and every tap's
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
    if (l >= level()) {
        // One write(2) per line keeps lines from different threads whole.
        ssize_t r = ::write(STDERR_FILENO, line.data(), line.size());
        (void)r;
    }
    auto& reg = registry();
    if (reg.count.load(std::memory_order_relaxed) == 0)
        return;
    std::lock_guard lock(reg.mu);
    std::string json;
    for (Tap* tap : reg.taps) {
        if (l < tap->level())
            continue;
        if (tap->format() == TapFormat::text) {
            tap->push(line);
            continue;
        }
        if (json.empty())
            json = json_line(ts, l, module_, msg, fields);
        tap->push(json);
    }
}

}  // namespace muster::log

// Logging: one Logger per module, leveled, key=value fields, to stderr.
#pragma once

#include <atomic>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace muster::log {

enum class Level { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

// Parses "trace|debug|info|warn|error" (case-insensitive); false when unknown.
bool parse_level(std::string_view text, Level& out);
void set_level(Level level);
Level level();

using Field = std::pair<std::string_view, std::string>;

class Logger {
  public:
    explicit constexpr Logger(std::string_view module) : module_(module) {}

    bool enabled(Level l) const { return l >= level(); }
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

}  // namespace muster::log

// Go's time.Duration.String() for whole milliseconds.
#include "checks/internal/duration_text.hh"

namespace muster::checks::internal {

std::string duration_text(std::chrono::milliseconds d) {
    long long ms = d.count();
    if (ms < 0)
        return "-" + duration_text(-d);
    if (ms < 1000)
        return ms == 0 ? "0s" : std::to_string(ms) + "ms";
    long long hours = ms / 3600000;
    long long minutes = ms / 60000 % 60;
    long long seconds = ms / 1000 % 60;
    long long millis = ms % 1000;
    std::string out;
    if (hours > 0)
        out += std::to_string(hours) + "h";
    if (hours > 0 || minutes > 0)
        out += std::to_string(minutes) + "m";
    out += std::to_string(seconds);
    if (millis > 0) {
        std::string frac = std::to_string(1000 + millis).substr(1);  // zero-padded to 3
        while (frac.back() == '0')
            frac.pop_back();
        out += "." + frac;
    }
    return out + "s";
}

}  // namespace muster::checks::internal

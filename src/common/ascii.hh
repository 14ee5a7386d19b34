// ASCII character helpers that do not depend on the C locale (unlike <cctype>).
#pragma once

namespace muster::ascii {

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace muster::ascii

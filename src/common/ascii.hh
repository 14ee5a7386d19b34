// ASCII text helpers that do not depend on the C locale (unlike <cctype>): protocol names,
// header fields, node names and config text are ASCII-case-insensitive, never locale-aware.
#pragma once

#include <string>
#include <string_view>

namespace muster::ascii {

// Blanks of an HTTP field line (RFC 9110 §5.6.3 OWS).
inline constexpr std::string_view http_blanks = " \t";
// Blanks of a text line: space, tab, CR, LF.
inline constexpr std::string_view line_blanks = " \t\r\n";

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

constexpr bool is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The value of a hexadecimal digit of either case, or -1 for any other character.
constexpr int hex_digit_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// The upper-case hexadecimal digit for the low four bits of `v` (percent-encoding, RFC 3986 §2.1).
constexpr char hex_digit_upper(unsigned v) {
    return "0123456789ABCDEF"[v & 0xf];
}

constexpr bool is_blank(char c, std::string_view blanks = line_blanks) {
    return blanks.find(c) != std::string_view::npos;
}

constexpr char to_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = to_lower(c);
    return out;
}

// Equal but for the case of ASCII letters.
constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (to_lower(a[i]) != to_lower(b[i]))
            return false;
    return true;
}

// `s` without the `blanks` at either end.
constexpr std::string_view trim(std::string_view s, std::string_view blanks = line_blanks) {
    while (!s.empty() && is_blank(s.front(), blanks))
        s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back(), blanks))
        s.remove_suffix(1);
    return s;
}

}  // namespace muster::ascii

// hosts(5) parsing: one address and its names per line, '#' comments, bad lines skipped.
#include "dns/hosts_file.hh"

#include <string>

namespace muster::dns {

namespace {

constexpr std::string_view blanks = " \t\r\f\v";

// Splits off the next whitespace-separated token of `line`, advancing it.
std::string_view next_token(std::string_view& line) {
    size_t b = line.find_first_not_of(blanks);
    if (b == std::string_view::npos) {
        line = {};
        return {};
    }
    line.remove_prefix(b);
    size_t e = line.find_first_of(blanks);
    std::string_view tok = line.substr(0, e);
    line.remove_prefix(e == std::string_view::npos ? line.size() : e);
    return tok;
}

std::string warning(size_t line_no, const std::string& why) {
    return "line " + std::to_string(line_no) + ": " + why;
}

// Host names in hosts files are plain labels: refuse escapes and odd characters glibc would
// never resolve, so a typo cannot produce a surprising name.
bool plain_name(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';')
            return false;
    }
    return true;
}

// Parses one line into out; returns an empty string or the reason it was skipped.
std::string parse_line(std::string_view line, std::vector<HostsEntry>& out) {
    std::string_view addr_text = next_token(line);
    if (addr_text.empty())
        return {};
    auto addr = SockAddr::parse_ip(addr_text, 0);
    if (!addr)
        return "bad address \"" + std::string(addr_text) + "\"";
    size_t first = out.size();
    for (std::string_view tok = next_token(line); !tok.empty(); tok = next_token(line)) {
        auto name =
            plain_name(tok) ? Name::from_text(tok) : Result<Name>(make_error("bad character"));
        if (!name) {
            out.resize(first);
            return "bad name \"" + std::string(tok) + "\": " + name.error().message;
        }
        if (name->size() == 1) {
            out.resize(first);
            return "bad name \".\": the root cannot be a host name";
        }
        HostsEntry e{*addr, *name, out.size() == first};
        e.name.lowercase();
        out.push_back(e);
    }
    if (out.size() == first)
        return "no host name after address \"" + std::string(addr_text) + "\"";
    return {};
}

}  // namespace

HostsParseResult parse_hosts(std::string_view text) {
    HostsParseResult result;
    size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (auto hash = line.find('#'); hash != std::string_view::npos)
            line = line.substr(0, hash);
        std::string why = parse_line(line, result.entries);
        if (!why.empty())
            result.warnings.push_back(warning(line_no, why));
    }
    return result;
}

}  // namespace muster::dns

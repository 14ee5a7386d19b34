// Incremental HTTP/1.1 response parsing (RFC 9112 §4 status line, §5 fields, §6.3 body length,
// §7.1 chunked coding).
#include "common/http_response.hh"

#include <algorithm>
#include <cctype>
#include <limits>

#include "common/ascii.hh"

namespace muster::http {
namespace {

std::string_view trim_ows(std::string_view s) {
    return ascii::trim(s, ascii::http_blanks);
}

constexpr size_t max_chunk_line_bytes = 1024;  // size plus chunk extensions (RFC 9112 §7.1.1)
constexpr int max_hex_digits = 15;             // keeps a chunk size below 2^60

// RFC 9110 §5.6.2 tchar.
bool is_token(std::string_view s) {
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::ranges::all_of(s, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               extra.find(c) != std::string_view::npos;
    });
}

// A Content-Length field value: digits, or a list of identical values (RFC 9112 §6.3 item 5).
std::optional<uint64_t> parse_content_length(std::string_view value) {
    std::optional<uint64_t> out;
    while (true) {
        size_t comma = value.find(',');
        std::string_view item = trim_ows(value.substr(0, comma));
        if (item.empty() || item.size() > 18 ||
            !std::ranges::all_of(item, [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        uint64_t n = 0;
        for (char c : item)
            n = n * 10 + static_cast<uint64_t>(c - '0');
        if (out && *out != n)
            return std::nullopt;
        out = n;
        if (comma == std::string_view::npos)
            return out;
        value.remove_prefix(comma + 1);
    }
}

}  // namespace

Result<void> ResponseReader::fail(const std::string& why) {
    state_ = State::failed;
    error_ = why;
    return make_error(why);
}

std::optional<std::string> ResponseReader::header(std::string_view name) const {
    for (auto it = headers_.rbegin(); it != headers_.rend(); ++it)
        if (ascii::iequals(it->first, name))
            return it->second;
    return std::nullopt;
}

Result<bool> ResponseReader::take_line(std::string_view& data, size_t limit) {
    size_t nl = data.find('\n');
    size_t take = nl == std::string_view::npos ? data.size() : nl;
    if (line_.size() + take > limit) {
        auto failed = fail(state_ == State::chunk_size ? "chunk size line too long"
                                                       : "response header section too large");
        return failed.error();
    }
    line_.append(data.substr(0, take));
    if (nl == std::string_view::npos) {
        data = {};
        return false;
    }
    data.remove_prefix(nl + 1);
    if (!line_.empty() && line_.back() == '\r')
        line_.pop_back();  // RFC 9112 §2.2: a bare LF ends a line too
    return true;
}

Result<void> ResponseReader::on_status_line() {
    // RFC 9112 §4: HTTP-version SP 3DIGIT SP [reason-phrase]; some servers omit the last SP.
    std::string_view line = line_;
    bool version_ok = line.size() >= 12 && line.starts_with("HTTP/") &&
                      std::isdigit(static_cast<unsigned char>(line[5])) != 0 && line[6] == '.' &&
                      std::isdigit(static_cast<unsigned char>(line[7])) != 0 && line[8] == ' ';
    if (!version_ok)
        return fail("malformed status line");
    std::string_view code = line.substr(9, 3);
    if (!std::ranges::all_of(code, [](char c) { return c >= '0' && c <= '9'; }) ||
        (line.size() > 12 && line[12] != ' '))
        return fail("malformed status code");
    status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (status_ < 100)
        return fail("malformed status code");
    reason_ = line.size() > 13 ? std::string(line.substr(13)) : std::string();
    state_ = State::header_line;
    return {};
}

Result<void> ResponseReader::on_header_line() {
    std::string_view line = line_;
    if (line.front() == ' ' || line.front() == '\t') {
        // RFC 9112 §5.2: obsolete line folding; a user agent may replace it with a space.
        if (headers_.empty())
            return fail("malformed header field");
        headers_.back().second += " ";
        headers_.back().second += trim_ows(line);
        return {};
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
        return fail("malformed header field");
    headers_.emplace_back(line.substr(0, colon), trim_ows(line.substr(colon + 1)));
    return {};
}

Result<void> ResponseReader::on_head_complete() {
    if (status_ < 200 && status_ != 101) {
        // RFC 9110 §15.2: an interim response; the final one follows.
        headers_.clear();
        reason_.clear();
        state_ = State::status_line;
        return {};
    }
    // RFC 9112 §6.3 items 1-2: no body whatever the fields say.
    if (options_.head_request || status_ < 200 || status_ == 204 || status_ == 304) {
        state_ = State::done;
        return {};
    }
    std::optional<std::string> te;
    for (const auto& [name, value] : headers_)
        if (ascii::iequals(name, "Transfer-Encoding"))
            te = te ? *te + "," + value : value;
    if (te) {
        // Item 3: chunked as the last coding frames the body; otherwise it runs to the close.
        std::string_view codings = *te;
        size_t comma = codings.rfind(',');
        std::string_view last =
            trim_ows(comma == std::string_view::npos ? codings : codings.substr(comma + 1));
        state_ = ascii::iequals(last, "chunked") ? State::chunk_size : State::body_until_close;
        return {};
    }
    std::optional<uint64_t> length;
    for (const auto& [name, value] : headers_) {
        if (!ascii::iequals(name, "Content-Length"))
            continue;
        auto n = parse_content_length(value);
        if (!n || (length && *length != *n))
            return fail("invalid Content-Length");  // item 5
        length = n;
    }
    if (!length) {
        state_ = State::body_until_close;  // item 7
        return {};
    }
    remaining_ = *length;
    state_ = remaining_ == 0 ? State::done : State::body_length;
    return {};
}

Result<void> ResponseReader::on_chunk_size_line() {
    // RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF; extensions are ignored.
    std::string_view line = line_;
    uint64_t size = 0;
    int digits = 0;
    for (char c : line) {
        int v = ascii::hex_digit_value(c);
        if (v < 0)
            break;
        if (++digits > max_hex_digits)
            return fail("chunk size too large");
        size = size * 16 + static_cast<uint64_t>(v);
    }
    std::string_view rest = trim_ows(line.substr(static_cast<size_t>(digits)));
    if (digits == 0 || (!rest.empty() && rest.front() != ';'))
        return fail("malformed chunk size");
    remaining_ = size;
    state_ = size == 0 ? State::trailer_line : State::chunk_data;
    return {};
}

void ResponseReader::take_body(std::string_view& data, uint64_t max) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(data.size(), max));
    size_t room = options_.max_body_kept - std::min(options_.max_body_kept, body_.size());
    body_.append(data.substr(0, std::min(n, room)));
    body_bytes_ += n;
    data.remove_prefix(n);
    if (max != std::numeric_limits<uint64_t>::max())
        remaining_ -= n;
}

Result<void> ResponseReader::feed(std::string_view data) {
    if (state_ == State::failed)
        return make_error(error_);
    while (!data.empty() && state_ != State::done) {
        Result<void> step;
        if (state_ == State::body_length || state_ == State::chunk_data) {
            take_body(data, remaining_);
            if (remaining_ == 0)
                state_ = state_ == State::body_length ? State::done : State::chunk_data_end;
            continue;
        }
        if (state_ == State::body_until_close) {
            take_body(data, std::numeric_limits<uint64_t>::max());
            continue;
        }
        bool head = state_ == State::status_line || state_ == State::header_line ||
                    state_ == State::trailer_line;
        size_t limit = max_chunk_line_bytes;
        if (head)
            limit = options_.max_head_bytes - std::min(options_.max_head_bytes, head_bytes_);
        else if (state_ == State::chunk_data_end)
            limit = 1;  // the CR of CR LF
        auto line = take_line(data, limit);
        if (!line)
            return line.error();
        if (!*line)
            return {};
        if (head)
            head_bytes_ += line_.size() + 2;
        switch (state_) {
            case State::status_line:
                step = on_status_line();
                break;
            case State::header_line:
                step = line_.empty() ? on_head_complete() : on_header_line();
                break;
            case State::chunk_size:
                step = on_chunk_size_line();
                break;
            case State::chunk_data_end:
                step = line_.empty() ? Result<void>{} : fail("missing CRLF after chunk data");
                state_ = step ? State::chunk_size : State::failed;
                break;
            case State::trailer_line:
                // RFC 9112 §7.1.2: trailer fields are not needed; an empty line ends them.
                if (line_.empty())
                    state_ = State::done;
                break;
            default:
                break;
        }
        line_.clear();
        if (!step)
            return step;
    }
    return {};
}

Result<void> ResponseReader::finish() {
    switch (state_) {
        case State::done:
            return {};
        case State::body_until_close:
            state_ = State::done;
            return {};
        case State::failed:
            return make_error(error_);
        case State::status_line:
            if (head_bytes_ == 0 && line_.empty())
                return make_error("connection closed before any response");
            [[fallthrough]];
        default:
            return make_error("connection closed before the response was complete");
    }
}

}  // namespace muster::http

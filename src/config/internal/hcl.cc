// A recursive-descent reader for the HCL that Consul configuration files use. It builds a small
// syntax tree first, so that repeated blocks can become lists and every key keeps its line,
// then turns that tree into the JSON tree the option table walks.
#include "config/internal/hcl.hh"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>

namespace muster::config::internal {
namespace {

using Json = nlohmann::json;

// Deeper nesting than any configuration needs; bounds the recursion on hostile input.
constexpr int max_depth = 64;

// Thrown inside this file only; parse_hcl turns it into an Error.
struct HclError {
    int line;
    std::string message;
};

struct Member;

struct Value {
    enum class Type { scalar, list, object } type = Type::scalar;
    int line = 0;
    Json scalar;
    std::vector<Value> items;     // list
    std::vector<Member> members;  // object
};

// How a key was written: `k = v`, `k { }`, or `k "label" { }` (a wrapper holding the label).
enum class Form { attribute, block, labelled };

struct Member {
    std::string name;
    int line = 0;
    Form form = Form::attribute;
    Value value;
};

std::string in_quotes(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

bool is_ident_start(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

bool is_ident_char(char ch) {
    return is_ident_start(ch) || (ch >= '0' && ch <= '9') || ch == '-';
}

bool is_digit(char ch) {
    return ch >= '0' && ch <= '9';
}

// Length of the UTF-8 sequence at s (1..4), or 0 when it is not valid UTF-8.
size_t utf8_length(std::string_view s) {
    const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
    const unsigned lead = b(0);
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return cont(1) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (!cont(1) || !cont(2))
            return 0;
        if ((lead == 0xE0 && b(1) < 0xA0) || (lead == 0xED && b(1) > 0x9F))
            return 0;  // overlong, or a UTF-16 surrogate
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3))
            return 0;
        if ((lead == 0xF0 && b(1) < 0x90) || (lead == 0xF4 && b(1) > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// The strings a JSON file can hold are UTF-8; HCL text must be too.
void check_utf8(std::string_view text) {
    int line = 1;
    for (size_t i = 0; i < text.size();) {
        size_t n = utf8_length(text.substr(i));
        if (n == 0)
            throw HclError{line, "invalid UTF-8"};
        if (text[i] == '\n')
            ++line;
        i += n;
    }
}

class Parser {
  public:
    explicit Parser(std::string_view text) : text_(text) {}

    std::vector<Member> file() { return body('\0', 0); }

  private:
    std::string_view text_;
    size_t pos_ = 0;
    int line_ = 1;
    int depth_ = 0;

    bool at_end() const { return pos_ >= text_.size(); }
    char peek(size_t ahead = 0) const {
        return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
    }
    // At the end of a file that ends in a newline, the error is on its last line, not after it.
    [[noreturn]] void fail(std::string message) const {
        const bool after_last = at_end() && text_.ends_with('\n') && line_ > 1;
        throw HclError{after_last ? line_ - 1 : line_, std::move(message)};
    }

    std::string describe_here() const {
        if (at_end())
            return "the end of the file";
        char ch = peek();
        if (ch == '\n')
            return "the end of the line";
        if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7F) {
            static constexpr char hex[] = "0123456789abcdef";
            auto u = static_cast<unsigned char>(ch);
            return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
        }
        return "'" + std::string(1, ch) + "'";
    }

    void enter() {
        if (++depth_ > max_depth)
            fail("nesting deeper than " + std::to_string(max_depth) + " levels");
    }
    void leave() { --depth_; }

    void skip_space() {
        while (!at_end()) {
            char ch = peek();
            if (ch == '\n') {
                ++line_;
                ++pos_;
            } else if (ch == ' ' || ch == '\t' || ch == '\r') {
                ++pos_;
            } else if (ch == '#' || (ch == '/' && peek(1) == '/')) {
                while (!at_end() && peek() != '\n')
                    ++pos_;
            } else if (ch == '/' && peek(1) == '*') {
                skip_block_comment();
            } else {
                return;
            }
        }
    }

    void skip_block_comment() {
        const int opened = line_;
        pos_ += 2;
        while (!(peek() == '*' && peek(1) == '/')) {
            if (at_end())
                throw HclError{opened, "unterminated /* comment"};
            if (peek() == '\n')
                ++line_;
            ++pos_;
        }
        pos_ += 2;
    }

    std::string identifier() {
        size_t start = pos_;
        while (!at_end() && is_ident_char(peek()))
            ++pos_;
        return std::string(text_.substr(start, pos_ - start));
    }

    // A key or label: a name or a quoted string.
    std::optional<std::string> name() {
        if (peek() == '"')
            return quoted_string();
        if (is_ident_start(peek()))
            return identifier();
        return std::nullopt;
    }

    // Items up to `close` ('}'), or to the end of the file when close is '\0'. Inside braces
    // items may be separated by commas, as in HCL object literals.
    std::vector<Member> body(char close, int opened) {
        std::vector<Member> members;
        for (;;) {
            skip_space();
            if (at_end()) {
                if (close == '\0')
                    return members;
                fail("expected '}' to close the '{' of line " + std::to_string(opened));
            }
            if (close != '\0' && peek() == close) {
                ++pos_;
                return members;
            }
            if (close != '\0' && peek() == ',' && !members.empty()) {
                ++pos_;
                continue;
            }
            members.push_back(member(close != '\0'));
        }
    }

    Member member(bool in_braces) {
        Member m;
        m.line = line_;
        auto key = name();
        if (!key)
            fail("expected a key (a name or a quoted string), got " + describe_here());
        m.name = std::move(*key);
        skip_space();
        if (peek() == '=' || (in_braces && peek() == ':')) {
            ++pos_;
            m.form = Form::attribute;
            m.value = value(in_quotes(m.name));
            return m;
        }
        std::vector<std::pair<std::string, int>> labels;
        while (peek() == '"' || is_ident_start(peek())) {
            int at = line_;
            labels.emplace_back(*name(), at);
            skip_space();
        }
        if (peek() != '{')
            fail("expected '=' or '{' after " + in_quotes(m.name) + ", got " + describe_here());
        m.form = Form::block;
        m.value = object();
        // `a "x" "y" { }` is a: {x: {y: { }}}; the wrappers merge with their namesakes.
        for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
            Member inner{
                .name = it->first, .line = it->second, .form = m.form, .value = std::move(m.value)};
            m.value = Value{.type = Value::Type::object,
                            .line = inner.line,
                            .scalar = {},
                            .items = {},
                            .members = {}};
            m.value.members.push_back(std::move(inner));
            m.form = Form::labelled;
        }
        return m;
    }

    Value object() {
        Value v{
            .type = Value::Type::object, .line = line_, .scalar = {}, .items = {}, .members = {}};
        enter();
        ++pos_;  // '{'
        v.members = body('}', v.line);
        leave();
        return v;
    }

    Value list() {
        Value v{.type = Value::Type::list, .line = line_, .scalar = {}, .items = {}, .members = {}};
        enter();
        ++pos_;  // '['
        for (;;) {
            skip_space();
            if (peek() == ']') {
                ++pos_;
                break;
            }
            v.items.push_back(value("an item of the list of line " + std::to_string(v.line)));
            skip_space();
            if (peek() == ',') {
                ++pos_;
            } else if (peek() != ']') {
                fail("expected ',' or ']' in the list of line " + std::to_string(v.line) +
                     ", got " + describe_here());
            }
        }
        leave();
        return v;
    }

    Value scalar(Json j) {
        return Value{.type = Value::Type::scalar,
                     .line = line_,
                     .scalar = std::move(j),
                     .items = {},
                     .members = {}};
    }

    // `after` says what the value is for: "\"port\"", "an item of the list of line 3".
    Value value(const std::string& after) {
        skip_space();
        const char ch = peek();
        if (ch == '"') {
            int line = line_;
            Value v = scalar(Json(quoted_string()));
            v.line = line;
            return v;
        }
        if (ch == '<' && peek(1) == '<')
            return heredoc();
        if (ch == '[')
            return list();
        if (ch == '{')
            return object();
        if (ch == '-' || is_digit(ch))
            return number();
        if (is_ident_start(ch)) {
            size_t start = pos_;
            std::string word = identifier();
            if (word == "true" || word == "false")
                return scalar(Json(word == "true"));
            pos_ = start;
            fail("expected a value for " + std::string(after) +
                 " (a string, number, true, false, " + "list or object), got " + in_quotes(word) +
                 " (text goes in quotes)");
        }
        fail("expected a value for " + std::string(after) + ", got " + describe_here());
    }

    Value number() {
        const size_t start = pos_;
        bool is_float = false;
        if (peek() == '-')
            ++pos_;
        if (!is_digit(peek()))
            fail("expected a digit after '-', got " + describe_here());
        while (is_digit(peek()))
            ++pos_;
        if (peek() == '.' && is_digit(peek(1))) {
            is_float = true;
            ++pos_;
            while (is_digit(peek()))
                ++pos_;
        }
        if ((peek() == 'e' || peek() == 'E') &&
            (is_digit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2))))) {
            is_float = true;
            pos_ += 2;
            while (is_digit(peek()))
                ++pos_;
        }
        const std::string_view text = text_.substr(start, pos_ - start);
        if (is_ident_char(peek()) || peek() == '.') {
            size_t end = pos_;
            while (end < text_.size() && (is_ident_char(text_[end]) || text_[end] == '.'))
                ++end;
            fail("invalid number " + in_quotes(text_.substr(start, end - start)) +
                 " (durations and other text go in quotes)");
        }
        return scalar(number_json(text, is_float));
    }

    // As nlohmann's JSON parser types them: unsigned, negative integer or double.
    Json number_json(std::string_view text, bool is_float) const {
        const char* first = text.data();
        const char* last = first + text.size();
        if (is_float) {
            double d = 0;
            auto r = std::from_chars(first, last, d);
            if (r.ec != std::errc() || !std::isfinite(d))
                fail("number out of range: " + std::string(text));
            return Json(d);
        }
        if (text.front() == '-') {
            int64_t i = 0;
            if (std::from_chars(first, last, i).ec != std::errc())
                fail("number out of range: " + std::string(text));
            return Json(i);
        }
        uint64_t u = 0;
        if (std::from_chars(first, last, u).ec != std::errc())
            fail("number out of range: " + std::string(text));
        return Json(u);
    }

    void refuse_interpolation() const {
        fail("interpolation (\"${\") is not supported: muster reads values as written");
    }

    std::string quoted_string() {
        const int opened = line_;
        ++pos_;  // '"'
        std::string out;
        for (;;) {
            if (at_end() || peek() == '\n')
                throw HclError{opened, "unterminated string"};
            char ch = peek();
            if (ch == '"') {
                ++pos_;
                return out;
            }
            if (ch == '$' && peek(1) == '{')
                refuse_interpolation();
            if (ch == '\\') {
                escape(out);
                continue;
            }
            out += ch;
            ++pos_;
        }
    }

    void escape(std::string& out) {
        const char ch = peek(1);
        pos_ += 2;
        switch (ch) {
            case 'n':
                out += '\n';
                return;
            case 't':
                out += '\t';
                return;
            case 'r':
                out += '\r';
                return;
            case 'b':
                out += '\b';
                return;
            case 'f':
                out += '\f';
                return;
            case '"':
                out += '"';
                return;
            case '\\':
                out += '\\';
                return;
            case '/':
                out += '/';
                return;
            case 'u':
                return code_point(out, 4);
            case 'U':
                return code_point(out, 8);
            default:
                break;
        }
        pos_ -= 1;
        fail("invalid escape \"\\" +
             std::string(ch == '\0' || ch == '\n' ? "" : std::string(1, ch)) +
             "\" (known: \\n \\t \\r \\b \\f \\\" \\\\ \\/ \\uXXXX \\UXXXXXXXX)");
    }

    void code_point(std::string& out, size_t digits) {
        uint32_t cp = 0;
        auto r = std::from_chars(text_.data() + pos_,
                                 text_.data() + std::min(pos_ + digits, text_.size()), cp, 16);
        if (r.ec != std::errc() || r.ptr != text_.data() + pos_ + digits)
            fail("expected " + std::to_string(digits) + " hex digits after \\" +
                 (digits == 4 ? "u" : "U"));
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0)
            fail("invalid escape: U+" + std::string(text_.substr(pos_, digits)) +
                 " is no Unicode character muster accepts");
        pos_ += digits;
        append_utf8(out, cp);
    }

    // `<<EOF` or `<<-EOF`, then lines up to one that holds only EOF (indentation allowed). The
    // `-` form takes away the indentation all lines share, as HCL 2 does.
    Value heredoc() {
        Value v = scalar(Json());
        pos_ += 2;
        const bool indented = peek() == '-';
        if (indented)
            ++pos_;
        const std::string marker = is_ident_start(peek()) ? identifier() : std::string();
        if (marker.empty())
            fail("expected a marker name after <<, e.g. <<EOF");
        while (peek() == ' ' || peek() == '\t' || peek() == '\r')
            ++pos_;
        if (peek() != '\n')
            fail("expected the end of the line after <<" + marker + ", got " + describe_here());
        ++pos_;
        ++line_;
        std::vector<std::string_view> lines;
        for (;;) {
            if (at_end())
                throw HclError{v.line, "heredoc <<" + marker + " has no closing " + marker};
            size_t end = text_.find('\n', pos_);
            if (end == std::string_view::npos)
                end = text_.size();
            std::string_view line = text_.substr(pos_, end - pos_);
            if (line.ends_with('\r'))
                line.remove_suffix(1);
            pos_ = std::min(end, text_.size());
            const size_t first = line.find_first_not_of(" \t");
            const size_t last = line.find_last_not_of(" \t");
            if (first != std::string_view::npos && line.substr(first, last + 1 - first) == marker)
                break;
            if (line.find("${") != std::string_view::npos)
                refuse_interpolation();
            lines.push_back(line);
            if (pos_ < text_.size()) {
                ++pos_;
                ++line_;
            }
        }
        v.scalar = Json(join_heredoc(lines, indented));
        return v;
    }

    static std::string join_heredoc(const std::vector<std::string_view>& lines, bool indented) {
        size_t strip = std::string_view::npos;
        if (indented) {
            for (auto l : lines) {
                size_t n = l.find_first_not_of(" \t");
                if (n != std::string_view::npos)
                    strip = std::min(strip, n);
            }
        }
        if (strip == std::string_view::npos)
            strip = 0;
        std::string out;
        for (auto l : lines) {
            out += l.substr(std::min(strip, l.size()));
            out += '\n';
        }
        return out;
    }
};

// Turns the syntax tree into JSON, naming every key's line on the way.
class Converter {
  public:
    Converter(const HclShape& shape, HclLines& lines) : shape_(shape), lines_(lines) {}

    Json object(const std::vector<Member>& members, const std::string& path,
                const std::string& shape_path) {
        Json out = Json::object();
        std::vector<std::string> order;
        std::map<std::string, std::vector<const Member*>> by_name;
        for (const auto& m : members) {
            auto& group = by_name[m.name];
            if (group.empty())
                order.push_back(m.name);
            group.push_back(&m);
        }
        for (const auto& name : order)
            out[name] = group(by_name[name], join(path, name), join(shape_path, name));
        return out;
    }

  private:
    const HclShape& shape_;
    HclLines& lines_;

    static std::string join(const std::string& path, const std::string& name) {
        return path.empty() ? name : path + "." + name;
    }

    bool list_block(const std::string& shape_path) const {
        const auto& l = shape_.list_blocks;
        return std::find(l.begin(), l.end(), shape_path) != l.end();
    }

    Json group(const std::vector<const Member*>& same_name, const std::string& path,
               const std::string& shape_path) {
        const Member& first = *same_name.front();
        lines_.emplace(path, first.line);
        for (const Member* m : same_name) {
            if (m->form == first.form && (m->form != Form::attribute || m == &first))
                continue;
            if (m->form == Form::attribute || first.form == Form::attribute)
                throw HclError{m->line, "duplicate key " + in_quotes(m->name) +
                                            " (first given on line " + std::to_string(first.line) +
                                            ")"};
            throw HclError{m->line, "block " + in_quotes(m->name) +
                                        " is given both with and without labels (first on line " +
                                        std::to_string(first.line) + ")"};
        }
        if (first.form == Form::attribute)
            return value(first.value, path, shape_path);
        if (first.form == Form::labelled) {
            std::vector<Member> merged;  // `a "x" {}` and `a "y" {}` make one object a {x, y}
            for (const Member* m : same_name)
                merged.insert(merged.end(), m->value.members.begin(), m->value.members.end());
            return object(merged, path, shape_path);
        }
        if (same_name.size() == 1 && !list_block(shape_path))
            return object(first.value.members, path, shape_path);
        Json list = Json::array();
        for (size_t i = 0; i < same_name.size(); ++i) {
            const std::string item = path + "[" + std::to_string(i) + "]";
            lines_.emplace(item, same_name[i]->line);
            list.push_back(object(same_name[i]->value.members, item, shape_path));
        }
        return list;
    }

    Json value(const Value& v, const std::string& path, const std::string& shape_path) {
        switch (v.type) {
            case Value::Type::scalar:
                return v.scalar;
            case Value::Type::object:
                return object(v.members, path, shape_path);
            case Value::Type::list:
                break;
        }
        Json list = Json::array();
        for (size_t i = 0; i < v.items.size(); ++i) {
            const std::string item = path + "[" + std::to_string(i) + "]";
            lines_.emplace(item, v.items[i].line);
            list.push_back(value(v.items[i], item, shape_path));
        }
        return list;
    }
};

}  // namespace

Result<HclDocument> parse_hcl(std::string_view text, const HclShape& shape) {
    try {
        check_utf8(text);
        Parser parser(text);
        const std::vector<Member> members = parser.file();
        HclDocument doc;
        Converter converter(shape, doc.lines);
        doc.tree = converter.object(members, "", "");
        return doc;
    } catch (const HclError& e) {
        return make_error(std::to_string(e.line) + ": " + e.message);
    }
}

int hcl_line(const HclLines& lines, std::string_view path) {
    while (!path.empty()) {
        if (auto it = lines.find(path); it != lines.end())
            return it->second;
        size_t cut = path.ends_with(']') ? path.rfind('[') : path.rfind('.');
        if (cut == std::string_view::npos)
            break;
        path = path.substr(0, cut);
    }
    return 0;
}

}  // namespace muster::config::internal

// A recursive-descent parser and evaluator for Consul's (go-bexpr) filter expressions.
#include "api/filter.hh"

#include <cctype>
// GCC 12 with -fsanitize=address reports a false -Wmaybe-uninitialized inside <regex>'s
// std::function state; the pragma covers only the library's lines.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <string>
#include <vector>

namespace muster::api {

using nlohmann::json;

enum class Op {
    eq,
    ne,
    contains,
    not_contains,
    in,
    not_in,
    matches,
    not_matches,
    empty,
    not_empty
};

struct Filter::Node {
    enum class Kind { match, conj, disj, negate } kind = Kind::match;
    std::shared_ptr<const Node> left, right;  // conj/disj; negate uses left
    std::vector<std::string> selector;
    Op op = Op::eq;
    std::string value;
    std::shared_ptr<const std::regex> re;
};

namespace {

bool is_user_map(std::string_view key) {
    return key == "Meta" || key == "NodeMeta" || key == "ServiceMeta" || key == "TaggedAddresses" ||
           key == "ServiceTaggedAddresses";
}

struct Token {
    enum class Kind { word, string, op, lparen, rparen, end } kind = Kind::end;
    std::string text;
    size_t pos = 0;
};

class Parser {
  public:
    Parser(std::string_view text, const json& shape) : text_(text), shape_(shape) {}

    Result<std::shared_ptr<const Filter::Node>> parse() {
        auto lexed = lex();
        if (!lexed)
            return lexed.error();
        auto node = parse_or();
        if (!node)
            return node;
        if (peek().kind != Token::Kind::end)
            return fail("unexpected '" + peek().text + "'");
        return node;
    }

  private:
    using NodeResult = Result<std::shared_ptr<const Filter::Node>>;

    Error fail(const std::string& what) const {
        size_t pos = i_ < tokens_.size() ? tokens_[i_].pos : text_.size();
        return make_error("Failed to create boolean expression evaluator: " + what +
                          " at position " + std::to_string(pos + 1));
    }

    Result<void> lex() {
        size_t p = 0;
        while (true) {
            while (p < text_.size() && std::isspace(static_cast<unsigned char>(text_[p])))
                ++p;
            if (p >= text_.size()) {
                tokens_.push_back({Token::Kind::end, "end of input", p});
                return {};
            }
            char c = text_[p];
            size_t start = p;
            if (c == '(' || c == ')') {
                tokens_.push_back(
                    {c == '(' ? Token::Kind::lparen : Token::Kind::rparen, std::string(1, c), p++});
            } else if (c == '"' || c == '`') {
                std::string s;
                ++p;
                while (p < text_.size() && text_[p] != c) {
                    if (c == '"' && text_[p] == '\\' && p + 1 < text_.size())
                        ++p;
                    s.push_back(text_[p++]);
                }
                if (p >= text_.size()) {
                    i_ = tokens_.size();
                    tokens_.push_back({Token::Kind::end, "", start});
                    return fail("unterminated string");
                }
                ++p;
                tokens_.push_back({Token::Kind::string, s, start});
            } else if (c == '=' || c == '!') {
                if (p + 1 >= text_.size() || text_[p + 1] != '=') {
                    i_ = tokens_.size();
                    tokens_.push_back({Token::Kind::end, "", start});
                    return fail(std::string("unknown operator '") + c + "'");
                }
                tokens_.push_back({Token::Kind::op, std::string(text_.substr(p, 2)), start});
                p += 2;
            } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                       c == '.' || c == '/' || c == ':') {
                while (p < text_.size() &&
                       (std::isalnum(static_cast<unsigned char>(text_[p])) || text_[p] == '_' ||
                        text_[p] == '-' || text_[p] == '.' || text_[p] == '/' || text_[p] == ':'))
                    ++p;
                tokens_.push_back(
                    {Token::Kind::word, std::string(text_.substr(start, p - start)), start});
            } else {
                i_ = tokens_.size();
                tokens_.push_back({Token::Kind::end, "", start});
                return fail(std::string("unexpected character '") + c + "'");
            }
        }
    }

    const Token& peek(size_t ahead = 0) const {
        size_t k = std::min(i_ + ahead, tokens_.size() - 1);
        return tokens_[k];
    }
    bool peek_word(std::string_view w, size_t ahead = 0) const {
        return peek(ahead).kind == Token::Kind::word && peek(ahead).text == w;
    }

    static std::shared_ptr<const Filter::Node> combine(Filter::Node::Kind kind,
                                                       std::shared_ptr<const Filter::Node> l,
                                                       std::shared_ptr<const Filter::Node> r) {
        auto n = std::make_shared<Filter::Node>();
        n->kind = kind;
        n->left = std::move(l);
        n->right = std::move(r);
        return n;
    }

    NodeResult parse_or() {
        auto left = parse_and();
        if (!left)
            return left;
        std::shared_ptr<const Filter::Node> node = *left;
        while (peek_word("or")) {
            ++i_;
            auto right = parse_and();
            if (!right)
                return right;
            node = combine(Filter::Node::Kind::disj, node, *right);
        }
        return node;
    }

    NodeResult parse_and() {
        auto left = parse_not();
        if (!left)
            return left;
        std::shared_ptr<const Filter::Node> node = *left;
        while (peek_word("and")) {
            ++i_;
            auto right = parse_not();
            if (!right)
                return right;
            node = combine(Filter::Node::Kind::conj, node, *right);
        }
        return node;
    }

    NodeResult parse_not() {
        if (peek_word("not")) {
            ++i_;
            auto inner = parse_not();
            if (!inner)
                return inner;
            return combine(Filter::Node::Kind::negate, *inner, nullptr);
        }
        if (peek().kind == Token::Kind::lparen) {
            ++i_;
            auto inner = parse_or();
            if (!inner)
                return inner;
            if (peek().kind != Token::Kind::rparen)
                return fail("expected ')'");
            ++i_;
            return inner;
        }
        return parse_match();
    }

    bool is_value_token(const Token& t) const {
        return t.kind == Token::Kind::string || t.kind == Token::Kind::word;
    }

    NodeResult parse_match() {
        auto n = std::make_shared<Filter::Node>();
        // `"v" in Sel` / `"v" not in Sel`
        if (is_value_token(peek()) &&
            (peek_word("in", 1) || (peek_word("not", 1) && peek_word("in", 2)))) {
            n->value = peek().text;
            ++i_;
            n->op = peek_word("not") ? Op::not_in : Op::in;
            i_ += n->op == Op::not_in ? 2 : 1;
            auto sel = parse_selector();
            if (!sel)
                return sel.error();
            n->selector = std::move(*sel);
            return std::shared_ptr<const Filter::Node>(n);
        }
        auto sel = parse_selector();
        if (!sel)
            return sel.error();
        n->selector = std::move(*sel);
        const Token& t = peek();
        if (t.kind == Token::Kind::op) {
            n->op = t.text == "==" ? Op::eq : Op::ne;
            ++i_;
        } else if (peek_word("contains")) {
            n->op = Op::contains;
            ++i_;
        } else if (peek_word("matches")) {
            n->op = Op::matches;
            ++i_;
        } else if (peek_word("not") && peek_word("contains", 1)) {
            n->op = Op::not_contains;
            i_ += 2;
        } else if (peek_word("not") && peek_word("matches", 1)) {
            n->op = Op::not_matches;
            i_ += 2;
        } else if (peek_word("is") && peek_word("empty", 1)) {
            n->op = Op::empty;
            i_ += 2;
            return std::shared_ptr<const Filter::Node>(n);
        } else if (peek_word("is") && peek_word("not", 1) && peek_word("empty", 2)) {
            n->op = Op::not_empty;
            i_ += 3;
            return std::shared_ptr<const Filter::Node>(n);
        } else {
            return fail(
                "expected an operator (==, !=, contains, not contains, in, matches, is "
                "empty) but found '" +
                t.text + "'");
        }
        if (!is_value_token(peek()))
            return fail("expected a value but found '" + peek().text + "'");
        n->value = peek().text;
        ++i_;
        if (n->op == Op::matches || n->op == Op::not_matches) {
            try {
                n->re = std::make_shared<const std::regex>(n->value, std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                --i_;
                return fail("invalid regular expression: " + std::string(e.what()));
            }
        }
        return std::shared_ptr<const Filter::Node>(n);
    }

    Result<std::vector<std::string>> parse_selector() {
        const Token& t = peek();
        if (t.kind != Token::Kind::word)
            return fail("expected a selector but found '" + t.text + "'");
        std::vector<std::string> parts;
        std::string_view rest = t.text;
        while (true) {
            size_t dot = rest.find('.');
            parts.emplace_back(rest.substr(0, dot));
            if (parts.back().empty())
                return fail("selector '" + t.text + "' has an empty field name");
            if (dot == std::string_view::npos)
                break;
            rest = rest.substr(dot + 1);
        }
        if (auto valid = validate(parts); !valid)
            return fail("selector '" + t.text + "' is not valid: " + valid.error().message);
        ++i_;
        return parts;
    }

    // The selector must name a field of the example row.
    Result<void> validate(const std::vector<std::string>& parts) const {
        const json* at = &shape_;
        for (size_t k = 0; k < parts.size(); ++k) {
            while (at->is_array()) {
                if (at->empty())
                    return make_error("no field '" + parts[k] + "'");
                at = &(*at)[0];
            }
            if (!at->is_object())
                return make_error("'" + parts[k - 1] + "' has no fields");
            auto it = at->find(parts[k]);
            if (it == at->end())
                return make_error("no field '" + parts[k] + "'");
            if (is_user_map(parts[k]) && k + 1 < parts.size()) {
                if (k + 2 < parts.size())
                    return make_error("'" + parts[k] + "." + parts[k + 1] + "' has no fields");
                return {};
            }
            at = &*it;
        }
        return {};
    }

    std::string_view text_;
    const json& shape_;
    std::vector<Token> tokens_;
    size_t i_ = 0;
};

void resolve(const json& at, const std::vector<std::string>& sel, size_t k,
             std::vector<const json*>& out) {
    if (at.is_array() && k < sel.size()) {
        for (const auto& item : at)
            resolve(item, sel, k, out);
        return;
    }
    if (k == sel.size()) {
        out.push_back(&at);
        return;
    }
    if (!at.is_object())
        return;
    auto it = at.find(sel[k]);
    if (it != at.end())
        resolve(*it, sel, k + 1, out);
}

bool scalar_equals(const json& v, const std::string& lit) {
    if (v.is_string())
        return v.get_ref<const std::string&>() == lit;
    if (v.is_boolean())
        return (v.get<bool>() ? "true" : "false") == lit;
    if (v.is_number())
        return v.dump() == lit;
    return false;
}

bool contains(const json& v, const std::string& lit) {
    if (v.is_string())
        return v.get_ref<const std::string&>().find(lit) != std::string::npos;
    if (v.is_array()) {
        for (const auto& item : v)
            if (scalar_equals(item, lit))
                return true;
        return false;
    }
    if (v.is_object())
        return v.contains(lit);
    return false;
}

bool is_empty(const json& v) {
    if (v.is_string())
        return v.get_ref<const std::string&>().empty();
    if (v.is_array() || v.is_object())
        return v.empty();
    return v.is_null();
}

bool any_of(const std::vector<const json*>& values, const auto& pred) {
    for (const json* v : values)
        if (pred(*v))
            return true;
    return false;
}

bool eval(const Filter::Node& n, const json& row) {
    using Kind = Filter::Node::Kind;
    switch (n.kind) {
        case Kind::conj:
            return eval(*n.left, row) && eval(*n.right, row);
        case Kind::disj:
            return eval(*n.left, row) || eval(*n.right, row);
        case Kind::negate:
            return !eval(*n.left, row);
        case Kind::match:
            break;
    }
    std::vector<const json*> values;
    resolve(row, n.selector, 0, values);
    const std::string& lit = n.value;
    auto eq = [&](const json& v) { return scalar_equals(v, lit); };
    auto has = [&](const json& v) { return contains(v, lit); };
    auto re = [&](const json& v) {
        return v.is_string() && std::regex_search(v.get_ref<const std::string&>(), *n.re);
    };
    switch (n.op) {
        case Op::eq:
            return any_of(values, eq);
        case Op::ne:
            return !any_of(values, eq);
        case Op::contains:
        case Op::in:
            return any_of(values, has);
        case Op::not_contains:
        case Op::not_in:
            return !any_of(values, has);
        case Op::matches:
            return any_of(values, re);
        case Op::not_matches:
            return !any_of(values, re);
        case Op::empty:
            return !any_of(values, [](const json& v) { return !is_empty(v); });
        case Op::not_empty:
            return any_of(values, [](const json& v) { return !is_empty(v); });
    }
    return false;
}

}  // namespace

Result<Filter> Filter::parse(std::string_view expression, const json& shape) {
    Parser parser(expression, shape);
    auto root = parser.parse();
    if (!root)
        return root.error();
    Filter f;
    f.root_ = std::move(*root);
    return f;
}

bool Filter::matches(const json& row) const {
    return root_ == nullptr || eval(*root_, row);
}

}  // namespace muster::api

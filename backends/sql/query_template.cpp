#include "backends/sql/query_template.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace backends::sql {

namespace {

// Cyrus's checkpass asks the auxprop plugins for "userPassword"; a table made for Cyrus has
// that column, so %p keeps meaning the same thing here.
constexpr std::string_view k_password_property = "userPassword";

bool is_request_macro(char c) {
    return c == 'u' || c == 'r' || c == 's' || c == 'a';
}

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// The character a MySQL backslash escape stands for, as parameter-template text ('%' doubled).
std::string unescaped(char escaped) {
    switch (escaped) {
    case '0':
        return std::string(1, '\0');
    case 'b':
        return "\b";
    case 'n':
        return "\n";
    case 'r':
        return "\r";
    case 't':
        return "\t";
    case 'Z':
        return "\x1a";
    case '%': // MySQL keeps the backslash of \% and \_ (they are meant for LIKE)
        return "\\%%";
    case '_':
        return "\\_";
    default:
        return std::string(1, escaped);
    }
}

class Compiler {
public:
    Compiler(std::string_view text, Dialect dialect) : m_text(text), m_dialect(dialect) {}

    std::expected<QueryTemplate, std::string> run() {
        while (m_pos < m_text.size()) {
            if (auto failure = step())
                return std::unexpected(std::move(*failure));
        }
        return QueryTemplate(std::move(m_sql), std::move(m_parameters));
    }

private:
    using Failure = std::optional<std::string>;

    char peek(std::size_t ahead = 0) const {
        return m_pos + ahead < m_text.size() ? m_text[m_pos + ahead] : '\0';
    }
    std::string where(std::size_t position) const {
        return " starting at character " + std::to_string(position + 1);
    }

    bool at_line_comment() const {
        if (peek() == '#')
            return m_dialect == Dialect::mysql;
        if (peek() != '-' || peek(1) != '-')
            return false;
        // MySQL wants a space after "--": "1--1" is arithmetic there
        return m_dialect == Dialect::sqlite || m_pos + 2 >= m_text.size() || is_space(peek(2));
    }

    Failure step() {
        const char c = peek();
        if (c == '\'' || c == '"')
            return literal(c);
        if (c == '`')
            return copy_through("`", "unterminated ` identifier");
        if (c == '/' && peek(1) == '*')
            return copy_through("*/", "unterminated /* comment");
        if (at_line_comment()) {
            const auto end = m_text.find('\n', m_pos);
            const auto stop = end == std::string_view::npos ? m_text.size() : end;
            m_sql.append(m_text.substr(m_pos, stop - m_pos));
            m_pos = stop;
            return std::nullopt;
        }
        if (c == '%') {
            bare_macro();
            return std::nullopt;
        }
        if (c == '?')
            return "a '?'" + where(m_pos) +
                   " would be a placeholder with no value; use %u, %r, "
                   "%s or %a";
        if (c == ';') {
            if (!std::ranges::all_of(m_text.substr(m_pos + 1), is_space))
                return "only one statement is allowed; text follows the ';'" + where(m_pos);
            m_pos = m_text.size();
            return std::nullopt;
        }
        m_sql += c;
        ++m_pos;
        return std::nullopt;
    }

    Failure copy_through(std::string_view terminator, std::string_view what) {
        const auto end = m_text.find(terminator, m_pos + 1);
        if (end == std::string_view::npos)
            return std::string(what) + where(m_pos);
        const auto stop = end + terminator.size();
        m_sql.append(m_text.substr(m_pos, stop - m_pos));
        m_pos = stop;
        return std::nullopt;
    }

    void bare_macro() {
        const char name = peek(1);
        if (is_request_macro(name)) {
            m_sql += '?';
            m_parameters.push_back({'%', name});
        } else if (name == 'p') {
            m_sql += k_password_property;
        } else if (name == '%') {
            m_sql += '%';
        } else { // an operator such as "id % 2": not ours
            m_sql += '%';
            ++m_pos;
            return;
        }
        m_pos += 2;
    }

    // A quoted literal: copied as written when it holds no request macro, else replaced by one
    // placeholder whose value is the literal's content.
    Failure literal(char quote) {
        const auto start = m_pos;
        std::string written(1, quote); // %p and %% already expanded
        std::string content;           // parameter-template text: '%' only in %%, %u, %r, ...
        bool has_request_macro = false;
        ++m_pos;
        while (true) {
            if (m_pos >= m_text.size())
                return std::string("unterminated ") + quote + " literal" + where(start);
            const char c = peek();
            if (c == quote && peek(1) == quote) {
                written.append(2, quote);
                content += quote;
                m_pos += 2;
            } else if (c == quote) {
                written += quote;
                ++m_pos;
                break;
            } else if (c == '\\' && m_dialect == Dialect::mysql) {
                if (m_pos + 1 >= m_text.size())
                    return std::string("unterminated ") + quote + " literal" + where(start);
                written.append(m_text.substr(m_pos, 2));
                content += unescaped(peek(1));
                m_pos += 2;
            } else if (c == '%' && is_request_macro(peek(1))) {
                has_request_macro = true;
                written.append(m_text.substr(m_pos, 2));
                content.append(m_text.substr(m_pos, 2));
                m_pos += 2;
            } else if (c == '%' && peek(1) == 'p') {
                written += k_password_property;
                content += k_password_property;
                m_pos += 2;
            } else if (c == '%') {
                written += '%';
                content += "%%";
                m_pos += peek(1) == '%' ? 2 : 1;
            } else {
                written += c;
                content += c;
                ++m_pos;
            }
        }
        if (has_request_macro) {
            m_sql += '?';
            m_parameters.push_back(std::move(content));
        } else {
            m_sql += written;
        }
        return std::nullopt;
    }

    std::string_view m_text;
    Dialect m_dialect;
    std::size_t m_pos = 0;
    std::string m_sql;
    std::vector<std::string> m_parameters;
};

std::string_view macro_value(char name, const MacroValues& values) {
    switch (name) {
    case 'u':
        return values.user;
    case 'r':
        return values.realm;
    case 's':
        return values.service;
    case 'a':
        return values.client_addr;
    default:
        return "%";
    }
}

} // namespace

MacroValues macro_values(std::string_view login, std::string_view request_realm,
                         std::string_view default_realm, std::string_view service,
                         std::string_view client_addr) {
    MacroValues values{login, request_realm.empty() ? default_realm : request_realm, service,
                       client_addr.substr(0, client_addr.find(';'))};
    if (const auto at = login.find('@'); at != std::string_view::npos) {
        values.user = login.substr(0, at);
        values.realm = login.substr(at + 1);
    }
    return values;
}

bool QueryTemplate::binds(char macro) const {
    const std::string needle{'%', macro};
    return std::ranges::any_of(m_parameters, [&](const std::string& parameter) {
        for (auto at = parameter.find('%'); at != std::string::npos;
             at = parameter.find('%', at + 2))
            if (parameter.compare(at, 2, needle) == 0)
                return true;
        return false;
    });
}

std::vector<std::string> QueryTemplate::bind(const MacroValues& values) const {
    std::vector<std::string> result;
    result.reserve(m_parameters.size());
    for (const auto& parameter : m_parameters) {
        std::string value;
        for (std::size_t i = 0; i < parameter.size(); ++i) {
            if (parameter[i] == '%' && i + 1 < parameter.size())
                value += macro_value(parameter[++i], values);
            else
                value += parameter[i];
        }
        result.push_back(std::move(value));
    }
    return result;
}

std::expected<QueryTemplate, std::string> compile_query_template(std::string_view text,
                                                                 Dialect dialect) {
    return Compiler(text, dialect).run();
}

} // namespace backends::sql

#include "daemon/config/sysconfig.hpp"

#include <cctype>
#include <fstream>
#include <sstream>
#include <utility>

namespace saslauthd::config {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

bool is_name_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Reads one line's "[export ]KEY=word [# comment]".
class LineParser {
public:
    LineParser(std::string_view line, std::string where)
        : m_line(line), m_where(std::move(where)) {}

    // An empty key: nothing on the line but blanks or a comment.
    std::expected<std::pair<std::string, std::string>, ConfigError> parse() {
        skip_blanks();
        if (at_end() || peek() == '#')
            return std::pair<std::string, std::string>{};
        if (m_line.substr(m_pos).starts_with("export") && m_pos + 6 < m_line.size() &&
            is_blank(m_line[m_pos + 6])) {
            m_pos += 6;
            skip_blanks();
        }
        const auto start = m_pos;
        if (!at_end() && is_name_start(peek()))
            while (!at_end() && is_name_char(peek()))
                ++m_pos;
        std::string key(m_line.substr(start, m_pos - start));
        if (key.empty() || at_end() || peek() != '=')
            return fail("expected KEY=value");
        ++m_pos;
        m_key = key;
        auto value = word();
        if (!value)
            return std::unexpected(value.error());
        skip_blanks();
        if (!at_end() && peek() != '#')
            return fail(m_key + ": a value with spaces must be quoted, as in " + m_key +
                        "=\"a b\"");
        return std::pair{std::move(key), std::move(*value)};
    }

private:
    std::string_view m_line;
    std::string m_where;
    std::string m_key;
    std::size_t m_pos = 0;

    bool at_end() const { return m_pos >= m_line.size(); }
    char peek() const { return m_line[m_pos]; }
    void skip_blanks() {
        while (!at_end() && is_blank(peek()))
            ++m_pos;
    }

    std::unexpected<ConfigError> fail(std::string_view what) const {
        return std::unexpected(ConfigError{m_where + std::string(what)});
    }

    std::unexpected<ConfigError> refuse(char c) const {
        if (c == '$' || c == '`')
            return fail(m_key + ": variable expansion is not supported; write \\" +
                        std::string(1, c) + " or put the value in single quotes");
        return fail(m_key + ": '" + std::string(1, c) +
                    "' must be quoted; put the value in single quotes");
    }

    // Everything up to the first unquoted blank.
    std::expected<std::string, ConfigError> word() {
        std::string value;
        while (!at_end() && !is_blank(peek())) {
            const char c = m_line[m_pos++];
            if (c == '\'') {
                const auto close = m_line.find('\'', m_pos);
                if (close == std::string_view::npos)
                    return fail("unterminated quote");
                value += m_line.substr(m_pos, close - m_pos);
                m_pos = close + 1;
            } else if (c == '"') {
                if (auto done = double_quoted(value); !done)
                    return std::unexpected(done.error());
            } else if (c == '\\') {
                if (at_end())
                    return fail(m_key + ": a line cannot end with '\\'; continued lines are "
                                        "not supported");
                value += m_line[m_pos++];
            } else if (std::string_view("$`;&|<>()").find(c) != std::string_view::npos) {
                return refuse(c);
            } else {
                value += c;
            }
        }
        return value;
    }

    // After the opening '"': inside, '\' escapes only $ ` " and \, as in sh.
    std::expected<void, ConfigError> double_quoted(std::string& value) {
        while (!at_end()) {
            const char c = m_line[m_pos++];
            if (c == '"')
                return {};
            if (c == '$' || c == '`')
                return refuse(c);
            if (c == '\\' && !at_end() &&
                std::string_view("$`\"\\").find(peek()) != std::string_view::npos)
                value += m_line[m_pos++];
            else
                value += c;
        }
        return fail("unterminated quote");
    }
};

} // namespace

std::string Assignment::where() const {
    return file + ":" + std::to_string(line) + ": " + key + ": ";
}

std::expected<std::vector<Assignment>, ConfigError> parse_sysconfig(std::string_view text,
                                                                    const std::string& origin) {
    std::vector<Assignment> assignments;
    int line_number = 0;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        const auto line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        ++line_number;
        auto parsed = LineParser(line, origin + ":" + std::to_string(line_number) + ": ").parse();
        if (!parsed)
            return std::unexpected(parsed.error());
        if (!parsed->first.empty())
            assignments.push_back(Assignment{std::move(parsed->first), std::move(parsed->second),
                                             origin, line_number});
    }
    return assignments;
}

std::expected<std::vector<Assignment>, ConfigError> read_sysconfig(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        return std::unexpected(ConfigError{path + ": cannot open the sysconfig file"});
    std::ostringstream content;
    content << file.rdbuf();
    if (file.bad())
        return std::unexpected(ConfigError{path + ": cannot read the sysconfig file"});
    return parse_sysconfig(content.view(), path);
}

} // namespace saslauthd::config

// The `sql_select` template compiled once into a prepared statement: every quoted literal that
// holds a request macro, and every bare request macro, becomes one `?` whose value is the
// expanded text. No byte of a request ever reaches the SQL text.
//
// Macros (Cyrus's auxprop sql plugin): %u user, %r realm, %s service, %a client address,
// %p the password property name ("userPassword"), %% a percent sign.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace backends::sql {

// The request data the macros stand for.
struct MacroValues {
    std::string_view user;
    std::string_view realm;
    std::string_view service;
    std::string_view client_addr;
};

// Cyrus splits "user@realm" at the first '@'; without one the realm comes from the request,
// else from sql_default_realm. The client address loses its ";port".
MacroValues macro_values(std::string_view login, std::string_view request_realm,
                         std::string_view default_realm, std::string_view service,
                         std::string_view client_addr);

enum class Dialect {
    mysql,  // backslash escapes inside literals, '#' comments
    sqlite, // neither
};

class QueryTemplate {
public:
    // The SQL text with `?` placeholders, as the server prepares it.
    const std::string& sql() const { return m_sql; }
    std::size_t parameter_count() const { return m_parameters.size(); }

    // True when some placeholder's value holds the macro (`u` for %u, ...).
    bool binds(char macro) const;

    // The values of the placeholders, in order.
    std::vector<std::string> bind(const MacroValues& values) const;

    QueryTemplate() = default;
    // Each parameter is literal text with request macros still in it ("%u@%r").
    QueryTemplate(std::string sql, std::vector<std::string> parameters)
        : m_sql(std::move(sql)), m_parameters(std::move(parameters)) {}

private:
    std::string m_sql;
    std::vector<std::string> m_parameters;
};

// A message without file and line for a template that cannot be made safe: an unterminated
// quote or comment, a `?` of its own, or more than one statement.
std::expected<QueryTemplate, std::string> compile_query_template(std::string_view text,
                                                                 Dialect dialect);

} // namespace backends::sql

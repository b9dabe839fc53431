// Fuzzes the sql_select template compiler. The first byte picks the dialect, the rest is the
// template. A compiled template binds one value per placeholder, names a macro exactly when
// its value changes the bound values, and never takes text from a request into its SQL.
#include "backends/sql/query_template.hpp"
#include "fuzz/check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using backends::sql::Dialect;
using backends::sql::MacroValues;
using fuzz::require;

namespace {

void check_binds(const backends::sql::QueryTemplate& query) {
    const MacroValues base{"user", "realm", "service", "192.0.2.1"};
    const auto values = query.bind(base);
    require(values.size() == query.parameter_count());
    require(query.parameter_count() <=
            static_cast<std::size_t>(std::ranges::count(query.sql(), '?')));
    for (const char macro : {'u', 'r', 's', 'a'}) {
        auto changed = base;
        const std::string_view other = "\x01other'\";--%u";
        switch (macro) {
        case 'u':
            changed.user = other;
            break;
        case 'r':
            changed.realm = other;
            break;
        case 's':
            changed.service = other;
            break;
        default:
            changed.client_addr = other;
        }
        require(query.binds(macro) == (query.bind(changed) != values));
    }
}

void check_macro_values(std::string_view text) {
    // Any text as the request: the login is split at its first '@', the address loses ";port".
    const auto login = text.substr(0, text.size() / 2);
    const auto realm = text.substr(text.size() / 2);
    const auto values = backends::sql::macro_values(login, realm, "dflt", "smtp", text);
    require(values.client_addr == text.substr(0, text.find(';')));
    if (const auto at = login.find('@'); at != std::string_view::npos) {
        require(values.user == login.substr(0, at) && values.realm == login.substr(at + 1));
    } else {
        require(values.user == login);
        require(values.realm == (realm.empty() ? std::string_view("dflt") : realm));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const auto dialect = (data[0] & 1) != 0 ? Dialect::sqlite : Dialect::mysql;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    check_macro_values(text);

    const auto query = backends::sql::compile_query_template(text, dialect);
    if (!query) {
        require(!query.error().empty());
        return 0;
    }
    check_binds(*query);
    // Without a '%' nothing is replaced: the SQL is the template, up to a final ';'.
    if (text.find('%') == std::string_view::npos) {
        require(query->parameter_count() == 0);
        require(text.starts_with(query->sql()));
    }
    return 0;
}

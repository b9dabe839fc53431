#include "backends/sql/query_template.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace backends::sql;

namespace {

const MacroValues k_values{"bob", "example.com", "imap", "192.0.2.7"};

QueryTemplate compiled(std::string_view text, Dialect dialect = Dialect::mysql) {
    auto result = compile_query_template(text, dialect);
    if (!result)
        FAIL(result.error());
    return std::move(*result);
}

std::string compile_error(std::string_view text, Dialect dialect = Dialect::mysql) {
    auto result = compile_query_template(text, dialect);
    REQUIRE_FALSE(result.has_value());
    return result.error();
}

using Params = std::vector<std::string>;

} // namespace

TEST_SUITE("sql::query_template") {

    TEST_CASE("the postfixadmin template binds user@realm as one value") {
        const auto query =
            compiled("SELECT password FROM mailbox WHERE username='%u@%r' AND active = '1'");
        CHECK(query.sql() == "SELECT password FROM mailbox WHERE username=? AND active = '1'");
        CHECK(query.bind(k_values) == Params{"bob@example.com"});
        CHECK(query.binds('u'));
        CHECK(query.binds('r'));
        CHECK_FALSE(query.binds('s'));
    }

    TEST_CASE("templates and the statements they make") {
        struct Case {
            std::string_view text;
            std::string_view sql;
            Params params;
        };
        const Case cases[] = {
            {"SELECT %p FROM users WHERE name = '%u' AND realm = '%r'",
             "SELECT userPassword FROM users WHERE name = ? AND realm = ?",
             {"bob", "example.com"}},
            {"SELECT pw FROM u WHERE name = %u", "SELECT pw FROM u WHERE name = ?", {"bob"}},
            {"SELECT pw FROM u WHERE name = \"%u\"", "SELECT pw FROM u WHERE name = ?", {"bob"}},
            {"SELECT pw FROM u WHERE svc = '%s' AND ip = '%a' AND n = '%u'",
             "SELECT pw FROM u WHERE svc = ? AND ip = ? AND n = ?",
             {"imap", "192.0.2.7", "bob"}},
            // literals without request macros stay in the text, with %p and %% expanded
            {"SELECT pw FROM u WHERE n = '%u' AND note LIKE '100%%' AND c = '%p'",
             "SELECT pw FROM u WHERE n = ? AND note LIKE '100%' AND c = 'userPassword'",
             {"bob"}},
            // a literal percent next to a macro survives binding
            {"SELECT pw FROM u WHERE n LIKE '%%%u%%'",
             "SELECT pw FROM u WHERE n LIKE ?",
             {"%bob%"}},
            // an unknown %x and the modulo operator are left alone
            {"SELECT pw FROM u WHERE id % 2 = 0 AND n = '%u' AND x = '%q'",
             "SELECT pw FROM u WHERE id % 2 = 0 AND n = ? AND x = '%q'",
             {"bob"}},
            // doubled quotes and backslash escapes inside a literal with a macro
            {"SELECT pw FROM u WHERE n = 'it''s %u'", "SELECT pw FROM u WHERE n = ?", {"it's bob"}},
            {"SELECT pw FROM u WHERE n = 'it\\'s %u\\\\'",
             "SELECT pw FROM u WHERE n = ?",
             {"it's bob\\"}},
            {"SELECT pw FROM u WHERE n = 'x\\ty%u'", "SELECT pw FROM u WHERE n = ?", {"x\tybob"}},
            // a quote inside a comment or an identifier opens no literal
            {"SELECT pw FROM u -- don't\nWHERE n = '%u'",
             "SELECT pw FROM u -- don't\nWHERE n = ?",
             {"bob"}},
            {"SELECT pw FROM u /* it's */ WHERE n = '%u'",
             "SELECT pw FROM u /* it's */ WHERE n = ?",
             {"bob"}},
            {"SELECT pw FROM u # it's\nWHERE n = '%u'",
             "SELECT pw FROM u # it's\nWHERE n = ?",
             {"bob"}},
            {"SELECT `pass'word` FROM u WHERE n = '%u'",
             "SELECT `pass'word` FROM u WHERE n = ?",
             {"bob"}},
            // one trailing ';' is dropped
            {"SELECT pw FROM u WHERE n = '%u';  \n", "SELECT pw FROM u WHERE n = ?", {"bob"}},
        };
        for (const auto& test : cases) {
            CAPTURE(test.text);
            const auto query = compiled(test.text);
            CHECK(query.sql() == test.sql);
            CHECK(query.bind(k_values) == test.params);
        }
    }

    TEST_CASE("sqlite has no backslash escapes and no '#' comments") {
        const auto query =
            compiled("SELECT pw FROM u WHERE n = 'a\\' AND m = '%u'", Dialect::sqlite);
        CHECK(query.sql() == "SELECT pw FROM u WHERE n = 'a\\' AND m = ?");
        CHECK(query.bind(k_values) == Params{"bob"});
        CHECK(compile_error("SELECT pw FROM u # it's\nWHERE n = '%u'", Dialect::sqlite)
                  .find("unterminated") != std::string::npos);
    }

    TEST_CASE("request data reaches only the parameter values") {
        const auto query = compiled("SELECT password FROM mailbox WHERE username='%u@%r'");
        for (const std::string_view login :
             {"x' OR '1'='1", "x\\' OR 1=1 -- ", "x\"; DROP TABLE mailbox; --", "%u%r%%", "?"}) {
            CAPTURE(login);
            const MacroValues values{login, "example.com", "imap", ""};
            CHECK(query.sql() == "SELECT password FROM mailbox WHERE username=?");
            CHECK(query.bind(values) == Params{std::string(login) + "@example.com"});
        }
    }

    TEST_CASE("templates that cannot be made safe are refused") {
        struct Case {
            std::string_view text;
            std::string_view error;
        };
        const Case cases[] = {
            {"SELECT pw FROM u WHERE n = '%u", "unterminated ' literal starting at character 28"},
            {"SELECT pw FROM u WHERE n = \"%u", "unterminated \" literal"},
            {"SELECT pw FROM u WHERE n = 'ab\\", "unterminated ' literal"},
            {"SELECT pw FROM u WHERE n = 'it''s", "unterminated ' literal"},
            {"SELECT `pw FROM u WHERE n = '%u'", "unterminated ` identifier"},
            {"SELECT pw /* FROM u WHERE n = '%u'", "unterminated /* comment"},
            {"SELECT pw FROM u WHERE n = ?", "would be a placeholder with no value"},
            {"SELECT pw FROM u WHERE n = '%u'; DROP TABLE u", "only one statement is allowed"},
        };
        for (const auto& test : cases) {
            CAPTURE(test.text);
            CHECK(compile_error(test.text).find(test.error) != std::string::npos);
        }
    }

    TEST_CASE("macro values follow Cyrus: user@realm splits at the first '@'") {
        SUBCASE("a login with a realm in it") {
            const auto values = macro_values("bob@example.com", "other.org", "default.net", "smtp",
                                             "192.0.2.1;4711");
            CHECK(values.user == "bob");
            CHECK(values.realm == "example.com");
            CHECK(values.service == "smtp");
            CHECK(values.client_addr == "192.0.2.1");
        }
        SUBCASE("the request's realm") {
            const auto values = macro_values("bob", "other.org", "default.net", "smtp", "");
            CHECK(values.user == "bob");
            CHECK(values.realm == "other.org");
            CHECK(values.client_addr.empty());
        }
        SUBCASE("sql_default_realm when the request has none") {
            CHECK(macro_values("bob", "", "default.net", "smtp", "").realm == "default.net");
            CHECK(macro_values("bob", "", "", "smtp", "").realm.empty());
        }
        SUBCASE("-r joined login@realm") {
            const auto values = macro_values("bob@example.com", "example.com", "", "imap", "");
            CHECK(values.user == "bob");
            CHECK(values.realm == "example.com");
        }
    }

} // TEST_SUITE

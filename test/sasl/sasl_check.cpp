// The server side of a mail daemon's SASL login, as Postfix's smtpd does it: libsasl2 with a
// private config file, verifying one password by sasl_checkpass, PLAIN or LOGIN.
// Prints one line, OK or NO <reason>; exits 0 for OK, 1 for NO, 2 for usage or setup errors.
#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sasl/sasl.h>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

constexpr int k_exit_ok = 0;
constexpr int k_exit_no = 1;
constexpr int k_exit_setup = 2;

struct Options {
    std::string confdir;
    std::string app;
    std::string service = "smtp";
    std::string mode;
    std::string user;
    std::optional<std::string> realm;
    bool password_stdin = false;
};

void usage() {
    std::fputs("usage: sasl_check --confdir DIR [--app NAME] [--service S] "
               "--mode checkpass|plain|login --user U --password-stdin [--realm R]\n"
               "  reads DIR/NAME.conf (NAME defaults to the service)\n",
               stderr);
}

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--password-stdin") {
            options.password_stdin = true;
            continue;
        }
        if (i + 1 >= argc)
            return std::nullopt;
        const std::string value = argv[++i];
        if (arg == "--confdir")
            options.confdir = value;
        else if (arg == "--app")
            options.app = value;
        else if (arg == "--service")
            options.service = value;
        else if (arg == "--mode")
            options.mode = value;
        else if (arg == "--user")
            options.user = value;
        else if (arg == "--realm")
            options.realm = value;
        else
            return std::nullopt;
    }
    const bool known_mode =
        options.mode == "checkpass" || options.mode == "plain" || options.mode == "login";
    if (options.confdir.empty() || options.user.empty() || !options.password_stdin || !known_mode)
        return std::nullopt;
    if (options.app.empty())
        options.app = options.service;
    return options;
}

// A fixed buffer, so that no reallocation leaves copies of the password behind.
class Password {
public:
    Password() = default;
    Password(const Password&) = delete;
    Password& operator=(const Password&) = delete;
    ~Password() { explicit_bzero(m_buffer.data(), m_buffer.size()); }

    bool read_line(int fd) {
        while (m_size < m_buffer.size()) {
            const auto n = ::read(fd, m_buffer.data() + m_size, m_buffer.size() - m_size);
            if (n <= 0)
                break;
            m_size += static_cast<std::size_t>(n);
            if (std::memchr(m_buffer.data(), '\n', m_size) != nullptr)
                break;
        }
        auto* newline = static_cast<char*>(std::memchr(m_buffer.data(), '\n', m_size));
        if (newline == nullptr && m_size == m_buffer.size())
            return false;
        if (newline != nullptr)
            m_size = static_cast<std::size_t>(newline - m_buffer.data());
        // sasl_checkpass hands saslauthd the password as a C string and ignores its length.
        std::memset(m_buffer.data() + m_size, 0, m_buffer.size() - m_size);
        return m_size > 0;
    }
    std::string_view view() const { return {m_buffer.data(), m_size}; }

private:
    std::array<char, 4096> m_buffer{};
    std::size_t m_size = 0;
};

int log_to_stderr(void*, int level, const char* message) {
    if (level <= SASL_LOG_WARN && message != nullptr)
        std::fprintf(stderr, "sasl: %s\n", message);
    return SASL_OK;
}

int conf_path(void* context, const char** path) {
    *path = static_cast<const std::string*>(context)->c_str();
    return SASL_OK;
}

// libsasl2 stores every callback as int (*)(void) and calls it through its real type; the
// detour through void (*)(void) is the cast GCC accepts for that.
template <typename Function> auto as_callback(Function* function) {
    return reinterpret_cast<decltype(sasl_callback_t::proc)>(
        reinterpret_cast<void (*)()>(function));
}

unsigned length(std::string_view text) {
    return static_cast<unsigned>(text.size());
}

// The steps of one mechanism exchange; SASL_CONTINUE is only fine between steps.
int run_mechanism(sasl_conn_t* conn, const char* mechanism, std::string_view first,
                  const std::vector<std::string_view>& steps) {
    const char* out = nullptr;
    unsigned out_length = 0;
    int rc = sasl_server_start(conn, mechanism, first.empty() ? nullptr : first.data(),
                               length(first), &out, &out_length);
    for (const auto step : steps) {
        if (rc != SASL_CONTINUE)
            break;
        rc = sasl_server_step(conn, step.data(), length(step), &out, &out_length);
    }
    return rc == SASL_CONTINUE ? SASL_BADPROT : rc;
}

int authenticate(sasl_conn_t* conn, const Options& options, std::string_view password) {
    const std::string_view user = options.user;
    if (options.mode == "checkpass")
        return sasl_checkpass(conn, user.data(), length(user), password.data(), length(password));
    if (options.mode == "login")
        return run_mechanism(conn, "LOGIN", {}, {user, password});
    // PLAIN: authzid (empty), NUL, authcid, NUL, password.
    std::vector<char> message(2 + user.size() + password.size());
    message[0] = '\0';
    user.copy(message.data() + 1, user.size());
    message[1 + user.size()] = '\0';
    password.copy(message.data() + 2 + user.size(), password.size());
    const int rc = run_mechanism(conn, "PLAIN", {message.data(), message.size()}, {});
    explicit_bzero(message.data(), message.size());
    return rc;
}

} // namespace

int main(int argc, char** argv) {
    const auto options = parse(argc, argv);
    if (!options) {
        usage();
        return k_exit_setup;
    }
    Password password;
    if (!password.read_line(STDIN_FILENO)) {
        std::fputs("sasl_check: no password line on stdin\n", stderr);
        return k_exit_setup;
    }

    std::string confdir = options->confdir;
    const sasl_callback_t callbacks[] = {
        {SASL_CB_LOG, as_callback(&log_to_stderr), nullptr},
        {SASL_CB_GETCONFPATH, as_callback(&conf_path), &confdir},
        {SASL_CB_LIST_END, nullptr, nullptr},
    };
    int rc = sasl_server_init(callbacks, options->app.c_str());
    if (rc != SASL_OK) {
        std::fprintf(stderr, "sasl_server_init: %s\n", sasl_errstring(rc, nullptr, nullptr));
        return k_exit_setup;
    }
    sasl_conn_t* conn = nullptr;
    rc = sasl_server_new(options->service.c_str(), nullptr,
                         options->realm ? options->realm->c_str() : nullptr, nullptr, nullptr,
                         nullptr, 0, &conn);
    if (rc != SASL_OK) {
        std::fprintf(stderr, "sasl_server_new: %s\n", sasl_errstring(rc, nullptr, nullptr));
        sasl_done();
        return k_exit_setup;
    }

    rc = authenticate(conn, *options, password.view());
    int status = k_exit_ok;
    if (rc == SASL_OK) {
        std::puts("OK");
    } else if (rc == SASL_NOMECH) {
        std::fprintf(stderr, "sasl_check: mechanism unavailable: %s\n", sasl_errdetail(conn));
        status = k_exit_setup;
    } else {
        std::printf("NO %s\n", sasl_errdetail(conn));
        status = k_exit_no;
    }
    sasl_dispose(&conn);
    sasl_done();
    return status;
}

#include "backends/shadow/shadow_entry.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <shadow.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace backends::shadow {

namespace {

constexpr std::size_t k_field_count = 9;
// Far more than any real line (a name and a crypt hash); a longer line means a broken file.
constexpr std::size_t k_max_line = 64 * 1024;
constexpr std::size_t k_max_nss_buffer = 1024 * 1024;

std::string describe_errno(int error) {
    return std::generic_category().message(error);
}

// The buffer held other users' hashes: wipe it however the lookup ends.
class WipeOnExit {
public:
    explicit WipeOnExit(std::vector<char>& buffer) : m_buffer(buffer) {}
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;
    ~WipeOnExit() { wipe(m_buffer.data(), m_buffer.size()); }

private:
    std::vector<char>& m_buffer;
};

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    int get() const { return m_fd; }

private:
    int m_fd;
};

// Lines of a file through one fixed buffer, so no stray copy of a line is left in freed
// memory. A line is valid until the next call.
class LineReader {
public:
    LineReader(int fd, std::vector<char>& buffer) : m_fd(fd), m_buffer(buffer) {}

    // The next line without its '\n', or nullopt at the end of the file or on an error.
    std::optional<std::string_view> next() {
        for (;;) {
            const auto line = take_line();
            if (line)
                return line;
            if (m_at_end || !fill())
                return std::nullopt;
        }
    }
    const std::string& error() const { return m_error; }

private:
    std::optional<std::string_view> take_line() {
        const auto* begin = m_buffer.data() + m_start;
        const auto available = m_filled - m_start;
        const auto* newline = static_cast<const char*>(std::memchr(begin, '\n', available));
        if (newline == nullptr) {
            if (!m_at_end || available == 0)
                return std::nullopt;
            m_start = m_filled; // the last line has no '\n'
            return std::string_view(begin, available);
        }
        const auto length = static_cast<std::size_t>(newline - begin);
        m_start += length + 1;
        return std::string_view(begin, length);
    }

    bool fill() {
        std::memmove(m_buffer.data(), m_buffer.data() + m_start, m_filled - m_start);
        m_filled -= m_start;
        m_start = 0;
        if (m_filled == m_buffer.size()) {
            m_error = "a line longer than " + std::to_string(m_buffer.size()) + " bytes";
            return false;
        }
        for (;;) {
            const auto count = ::read(m_fd, m_buffer.data() + m_filled, m_buffer.size() - m_filled);
            if (count < 0 && errno == EINTR)
                continue;
            if (count < 0) {
                m_error = describe_errno(errno);
                return false;
            }
            m_at_end = count == 0;
            m_filled += static_cast<std::size_t>(count);
            return true;
        }
    }

    int m_fd;
    std::vector<char>& m_buffer;
    std::size_t m_start = 0;
    std::size_t m_filled = 0;
    bool m_at_end = false;
    std::string m_error;
};

// Empty and -1 mean "not set"; any other value must be a whole number of days.
std::expected<std::optional<long>, std::string> parse_days(std::string_view field,
                                                           std::string_view what) {
    if (field.empty() || field == "-1")
        return std::nullopt;
    long value = 0;
    const auto [end, status] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (status != std::errc{} || end != field.data() + field.size() || value < 0)
        return std::unexpected(std::string(what) + " is not a number of days");
    return value;
}

std::optional<long> day_from_nss(long value) {
    if (value < 0)
        return std::nullopt;
    return value;
}

std::string_view name_field(std::string_view line) {
    return line.substr(0, line.find(':'));
}

} // namespace

std::expected<ShadowEntry, std::string> parse_shadow_line(std::string_view line) {
    std::array<std::string_view, k_field_count> fields;
    std::size_t count = 0;
    for (std::size_t start = 0;;) {
        const auto colon = line.find(':', start);
        if (count == fields.size())
            return std::unexpected("more than " + std::to_string(k_field_count) + " fields");
        fields[count++] = line.substr(start, colon - start);
        if (colon == std::string_view::npos)
            break;
        start = colon + 1;
    }
    if (count != fields.size())
        return std::unexpected("expected " + std::to_string(k_field_count) + " fields, found " +
                               std::to_string(count));
    if (fields[0].empty())
        return std::unexpected(std::string("empty user name"));

    ShadowEntry entry;
    entry.name = fields[0];
    entry.hash = Secret(fields[1]);
    const std::array<std::pair<std::optional<long> ShadowEntry::*, std::string_view>, 6> days{{
        {&ShadowEntry::last_change, "date of last password change"},
        {&ShadowEntry::min_age, "minimum password age"},
        {&ShadowEntry::max_age, "maximum password age"},
        {&ShadowEntry::warn_period, "password warning period"},
        {&ShadowEntry::inactivity_period, "password inactivity period"},
        {&ShadowEntry::expire_date, "account expiration date"},
    }};
    for (std::size_t i = 0; i < days.size(); ++i) {
        auto value = parse_days(fields[i + 2], days[i].second);
        if (!value)
            return std::unexpected(std::move(value.error()));
        entry.*days[i].first = *value;
    }
    return entry; // field 9 is reserved and ignored
}

LookupResult find_in_shadow_file(const std::string& path, std::string_view name) {
    if (name.empty() || name.find_first_of(":\n") != std::string_view::npos)
        return std::nullopt;
    const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0)
        return std::unexpected(LookupError{path + ": cannot open: " + describe_errno(errno)});

    std::vector<char> buffer(k_max_line);
    const WipeOnExit wipe_buffer(buffer);
    LineReader reader(file.get(), buffer);
    // Read to the end whatever is found, so that the time does not say whether the user is
    // in the file or where; the first line for the name counts.
    long line_number = 0;
    std::optional<std::expected<ShadowEntry, std::string>> first;
    long first_line = 0;
    while (const auto line = reader.next()) {
        ++line_number;
        if (first || name_field(*line) != name)
            continue;
        first = parse_shadow_line(*line);
        first_line = line_number;
    }
    if (first && !*first)
        return std::unexpected(
            LookupError{path + ":" + std::to_string(first_line) + ": " + first->error()});
    if (first)
        return std::move(**first);
    if (!reader.error().empty())
        return std::unexpected(LookupError{path + ": cannot read after line " +
                                           std::to_string(line_number) + ": " + reader.error()});
    return std::nullopt;
}

std::optional<LookupError> for_each_hash(const std::string& path,
                                         const std::function<void(std::string_view)>& visit) {
    const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0)
        return LookupError{path + ": cannot open: " + describe_errno(errno)};
    std::vector<char> buffer(k_max_line);
    const WipeOnExit wipe_buffer(buffer);
    LineReader reader(file.get(), buffer);
    while (const auto line = reader.next()) {
        const auto first = line->find(':');
        if (first == std::string_view::npos)
            continue;
        const auto hash = line->substr(first + 1);
        visit(hash.substr(0, hash.find(':')));
    }
    if (!reader.error().empty())
        return LookupError{path + ": " + reader.error()};
    return std::nullopt;
}

LookupResult find_in_nss(std::string_view name) {
    if (name.empty() || name.find('\0') != std::string_view::npos)
        return std::nullopt;
    const std::string key(name);
    std::vector<char> buffer(1024);
    const WipeOnExit wipe_buffer(buffer);
    struct spwd record {};
    struct spwd* found = nullptr;
    int status = 0;
    for (;;) {
        status = ::getspnam_r(key.c_str(), &record, buffer.data(), buffer.size(), &found);
        if (status != ERANGE || buffer.size() >= k_max_nss_buffer)
            break;
        const auto larger = buffer.size() * 2;
        wipe(buffer.data(), buffer.size());
        buffer = std::vector<char>(larger);
    }
    if (status == ENOENT || (status == 0 && found == nullptr))
        return std::nullopt;
    if (status != 0)
        return std::unexpected(LookupError{"getspnam_r: " + describe_errno(status)});

    ShadowEntry entry;
    entry.name = found->sp_namp != nullptr ? found->sp_namp : key;
    entry.hash = Secret(found->sp_pwdp != nullptr ? found->sp_pwdp : "");
    entry.last_change = day_from_nss(found->sp_lstchg);
    entry.min_age = day_from_nss(found->sp_min);
    entry.max_age = day_from_nss(found->sp_max);
    entry.warn_period = day_from_nss(found->sp_warn);
    entry.inactivity_period = day_from_nss(found->sp_inact);
    entry.expire_date = day_from_nss(found->sp_expire);
    return entry;
}

} // namespace backends::shadow

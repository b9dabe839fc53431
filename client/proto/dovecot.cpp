#include "client/proto/dovecot.hpp"

#include <charconv>

namespace proto::dovecot {

namespace {

constexpr char k_escape = '\001';

template <typename Number> std::optional<Number> number(std::string_view text) {
    Number value{};
    const auto* end = text.data() + text.size();
    const auto [stop, status] = std::from_chars(text.data(), end, value);
    if (text.empty() || status != std::errc{} || stop != end)
        return std::nullopt;
    return value;
}

// A request id: 1 to 2^32 - 1 in decimal.
std::expected<std::uint32_t, std::string> request_id(const std::vector<std::string_view>& fields,
                                                     std::string_view command) {
    if (fields.size() < 2)
        return std::unexpected(std::string(command) + " without a request id");
    const auto id = number<std::uint32_t>(fields[1]);
    if (!id || *id == 0)
        return std::unexpected(std::string(command) + " with a bad request id");
    return *id;
}

std::expected<ClientCommand, std::string> parse_auth(const std::vector<std::string_view>& fields) {
    const auto id = request_id(fields, "AUTH");
    if (!id)
        return std::unexpected(id.error());
    if (fields.size() < 3)
        return std::unexpected("AUTH without a mechanism");
    Auth auth;
    auth.id = *id;
    auth.mechanism = unescape(fields[2]);
    if (auth.mechanism.empty()) // also a field such as "\001" that unescapes to nothing
        return std::unexpected("AUTH without a mechanism");
    bool has_service = false;
    for (std::size_t i = 3; i < fields.size(); ++i) {
        const auto field = fields[i];
        if (auth.response)
            return std::unexpected("AUTH parameters after resp=");
        const auto equals = field.find('=');
        const auto name = field.substr(0, equals);
        const auto value =
            equals == std::string_view::npos ? std::string_view() : field.substr(equals + 1);
        if (name == "resp") {
            auth.response = value;
        } else if (name == "service") {
            auth.service = unescape(value);
            has_service = true;
        } else if (name == "lip") {
            auth.local_ip = unescape(value);
        } else if (name == "rip") {
            auth.remote_ip = unescape(value);
        } else if (name == "lport") {
            auth.local_port = number<unsigned>(value);
        } else if (name == "rport") {
            auth.remote_port = number<unsigned>(value);
        } else if (name == "secured") {
            auth.secured = true;
        } // every other parameter is optional and ignored, as the protocol asks
    }
    if (!has_service || auth.service.empty())
        return std::unexpected("AUTH without service=");
    return auth;
}

void append_field(std::string& line, std::string_view name, std::string_view value) {
    line += '\t';
    line += name;
    line += '=';
    line += escape(value);
}

} // namespace

Line next_line(std::string_view buffer) {
    const auto end = buffer.find('\n');
    if (end == std::string_view::npos)
        return {buffer.size() > k_max_line ? LineStatus::too_long : LineStatus::incomplete, {}, 0};
    if (end > k_max_line)
        return {LineStatus::too_long, {}, 0};
    return {LineStatus::complete, buffer.substr(0, end), end + 1};
}

std::string escape(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        switch (c) {
        case '\0':
            out += "\0010";
            break;
        case k_escape:
            out += "\0011";
            break;
        case '\t':
            out += "\001t";
            break;
        case '\r':
            out += "\001r";
            break;
        case '\n':
            out += "\001n";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string unescape(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] != k_escape) {
            out += value[i];
            continue;
        }
        if (++i == value.size())
            break;
        switch (value[i]) {
        case '0':
            out += '\0';
            break;
        case '1':
            out += k_escape;
            break;
        case 't':
            out += '\t';
            break;
        case 'r':
            out += '\r';
            break;
        case 'n':
            out += '\n';
            break;
        default:
            out += value[i];
        }
    }
    return out;
}

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    for (;;) {
        const auto tab = line.find('\t');
        fields.push_back(line.substr(0, tab));
        if (tab == std::string_view::npos)
            return fields;
        line.remove_prefix(tab + 1);
    }
}

std::expected<ClientCommand, std::string> parse_client_line(std::string_view line) {
    const auto fields = split_fields(line);
    const auto command = fields[0];
    if (command == "AUTH")
        return parse_auth(fields);
    if (command == "CONT") {
        const auto id = request_id(fields, "CONT");
        if (!id)
            return std::unexpected(id.error());
        return Cont{*id, fields.size() > 2 ? fields[2] : std::string_view()};
    }
    if (command == "CANCEL") {
        const auto id = request_id(fields, "CANCEL");
        if (!id)
            return std::unexpected(id.error());
        return Cancel{*id};
    }
    if (command == "VERSION") {
        const auto major = fields.size() > 2 ? number<unsigned>(fields[1]) : std::nullopt;
        const auto minor = fields.size() > 2 ? number<unsigned>(fields[2]) : std::nullopt;
        if (!major || !minor)
            return std::unexpected("VERSION without two numbers");
        return Version{*major, *minor};
    }
    if (command == "CPID") {
        auto pid = fields.size() < 2 ? std::string() : unescape(fields[1]);
        if (pid.empty())
            return std::unexpected("CPID without a process id");
        return Cpid{std::move(pid)};
    }
    return UnknownCommand{unescape(command)};
}

std::string server_handshake(const std::vector<MechanismInfo>& mechanisms, std::string_view spid,
                             std::uint64_t cuid, std::string_view cookie_hex) {
    std::string text = "VERSION\t" + std::to_string(k_major_version) + "\t" +
                       std::to_string(k_minor_version) + "\n";
    for (const auto& mechanism : mechanisms) {
        text.append("MECH\t").append(mechanism.name);
        for (const auto& flag : mechanism.flags)
            text.append("\t").append(flag);
        text += '\n';
    }
    text.append("SPID\t").append(spid).append("\nCUID\t").append(std::to_string(cuid));
    text.append("\nCOOKIE\t").append(cookie_hex).append("\nDONE\n");
    return text;
}

std::string ok_line(std::uint32_t id, std::string_view user) {
    std::string line = "OK\t" + std::to_string(id);
    append_field(line, "user", user);
    return line + "\n";
}

std::string fail_line(std::uint32_t id, std::string_view user, std::string_view code,
                      std::string_view reason) {
    std::string line = "FAIL\t" + std::to_string(id);
    if (!user.empty())
        append_field(line, "user", user);
    if (!code.empty())
        append_field(line, "code", code);
    append_field(line, "reason", reason);
    return line + "\n";
}

std::string cont_line(std::uint32_t id, std::string_view base64_data) {
    return std::string("CONT\t").append(std::to_string(id)).append("\t").append(base64_data) + "\n";
}

std::string client_handshake(unsigned pid) {
    return "VERSION\t" + std::to_string(k_major_version) + "\t" + std::to_string(k_minor_version) +
           "\nCPID\t" + std::to_string(pid) + "\n";
}

std::string auth_line(std::uint32_t id, std::string_view mechanism, std::string_view service,
                      std::string_view remote_ip, std::optional<std::string_view> response_base64) {
    std::string line = std::string("AUTH\t").append(std::to_string(id)).append("\t");
    line.append(escape(mechanism)); // parse_client_line unescapes it
    append_field(line, "service", service);
    append_field(line, "lip", "127.0.0.1");
    append_field(line, "rip", remote_ip);
    if (response_base64)
        line.append("\tresp=").append(*response_base64);
    return line + "\n";
}

std::string client_cont_line(std::uint32_t id, std::string_view base64_data) {
    return std::string("CONT\t").append(std::to_string(id)).append("\t").append(base64_data) + "\n";
}

Reply parse_server_line(std::string_view line) {
    const auto fields = split_fields(line);
    Reply reply;
    reply.command = fields[0];
    if (reply.command == "OK")
        reply.kind = Reply::Kind::ok;
    else if (reply.command == "FAIL")
        reply.kind = Reply::Kind::fail;
    else if (reply.command == "CONT")
        reply.kind = Reply::Kind::cont;
    if (reply.kind == Reply::Kind::other || fields.size() < 2)
        return reply;
    reply.id = number<std::uint32_t>(fields[1]).value_or(0);
    std::size_t first_param = 2;
    if (reply.kind == Reply::Kind::cont) {
        reply.data = fields.size() > 2 ? std::string(fields[2]) : std::string();
        first_param = 3;
    }
    for (std::size_t i = first_param; i < fields.size(); ++i) {
        const auto equals = fields[i].find('=');
        reply.params[std::string(fields[i].substr(0, equals))] =
            equals == std::string_view::npos ? std::string()
                                             : unescape(fields[i].substr(equals + 1));
    }
    return reply;
}

} // namespace proto::dovecot

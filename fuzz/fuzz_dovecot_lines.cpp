// Fuzzes Dovecot's auth-client lines: the framing, the parsers of both sides, the escaping and
// the base64 the SASL data travels in, and checks what must hold for any input.
#include "client/proto/base64.hpp"
#include "client/proto/dovecot.hpp"
#include "fuzz/check.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace dc = proto::dovecot;
using fuzz::inside;
using fuzz::require;

namespace {

// SASL data decodes into a heap block of exactly max_decoded_size bytes, so ASan stops any
// write past it. Strict base64 has one spelling per byte string: encoding gives the text back.
void check_base64(std::string_view text) {
    const auto room = proto::base64::max_decoded_size(text.size());
    const auto out = std::make_unique<char[]>(room);
    const auto size = proto::base64::decode(text, out.get());
    if (!size)
        return;
    require(*size <= room && room - *size <= 2);
    require(proto::base64::encode(std::string_view(out.get(), *size)) == text);
}

void check_round_trip(std::string_view bytes) {
    const auto text = proto::base64::encode(bytes);
    require(text.size() == (bytes.size() + 2) / 3 * 4);
    const auto room = proto::base64::max_decoded_size(text.size());
    const auto out = std::make_unique<char[]>(room);
    const auto size = proto::base64::decode(text, out.get());
    require(size && std::string_view(out.get(), *size) == bytes);
}

// The one complete line of `text`, which must be nothing else.
std::string_view only_line(std::string_view text) {
    const auto line = dc::next_line(text);
    require(line.status == dc::LineStatus::complete && line.consumed == text.size());
    return line.text;
}

// Any field unescapes to a value that escapes into one field of a line either side reads.
void check_escaping(std::string_view field) {
    const auto value = dc::unescape(field);
    require(value.size() <= field.size());
    const auto escaped = dc::escape(value);
    require(escaped.find_first_of(std::string_view("\t\n\r\0", 4)) == std::string::npos);
    require(dc::unescape(escaped) == value);

    if (!value.empty()) {
        const auto cpid = dc::parse_client_line(std::string("CPID\t").append(escaped));
        require(cpid && std::holds_alternative<dc::Cpid>(*cpid));
        require(std::get<dc::Cpid>(*cpid).pid == value);
    }
    const auto ok = dc::parse_server_line(only_line(dc::ok_line(1, value)));
    require(ok.kind == dc::Reply::Kind::ok && ok.id == 1 && ok.params.size() == 1);
    require(ok.params.at("user") == value);
}

void check_auth(const dc::Auth& auth, std::string_view line) {
    require(auth.id != 0 && !auth.mechanism.empty() && !auth.service.empty());
    if (auth.response) {
        // resp= is last: its value ends the line (an empty one, as from a bare "resp", may
        // point anywhere).
        require(inside(*auth.response, line));
        require(auth.response->empty() ||
                auth.response->data() + auth.response->size() == line.data() + line.size());
        check_base64(*auth.response);
    }

    // The client side writes the request again; it reads back the same.
    const auto again =
        dc::auth_line(auth.id, auth.mechanism, auth.service, auth.remote_ip, auth.response);
    const auto reparsed = dc::parse_client_line(only_line(again));
    require(reparsed && std::holds_alternative<dc::Auth>(*reparsed));
    const auto& copy = std::get<dc::Auth>(*reparsed);
    require(copy.id == auth.id && copy.mechanism == auth.mechanism);
    require(copy.service == auth.service && copy.remote_ip == auth.remote_ip);
    require(copy.response == auth.response && copy.local_ip == "127.0.0.1" && !copy.secured);

    // The server's replies to it, read by the client side.
    const auto fail = dc::parse_server_line(
        only_line(dc::fail_line(auth.id, auth.remote_ip, auth.mechanism, auth.local_ip)));
    require(fail.kind == dc::Reply::Kind::fail && fail.id == auth.id);
    require(fail.params.at("reason") == auth.local_ip);
    require(fail.params.contains("user") == !auth.remote_ip.empty());
    require(fail.params.at("code") == auth.mechanism);
    const auto cont =
        dc::parse_server_line(only_line(dc::cont_line(auth.id, auth.response.value_or(""))));
    require(cont.kind == dc::Reply::Kind::cont && cont.id == auth.id && cont.params.empty());
    require(cont.data == auth.response.value_or(""));
}

void check_cont(const dc::Cont& cont, std::string_view line) {
    require(cont.id != 0 && inside(cont.response, line));
    check_base64(cont.response);
    // The parsed CONT holds a view into the line: keep the line.
    const auto line_again = dc::client_cont_line(cont.id, cont.response);
    const auto again = dc::parse_client_line(only_line(line_again));
    require(again && std::holds_alternative<dc::Cont>(*again));
    require(std::get<dc::Cont>(*again).id == cont.id);
    require(std::get<dc::Cont>(*again).response == cont.response);
}

void check_client_line(std::string_view line) {
    const auto parsed = dc::parse_client_line(line);
    if (!parsed) {
        require(!parsed.error().empty());
        return;
    }
    if (const auto* auth = std::get_if<dc::Auth>(&*parsed))
        check_auth(*auth, line);
    else if (const auto* cont = std::get_if<dc::Cont>(&*parsed))
        check_cont(*cont, line);
    else if (const auto* cancel = std::get_if<dc::Cancel>(&*parsed))
        require(cancel->id != 0);
    else if (const auto* cpid = std::get_if<dc::Cpid>(&*parsed))
        require(!cpid->pid.empty());
    else if (const auto* unknown = std::get_if<dc::UnknownCommand>(&*parsed))
        require(unknown->name == dc::unescape(line.substr(0, line.find('\t'))));
}

void check_server_line(std::string_view line) {
    const auto reply = dc::parse_server_line(line);
    const auto command = line.substr(0, line.find('\t'));
    require(reply.command == command);
    const bool known = command == "OK" || command == "FAIL" || command == "CONT";
    require((reply.kind != dc::Reply::Kind::other) == known);
    if (reply.kind == dc::Reply::Kind::other)
        require(reply.id == 0 && reply.data.empty() && reply.params.empty());
}

void check_line(std::string_view line) {
    check_client_line(line);
    check_server_line(line);
    const auto fields = dc::split_fields(line);
    require(!fields.empty());
    for (const auto field : fields) {
        require(inside(field, line) && field.find('\t') == std::string_view::npos);
        check_escaping(field);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view buffer = input;
    for (;;) {
        const auto line = dc::next_line(buffer);
        if (line.status != dc::LineStatus::complete) {
            require(line.consumed == 0 && line.text.empty());
            const auto newline = buffer.find('\n');
            if (line.status == dc::LineStatus::incomplete)
                require(newline == std::string_view::npos && buffer.size() <= dc::k_max_line);
            else
                require(buffer.size() > dc::k_max_line &&
                        (newline == std::string_view::npos || newline > dc::k_max_line));
            break;
        }
        require(line.consumed > 0 && line.consumed <= buffer.size());
        require(line.text.data() == buffer.data() && line.text.size() + 1 == line.consumed);
        require(buffer[line.text.size()] == '\n' && line.text.find('\n') == std::string::npos);
        require(line.text.size() <= dc::k_max_line);
        check_line(line.text);
        buffer.remove_prefix(line.consumed);
    }
    check_base64(input);
    check_round_trip(input);
    return 0;
}

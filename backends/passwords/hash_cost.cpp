// The formats follow libxcrypt 4.4 (crypt(5) and its sources' parsing rules) and libargon2's
// encoded strings; where libxcrypt would refuse a value without working, so does this parser.
#include "backends/passwords/hash_cost.hpp"

#include <array>
#include <charconv>
#include <limits>

namespace backends::passwords {

namespace {

using std::uint32_t;
using std::uint64_t;

constexpr uint64_t k_max = std::numeric_limits<uint64_t>::max();

constexpr std::string_view k_itoa64 =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// The value of one character of crypt's base64 alphabet, or 64.
unsigned atoi64(char c) {
    const auto at = k_itoa64.find(c);
    return at == std::string_view::npos ? 64 : static_cast<unsigned>(at);
}

uint64_t times(uint64_t a, uint64_t b) {
    return a != 0 && b > k_max / a ? k_max : a * b;
}

uint64_t plus(uint64_t a, uint64_t b) {
    return b > k_max - a ? k_max : a + b;
}

uint64_t kib(uint64_t bytes) {
    return bytes / 1024 + (bytes % 1024 != 0 ? 1 : 0);
}

// Decimal digits only (no sign, no spaces); `leading_zero` allows "0…". nullopt past `most`.
std::optional<uint64_t> decimal(std::string_view digits, bool leading_zero, uint64_t most) {
    if (digits.empty() || (!leading_zero && digits.front() == '0'))
        return std::nullopt;
    uint64_t value = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9')
            return std::nullopt;
        const auto digit = static_cast<uint64_t>(c - '0');
        if (value > (most - digit) / 10)
            return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

// The characters before `end` (or all of them).
std::size_t length_until(std::string_view text, char end) {
    const auto at = text.find(end);
    return at == std::string_view::npos ? text.size() : at;
}

HashCost fixed_cost(HashMethod method, std::string_view parameters, std::size_t salt_length) {
    HashCost cost;
    cost.method = method;
    cost.parameters = parameters;
    cost.salt_length = salt_length;
    return cost;
}

// yescrypt's variable-length encoding of one number (libxcrypt's decode64_uint32): the first
// character says how many follow. Advances `at`; nullopt on a character outside the alphabet.
std::optional<uint32_t> yescrypt_number(std::string_view text, std::size_t& at, uint32_t min) {
    if (at >= text.size())
        return std::nullopt;
    uint32_t c = atoi64(text[at++]);
    if (c > 63)
        return std::nullopt;
    uint32_t start = 0;
    uint32_t end = 47;
    uint32_t chars = 1;
    uint32_t bits = 0;
    uint32_t value = min;
    while (c > end) {
        value += (end + 1 - start) << bits;
        start = end + 1;
        end = start + (62 - end) / 2;
        ++chars;
        bits += 6;
    }
    value += (c - start) << bits;
    while (--chars > 0) {
        if (at >= text.size())
            return std::nullopt;
        c = atoi64(text[at++]);
        if (c > 63)
            return std::nullopt;
        bits -= 6;
        value += c << bits;
    }
    return value;
}

// Five characters, six bits each, least significant first ($7$'s r and p).
std::optional<uint32_t> fixed_30_bits(std::string_view text) {
    uint32_t value = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        const uint32_t c = atoi64(text[i]);
        if (c > 63)
            return std::nullopt;
        value |= c << (6 * i);
    }
    return value;
}

enum class YescryptMode { scrypt, worm, rw };

struct YescryptParameters {
    YescryptMode mode = YescryptMode::rw;
    uint32_t n_log2 = 0;
    uint32_t r = 0;
    uint32_t p = 1;
    uint32_t t = 0;
};

// The checks libxcrypt's yescrypt_kdf_body makes before it allocates anything.
bool acceptable(const YescryptParameters& params) {
    if (params.n_log2 < 2 || params.n_log2 > 32 || params.r < 1 || params.p < 1)
        return false;
    if (uint64_t{params.r} * params.p >= (uint64_t{1} << 30))
        return false;
    if (params.mode == YescryptMode::scrypt && params.t != 0)
        return false;
    return params.mode != YescryptMode::rw || ((uint64_t{1} << params.n_log2) / params.p) > 3;
}

// Memory as yescrypt_kdf_body allocates it: the main array V (128·r·N bytes), and per lane
// a block B (128·r) and, in RW mode, a 12 KiB S-box with its context. The first lane's few KiB
// are not counted, so that a hash asking for exactly the limit (N·r·128 bytes) passes; every
// further lane is. (The scratch XY, 256·r, is at most half of V since N >= 4.) The time: RW
// mode works through N about max(1, t) times whatever p is; scrypt and WORM modes run their p
// lanes one after another.
HashCost yescrypt_family(HashMethod method, const YescryptParameters& params,
                         std::string_view parameters, std::size_t salt_length) {
    constexpr uint64_t k_sbox_per_lane = 12288 + 64;
    const uint64_t n = uint64_t{1} << params.n_log2;
    const uint64_t per_lane =
        plus(times(128, params.r), params.mode == YescryptMode::rw ? k_sbox_per_lane : 0);
    const uint64_t bytes = plus(times(times(128, params.r), n), times(per_lane, params.p - 1));
    HashCost cost = fixed_cost(method, parameters, salt_length);
    cost.memory_kib = kib(bytes);
    const uint64_t passes = params.t == 0 ? 1 : params.t;
    cost.time_cost = params.mode == YescryptMode::rw ? passes : times(params.p, passes);
    return cost;
}

// "$y$" / "$gy$": flavor, log2 N, r, then optionally a bit set of which of p, t, g and NROM
// follow; '$', the salt, '$', the hash. The salt ends at the last '$' (yescrypt_r's strrchr).
std::optional<HashCost> yescrypt_cost(std::string_view hash, std::size_t prefix,
                                      HashMethod method) {
    const auto text = hash.substr(prefix);
    std::size_t at = 0;
    YescryptParameters params;
    const auto flavor = yescrypt_number(text, at, 0);
    // 0 is classic scrypt and 1 WORM; of the RW flavors libxcrypt computes only one, 'j'
    // (YESCRYPT_DEFAULTS), and refuses the others without working.
    constexpr uint32_t k_rw_default = 47;
    if (!flavor || (*flavor > 1 && *flavor != k_rw_default))
        return std::nullopt;
    params.mode = *flavor == 0   ? YescryptMode::scrypt
                  : *flavor == 1 ? YescryptMode::worm
                                 : YescryptMode::rw;
    const auto n_log2 = yescrypt_number(text, at, 1);
    const auto r = yescrypt_number(text, at, 1);
    if (!n_log2 || *n_log2 > 63 || !r)
        return std::nullopt;
    params.n_log2 = *n_log2;
    params.r = *r;
    if (at < text.size() && text[at] != '$') {
        const auto have = yescrypt_number(text, at, 1);
        if (!have)
            return std::nullopt;
        std::optional<uint32_t> value;
        if ((*have & 1U) != 0) {
            if (!(value = yescrypt_number(text, at, 2)))
                return std::nullopt;
            params.p = *value;
        }
        if ((*have & 2U) != 0) {
            if (!(value = yescrypt_number(text, at, 1)))
                return std::nullopt;
            params.t = *value;
        }
        // Hash upgrades (g) and a ROM (NROM): libxcrypt refuses both before any work.
        if ((*have & 12U) != 0)
            return std::nullopt;
    }
    if (at >= text.size() || text[at] != '$' || !acceptable(params))
        return std::nullopt;
    ++at;
    const auto salt = text.substr(at);
    const auto last = salt.rfind('$');
    return yescrypt_family(method, params, hash.substr(0, prefix + at),
                           last == std::string_view::npos ? salt.size() : last);
}

// "$7$": one character of log2 N, five of r, five of p, the salt as it is, '$', the hash.
std::optional<HashCost> scrypt_cost(std::string_view hash) {
    const auto text = hash.substr(3);
    if (text.size() < 11)
        return std::nullopt;
    YescryptParameters params;
    params.mode = YescryptMode::scrypt;
    params.n_log2 = atoi64(text[0]);
    const auto r = fixed_30_bits(text.substr(1, 5));
    const auto p = fixed_30_bits(text.substr(6, 5));
    if (params.n_log2 < 1 || params.n_log2 > 63 || !r || !p)
        return std::nullopt;
    params.r = *r;
    params.p = *p;
    if (!acceptable(params))
        return std::nullopt;
    const auto salt = text.substr(11);
    const auto last = salt.rfind('$');
    return yescrypt_family(HashMethod::scrypt, params, hash.substr(0, 14),
                           last == std::string_view::npos ? salt.size() : last);
}

// "$2b$NN$" and 22 characters of salt; libxcrypt takes costs 04 to 31.
std::optional<HashCost> bcrypt_cost(std::string_view hash) {
    constexpr std::string_view k_variants = "abxy";
    if (hash.size() < 7 + 22 || k_variants.find(hash[2]) == std::string_view::npos ||
        hash[3] != '$' || hash[6] != '$')
        return std::nullopt;
    const auto number = decimal(hash.substr(4, 2), true, 99);
    if (!number || *number < 4 || *number > 31)
        return std::nullopt;
    HashCost cost = fixed_cost(HashMethod::bcrypt, hash.substr(0, 7), 22);
    cost.bcrypt_cost = static_cast<unsigned>(*number);
    cost.rounds = uint64_t{1} << *number;
    return cost;
}

// "$5$" / "$6$", optionally "rounds=N$" (libxcrypt refuses N outside 1000..999999999 and a
// leading zero), the salt up to '$' (16 characters count), '$', the hash. The parameters are
// written "$6$" for the default 5000 rounds, "$6$rounds=N$" otherwise.
std::optional<HashCost> sha_crypt_cost(std::string_view hash, HashMethod method) {
    constexpr std::string_view k_rounds = "rounds=";
    constexpr uint64_t k_default = 5000;
    auto rest = hash.substr(3);
    uint64_t rounds = k_default;
    if (rest.starts_with(k_rounds)) {
        rest.remove_prefix(k_rounds.size());
        const auto digits = length_until(rest, '$');
        const auto number = decimal(rest.substr(0, digits), false, k_max);
        if (!number || *number < 1000 || *number > 999'999'999 || digits == rest.size())
            return std::nullopt;
        rounds = *number;
        rest.remove_prefix(digits + 1);
    }
    const auto salt = rest.substr(0, rest.find_first_of("$:\n"));
    if (salt.size() < rest.size() && rest[salt.size()] != '$')
        return std::nullopt;
    // The default written or not costs the same; a decoy leaves it out, as most hashes do.
    std::string parameters(hash.substr(0, 3));
    if (rounds != k_default)
        parameters.append(k_rounds).append(std::to_string(rounds)).append(1, '$');
    HashCost cost = fixed_cost(method, parameters, std::min<std::size_t>(salt.size(), 16));
    cost.rounds = rounds;
    return cost;
}

// "$md5$" or "$md5,", optionally "rounds=N$": 4096 + N rounds, N < 2^32.
std::optional<HashCost> sunmd5_cost(std::string_view hash) {
    constexpr std::string_view k_rounds = "rounds=";
    if (hash.size() < 5 || (hash[4] != '$' && hash[4] != ','))
        return std::nullopt;
    auto rest = hash.substr(5);
    uint64_t extra = 0;
    if (rest.starts_with(k_rounds)) {
        rest.remove_prefix(k_rounds.size());
        const auto digits = length_until(rest, '$');
        const auto number = decimal(rest.substr(0, digits), false, 0xFFFF'FFFFULL);
        if (!number || digits == rest.size())
            return std::nullopt;
        extra = *number;
        rest.remove_prefix(digits + 1);
    }
    std::string parameters = "$md5";
    if (extra > 0)
        parameters.append(",rounds=").append(std::to_string(extra));
    parameters.append(1, '$');
    HashCost cost = fixed_cost(HashMethod::sunmd5, parameters, length_until(rest, '$'));
    cost.rounds = 4096 + extra;
    return cost;
}

// "$sha1$N$salt$hash": N HMAC-SHA1 rounds. libxcrypt reads N with strtoul, so a sign or
// spaces would mean something; only plain digits are costed.
std::optional<HashCost> sha1crypt_cost(std::string_view hash) {
    auto rest = hash.substr(6);
    const auto digits = length_until(rest, '$');
    const auto number = decimal(rest.substr(0, digits), true, k_max);
    if (!number || digits == rest.size())
        return std::nullopt;
    rest.remove_prefix(digits + 1);
    const auto salt = length_until(rest, '$');
    if (salt == 0)
        return std::nullopt;
    std::string parameters = "$sha1$";
    parameters.append(std::to_string(*number)).append(1, '$');
    HashCost cost = fixed_cost(HashMethod::sha1crypt, parameters, salt);
    cost.rounds = *number == 0 ? 1 : *number;
    return cost;
}

// "_" + four characters of round count (24 bits, least significant first) + four of salt.
std::optional<HashCost> bsdicrypt_cost(std::string_view hash) {
    if (hash.size() < 9)
        return std::nullopt;
    uint64_t count = 0;
    for (std::size_t i = 1; i < 9; ++i) {
        const auto c = atoi64(hash[i]);
        if (c > 63)
            return std::nullopt;
        if (i < 5)
            count |= uint64_t{c} << (6 * (i - 1));
    }
    HashCost cost = fixed_cost(HashMethod::bsdicrypt, hash.substr(0, 5), 4);
    cost.rounds = count;
    return cost;
}

std::optional<HashCost> cheap_crypt_cost(std::string_view hash) {
    if (hash.starts_with("$1$")) {
        const auto salt = hash.substr(3);
        HashCost cost = fixed_cost(HashMethod::md5crypt, "$1$",
                                   std::min<std::size_t>(length_until(salt, '$'), 8));
        cost.rounds = 1000;
        return cost;
    }
    if (hash.starts_with("$3$"))
        return fixed_cost(HashMethod::nt, "$3$", 0);
    if (hash.front() == '$' || hash.size() < 2)
        return std::nullopt;
    return fixed_cost(HashMethod::descrypt, "", 2); // descrypt, or bigcrypt when longer
}

// libargon2's decimal fields: digits only, at most 32 bits.
std::optional<uint32_t> argon2_number(std::string_view& text, std::string_view name) {
    if (!text.starts_with(name))
        return std::nullopt;
    text.remove_prefix(name.size());
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    const auto number = decimal(text.substr(0, digits), true, 0xFFFF'FFFFULL);
    text.remove_prefix(digits);
    if (!number)
        return std::nullopt;
    return static_cast<uint32_t>(*number);
}

// The length of the bytes an unpadded base64 text holds; nullopt if it cannot be one.
std::optional<std::size_t> base64_bytes(std::string_view text) {
    constexpr std::string_view k_alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (text.size() % 4 == 1 || text.find_first_not_of(k_alphabet) != std::string_view::npos)
        return std::nullopt;
    return text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1);
}

} // namespace

std::string_view to_string(HashMethod method) {
    constexpr std::array<std::string_view, 18> k_names{
        "descrypt",    "bsdicrypt", "md5crypt", "sunmd5",      "sha1crypt",     "sha256crypt",
        "sha512crypt", "bcrypt",    "scrypt",   "yescrypt",    "gost-yescrypt", "nt",
        "argon2i",     "argon2id",  "pbkdf2",   "scram-sha-1", "scram-sha-256", "digest"};
    return k_names[static_cast<std::size_t>(method)];
}

std::optional<HashCost> crypt_cost(std::string_view hash) {
    if (hash.empty() || hash.find('\0') != std::string_view::npos)
        return std::nullopt;
    if (hash.starts_with("$y$"))
        return yescrypt_cost(hash, 3, HashMethod::yescrypt);
    if (hash.starts_with("$gy$"))
        return yescrypt_cost(hash, 4, HashMethod::gost_yescrypt);
    if (hash.starts_with("$7$"))
        return scrypt_cost(hash);
    if (hash.starts_with("$2"))
        return bcrypt_cost(hash);
    if (hash.starts_with("$6$"))
        return sha_crypt_cost(hash, HashMethod::sha512crypt);
    if (hash.starts_with("$5$"))
        return sha_crypt_cost(hash, HashMethod::sha256crypt);
    if (hash.starts_with("$md5"))
        return sunmd5_cost(hash);
    if (hash.starts_with("$sha1$"))
        return sha1crypt_cost(hash);
    if (hash.front() == '_')
        return bsdicrypt_cost(hash);
    return cheap_crypt_cost(hash);
}

std::optional<Argon2Fields> parse_argon2(std::string_view encoded) {
    Argon2Fields fields;
    if (encoded.starts_with("$argon2id$")) {
        fields.method = HashMethod::argon2id;
        encoded.remove_prefix(10);
    } else if (encoded.starts_with("$argon2i$")) {
        fields.method = HashMethod::argon2i;
        encoded.remove_prefix(9);
    } else {
        return std::nullopt;
    }
    if (encoded.starts_with("v=")) {
        const auto version = argon2_number(encoded, "v=");
        if (!version || !encoded.starts_with('$'))
            return std::nullopt;
        fields.version = *version;
        encoded.remove_prefix(1);
    }
    const auto memory = argon2_number(encoded, "m=");
    const auto passes = memory ? argon2_number(encoded, ",t=") : std::nullopt;
    const auto lanes = passes ? argon2_number(encoded, ",p=") : std::nullopt;
    if (!lanes || !encoded.starts_with('$'))
        return std::nullopt;
    encoded.remove_prefix(1);
    const auto salt_end = encoded.find('$');
    if (salt_end == std::string_view::npos)
        return std::nullopt;
    fields.memory_kib = *memory;
    fields.passes = *passes;
    fields.lanes = *lanes;
    fields.salt = encoded.substr(0, salt_end);
    fields.hash = encoded.substr(salt_end + 1);
    // libargon2's validate_inputs: versions 0x10 and 0x13, a salt of 8 bytes or more, a
    // hash of 4 or more, at least one pass, 1 to 2^24-1 lanes, at least 8 KiB per lane.
    const auto salt_bytes = base64_bytes(fields.salt);
    const auto hash_bytes = base64_bytes(fields.hash);
    if ((fields.version != 0x10 && fields.version != 0x13) || !salt_bytes || *salt_bytes < 8 ||
        !hash_bytes || *hash_bytes < 4 || fields.passes < 1 || fields.lanes < 1 ||
        fields.lanes > 0xFF'FFFF || uint64_t{fields.memory_kib} < 8 * uint64_t{fields.lanes})
        return std::nullopt;
    return fields;
}

std::optional<HashCost> argon2_cost(std::string_view encoded) {
    const auto fields = parse_argon2(encoded);
    if (!fields)
        return std::nullopt;
    HashCost cost;
    cost.method = fields->method;
    cost.memory_kib = fields->memory_kib;
    cost.time_cost = fields->passes;
    std::string parameters(1, '$');
    parameters.append(to_string(fields->method)).append("$v=");
    parameters.append(std::to_string(fields->version)).append("$m=");
    parameters.append(std::to_string(fields->memory_kib)).append(",t=");
    parameters.append(std::to_string(fields->passes)).append(",p=");
    parameters.append(std::to_string(fields->lanes)).append(1, '$');
    cost.parameters = std::move(parameters);
    cost.salt_length = *base64_bytes(fields->salt);
    cost.hash_length = *base64_bytes(fields->hash);
    return cost;
}

std::optional<Pbkdf2Fields> parse_pbkdf2(std::string_view data) {
    constexpr std::string_view prefix = "$1$";
    if (!data.starts_with(prefix))
        return std::nullopt;
    data.remove_prefix(prefix.size());
    const auto salt_end = data.find('$');
    if (salt_end == 0 || salt_end == std::string_view::npos)
        return std::nullopt;
    const auto rounds_end = data.find('$', salt_end + 1);
    if (rounds_end == std::string_view::npos)
        return std::nullopt;
    const auto rounds =
        decimal(data.substr(salt_end + 1, rounds_end - salt_end - 1), true, 0xFFFF'FFFFULL);
    if (!rounds || *rounds == 0)
        return std::nullopt;
    return Pbkdf2Fields{data.substr(0, salt_end), static_cast<uint32_t>(*rounds),
                        data.substr(rounds_end + 1)};
}

std::optional<HashCost> pbkdf2_cost(std::string_view data) {
    const auto fields = parse_pbkdf2(data);
    if (!fields)
        return std::nullopt;
    HashCost cost;
    cost.method = HashMethod::pbkdf2;
    cost.rounds = fields->rounds;
    cost.parameters = std::string("$1$$").append(std::to_string(fields->rounds)).append(1, '$');
    cost.salt_length = fields->salt.size();
    return cost;
}

std::optional<HashCost> scram_cost(HashMethod method, std::string_view data) {
    const auto comma = data.find(',');
    const auto second = comma == std::string_view::npos ? comma : data.find(',', comma + 1);
    if (second == std::string_view::npos)
        return std::nullopt;
    std::uint64_t iterations = 0;
    const auto count = data.substr(0, comma);
    const auto [end, status] =
        std::from_chars(count.data(), count.data() + count.size(), iterations);
    if (status != std::errc{} || end != count.data() + count.size() || iterations == 0)
        return std::nullopt;
    HashCost cost;
    cost.method = method;
    cost.rounds = iterations;
    cost.parameters = std::to_string(iterations);
    cost.salt_length = second - comma - 1;
    return cost;
}

} // namespace backends::passwords

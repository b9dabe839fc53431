// A readable view of the daemon's OpenMetrics text, for `saslauthd-stats`.
#pragma once

#include <string>
#include <string_view>

namespace client {

// "requests: 120 (ok 100, bad_password 15, ...)\nrejected: 0\n..." from the metrics text.
std::string readable_metrics(std::string_view openmetrics);

} // namespace client

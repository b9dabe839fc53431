// saslauthd-stats [HOST:PORT]: the daemon's metrics (metrics_listen) in readable form.
#include "client/metrics_view.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
    const std::string address = argc > 1 ? argv[1] : "127.0.0.1:9101";
    const auto colon = address.rfind(':');
    if (argc > 2 || colon == std::string::npos) {
        std::cerr << "usage: saslauthd-stats [HOST:PORT]   (the daemon's metrics_listen)\n";
        return 1;
    }
    try {
        Poco::Net::HTTPClientSession session(
            address.substr(0, colon),
            static_cast<Poco::UInt16>(std::stoi(address.substr(colon + 1))));
        session.setTimeout(Poco::Timespan(5, 0));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/metrics");
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& body = session.receiveResponse(response);
        std::ostringstream text;
        Poco::StreamCopier::copyStream(body, text);
        if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
            std::cerr << "saslauthd-stats: " << address << " answered " << response.getStatus()
                      << '\n';
            return 1;
        }
        std::cout << client::readable_metrics(text.str());
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "saslauthd-stats: " << address << ": " << error.what() << '\n';
        return 1;
    }
}

// Builds the ABI's oxios_request view over a parsed HTTP request (plain, from
// cpp-httplib) or over a held connection's kept request head. The view points
// into the source objects and this one: keep all three alive during the call.
#pragma once

#include "http/connection_hub.hpp"
#include "kernel.hpp"
#include "oxios_plugin.h"
#include "plugins/client_address.hpp"
#include "plugins/route_table.hpp"

#include <httplib.h>

#include <string>
#include <vector>

namespace oxios::plugins {

class RequestView {
public:
    // remote_addr is the client's address as `clients` finds it.
    RequestView(const httplib::Request& req, const Params& params, oxios_route_kind kind, const ClientAddress& clients);
    RequestView(const http::HeldRequest& req, const Params& params, oxios_route_kind kind,
                const ClientAddress& clients);
    RequestView(const RequestView&) = delete;
    RequestView& operator=(const RequestView&) = delete;

    const oxios_request* get() const { return &req_; }

private:
    void finish(const Params& params, oxios_route_kind kind);

    oxios_request req_{};
    std::string client_addr_;
    std::vector<oxios_pair> headers_, query_, params_;
    std::vector<std::pair<std::string, std::string>> decoded_query_;  // held requests only
};

inline oxios_str to_str(const std::string& s) { return {s.data(), s.size()}; }
inline oxios_str to_str(std::string_view s) { return {s.data(), s.size()}; }

// The ABI's oxios_delivery view over a kernel delivery (which must outlive it).
class DeliveryView {
public:
    explicit DeliveryView(const kernel::Delivery& k);
    DeliveryView(const DeliveryView&) = delete;
    DeliveryView& operator=(const DeliveryView&) = delete;

    oxios_chat_message message{};
    oxios_delivery delivery{};
};

}  // namespace oxios::plugins

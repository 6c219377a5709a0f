#include "plugins/request_view.hpp"

#include <strings.h>

namespace oxios::plugins {
namespace {

std::string_view query_of(const std::string& target) {
    auto q = target.find('?');
    return q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
}

}  // namespace

RequestView::RequestView(const httplib::Request& req, const Params& params, oxios_route_kind kind,
                         const ClientAddress& clients) {
    req_.method = to_str(req.method);
    req_.path = to_str(req.path);
    req_.raw_target = to_str(req.target);
    req_.query = to_str(query_of(req.target));
    req_.body = to_str(req.body);
    std::string forwarded;
    for (auto [it, end] = req.headers.equal_range("X-Forwarded-For"); it != end; ++it)
        forwarded += (forwarded.empty() ? "" : ",") + it->second;
    client_addr_ = clients.of(req.remote_addr, forwarded);
    req_.remote_addr = to_str(client_addr_);
    req_.remote_port = static_cast<uint16_t>(req.remote_port);
    headers_.reserve(req.headers.size());
    for (auto& [k, v] : req.headers) headers_.push_back({to_str(k), to_str(v)});
    query_.reserve(req.params.size());
    for (auto& [k, v] : req.params) query_.push_back({to_str(k), to_str(v)});
    finish(params, kind);
}

RequestView::RequestView(const http::HeldRequest& req, const Params& params, oxios_route_kind kind,
                         const ClientAddress& clients) {
    req_.method = to_str(req.method);
    req_.path = to_str(req.path);
    req_.raw_target = to_str(req.target);
    req_.query = to_str(req.query);
    std::string forwarded;
    for (auto& [k, v] : req.headers)
        if (strcasecmp(k.c_str(), "X-Forwarded-For") == 0) forwarded += (forwarded.empty() ? "" : ",") + v;
    client_addr_ = clients.of(req.remote_addr, forwarded);
    req_.remote_addr = to_str(client_addr_);
    req_.remote_port = req.remote_port;
    for (auto& [k, v] : req.headers) headers_.push_back({to_str(k), to_str(v)});
    httplib::Params parsed;
    httplib::detail::parse_query_text(req.query, parsed);
    decoded_query_.assign(parsed.begin(), parsed.end());
    for (auto& [k, v] : decoded_query_) query_.push_back({to_str(k), to_str(v)});
    finish(params, kind);
}

void RequestView::finish(const Params& params, oxios_route_kind kind) {
    for (auto& [k, v] : params) params_.push_back({to_str(k), to_str(v)});
    req_.size = sizeof(oxios_request);
    req_.route_kind = static_cast<uint32_t>(kind);
    req_.headers = headers_.data();
    req_.header_count = static_cast<uint32_t>(headers_.size());
    req_.query_params = query_.data();
    req_.query_count = static_cast<uint32_t>(query_.size());
    req_.params = params_.data();
    req_.param_count = static_cast<uint32_t>(params_.size());
}

DeliveryView::DeliveryView(const kernel::Delivery& k) {
    const auto& m = *k.message;
    message.size = sizeof message;
    message.id = to_str(m.id);
    message.content = to_str(m.content);
    message.user_id = to_str(m.user_id);
    message.session_id = to_str(m.session_id);
    message.space_id = to_str(m.space_id);
    message.connection = m.connection;
    delivery.size = sizeof delivery;
    delivery.kind = static_cast<uint32_t>(k.kind);
    delivery.message = &message;
    delivery.content = to_str(k.content);
    delivery.session_id = to_str(k.session_id);
    delivery.space_id = to_str(k.space_id);
    delivery.phase = to_str(k.phase);
    delivery.seed_id = to_str(k.seed_id);
    delivery.space_tag = to_str(k.space_tag);
    delivery.evaluation_passed = k.evaluation_passed;
    delivery.error = k.error;
    delivery.duration_ms = k.duration_ms;
    delivery.prompt_tokens = k.prompt_tokens;
    delivery.completion_tokens = k.completion_tokens;
    delivery.agent_id = to_str(k.agent_id);
}

}  // namespace oxios::plugins

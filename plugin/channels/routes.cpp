// Route registration of the held-connection channels: GET /api/chat/stream
// (WebSocket) and GET /api/events (SSE). Admission runs the same middleware
// as every protected route (dispatch.cpp: Origin check, auth with Bearer or
// ?token=, one rate-limit token); the handler itself only admits.
#include "context.hpp"
#include "router.hpp"

#include <array>

namespace web {
namespace {

void admit_websocket(Ctx&) {}  // returning without a response admits (101)

void admit_events(Ctx& ctx) {
    ctx.add_header("Cache-Control", "no-cache");  // on the 200 of the stream
}

constexpr std::array kRoutes{
    RouteDef{"GET", "/api/chat/stream", admit_websocket, Access::Protected, OXIOS_ROUTE_WEBSOCKET},
    RouteDef{"GET", "/api/events", admit_events, Access::Protected, OXIOS_ROUTE_SSE},
};

}  // namespace

std::span<const RouteDef> channel_routes() { return kRoutes; }

}  // namespace web

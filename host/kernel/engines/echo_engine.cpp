#include "engines/echo_engine.hpp"

namespace oxios::kernel {

EngineReply EchoEngine::run(const EngineRequest& request) {
    EngineReply reply;
    if (request.is_cancelled()) {
        reply.status = OXIOS_E_UPSTREAM;
        reply.error = "cancelled";
        return reply;
    }
    reply.content = "echo: " + request.message->content;
    reply.model = "echo";
    reply.phase = "execute";
    reply.evaluation_passed = 1;
    return reply;
}

}  // namespace oxios::kernel

// The embedded default engine: deterministic, no network.
// Reply "echo: <content>", phase "execute", evaluation passed. No token
// deliveries: the REPLY carries the whole text.
#pragma once

#include "engines/engine.hpp"

namespace oxios::kernel {

class EchoEngine final : public Engine {
public:
    std::string name() const override { return "echo"; }
    EngineReply run(const EngineRequest& request) override;
};

}  // namespace oxios::kernel

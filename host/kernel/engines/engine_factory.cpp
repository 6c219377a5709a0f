#include "config/config.hpp"
#include "engines/engine.hpp"
#include "engines/openai_hub.hpp"

namespace oxios::kernel {

std::shared_ptr<Engine> make_engine(const Config& config) {
    return std::make_shared<EngineHub>(config, EngineServices{});
}

}  // namespace oxios::kernel

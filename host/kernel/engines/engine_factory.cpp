#include "config.hpp"
#include "engines/echo_engine.hpp"
#include "engines/engine.hpp"

#include <cstdio>

namespace oxios::kernel {

std::shared_ptr<Engine> make_engine(const Config& config) {
    const std::string model = config.get_string("engine.default_model");
    if (!model.empty() && model != "echo")
        std::fprintf(stderr, "oxios: engine.default_model \"%s\": no such engine in this build, using echo\n",
                     model.c_str());
    return std::make_shared<EchoEngine>();
}

}  // namespace oxios::kernel

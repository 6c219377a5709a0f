// Checks that a file is a complete ELF shared object of this machine's class
// before dlopen sees it: the dynamic loader maps segments without checking the
// file's length, so a truncated library crashes the process (SIGBUS) instead
// of failing to load.
#pragma once

#include <string>

namespace oxios::plugins {

// "" when the file looks loadable, else why not.
std::string check_elf(const std::string& path);

}  // namespace oxios::plugins

// The PostgreSQL schema of the state store, created and migrated by the host
// at start: numbered, forward-only migrations, each in one transaction, run
// under an advisory lock so that hosts starting together apply each once.
#pragma once

#include "store/pg_connection.hpp"

namespace oxios::kernel::pg {

// Brings the database to the latest version; returns how many migrations
// this call applied. Throws Error.
int migrate(Connection& conn);

// The version the code expects (the number of the last migration).
int latest_schema_version();

}  // namespace oxios::kernel::pg

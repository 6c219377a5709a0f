// The JSON of cron jobs: a Job as the routes answer it, and the state
// document .oxios/cron.json = {"version":1,"jobs":[Job less "running"]}.
#pragma once

#include "services/cron_service.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel::services::cron_store {

inline constexpr std::string_view kCollection = ".oxios";
inline constexpr std::string_view kKey = "cron";

// Writes a Job object; `running` is left out when nullopt (the state file).
void write_job(json::Builder& out, const CronJob& job, std::optional<bool> running);

std::string document(const std::vector<const CronJob*>& jobs);

// The jobs of a state document; a job missing its id, name, schedule or
// command is dropped with a warning on stderr.
std::vector<CronJob> parse_document(std::string_view text);

// The first `max_chars` UTF-8 characters of `text`.
std::string first_chars(std::string_view text, size_t max_chars);

}  // namespace oxios::kernel::services::cron_store

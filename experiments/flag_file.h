// Flags from JSON: `--config FILE.json` (any flag of a subcommand, flags on the command line
// win) and a resumed run's recorded flags. Values go through the option's own CLI11 parsing and
// validators, so a bad value in a file is refused exactly as on the command line, naming the
// file and the key.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

namespace rethink::cli {

// The long names (without "--") of the options given on `app`'s command line.
std::set<std::string> given_flags(const CLI::App& app);

// Reads a flag file: a JSON object of flag names (with or without "--"; '-' or '_') to values
// (string, number, boolean, or an array for a repeated flag). A run's config.json is accepted
// too: its "flags" object is used, so `--config runs/x/config.json` repeats run x.
// UserError naming the file when it is unreadable or not such an object.
nlohmann::json read_flag_file(const std::filesystem::path& file);

// "lr_decay" / "--lr-decay" -> "lr-decay".
std::string flag_key(std::string_view key);

// Sets every flag of `values` (keys as flag_key normalizes them) whose name is not in `skip`,
// as if it had been given on the command line. A key that is not an option of `app`, one in
// `refused`, or a value its option rejects is a UserError "<source>: '<key>': <why>".
void apply_flag_values(CLI::App& app, const nlohmann::json& values, std::string_view source,
                       const std::set<std::string>& skip,
                       const std::set<std::string>& refused = {"help", "config", "resume"});

}  // namespace rethink::cli

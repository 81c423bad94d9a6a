#include "experiments/flag_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "kernels/check.h"

namespace rethink::cli {
namespace {

std::string value_text(const nlohmann::json& v, std::string_view source, const std::string& key) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  throw UserError(fmt::format("{}: '{}': the value {} is not a string, number or boolean", source,
                              key, v.dump()));
}

}  // namespace

std::set<std::string> given_flags(const CLI::App& app) {
  std::set<std::string> out;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() > 0 && !opt->get_lnames().empty()) out.insert(opt->get_lnames().front());
  }
  return out;
}

std::string flag_key(std::string_view key) {
  std::string k(key);
  while (!k.empty() && k.front() == '-') k.erase(k.begin());
  std::replace(k.begin(), k.end(), '_', '-');
  return k;
}

nlohmann::json read_flag_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    throw UserError(
        fmt::format("--config {}: cannot open it ({})", file.string(), std::strerror(errno)));
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw UserError(fmt::format("--config {}: not valid JSON ({})", file.string(), e.what()));
  }
  if (j.is_object() && j.contains("flags") && j.contains("command")) j = j["flags"];
  if (!j.is_object()) {
    throw UserError(
        fmt::format("--config {}: expected a JSON object of flags, e.g. {{\"model\": \"mlp1x512\", "
                    "\"epochs\": 20}}",
                    file.string()));
  }
  return j;
}

void apply_flag_values(CLI::App& app, const nlohmann::json& values, std::string_view source,
                       const std::set<std::string>& skip, const std::set<std::string>& refused) {
  for (const auto& [raw_key, value] : values.items()) {
    const std::string key = flag_key(raw_key);
    if (skip.contains(key) || value.is_null()) continue;
    CLI::Option* opt = app.get_option_no_throw("--" + key);
    if (opt == nullptr) {
      throw UserError(
          fmt::format("{}: '{}' is not a flag of rethink {}; run 'rethink {} --help' "
                      "for the flags",
                      source, raw_key, app.get_name(), app.get_name()));
    }
    if (refused.contains(key)) {
      throw UserError(fmt::format("{}: '{}' cannot be set from a file", source, raw_key));
    }
    std::vector<std::string> texts;
    if (value.is_array()) {
      for (const nlohmann::json& v : value) texts.push_back(value_text(v, source, raw_key));
    } else {
      texts.push_back(value_text(value, source, raw_key));
    }
    opt->clear();
    try {
      for (const std::string& t : texts) {
        opt->add_result(opt->get_expected_min() == 0 ? opt->get_flag_value(key, t) : t);
      }
      opt->run_callback();
    } catch (const CLI::ParseError& e) {
      throw UserError(fmt::format("{}: '{}': {}", source, raw_key, e.what()));
    }
  }
}

}  // namespace rethink::cli

// Fuzzes the TOML config loader: any bytes must give a DesiredState or errors, never a crash,
// a hang or an exception. The input is split into files at lines "--- FILE NAME": the first
// part is main.toml, so policy .json files and multi-file merges are reached too.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/state/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  coffer::state::ConfigTree tree;
  std::string name = "main.toml";
  constexpr std::string_view kMarker = "\n--- ";
  for (;;) {
    std::size_t at = input.find(kMarker);
    tree.files[name] = std::string(input.substr(0, at));
    if (at == std::string_view::npos) break;
    input.remove_prefix(at + kMarker.size());
    std::size_t eol = input.find('\n');
    name = std::string(input.substr(0, eol));
    if (eol == std::string_view::npos) break;
    input.remove_prefix(eol + 1);
  }
  coffer::state::ConfigLoad load = coffer::state::LoadConfig(tree);
  if (load.ok()) (void)coffer::state::HasAdminPrincipal(load.state);
  for (const coffer::state::ConfigError& e : load.errors) (void)e.ToString();
  return 0;
}

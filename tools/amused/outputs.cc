#include "outputs.h"

#include <nlohmann/json.hpp>

#include <fstream>

namespace amused::cli {

namespace fs = std::filesystem;

std::vector<fs::path> numbered_paths(const fs::path &output, int count) {
  if (count == 1) return {output};
  std::vector<fs::path> paths;
  for (int i = 0; i < count; ++i) {
    fs::path p = output;
    p.replace_filename(output.stem().string() + "-" + std::to_string(i) +
                       output.extension().string());
    paths.push_back(p);
  }
  return paths;
}

void check_output_folder(const fs::path &file, const std::string &flag) {
  const fs::path folder = file.parent_path();
  if (folder.empty()) return;  // the current directory
  std::error_code ec;
  if (!fs::exists(folder, ec))
    throw Error(flag + " " + file.string() + ": folder '" + folder.string() + "' does not exist");
  if (!fs::is_directory(folder, ec))
    throw Error(flag + " " + file.string() + ": '" + folder.string() + "' is not a folder");
}

void write_tokens_json(const fs::path &path, const std::vector<TokenGrid> &grids, bool batch) {
  auto grid_json = [](const TokenGrid &g) {
    nlohmann::json rows = nlohmann::json::array();
    for (int r = 0; r < g.rows; ++r)
      rows.push_back(std::vector<int64_t>(g.ids.begin() + static_cast<ptrdiff_t>(r) * g.cols,
                                          g.ids.begin() + static_cast<ptrdiff_t>(r + 1) * g.cols));
    return rows;
  };
  nlohmann::json out;
  if (batch) {
    out = nlohmann::json::array();
    for (const auto &g : grids) out.push_back(grid_json(g));
  } else {
    if (grids.size() != 1) throw Error(path.string() + ": expected one token grid");
    out = grid_json(grids.front());
  }
  std::ofstream file(path);
  if (!file) throw Error(path.string() + ": cannot open for writing");
  file << out.dump() << "\n";
  if (!file.flush()) throw Error(path.string() + ": write failed");
}

}  // namespace amused::cli

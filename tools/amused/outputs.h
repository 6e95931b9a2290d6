// Where the image command writes, and the token-grid JSON it writes there.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "amused.h"

namespace amused::cli {

// The files for `count` images written to `output`: `output` itself for one image, else
// OUT-0.png, OUT-1.png, ... (the index goes before the extension).
std::vector<std::filesystem::path> numbered_paths(const std::filesystem::path &output, int count);

// Fails early, before minutes of generation, when `file` cannot be created because its
// folder does not exist (or is not a folder). Throws amused::Error naming `flag`.
void check_output_folder(const std::filesystem::path &file, const std::string &flag);

// Writes the token grids as JSON: [rows][cols] for a single grid when `batch` is false,
// else [N][rows][cols]. Throws amused::Error naming the path when it cannot be written.
void write_tokens_json(const std::filesystem::path &path, const std::vector<TokenGrid> &grids,
                       bool batch);

}  // namespace amused::cli

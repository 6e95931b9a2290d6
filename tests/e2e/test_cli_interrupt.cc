// Renders that survive interruption: `amused video` and `amused stylize` stopped by SIGINT
// or SIGTERM finish a playable file with the frames made so far and exit with 128 + the
// signal; killed outright they leave no file under the output's name; past a file-size limit
// they fail with the output's name and leave nothing behind.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_run.h"
#include "decoded_video.h"

namespace amused::e2e {
namespace {

namespace fs = std::filesystem;

const std::string kTiny = std::string(AMUSED_TESTS_DATA_DIR) + "/amused-tiny";

struct Child {
  pid_t pid = -1;
  std::string err_file;

  // Waits for the exit; returns the exit status, or -signal when a signal ended it.
  int wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  std::string err() const {
    std::ifstream in(err_file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

// Starts the CLI with `args`, its stderr into a file; `file_limit` bytes, when set, limit the
// size of the files it writes (RLIMIT_FSIZE).
Child start(const std::vector<std::string> &args, const std::string &err_file,
            rlim_t file_limit = RLIM_INFINITY) {
  std::vector<std::string> storage{cli_path()};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  Child child;
  child.err_file = err_file;
  child.pid = fork();
  if (child.pid == 0) {
    if (!freopen(err_file.c_str(), "w", stderr)) _exit(127);
    if (!freopen("/dev/null", "w", stdout)) _exit(127);
    if (file_limit != RLIM_INFINITY) {
      const rlimit limit{file_limit, file_limit};
      setrlimit(RLIMIT_FSIZE, &limit);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return child;
}

// Waits until the render has written at least `bytes` into its partial file.
void wait_for_partial(const fs::path &output, uintmax_t bytes) {
  const fs::path partial = output.parent_path() / ("." + output.filename().string() + ".part");
  // Up to 3 minutes: under a sanitizer on a loaded machine the first frames are slow.
  for (int i = 0; i < 3600; ++i) {
    std::error_code ec;
    if (fs::exists(partial, ec) && fs::file_size(partial, ec) >= bytes) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "the render never wrote " << bytes << " bytes to " << partial;
}

class Interrupt : public ::testing::Test {
 protected:
  TempDir tmp_;
  std::vector<std::string> video_args(const std::string &out) const {
    return {"video",
            "--model",
            kTiny,
            "--prompt",
            "a red car on a road",
            "--frames",
            "3000",
            "--steps",
            "4",
            "--threads",
            "1",
            "--camera-motion",
            "pan-right",
            "--output",
            out};
  }
};

TEST_F(Interrupt, CtrlCFinishesThePlayableFileAndSaysSo) {
  const std::string out = tmp_ / "promo.mp4";
  Child child = start(video_args(out), tmp_ / "err.txt");
  wait_for_partial(out, 2000);
  kill(child.pid, SIGINT);
  EXPECT_EQ(child.wait(), 128 + SIGINT) << child.err();
  const std::string err = child.err();
  EXPECT_NE(err.find("interrupted by SIGINT"), std::string::npos) << err;
  ASSERT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(tmp_ / ".promo.mp4.part"));
  const auto d = decode_video(out);
  ASSERT_GT(d.frames.size(), 0u);
  EXPECT_LT(d.frames.size(), 3000u);
  // The message names the frames the file holds, and the file lasts that long at 8 fps.
  EXPECT_NE(err.find("holds the " + std::to_string(d.frames.size()) + " frames"), std::string::npos)
      << err;
  ASSERT_TRUE(d.duration.has_value());
  EXPECT_NEAR(*d.duration, d.frames.size() / 8.0, 1.0 / 8.0 + 1e-3);
  expect_real_content(d.frames, true);
}

TEST_F(Interrupt, SigtermFinishesARestyle) {
  const std::string out = tmp_ / "restyled.mov";
  Child child = start({"stylize", "--model", kTiny, "--input",
                       std::string(AMUSED_TESTS_DATA_DIR) + "/footage/birds.mp4", "--prompt",
                       "an oil painting", "--steps", "20", "--threads", "1", "--output", out},
                      tmp_ / "err.txt");
  wait_for_partial(out, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(child.pid, SIGTERM);
  const int status = child.wait();
  const std::string err = child.err();
  if (status == 0) GTEST_SKIP() << "the restyle finished before the signal: " << err;
  EXPECT_EQ(status, 128 + SIGTERM) << err;
  EXPECT_NE(err.find("interrupted by SIGTERM"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(tmp_ / ".restyled.mov.part"));
  if (err.find("before the first frame") == std::string::npos) {
    const auto d = decode_video(out);
    EXPECT_GT(d.frames.size(), 0u);
  } else {
    EXPECT_FALSE(fs::exists(out));
  }
}

TEST_F(Interrupt, KillLeavesNoFileUnderTheOutputsName) {
  const std::string out = tmp_ / "promo.mp4";
  Child child = start(video_args(out), tmp_ / "err.txt");
  wait_for_partial(out, 2000);
  kill(child.pid, SIGKILL);
  EXPECT_EQ(child.wait(), -SIGKILL);
  EXPECT_FALSE(fs::exists(out)) << "a killed render left a file with the final name";
}

TEST_F(Interrupt, AFileSizeLimitIsAnErrorNamingTheOutput) {
  const std::string out = tmp_ / "promo.mp4";
  auto args = video_args(out);
  args[6] = "400";  // --frames
  Child child = start(args, tmp_ / "err.txt", 20 * 1024);
  EXPECT_EQ(child.wait(), 1);
  const std::string err = child.err();
  EXPECT_NE(err.find(out), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(tmp_ / ".promo.mp4.part")) << "the partial file was left behind";
}

// A folder nobody may write: a read-only folder for a normal user; root writes there anyway,
// so as root, sysfs's top folder, which refuses new files to everyone.
fs::path unwritable_folder(const fs::path &tmp) {
  const fs::path folder = tmp / "read-only";
  fs::create_directory(folder);
  fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec);
  return geteuid() == 0 ? fs::path("/sys") : folder;
}

TEST_F(Interrupt, AnUnwritableFolderIsAnErrorNamingTheOutput) {
  const fs::path folder = unwritable_folder(tmp_.path());
  const std::vector<std::vector<std::string>> commands = {
      {"video", "--model", kTiny, "--prompt", "a lake", "--frames", "2", "--output",
       folder / "promo.mp4"},
      {"stylize", "--model", kTiny, "--input",
       std::string(AMUSED_TESTS_DATA_DIR) + "/footage/birds.mp4", "--prompt", "an oil painting",
       "--output", folder / "restyled.mov"},
  };
  for (const auto &args : commands) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(args.back()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cannot open for writing"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(args.back()));
  }
  fs::permissions(tmp_.path() / "read-only", fs::perms::owner_all);
}

}  // namespace
}  // namespace amused::e2e

// The recycling CPU allocator (engine/util/recycling_allocator.h). This test runs with
// AMUSED_CPU_CACHE_MB=8 (tests/engine/meson.build), so its cap is small enough to reach.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>
#include <thread>
#include <vector>

#include "util/recycling_allocator.h"

namespace {

constexpr size_t kMiB = size_t{1} << 20;

class Recycling : public ::testing::Test {
 protected:
  void SetUp() override {
    amused::configure_runtime();
    amused::release_recycled_cpu_memory();
  }
};

TEST(RecyclingSizeClass, RoundsUpByAtMostAnEighth) {
  EXPECT_EQ(amused::recycling_size_class(kMiB), kMiB);
  EXPECT_EQ(amused::recycling_size_class(kMiB + 1), kMiB + kMiB / 8);
  EXPECT_EQ(amused::recycling_size_class(300 * 1000), 327680u);  // 256 KiB + 32 KiB * 2
  for (size_t bytes = 256 * 1024; bytes < 64 * kMiB; bytes = bytes * 9 / 7 + 13) {
    const size_t size = amused::recycling_size_class(bytes);
    EXPECT_GE(size, bytes);
    EXPECT_LE(size, bytes + bytes / 8) << bytes;
    EXPECT_EQ(amused::recycling_size_class(size), size) << bytes;
  }
}

TEST(RecyclingCap, AQuarterOfMemoryUnlessTheEnvironmentSays) {
  EXPECT_EQ(amused::recycling_cap_bytes(nullptr, 16 * 1024 * kMiB), 4 * 1024 * kMiB);
  EXPECT_EQ(amused::recycling_cap_bytes("8", 16 * 1024 * kMiB), 8 * kMiB);
  EXPECT_EQ(amused::recycling_cap_bytes("0", 16 * 1024 * kMiB), 0u);
  for (const char *bad : {"abc", "-1", "12x", ""}) {
    try {
      amused::recycling_cap_bytes(bad, kMiB);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const amused::Error &e) {
      EXPECT_NE(std::string(e.what()).find("AMUSED_CPU_CACHE_MB=\"" + std::string(bad) + "\""),
                std::string::npos)
          << e.what();
    }
  }
}

TEST_F(Recycling, AFreedBlockServesTheNextTensorOfItsSizeClass) {
  const auto before = amused::recycling_stats();
  EXPECT_EQ(before.cap_bytes, 8 * kMiB);
  const void *first = nullptr;
  {
    auto t = torch::ones({int64_t(kMiB / 4) + 250}, torch::kFloat);
    first = t.data_ptr();
  }
  EXPECT_EQ(amused::recycling_stats().cached_bytes, kMiB + kMiB / 8);
  auto again = torch::zeros({int64_t(kMiB / 4) + 500}, torch::kFloat);  // the same class
  EXPECT_EQ(again.data_ptr(), first);
  EXPECT_EQ(again.sum().item<float>(), 0.0f);  // reused memory, still zeroed by torch
  const auto after = amused::recycling_stats();
  EXPECT_EQ(after.fresh, before.fresh + 1);
  EXPECT_EQ(after.reused, before.reused + 1);
  EXPECT_EQ(after.cached_bytes, 0u);
}

TEST_F(Recycling, LeavesSmallTensorsToMalloc) {
  const auto before = amused::recycling_stats();
  for (int i = 0; i < 100; ++i) torch::ones({1000}, torch::kFloat).sum();
  const auto after = amused::recycling_stats();
  EXPECT_EQ(after.fresh, before.fresh);
  EXPECT_EQ(after.reused, before.reused);
  EXPECT_EQ(after.cached_bytes, 0u);
}

TEST_F(Recycling, HoldsNoMoreThanItsCapAndGivesBackTheOldest) {
  std::set<const void *> newest;
  {
    auto oldest = torch::empty({int64_t(3 * kMiB)}, torch::kUInt8);
    auto middle = torch::empty({int64_t(3 * kMiB)}, torch::kUInt8);
    auto last = torch::empty({int64_t(3 * kMiB)}, torch::kUInt8);
    newest = {middle.data_ptr(), last.data_ptr()};
    oldest.reset();  // freed first, so evicted when the third would pass 8 MiB
  }
  EXPECT_EQ(amused::recycling_stats().cached_bytes, 6 * kMiB);
  auto a = torch::empty({int64_t(3 * kMiB)}, torch::kUInt8);
  auto b = torch::empty({int64_t(3 * kMiB)}, torch::kUInt8);
  EXPECT_EQ(std::set<const void *>({a.data_ptr(), b.data_ptr()}), newest);
  EXPECT_EQ(amused::recycling_stats().cached_bytes, 0u);
}

TEST_F(Recycling, ABlockLargerThanTheCapIsNotKeptAndEvictsNothing) {
  { auto kept = torch::empty({int64_t(2 * kMiB)}, torch::kUInt8); }
  { auto huge = torch::empty({int64_t(9 * kMiB)}, torch::kUInt8); }
  EXPECT_EQ(amused::recycling_stats().cached_bytes, 2 * kMiB);
}

TEST_F(Recycling, ThreadsShareItSafely) {
  std::vector<std::thread> threads;
  std::vector<double> sums(4);
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([k, &sums] {
      double total = 0;
      for (int i = 0; i < 300; ++i) {
        auto t = torch::full({int64_t(kMiB / 4) + 997 * ((i + k) % 5)}, float(k + 1));
        total += t.sum().item<double>() / double(t.numel());
      }
      sums[k] = total;
    });
  for (auto &t : threads) t.join();
  for (int k = 0; k < 4; ++k) EXPECT_DOUBLE_EQ(sums[k], 300.0 * (k + 1));
  const auto stats = amused::recycling_stats();
  EXPECT_LE(stats.cached_bytes, stats.cap_bytes);
  EXPECT_GT(stats.reused, 1000u);
}

TEST_F(Recycling, ReleaseReturnsEveryHeldBlock) {
  { auto t = torch::empty({int64_t(2 * kMiB)}, torch::kUInt8); }
  EXPECT_EQ(amused::recycling_stats().cached_bytes, 2 * kMiB);
  amused::release_recycled_cpu_memory();
  EXPECT_EQ(amused::recycling_stats().cached_bytes, 0u);
}

}  // namespace

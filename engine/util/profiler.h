// Where the time of a generation goes, component by component. Engine code marks its parts
// with ProfileScope; a Profiler on the calling thread sums their times, exclusive of the
// scopes nested in them, so that the parts add up to the whole. Without a Profiler a scope
// costs one thread-local read.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace amused {

class Profiler {
 public:
  struct Entry {
    std::string name;
    double seconds = 0;
    long calls = 0;
  };

  // Installs itself on the calling thread until destroyed (profilers do not nest).
  Profiler();
  ~Profiler();
  Profiler(const Profiler &) = delete;
  Profiler &operator=(const Profiler &) = delete;

  // Each part's time so far, in the order the parts first ran; time outside any scope is
  // the entry "other".
  std::vector<Entry> entries() const;
  void reset();

  // For ProfileScope.
  static Profiler *current();
  void enter(const char *name);
  void leave();

 private:
  using Clock = std::chrono::steady_clock;
  size_t index_of(const char *name);
  void charge(Clock::time_point now);

  std::vector<Entry> entries_;
  std::vector<size_t> stack_;  // indices into entries_; the top is being charged
  Clock::time_point since_;
};

class ProfileScope {
 public:
  explicit ProfileScope(const char *name) : profiler_(Profiler::current()) {
    if (profiler_) profiler_->enter(name);
  }
  ~ProfileScope() {
    if (profiler_) profiler_->leave();
  }
  ProfileScope(const ProfileScope &) = delete;
  ProfileScope &operator=(const ProfileScope &) = delete;

 private:
  Profiler *profiler_;
};

}  // namespace amused

#include "util/profiler.h"

#include <cstring>

namespace amused {

namespace {

Profiler *&installed() {
  thread_local Profiler *profiler = nullptr;
  return profiler;
}

}  // namespace

Profiler::Profiler() {
  installed() = this;
  reset();
}

Profiler::~Profiler() {
  if (installed() == this) installed() = nullptr;
}

Profiler *Profiler::current() { return installed(); }

void Profiler::reset() {
  entries_.clear();
  stack_.assign(1, index_of("other"));
  since_ = Clock::now();
}

size_t Profiler::index_of(const char *name) {
  for (size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].name == name) return i;
  entries_.push_back({name, 0.0, 0});
  return entries_.size() - 1;
}

void Profiler::charge(Clock::time_point now) {
  entries_[stack_.back()].seconds += std::chrono::duration<double>(now - since_).count();
  since_ = now;
}

void Profiler::enter(const char *name) {
  charge(Clock::now());
  const size_t i = index_of(name);
  ++entries_[i].calls;
  stack_.push_back(i);
}

void Profiler::leave() {
  charge(Clock::now());
  if (stack_.size() > 1) stack_.pop_back();
}

std::vector<Profiler::Entry> Profiler::entries() const {
  auto copy = entries_;
  copy[stack_.back()].seconds += std::chrono::duration<double>(Clock::now() - since_).count();
  return copy;
}

}  // namespace amused

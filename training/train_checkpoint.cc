#include "training/train_checkpoint.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <cstdio>
#include <utility>

#include "amused.h"

namespace amused::train {

namespace fs = std::filesystem;

void save_checkpoint(const fs::path &file, const CheckpointContents &contents,
                     const RunPosition &position) {
  torch::serialize::OutputArchive archive;
  for (const auto &[name, module] : contents.modules) {
    torch::serialize::OutputArchive sub;
    for (const auto &p : module->named_parameters(true)) sub.write(p.key(), p.value().detach());
    archive.write("module." + name, sub);
  }
  if (contents.optimizer) {
    torch::serialize::OutputArchive sub;
    contents.optimizer->save(sub);
    archive.write("optimizer", sub);
  }
  for (const auto &[name, tensor] : contents.tensors) archive.write("tensor." + name, *tensor);
  archive.write("step", torch::tensor(position.step, torch::kLong));
  archive.write("elapsed_seconds", torch::tensor(position.elapsed_seconds, torch::kDouble));
  if (!file.parent_path().empty()) fs::create_directories(file.parent_path());
  const fs::path tmp = file.string() + ".tmp";
  try {
    archive.save_to(tmp.string());
  } catch (const c10::Error &e) {
    throw Error(tmp.string() + ": cannot write checkpoint: " + e.what_without_backtrace());
  }
  fs::rename(tmp, file);
}

CheckpointedRun::CheckpointedRun(const std::string &name, fs::path file,
                                 CheckpointContents contents, bool resume)
    : file_(std::move(file)), contents_(std::move(contents)) {
  if (resume && fs::exists(file_)) {
    position_ = load_checkpoint(file_, contents_);
    std::fprintf(stderr, "%s: resumed from %s at step %lld\n", name.c_str(), file_.c_str(),
                 static_cast<long long>(position_.step));
  }
  elapsed_before_ = position_.elapsed_seconds;
  start_ = last_save_ = Clock::now();
}

double CheckpointedRun::elapsed() const {
  return elapsed_before_ + std::chrono::duration<double>(Clock::now() - start_).count();
}

void CheckpointedRun::save() {
  position_.elapsed_seconds = elapsed();
  save_checkpoint(file_, contents_, position_);
  last_save_ = Clock::now();
}

void CheckpointedRun::save_every(double interval_seconds) {
  if (std::chrono::duration<double>(Clock::now() - last_save_).count() >= interval_seconds) save();
}

RunPosition load_checkpoint(const fs::path &file, const CheckpointContents &contents) {
  if (!fs::exists(file)) throw Error(file.string() + ": no checkpoint to resume from");
  torch::NoGradGuard no_grad;
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file.string());
    for (const auto &[name, module] : contents.modules) {
      torch::serialize::InputArchive sub;
      if (!archive.try_read("module." + name, sub))
        throw Error(file.string() + ": checkpoint has no module '" + name + "'");
      for (auto &p : module->named_parameters(true)) {
        torch::Tensor t;
        if (!sub.try_read(p.key(), t))
          throw Error(file.string() + ": checkpoint lacks " + name + "." + p.key());
        if (t.sizes() != p.value().sizes())
          throw Error(file.string() + ": " + name + "." + p.key() + " has shape " +
                      c10::str(t.sizes()) + ", the model " + c10::str(p.value().sizes()));
        p.value().copy_(t);
      }
    }
    if (contents.optimizer) {
      torch::serialize::InputArchive sub;
      if (!archive.try_read("optimizer", sub))
        throw Error(file.string() + ": checkpoint has no optimizer state");
      contents.optimizer->load(sub);
    }
    for (const auto &[name, tensor] : contents.tensors) {
      torch::Tensor t;
      if (!archive.try_read("tensor." + name, t))
        throw Error(file.string() + ": checkpoint lacks '" + name + "'");
      *tensor = t;
    }
    RunPosition position;
    torch::Tensor step, elapsed;
    archive.read("step", step);
    archive.read("elapsed_seconds", elapsed);
    position.step = step.item<int64_t>();
    position.elapsed_seconds = elapsed.item<double>();
    return position;
  } catch (const c10::Error &e) {
    throw Error(file.string() + ": cannot read checkpoint: " + e.what_without_backtrace());
  }
}

void copy_parameters(const torch::nn::Module &source, torch::nn::Module &target) {
  torch::NoGradGuard no_grad;
  auto from = source.named_parameters(true);
  for (auto &p : target.named_parameters(true)) {
    const torch::Tensor *s = from.find(p.key());
    if (!s) throw Error("copy_parameters: source lacks " + p.key());
    if (s->sizes() != p.value().sizes())
      throw Error("copy_parameters: " + p.key() + " has shape " + c10::str(s->sizes()) +
                  " in the source, " + c10::str(p.value().sizes()) + " in the target");
    p.value().copy_(*s);
  }
}

}  // namespace amused::train

#include "training/replicas.h"

#include <exception>
#include <thread>

namespace amused::train {

namespace {

std::vector<torch::Tensor> parameters_of(text::ClipTextModelWithProjection &text,
                                         transformer::UVit2DModel &uvit) {
  std::vector<torch::Tensor> out = text->parameters(true);
  for (auto &p : uvit->parameters(true)) out.push_back(p);
  return out;
}

}  // namespace

Replicas::Replicas(text::ClipTextModelWithProjection master_text,
                   transformer::UVit2DModel master_uvit, int count)
    : master_text_(std::move(master_text)), master_uvit_(std::move(master_uvit)) {
  master_params_ = parameters_of(master_text_, master_uvit_);
  for (int k = 1; k < count; ++k) {
    Copy c{text::ClipTextModelWithProjection(master_text_->config()),
           transformer::UVit2DModel(master_uvit_->config()),
           {}};
    c.text->train(master_text_->is_training());
    c.uvit->train(master_uvit_->is_training());
    c.params = parameters_of(c.text, c.uvit);
    // Frozen parts stay frozen in every copy (no gradients to compute or average).
    for (size_t i = 0; i < c.params.size(); ++i)
      c.params[i].set_requires_grad(master_params_[i].requires_grad());
    copies_.push_back(std::move(c));
  }
  sync();
}

void Replicas::sync() {
  torch::NoGradGuard no_grad;
  for (auto &c : copies_)
    for (size_t i = 0; i < master_params_.size(); ++i) c.params[i].copy_(master_params_[i]);
}

double Replicas::backward(const LossFn &loss_of) {
  std::vector<double> losses(count(), 0.0);
  std::vector<std::exception_ptr> errors(count());
  auto run = [&](int k) {
    try {
      // Per thread (OpenMP's thread count is a per-thread setting).
      if (count() > 1) at::set_num_threads(1);
      auto loss = k == 0 ? loss_of(0, master_text_, master_uvit_)
                         : loss_of(k, copies_[k - 1].text, copies_[k - 1].uvit);
      loss.backward();
      losses[k] = loss.item<double>();
    } catch (...) {
      errors[k] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (int k = 1; k < count(); ++k) threads.emplace_back(run, k);
  run(0);
  for (auto &t : threads) t.join();
  for (auto &e : errors)
    if (e) std::rethrow_exception(e);

  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < master_params_.size() && !copies_.empty(); ++i) {
    torch::Tensor &grad = master_params_[i].mutable_grad();
    for (auto &c : copies_) {
      torch::Tensor &other = c.params[i].mutable_grad();
      if (!other.defined()) continue;
      if (grad.defined())
        grad.add_(other);
      else
        grad = other.clone();
      other.zero_();
    }
    if (grad.defined()) grad.div_(count());
  }
  double sum = 0;
  for (double l : losses) sum += l;
  return sum / count();
}

}  // namespace amused::train

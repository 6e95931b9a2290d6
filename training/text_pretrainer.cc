#include "training/text_pretrainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>

#include "training/caption_phrasing.h"
#include "training/scene_attributes.h"
#include "training/scene_random.h"
#include "training/train_progress.h"

namespace amused::train {

namespace {

using scenes::SceneAttributes;

// One attribute the heads predict: its name, value count and the value of a scene (-1 when
// the scene has none: the colour, place and size of a scene without a subject).
struct Attribute {
  const char *name;
  int64_t values;
  std::function<int64_t(const SceneAttributes &)> of;
};

std::vector<Attribute> attributes() {
  auto subject_only = [](auto field) {
    return [field](const SceneAttributes &a) -> int64_t {
      return a.has_subject() ? static_cast<int64_t>(field(a)) : -1;
    };
  };
  return {
      {"time", scenes::kNumTimes, [](const auto &a) { return int64_t(a.time); }},
      {"celestial", scenes::kNumCelestials, [](const auto &a) { return int64_t(a.celestial); }},
      {"clouds", 2, [](const auto &a) { return int64_t(a.clouds); }},
      {"backdrop", scenes::kNumBackdrops, [](const auto &a) { return int64_t(a.backdrop); }},
      {"ground", scenes::kNumGrounds, [](const auto &a) { return int64_t(a.ground); }},
      {"subject", scenes::kNumSubjectKinds, [](const auto &a) { return int64_t(a.subject); }},
      {"colour", scenes::kNumColours, subject_only([](const auto &a) { return a.colour; })},
      {"position", scenes::kNumPositions, subject_only([](const auto &a) { return a.position; })},
      {"size", scenes::kNumSizes, subject_only([](const auto &a) { return a.size; })},
  };
}

// Captions and labels of a set of combinations: ids [N,77], labels [N,attributes].
struct CaptionSet {
  torch::Tensor ids, labels;
};

CaptionSet caption_set(const std::vector<SceneAttributes> &combinations,
                       const std::vector<Attribute> &attrs, const text::ClipTokenizer &tokenizer,
                       int free_variants = 0, uint64_t seed = 0) {
  const auto n = static_cast<int64_t>(combinations.size()) * (1 + free_variants);
  const auto length = static_cast<int64_t>(tokenizer.encode_padded("").size());
  CaptionSet s{torch::empty({n, length}, torch::kLong),
               torch::empty({n, static_cast<int64_t>(attrs.size())}, torch::kLong)};
  auto ids = s.ids.accessor<int64_t, 2>();
  auto labels = s.labels.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const auto &a = combinations[static_cast<size_t>(i / (1 + free_variants))];
    const int64_t variant = i % (1 + free_variants);
    scenes::FreeCaption free;
    if (variant > 0)
      free = scenes::free_caption(a, scenes::splitmix64(seed * 7919ull + uint64_t(i)));
    const auto caption = tokenizer.encode_padded(variant > 0 ? free.text : a.to_caption());
    for (int64_t j = 0; j < length; ++j) ids[i][j] = caption[j];
    for (size_t k = 0; k < attrs.size(); ++k)
      labels[i][k] = free.omits(attrs[k].name) ? -1 : attrs[k].of(a);
  }
  return s;
}

struct HeadsImpl : torch::nn::Module {
  HeadsImpl(int64_t width, const std::vector<Attribute> &attrs) {
    for (const auto &a : attrs)
      heads.push_back(register_module(a.name, torch::nn::Linear(width, a.values)));
  }
  std::vector<torch::nn::Linear> heads;
};
TORCH_MODULE(Heads);

// Sum over attributes of the cross-entropy of each head (labels -1 are left out); with
// `correct` given, adds each head's count of right answers [attributes] to it.
torch::Tensor heads_loss(Heads &heads, const torch::Tensor &pooled, const torch::Tensor &labels,
                         torch::Tensor *correct = nullptr) {
  namespace F = torch::nn::functional;
  auto loss = torch::zeros({}, pooled.options());
  for (size_t k = 0; k < heads->heads.size(); ++k) {
    auto logits = heads->heads[k]->forward(pooled);
    auto y = labels.select(1, static_cast<int64_t>(k));
    // Mean over the examples that have the attribute (none may: a batch without subjects).
    auto known = y.ge(0).to(logits.scalar_type());
    auto per_example = F::cross_entropy(logits, y.clamp_min(0),
                                        F::CrossEntropyFuncOptions().reduction(torch::kNone));
    loss = loss + (per_example * known).sum() / known.sum().clamp_min(1);
    if (correct) {
      auto right = logits.argmax(1).eq(y).logical_and(y.ge(0));
      (*correct)[k] += right.sum().item<int64_t>();
    }
  }
  return loss;
}

}  // namespace

TextPretrainResult pretrain_text_encoder(text::ClipTextModelWithProjection &text_encoder,
                                         const text::ClipTokenizer &tokenizer,
                                         const TextPretrainOptions &o) {
  using Clock = std::chrono::steady_clock;
  const auto attrs = attributes();
  std::vector<SceneAttributes> train, heldout;
  for (const auto &a : scenes::all_combinations())
    (scenes::is_heldout(a) ? heldout : train).push_back(a);
  const auto train_set = caption_set(train, attrs, tokenizer, o.free_captions > 0 ? 3 : 0, o.seed);
  const auto heldout_set = caption_set(heldout, attrs, tokenizer);

  torch::manual_seed(o.seed + 11);
  Heads heads(text_encoder->config().projection_dim, attrs);
  std::vector<torch::Tensor> params = text_encoder->parameters(true);
  for (auto &p : heads->parameters(true)) params.push_back(p);
  torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(o.lr.peak).weight_decay(0.0));

  text_encoder->train();
  TrainProgress progress("text", 10.0, o.quiet ? nullptr : stderr);
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  int64_t step = 0;
  double smoothed = std::nan("");
  while (!o.budget.done(step, elapsed())) {
    const double lr = o.lr.at(step, o.budget.fraction(step, elapsed()));
    set_learning_rate<torch::optim::AdamWOptions>(optimizer, lr);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed * 1000003ull + step + 7);
    auto pick = torch::randint(train_set.ids.size(0), {o.batch}, gen, torch::kLong);
    optimizer.zero_grad();
    auto pooled = text_encoder->forward(train_set.ids.index_select(0, pick)).text_embeds;
    auto loss = heads_loss(heads, pooled, train_set.labels.index_select(0, pick));
    loss.backward();
    optimizer.step();
    ++step;
    const double l = loss.item<double>();
    smooth(smoothed, l, 0.95);
    char metrics[48];
    std::snprintf(metrics, sizeof metrics, "loss %.4f lr %.1e", smoothed, lr);
    progress.update(step, o.budget.fraction(step, elapsed()), elapsed(), metrics);
  }
  progress.finish();
  text_encoder->eval();

  TextPretrainResult result{{step, elapsed(), smoothed}, {}};
  torch::NoGradGuard no_grad;
  auto correct = torch::zeros({static_cast<int64_t>(attrs.size())}, torch::kLong);
  for (int64_t first = 0; first < heldout_set.ids.size(0); first += 256) {
    const int64_t n = std::min<int64_t>(256, heldout_set.ids.size(0) - first);
    auto pooled = text_encoder->forward(heldout_set.ids.narrow(0, first, n)).text_embeds;
    heads_loss(heads, pooled, heldout_set.labels.narrow(0, first, n), &correct);
  }
  for (size_t k = 0; k < attrs.size(); ++k) {
    const auto labelled = heldout_set.labels.select(1, int64_t(k)).ge(0).sum().item<int64_t>();
    result.heldout.push_back(
        {attrs[k].name, labelled ? double(correct[k].item<int64_t>()) / labelled : 1.0});
  }
  return result;
}

}  // namespace amused::train

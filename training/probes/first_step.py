"""The first decoding step of an aMUSEd model, for the probes in this folder.

At the first step every token is masked, so the prediction shows what the caption alone
asks for. Runs the reference implementation (diffusers v0.27.2); no network.
"""
import torch
from diffusers import AmusedPipeline
import transformers.tokenization_utils_base as tub

# transformers 4.38 without `tokenizers`: the fallback AddedToken is unhashable (as in
# tests/data/amused-default-golden/make_golden.py).
_added = tub.AddedToken
_added.__hash__ = lambda self: hash(self.content)
_added.__eq__ = lambda self, o: isinstance(o, _added) and self.content == o.content
if not hasattr(_added, "__setstate__"):
    _added.__setstate__ = lambda self, state: self.__dict__.update(state)


def load_pipeline(model_dir):
    return AmusedPipeline.from_pretrained(model_dir, variant="fp16", torch_dtype=torch.float32)


def first_step_probs(pipe, prompt):
    tok, te, tr = pipe.tokenizer, pipe.text_encoder, pipe.transformer
    ids = tok([prompt], padding="max_length", max_length=tok.model_max_length,
              truncation=True, return_tensors="pt").input_ids
    out = te(ids, output_hidden_states=True, return_dict=True)
    n = tr.config.sample_size
    masked = torch.full((1, n, n), tr.config.vocab_size - 1)
    size = float(n * pipe.vae_scale_factor)
    micro = torch.tensor([[size, size, 0.0, 0.0, 6.0]])
    logits = tr(masked, micro_conds=micro, pooled_text_emb=out.text_embeds,
                encoder_hidden_states=out.hidden_states[-2])
    return logits[0].softmax(0)  # [codes, rows, cols]

# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the test bed's STAND-IN model: a tiny, real Hugging Face model directory.

    python tests/testbed/make-tiny-model.py DEST

A Llama-shaped causal LM (2 layers, hidden size 16, float32) in two safetensors shards with
`model.safetensors.index.json`, a `config.json` with a small `max_position_embeddings`, and a real
byte-level BPE `tokenizer.json` trained here on a fixed text, with its `tokenizer_config.json`. The
output is the same, byte for byte, on every run. It is a labelled stand-in: the weights are random.
"""

import json
import os
import sys

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

HIDDEN, LAYERS, HEADS, INTERMEDIATE, MAX_POSITIONS = 16, 2, 2, 32, 256
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "The GH200 joins a Grace CPU to a Hopper GPU over NVLink-C2C.",
    "SGLang serves large language models; this stand-in model only proves the plumbing.",
    "Say hello. Hello! What is the capital of France? Paris is the capital of France.",
    "user assistant system: the quick brown fox jumps over the lazy dog 0123456789",
]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tokenizer():
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer=trainer)
    return tok


def tensors(vocab):
    rng = np.random.default_rng(20261122)

    def t(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    shard1 = {"model.embed_tokens.weight": t(vocab, HIDDEN)}
    shard2 = {"model.norm.weight": np.ones(HIDDEN, np.float32), "lm_head.weight": t(vocab, HIDDEN)}
    for i in range(LAYERS):
        layer = {
            "input_layernorm.weight": np.ones(HIDDEN, np.float32),
            "post_attention_layernorm.weight": np.ones(HIDDEN, np.float32),
            "self_attn.q_proj.weight": t(HIDDEN, HIDDEN),
            "self_attn.k_proj.weight": t(HIDDEN, HIDDEN),
            "self_attn.v_proj.weight": t(HIDDEN, HIDDEN),
            "self_attn.o_proj.weight": t(HIDDEN, HIDDEN),
            "mlp.gate_proj.weight": t(INTERMEDIATE, HIDDEN),
            "mlp.up_proj.weight": t(INTERMEDIATE, HIDDEN),
            "mlp.down_proj.weight": t(HIDDEN, INTERMEDIATE),
        }
        target = shard1 if i == 0 else shard2
        target.update(("model.layers.%d.%s" % (i, k), v) for k, v in layer.items())
    return [shard1, shard2]


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")


def main(dest):
    os.makedirs(dest, exist_ok=True)
    tok = tokenizer()
    tok.save(os.path.join(dest, "tokenizer.json"))
    vocab = tok.get_vocab_size()
    eos = tok.token_to_id("<|im_end|>")
    shards = tensors(vocab)
    weight_map, total = {}, 0
    for n, shard in enumerate(shards, 1):
        name = "model-%05d-of-%05d.safetensors" % (n, len(shards))
        save_file(shard, os.path.join(dest, name), metadata={"format": "pt"})
        for key, value in shard.items():
            weight_map[key] = name
            total += value.nbytes
    write_json(os.path.join(dest, "model.safetensors.index.json"),
               {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})
    write_json(os.path.join(dest, "config.json"), {
        "_comment": "STAND-IN model of the gh200.sglang test bed: random weights, real format.",
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "float32",
        "hidden_size": HIDDEN, "intermediate_size": INTERMEDIATE, "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS, "num_key_value_heads": HEADS, "head_dim": HIDDEN // HEADS,
        "max_position_embeddings": MAX_POSITIONS, "vocab_size": vocab, "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": False,
        "bos_token_id": tok.token_to_id("<|endoftext|>"), "eos_token_id": eos,
    })
    write_json(os.path.join(dest, "tokenizer_config.json"), {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": MAX_POSITIONS,
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "chat_template": CHAT_TEMPLATE,
    })
    write_json(os.path.join(dest, "generation_config.json"), {"eos_token_id": eos, "max_new_tokens": 16})
    for name in os.listdir(dest):
        os.chmod(os.path.join(dest, name), 0o644)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python make-tiny-model.py DEST")
    main(sys.argv[1])

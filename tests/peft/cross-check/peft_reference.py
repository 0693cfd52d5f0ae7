"""Reference outputs from Hugging Face PEFT for tests/peft/peft-cross-check.test.ts.

usage: python peft_reference.py FOLDER

FOLDER (written by the TypeScript test) holds:
  base/            a Hugging Face Qwen2 folder (config.json, model.safetensors)
  ids.json         token ids of one sequence
  ours/NAME/       adapters saved by galore-lab (adapter_config.json + adapter_model.safetensors)

This script writes:
  ours/NAME/peft.json   PEFT's logits for our adapter (unmerged and after merge_and_unload)
  peft/NAME/            adapters made and saved by PEFT, each with reference.json:
                        logits, merged logits, gradients of the LM loss for the first
                        wrapped module, and print_trainable_parameters' line
"""
import contextlib
import io
import json
import os
import sys

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM

folder = sys.argv[1]
ids = torch.tensor([json.load(open(os.path.join(folder, "ids.json")))])


def base_model():
    model = AutoModelForCausalLM.from_pretrained(os.path.join(folder, "base"), dtype=torch.float32, attn_implementation="eager")
    model.eval()
    return model


def logits_of(model):
    with torch.no_grad():
        return model(input_ids=ids).logits[0].flatten().tolist()


for name in sorted(os.listdir(os.path.join(folder, "ours"))):
    path = os.path.join(folder, "ours", name)
    model = PeftModel.from_pretrained(base_model(), path)
    model.eval()
    out = {"logits": logits_of(model)}
    out["merged"] = logits_of(model.merge_and_unload())
    json.dump(out, open(os.path.join(path, "peft.json"), "w"))

configs = {
    "lora-all-linear": LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False, lora_dropout=0.05),
    "dora-rslora": LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj", "down_proj"], use_dora=True, use_rslora=True,
                              init_lora_weights=False),
    "pissa": LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"], init_lora_weights="pissa"),
}
for name, config in configs.items():
    torch.manual_seed(0)
    model = get_peft_model(base_model(), config)
    with torch.no_grad():
        for module_name, param in model.named_parameters():
            if "lora_magnitude_vector" in module_name:
                param.mul_(torch.linspace(0.8, 1.2, param.numel()))
            if name == "pissa" and "lora_B" in module_name:
                param.mul_(1.5)
    model.eval()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        model.print_trainable_parameters()
    path = os.path.join(folder, "peft", name)
    model.save_pretrained(path)
    reference = {"logits": logits_of(model), "report": buf.getvalue().strip()}
    # gradients of the LM loss (labels = ids) for the first wrapped module
    model.zero_grad()
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    grads = {}
    for module_name, param in model.named_parameters():
        if param.requires_grad and ".layers.0.self_attn.q_proj." in module_name:
            key = module_name.replace(".default", "")
            grads[key] = param.grad.flatten().tolist()
    reference["loss"] = loss.item()
    reference["grads"] = grads
    reference["merged"] = logits_of(model.merge_and_unload())
    json.dump(reference, open(os.path.join(path, "reference.json"), "w"))
print("ok")

"""Score OUT_DIR/pairs.json with the Python tools LLaMA-Factory uses; write OUT_DIR/reference.json.

Usage: PYTHONPATH=DIR_WITH_rouge_chinese[:DIR_WITH_sacrebleu] /usr/bin/python3 reference_scores.py OUT_DIR

Needs Debian's python3-nltk and python3-jieba, and rouge-chinese 1.0.3 (not packaged by Debian:
put a checkout of github.com/Isaac-JL-Chen/rouge_chinese, which needs python3-six, on PYTHONPATH).
sacreBLEU is optional (a checkout of github.com/mjpost/sacrebleu with python3-portalocker,
python3-regex, python3-tabulate, python3-numpy, python3-colorama, python3-lxml, plus a
sacrebleu/version.py defining __version__); without it the corpus BLEU entries are omitted.
Per sample this follows LLaMA-Factory's scripts/eval_bleu_rouge.py.
"""
import json
import logging
import os
import sys

import jieba
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from rouge_chinese import Rouge

jieba.setLogLevel(logging.CRITICAL)
out_dir = sys.argv[1]
pairs = json.load(open(os.path.join(out_dir, "pairs.json"), encoding="utf-8"))


def score(prediction, label):
    hypothesis = list(jieba.cut(prediction))
    reference = list(jieba.cut(label))
    bleu = sentence_bleu([list(label)], list(prediction), smoothing_function=SmoothingFunction().method3)
    if len(" ".join(hypothesis).split()) == 0 or len(" ".join(reference).split()) == 0:
        rouge = {"rouge-1": {"f": 0.0}, "rouge-2": {"f": 0.0}, "rouge-l": {"f": 0.0}}
    else:
        rouge = Rouge().get_scores(" ".join(hypothesis), " ".join(reference))[0]
    result = {name: round(value["f"] * 100, 4) for name, value in rouge.items()}
    result["bleu-4"] = round(bleu * 100, 4)
    return {"segmentation": [hypothesis, reference], "scores": result}


report = {"samples": [score(p, l) for p, l in pairs], "corpus": []}
try:
    from sacrebleu.metrics.bleu import BLEU

    for start in range(0, len(pairs), 100):
        chunk = pairs[start:start + 100]
        for tokenize in ["13a", "zh"]:
            result = BLEU(tokenize=tokenize).corpus_score([p for p, _ in chunk], [[l for _, l in chunk]])
            report["corpus"].append({"start": start, "tokenize": tokenize, "score": result.score})
except ImportError:
    print("sacrebleu not importable: corpus BLEU skipped")
with open(os.path.join(out_dir, "reference.json"), "w", encoding="utf-8") as f:
    json.dump(report, f, ensure_ascii=False)
print(len(pairs), "pairs scored")

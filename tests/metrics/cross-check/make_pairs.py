"""Write a deterministic set of prediction/label pairs for the Python cross-check.

Usage: /usr/bin/python3 make_pairs.py OUT_DIR   (needs Debian's python3-jieba)

Pairs mix dictionary words, unknown characters, ASCII runs such as "3-6" and
"Qwen2-0.5B", punctuation, blank lines and unusual whitespace, then perturb the
reference to make the prediction; plus unrelated pairs and an all-pairs grid of
edge cases (empty, whitespace-only, one character, punctuation-only).
"""
import json
import logging
import os
import random
import sys

import jieba

jieba.setLogLevel(logging.CRITICAL)
rng = random.Random(20241)
dictionary = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
words = [line.split(" ")[0] for line in open(dictionary, encoding="utf-8")]
han = [chr(c) for c in range(0x4E00, 0x9FD6)]
ascii_pieces = ["3", "-", "6", "0.5", "B", "Qwen2", "a", "Z9", "%", "+", "#", "&", ".", "_", "12.5%", "x-1", "C++", "AT&T", "--", "5%3"]
punctuation = list("，。！？、“”‘’…—·（）《》：；,.!?()\"'") + ["......", "……", "。”", "？’"]
spaces = [" ", "\n", "\r\n", "\t", "\u3000", "\xa0", "\x1c", "\x85", "\ufeff", "\n\n"]
rare = ["\u3400", "\u9fd6", "\uf900", "😀", "𠀀", "é", "Ω"]


def random_text(length):
    parts = []
    for _ in range(length):
        r = rng.random()
        pool = words if r < 0.5 else han if r < 0.62 else ascii_pieces if r < 0.75 else punctuation if r < 0.87 else spaces if r < 0.95 else rare
        parts.append(rng.choice(pool))
    return "".join(parts)


def perturb(text):
    tokens = list(jieba.cut(text))
    for _ in range(rng.randint(0, 6)):
        if not tokens:
            break
        i = rng.randrange(len(tokens))
        r = rng.random()
        if r < 0.3:
            del tokens[i]
        elif r < 0.6:
            tokens.insert(i, rng.choice(tokens))
        elif r < 0.8:
            j = rng.randrange(len(tokens))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        else:
            tokens[i] = rng.choice(["。", "，", "\n", " ", "的", "损伤", "3-6", "……", "？”"])
    return "".join(tokens)


labels = [random_text(rng.randint(0, 60)) for _ in range(1500)]
pairs = [[perturb(label), label] for label in labels]
pairs += [[rng.choice(labels), rng.choice(labels)] for _ in range(200)]
edges = ["", " ", "\n", "\n\n", "。", "！？", "......", "……", "膝", "a", "膝关节", "The cat sat on the mat.", "“好。”", "好。\n\n再见", " \u3000 ", "😀", "哈哈哈哈"]
pairs += [[a, b] for a in edges for b in edges]
long_label = "".join(labels[:60])
pairs += [[long_label, long_label], [perturb(long_label), long_label]]

os.makedirs(sys.argv[1], exist_ok=True)
with open(os.path.join(sys.argv[1], "pairs.json"), "w", encoding="utf-8") as f:
    json.dump(pairs, f, ensure_ascii=False)
print(len(pairs), "pairs")

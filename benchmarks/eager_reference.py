#!/usr/bin/env python3
"""Eager PyTorch reference of the bottom-up-attention network, run by bench_extract in the same run.

The network is written the way the PyTorch ports write it: torch.nn convolutions, each followed by its frozen
affine (x * scale + bias, detectron2's FrozenBatchNorm), torchvision's ROI pooling (Caffe's), res5 and the heads
over all ROIs of the image at once, bf16 by casting the module (ROI pooling in float32, as under autocast).
It reads the same checkpoint (torch.load), the same image blob and the same ROIs as bench_extract, so the two
timings are of the same work on the same machine and the pool5 features can be compared.

Usage (bench_extract writes the inputs): eager_reference.py --net random.pt --blob blob.npy --rois rois.npy
    --dtype bf16 --threads 2 --reps 2 --ours pool5.npy --json out.json
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from torchvision.ops import roi_pool


class ConvAffine(torch.nn.Module):
    def __init__(self, cin, cout, k, stride=1, padding=0, dilation=1, bias=False):
        super().__init__()
        self.conv = torch.nn.Conv2d(cin, cout, k, stride, padding, dilation, bias=bias)
        self.register_buffer("scale", torch.ones(cout))
        self.register_buffer("bias", torch.zeros(cout))

    def forward(self, x):
        return self.conv(x) * self.scale.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class Bottleneck(torch.nn.Module):
    def __init__(self, cin, mid, cout, stride, dilation):
        super().__init__()
        self.branch1 = ConvAffine(cin, cout, 1, stride) if cin != cout or stride != 1 else None
        self.branch2a = ConvAffine(cin, mid, 1, stride)
        self.branch2b = ConvAffine(mid, mid, 3, 1, dilation, dilation)
        self.branch2c = ConvAffine(mid, cout, 1)

    def forward(self, x):
        y = F.relu(self.branch2a(x))
        y = F.relu(self.branch2b(y))
        y = self.branch2c(y)
        return F.relu(y + (self.branch1(x) if self.branch1 is not None else x))


def stage(owner, arch, s, cin, stride, dilation):
    i = s - 2
    count, mid, out = arch["blocks_per_stage"][i], arch["bottleneck_channels"][i], arch["out_channels"][i]
    names = [f"res{s}{chr(ord('a') + b)}" if count <= 3 else (f"res{s}a" if b == 0 else f"res{s}b{b}")
             for b in range(count)]
    for b, name in enumerate(names):
        owner.add_module(name, Bottleneck(cin if b == 0 else out, mid, out, stride if b == 0 else 1, dilation))
    return out


class Trunk(torch.nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.conv1 = ConvAffine(3, arch["stem_channels"], 7, 2, 3)
        c = arch["stem_channels"]
        c = stage(self, arch, 2, c, 1, 1)
        c = stage(self, arch, 3, c, 2, 1)
        stage(self, arch, 4, c, 2, 1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 3, 2, 0, ceil_mode=True)
        for name, m in self.named_children():
            if name != "conv1":
                x = m(x)
        return x


class Res5(torch.nn.Module):
    def __init__(self, arch):
        super().__init__()
        stage(self, arch, 5, arch["out_channels"][2], 1, arch["res5_dilation"])

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x.mean((2, 3))


class Rpn(torch.nn.Module):
    def __init__(self, arch):
        super().__init__()
        a = len(arch["anchor_scales"]) * len(arch["anchor_ratios"])
        self.conv = torch.nn.Conv2d(arch["out_channels"][2], arch["rpn_channels"], 3, 1, 1)
        self.cls_score = torch.nn.Conv2d(arch["rpn_channels"], 2 * a, 1)
        self.bbox_pred = torch.nn.Conv2d(arch["rpn_channels"], 4 * a, 1)

    def forward(self, x):
        h = F.relu(self.conv(x))
        logits = self.cls_score(h)
        n, c, hh, ww = logits.shape
        probs = F.softmax(logits.float().view(n, 2, c // 2, hh, ww), 1).view(n, c, hh, ww)
        return probs, self.bbox_pred(h)


class Heads(torch.nn.Module):
    def __init__(self, arch):
        super().__init__()
        d = arch["out_channels"][3]
        self.box_head = torch.nn.Module()
        self.box_head.cls_score = torch.nn.Linear(d, arch["num_classes"])
        self.box_head.bbox_pred = torch.nn.Linear(d, 4 * arch["num_classes"])
        self.attr_head = None
        if arch.get("has_attributes", False):
            self.attr_head = torch.nn.Module()
            self.attr_head.cls_embedding = torch.nn.Embedding(arch["num_classes"], arch["attr_embed_dim"])
            self.attr_head.fc_attr = torch.nn.Linear(d + arch["attr_embed_dim"], arch["attr_hidden"])
            self.attr_head.attr_score = torch.nn.Linear(arch["attr_hidden"], arch["num_attributes"])

    def forward(self, pool5):
        cls_score = self.box_head.cls_score(pool5)
        out = {"cls_prob": F.softmax(cls_score.float(), 1), "bbox_pred": self.box_head.bbox_pred(pool5)}
        if self.attr_head is not None:
            emb = self.attr_head.cls_embedding(cls_score.argmax(1))
            hidden = F.relu(self.attr_head.fc_attr(torch.cat([pool5, emb], 1)))
            out["attr_prob"] = F.softmax(self.attr_head.attr_score(hidden).float(), 1)
        return out


class Detector(torch.nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.arch = arch
        self.trunk, self.rpn, self.res5 = Trunk(arch), Rpn(arch), Res5(arch)
        heads = Heads(arch)
        self.box_head, self.attr_head = heads.box_head, heads.attr_head
        self.heads = [heads]  # not registered twice

    def pool(self, features, rois):
        p = self.arch["roi_pool_size"]
        return roi_pool(features.float(), rois.float(), (p, p), 1.0 / self.arch["feat_stride"]).to(features.dtype)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", required=True)
    ap.add_argument("--blob", required=True)
    ap.add_argument("--rois", required=True)
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=2, help="timed repetitions after one warm-up; the median is kept")
    ap.add_argument("--ours", help="bench_extract's pool5 for the same ROIs, to compare")
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)

    ckpt = torch.load(a.net)
    arch = yaml.safe_load(ckpt["arch"])
    net = Detector(arch)
    missing, unexpected = net.load_state_dict(ckpt["state_dict"], strict=False)
    if missing or unexpected:
        raise SystemExit(f"{a.net}: state_dict does not match the eager network: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
    dev = torch.device(a.device)
    net = net.to(dev, dtype).eval()
    heads = net.heads[0].to(dev, dtype).eval()
    blob = torch.from_numpy(np.load(a.blob)).to(dev, dtype)
    rois = torch.from_numpy(np.load(a.rois)).to(dev)

    def now():
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        return time.perf_counter()

    stages = {"trunk": [], "rpn": [], "roi pool": [], "res5+heads": []}
    pool5 = None
    with torch.no_grad():
        for rep in range(a.reps + 1):
            t0 = now()
            f = net.trunk(blob)
            t1 = now()
            net.rpn(f)
            t2 = now()
            pooled = net.pool(f, rois)
            t3 = now()
            pool5 = net.res5(pooled)
            heads(pool5)
            t4 = now()
            if rep > 0:  # the first pass warms up
                for k, v in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                    stages[k].append(1000 * v)
    result = {k: float(np.median(v)) for k, v in stages.items()}
    result["total"] = sum(result.values())
    result["threads"] = torch.get_num_threads()
    if a.ours:
        ours = torch.from_numpy(np.load(a.ours)).float()
        mine = pool5.float().cpu()
        cos = F.cosine_similarity(mine, ours, 1)
        result["cosine_min"] = float(cos.min())
        result["max_abs_diff"] = float((mine - ours).abs().max())
        result["max_abs"] = float(ours.abs().max())
    with open(a.json, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main()

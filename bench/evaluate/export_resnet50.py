"""Exports a random-weight torchvision ResNet-50 to ONNX with a dynamic batch axis.

Usage: python3 export_resnet50.py OUT.onnx  (Debian's python3-torch and python3-torchvision)
"""
import sys

import torch
import torchvision

torch.manual_seed(0)
model = torchvision.models.resnet50().eval()
example = torch.zeros(1, 3, 224, 224)
torch.onnx.export(
    model,
    example,
    sys.argv[1],
    input_names=["input"],
    output_names=["logits"],
    dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    opset_version=17,
)
print(f"wrote {sys.argv[1]}")

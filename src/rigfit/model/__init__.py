"""Pure value types: what a model is, what hardware is, what a quantization costs, what was asked, what we found."""

from rigfit.model.architecture import MLA, SSM, Architecture, CompressedAttention, LinearAttention, MoE
from rigfit.model.hardware import GIB, Hardware
from rigfit.model.quant import Quant
from rigfit.model.scenario import Scenario

__all__ = ["Architecture", "CompressedAttention", "MLA", "SSM", "LinearAttention", "MoE", "Hardware", "GIB", "Quant", "Scenario"]

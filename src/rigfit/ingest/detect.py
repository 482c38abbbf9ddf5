"""This machine: GPUs (NVIDIA via NVML, AMD via sysfs, Apple via sysctl), CPU, RAM and a measured RAM bandwidth."""

from __future__ import annotations

import copy
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from rigfit.catalog import NotFound, find_hardware
from rigfit.model.hardware import GIB, Hardware

# FP32 SIMD FLOPs per cycle per core assumed for a CPU we only know by its core count (AVX2: 2 FMA x 8 lanes x 2).
CPU_FLOPS_PER_CYCLE = 32
CPU_ASSUMED_GHZ = 3.0


def _nvidia_gpus() -> list[dict[str, Any]]:
    try:
        import pynvml  # nvidia-ml-py
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except Exception:  # noqa: BLE001 - no driver / no device: not an error, just no NVIDIA GPU
        return []
    out = []
    try:
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(h)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            out.append({"vendor": "nvidia", "name": name.decode() if isinstance(name, bytes) else str(name),
                        "memory_gib": round(mem.total / GIB, 1), "free_gib": round(mem.free / GIB, 1)})
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:  # noqa: BLE001
            pass
    return out


def _amd_gpus(sys_root: Path = Path("/sys/class/drm")) -> list[dict[str, Any]]:
    out = []
    for card in sorted(sys_root.glob("card[0-9]*")):
        dev = card / "device"
        try:
            if (dev / "vendor").read_text().strip() != "0x1002":
                continue
            total = int((dev / "mem_info_vram_total").read_text().strip())
        except (OSError, ValueError):
            continue
        name = (dev / "product_name").read_text().strip() if (dev / "product_name").exists() else "AMD GPU"
        out.append({"vendor": "amd", "name": name, "memory_gib": round(total / GIB, 1)})
    return out


def _apple_chip() -> dict[str, Any] | None:
    if platform.system() != "Darwin":
        return None
    try:
        brand = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5).stdout.strip()
        mem = int(subprocess.run(["sysctl", "-n", "hw.memsize"], capture_output=True, text=True, timeout=5).stdout.strip())
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    if not brand.startswith("Apple"):
        return None
    return {"vendor": "apple", "name": brand, "memory_gib": round(mem / GIB)}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure_ram_bandwidth(seconds: float = 0.3, size_mib: int = 256) -> float:
    """GB/s of a large array copy (read + write), the best of repeats within `seconds`."""
    import numpy as np

    a = np.ones(size_mib * 1024 * 1024 // 8)
    b = np.empty_like(a)
    np.copyto(b, a)  # untimed: the first copy pays the page faults of a fresh array
    best = 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or best == 0.0:
        t = time.perf_counter()
        np.copyto(b, a)
        dt = time.perf_counter() - t
        best = max(best, 2 * a.nbytes / dt / 1e9)
    return round(best, 1)


# One detection per process: the bandwidth probe copies 256 MiB for 0.3 s, and `models --fits local` resolves
# "local" once per catalog model (65 s when each measured again). Keyed by `measure`.
_DETECTED: dict[bool, dict[str, Any]] = {}


def detect(measure: bool = True) -> dict[str, Any]:
    """This machine, measured on the first call of the process; later calls return a copy of that result."""
    if measure not in _DETECTED:
        _DETECTED[measure] = _detect(measure)
    return copy.deepcopy(_DETECTED[measure])


def _detect(measure: bool) -> dict[str, Any]:
    import psutil

    vm = psutil.virtual_memory()
    gpus = _nvidia_gpus() + _amd_gpus()
    apple = _apple_chip()
    if apple:
        gpus.append(apple)
    info: dict[str, Any] = {
        "cpu": {"model": _cpu_model(), "cores": psutil.cpu_count(logical=False) or os.cpu_count() or 1,
                "threads": psutil.cpu_count() or os.cpu_count() or 1},
        "ram": {"total_gib": round(vm.total / GIB, 1), "available_gib": round(vm.available / GIB, 1),
                "bandwidth_gbs": measure_ram_bandwidth() if measure else None},
        "gpus": gpus,
        "os": f"{platform.system()} {platform.release()}",
    }
    if not gpus:
        info["note"] = "no GPU found"
    return info


def detected_hardware(info: dict[str, Any]) -> Hardware:
    """The catalog entry for the detected GPUs (count = identical GPUs), else this CPU described from its figures."""
    gpus = info.get("gpus") or []
    if gpus:
        first = gpus[0]
        same = [g for g in gpus if g["name"] == first["name"]]
        try:
            hw = find_hardware(first["name"] if first["vendor"] != "apple" else f"{first['name']} {first['memory_gib']}GB")
            return hw.with_count(len(same)) if len(same) > 1 and hw.kind == "gpu" else hw
        except (NotFound, ValueError):
            pass
    cpu, ram = info["cpu"], info["ram"]
    cores = int(cpu.get("cores") or 1)
    return Hardware(
        name=f"This machine ({cpu['model']})", vendor="cpu", kind="cpu", memory_gib=float(ram["total_gib"]),
        bandwidth_gbs=float(ram.get("bandwidth_gbs") or 20.0),
        fp16_tflops=round(cores * CPU_ASSUMED_GHZ * CPU_FLOPS_PER_CYCLE / 1000, 2), unified=True, cpu_cores=cores,
        sources=(("specs", "measured on this machine by rigfit detect (RAM size, copy bandwidth)"),
                 ("compute", f"estimate: {cores} cores x {CPU_ASSUMED_GHZ} GHz x {CPU_FLOPS_PER_CYCLE} FP32 FLOP/cycle")),
        notes="described from measured figures; no catalog entry matched",
    )

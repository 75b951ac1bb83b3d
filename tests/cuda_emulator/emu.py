"""A fake ``cupy`` that runs sk01loss/_kernels/_cuda.py's kernels on the CPU.

``RawModule`` compiles the code string the wrappers would hand NVRTC (the
``#define`` lines and ``_SOURCE``) with g++ against cuda_emu.h; only the
``__shared__`` declarations are rewritten, to instrumented buffers. A kernel call
runs on the emulator through ctypes, after checking each argument against the
kernel's parameter type as cuLaunchKernel would read it. Arrays are NumPy arrays.
"""

import ctypes
import hashlib
import importlib.util
import os
import re
import subprocess
import uuid

import numpy as np

HEADER_DIR = os.path.dirname(os.path.abspath(__file__))
CXXFLAGS = ["-std=c++20", "-O1", "-ffp-contract=off", "-fno-fast-math", "-fPIC", "-shared",
            "-pthread", "-Wall", "-Wno-unused-function", "-Wno-sign-compare"]

# a kernel parameter's C type: the NumPy dtype of an array or scalar passed for it,
# and the ctypes type a scalar is passed as
C_TYPES = {"float": (np.float32, ctypes.c_float), "double": (np.float64, ctypes.c_double),
           "i64": (np.int64, ctypes.c_longlong), "long long": (np.int64, ctypes.c_longlong)}


class CompileError(RuntimeError):
    pass


def translate(code):
    """``code`` as C++ for the emulator, and {kernel: [(C type, is pointer)]}."""
    defines = dict(re.findall(r"#define (\w+) (.+)", code))
    src = code
    for pattern, replacement in [
            (r"extern __shared__ (\w+) (\w+)\[\];", r"EMU_DYN_SHARED(\1, \2);"),
            (r"__shared__ (\w+) (\w+)\[(\w+)\];", r"EMU_SHARED_ARR(\1, \2, \3);"),
            (r"__shared__ (\w+) (\w+);", r"EMU_SHARED_SCALAR(\1, \2);"),
            (r"W block_sum\(W part, W\* scratch\)", r"W block_sum(W part, SharedArr<W> scratch)")]:
        src = re.sub(pattern, replacement, src)
    assert "__shared__" not in src, "a __shared__ declaration the emulator cannot translate"
    kernels = {}
    signature = r'extern "C" __global__ void (\w+)\((.*?)\)\s*\{'
    for name, params in re.findall(signature, code, re.DOTALL):
        kernels[name] = []
        for param in params.split(","):
            ctype = " ".join(param.split()).rsplit(" ", 1)[0].replace("const ", "")
            base = ctype.rstrip("*").strip()
            kernels[name].append((defines.get(base, base), ctype.endswith("*")))
    # compiler messages give the line numbers of the code string
    cpp = '#include "cuda_emu.h"\n#line 1 "cuda_source"\n' + src + "\n"
    for name, params in kernels.items():
        unpack = ", ".join(f"*({t}{'*' if ptr else ''}*) args[{i}]"
                           for i, (t, ptr) in enumerate(params))
        cpp += (f'extern "C" long emu_launch_{name}(unsigned grid, unsigned block, '
                f'unsigned long shmem, int jitter, void** args) {{\n'
                f'  return emu_launch(grid, block, shmem, jitter,\n'
                f'                    [&] {{ {name}({unpack}); }});\n}}\n')
    return cpp, kernels


class FakeCupy:
    """The part of ``cupy`` that _cuda.py uses. Shared libraries go to ``build_dir``;
    ``issues`` lists (kernel, count) for every launch that logged emulator issues;
    ``jitter`` makes threads yield at random around shared-memory accesses."""

    ascontiguousarray = staticmethod(np.ascontiguousarray)
    full = staticmethod(np.full)
    zeros = staticmethod(np.zeros)

    def __init__(self, build_dir, jitter=False):
        self.build_dir, self.jitter = str(build_dir), jitter
        self.issues = []

    @staticmethod
    def empty(shape, dtype=np.float64):
        """Uninitialised device memory: here a fixed garbage byte pattern."""
        a = np.empty(shape, dtype=dtype)
        a.view(np.uint8)[...] = 0xA5
        return a

    def RawModule(self, code):  # cupy's name
        return RawModule(self, code)


class RawModule:
    def __init__(self, fake, code):
        cpp, self.kernels = translate(code)
        stem = os.path.join(fake.build_dir, "k_" + hashlib.sha1(code.encode()).hexdigest()[:12])
        with open(stem + ".cpp", "w") as f:
            f.write(cpp)
        command = ["g++", *CXXFLAGS, "-I", HEADER_DIR, stem + ".cpp", "-o", stem + ".so"]
        out = subprocess.run(command, check=False, capture_output=True, text=True)
        if out.returncode:
            raise CompileError(f"g++ failed on {stem}.cpp:\n{out.stdout}{out.stderr}")
        self.fake, self.lib = fake, ctypes.CDLL(stem + ".so")

    def get_function(self, name):
        return Kernel(self, name)


class Kernel:
    def __init__(self, module, name):
        self.fake, self.name, self.params = module.fake, name, module.kernels[name]
        self.fn = getattr(module.lib, f"emu_launch_{name}")
        self.fn.restype = ctypes.c_long

    def __call__(self, grid, block, args, shared_mem=0):
        assert len(args) == len(self.params), (self.name, len(args), len(self.params))
        cells = []
        for i, (a, (t, ptr)) in enumerate(zip(args, self.params)):
            dtype, ctype = C_TYPES[t]
            if ptr:
                assert isinstance(a, np.ndarray) and a.dtype == dtype, (self.name, i, type(a), t)
                assert a.flags.c_contiguous, (self.name, i)
                cells.append(ctypes.c_void_p(a.ctypes.data))
            else:  # CuPy passes a NumPy scalar as its dtype's bytes
                assert isinstance(a, np.generic) and a.dtype == dtype, (self.name, i, type(a), t)
                cells.append(ctype(a.item()))
        argv = (ctypes.c_void_p * len(cells))(
            *[ctypes.cast(ctypes.pointer(c), ctypes.c_void_p) for c in cells])
        (grid,), (block,) = grid, block
        n = self.fn(grid, block, shared_mem, int(self.fake.jitter), argv)
        if n:
            self.fake.issues.append((self.name, n))


def load_cuda_module(path, fake):
    """A fresh instance of the module at ``path`` (_cuda.py) using ``fake`` as cupy;
    the imported ``sk01loss._kernels._cuda`` is left alone."""
    spec = importlib.util.spec_from_file_location(f"_cuda_emulated_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.cupy = fake
    return module

// CPU emulation of the CUDA built-ins that sk01loss/_kernels/_cuda.py uses, for
// tests/test_cuda_emulated.py. Blocks run one at a time, each thread of a block as a
// std::thread. Shared memory is instrumented: conflicting accesses by two threads
// between the same two barriers (an "epoch"), reads of never-written words,
// out-of-bounds indices, barriers reached from different call sites and warp
// intrinsics with partial masks are logged to stderr and counted per launch.
#pragma once
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

struct dim3 { unsigned x = 1, y = 1, z = 1; };
thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __device__
#define __global__
#define __forceinline__ inline

using std::floor; using std::fmin; using std::fmax;

static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline int __popc(unsigned x) { return __builtin_popcount(x); }

// ---------------------------------------------------------------- block state
struct Meta {
    long w_epoch = -1; int w_tid = -1;
    long r_epoch = -1; int r_tid = -1; bool r_multi = false;
    long a_epoch = -1; int a_tid = -1; bool a_multi = false;
    bool written = false;
};

struct SharedBuf {
    std::string name; size_t n = 0;
    std::vector<unsigned char> data; std::vector<Meta> meta;
};

struct Block;
static void block_barrier_done(Block* b);

struct BarrierDone { Block* b; void operator()() noexcept { block_barrier_done(b); } };

struct Warp {
    std::barrier<> bar{32};
    unsigned vals[32]; int lines[32];
};

struct Block {
    unsigned nthreads;
    std::mutex mu;                       // guards shared metadata and registry
    std::map<std::string, std::unique_ptr<SharedBuf>> reg;
    std::unique_ptr<std::barrier<BarrierDone>> bar;
    std::vector<int> lines;              // __syncthreads call site of each thread
    std::vector<std::unique_ptr<Warp>> warps;
    std::atomic<long> epoch{0};
    std::vector<std::string> issues; long n_issues = 0;
    unsigned char* dyn = nullptr; size_t dyn_bytes = 0;
    bool jitter = false;
};
thread_local Block* emu_block = nullptr;

static void emu_issue(Block* b, const std::string& s) {   // caller holds b->mu or is alone
    b->n_issues++;
    if (b->issues.size() < 20) b->issues.push_back(s);
}

static void block_barrier_done(Block* b) {
    int first = b->lines[0]; bool diverged = false;
    for (unsigned t = 0; t < b->nthreads; ++t) if (b->lines[t] != first) diverged = true;
    if (diverged) {
        std::string s = "__syncthreads reached from different sites/exited threads: lines";
        for (unsigned t = 0; t < b->nthreads; t += 1) if (t == 0 || b->lines[t] != b->lines[t - 1])
            s += " t" + std::to_string(t) + ":" + std::to_string(b->lines[t]);
        emu_issue(b, s);
    }
    b->epoch++;
}

static inline int emu_tid() { return (int) threadIdx.x; }

static void emu_jitter() {
    if (!emu_block->jitter) return;
    thread_local std::minstd_rand rng(std::hash<std::thread::id>()(std::this_thread::get_id()));
    if (rng() % 8 == 0) std::this_thread::yield();
}

static inline void emu_syncthreads(int line) {
    Block* b = emu_block;
    b->lines[emu_tid()] = line;
    b->bar->arrive_and_wait();
}
#define __syncthreads() emu_syncthreads(__LINE__)

static inline void warp_check_full(unsigned mask, int line, const char* what) {
    Block* b = emu_block; Warp& w = *b->warps[emu_tid() / 32];
    w.lines[emu_tid() % 32] = line;
    if (mask != 0xffffffffu) {
        std::lock_guard<std::mutex> g(b->mu);
        emu_issue(b, std::string(what) + ": mask not full");
    }
}

static inline unsigned emu_ballot(unsigned mask, bool pred, int line) {
    Block* b = emu_block; Warp& w = *b->warps[emu_tid() / 32]; int lane = emu_tid() % 32;
    warp_check_full(mask, line, "__ballot_sync");
    w.vals[lane] = pred ? 1u : 0u;
    w.bar.arrive_and_wait();
    unsigned r = 0;
    for (int l = 0; l < 32; ++l) {
        r |= (w.vals[l] ? 1u : 0u) << l;
        if (w.lines[l] != line) {
            std::lock_guard<std::mutex> g(b->mu);
            emu_issue(b, "__ballot_sync: lanes at different sites");
        }
    }
    w.bar.arrive_and_wait();
    return r;
}
#define __ballot_sync(m, p) emu_ballot((m), (p), __LINE__)

static inline int emu_shfl_up(unsigned mask, int var, unsigned delta, int line) {
    Block* b = emu_block; Warp& w = *b->warps[emu_tid() / 32]; int lane = emu_tid() % 32;
    warp_check_full(mask, line, "__shfl_up_sync");
    w.vals[lane] = (unsigned) var;
    w.bar.arrive_and_wait();
    int r = lane >= (int) delta ? (int) w.vals[lane - delta] : var;
    for (int l = 0; l < 32; ++l) if (w.lines[l] != line) {
        std::lock_guard<std::mutex> g(b->mu);
        emu_issue(b, "__shfl_up_sync: lanes at different sites");
    }
    w.bar.arrive_and_wait();
    return r;
}
#define __shfl_up_sync(m, v, d) emu_shfl_up((m), (v), (d), __LINE__)

// ------------------------------------------------------- instrumented shared memory
template <class T> struct SharedAddr { SharedBuf* buf; long long i; };

enum Access { READ, WRITE, ATOMIC };

// records that accessor t used a word in epoch e; multi: more than one thread did
static void note_access(long& epoch, int& tid, bool& multi, long e, int t) {
    if (epoch != e) { epoch = e; tid = t; multi = false; }
    else if (tid != t) multi = true;
}

// checks and records an access to word i of s; caller holds the block's mutex
static void meta_access(SharedBuf* s, long long i, Access kind) {
    Block* b = emu_block; int t = emu_tid(); long e = b->epoch.load();
    auto word = [&] { return s->name + "[" + std::to_string(i) + "]"; };
    if (i < 0 || (size_t) i >= s->n) {
        emu_issue(b, word() + " out of bounds (size " + std::to_string(s->n) + ")");
        return;
    }
    Meta& m = s->meta[i];
    auto issue = [&](const char* what, int other) {
        emu_issue(b, std::string(what) + " on " + word() + " epoch " + std::to_string(e)
                     + " threads " + std::to_string(t) + "/" + std::to_string(other));
    };
    if (kind != WRITE && !m.written) issue("read of never-written shared word", -1);
    if (m.w_epoch == e && m.w_tid != t)
        issue(kind == WRITE ? "write-write race" : "read-after-write race", m.w_tid);
    if (kind != READ && m.r_epoch == e && (m.r_multi || m.r_tid != t))
        issue("write-after-read race", m.r_tid);
    if (kind != ATOMIC && m.a_epoch == e && (m.a_multi || m.a_tid != t))
        issue("atomic/plain race", m.a_tid);
    if (kind == READ) note_access(m.r_epoch, m.r_tid, m.r_multi, e, t);
    if (kind == WRITE) { m.w_epoch = e; m.w_tid = t; m.written = true; }
    if (kind == ATOMIC) note_access(m.a_epoch, m.a_tid, m.a_multi, e, t);
}

template <class T> struct SharedRef {
    SharedBuf* buf; long long i;
    T* p() const { return reinterpret_cast<T*>(buf->data.data()) + i; }
    T load() const {
        emu_jitter();
        std::lock_guard<std::mutex> g(emu_block->mu); meta_access(buf, i, READ);
        if (i < 0 || (size_t) i >= buf->n) return T();
        return *p();
    }
    void store(T v) const {
        emu_jitter();
        std::lock_guard<std::mutex> g(emu_block->mu); meta_access(buf, i, WRITE);
        if (i < 0 || (size_t) i >= buf->n) return;
        *p() = v;
    }
    operator T() const { return load(); }
    const SharedRef& operator=(T v) const { store(v); return *this; }
    const SharedRef& operator=(const SharedRef& o) const { store(o.load()); return *this; }
    const SharedRef& operator+=(T v) const { store(load() + v); return *this; }
    SharedAddr<T> operator&() const { return SharedAddr<T>{buf, i}; }
};

template <class T> struct SharedArr {
    SharedBuf* buf;
    SharedRef<T> operator[](long long i) const { return SharedRef<T>{buf, i}; }
};

static inline int atomicAdd(SharedAddr<int> a, int v) {
    emu_jitter();
    std::lock_guard<std::mutex> g(emu_block->mu); meta_access(a.buf, a.i, ATOMIC);
    if (a.i < 0 || (size_t) a.i >= a.buf->n) return 0;
    int* p = reinterpret_cast<int*>(a.buf->data.data()) + a.i;
    int old = *p; *p = old + v; return old;
}

// a __shared__ declaration: the block's one buffer of that name (garbage-filled,
// as shared memory is not initialised on a GPU)
template <class T> static SharedArr<T> emu_shared(const char* name, size_t n, bool dynamic) {
    Block* b = emu_block; std::lock_guard<std::mutex> g(b->mu);
    auto& slot = b->reg[name];
    if (!slot) {
        slot = std::make_unique<SharedBuf>();
        slot->name = name;
        slot->n = dynamic ? b->dyn_bytes / sizeof(T) : n;
        slot->data.assign(slot->n * sizeof(T) + 1, 0xA5);
        slot->meta.resize(slot->n);
    }
    return SharedArr<T>{slot.get()};
}
#define EMU_DYN_SHARED(T, name) SharedArr<T> name = emu_shared<T>(#name, 0, true)
#define EMU_SHARED_ARR(T, name, N) SharedArr<T> name = emu_shared<T>(#name, (N), false)
#define EMU_SHARED_SCALAR(T, name) SharedRef<T> name = emu_shared<T>(#name, 1, false)[0]

// ------------------------------------------------------------------- launcher
// runs fn on grid x block threads, one block at a time; returns the number of issues
static long emu_launch(unsigned grid, unsigned nthreads, size_t shmem, bool jitter,
                       const std::function<void()>& fn) {
    long total = 0;
    for (unsigned bx = 0; bx < grid; ++bx) {
        Block blk; blk.nthreads = nthreads; blk.jitter = jitter;
        blk.lines.assign(nthreads, 0);
        blk.bar = std::make_unique<std::barrier<BarrierDone>>(nthreads, BarrierDone{&blk});
        for (unsigned w = 0; w < (nthreads + 31) / 32; ++w)
            blk.warps.push_back(std::make_unique<Warp>());
        blk.dyn_bytes = shmem;
        std::vector<std::thread> ts;
        for (unsigned t = 0; t < nthreads; ++t)
            ts.emplace_back([&, t] {
                threadIdx = dim3{t, 0, 0}; blockIdx = dim3{bx, 0, 0};
                blockDim = dim3{nthreads, 1, 1}; gridDim = dim3{grid, 1, 1};
                emu_block = &blk;
                fn();
                blk.lines[t] = -1;          // exited: no longer takes part in barriers
                blk.bar->arrive_and_drop();
                blk.warps[t / 32]->bar.arrive_and_drop();
            });
        for (auto& th : ts) th.join();
        for (auto& s : blk.issues) fprintf(stderr, "[emu block %u] %s\n", bx, s.c_str());
        total += blk.n_issues;
    }
    return total;
}

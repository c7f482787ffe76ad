// shim.c: see shim.h.
#include "shim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <string.h>
#include <time.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// The llama.cpp and ggml functions benchtui uses, resolved with dlsym.
#define BT_FUNCS(X) \
    X(llama_backend_init) \
    X(llama_backend_free) \
    X(llama_log_set) \
    X(llama_model_default_params) \
    X(llama_context_default_params) \
    X(llama_sampler_chain_default_params) \
    X(llama_model_load_from_file) \
    X(llama_model_free) \
    X(llama_init_from_model) \
    X(llama_free) \
    X(llama_model_get_vocab) \
    X(llama_vocab_n_tokens) \
    X(llama_vocab_bos) \
    X(llama_vocab_eos) \
    X(llama_tokenize) \
    X(llama_model_n_layer) \
    X(llama_model_n_embd) \
    X(llama_model_n_head) \
    X(llama_model_n_head_kv) \
    X(llama_model_n_ctx_train) \
    X(llama_model_n_params) \
    X(llama_model_size) \
    X(llama_model_desc) \
    X(llama_model_meta_val_str) \
    X(llama_n_ctx) \
    X(llama_n_ctx_seq) \
    X(llama_n_batch) \
    X(llama_n_ubatch) \
    X(llama_n_seq_max) \
    X(llama_batch_init) \
    X(llama_batch_free) \
    X(llama_decode) \
    X(llama_get_memory) \
    X(llama_memory_seq_rm) \
    X(llama_memory_seq_cp) \
    X(llama_get_sampled_token_ith) \
    X(llama_get_sampled_candidates_ith) \
    X(llama_get_sampled_candidates_count_ith) \
    X(llama_get_logits_ith) \
    X(llama_sampler_chain_init) \
    X(llama_sampler_chain_add) \
    X(llama_sampler_init_greedy) \
    X(llama_sampler_free) \
    X(llama_sampler_init) \
    X(ggml_argmax) \
    X(ggml_view_1d) \
    X(ggml_element_size) \
    X(llama_print_system_info) \
    X(llama_supports_gpu_offload) \
    X(llama_max_devices) \
    X(ggml_backend_dev_count) \
    X(ggml_backend_dev_get) \
    X(ggml_backend_dev_name) \
    X(ggml_backend_dev_description) \
    X(ggml_backend_dev_type) \
    X(ggml_backend_dev_memory) \
    X(ggml_backend_dev_by_type) \
    X(ggml_backend_dev_backend_reg) \
    X(ggml_backend_reg_get_proc_address) \
    X(ggml_threadpool_params_default) \
    X(llama_attach_threadpool) \
    X(llama_synchronize) \
    X(llama_perf_context)

#define BT_DECLARE(name) static __typeof__(name) *p_##name;
BT_FUNCS(BT_DECLARE)
#undef BT_DECLARE

static void *bt_lib;

// llama_get_sampled_token_ith synchronizes the context on every call, which on a GPU is a
// stream synchronization per sampled token (about 2.7 us each on an H100, 0.7 ms a step at
// batch 256). The member function behind it, which libllama exports, reads the token without
// that; bt_step synchronizes once and then reads every row through it. Optional: without the
// symbol, the public call is used.
typedef llama_token (*bt_sampled_token_fn)(struct llama_context *, int32_t);
static bt_sampled_token_fn p_sampled_token_nosync;

// ---- logging: a ring buffer of llama.cpp's output, echoed to stderr on request ----

#define BT_LOG_CAP 32768
static pthread_mutex_t bt_log_mu = PTHREAD_MUTEX_INITIALIZER;
static char bt_log_buf[BT_LOG_CAP];
static size_t bt_log_pos;      // next write position
static int bt_log_full;        // the buffer has wrapped
static atomic_int bt_log_echo;
static atomic_int bt_log_min = GGML_LOG_LEVEL_INFO;
static atomic_int bt_log_echo_warn = 0; // echo warnings and errors even when not verbose
static int bt_log_last_level = GGML_LOG_LEVEL_INFO;

static void bt_log_cb(enum ggml_log_level level, const char *text, void *user) {
    (void) user;
    pthread_mutex_lock(&bt_log_mu);
    // Continuation fragments take the level of the line they continue.
    if (level == GGML_LOG_LEVEL_CONT) {
        level = bt_log_last_level;
    } else {
        bt_log_last_level = level;
    }
    if ((int) level >= atomic_load(&bt_log_min) || level == GGML_LOG_LEVEL_NONE) {
        for (const char *c = text; *c; c++) {
            bt_log_buf[bt_log_pos++] = *c;
            if (bt_log_pos == BT_LOG_CAP) {
                bt_log_pos = 0;
                bt_log_full = 1;
            }
        }
    }
    pthread_mutex_unlock(&bt_log_mu);
    if (atomic_load(&bt_log_echo) ||
        (atomic_load(&bt_log_echo_warn) && (level == GGML_LOG_LEVEL_WARN || level == GGML_LOG_LEVEL_ERROR))) {
        fputs(text, stderr);
    }
}

void bt_log_echo_warnings(int on) { atomic_store(&bt_log_echo_warn, on); }

// bt_fault injects a native failure for the crash-isolation tests: 1 aborts (as GGML_ASSERT
// does), 2 dereferences a null pointer.
void bt_fault(int kind) {
    fprintf(stderr, "bt_fault: injected failure %d\n", kind);
    fflush(stderr);
    if (kind == 1) {
        abort();
    }
    if (kind == 2) {
        volatile int *p = NULL;
        *p = 1;
    }
}

void bt_log_configure(int echo_stderr, int min_level) {
    atomic_store(&bt_log_echo, echo_stderr);
    atomic_store(&bt_log_min, min_level);
}

void bt_log_clear(void) {
    pthread_mutex_lock(&bt_log_mu);
    bt_log_pos = 0;
    bt_log_full = 0;
    pthread_mutex_unlock(&bt_log_mu);
}

size_t bt_log_tail(char *buf, size_t len, int max_lines) {
    pthread_mutex_lock(&bt_log_mu);
    size_t n = bt_log_full ? BT_LOG_CAP : bt_log_pos;
    size_t start = bt_log_full ? bt_log_pos : 0;
    // Walk back from the end to find where the last max_lines lines begin.
    size_t take = 0;
    int lines = 0;
    while (take < n) {
        char c = bt_log_buf[(start + n - 1 - take) % BT_LOG_CAP];
        if (c == '\n' && take > 0) {
            if (++lines >= max_lines) {
                break;
            }
        }
        take++;
    }
    if (take > len - 1) {
        take = len - 1;
    }
    for (size_t i = 0; i < take; i++) {
        buf[i] = bt_log_buf[(start + n - take + i) % BT_LOG_CAP];
    }
    buf[take] = 0;
    pthread_mutex_unlock(&bt_log_mu);
    return take;
}

// ---- library loading ----

// bt_load_backends loads ggml's backends when libllama was built with GGML_BACKEND_DL, as
// llama.cpp's prebuilt packages are: there the CPU backend (one library per CPU generation,
// libggml-cpu-haswell.so, ...) and any GPU backend are separate libraries that nothing loads
// until asked, and ggml's own default looks for them beside the executable, not beside
// libllama. ggml_backend_load_all_from_path loads the best variant of each from libllama's
// folder. A build with its backends linked in has them registered already, and then nothing
// is loaded.
static int bt_load_backends(void *h, const char *path, char *err, size_t err_len) {
    size_t (*reg_count)(void) = (size_t (*)(void)) dlsym(h, "ggml_backend_reg_count");
    void (*load_all)(const char *) = (void (*)(const char *)) dlsym(h, "ggml_backend_load_all_from_path");
    if (!reg_count || !load_all || reg_count() > 0) {
        return 0;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
    } else {
        snprintf(dir, sizeof(dir), ".");
    }
    load_all(dir);
    if (reg_count() == 0) {
        snprintf(err, err_len, "%s: no ggml backend library (libggml-cpu*.so) in %s", path, dir);
        return 1;
    }
    return 0;
}

int bt_open(const char *path, char *err, size_t err_len) {
    if (bt_lib) {
        return 0;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        snprintf(err, err_len, "%s", dlerror());
        return 1;
    }
#define BT_RESOLVE(name)                                                         \
    p_##name = (__typeof__(name) *) dlsym(h, #name);                             \
    if (!p_##name) {                                                             \
        snprintf(err, err_len, "%s: symbol %s not found (not llama.cpp %s?)",    \
                 path, #name, "v0.5.0");                                         \
        dlclose(h);                                                              \
        return 1;                                                                \
    }
    BT_FUNCS(BT_RESOLVE)
#undef BT_RESOLVE
    // llama_context::get_sampled_token_ith(int), Itanium-mangled: a non-virtual member
    // takes the object as its first argument.
    p_sampled_token_nosync = (bt_sampled_token_fn) dlsym(h, "_ZN13llama_context21get_sampled_token_ithEi");
    p_llama_log_set(bt_log_cb, NULL);
    p_llama_backend_init();
    if (bt_load_backends(h, path, err, err_len) != 0) {
        // The handle stays open: llama.cpp's state is initialized and may not survive dlclose.
        return 1;
    }
    bt_lib = h;
    return 0;
}

int bt_sampled_token_nosync(void) { return p_sampled_token_nosync != NULL; }

int bt_device_count(void) { return (int) p_ggml_backend_dev_count(); }

int bt_device_get(int i, bt_device *out) {
    return bt_device_fill(p_ggml_backend_dev_get((size_t) i), out);
}

void *bt_lib_handle(void) { return bt_lib; }

int bt_device_fill(ggml_backend_dev_t d, bt_device *out) {
    if (!d) {
        return 1;
    }
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", p_ggml_backend_dev_name(d));
    snprintf(out->description, sizeof(out->description), "%s", p_ggml_backend_dev_description(d));
    out->type = (int) p_ggml_backend_dev_type(d);
    size_t free_mem = 0, total_mem = 0;
    p_ggml_backend_dev_memory(d, &free_mem, &total_mem);
    out->free_mem = free_mem;
    out->total_mem = total_mem;
    return 0;
}

const char *bt_system_info(void) { return p_llama_print_system_info(); }
int bt_supports_gpu_offload(void) { return p_llama_supports_gpu_offload() ? 1 : 0; }
int bt_max_devices(void) { return (int) p_llama_max_devices(); }

// ---- model ----

static _Atomic float bt_progress;
static atomic_int bt_abort;
// bt_ticks counts llama.cpp's calls into the callbacks below: while a model loads, and
// between the nodes of a graph the CPU backend computes. A backend process's heartbeat reads
// it to tell native code that works from native code that hangs.
static atomic_ullong bt_ticks;

static bool bt_progress_cb(float progress, void *user) {
    (void) user;
    atomic_fetch_add(&bt_ticks, 1);
    atomic_store(&bt_progress, progress);
    return !atomic_load(&bt_abort);
}

static bool bt_abort_cb(void *user) {
    (void) user;
    atomic_fetch_add(&bt_ticks, 1);
    return atomic_load(&bt_abort) != 0;
}

unsigned long long bt_ticks_get(void) { return atomic_load(&bt_ticks); }

float bt_load_progress(void) { return atomic_load(&bt_progress); }
void bt_request_abort(int on) { atomic_store(&bt_abort, on); }

struct llama_model *bt_load_model(const char *path, const bt_load_params *p) {
    struct llama_model_params mp = p_llama_model_default_params();
    mp.n_gpu_layers = p->n_gpu_layers;
    mp.split_mode = (enum llama_split_mode) p->split_mode;
    mp.main_gpu = p->main_gpu;
    mp.tensor_split = p->tensor_split;
    if (p->devices) {
        mp.devices = p->devices;
    }
    if (p->load_mode >= -1) {
        mp.load_mode = (enum llama_load_mode) p->load_mode;
    }
    mp.vocab_only = p->vocab_only != 0;
    mp.progress_callback = bt_progress_cb;
    mp.progress_callback_user_data = NULL;
    atomic_store(&bt_progress, 0.0f);
    return p_llama_model_load_from_file(path, mp);
}

void bt_model_info_get(const struct llama_model *m, int vocab_only, bt_model_info *out) {
    memset(out, 0, sizeof(*out));
    const struct llama_vocab *v = p_llama_model_get_vocab(m);
    out->n_vocab = p_llama_vocab_n_tokens(v);
    out->bos = p_llama_vocab_bos(v);
    out->eos = p_llama_vocab_eos(v);
    if (vocab_only) {
        // The other hyperparameters are not loaded (llama.cpp aborts when asked for them).
        return;
    }
    out->n_layer = p_llama_model_n_layer(m);
    out->n_embd = p_llama_model_n_embd(m);
    out->n_head = p_llama_model_n_head(m);
    out->n_head_kv = p_llama_model_n_head_kv(m);
    out->n_ctx_train = p_llama_model_n_ctx_train(m);
    out->n_params = p_llama_model_n_params(m);
    out->size_bytes = p_llama_model_size(m);
    p_llama_model_desc(m, out->desc, sizeof(out->desc));
}

int bt_model_meta(const struct llama_model *m, const char *key, char *buf, size_t len) {
    return p_llama_model_meta_val_str(m, key, buf, len);
}

void bt_model_free(struct llama_model *m) { p_llama_model_free(m); }

int32_t bt_tokenize(const struct llama_model *m, const char *text, int32_t text_len,
                    int32_t *out, int32_t cap, int32_t add_special, int32_t parse_special) {
    const struct llama_vocab *v = p_llama_model_get_vocab(m);
    return p_llama_tokenize(v, text, text_len, out, cap, add_special != 0, parse_special != 0);
}

// ---- batched greedy sampling on the backend ----
//
// llama.cpp's greedy sampler runs one argmax per output row, each its own small kernel that
// reads a whole vocabulary row; at hundreds of sequences those launches cost more than the
// logits copy they avoid. This sampler gives every sequence the same shared state: the first
// sequence whose rows are sampled in a graph adds one argmax over all rows of the logits
// matrix, and every row's sampled token is a one-element view into that result.
//
// llama.cpp then copies each row's token to the host on its own (a 4-byte device-to-host copy
// per sequence and step). In a decode step whose outputs all sit in one micro-batch, in batch
// order (every token an output, no more tokens than n_ubatch), the sampler instead hands the
// whole argmax vector to llama.cpp as the first row's "candidates": one copy a step, which
// bt_step reads in order. Other steps keep the per-row views. BENCHTUI_SAMPLED_COPY=rows keeps
// the per-row copies everywhere (to compare the two).

typedef struct bt_batch_greedy {
    struct ggml_tensor *src; // the logits matrix of the graph being built
    struct ggml_tensor *all; // argmax over all of its rows
    int one_copy;            // set by bt_step for the step being decoded (see above)
} bt_batch_greedy;

static const char *bg_name(const struct llama_sampler *s) {
    (void) s;
    return "benchtui-batched-greedy";
}

// bg_apply is the CPU path (never used while backend sampling works): plain greedy.
static void bg_apply(struct llama_sampler *s, llama_token_data_array *cur) {
    (void) s;
    size_t best = 0;
    for (size_t i = 1; i < cur->size; i++) {
        if (cur->data[i].logit > cur->data[best].logit) {
            best = i;
        }
    }
    cur->selected = (int64_t) best;
}

static bool bg_backend_init(struct llama_sampler *s, ggml_backend_buffer_type_t buft, uint32_t n) {
    (void) s; (void) buft; (void) n;
    return true;
}

static void bg_backend_apply(struct llama_sampler *s, struct ggml_context *ctx, struct ggml_cgraph *gf,
                             struct llama_sampler_data *data) {
    (void) gf;
    bt_batch_greedy *g = (bt_batch_greedy *) s->ctx;
    struct ggml_tensor *row = data->logits;
    // llama.cpp copies to the host every output row whose sampler leaves data->logits set
    // (a vocabulary of floats per row): greedy sampling needs only the token.
    data->logits = NULL;
    struct ggml_tensor *src = row->view_src;
    if (!src || src->ne[0] != row->ne[0] || src->nb[1] == 0 || row->view_offs % src->nb[1] != 0) {
        // Not a row of a logits matrix (llama.cpp's probe graph): argmax this row alone.
        data->sampled = p_ggml_argmax(ctx, row);
        return;
    }
    if (g->src != src) {
        g->src = src;
        g->all = p_ggml_argmax(ctx, src);
    }
    size_t r = row->view_offs / src->nb[1];
    // A candidates row holds at most a vocabulary's worth of tokens; the argmax vector has
    // one entry per output row plus llama.cpp's padding row.
    if (g->one_copy && src->ne[1] <= src->ne[0]) {
        if (r == 0) {
            data->candidates = g->all;
        }
        return;
    }
    data->sampled = p_ggml_view_1d(ctx, g->all, 1, r * p_ggml_element_size(g->all));
}

static void bg_backend_reset(struct llama_sampler *s) {
    bt_batch_greedy *g = (bt_batch_greedy *) s->ctx;
    g->src = NULL;
    g->all = NULL;
}

static struct llama_sampler_i bg_iface = {
    /* .name              = */ bg_name,
    /* .accept            = */ NULL,
    /* .apply             = */ bg_apply,
    /* .reset             = */ NULL,
    /* .clone             = */ NULL,
    /* .free              = */ NULL, // the shared state belongs to bt_state
    /* .backend_init      = */ bg_backend_init,
    /* .backend_accept    = */ NULL,
    /* .backend_apply     = */ bg_backend_apply,
    /* .backend_set_input = */ NULL,
    /* .backend_reset     = */ bg_backend_reset,
    /* .copy_state        = */ NULL,
};

// ---- context and decode loop ----

struct bt_state {
    struct llama_context *ctx;
    struct llama_batch batch;
    int32_t batch_cap;
    struct llama_sampler **chains;   // one greedy chain per sequence (backend sampling)
    struct llama_sampler_seq_config *configs;
    uint32_t n_chains;
    bt_batch_greedy shared;          // state shared by all chains' batched greedy samplers
    int32_t n_vocab;
    struct ggml_threadpool *pool;    // CPU threads kept for the context's life
    void (*pool_free)(struct ggml_threadpool *);
    int sampled_rows;                // BENCHTUI_SAMPLED_COPY=rows: never one copy a step
    uint32_t n_ubatch;
    bt_profile prof;                 // step timings, kept when BENCHTUI_PROFILE is set
    int profiling;
    uint64_t last_end_ns;            // when the previous bt_step returned
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

void bt_profile_get(const bt_state *st, bt_profile *out) {
    *out = st->prof;
    if (st->ctx) {
        out->graphs_reused = p_llama_perf_context(st->ctx).n_reused;
    }
}

// print_profile writes the step timings into llama.cpp's log stream, at warning level: the
// backend process echoes those to its stderr (the log file, and the terminal with --verbose);
// in process they reach stderr only with --verbose, never the dashboard's screen.
static void print_profile(const bt_state *st) {
    bt_profile p;
    bt_profile_get(st, &p);
    char line[512];
    for (int k = 0; k < 2; k++) {
        const bt_profile_part *q = k == 0 ? &p.decode : &p.mixed;
        if (q->steps == 0) {
            continue;
        }
        double n = (double) q->steps;
        snprintf(line, sizeof(line),
                 "benchtui profile: %s steps %llu (%.1f tokens/step): llama_decode call %.3f ms, GPU wait %.3f ms, "
                 "token read %.3f ms, outside bt_step %.3f ms per step\n",
                 k == 0 ? "decode-only" : "prefill", (unsigned long long) q->steps, (double) q->tokens / n,
                 (double) q->decode_ns / n / 1e6, (double) q->wait_ns / n / 1e6, (double) q->read_ns / n / 1e6,
                 (double) q->gap_ns / n / 1e6);
        bt_log_cb(GGML_LOG_LEVEL_WARN, line, NULL);
    }
    snprintf(line, sizeof(line), "benchtui profile: graphs reused %d, micro-batches read in one copy %llu\n",
             p.graphs_reused, (unsigned long long) p.one_copy_reads);
    bt_log_cb(GGML_LOG_LEVEL_WARN, line, NULL);
}

// argmax is greedy sampling on logits already in host memory (the CPU backend's case): a plain
// scan, far cheaper than building llama.cpp's candidate array for every row. On x86 it runs in
// two SSE passes, the maximum over 16-float blocks and then the first block holding it, which
// is several times faster than a branchy one-pass scan; at batch 64 over a 128k vocabulary
// that is a visible share of a CPU decode step. Ties go to the lowest index either way.
static llama_token argmax(const float *v, int32_t n) {
    float m = v[0];
    int32_t i = 0;
#if defined(__SSE2__)
    int32_t nb = n & ~15;
    if (nb > 0) {
        __m128 a = _mm_loadu_ps(v), b = _mm_loadu_ps(v + 4);
        __m128 c = _mm_loadu_ps(v + 8), d = _mm_loadu_ps(v + 12);
        for (i = 16; i < nb; i += 16) {
            a = _mm_max_ps(a, _mm_loadu_ps(v + i));
            b = _mm_max_ps(b, _mm_loadu_ps(v + i + 4));
            c = _mm_max_ps(c, _mm_loadu_ps(v + i + 8));
            d = _mm_max_ps(d, _mm_loadu_ps(v + i + 12));
        }
        float lanes[4];
        _mm_storeu_ps(lanes, _mm_max_ps(_mm_max_ps(a, b), _mm_max_ps(c, d)));
        m = lanes[0];
        for (int k = 1; k < 4; k++) {
            m = lanes[k] > m ? lanes[k] : m;
        }
    }
#endif
    for (; i < n; i++) {
        m = v[i] > m ? v[i] : m;
    }
    i = 0;
#if defined(__SSE2__)
    const __m128 mv = _mm_set1_ps(m);
    for (; i + 16 <= n; i += 16) {
        __m128 e = _mm_or_ps(_mm_or_ps(_mm_cmpeq_ps(_mm_loadu_ps(v + i), mv), _mm_cmpeq_ps(_mm_loadu_ps(v + i + 4), mv)),
                             _mm_or_ps(_mm_cmpeq_ps(_mm_loadu_ps(v + i + 8), mv), _mm_cmpeq_ps(_mm_loadu_ps(v + i + 12), mv)));
        if (_mm_movemask_ps(e)) {
            break;
        }
    }
#endif
    for (; i < n; i++) {
        if (v[i] == m) {
            return i;
        }
    }
    return 0;
}

void bt_state_free(bt_state *st) {
    if (!st) {
        return;
    }
    if (st->profiling && st->ctx) {
        print_profile(st);
    }
    if (st->ctx) {
        p_llama_free(st->ctx);
    }
    if (st->pool && st->pool_free) {
        st->pool_free(st->pool);
    }
#if defined(__GLIBC__)
    // A context holds many mid-sized allocations; glibc keeps freed ones in its arenas, and a
    // session that recreates its context for every run shape grew by about 3 MB a run
    // (scripts/soak). Trimming gives them back.
    malloc_trim(0);
#endif
    if (st->batch_cap > 0) {
        p_llama_batch_free(st->batch);
    }
    for (uint32_t i = 0; i < st->n_chains; i++) {
        p_llama_sampler_free(st->chains[i]);
    }
    free(st->chains);
    free(st->configs);
    free(st);
}

// attach_threadpool gives the context a CPU threadpool of its own, as llama.cpp's tools do
// (common_threadpools): without one, ggml makes and frees a throwaway pool on every graph
// computation. Where the CPU backend has no threadpool API (or threads differ between
// prompt and decode), the context keeps ggml's default.
static void attach_threadpool(bt_state *st, const bt_ctx_params *p) {
    int n = p->n_threads;
    if (n <= 0 || (p->n_threads_batch > 0 && p->n_threads_batch != n)) {
        return;
    }
    ggml_backend_dev_t cpu = p_ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    if (!cpu) {
        return;
    }
    ggml_backend_reg_t reg = p_ggml_backend_dev_backend_reg(cpu);
    struct ggml_threadpool *(*pool_new)(struct ggml_threadpool_params *) =
        (struct ggml_threadpool *(*)(struct ggml_threadpool_params *)) p_ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new");
    void (*pool_free)(struct ggml_threadpool *) =
        (void (*)(struct ggml_threadpool *)) p_ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_free");
    if (!pool_new || !pool_free) {
        return;
    }
    struct ggml_threadpool_params tpp = p_ggml_threadpool_params_default(n);
    st->pool = pool_new(&tpp);
    if (!st->pool) {
        return;
    }
    st->pool_free = pool_free;
    p_llama_attach_threadpool(st->ctx, st->pool, NULL);
}

bt_state *bt_state_new(struct llama_model *m, const bt_ctx_params *p, bt_ctx_info *info) {
    bt_state *st = calloc(1, sizeof(bt_state));
    if (!st) {
        return NULL;
    }
    struct llama_context_params cp = p_llama_context_default_params();
    cp.n_ctx = p->n_ctx;
    cp.n_batch = p->n_batch;
    cp.n_ubatch = p->n_ubatch;
    cp.n_seq_max = p->n_seq_max;
    cp.n_threads = p->n_threads;
    cp.n_threads_batch = p->n_threads_batch;
    cp.flash_attn_type = (enum llama_flash_attn_type) p->flash_attn;
    if (p->type_k >= 0) {
        cp.type_k = (enum ggml_type) p->type_k;
    }
    if (p->type_v >= 0) {
        cp.type_v = (enum ggml_type) p->type_v;
    }
    cp.kv_unified = p->kv_unified != 0;
    cp.offload_kqv = p->offload_kqv != 0;
    cp.no_perf = true;
    // benchtui asks for at most one output row per sequence in a step (the last prompt token,
    // or the one decoded token). llama.cpp reserves its compute buffer for a worst-case graph
    // with n_outputs_max vocabulary-wide logits rows (n_batch by default, capped at n_ubatch):
    // bounding it by n_seq_max shrank the small preset's buffer at batch 16 from 64.5 to
    // 13.3 MiB, and saves hundreds of MiB of GPU memory with a 128k vocabulary.
    cp.n_outputs_max = p->n_seq_max < p->n_batch ? p->n_seq_max : p->n_batch;
    cp.n_outputs_max_per_seq = 1;
    cp.abort_callback = bt_abort_cb;
    cp.abort_callback_data = NULL;
    if (p->backend_sampling) {
        st->n_chains = p->n_seq_max;
        st->chains = calloc(st->n_chains, sizeof(*st->chains));
        st->configs = calloc(st->n_chains, sizeof(*st->configs));
        if (!st->chains || !st->configs) {
            bt_state_free(st);
            return NULL;
        }
        for (uint32_t i = 0; i < st->n_chains; i++) {
            struct llama_sampler *chain = p_llama_sampler_chain_init(p_llama_sampler_chain_default_params());
            p_llama_sampler_chain_add(chain, p_llama_sampler_init(&bg_iface, &st->shared));
            st->chains[i] = chain;
            st->configs[i].seq_id = (llama_seq_id) i;
            st->configs[i].sampler = chain;
        }
        cp.samplers = st->configs;
        cp.n_samplers = st->n_chains;
    }
    st->ctx = p_llama_init_from_model(m, cp);
    if (!st->ctx) {
        bt_state_free(st);
        return NULL;
    }
    attach_threadpool(st, p);
    const char *copy = getenv("BENCHTUI_SAMPLED_COPY");
    st->sampled_rows = copy && strcmp(copy, "rows") == 0;
    st->n_ubatch = p_llama_n_ubatch(st->ctx);
    const char *prof = getenv("BENCHTUI_PROFILE");
    st->profiling = prof && *prof && strcmp(prof, "0") != 0;
    st->n_vocab = p_llama_vocab_n_tokens(p_llama_model_get_vocab(m));
    st->batch = p_llama_batch_init((int32_t) p->n_batch, 0, 1);
    st->batch_cap = (int32_t) p->n_batch;
    info->n_ctx = p_llama_n_ctx(st->ctx);
    info->n_ctx_seq = p_llama_n_ctx_seq(st->ctx);
    info->n_batch = p_llama_n_batch(st->ctx);
    info->n_ubatch = p_llama_n_ubatch(st->ctx);
    info->n_seq_max = p_llama_n_seq_max(st->ctx);
    info->backend_sampling = p->backend_sampling ? 1 : 0;
    return st;
}

int32_t bt_step(bt_state *st,
                int32_t n_free, const int32_t *free_seqs,
                int32_t n_move, const int32_t *move_src, const int32_t *move_dst,
                int32_t n_tokens, const int32_t *tokens, const int32_t *pos,
                const int32_t *seqs, const int8_t *logits,
                int32_t *out, int32_t n_out) {
    // A failing step's error message is then the only thing in the log buffer.
    bt_log_clear();
    const uint64_t t0 = st->profiling ? now_ns() : 0;
    llama_memory_t mem = p_llama_get_memory(st->ctx);
    for (int32_t i = 0; i < n_free; i++) {
        p_llama_memory_seq_rm(mem, free_seqs[i], -1, -1);
    }
    // With one KV stream per sequence the copy moves the stream's buffer; llama.cpp performs
    // it at the start of the next llama_decode, before that batch writes anything.
    for (int32_t i = 0; i < n_move; i++) {
        p_llama_memory_seq_cp(mem, move_src[i], move_dst[i], -1, -1);
        p_llama_memory_seq_rm(mem, move_src[i], -1, -1);
    }
    if (n_tokens == 0) {
        return 0;
    }
    if (n_tokens > st->batch_cap) {
        return -1;
    }
    struct llama_batch *b = &st->batch;
    memcpy(b->token, tokens, sizeof(int32_t) * (size_t) n_tokens);
    memcpy(b->pos, pos, sizeof(int32_t) * (size_t) n_tokens);
    memcpy(b->logits, logits, sizeof(int8_t) * (size_t) n_tokens);
    for (int32_t i = 0; i < n_tokens; i++) {
        b->n_seq_id[i] = 1;
        b->seq_id[i][0] = seqs[i];
    }
    b->n_tokens = n_tokens;
    // One copy of the sampled tokens when every token is an output and the step is one
    // micro-batch: its output rows are then the batch's, in order.
    st->shared.one_copy = st->n_chains > 0 && !st->sampled_rows && n_tokens == n_out &&
                          (uint32_t) n_tokens <= st->n_ubatch;
    int32_t rc = p_llama_decode(st->ctx, *b);
    if (rc != 0) {
        return rc;
    }
    // llama_decode returns once the work is queued: one synchronization waits for the device
    // (timed apart when profiling), and the reads below need no other.
    const uint64_t t1 = st->profiling ? now_ns() : 0;
    p_llama_synchronize(st->ctx);
    const uint64_t t2 = st->profiling ? now_ns() : 0;
    const int nosync = st->n_chains > 0 && p_sampled_token_nosync != NULL;
    // Outputs are read in batch order. A micro-batch sampled with one copy has no per-row
    // tokens: its first output's candidates row holds the argmax vector (one entry per output
    // row of the micro-batch, plus a padding row), and the micro-batch's next outputs take the
    // next entries. Its rows are in batch order: that is when bt_step asks for one copy, and a
    // graph reused from such a step has the same layout.
    const llama_token *base = NULL;
    uint32_t base_n = 0, j = 0;
    int32_t k = 0;
    for (int32_t i = 0; i < n_tokens && k < n_out; i++) {
        if (!logits[i]) {
            continue;
        }
        llama_token t = LLAMA_TOKEN_NULL;
        if (base && j + 1 < base_n) {
            t = base[j++];
        } else {
            base = NULL;
            if (nosync) {
                t = p_sampled_token_nosync(st->ctx, i);
            } else if (st->n_chains > 0) {
                t = p_llama_get_sampled_token_ith(st->ctx, i);
            }
            if (t == LLAMA_TOKEN_NULL && st->n_chains > 0) {
                uint32_t n = p_llama_get_sampled_candidates_count_ith(st->ctx, i);
                if (n > 1) {
                    st->prof.one_copy_reads++;
                    base = p_llama_get_sampled_candidates_ith(st->ctx, i);
                    base_n = n;
                    j = 0;
                    t = base[j++];
                }
            }
        }
        if (t == LLAMA_TOKEN_NULL) {
            const float *lg = p_llama_get_logits_ith(st->ctx, i);
            if (!lg) {
                return -100;
            }
            t = argmax(lg, st->n_vocab);
        }
        if (t < 0 || t >= st->n_vocab) {
            return -100;
        }
        out[k++] = t;
    }
    if (st->profiling) {
        const uint64_t t3 = now_ns();
        bt_profile_part *q = n_tokens == n_out ? &st->prof.decode : &st->prof.mixed;
        q->steps++;
        q->tokens += (uint64_t) n_tokens;
        q->decode_ns += t1 - t0;
        q->wait_ns += t2 - t1;
        q->read_ns += t3 - t2;
        if (st->last_end_ns) {
            q->gap_ns += t0 - st->last_end_ns;
        }
        st->last_end_ns = t3;
    }
    return 0;
}

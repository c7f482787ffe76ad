// shim.h: the C side of benchtui's llama.cpp backend.
//
// libllama is opened at run time with dlopen, so benchtui builds and starts without it and can
// say clearly which library is missing, and so one binary can run on the CPU or the CUDA build
// of the same llama.cpp release. Every llama.cpp function benchtui calls goes through the
// function table below; one decode step (free finished sequences, fill the batch, decode,
// read the sampled tokens) is one call of bt_step.
#ifndef BENCHTUI_SHIM_H
#define BENCHTUI_SHIM_H

// The headers are those of the pinned release, in include/ (see include/README.md).
#include "llama.h"

#include <stdint.h>
#include <stddef.h>

// bt_open loads libllama from path. On failure it returns non-zero and fills err.
int bt_open(const char *path, char *err, size_t err_len);

// bt_log_configure sets whether llama.cpp's log lines are echoed to stderr; they are always
// kept in a ring buffer whose tail bt_log_tail returns (for error messages).
void bt_log_configure(int echo_stderr, int min_level);
size_t bt_log_tail(char *buf, size_t len, int max_lines);
// bt_log_clear empties the ring buffer, so that a later tail shows one operation's lines.
void bt_log_clear(void);
void bt_log_echo_warnings(int on);
void bt_fault(int kind);

// bt_sampled_token_nosync says whether sampled tokens are read with one synchronization a
// step (libllama exports the member function behind llama_get_sampled_token_ith).
int bt_sampled_token_nosync(void);

typedef struct bt_device {
    char name[128];
    char description[256];
    int type;          // ggml_backend_dev_type
    uint64_t free_mem;
    uint64_t total_mem;
} bt_device;

int bt_device_count(void);
int bt_device_get(int i, bt_device *out);
int bt_device_fill(ggml_backend_dev_t d, bt_device *out);
// bt_lib_handle is libllama's dlopen handle (NULL before bt_open), for rpc.c.
void *bt_lib_handle(void);

typedef struct bt_load_params {
    int32_t n_gpu_layers;
    int32_t split_mode;
    int32_t main_gpu;
    const float *tensor_split;   // NULL or llama_max_devices() floats
    ggml_backend_dev_t *devices; // NULL-terminated devices to load on; NULL: llama.cpp's choice
    int32_t load_mode;           // llama_load_mode; < -1 keeps llama.cpp's default
    int32_t vocab_only;
} bt_load_params;

typedef struct bt_ctx_params {
    uint32_t n_ctx;
    uint32_t n_batch;
    uint32_t n_ubatch;
    uint32_t n_seq_max;
    int32_t n_threads;
    int32_t n_threads_batch;
    int32_t flash_attn;         // llama_flash_attn_type
    int32_t type_k;             // ggml_type, -1 = default
    int32_t type_v;
    int32_t kv_unified;
    int32_t offload_kqv;
    int32_t backend_sampling;   // 1: greedy sampler chains run inside the graph
} bt_ctx_params;

typedef struct bt_model_info {
    int32_t n_vocab;
    int32_t n_layer;
    int32_t n_embd;
    int32_t n_head;
    int32_t n_head_kv;
    int32_t n_ctx_train;
    int32_t bos;
    int32_t eos;
    uint64_t n_params;
    uint64_t size_bytes;
    char desc[256];
} bt_model_info;

typedef struct bt_ctx_info {
    uint32_t n_ctx;
    uint32_t n_ctx_seq;
    uint32_t n_batch;
    uint32_t n_ubatch;
    uint32_t n_seq_max;
    int32_t backend_sampling;   // 1 when every sequence's sampler was offloaded
} bt_ctx_info;

typedef struct bt_state bt_state;

// Step timings, collected when BENCHTUI_PROFILE is set in the environment and written to
// llama.cpp's log stream (as warnings) when the context is freed. Decode-only steps (every token an output) and steps with
// prompt tokens are counted apart.
typedef struct bt_profile_part {
    uint64_t steps;
    uint64_t tokens;
    uint64_t decode_ns;  // inside llama_decode (building, queueing the graph)
    uint64_t wait_ns;    // llama_synchronize after it: the device finishing the step
    uint64_t read_ns;    // reading the sampled tokens or the logits
    uint64_t gap_ns;     // between the previous bt_step's return and this one's start
} bt_profile_part;

typedef struct bt_profile {
    bt_profile_part decode;
    bt_profile_part mixed;
    int32_t graphs_reused;
    uint64_t one_copy_reads;  // micro-batches whose sampled tokens came in one copy (always counted)
} bt_profile;

void bt_profile_get(const bt_state *st, bt_profile *out);

// bt_load_model loads a model; progress (0..1) is published through bt_load_progress and the
// load stops early when bt_request_abort was called.
struct llama_model *bt_load_model(const char *path, const bt_load_params *p);
float bt_load_progress(void);
void bt_request_abort(int on);
// bt_ticks_get counts llama.cpp's calls into benchtui's load and abort callbacks.
unsigned long long bt_ticks_get(void);

// bt_model_info_get fills out; with vocab_only only the vocabulary fields are set.
void bt_model_info_get(const struct llama_model *m, int vocab_only, bt_model_info *out);
int bt_model_meta(const struct llama_model *m, const char *key, char *buf, size_t len);
void bt_model_free(struct llama_model *m);

bt_state *bt_state_new(struct llama_model *m, const bt_ctx_params *p, bt_ctx_info *info);
void bt_state_free(bt_state *st);

// bt_step frees the KV cells of n_free sequences, renumbers n_move sequences (move_src[i]
// becomes move_dst[i]), decodes n_tokens tokens and writes one sampled token per output row
// (rows whose logits flag is set, in batch order) to out. It returns llama_decode's status
// (0 = success) or -100 for a sampling failure.
int32_t bt_step(bt_state *st,
                int32_t n_free, const int32_t *free_seqs,
                int32_t n_move, const int32_t *move_src, const int32_t *move_dst,
                int32_t n_tokens, const int32_t *tokens, const int32_t *pos,
                const int32_t *seqs, const int8_t *logits,
                int32_t *out, int32_t n_out);

// bt_tokenize tokenizes text; returns the token count, or -needed when cap is too small.
int32_t bt_tokenize(const struct llama_model *m, const char *text, int32_t text_len,
                    int32_t *out, int32_t cap, int32_t add_special, int32_t parse_special);

const char *bt_system_info(void);
int bt_supports_gpu_offload(void);
int bt_max_devices(void);

#endif

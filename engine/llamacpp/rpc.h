// rpc.h: llama.cpp's RPC backend for benchtui (see rpc.c).
#ifndef BENCHTUI_RPC_H
#define BENCHTUI_RPC_H

#include "shim.h"

// bt_rpc_add connects llama.cpp to the RPC server at endpoint (host:port) and keeps its
// devices for bt_rpc_model_devices; a server added before is not connected again. With
// probe_on_abort, a failure of llama.cpp's RPC client makes benchtui find which server no
// longer accepts connections (used when llama.cpp connects to servers directly; through
// benchtui's relay the relay names it, see bt_rpc_note). It returns the server's index, or
// -1 and fills err.
int bt_rpc_add(const char *endpoint, int probe_on_abort, char *err, size_t err_len);
int bt_rpc_device_count(int server);
int bt_rpc_device_get(int server, int i, bt_device *out);

// bt_rpc_model_devices writes the devices a model spread over the given servers is loaded
// on, NULL-terminated, into out (cap entries with the NULL): the servers' devices in order,
// then the local GPUs, as llama.cpp's default device selection orders them. It returns the
// count without the NULL.
int bt_rpc_model_devices(const int32_t *servers, int n, ggml_backend_dev_t *out, int cap);

// bt_rpc_note keeps the one line that names a failed server, printed if ggml then aborts.
void bt_rpc_note(const char *line);

#endif

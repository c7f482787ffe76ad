// rpc.c: llama.cpp's RPC backend for benchtui: connecting to RPC servers, the device list
// a model spread over them is loaded on, and the one line that names a server that failed.
//
// llama.cpp's RPC client aborts the process when a server goes away (ggml-rpc.cpp,
// RPC_STATUS_ASSERT: "Remote RPC server crashed or returned malformed response"), without
// saying which server. benchtui installs a ggml abort callback that prints that message and
// then a line naming the server: the one benchtui's relay saw fail (bt_rpc_note), or, when
// llama.cpp talks to the servers directly, the one that no longer accepts connections.
#include "rpc.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void *bt_lib_handle(void);
int bt_device_fill(ggml_backend_dev_t d, bt_device *out);

typedef ggml_backend_reg_t (*bt_add_server_fn)(const char *endpoint);

static struct {
    __typeof__(ggml_backend_reg_by_name) *reg_by_name;
    __typeof__(ggml_backend_reg_get_proc_address) *reg_get_proc_address;
    __typeof__(ggml_backend_reg_dev_count) *reg_dev_count;
    __typeof__(ggml_backend_reg_dev_get) *reg_dev_get;
    __typeof__(ggml_backend_reg_name) *reg_name;
    __typeof__(ggml_backend_dev_count) *dev_count;
    __typeof__(ggml_backend_dev_get) *dev_get;
    __typeof__(ggml_backend_dev_type) *dev_type;
    __typeof__(ggml_backend_dev_backend_reg) *dev_backend_reg;
    __typeof__(ggml_set_abort_callback) *set_abort_callback;
    void (*print_backtrace)(void);
    bt_add_server_fn add_server;
    int ready;
} R;

#define BT_RPC_MAX 16 // GGML_RPC_MAX_SERVERS

static struct {
    char endpoint[256];
    ggml_backend_reg_t reg;
    int probe;
} servers[BT_RPC_MAX];
static int n_servers;
static pthread_mutex_t rpc_mu = PTHREAD_MUTEX_INITIALIZER;

static char note[512];
static atomic_int have_note;

void bt_rpc_note(const char *line) {
    if (atomic_load(&have_note)) {
        return; // the first failure is the cause; later ones follow from it
    }
    snprintf(note, sizeof(note), "%s", line);
    atomic_store(&have_note, 1);
}

// reachable reports whether a TCP connection to endpoint succeeds within half a second.
static int reachable(const char *endpoint) {
    char host[256];
    snprintf(host, sizeof(host), "%s", endpoint);
    char *colon = strrchr(host, ':');
    if (!colon) {
        return 0;
    }
    *colon = 0;
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai) {
        return 0;
    }
    int ok = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc == 0) {
            ok = 1;
        } else if (errno == EINPROGRESS) {
            struct pollfd p = {fd, POLLOUT, 0};
            if (poll(&p, 1, 500) == 1) {
                int e = 0;
                socklen_t l = sizeof(e);
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
                ok = e == 0;
            }
        }
        close(fd);
    }
    freeaddrinfo(ai);
    return ok;
}

static void rpc_abort_cb(const char *message) {
    fprintf(stderr, "%s\n", message);
    if (!strstr(message, "ggml-rpc") && !strstr(message, "RPC")) {
        if (R.print_backtrace) {
            R.print_backtrace();
        }
        fflush(stderr);
        return;
    }
    if (atomic_load(&have_note)) {
        fprintf(stderr, "%s\n", note);
        fflush(stderr);
        return;
    }
    // A server that was killed may close our connection a moment before its listening
    // socket: one that accepts is asked again after a pause.
    int found = 0;
    for (int pass = 0; pass < 2 && !found; pass++) {
        if (pass == 1) {
            usleep(200 * 1000);
        }
        for (int i = 0; i < n_servers; i++) {
            if (servers[i].probe && !reachable(servers[i].endpoint)) {
                fprintf(stderr, "RPC server %s closed the connection and accepts no new one (is its rpc-server still running?)\n",
                        servers[i].endpoint);
                found = 1;
                break;
            }
        }
    }
    if (!found) {
        fprintf(stderr, "RPC server failed: llama.cpp's RPC client lost a server without saying which (with --rpc_measure, the default, benchtui names it)\n");
    }
    fflush(stderr);
}

#define BT_RPC_RESOLVE(field, name)                                              \
    R.field = (__typeof__(R.field)) dlsym(h, name);                              \
    if (!R.field) {                                                              \
        snprintf(err, err_len, "llama.cpp library has no %s", name);             \
        return -1;                                                               \
    }

static int rpc_init(char *err, size_t err_len) {
    if (R.ready) {
        return 0;
    }
    void *h = bt_lib_handle();
    if (!h) {
        snprintf(err, err_len, "llama.cpp library not loaded");
        return -1;
    }
    BT_RPC_RESOLVE(reg_by_name, "ggml_backend_reg_by_name")
    BT_RPC_RESOLVE(reg_get_proc_address, "ggml_backend_reg_get_proc_address")
    BT_RPC_RESOLVE(reg_dev_count, "ggml_backend_reg_dev_count")
    BT_RPC_RESOLVE(reg_dev_get, "ggml_backend_reg_dev_get")
    BT_RPC_RESOLVE(reg_name, "ggml_backend_reg_name")
    BT_RPC_RESOLVE(dev_count, "ggml_backend_dev_count")
    BT_RPC_RESOLVE(dev_get, "ggml_backend_dev_get")
    BT_RPC_RESOLVE(dev_type, "ggml_backend_dev_type")
    BT_RPC_RESOLVE(dev_backend_reg, "ggml_backend_dev_backend_reg")
    R.set_abort_callback = (__typeof__(R.set_abort_callback)) dlsym(h, "ggml_set_abort_callback");
    R.print_backtrace = (void (*)(void)) dlsym(h, "ggml_print_backtrace");
    ggml_backend_reg_t reg = R.reg_by_name("RPC");
    if (!reg) {
        snprintf(err, err_len, "this llama.cpp build has no RPC backend: build it with -DGGML_RPC=ON (scripts/setup-llama.sh does)");
        return -1;
    }
    R.add_server = (bt_add_server_fn) R.reg_get_proc_address(reg, "ggml_backend_rpc_add_server");
    if (!R.add_server) {
        snprintf(err, err_len, "llama.cpp's RPC backend has no ggml_backend_rpc_add_server");
        return -1;
    }
    if (R.set_abort_callback) {
        R.set_abort_callback(rpc_abort_cb);
    }
    R.ready = 1;
    return 0;
}

int bt_rpc_add(const char *endpoint, int probe_on_abort, char *err, size_t err_len) {
    pthread_mutex_lock(&rpc_mu);
    int idx = -1;
    if (rpc_init(err, err_len) != 0) {
        goto out;
    }
    for (int i = 0; i < n_servers; i++) {
        if (strcmp(servers[i].endpoint, endpoint) == 0) {
            idx = i;
            goto out;
        }
    }
    if (n_servers == BT_RPC_MAX) {
        snprintf(err, err_len, "llama.cpp takes at most %d RPC servers", BT_RPC_MAX);
        goto out;
    }
    // Registered so that the abort callback can probe it should the connection fail.
    snprintf(servers[n_servers].endpoint, sizeof(servers[n_servers].endpoint), "%s", endpoint);
    servers[n_servers].probe = probe_on_abort;
    servers[n_servers].reg = NULL;
    n_servers++;
    ggml_backend_reg_t reg = R.add_server(endpoint);
    if (!reg) {
        n_servers--;
        snprintf(err, err_len, "RPC server %s lends no device", endpoint);
        goto out;
    }
    servers[n_servers - 1].reg = reg;
    idx = n_servers - 1;
out:
    pthread_mutex_unlock(&rpc_mu);
    return idx;
}

int bt_rpc_device_count(int server) {
    if (server < 0 || server >= n_servers || !servers[server].reg) {
        return 0;
    }
    return (int) R.reg_dev_count(servers[server].reg);
}

int bt_rpc_device_get(int server, int i, bt_device *out) {
    if (i < 0 || i >= bt_rpc_device_count(server)) {
        return 1;
    }
    return bt_device_fill(R.reg_dev_get(servers[server].reg, (size_t) i), out);
}

int bt_rpc_model_devices(const int32_t *ids, int n, ggml_backend_dev_t *out, int cap) {
    int k = 0;
    for (int s = 0; s < n; s++) {
        int nd = bt_rpc_device_count(ids[s]);
        for (int j = 0; j < nd && k < cap - 1; j++) {
            out[k++] = R.reg_dev_get(servers[ids[s]].reg, (size_t) j);
        }
    }
    // Then this machine's GPUs (integrated ones only when there is no discrete one), as
    // llama.cpp's default selection adds them after the RPC servers.
    int gpus = 0;
    for (size_t i = 0; i < R.dev_count() && k < cap - 1; i++) {
        ggml_backend_dev_t d = R.dev_get(i);
        if (R.dev_type(d) == GGML_BACKEND_DEVICE_TYPE_GPU && strcmp(R.reg_name(R.dev_backend_reg(d)), "RPC") != 0) {
            out[k++] = d;
            gpus++;
        }
    }
    if (gpus == 0) {
        ggml_backend_reg_t first = NULL;
        for (size_t i = 0; i < R.dev_count() && k < cap - 1; i++) {
            ggml_backend_dev_t d = R.dev_get(i);
            if (R.dev_type(d) == GGML_BACKEND_DEVICE_TYPE_IGPU &&
                (!first || R.dev_backend_reg(d) == first)) {
                first = R.dev_backend_reg(d);
                out[k++] = d;
            }
        }
    }
    out[k] = NULL;
    return k;
}

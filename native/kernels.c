/*
 * Native kernels for training and sampling on the CPU (model/native.ts builds and loads this file; docs/tfjs-on-cpu.md
 * has the measurements). Matrix products go to OpenBLAS's cblas_sgemm, which is opened with dlopen at run time so
 * that this file compiles with nothing but a C compiler and Node's API headers, and a machine without OpenBLAS gets
 * a clear message instead of a failed build. The other kernels are the fused forward and backward passes of the
 * GPT's parts (linear, LayerNorm, GELU, causal attention, cross-entropy) and AdamW.
 *
 * Tensors live in the WebAssembly backend's heap: each kernel takes the heap (an ArrayBuffer) and byte offsets into
 * it, so no data is copied. AdamW and gradient clipping take the host loop's Float32Arrays. Every loop is written
 * in a fixed order without threads, so a kernel gives the same bits on every run.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>

/* CBLAS's enum values, declared here so that no cblas.h is needed to build. */
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
typedef void (*sgemm_fn)(int order, int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                         const float *B, int ldb, float beta, float *C, int ldc);
typedef void (*set_threads_fn)(int);
typedef char *(*text_fn)(void);

static sgemm_fn sgemm;
static set_threads_fn set_threads;
static text_fn blas_config, blas_corename;

#define MAX_ARGS 16
#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) return fail(env, #call);                                                                    \
  } while (0)

static napi_value fail(napi_env env, const char *what) {
  const napi_extended_error_info *info;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, NULL, info && info->error_message ? info->error_message : what);
  return NULL;
}

typedef struct {
  napi_env env;
  size_t argc;
  napi_value argv[MAX_ARGS];
  char *heap; /* the ArrayBuffer passed first, for heap kernels */
} Args;

static int read_args(napi_env env, napi_callback_info info, Args *a, size_t expected, int heap_first) {
  a->env = env;
  a->argc = MAX_ARGS;
  a->heap = NULL;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return 0;
  if (a->argc != expected) {
    napi_throw_type_error(env, NULL, "native kernel: wrong number of arguments");
    return 0;
  }
  if (heap_first) {
    void *data;
    size_t length;
    if (napi_get_arraybuffer_info(env, a->argv[0], &data, &length) != napi_ok) {
      napi_throw_type_error(env, NULL, "native kernel: the first argument must be the heap's ArrayBuffer");
      return 0;
    }
    a->heap = data;
  }
  return 1;
}

static int64_t int_arg(Args *a, size_t i) {
  int64_t v = 0;
  napi_get_value_int64(a->env, a->argv[i], &v);
  return v;
}

static double num_arg(Args *a, size_t i) {
  double v = 0;
  napi_get_value_double(a->env, a->argv[i], &v);
  return v;
}

/* A float pointer at a byte offset into the heap. */
static float *at(Args *a, size_t i) { return (float *)(a->heap + int_arg(a, i)); }

static int need_blas(napi_env env) {
  if (sgemm) return 1;
  napi_throw_error(env, NULL, "native kernel: OpenBLAS is not loaded (call load first)");
  return 0;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* load(library, coretype, threads): opens OpenBLAS with the given core type (its kernels are chosen when it loads)
 * and thread count; returns [config, corename]. Throws with dlerror's text when the library or a symbol is missing. */
static napi_value load(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 3, 0)) return NULL;
  char library[4096], coretype[64];
  size_t n;
  CHECK(napi_get_value_string_utf8(env, a.argv[0], library, sizeof library, &n));
  CHECK(napi_get_value_string_utf8(env, a.argv[1], coretype, sizeof coretype, &n));
  if (!sgemm) {
    /* OpenBLAS reads its core type from the environment once, when it is loaded. */
    if (coretype[0]) setenv("OPENBLAS_CORETYPE", coretype, 1);
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      napi_throw_error(env, NULL, dlerror());
      return NULL;
    }
    sgemm_fn s = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
    blas_config = (text_fn)dlsym(handle, "openblas_get_config");
    blas_corename = (text_fn)dlsym(handle, "openblas_get_corename");
    if (!s || !set_threads || !blas_config || !blas_corename) {
      napi_throw_error(env, NULL, "the library has no cblas_sgemm or openblas_* symbols: not an OpenBLAS build");
      return NULL;
    }
    sgemm = s;
  }
  set_threads((int)int_arg(&a, 2));
  napi_value result, config, corename;
  CHECK(napi_create_array_with_length(env, 2, &result));
  CHECK(napi_create_string_utf8(env, blas_config(), NAPI_AUTO_LENGTH, &config));
  CHECK(napi_create_string_utf8(env, blas_corename(), NAPI_AUTO_LENGTH, &corename));
  CHECK(napi_set_element(env, result, 0, config));
  CHECK(napi_set_element(env, result, 1, corename));
  return result;
}

/* setThreads(n): OpenBLAS's thread count from now on. */
static napi_value threads(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 1, 0) || !need_blas(env)) return NULL;
  set_threads((int)int_arg(&a, 0));
  return undefined(env);
}

/* gemm(heap, batch, M, N, K, transA, transB, a, strideA, b, strideB, c, strideC): c[i] = op(a[i])·op(b[i]) for i in
 * 0..batch, row-major; offsets in bytes, batch strides in floats (0 broadcasts one matrix to every item). */
static napi_value gemm(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 13, 1) || !need_blas(env)) return NULL;
  int64_t batch = int_arg(&a, 1), M = int_arg(&a, 2), N = int_arg(&a, 3), K = int_arg(&a, 4);
  int ta = int_arg(&a, 5) != 0, tb = int_arg(&a, 6) != 0;
  float *A = at(&a, 7), *B = at(&a, 9), *C = at(&a, 11);
  int64_t sa = int_arg(&a, 8), sb = int_arg(&a, 10), sc = int_arg(&a, 12);
  for (int64_t i = 0; i < batch; i++) {
    sgemm(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, (int)M, (int)N, (int)K, 1.0f, A + i * sa,
          ta ? (int)M : (int)K, B + i * sb, tb ? (int)K : (int)N, 0.0f, C + i * sc, (int)N);
  }
  return undefined(env);
}

/* linearForward(heap, x, w, bias, y, rows, in, out): y = x·w + bias for x [rows, in], w [in, out]. */
static napi_value linear_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 8, 1) || !need_blas(env)) return NULL;
  float *x = at(&a, 1), *w = at(&a, 2), *bias = at(&a, 3), *y = at(&a, 4);
  int rows = (int)int_arg(&a, 5), in = (int)int_arg(&a, 6), out = (int)int_arg(&a, 7);
  for (int r = 0; r < rows; r++) memcpy(y + (size_t)r * out, bias, sizeof(float) * out);
  sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, out, in, 1.0f, x, in, w, out, 1.0f, y, out);
  return undefined(env);
}

/* Column sums of m [rows, cols] into out [cols], accumulated in double in row order. */
static void column_sums(const float *m, int rows, int cols, float *out) {
  double *acc = calloc((size_t)cols, sizeof(double));
  for (int r = 0; r < rows; r++) {
    const float *row = m + (size_t)r * cols;
    for (int c = 0; c < cols; c++) acc[c] += row[c];
  }
  for (int c = 0; c < cols; c++) out[c] = (float)acc[c];
  free(acc);
}

/* linearBackward(heap, dy, x, w, dx, dw, dbias, rows, in, out): the three gradients of linearForward. */
static napi_value linear_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 10, 1) || !need_blas(env)) return NULL;
  float *dy = at(&a, 1), *x = at(&a, 2), *w = at(&a, 3), *dx = at(&a, 4), *dw = at(&a, 5), *db = at(&a, 6);
  int rows = (int)int_arg(&a, 7), in = (int)int_arg(&a, 8), out = (int)int_arg(&a, 9);
  sgemm(ROW_MAJOR, NO_TRANS, TRANS, rows, in, out, 1.0f, dy, out, w, out, 0.0f, dx, in);
  sgemm(ROW_MAJOR, TRANS, NO_TRANS, in, out, rows, 1.0f, x, in, dy, out, 0.0f, dw, out);
  column_sums(dy, rows, out, db);
  return undefined(env);
}

/* layerNormForward(heap, x, w, b, y, xhat, rstd, rows, C): y = xhat·w + b with xhat = (x − mean)·rstd over the last
 * axis, rstd = 1/sqrt(var + 1e-5); xhat and rstd are kept for the backward pass. */
static napi_value layer_norm_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 9, 1)) return NULL;
  float *x = at(&a, 1), *w = at(&a, 2), *b = at(&a, 3), *y = at(&a, 4), *xhat = at(&a, 5), *rstd = at(&a, 6);
  int rows = (int)int_arg(&a, 7), C = (int)int_arg(&a, 8);
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * C;
    float *yr = y + (size_t)r * C, *hr = xhat + (size_t)r * C;
    double sum = 0, sq = 0;
    for (int c = 0; c < C; c++) sum += xr[c];
    float mean = (float)(sum / C);
    for (int c = 0; c < C; c++) {
      float d = xr[c] - mean;
      sq += (double)d * d;
    }
    float rs = (float)(1.0 / sqrt(sq / C + 1e-5));
    rstd[r] = rs;
    for (int c = 0; c < C; c++) {
      hr[c] = (xr[c] - mean) * rs;
      yr[c] = hr[c] * w[c] + b[c];
    }
  }
  return undefined(env);
}

/* layerNormBackward(heap, dy, xhat, rstd, w, dx, dw, db, rows, C):
 * dx = rstd·(g − mean(g) − xhat·mean(g·xhat)) with g = dy·w; dw = Σ dy·xhat; db = Σ dy. */
static napi_value layer_norm_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 10, 1)) return NULL;
  float *dy = at(&a, 1), *xhat = at(&a, 2), *rstd = at(&a, 3), *w = at(&a, 4), *dx = at(&a, 5), *dw = at(&a, 6),
        *db = at(&a, 7);
  int rows = (int)int_arg(&a, 8), C = (int)int_arg(&a, 9);
  double *dwAcc = calloc((size_t)C, sizeof(double)), *dbAcc = calloc((size_t)C, sizeof(double));
  for (int r = 0; r < rows; r++) {
    const float *dyr = dy + (size_t)r * C, *hr = xhat + (size_t)r * C;
    float *dxr = dx + (size_t)r * C;
    double gSum = 0, ghSum = 0;
    for (int c = 0; c < C; c++) {
      float g = dyr[c] * w[c];
      gSum += g;
      ghSum += (double)g * hr[c];
      dwAcc[c] += (double)dyr[c] * hr[c];
      dbAcc[c] += dyr[c];
    }
    float gMean = (float)(gSum / C), ghMean = (float)(ghSum / C);
    for (int c = 0; c < C; c++) dxr[c] = rstd[r] * (dyr[c] * w[c] - gMean - hr[c] * ghMean);
  }
  for (int c = 0; c < C; c++) {
    dw[c] = (float)dwAcc[c];
    db[c] = (float)dbAcc[c];
  }
  free(dwAcc);
  free(dbAcc);
  return undefined(env);
}

/* GELU, tanh approximation written as x·sigmoid(x·(A + B·x²)) (model/gpt.ts says why). */
static const float GELU_A = 1.5957691216057308f, GELU_B = 1.5957691216057308f * 0.044715f;

static float gelu_gate(float x) { return 1.0f / (1.0f + expf(-x * (GELU_A + GELU_B * x * x))); }

/* geluForward(heap, x, y, n) */
static napi_value gelu_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 4, 1)) return NULL;
  float *x = at(&a, 1), *y = at(&a, 2);
  int64_t n = int_arg(&a, 3);
  for (int64_t i = 0; i < n; i++) y[i] = x[i] * gelu_gate(x[i]);
  return undefined(env);
}

/* geluBackward(heap, x, dy, dx, n): dx = dy·(s + x·s·(1 − s)·(A + 3B·x²)). */
static napi_value gelu_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 5, 1)) return NULL;
  float *x = at(&a, 1), *dy = at(&a, 2), *dx = at(&a, 3);
  int64_t n = int_arg(&a, 4);
  for (int64_t i = 0; i < n; i++) {
    float xi = x[i], s = gelu_gate(xi);
    dx[i] = dy[i] * (s + xi * s * (1.0f - s) * (GELU_A + 3.0f * GELU_B * xi * xi));
  }
  return undefined(env);
}

/* The causal softmax of one head's scores s [T, T] in place: row i over columns 0..i, zeros above the diagonal. */
static void causal_softmax(float *s, int T) {
  for (int i = 0; i < T; i++) {
    float *row = s + (size_t)i * T;
    float max = row[0];
    for (int j = 1; j <= i; j++) max = row[j] > max ? row[j] : max;
    double sum = 0;
    for (int j = 0; j <= i; j++) {
      row[j] = expf(row[j] - max);
      sum += row[j];
    }
    float inv = (float)(1.0 / sum);
    for (int j = 0; j <= i; j++) row[j] *= inv;
    for (int j = i + 1; j < T; j++) row[j] = 0.0f;
  }
}

/* attentionForward(heap, qkv, y, att, B, T, H, C): causal multi-head attention over qkv [B·T, 3C] (q, k and v side by
 * side, each split into H heads of C/H) into y [B·T, C]; keeps the attention weights att [B, H, T, T] for the
 * backward pass. Heads are read and written in place through BLAS's leading dimensions: no transposes. */
static napi_value attention_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 8, 1) || !need_blas(env)) return NULL;
  float *qkv = at(&a, 1), *y = at(&a, 2), *att = at(&a, 3);
  int B = (int)int_arg(&a, 4), T = (int)int_arg(&a, 5), H = (int)int_arg(&a, 6), C = (int)int_arg(&a, 7);
  int hd = C / H;
  float scale = 1.0f / sqrtf((float)hd);
  for (int b = 0; b < B; b++) {
    for (int h = 0; h < H; h++) {
      const float *q = qkv + (size_t)b * T * 3 * C + h * hd, *k = q + C, *v = q + 2 * C;
      float *p = att + ((size_t)b * H + h) * T * T;
      sgemm(ROW_MAJOR, NO_TRANS, TRANS, T, T, hd, scale, q, 3 * C, k, 3 * C, 0.0f, p, T);
      causal_softmax(p, T);
      sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, T, hd, T, 1.0f, p, T, v, 3 * C, 0.0f, y + (size_t)b * T * C + h * hd, C);
    }
  }
  return undefined(env);
}

/* attentionBackward(heap, dy, qkv, att, dqkv, B, T, H, C): with P = att and dP = dy·vᵀ per head,
 * dv = Pᵀ·dy, dS = P ∘ (dP − rowsum(P ∘ dP)) · scale, dq = dS·k, dk = dSᵀ·q. */
static napi_value attention_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 9, 1) || !need_blas(env)) return NULL;
  float *dy = at(&a, 1), *qkv = at(&a, 2), *att = at(&a, 3), *dqkv = at(&a, 4);
  int B = (int)int_arg(&a, 5), T = (int)int_arg(&a, 6), H = (int)int_arg(&a, 7), C = (int)int_arg(&a, 8);
  int hd = C / H;
  float scale = 1.0f / sqrtf((float)hd);
  float *dp = malloc(sizeof(float) * (size_t)T * T);
  for (int b = 0; b < B; b++) {
    for (int h = 0; h < H; h++) {
      size_t rowBase = (size_t)b * T * 3 * C + h * hd;
      const float *q = qkv + rowBase, *k = q + C, *v = q + 2 * C, *dyh = dy + (size_t)b * T * C + h * hd;
      float *dq = dqkv + rowBase, *dk = dq + C, *dv = dq + 2 * C;
      const float *p = att + ((size_t)b * H + h) * T * T;
      sgemm(ROW_MAJOR, NO_TRANS, TRANS, T, T, hd, 1.0f, dyh, C, v, 3 * C, 0.0f, dp, T);
      sgemm(ROW_MAJOR, TRANS, NO_TRANS, T, hd, T, 1.0f, p, T, dyh, C, 0.0f, dv, 3 * C);
      for (int i = 0; i < T; i++) {
        const float *pr = p + (size_t)i * T;
        float *dr = dp + (size_t)i * T;
        double dot = 0;
        for (int j = 0; j <= i; j++) dot += (double)pr[j] * dr[j];
        for (int j = 0; j <= i; j++) dr[j] = pr[j] * (dr[j] - (float)dot) * scale;
        for (int j = i + 1; j < T; j++) dr[j] = 0.0f;
      }
      sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, T, hd, T, 1.0f, dp, T, k, 3 * C, 0.0f, dq, 3 * C);
      sgemm(ROW_MAJOR, TRANS, NO_TRANS, T, hd, T, 1.0f, dp, T, q, 3 * C, 0.0f, dk, 3 * C);
    }
  }
  free(dp);
  return undefined(env);
}

/* cachedAttention(heap, qkv, kPast, vPast, y, kNext, vNext, N, H, C, t): one decoding step of N sequences at position
 * t. kNext/vNext [N, H, t+1, C/H] are the caches kPast/vPast [N, H, t, C/H] with this step's keys and values from
 * qkv [N, 3C] appended; y [N, C] is each head's query attending over them. */
static napi_value cached_attention(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 11, 1)) return NULL;
  float *qkv = at(&a, 1), *kPast = at(&a, 2), *vPast = at(&a, 3), *y = at(&a, 4), *kNext = at(&a, 5), *vNext = at(&a, 6);
  int N = (int)int_arg(&a, 7), H = (int)int_arg(&a, 8), C = (int)int_arg(&a, 9), t = (int)int_arg(&a, 10);
  int hd = C / H;
  float scale = 1.0f / sqrtf((float)hd);
  float *p = malloc(sizeof(float) * (size_t)(t + 1));
  for (int n = 0; n < N; n++) {
    const float *row = qkv + (size_t)n * 3 * C;
    for (int h = 0; h < H; h++) {
      size_t past = ((size_t)n * H + h) * t * hd, next = ((size_t)n * H + h) * (t + 1) * hd;
      float *k = kNext + next, *v = vNext + next;
      memcpy(k, kPast + past, sizeof(float) * (size_t)t * hd);
      memcpy(v, vPast + past, sizeof(float) * (size_t)t * hd);
      memcpy(k + (size_t)t * hd, row + C + h * hd, sizeof(float) * hd);
      memcpy(v + (size_t)t * hd, row + 2 * C + h * hd, sizeof(float) * hd);
      const float *q = row + h * hd;
      float max = -INFINITY;
      for (int j = 0; j <= t; j++) {
        float dot = 0;
        for (int d = 0; d < hd; d++) dot += q[d] * scale * k[(size_t)j * hd + d];
        p[j] = dot;
        max = dot > max ? dot : max;
      }
      double sum = 0;
      for (int j = 0; j <= t; j++) sum += (p[j] = expf(p[j] - max));
      float inv = (float)(1.0 / sum);
      float *out = y + (size_t)n * C + h * hd;
      for (int d = 0; d < hd; d++) out[d] = 0.0f;
      for (int j = 0; j <= t; j++) {
        float w = p[j] * inv;
        for (int d = 0; d < hd; d++) out[d] += w * v[(size_t)j * hd + d];
      }
    }
  }
  free(p);
  return undefined(env);
}

/* crossEntropyForward(heap, logits, targets, loss, probs, rows, V): the mean over rows of −log softmax(logits)[target]
 * into loss [1] (targets are int32); the softmax probabilities are kept for the backward pass. */
static napi_value cross_entropy_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 7, 1)) return NULL;
  float *logits = at(&a, 1), *loss = at(&a, 3), *probs = at(&a, 4);
  const int32_t *targets = (const int32_t *)at(&a, 2);
  int rows = (int)int_arg(&a, 5), V = (int)int_arg(&a, 6);
  double total = 0;
  for (int r = 0; r < rows; r++) {
    const float *l = logits + (size_t)r * V;
    float *p = probs + (size_t)r * V;
    float max = l[0];
    for (int j = 1; j < V; j++) max = l[j] > max ? l[j] : max;
    double sum = 0;
    for (int j = 0; j < V; j++) sum += (p[j] = expf(l[j] - max));
    float inv = (float)(1.0 / sum);
    for (int j = 0; j < V; j++) p[j] *= inv;
    total += log(sum) + max - l[targets[r]];
  }
  loss[0] = (float)(total / rows);
  return undefined(env);
}

/* crossEntropyBackward(heap, probs, targets, dloss, dlogits, rows, V): dlogits = dloss·(probs − onehot)/rows. */
static napi_value cross_entropy_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 7, 1)) return NULL;
  float *probs = at(&a, 1), *dloss = at(&a, 3), *dlogits = at(&a, 4);
  const int32_t *targets = (const int32_t *)at(&a, 2);
  int rows = (int)int_arg(&a, 5), V = (int)int_arg(&a, 6);
  float g = dloss[0] / (float)rows;
  for (int r = 0; r < rows; r++) {
    const float *p = probs + (size_t)r * V;
    float *d = dlogits + (size_t)r * V;
    for (int j = 0; j < V; j++) d[j] = g * (p[j] - (j == targets[r] ? 1.0f : 0.0f));
  }
  return undefined(env);
}

/* The Float32Array at index i of the JS array `list`. */
static float *list_floats(napi_env env, napi_value list, uint32_t i, size_t *length) {
  napi_value item;
  napi_typedarray_type type;
  void *data;
  napi_value buffer;
  size_t offset;
  if (napi_get_element(env, list, i, &item) != napi_ok ||
      napi_get_typedarray_info(env, item, &type, length, &data, &buffer, &offset) != napi_ok || type != napi_float32_array)
    return NULL;
  return data;
}

/* adamW(params, m, v, grads, decays, lr, beta1, beta2, weightDecay, bc1, bc2Sqrt): PyTorch's AdamW over every
 * parameter in one call (lists of Float32Arrays; decays[k] says whether parameter k decays; bc1 = 1 − beta1^t and
 * bc2Sqrt = sqrt(1 − beta2^t) come from JavaScript, whose pow may differ from libm's in the last bit). Computed in
 * double and rounded on store, the arithmetic of the JavaScript version in model/train-host.ts: both give the same
 * bits. */
static napi_value adam_w(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 11, 0)) return NULL;
  double lr = num_arg(&a, 5), beta1 = num_arg(&a, 6), beta2 = num_arg(&a, 7), wd = num_arg(&a, 8);
  double bc1 = num_arg(&a, 9), bc2Sqrt = num_arg(&a, 10), eps = 1e-8;
  uint32_t count;
  CHECK(napi_get_array_length(env, a.argv[0], &count));
  for (uint32_t k = 0; k < count; k++) {
    size_t n, nm, nv, ng;
    float *p = list_floats(env, a.argv[0], k, &n), *m = list_floats(env, a.argv[1], k, &nm),
          *v = list_floats(env, a.argv[2], k, &nv), *g = list_floats(env, a.argv[3], k, &ng);
    napi_value flag;
    bool decays = false;
    if (!p || !m || !v || !g || nm != n || nv != n || ng != n || napi_get_element(env, a.argv[4], k, &flag) != napi_ok ||
        napi_get_value_bool(env, flag, &decays) != napi_ok) {
      napi_throw_type_error(env, NULL, "adamW: params, m, v and grads must be lists of equal-length Float32Arrays");
      return NULL;
    }
    double shrink = decays ? 1 - lr * wd : 1;
    for (size_t i = 0; i < n; i++) {
      double gi = g[i];
      m[i] = (float)(beta1 * m[i] + (1 - beta1) * gi);
      v[i] = (float)(beta2 * v[i] + (1 - beta2) * gi * gi);
      p[i] = (float)(p[i] * shrink - (lr / bc1) * (m[i] / (sqrt(v[i]) / bc2Sqrt + eps)));
    }
  }
  return undefined(env);
}

/* clipByGlobalNorm(grads, maxNorm): scales every gradient by maxNorm/(‖g‖ + 1e-6) when that is below 1, in the same
 * arithmetic as model/train-host.ts's JavaScript version. */
static napi_value clip_by_global_norm(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 2, 0)) return NULL;
  double maxNorm = num_arg(&a, 1), sq = 0;
  uint32_t count;
  CHECK(napi_get_array_length(env, a.argv[0], &count));
  for (uint32_t k = 0; k < count; k++) {
    size_t n;
    float *g = list_floats(env, a.argv[0], k, &n);
    if (!g) {
      napi_throw_type_error(env, NULL, "clipByGlobalNorm: grads must be a list of Float32Arrays");
      return NULL;
    }
    for (size_t i = 0; i < n; i++) sq += (double)g[i] * g[i];
  }
  double coef = maxNorm / (sqrt(sq) + 1e-6);
  if (coef < 1) {
    for (uint32_t k = 0; k < count; k++) {
      size_t n;
      float *g = list_floats(env, a.argv[0], k, &n);
      for (size_t i = 0; i < n; i++) g[i] = (float)(g[i] * coef);
    }
  }
  return undefined(env);
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor methods[] = {
    {"load", NULL, load, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
    {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
    {"linearForward", NULL, linear_forward, NULL, NULL, NULL, napi_default, NULL},
    {"linearBackward", NULL, linear_backward, NULL, NULL, NULL, napi_default, NULL},
    {"layerNormForward", NULL, layer_norm_forward, NULL, NULL, NULL, napi_default, NULL},
    {"layerNormBackward", NULL, layer_norm_backward, NULL, NULL, NULL, napi_default, NULL},
    {"geluForward", NULL, gelu_forward, NULL, NULL, NULL, napi_default, NULL},
    {"geluBackward", NULL, gelu_backward, NULL, NULL, NULL, napi_default, NULL},
    {"attentionForward", NULL, attention_forward, NULL, NULL, NULL, napi_default, NULL},
    {"attentionBackward", NULL, attention_backward, NULL, NULL, NULL, napi_default, NULL},
    {"cachedAttention", NULL, cached_attention, NULL, NULL, NULL, napi_default, NULL},
    {"crossEntropyForward", NULL, cross_entropy_forward, NULL, NULL, NULL, napi_default, NULL},
    {"crossEntropyBackward", NULL, cross_entropy_backward, NULL, NULL, NULL, napi_default, NULL},
    {"adamW", NULL, adam_w, NULL, NULL, NULL, napi_default, NULL},
    {"clipByGlobalNorm", NULL, clip_by_global_norm, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

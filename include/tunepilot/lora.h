/* lora.h - LoRA adapters as PEFT defines them, plugged into a Llama model
 * through its linear-layer hooks, over an fp32 or an NF4 base.
 *
 * y = W x + s B A dropout(x), A [r, in] initialised Kaiming-uniform
 * U(-1/sqrt(in), 1/sqrt(in)) (PEFT's kaiming_uniform(a = sqrt(5))), B [out, r]
 * zero, s = alpha / r, or alpha / sqrt(r) with rsLoRA. Dropout acts on the
 * LoRA branch's input only. Backward (summed over tokens), with u = A x~:
 * dB += s dy u^T, du = s B^T dy, dA += du x~^T, dx += W^T dy + D(A^T du)
 * where D re-applies the dropout mask and scale.
 *
 * Owned by the train module (src/train/); included by the modules of its layer (pricing, data,
 * train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli, tui). */
#ifndef TUNEPILOT_LORA_H
#define TUNEPILOT_LORA_H

#include <stdbool.h>
#include <stdint.h>

#include "tunepilot/llama.h"
#include "tunepilot/nf4.h"
#include "tunepilot/rng.h"

typedef struct LoraConfig {
    int rank;
    double alpha;
    double dropout;
    bool rslora;
    unsigned targets; /* bit (1 << LlamaLinear) for each adapted layer type */
} LoraConfig;

#define LORA_ALL_TARGETS ((1u << LLAMA_N_LINEAR) - 1)

/* Parses "q,k,v,o,gate,up,down" (also the PEFT names "q_proj", ...; "all")
 * into a target mask. TP_EINVAL naming the unknown entry (the caller says
 * where the list came from: an option or a file's field). */
TpStatus lora_parse_targets(const char *list, unsigned *mask, TpError *err);

typedef struct LoraPair {
    float *A, *B;   /* [r, In], [Out, r]; NULL when this linear is not adapted */
    float *dA, *dB; /* gradients, same layout */
    int in, out;
} LoraPair;

typedef struct Lora {
    LoraConfig cfg;
    double scale;
    int n_layers;
    LoraPair *pairs; /* [n_layers * LLAMA_N_LINEAR] */
    float *params;   /* every A and B, one block */
    float *grads;    /* same layout */
    size_t n_params;
    LlamaModel *model;   /* attached model (borrowed) */
    Nf4Tensor *nf4;      /* [n_layers * LLAMA_N_LINEAR] NF4 bases, or NULL (fp32 base) */
    bool training;       /* dropout on */
    bool disabled;       /* serve the base alone (to evaluate it) */
    Nf4Compute compute;  /* the NF4 base products: fp32 (zero, the default) or bf16 (nf4.h);
                          * the adapters are fp32 whatever this says */
    TpRng rng;           /* dropout masks' seeds; part of a checkpoint */
    uint64_t *drop_seed; /* per pair: the seed of its last forward's dropout mask
                          * (tp_rng_mask: bit i set where input i was kept); the
                          * backward and a replayed forward make the mask again */
    /* scratch, grown on demand */
    int cap_n;
    float **u;                /* per pair: u [N, r] */
    uint8_t *mbuf;            /* the mask of the pair at hand (N * In bits) */
    float *tmp, *tile, *xbuf; /* xbuf: the dropped input of the pair at hand */
    size_t tmp_cap, tile_cap, xbuf_cap, mbuf_cap;
    float drop_lut[256][8]; /* mask byte -> its eight factors (0 or 1/(1-p)) */
    float drop_lut_scale;   /* the 1/(1-p) drop_lut holds; 0 before the first use */
} Lora;

/* Allocates adapters for every targeted linear of c, initialised as PEFT
 * does, from a seeded generator. */
TpStatus lora_init(Lora *l, const LlamaConfig *c, const LoraConfig *cfg, uint64_t seed,
                   TpError *err);
void lora_free(Lora *l); /* NULL is fine; frees NF4 bases it owns */

/* Serves m's linear layers through the adapters. With nf4 bases set (see
 * lora_take_nf4), the base product uses them; else m's fp32 weights. */
void lora_attach(Lora *l, LlamaModel *m);
/* Hands over an NF4 base for one linear (the Lora frees it). */
void lora_take_nf4(Lora *l, int layer, LlamaLinear which, Nf4Tensor *t);

void lora_zero_grad(Lora *l);

/* The PEFT tensor name of an adapter matrix, e.g.
 * "base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight". */
void lora_tensor_name(int layer, LlamaLinear which, bool is_b, char *out, size_t size);

/* Writes DIR/adapter_config.json and DIR/adapter_model.safetensors (F32,
 * metadata {"format": "pt"}) with PEFT's conservative key set. */
TpStatus lora_save_peft(const Lora *l, const char *dir, const char *base_model, TpError *err);
/* Reads an adapter written by PEFT or by lora_save_peft for config c. The
 * files must describe exactly that: every A [r, In] and B [Out, r] of the
 * targeted linears of each layer, finite, nothing else in the file; bias
 * "none", no DoRA, no per-layer patterns, no modules_to_save. Errors name
 * the file and the key or tensor. */
TpStatus lora_load_peft(Lora *l, const LlamaConfig *c, const char *dir, TpError *err);
/* DIR/adapter_config.json as a LoraConfig (PEFT's defaults for missing
 * keys), with the refusals above. */
TpStatus lora_peft_read_config(const char *dir, LoraConfig *cfg, TpError *err);
/* Overwrites the A and B of an initialised l with the adapter in DIR (a
 * starting point for training): its rank, target modules, alpha and rsLoRA
 * must equal l's (errors say which option to pass); the tensors are checked
 * as in lora_load_peft. On failure l may be partly overwritten. */
TpStatus lora_load_peft_into(Lora *l, const char *dir, TpError *err);
/* W += s B A for every adapted linear of an fp32 model. */
void lora_merge(const Lora *l, LlamaModel *m);

#endif

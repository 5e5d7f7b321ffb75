/* dtl-fn-misc.c — `literal`, `tuples`, `hash128`, and the functions that need information a
 * transform does not have yet (`is-changed`, `completeness`: null, as the documentation says for
 * a source that is not a dataset) (digest §11.7 "Misc"). */
#include "dtl-compiler.h"

#include <string.h>

static gboolean
compile_literal (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
                 GError **error)
{
  node->constant = sluice_value_ref (sluice_value_list_get (call, 1));
  return TRUE;
}

static SluiceValue *
fn_literal (DtlEval *ev, const DtlNode *node)
{
  return sluice_value_ref (node->constant);
}

static void
tuples_rec (SluiceListBuilder *out, GPtrArray *lists, guint depth, SluiceValue **current)
{
  if (depth == lists->len)
    {
      SluiceListBuilder *t = sluice_list_builder_new ();

      for (guint i = 0; i < depth; i++)
        sluice_list_builder_add (t, current[i]);
      sluice_list_builder_take (out, sluice_list_builder_end (t));
      return;
    }
  for (size_t i = 0; i < dtl_count (lists->pdata[depth]); i++)
    {
      SluiceValue *x = dtl_at (lists->pdata[depth], i);

      if (dtl_kind (x) == SLUICE_VALUE_NULL)
        continue;
      current[depth] = x;
      tuples_rec (out, lists, depth + 1, current);
    }
}

static SluiceValue *
fn_tuples (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (GPtrArray) lists = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_value_unref);
  g_autofree SluiceValue **current = g_new0 (SluiceValue *, node->n_args);
  SluiceListBuilder *out = sluice_list_builder_new ();

  for (guint i = 0; i < node->n_args; i++)
    g_ptr_array_add (lists, dtl_eval (ev, node->args[i]));
  tuples_rec (out, lists, 0, current);
  return sluice_list_builder_end (out);
}

/* MurmurHash3, x64 variant, 128-bit output (Austin Appleby's public-domain algorithm). */
static inline uint64_t
rotl64 (uint64_t x, int r)
{
  return (x << r) | (x >> (64 - r));
}

static inline uint64_t
fmix64 (uint64_t k)
{
  k ^= k >> 33;
  k *= UINT64_C (0xff51afd7ed558ccd);
  k ^= k >> 33;
  k *= UINT64_C (0xc4ceb9fe1a85ec53);
  k ^= k >> 33;
  return k;
}

static void
murmur3_x64_128 (const uint8_t *data, size_t len, uint32_t seed, uint64_t *ret_h1, uint64_t *ret_h2)
{
  const uint64_t c1 = UINT64_C (0x87c37b91114253d5), c2 = UINT64_C (0x4cf5ad432745937f);
  size_t nblocks = len / 16;
  uint64_t h1 = seed, h2 = seed, k1, k2;
  const uint8_t *tail = data + nblocks * 16;

  for (size_t i = 0; i < nblocks; i++)
    {
      memcpy (&k1, data + i * 16, 8);
      memcpy (&k2, data + i * 16 + 8, 8);
      k1 = GUINT64_FROM_LE (k1);
      k2 = GUINT64_FROM_LE (k2);
      k1 *= c1; k1 = rotl64 (k1, 31); k1 *= c2; h1 ^= k1;
      h1 = rotl64 (h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
      k2 *= c2; k2 = rotl64 (k2, 33); k2 *= c1; h2 ^= k2;
      h2 = rotl64 (h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
    }
  k1 = k2 = 0;
  switch (len & 15)
    {
    case 15: k2 ^= (uint64_t) tail[14] << 48; G_GNUC_FALLTHROUGH;
    case 14: k2 ^= (uint64_t) tail[13] << 40; G_GNUC_FALLTHROUGH;
    case 13: k2 ^= (uint64_t) tail[12] << 32; G_GNUC_FALLTHROUGH;
    case 12: k2 ^= (uint64_t) tail[11] << 24; G_GNUC_FALLTHROUGH;
    case 11: k2 ^= (uint64_t) tail[10] << 16; G_GNUC_FALLTHROUGH;
    case 10: k2 ^= (uint64_t) tail[9] << 8; G_GNUC_FALLTHROUGH;
    case 9: k2 ^= (uint64_t) tail[8];
      k2 *= c2; k2 = rotl64 (k2, 33); k2 *= c1; h2 ^= k2;
      G_GNUC_FALLTHROUGH;
    case 8: k1 ^= (uint64_t) tail[7] << 56; G_GNUC_FALLTHROUGH;
    case 7: k1 ^= (uint64_t) tail[6] << 48; G_GNUC_FALLTHROUGH;
    case 6: k1 ^= (uint64_t) tail[5] << 40; G_GNUC_FALLTHROUGH;
    case 5: k1 ^= (uint64_t) tail[4] << 32; G_GNUC_FALLTHROUGH;
    case 4: k1 ^= (uint64_t) tail[3] << 24; G_GNUC_FALLTHROUGH;
    case 3: k1 ^= (uint64_t) tail[2] << 16; G_GNUC_FALLTHROUGH;
    case 2: k1 ^= (uint64_t) tail[1] << 8; G_GNUC_FALLTHROUGH;
    case 1: k1 ^= (uint64_t) tail[0];
      k1 *= c1; k1 = rotl64 (k1, 31); k1 *= c2; h1 ^= k1;
      break;
    default:
      break;
    }
  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = fmix64 (h1);
  h2 = fmix64 (h2);
  h1 += h2;
  h2 += h1;
  *ret_h1 = h1;
  *ret_h2 = h2;
}

static SluiceValue *
hash_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  uint32_t seed = GPOINTER_TO_UINT (data);
  const uint8_t *bytes;
  size_t len;
  uint64_t h1, h2;
  unsigned __int128 n;
  char buf[48];
  int pos = sizeof buf - 1;

  if (dtl_kind (item) == SLUICE_VALUE_STRING)
    bytes = (const uint8_t *) sluice_value_get_string (item, &len);
  else if (dtl_kind (item) == SLUICE_VALUE_BYTES)
    bytes = sluice_value_get_bytes (item, &len);
  else
    return NULL;
  murmur3_x64_128 (bytes, len, seed, &h1, &h2);
  n = ((unsigned __int128) h2 << 64) | h1;
  buf[pos] = '\0';
  do
    {
      buf[--pos] = (char) ('0' + (int) (n % 10));
      n /= 10;
    }
  while (n != 0);
  /* Beyond 64 bits: the JSON reader keeps a big integer exactly. */
  return sluice_value_from_json (buf + pos, -1, NULL);
}

static SluiceValue *
fn_hash128 (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) algo = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) seed = node->n_args == 3 ? dtl_eval (ev, node->args[1]) : NULL;
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  const char *name = dtl_string (algo, NULL);
  uint32_t s = 0;

  if (name == NULL || strcmp (name, "murmur3") != 0)
    return dtl_null ();
  if (seed != NULL)
    {
      if (dtl_kind (seed) != SLUICE_VALUE_INTEGER)
        return dtl_null ();
      s = (uint32_t) sluice_value_get_integer (seed);
    }
  return sluice_dtl_map (ev, node, v, hash_one, GUINT_TO_POINTER (s));
}

static gboolean
compile_hash128 (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
                 GError **error)
{
  SluiceValue *algo = sluice_value_list_get (call, 1);

  if (dtl_kind (algo) == SLUICE_VALUE_STRING && strcmp (sluice_value_get_string (algo, NULL), "murmur3") != 0)
    {
      g_set_error (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_COMPILE,
                   "%s/1: unknown hash algorithm '%s'; expected 'murmur3'", pointer,
                   sluice_value_get_string (algo, NULL));
      return FALSE;
    }
  return sluice_dtl_compile_args (compiler, node, call, pointer, 0, error);
}

static SluiceValue *
fn_null (DtlEval *ev, const DtlNode *node)
{
  return dtl_null ();
}

static gboolean
compile_unevaluated (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
                     GError **error)
{
  return sluice_dtl_compile_args (compiler, node, call, pointer, 0, error);
}

const DtlFunction sluice_dtl_fn_misc[] = {
  { "literal", 1, 1, 0, fn_literal, NULL, compile_literal },
  { "tuples", 1, DTL_ARGS_UNLIMITED, 0, fn_tuples },
  { "hash128", 2, 3, 0, fn_hash128, NULL, compile_hash128 },
  { "is-changed", 1, 1, 0, fn_null, NULL, compile_unevaluated },
  { "completeness", 2, 2, 0, fn_null, NULL, compile_unevaluated },
  { NULL },
};

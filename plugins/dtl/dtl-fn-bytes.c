/* dtl-fn-bytes.c — bytes values and base64 (digest §11.7 "Bytes"). */
#include "dtl-compiler.h"

#include <string.h>

static SluiceValue *
bytes_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  size_t len;
  const char *s;

  if (dtl_kind (item) == SLUICE_VALUE_BYTES)
    return sluice_value_ref (item);
  s = dtl_string (item, &len);
  return s ? sluice_value_new_bytes (s, len) : NULL;
}

static SluiceValue *
fn_bytes (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, bytes_one, NULL);
}

static SluiceValue *
encode_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  size_t len;
  const uint8_t *b;
  g_autofree char *text = NULL;

  if (dtl_kind (item) != SLUICE_VALUE_BYTES)
    return NULL;
  b = sluice_value_get_bytes (item, &len);
  text = g_base64_encode (b, len);
  return sluice_value_new_string (text, -1);
}

static SluiceValue *
fn_base64_encode (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, encode_one, NULL);
}

/* Standard base64 with padding; anything else is not base64. */
static gboolean
valid_base64 (const char *s, size_t len)
{
  size_t pad = 0;

  if (len % 4 != 0)
    return FALSE;
  for (size_t i = 0; i < len; i++)
    {
      char c = s[i];

      if (c == '=')
        {
          pad++;
          continue;
        }
      if (pad > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/'))
        return FALSE;
    }
  return pad <= 2;
}

static SluiceValue *
decode_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  size_t len, out_len;
  const char *s = dtl_string (item, &len);
  g_autofree char *copy = NULL;
  g_autofree guchar *b = NULL;

  if (s == NULL || !valid_base64 (s, len))
    return NULL;
  copy = g_strndup (s, len);
  b = g_base64_decode (copy, &out_len);
  return sluice_value_new_bytes (b, out_len);
}

static SluiceValue *
fn_base64_decode (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, decode_one, NULL);
}

static SluiceValue *
fn_is_bytes (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_kind (dtl_first (v)) == SLUICE_VALUE_BYTES);
}

const DtlFunction sluice_dtl_fn_bytes[] = {
  { "bytes", 1, 1, 0, fn_bytes },
  { "base64-encode", 1, 1, 0, fn_base64_encode },
  { "base64-decode", 1, 1, 0, fn_base64_decode },
  { "is-bytes", 1, 1, 0, fn_is_bytes },
  { NULL },
};

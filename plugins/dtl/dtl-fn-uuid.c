/* dtl-fn-uuid.c — UUID values (digest §11.7 "UUIDs"). */
#include "dtl-compiler.h"

#include <string.h>

static SluiceValue *
uuid_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  size_t len;
  const char *s;
  char canon[37];
  size_t n = 0, hex = 0;

  if (dtl_kind (item) == SLUICE_VALUE_UUID)
    return sluice_value_ref (item);
  s = dtl_string (item, &len);
  if (s == NULL)
    return NULL;
  /* Like Python's uuid.UUID (): hyphens, braces and "urn:uuid:" are optional. */
  if (len >= 9 && g_ascii_strncasecmp (s, "urn:uuid:", 9) == 0)
    s += 9, len -= 9;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] == '-' || s[i] == '{' || s[i] == '}')
        continue;
      if (!g_ascii_isxdigit (s[i]) || hex++ >= 32)
        return NULL;
      if (n == 8 || n == 12 + 1 || n == 16 + 2 || n == 20 + 3)
        canon[n++] = '-';
      canon[n++] = g_ascii_tolower (s[i]);
    }
  if (n != 36)
    return NULL;
  canon[n] = '\0';
  return sluice_value_new_uuid (canon, NULL);
}

static SluiceValue *
fn_uuid (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = NULL;

  if (node->n_args == 0)
    {
      g_autofree char *text = g_uuid_string_random ();

      return sluice_value_new_uuid (text, NULL);
    }
  v = dtl_eval (ev, node->args[0]);
  return sluice_dtl_map (ev, node, v, uuid_one, NULL);
}

static SluiceValue *
fn_is_uuid (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_kind (dtl_first (v)) == SLUICE_VALUE_UUID);
}

const DtlFunction sluice_dtl_fn_uuid[] = {
  { "uuid", 0, 1, 0, fn_uuid },
  { "is-uuid", 1, 1, 0, fn_is_uuid },
  { NULL },
};

/* dtl-fn-uris.c — URI values and percent-encoding (digest §11.7 "URIs"). */
#include "dtl-compiler.h"

#include <string.h>

static SluiceValue *
uri_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  size_t len;
  const char *s;

  if (dtl_kind (item) == SLUICE_VALUE_URI)
    return sluice_value_ref (item);
  s = dtl_string (item, &len);
  return s ? sluice_value_new_uri (s, len) : NULL;
}

static SluiceValue *
fn_uri (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, uri_one, NULL);
}

static SluiceValue *
quote_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  const char *safe = data;
  size_t len;
  const char *s = dtl_string (item, &len);
  GString *out;
  SluiceValue *r;

  if (s == NULL)
    return NULL;
  out = g_string_sized_new (len);
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) s[i];

      /* Python's always-safe set, plus the caller's. */
      if (g_ascii_isalnum (c) || c == '_' || c == '.' || c == '-' || c == '~'
          || (c < 0x80 && c != 0 && strchr (safe, c) != NULL))
        g_string_append_c (out, (char) c);
      else
        g_string_append_printf (out, "%%%02X", c);
    }
  r = sluice_value_new_string (out->str, out->len);
  g_string_free (out, TRUE);
  return r;
}

static SluiceValue *
fn_url_quote (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) safe = node->n_args == 2 ? dtl_eval (ev, node->args[0]) : NULL;
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  const char *safe_s = "";

  if (safe != NULL)
    {
      safe_s = dtl_string (safe, NULL);
      if (safe_s == NULL)
        return dtl_null ();
    }
  return sluice_dtl_map (ev, node, v, quote_one, (gpointer) safe_s);
}

static SluiceValue *
unquote_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  size_t len;
  const char *s = dtl_string (item, &len);
  GString *out;
  SluiceValue *r;

  if (s == NULL)
    return NULL;
  out = g_string_sized_new (len);
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] == '%' && i + 2 < len && g_ascii_isxdigit (s[i + 1]) && g_ascii_isxdigit (s[i + 2]))
        {
          g_string_append_c (out, (char) (g_ascii_xdigit_value (s[i + 1]) * 16
                                          + g_ascii_xdigit_value (s[i + 2])));
          i += 2;
        }
      else
        g_string_append_c (out, s[i]);
    }
  /* Invalid UTF-8 becomes U+FFFD, as Python's unquote () does. */
  {
    g_autofree char *valid = g_utf8_make_valid (out->str, out->len);

    r = sluice_value_new_string (valid, -1);
  }
  g_string_free (out, TRUE);
  return r;
}

static SluiceValue *
fn_url_unquote (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, unquote_one, NULL);
}

static SluiceValue *
fn_is_uri (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_kind (dtl_first (v)) == SLUICE_VALUE_URI);
}

const DtlFunction sluice_dtl_fn_uris[] = {
  { "uri", 1, 1, 0, fn_uri },
  { "url-quote", 1, 2, 0, fn_url_quote },
  { "url-unquote", 1, 1, 0, fn_url_unquote },
  { "is-uri", 1, 1, 0, fn_is_uri },
  { NULL },
};

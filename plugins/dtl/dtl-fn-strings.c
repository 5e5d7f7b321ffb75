/* dtl-fn-strings.c — string functions (digest §11.7 "Strings").  Lengths and indexes count
 * characters, not bytes; inputs that are not strings are dropped. */
#include "dtl-compiler.h"

#include <string.h>

static SluiceValue *
new_string_take (char *s)
{
  SluiceValue *v = sluice_value_new_string (s, -1);

  g_free (s);
  return v;
}

/* Appends the strings of @v (a string, or the strings of a list, one level). */
static void
append_strings (GString *out, SluiceValue *v, const char *sep, gboolean *first)
{
  for (size_t i = 0; i < dtl_count (v); i++)
    {
      size_t len;
      const char *s = dtl_string (dtl_at (v, i), &len);

      if (s == NULL)
        continue;
      if (sep != NULL && !*first)
        g_string_append (out, sep);
      *first = FALSE;
      g_string_append_len (out, s, len);
    }
}

static SluiceValue *
fn_concat (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (GString) out = g_string_new (NULL);
  gboolean first = TRUE;

  for (guint i = 0; i < node->n_args; i++)
    {
      g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[i]);

      append_strings (out, v, NULL, &first);
    }
  return sluice_value_new_string (out->str, out->len);
}

static SluiceValue *
fn_join (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) sep = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[1]);
  g_autoptr (GString) out = g_string_new (NULL);
  gboolean first = TRUE;
  const char *s = dtl_string (sep, NULL);

  if (s == NULL)
    return dtl_null ();
  append_strings (out, values, s, &first);
  return sluice_value_new_string (out->str, out->len);
}

static void
split_one (SluiceListBuilder *builder, const char *s, size_t len, const char *sep)
{
  const char *end = s + len;

  if (sep == NULL)
    {
      /* Like Python's str.split (): runs of whitespace separate, no empty parts. */
      const char *p = s;

      while (p < end)
        {
          const char *start;

          while (p < end && g_ascii_isspace (*p))
            p++;
          if (p >= end)
            break;
          start = p;
          while (p < end && !g_ascii_isspace (*p))
            p++;
          sluice_list_builder_take (builder, sluice_value_new_string (start, p - start));
        }
      return;
    }
  if (*sep == '\0')
    {
      for (const char *p = s; p < end; p = g_utf8_next_char (p))
        sluice_list_builder_take (builder, sluice_value_new_string (p, g_utf8_next_char (p) - p));
      return;
    }
  {
    size_t sep_len = strlen (sep);
    const char *p = s;

    for (;;)
      {
        const char *hit = NULL;

        for (const char *q = p; q + sep_len <= end; q++)
          if (memcmp (q, sep, sep_len) == 0)
            {
              hit = q;
              break;
            }
        if (hit == NULL)
          {
            sluice_list_builder_take (builder, sluice_value_new_string (p, end - p));
            return;
          }
        sluice_list_builder_take (builder, sluice_value_new_string (p, hit - p));
        p = hit + sep_len;
      }
  }
}

static SluiceValue *
fn_split (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) sep = node->n_args == 2 ? dtl_eval (ev, node->args[0]) : NULL;
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[node->n_args - 1]);
  SluiceListBuilder *builder;
  const char *sep_s = NULL;

  if (sep != NULL)
    {
      sep_s = dtl_string (sep, NULL);
      if (sep_s == NULL)
        return dtl_null ();
    }
  builder = sluice_list_builder_new ();
  for (size_t i = 0; i < dtl_count (values); i++)
    {
      size_t len;
      const char *s = dtl_string (dtl_at (values, i), &len);

      if (s != NULL)
        split_one (builder, s, len, sep_s);
    }
  return sluice_list_builder_end (builder);
}

static SluiceValue *
length_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  size_t len;
  const char *s = dtl_string (item, &len);

  return s ? sluice_value_new_integer (g_utf8_strlen (s, len)) : NULL;
}

static SluiceValue *
fn_length (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, values, length_one, NULL);
}

static SluiceValue *
change_case (SluiceValue *item, gboolean up)
{
  size_t len;
  const char *s = dtl_string (item, &len);
  char stack[256];
  char *buf;
  SluiceValue *r;
  gboolean ascii = TRUE;

  if (s == NULL)
    return NULL;
  for (size_t i = 0; i < len && ascii; i++)
    ascii = (unsigned char) s[i] < 0x80;
  if (!ascii)
    return new_string_take (up ? g_utf8_strup (s, len) : g_utf8_strdown (s, len));
  buf = len < sizeof stack ? stack : g_malloc (len + 1);
  /* Inline rather than g_ascii_toupper (): a library call per character would cost more than
   * the rest of `upper`. */
  if (up)
    for (size_t i = 0; i < len; i++)
      buf[i] = s[i] >= 'a' && s[i] <= 'z' ? (char) (s[i] - 'a' + 'A') : s[i];
  else
    for (size_t i = 0; i < len; i++)
      buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char) (s[i] - 'A' + 'a') : s[i];
  r = sluice_value_new_string (buf, len);
  if (buf != stack)
    g_free (buf);
  return r;
}

static SluiceValue *
upper_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  return change_case (item, TRUE);
}

static SluiceValue *
lower_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  return change_case (item, FALSE);
}

static SluiceValue *
fn_upper (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) owned = NULL;
  SluiceValue *values = sluice_dtl_eval_borrowed (ev, node->args[0], &owned);

  return sluice_dtl_map (ev, node, values, upper_one, NULL);
}

static SluiceValue *
fn_lower (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) owned = NULL;
  SluiceValue *values = sluice_dtl_eval_borrowed (ev, node->args[0], &owned);

  return sluice_dtl_map (ev, node, values, lower_one, NULL);
}

typedef struct
{
  const char *chars; /* NULL: whitespace */
  gboolean left, right;
} StripSpec;

static gboolean
in_chars (const char *chars, gunichar c)
{
  if (chars == NULL)
    return g_unichar_isspace (c);
  for (const char *p = chars; *p; p = g_utf8_next_char (p))
    if (g_utf8_get_char (p) == c)
      return TRUE;
  return FALSE;
}

static SluiceValue *
strip_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  StripSpec *spec = data;
  size_t len;
  const char *s = dtl_string (item, &len);
  const char *start, *end;

  if (s == NULL)
    return NULL;
  start = s;
  end = s + len;
  if (spec->left)
    while (start < end && in_chars (spec->chars, g_utf8_get_char (start)))
      start = g_utf8_next_char (start);
  if (spec->right)
    while (end > start)
      {
        const char *prev = g_utf8_find_prev_char (start, end);

        if (prev == NULL || !in_chars (spec->chars, g_utf8_get_char (prev)))
          break;
        end = prev;
      }
  return sluice_value_new_string (start, end - start);
}

static SluiceValue *
strip_common (DtlEval *ev, const DtlNode *node, gboolean left, gboolean right)
{
  g_autoptr (SluiceValue) chars = node->n_args == 2 ? dtl_eval (ev, node->args[0]) : NULL;
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[node->n_args - 1]);
  StripSpec spec = { NULL, left, right };

  if (chars != NULL)
    {
      spec.chars = dtl_string (chars, NULL);
      if (spec.chars == NULL)
        return dtl_null ();
    }
  return sluice_dtl_map (ev, node, values, strip_one, &spec);
}

static SluiceValue *
fn_strip (DtlEval *ev, const DtlNode *node)
{
  return strip_common (ev, node, TRUE, TRUE);
}

static SluiceValue *
fn_lstrip (DtlEval *ev, const DtlNode *node)
{
  return strip_common (ev, node, TRUE, FALSE);
}

static SluiceValue *
fn_rstrip (DtlEval *ev, const DtlNode *node)
{
  return strip_common (ev, node, FALSE, TRUE);
}

typedef struct
{
  int64_t width;
  const char *fill;
  size_t fill_len;
  gboolean left;
} JustSpec;

static SluiceValue *
just_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  JustSpec *spec = data;
  size_t len;
  const char *s = dtl_string (item, &len);
  glong chars;
  GString *out;

  if (s == NULL)
    return NULL;
  chars = g_utf8_strlen (s, len);
  if (chars >= spec->width)
    return sluice_value_ref (item);
  out = g_string_new (NULL);
  if (spec->left)
    g_string_append_len (out, s, len);
  for (int64_t i = chars; i < spec->width; i++)
    g_string_append_len (out, spec->fill, spec->fill_len);
  if (!spec->left)
    g_string_append_len (out, s, len);
  return new_string_take (g_string_free (out, FALSE));
}

static SluiceValue *
just_common (DtlEval *ev, const DtlNode *node, gboolean left)
{
  g_autoptr (SluiceValue) width = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) fill = dtl_eval (ev, node->args[1]);
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[2]);
  JustSpec spec = { 0, NULL, 0, left };

  if (dtl_kind (width) != SLUICE_VALUE_INTEGER)
    return dtl_null ();
  spec.width = sluice_value_get_integer (width);
  spec.fill = dtl_string (fill, &spec.fill_len);
  if (spec.fill == NULL || g_utf8_strlen (spec.fill, spec.fill_len) != 1)
    return dtl_null ();
  return sluice_dtl_map (ev, node, values, just_one, &spec);
}

static SluiceValue *
fn_ljust (DtlEval *ev, const DtlNode *node)
{
  return just_common (ev, node, TRUE);
}

static SluiceValue *
fn_rjust (DtlEval *ev, const DtlNode *node)
{
  return just_common (ev, node, FALSE);
}

static char *
replace_all (const char *s, size_t len, const char *old, size_t old_len, const char *new_s,
             size_t new_len)
{
  GString *out = g_string_sized_new (len);
  const char *end = s + len;
  const char *p = s;

  if (old_len == 0)
    {
      /* Python inserts the replacement between every character and at both ends. */
      g_string_append_len (out, new_s, new_len);
      for (; p < end; p = g_utf8_next_char (p))
        {
          g_string_append_len (out, p, g_utf8_next_char (p) - p);
          g_string_append_len (out, new_s, new_len);
        }
      return g_string_free (out, FALSE);
    }
  while (p < end)
    {
      if ((size_t) (end - p) >= old_len && memcmp (p, old, old_len) == 0)
        {
          g_string_append_len (out, new_s, new_len);
          p += old_len;
        }
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

typedef struct
{
  SluiceValue *old, *new_s, *dict;
} ReplaceSpec;

static SluiceValue *
replace_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  ReplaceSpec *spec = data;
  size_t len;
  const char *s = dtl_string (item, &len);
  char *cur;

  if (s == NULL)
    return NULL;
  cur = g_strndup (s, len);
  if (spec->dict != NULL)
    {
      for (size_t i = 0; i < sluice_value_dict_get_size (spec->dict); i++)
        {
          const char *old = sluice_value_dict_get_key (spec->dict, i);
          size_t new_len;
          const char *new_s = dtl_string (sluice_value_dict_get_value (spec->dict, i), &new_len);
          char *next;

          if (new_s == NULL)
            continue;
          next = replace_all (cur, strlen (cur), old, strlen (old), new_s, new_len);
          g_free (cur);
          cur = next;
        }
    }
  else
    {
      size_t old_len, new_len;
      const char *old = sluice_value_get_string (spec->old, &old_len);
      const char *new_s = sluice_value_get_string (spec->new_s, &new_len);
      char *next = replace_all (cur, strlen (cur), old, old_len, new_s, new_len);

      g_free (cur);
      cur = next;
    }
  return new_string_take (cur);
}

static SluiceValue *
fn_replace (DtlEval *ev, const DtlNode *node)
{
  ReplaceSpec spec = { NULL, NULL, NULL };
  g_autoptr (SluiceValue) a = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) b = node->n_args == 3 ? dtl_eval (ev, node->args[1]) : NULL;
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[node->n_args - 1]);

  if (node->n_args == 2)
    {
      if (dtl_kind (a) != SLUICE_VALUE_DICT)
        return dtl_null ();
      spec.dict = a;
    }
  else
    {
      if (dtl_kind (a) != SLUICE_VALUE_STRING || dtl_kind (b) != SLUICE_VALUE_STRING)
        return dtl_null ();
      spec.old = a;
      spec.new_s = b;
    }
  return sluice_dtl_map (ev, node, values, replace_one, &spec);
}

void
sluice_dtl_slice_bounds (int64_t len, gboolean has_start, int64_t start, gboolean has_end,
                         int64_t end, int64_t *ret_start, int64_t *ret_end)
{
  if (!has_start)
    start = 0;
  else if (start < 0)
    start = MAX (0, start + len);
  else
    start = MIN (start, len);
  if (!has_end)
    end = len;
  else if (end < 0)
    end = MAX (0, end + len);
  else
    end = MIN (end, len);
  *ret_start = start;
  *ret_end = MAX (start, end);
}

typedef struct
{
  gboolean has_end;
  int64_t start, end;
} SubSpec;

static SluiceValue *
substring_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  SubSpec *spec = data;
  size_t len;
  const char *s = dtl_string (item, &len);
  int64_t n, a, b;
  const char *pa, *pb;

  if (s == NULL)
    return NULL;
  n = g_utf8_strlen (s, len);
  sluice_dtl_slice_bounds (n, TRUE, spec->start, spec->has_end, spec->end, &a, &b);
  pa = g_utf8_offset_to_pointer (s, a);
  pb = g_utf8_offset_to_pointer (s, b);
  return sluice_value_new_string (pa, pb - pa);
}

static SluiceValue *
fn_substring (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) start = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) end = node->n_args == 3 ? dtl_eval (ev, node->args[1]) : NULL;
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[node->n_args - 1]);
  SubSpec spec = { FALSE, 0, 0 };

  if (dtl_kind (start) != SLUICE_VALUE_INTEGER)
    return dtl_null ();
  spec.start = sluice_value_get_integer (start);
  if (end != NULL && dtl_kind (end) == SLUICE_VALUE_INTEGER)
    {
      spec.has_end = TRUE;
      spec.end = sluice_value_get_integer (end);
    }
  else if (end != NULL && dtl_kind (end) != SLUICE_VALUE_NULL)
    return dtl_null ();
  return sluice_dtl_map (ev, node, values, substring_one, &spec);
}

static SluiceValue *
fn_matches (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) pattern = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[1]);
  const char *p = dtl_string (pattern, NULL);
  g_autoptr (GPatternSpec) spec = NULL;
  size_t n = dtl_count (values);

  if (p == NULL || n == 0)
    return dtl_bool (FALSE);
  spec = g_pattern_spec_new (p);
  for (size_t i = 0; i < n; i++)
    {
      const char *s = dtl_string (dtl_at (values, i), NULL);

      if (s == NULL || !g_pattern_spec_match_string (spec, s))
        return dtl_bool (FALSE);
    }
  return dtl_bool (TRUE);
}

SluiceValue *
sluice_dtl_to_string (SluiceValue *item)
{
  g_autoptr (GString) out = NULL;

  switch (dtl_kind (item))
    {
    case SLUICE_VALUE_NULL:
      return dtl_null ();
    case SLUICE_VALUE_STRING:
      return sluice_value_ref (item);
    case SLUICE_VALUE_URI:
    case SLUICE_VALUE_UUID:
      {
        size_t len;
        const char *s = sluice_value_get_string (item, &len);

        return sluice_value_new_string (s, len);
      }
    case SLUICE_VALUE_BYTES:
      {
        size_t len;
        const uint8_t *b = sluice_value_get_bytes (item, &len);

        if (!g_utf8_validate_len ((const char *) b, len, NULL))
          return NULL;
        return sluice_value_new_string ((const char *) b, len);
      }
    case SLUICE_VALUE_NI:
      {
        size_t len;
        const char *s = sluice_value_get_string (item, &len);
        g_autofree char *text = g_strdup_printf ("~:%.*s", (int) len, s);

        return sluice_value_new_string (text, -1);
      }
    default:
      out = g_string_new (NULL);
      sluice_dtl_write_json (out, item, FALSE);
      /* Scalars written as JSON strings lose their quotes. */
      if (out->len >= 2 && out->str[0] == '"' && dtl_kind (item) != SLUICE_VALUE_LIST
          && dtl_kind (item) != SLUICE_VALUE_DICT)
        return sluice_value_new_string (out->str + 1, out->len - 2);
      return sluice_value_new_string (out->str, out->len);
    }
}

static SluiceValue *
string_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  return sluice_dtl_to_string (item);
}

static SluiceValue *
fn_string (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, values, string_one, NULL);
}

static SluiceValue *
fn_is_string (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_kind (dtl_first (v)) == SLUICE_VALUE_STRING);
}

const DtlFunction sluice_dtl_fn_strings[] = {
  { "concat", 1, DTL_ARGS_UNLIMITED, 0, fn_concat },
  { "join", 2, 2, 0, fn_join },
  { "split", 1, 2, 0, fn_split },
  { "length", 1, 1, 0, fn_length },
  { "lower", 1, 1, 0, fn_lower },
  { "upper", 1, 1, 0, fn_upper },
  { "strip", 1, 2, 0, fn_strip },
  { "lstrip", 1, 2, 0, fn_lstrip },
  { "rstrip", 1, 2, 0, fn_rstrip },
  { "ljust", 3, 3, 0, fn_ljust },
  { "rjust", 3, 3, 0, fn_rjust },
  { "replace", 2, 3, 0, fn_replace },
  { "substring", 2, 3, 0, fn_substring },
  { "matches", 2, 2, 0, fn_matches },
  { "string", 1, 1, 0, fn_string },
  { "is-string", 1, 1, 0, fn_is_string },
  { NULL },
};

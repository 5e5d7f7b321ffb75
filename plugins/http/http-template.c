/* http-template.c — compiling and rendering the placeholders of http-template.h.
 *
 * A compiled template is a list of parts: literal text, or a placeholder (a path and its filters).
 * Rendering walks the parts once and never re-parses the text, so a per-entity render costs a few
 * dict lookups and one string append per part. */
#include "http-template.h"

#include <string.h>

typedef enum
{
  FILTER_URLQUOTE,
  FILTER_JSON,
  FILTER_UPPER,
  FILTER_LOWER,
} Filter;

static const char *const filter_names[] = { "urlquote", "json", "upper", "lower", NULL };

typedef struct
{
  char *text;     /* literal text, or NULL for a placeholder */
  char **path;    /* placeholder: the path segments */
  char *path_text; /* placeholder: the path as written, for error messages */
  GArray *filters; /* of Filter */
} Part;

struct _HttpTemplate
{
  char *text;
  char *what;
  GArray *parts; /* of Part */
};

static void
part_clear (gpointer data)
{
  Part *part = data;

  g_free (part->text);
  g_strfreev (part->path);
  g_free (part->path_text);
  if (part->filters != NULL)
    g_array_unref (part->filters);
}

void
http_template_free (HttpTemplate *tmpl)
{
  if (tmpl == NULL)
    return;
  g_array_unref (tmpl->parts);
  g_free (tmpl->text);
  g_free (tmpl->what);
  g_free (tmpl);
}

static gboolean
fail (const HttpTemplate *tmpl, size_t offset, GError **error, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
fail (const HttpTemplate *tmpl, size_t offset, GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG, "%s template \"%s\": byte %zu: %s",
               tmpl->what, tmpl->text, offset, message);
  return FALSE;
}

static gboolean
is_path_char (char c)
{
  return c != '\0' && c != '.' && c != '|' && c != '}' && c != '{' && !g_ascii_isspace (c);
}

static const char *
skip_space (const char *p)
{
  while (g_ascii_isspace (*p))
    p++;
  return p;
}

/* Parses the inside of one placeholder, from @start (just after "{{") to @end (at "}}"). */
static gboolean
parse_placeholder (HttpTemplate *tmpl, const char *start, const char *end, Part *part,
                   GError **error)
{
  g_autoptr (GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
  const char *p = skip_space (start);
  const char *path_start = p;

  for (;;)
    {
      const char *seg = p;

      while (p < end && is_path_char (*p))
        p++;
      if (p == seg)
        return fail (tmpl, seg - tmpl->text, error,
                     seg == path_start ? "expected a variable name after '{{'"
                                       : "expected a name after '.'");
      g_ptr_array_add (segments, g_strndup (seg, p - seg));
      if (p < end && *p == '.')
        {
          p++;
          continue;
        }
      break;
    }
  part->path_text = g_strndup (path_start, p - path_start);
  g_ptr_array_add (segments, NULL);
  part->path = (char **) g_ptr_array_steal (segments, NULL);
  part->filters = g_array_new (FALSE, FALSE, sizeof (Filter));

  for (;;)
    {
      const char *name;
      gsize i;

      p = skip_space (p);
      if (p == end)
        return TRUE;
      if (*p != '|')
        return fail (tmpl, p - tmpl->text, error, "expected '|' or '}}', got '%c'", *p);
      p = skip_space (p + 1);
      name = p;
      while (p < end && (g_ascii_isalnum (*p) || *p == '_'))
        p++;
      for (i = 0; filter_names[i] != NULL; i++)
        if (strlen (filter_names[i]) == (size_t) (p - name)
            && strncmp (filter_names[i], name, p - name) == 0)
          break;
      if (filter_names[i] == NULL)
        {
          g_autofree char *word = g_strndup (name, MAX (p - name, 1));

          return fail (tmpl, name - tmpl->text, error,
                       "unknown filter '%s' (expected urlquote, json, upper or lower)", word);
        }
      {
        Filter filter = (Filter) i;

        g_array_append_val (part->filters, filter);
      }
    }
}

HttpTemplate *
http_template_compile (const char *text, const char *what, GError **error)
{
  g_autoptr (HttpTemplate) tmpl = g_new0 (HttpTemplate, 1);
  const char *p;

  tmpl->text = g_strdup (text);
  tmpl->what = g_strdup (what);
  tmpl->parts = g_array_new (FALSE, TRUE, sizeof (Part));
  g_array_set_clear_func (tmpl->parts, part_clear);

  p = tmpl->text;
  while (*p != '\0')
    {
      const char *open = strstr (p, "{{");
      const char *close;
      Part part = { 0 };

      if (open == NULL)
        {
          part.text = g_strdup (p);
          g_array_append_val (tmpl->parts, part);
          break;
        }
      if (open > p)
        {
          part.text = g_strndup (p, open - p);
          g_array_append_val (tmpl->parts, part);
          memset (&part, 0, sizeof part);
        }
      close = strstr (open + 2, "}}");
      if (close == NULL)
        {
          fail (tmpl, open - tmpl->text, error, "'{{' is never closed by '}}'");
          return NULL;
        }
      if (!parse_placeholder (tmpl, open + 2, close, &part, error))
        {
          part_clear (&part);
          return NULL;
        }
      g_array_append_val (tmpl->parts, part);
      p = close + 2;
    }
  return g_steal_pointer (&tmpl);
}

const char *
http_template_get_text (const HttpTemplate *tmpl)
{
  return tmpl->text;
}

gboolean
http_template_is_constant (const HttpTemplate *tmpl)
{
  for (guint i = 0; i < tmpl->parts->len; i++)
    if (g_array_index (tmpl->parts, Part, i).path != NULL)
      return FALSE;
  return TRUE;
}

gboolean
http_template_is_single_value (const HttpTemplate *tmpl)
{
  return tmpl->parts->len == 1 && g_array_index (tmpl->parts, Part, 0).path != NULL
         && g_array_index (tmpl->parts, Part, 0).filters->len == 0;
}

gboolean
http_template_uses_variable (const HttpTemplate *tmpl, const char *name)
{
  for (guint i = 0; i < tmpl->parts->len; i++)
    {
      const Part *part = &g_array_index (tmpl->parts, Part, i);

      if (part->path != NULL && g_str_equal (part->path[0], name))
        return TRUE;
    }
  return FALSE;
}

static gboolean
parse_index (const char *segment, size_t *ret_index)
{
  guint64 index;

  if (!g_ascii_string_to_unsigned (segment, 10, 0, G_MAXSIZE, &index, NULL))
    return FALSE;
  *ret_index = index;
  return TRUE;
}

static SluiceValue *
lookup_path (const HttpTemplate *tmpl, const Part *part, const SluiceValue *variables,
             GError **error)
{
  const SluiceValue *value = variables;

  for (guint i = 0; part->path[i] != NULL; i++)
    {
      SluiceValue *next = NULL;
      size_t index;

      if (sluice_value_get_kind (value) == SLUICE_VALUE_DICT)
        next = sluice_value_dict_lookup (value, part->path[i]);
      else if (sluice_value_get_kind (value) == SLUICE_VALUE_LIST && parse_index (part->path[i], &index)
               && index < sluice_value_list_get_length (value))
        next = sluice_value_list_get (value, index);
      if (next == NULL)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "%s template \"%s\": '%s' is not defined", tmpl->what, tmpl->text,
                       part->path_text);
          return NULL;
        }
      value = next;
    }
  return (SluiceValue *) value;
}

char *
http_template_value_to_text (const SluiceValue *value)
{
  g_autofree char *json = NULL;

  switch (sluice_value_get_kind (value))
    {
    case SLUICE_VALUE_NULL:
      return g_strdup ("");
    case SLUICE_VALUE_STRING:
    case SLUICE_VALUE_DECIMAL:
    case SLUICE_VALUE_NI:
    case SLUICE_VALUE_URI:
    case SLUICE_VALUE_UUID:
      {
        size_t len;
        const char *text = sluice_value_get_string (value, &len);

        return g_strndup (text, len);
      }
    case SLUICE_VALUE_BYTES:
      {
        size_t len;
        const uint8_t *data = sluice_value_get_bytes (value, &len);

        return g_base64_encode (data, len);
      }
    case SLUICE_VALUE_DATETIME:
      json = sluice_value_to_json (value);
      /* "\"~t2024-01-01T00:00:00Z\"": drop the quotes and the transit prefix. */
      if (strlen (json) >= 4)
        return g_strndup (json + 3, strlen (json) - 4);
      return g_strdup ("");
    default:
      return sluice_value_to_json (value);
    }
}

char *
http_template_urlquote (const char *text)
{
  return g_uri_escape_string (text, NULL, FALSE);
}

static gboolean
render_part (const HttpTemplate *tmpl, const Part *part, const SluiceValue *variables, GString *out,
             GError **error)
{
  SluiceValue *value = lookup_path (tmpl, part, variables, error);
  g_autofree char *text = NULL;

  if (value == NULL)
    return FALSE;
  for (guint i = 0; i < part->filters->len; i++)
    {
      Filter filter = g_array_index (part->filters, Filter, i);
      char *next;

      if (filter == FILTER_JSON)
        {
          if (text == NULL)
            next = sluice_value_to_json (value);
          else
            {
              g_autoptr (SluiceValue) string = sluice_value_new_string (text, -1);

              next = sluice_value_to_json (string);
            }
        }
      else
        {
          if (text == NULL)
            text = http_template_value_to_text (value);
          if (filter == FILTER_URLQUOTE)
            next = http_template_urlquote (text);
          else if (filter == FILTER_UPPER)
            next = g_utf8_strup (text, -1);
          else
            next = g_utf8_strdown (text, -1);
        }
      g_free (text);
      text = next;
    }
  if (text == NULL)
    text = http_template_value_to_text (value);
  g_string_append (out, text);
  return TRUE;
}

char *
http_template_render (const HttpTemplate *tmpl, const SluiceValue *variables, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; i < tmpl->parts->len; i++)
    {
      const Part *part = &g_array_index (tmpl->parts, Part, i);

      if (part->path == NULL)
        g_string_append (out, part->text);
      else if (!render_part (tmpl, part, variables, out, error))
        return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

SluiceValue *
http_template_render_value (const HttpTemplate *tmpl, const SluiceValue *variables, GError **error)
{
  SluiceValue *value;

  if (!http_template_is_single_value (tmpl))
    return NULL;
  value = lookup_path (tmpl, &g_array_index (tmpl->parts, Part, 0), variables, error);
  return value != NULL ? sluice_value_ref (value) : NULL;
}

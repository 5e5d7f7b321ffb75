/* sluice-config-json.c — configuration values as JSON text, numbers as written
 * (see sluice-config-json.h). */
#include <math.h>
#include <string.h>

#include "sluice-config-json.h"
#include "sluice-config-source.h"

/* The text of @node, a double, as the file wrote it when @numbers knows it and it still reads as
 * the node's value; NULL otherwise. */
static const char *
written_text (JsonNode *node, GHashTable *numbers, const char *pointer)
{
  const char *text = numbers != NULL ? g_hash_table_lookup (numbers, pointer) : NULL;

  if (text == NULL || g_ascii_strtod (text, NULL) != json_node_get_double (node))
    return NULL;
  return text;
}

/* The shortest text that reads back as @value, with a '.' or an exponent so that it stays a
 * number with a fraction ("1.0", "0.1", "1e+18"). */
static void
append_double (GString *out, double value)
{
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      /* Only a number written beyond the range of a double is infinite, and its text is known
       * (every number of a configuration file is recorded).  Without it, write a number beyond
       * that range too, rather than text that is not JSON or another value. */
      g_string_append (out, value < 0 ? "-1e999" : "1e999");
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buffer, sizeof buffer, formats[i], value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  g_string_append (out, buffer);
  if (strpbrk (buffer, ".eE") == NULL)
    g_string_append (out, ".0");
}

static void
append_string (GString *out, const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      unsigned char c = (unsigned char) *p;

      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
          break;
        }
    }
  g_string_append_c (out, '"');
}

static void
append_indent (GString *out, int level)
{
  if (level >= 0)
    for (int i = 0; i < level; i++)
      g_string_append (out, "  ");
}

static void
append_node (GString *out, JsonNode *node, GHashTable *numbers, GString *pointer, int level)
{
  gsize length = pointer->len;
  gboolean pretty = level >= 0;
  int inner = pretty ? level + 1 : -1;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *key;
        JsonNode *member;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &key, &member))
          {
            g_string_append (out, first ? (pretty ? "\n" : "") : (pretty ? ",\n" : ","));
            first = FALSE;
            append_indent (out, inner);
            append_string (out, key);
            g_string_append (out, pretty ? " : " : ":");
            sluice_json_pointer_append (pointer, key);
            append_node (out, member, numbers, pointer, inner);
            g_string_truncate (pointer, length);
          }
        if (!first && pretty)
          {
            g_string_append_c (out, '\n');
            append_indent (out, level);
          }
        g_string_append_c (out, '}');
        return;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            g_string_append (out, i == 0 ? (pretty ? "\n" : "") : (pretty ? ",\n" : ","));
            append_indent (out, inner);
            sluice_json_pointer_append_index (pointer, i);
            append_node (out, json_array_get_element (array, i), numbers, pointer, inner);
            g_string_truncate (pointer, length);
          }
        if (n > 0 && pretty)
          {
            g_string_append_c (out, '\n');
            append_indent (out, level);
          }
        g_string_append_c (out, ']');
        return;
      }
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      return;
    case JSON_NODE_VALUE:
    default:
      break;
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      {
        const char *text = written_text (node, numbers, pointer->str);

        if (text != NULL)
          g_string_append (out, text);
        else
          append_double (out, json_node_get_double (node));
        break;
      }
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    case G_TYPE_STRING:
      append_string (out, json_node_get_string (node));
      break;
    default:
      g_string_append (out, "null");
      break;
    }
}

void
sluice_config_json_append (GString *out, JsonNode *node, GHashTable *numbers, const char *pointer,
                           int level)
{
  g_autoptr (GString) path = g_string_new (pointer);

  append_node (out, node, numbers, path, level);
}

char *
sluice_config_json_write (JsonNode *node, GHashTable *numbers, const char *pointer,
                          gboolean pretty)
{
  GString *out = g_string_new (NULL);

  sluice_config_json_append (out, node, numbers, pointer, pretty ? 0 : -1);
  return g_string_free (out, FALSE);
}

/* Whether @table has an option flagged SLUICE_OPTION_FLAG_ENTITIES, at any depth. */
static gboolean
reads_entities (const SluiceOptionTable *table)
{
  SluiceOptionSpec spec;

  for (size_t i = 0; sluice_option_table_get (table, i, &spec); i++)
    {
      SluiceOptionTable nested;

      if (spec.flags & SLUICE_OPTION_FLAG_ENTITIES)
        return TRUE;
      if (spec.properties == NULL)
        continue;
      nested = sluice_option_table_nested (table, &spec);
      if (reads_entities (&nested))
        return TRUE;
    }
  return FALSE;
}

/* @node read as a receiver reads a push. */
static SluiceValue *
read_entities (JsonNode *node, GHashTable *numbers, const char *pointer, GError **error)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (SLUICE_CONFIG_JSON_ENTITY_FLAGS);
  g_autoptr (GString) text = g_string_new ("[");

  /* In an array, so that the reader hands back @node itself whatever it is (it streams the
   * elements of a top-level array). */
  sluice_config_json_append (text, node, numbers, pointer, -1);
  g_string_append_c (text, ']');
  if (!sluice_json_reader_feed (reader, text->str, text->len, error)
      || !sluice_json_reader_finish (reader, error))
    return NULL;
  return sluice_json_reader_pop (reader);
}

/* @node read as plugins read options, without flags. */
static SluiceValue *
read_options (JsonNode *node, GHashTable *numbers, const char *pointer, GError **error)
{
  g_autofree char *text = sluice_config_json_write (node, numbers, pointer, FALSE);

  return sluice_value_from_json (text, -1, error);
}

/* @object with the options of @table flagged SLUICE_OPTION_FLAG_ENTITIES read as entities and
 * the others as options: member by member, so that no entity is read as an option (which would
 * refuse 1e400). */
static SluiceValue *
read_object (JsonObject *object, GHashTable *numbers, GString *pointer,
             const SluiceOptionTable *table, GError **error)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new_sized (
    json_object_get_size (object));
  gsize length = pointer->len;
  JsonObjectIter iter;
  const char *key;
  JsonNode *member;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &key, &member))
    {
      SluiceValue *value;
      SluiceOptionSpec spec = { 0 };
      gboolean known = sluice_option_table_lookup (table, key, &spec);

      sluice_json_pointer_append (pointer, key);
      if (known && (spec.flags & SLUICE_OPTION_FLAG_ENTITIES))
        value = read_entities (member, numbers, pointer->str, error);
      else if (known && spec.properties != NULL && JSON_NODE_HOLDS_OBJECT (member))
        {
          SluiceOptionTable nested = sluice_option_table_nested (table, &spec);

          value = read_object (json_node_get_object (member), numbers, pointer, &nested, error);
        }
      else
        value = read_options (member, numbers, pointer->str, error);
      g_string_truncate (pointer, length);
      if (value == NULL)
        {
          g_prefix_error (error, "%s: ", key);
          return NULL;
        }
      sluice_dict_builder_take (builder, key, value);
    }
  return sluice_dict_builder_end (g_steal_pointer (&builder));
}

SluiceValue *
sluice_config_json_to_value (JsonNode *node, GHashTable *numbers, const char *pointer,
                             const SluiceOptionTable *table, GError **error)
{
  g_autoptr (GString) path = NULL;

  if (table == NULL || !JSON_NODE_HOLDS_OBJECT (node) || !reads_entities (table))
    return read_options (node, numbers, pointer, error);
  path = g_string_new (pointer);
  return read_object (json_node_get_object (node), numbers, path, table, error);
}

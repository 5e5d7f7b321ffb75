/* sluice-option-table.c — safe reading, checking and JSON Schema export of a plugin's option table.
 *
 * The table lives in the plugin's memory and may have been built against an older, smaller
 * SluiceOptionSpec.  Every read goes through copy_entry (), which strides with the plugin's size and
 * zero-fills what the plugin did not know about; nothing else in the host indexes the raw array.
 */
#include <stddef.h>
#include <string.h>

#include "sluice-option-table.h"

/* Guards against a table that lacks its NULL terminator or nests into itself: both would otherwise
 * read past the plugin's data. */
#define MAX_ENTRIES 1024
#define MAX_DEPTH 16

#define KNOWN_FLAGS \
  (SLUICE_OPTION_FLAG_REQUIRED | SLUICE_OPTION_FLAG_SECRET | SLUICE_OPTION_FLAG_OPEN \
   | SLUICE_OPTION_FLAG_DATASET | SLUICE_OPTION_FLAG_ENTITIES)

static const struct
{
  uint32_t bit;
  const char *name;
} type_names[] = {
  { SLUICE_OPTION_STRING, "string" },   { SLUICE_OPTION_INTEGER, "integer" },
  { SLUICE_OPTION_NUMBER, "number" },   { SLUICE_OPTION_BOOLEAN, "boolean" },
  { SLUICE_OPTION_OBJECT, "object" },   { SLUICE_OPTION_ARRAY, "array" },
  { SLUICE_OPTION_NULL, "null" },
};

SluiceOptionTable
sluice_option_table_from_element (const SluiceElementDescriptor *element)
{
  SluiceOptionTable table = { NULL, 0 };

  if (element != NULL && element->options != NULL
      && element->option_struct_size >= SLUICE_OPTION_SPEC_SIZE_1_0)
    {
      table.entries = element->options;
      table.stride = element->option_struct_size;
    }
  return table;
}

static gboolean
copy_entry (const SluiceOptionTable *table, size_t index, SluiceOptionSpec *ret_spec)
{
  const char *raw;

  memset (ret_spec, 0, sizeof *ret_spec);
  if (table == NULL || table->entries == NULL || table->stride < SLUICE_OPTION_SPEC_SIZE_1_0
      || index >= MAX_ENTRIES)
    return FALSE;

  raw = (const char *) table->entries + index * table->stride;
  memcpy (ret_spec, raw, MIN (table->stride, sizeof *ret_spec));
  return ret_spec->key != NULL;
}

gboolean
sluice_option_table_get (const SluiceOptionTable *table, size_t index, SluiceOptionSpec *ret_spec)
{
  SluiceOptionSpec spec;

  if (!copy_entry (table, index, &spec))
    return FALSE;
  *ret_spec = spec;
  return TRUE;
}

gboolean
sluice_option_table_lookup (const SluiceOptionTable *table, const char *key,
                            SluiceOptionSpec *ret_spec)
{
  SluiceOptionSpec spec;

  g_return_val_if_fail (key != NULL, FALSE);

  for (size_t i = 0; copy_entry (table, i, &spec); i++)
    if (strcmp (spec.key, key) == 0)
      {
        *ret_spec = spec;
        return TRUE;
      }
  return FALSE;
}

SluiceOptionTable
sluice_option_table_nested (const SluiceOptionTable *table, const SluiceOptionSpec *spec)
{
  SluiceOptionTable nested = { NULL, 0 };

  if (table != NULL && spec != NULL && spec->properties != NULL)
    {
      nested.entries = spec->properties;
      nested.stride = table->stride;
    }
  return nested;
}

size_t
sluice_option_table_key_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  g_autofree size_t *d = g_new (size_t, (la + 1) * (lb + 1));
  size_t result;

#define D(i, j) d[(i) * (lb + 1) + (j)]
  for (size_t i = 0; i <= la; i++)
    D (i, 0) = i;
  for (size_t j = 0; j <= lb; j++)
    D (0, j) = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++)
      {
        size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
        size_t best = MIN (D (i - 1, j) + 1, D (i, j - 1) + 1);

        best = MIN (best, D (i - 1, j - 1) + cost);
        /* Optimal string alignment: a swap of two adjacent characters counts as one edit. */
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
          best = MIN (best, D (i - 2, j - 2) + 1);
        D (i, j) = best;
      }
  result = D (la, lb);
#undef D
  return result;
}

void
sluice_suggestion_init (SluiceSuggestion *suggestion, const char *name)
{
  suggestion->name = name;
  suggestion->best = NULL;
  suggestion->best_distance = G_MAXSIZE;
}

void
sluice_suggestion_consider (SluiceSuggestion *suggestion, const char *candidate)
{
  size_t distance = sluice_option_table_key_distance (suggestion->name, candidate);

  if (distance < suggestion->best_distance
      || (distance == suggestion->best_distance && strcmp (candidate, suggestion->best) < 0))
    {
      suggestion->best = candidate;
      suggestion->best_distance = distance;
    }
}

const char *
sluice_suggestion_get (const SluiceSuggestion *suggestion)
{
  if (suggestion->best == NULL || suggestion->best_distance * 3 > strlen (suggestion->name))
    return NULL;
  return suggestion->best;
}

const char *
sluice_option_table_suggest (const SluiceOptionTable *table, const char *key)
{
  SluiceOptionSpec spec;
  const char *best = NULL;
  size_t best_distance = G_MAXSIZE;
  size_t key_len;

  g_return_val_if_fail (key != NULL, NULL);

  key_len = strlen (key);
  for (size_t i = 0; copy_entry (table, i, &spec); i++)
    {
      size_t distance = sluice_option_table_key_distance (key, spec.key);

      if (distance < best_distance)
        {
          best = spec.key;
          best_distance = distance;
        }
    }
  if (best == NULL || best_distance * 3 > key_len)
    return NULL;
  return best;
}

/* "string", "string or integer", … for messages. */
static char *
describe_types (uint32_t types)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (size_t i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (types & type_names[i].bit)
      g_ptr_array_add (names, (gpointer) type_names[i].name);
  if (names->len == 0)
    return g_strdup ("nothing");
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" or ", (char **) names->pdata);
}

static uint32_t
json_type_of (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return SLUICE_OPTION_OBJECT;
    case JSON_NODE_ARRAY:
      return SLUICE_OPTION_ARRAY;
    case JSON_NODE_NULL:
      return SLUICE_OPTION_NULL;
    case JSON_NODE_VALUE:
      break;
    }
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return SLUICE_OPTION_STRING;
    case G_TYPE_BOOLEAN:
      return SLUICE_OPTION_BOOLEAN;
    case G_TYPE_INT64:
      return SLUICE_OPTION_INTEGER;
    default:
      return SLUICE_OPTION_NUMBER;
    }
}

/* Whether a JSON value of type @actual is acceptable where @accepted is allowed: an integer is
 * also a number. */
static gboolean
type_accepted (uint32_t actual, uint32_t accepted)
{
  if (actual & accepted)
    return TRUE;
  return actual == SLUICE_OPTION_INTEGER && (accepted & SLUICE_OPTION_NUMBER);
}

static JsonNode *
parse_json (const char *text, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();

  if (!json_parser_load_from_data (parser, text, -1, error))
    return NULL;
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE, "empty text");
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

static gboolean
check_default (const char *where, const char *path, const SluiceOptionSpec *spec, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (JsonNode) node = parse_json (spec->default_json, &local_error);
  uint32_t actual;

  if (node == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "%s: option '%s' has a default that is not valid JSON: %s (%s)", where, path,
                   spec->default_json, local_error->message);
      return FALSE;
    }

  actual = json_type_of (node);
  if (!type_accepted (actual, spec->types))
    {
      g_autofree char *accepted = describe_types (spec->types);
      g_autofree char *got = describe_types (actual);

      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "%s: option '%s' has a default of type %s (%s), but the option accepts %s",
                   where, path, got, spec->default_json, accepted);
      return FALSE;
    }

  if (actual == SLUICE_OPTION_STRING && spec->choices != NULL)
    {
      const char *value = json_node_get_string (node);

      if (!g_strv_contains ((const char *const *) spec->choices, value))
        {
          g_autofree char *choices = g_strjoinv (", ", (char **) spec->choices);

          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "%s: option '%s' has the default \"%s\", which is not one of its choices (%s)",
                       where, path, value, choices);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_table (const SluiceOptionTable *table, const char *where, const char *prefix, int depth,
             GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  SluiceOptionSpec spec;
  size_t i;

  if (depth > MAX_DEPTH)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "%s: option '%s' nests more than %d levels deep (does a table contain itself?)",
                   where, prefix, MAX_DEPTH);
      return FALSE;
    }

  for (i = 0; copy_entry (table, i, &spec); i++)
    {
      g_autofree char *path = NULL;
      uint32_t unknown;

      if (spec.key[0] == '\0')
        {
          if (prefix != NULL)
            g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                         "%s: property #%zu of option '%s' has an empty key", where, i + 1, prefix);
          else
            g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                         "%s: option #%zu has an empty key", where, i + 1);
          return FALSE;
        }
      path = prefix != NULL ? g_strconcat (prefix, ".", spec.key, NULL) : g_strdup (spec.key);

      if (!g_hash_table_add (seen, (gpointer) spec.key))
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "%s: option '%s' is declared twice", where, path);
          return FALSE;
        }
      if (spec.types == 0)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "%s: option '%s' accepts no type (types is 0)", where, path);
          return FALSE;
        }
      unknown = spec.types & ~(uint32_t) SLUICE_OPTION_ANY;
      if (unknown != 0)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "%s: option '%s' has unknown type bits 0x%x", where, path, unknown);
          return FALSE;
        }
      unknown = spec.flags & ~(uint32_t) KNOWN_FLAGS;
      if (unknown != 0)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "%s: option '%s' has unknown flag bits 0x%x", where, path, unknown);
          return FALSE;
        }
      if ((spec.flags & SLUICE_OPTION_FLAG_OPEN) && !(spec.types & SLUICE_OPTION_OBJECT))
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "%s: option '%s' is marked open but does not accept objects", where, path);
          return FALSE;
        }
      if (spec.choices != NULL)
        {
          if (!(spec.types & SLUICE_OPTION_STRING))
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                           "%s: option '%s' has choices but does not accept strings", where, path);
              return FALSE;
            }
          if (spec.choices[0] == NULL)
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                           "%s: option '%s' has an empty list of choices", where, path);
              return FALSE;
            }
        }
      if (spec.default_json != NULL)
        {
          /* A default would never be used: the key must be given anyway. */
          if (spec.flags & SLUICE_OPTION_FLAG_REQUIRED)
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                           "%s: option '%s' is required and also has a default", where, path);
              return FALSE;
            }
          if (!check_default (where, path, &spec, error))
            return FALSE;
        }
      if (spec.properties != NULL)
        {
          SluiceOptionTable nested = sluice_option_table_nested (table, &spec);

          if (!(spec.types & SLUICE_OPTION_OBJECT))
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                           "%s: option '%s' has properties but does not accept objects", where,
                           path);
              return FALSE;
            }
          if (!check_table (&nested, where, path, depth + 1, error))
            return FALSE;
        }
    }

  if (i >= MAX_ENTRIES)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "%s: more than %d options%s%s%s (is the table missing its terminating entry "
                   "with key NULL?)",
                   where, MAX_ENTRIES, prefix ? " in option '" : "", prefix ? prefix : "",
                   prefix ? "'" : "");
      return FALSE;
    }
  return TRUE;
}

gboolean
sluice_option_table_check (const SluiceOptionTable *table, const char *where, GError **error)
{
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (where != NULL, FALSE);

  if (table->entries != NULL && table->stride < SLUICE_OPTION_SPEC_SIZE_1_0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "%s: option_struct_size is %zu bytes, smaller than ABI 1.0's %zu bytes", where,
                   table->stride, (size_t) SLUICE_OPTION_SPEC_SIZE_1_0);
      return FALSE;
    }
  return check_table (table, where, NULL, 0, error);
}

static void
add_type (JsonBuilder *builder, uint32_t types)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  if ((types & SLUICE_OPTION_ANY) == SLUICE_OPTION_ANY)
    return;
  /* JSON Schema's "number" already includes integers. */
  if (types & SLUICE_OPTION_NUMBER)
    types &= ~(uint32_t) SLUICE_OPTION_INTEGER;
  for (size_t i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (types & type_names[i].bit)
      g_ptr_array_add (names, (gpointer) type_names[i].name);
  if (names->len == 0)
    return;

  json_builder_set_member_name (builder, "type");
  if (names->len == 1)
    {
      json_builder_add_string_value (builder, g_ptr_array_index (names, 0));
      return;
    }
  json_builder_begin_array (builder);
  for (guint i = 0; i < names->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (names, i));
  json_builder_end_array (builder);
}

static void build_object_schema (JsonBuilder *builder, const SluiceOptionTable *table, gboolean open,
                                 int depth);

static void
build_property (JsonBuilder *builder, const SluiceOptionTable *table, const SluiceOptionSpec *spec,
                int depth)
{
  json_builder_begin_object (builder);
  add_type (builder, spec->types);
  if (spec->description != NULL)
    {
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, spec->description);
    }
  if (spec->default_json != NULL)
    {
      g_autoptr (JsonNode) node = parse_json (spec->default_json, NULL);

      if (node != NULL)
        {
          json_builder_set_member_name (builder, "default");
          json_builder_add_value (builder, g_steal_pointer (&node));
        }
    }
  if (spec->choices != NULL)
    {
      json_builder_set_member_name (builder, "enum");
      json_builder_begin_array (builder);
      for (size_t i = 0; spec->choices[i] != NULL; i++)
        json_builder_add_string_value (builder, spec->choices[i]);
      json_builder_end_array (builder);
    }
  if (spec->flags & SLUICE_OPTION_FLAG_SECRET)
    {
      /* The standard keyword for "never shown back": sluice redacts it in printed configuration. */
      json_builder_set_member_name (builder, "writeOnly");
      json_builder_add_boolean_value (builder, TRUE);
    }
  if (spec->properties != NULL && depth < MAX_DEPTH)
    {
      SluiceOptionTable nested = sluice_option_table_nested (table, spec);

      build_object_schema (builder, &nested, (spec->flags & SLUICE_OPTION_FLAG_OPEN) != 0,
                           depth + 1);
    }
  json_builder_end_object (builder);
}

/* Adds properties, required and additionalProperties to the object being built. */
static void
build_object_schema (JsonBuilder *builder, const SluiceOptionTable *table, gboolean open, int depth)
{
  SluiceOptionSpec spec;
  gboolean any_required = FALSE;

  json_builder_set_member_name (builder, "properties");
  json_builder_begin_object (builder);
  for (size_t i = 0; copy_entry (table, i, &spec); i++)
    {
      json_builder_set_member_name (builder, spec.key);
      build_property (builder, table, &spec, depth);
      any_required |= (spec.flags & SLUICE_OPTION_FLAG_REQUIRED) != 0;
    }
  json_builder_end_object (builder);

  if (any_required)
    {
      json_builder_set_member_name (builder, "required");
      json_builder_begin_array (builder);
      for (size_t i = 0; copy_entry (table, i, &spec); i++)
        if (spec.flags & SLUICE_OPTION_FLAG_REQUIRED)
          json_builder_add_string_value (builder, spec.key);
      json_builder_end_array (builder);
    }

  json_builder_set_member_name (builder, "additionalProperties");
  json_builder_add_boolean_value (builder, open);
}

JsonNode *
sluice_option_table_to_json_schema (const SluiceOptionTable *table)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (table != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "object");
  build_object_schema (builder, table, FALSE, 0);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

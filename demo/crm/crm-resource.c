/* crm-resource.c — one in-memory collection of the demo CRM (see crm-resource.h).
 *
 * Bodies are kept as compact JSON text rather than parsed trees: a 200,000-entity resource then
 * costs about the size of its JSON, and serving it is string copying.
 */
#include "crm-resource.h"

#include <string.h>

struct _CrmResource
{
  char *name;
  char *id_prefix;
  GPtrArray *log;      /* CrmRecord *, owned, in `_updated` order */
  GHashTable *current; /* id (borrowed from the record) -> CrmRecord * */
  gint64 next_seq;
  guint64 next_generated;
  CrmPushSequence push;
};

static void
record_free (CrmRecord *record)
{
  g_free (record->id);
  g_free (record->body);
  g_free (record);
}

CrmResource *
crm_resource_new (const char *name, const char *id_prefix)
{
  CrmResource *resource = g_new0 (CrmResource, 1);

  resource->name = g_strdup (name);
  resource->id_prefix = g_strdup (id_prefix);
  resource->log = g_ptr_array_new_with_free_func ((GDestroyNotify)record_free);
  resource->current = g_hash_table_new (g_str_hash, g_str_equal);
  resource->next_generated = 1;
  return resource;
}

void
crm_push_sequence_clear (CrmPushSequence *sequence)
{
  g_clear_pointer (&sequence->sequence_id, g_free);
  g_clear_pointer (&sequence->last_request_id, g_free);
  g_clear_pointer (&sequence->seen, g_hash_table_unref);
  sequence->requests = 0;
}

void
crm_resource_free (CrmResource *resource)
{
  if (resource == NULL)
    return;
  crm_push_sequence_clear (&resource->push);
  g_hash_table_unref (resource->current);
  g_ptr_array_unref (resource->log);
  g_free (resource->id_prefix);
  g_free (resource->name);
  g_free (resource);
}

const char *
crm_resource_get_name (CrmResource *resource)
{
  return resource->name;
}

CrmRecord *
crm_resource_put (CrmResource *resource, const char *id, char *body, gboolean deleted,
                  gboolean *ret_changed)
{
  CrmRecord *old = g_hash_table_lookup (resource->current, id);
  CrmRecord *record;

  if (old != NULL && old->deleted == deleted && strcmp (old->body, body) == 0)
    {
      g_free (body);
      if (ret_changed != NULL)
        *ret_changed = FALSE;
      return old;
    }

  record = g_new0 (CrmRecord, 1);
  record->id = g_strdup (id);
  record->body = body;
  record->seq = resource->next_seq++;
  record->superseded_by = -1;
  record->deleted = deleted;
  if (old != NULL)
    old->superseded_by = record->seq;
  g_ptr_array_add (resource->log, record);
  g_hash_table_replace (resource->current, record->id, record);
  if (ret_changed != NULL)
    *ret_changed = TRUE;
  return record;
}

CrmRecord *
crm_resource_lookup (CrmResource *resource, const char *id)
{
  return g_hash_table_lookup (resource->current, id);
}

char *
crm_resource_generate_id (CrmResource *resource)
{
  for (;;)
    {
      char *id = g_strdup_printf ("%s-%" G_GUINT64_FORMAT, resource->id_prefix,
                                  resource->next_generated++);

      if (!g_hash_table_contains (resource->current, id))
        return id;
      g_free (id);
    }
}

gint64
crm_resource_get_max_seq (CrmResource *resource)
{
  return resource->next_seq - 1;
}

guint
crm_resource_get_log_length (CrmResource *resource)
{
  return resource->log->len;
}

CrmRecord *
crm_resource_get_log_record (CrmResource *resource, guint index)
{
  return index < resource->log->len ? g_ptr_array_index (resource->log, index) : NULL;
}

guint
crm_resource_find_after (CrmResource *resource, gint64 since)
{
  guint lo = 0, hi = resource->log->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      CrmRecord *record = g_ptr_array_index (resource->log, mid);

      if (record->seq <= since)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

GPtrArray *
crm_resource_dup_live_ids (CrmResource *resource)
{
  GPtrArray *ids = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, resource->current);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!((CrmRecord *)value)->deleted)
      g_ptr_array_add (ids, key);
  return ids;
}

gboolean
crm_record_is_current_at (const CrmRecord *record, gint64 snapshot)
{
  return record->seq <= snapshot && (record->superseded_by < 0 || record->superseded_by > snapshot);
}

void
crm_record_append_json (const CrmRecord *record, GString *out)
{
  gsize len = strlen (record->body);

  /* The body is a compact object that always holds `_id`, so it ends in "}" and is never "{}". */
  g_string_append_len (out, record->body, len - 1);
  g_string_append_printf (out, ",\"_updated\":%" G_GINT64_FORMAT "%s}", record->seq,
                          record->deleted ? ",\"_deleted\":true" : "");
}

char *
crm_record_to_json (const CrmRecord *record)
{
  GString *out = g_string_new (NULL);

  crm_record_append_json (record, out);
  return g_string_free (out, FALSE);
}

char *
crm_record_dup_etag (const CrmRecord *record)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);

  g_checksum_update (checksum, (const guchar *)record->body, -1);
  if (record->deleted)
    g_checksum_update (checksum, (const guchar *)"\0deleted", 8);
  return g_strdup_printf ("\"%s\"", g_checksum_get_string (checksum));
}

CrmPushSequence *
crm_resource_get_push_sequence (CrmResource *resource)
{
  return &resource->push;
}

static gboolean
is_server_field (const char *name)
{
  static const char *const owned[] = { "_id", "_updated", "_deleted", "_previous", "_ts", "_hash" };

  for (gsize i = 0; i < G_N_ELEMENTS (owned); i++)
    if (strcmp (name, owned[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Compact JSON with numbers in their shortest form that reads back the same, so that bodies
 * look like what clients sent ("score":7.47, not 7.4699999999999998). */
static void
write_string (GString *out, const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar)*p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char)c);
        }
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char)c);
    }
  g_string_append_c (out, '"');
}

static void
write_double (GString *out, double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  for (int precision = 15; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  g_string_append (out, buffer);
  /* A whole double stays a double on the way back in. */
  if (strpbrk (buffer, ".eEn") == NULL)
    g_string_append (out, ".0");
}

static void
write_node (GString *out, JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
      case JSON_NODE_NULL:
        g_string_append (out, "null");
        break;
      case JSON_NODE_OBJECT:
        {
          JsonObject *object = json_node_get_object (node);
          g_autoptr (GList) members = json_object_get_members (object);

          g_string_append_c (out, '{');
          for (GList *l = members; l != NULL; l = l->next)
            {
              if (l != members)
                g_string_append_c (out, ',');
              write_string (out, l->data);
              g_string_append_c (out, ':');
              write_node (out, json_object_get_member (object, l->data));
            }
          g_string_append_c (out, '}');
        }
        break;
      case JSON_NODE_ARRAY:
        {
          JsonArray *array = json_node_get_array (node);

          g_string_append_c (out, '[');
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              if (i > 0)
                g_string_append_c (out, ',');
              write_node (out, json_array_get_element (array, i));
            }
          g_string_append_c (out, ']');
        }
        break;
      case JSON_NODE_VALUE:
        switch (json_node_get_value_type (node))
          {
            case G_TYPE_INT64:
              g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
              break;
            case G_TYPE_DOUBLE:
              write_double (out, json_node_get_double (node));
              break;
            case G_TYPE_BOOLEAN:
              g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
              break;
            case G_TYPE_STRING:
              write_string (out, json_node_get_string (node));
              break;
            default:
              g_string_append (out, "null");
              break;
          }
        break;
    }
}

char *
crm_body_from_object (JsonObject *object, const char *id)
{
  GString *out = g_string_sized_new (256);
  g_autoptr (GList) members = json_object_get_members (object);

  g_string_append (out, "{\"_id\":");
  write_string (out, id);
  for (GList *l = members; l != NULL; l = l->next)
    {
      if (is_server_field (l->data))
        continue;
      g_string_append_c (out, ',');
      write_string (out, l->data);
      g_string_append_c (out, ':');
      write_node (out, json_object_get_member (object, l->data));
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

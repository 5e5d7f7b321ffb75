/* sluice-http-fields.c — the fields of a POST to the HTTP API: a form-encoded body, a JSON object,
 * or, without a body, the query (docs/http-api.md, "Errors").
 *
 * A JSON body is checked three times before its fields are taken: its nesting (512 levels, before
 * json-glib, which recurses once per level, sees it), its syntax by json-glib (whose messages give
 * line:column), and strict JSON by the SDK's reader (json-glib also takes comments, single quotes
 * and repeated keys).  A string member becomes its text; any other member keeps the text it was
 * written with, so that a number reaches the operation exactly as sent (`"last-seen":
 * 12345678901234567890` is that integer, not a double written back by json-glib).
 */
#include <string.h>

#include "sluice-http-private.h"
#include "sluice-json-depth.h"

/* The index just after the JSON string that starts at @data[@i] (a '"'). */
static gsize
skip_string (const char *data, gsize len, gsize i)
{
  for (i++; i < len; i++)
    {
      if (data[i] == '\\')
        i++;
      else if (data[i] == '"')
        return i + 1;
    }
  return len;
}

static gsize
skip_space (const char *data, gsize len, gsize i)
{
  while (i < len && g_ascii_isspace (data[i]))
    i++;
  return i;
}

/* The index just after the JSON value that starts at @data[@i]; the text is strict JSON. */
static gsize
skip_value (const char *data, gsize len, gsize i)
{
  int depth = 0;

  while (i < len)
    {
      char c = data[i];

      if (c == '"')
        {
          i = skip_string (data, len, i);
          if (depth == 0)
            return i;
          continue;
        }
      if (c == '{' || c == '[')
        depth++;
      else if (c == '}' || c == ']')
        {
          if (depth == 0)
            return i;
          if (--depth == 0)
            return i + 1;
        }
      else if (depth == 0 && (c == ',' || g_ascii_isspace (c)))
        return i;
      i++;
    }
  return len;
}

/* Each member of the strict JSON object @data as it is written: key (decoded) -> value text. */
static GHashTable *
member_texts (const char *data, gsize len)
{
  GHashTable *texts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gsize i = skip_space (data, len, 0) + 1; /* after the '{' */

  for (;;)
    {
      g_autofree char *key_text = NULL;
      g_autoptr (JsonNode) key = NULL;
      gsize key_start, value_start;

      i = skip_space (data, len, i);
      if (i >= len || data[i] != '"')
        break;
      key_start = i;
      i = skip_string (data, len, i);
      key_text = g_strndup (data + key_start, i - key_start);
      key = json_from_string (key_text, NULL);
      i = skip_space (data, len, i) + 1; /* after the ':' */
      value_start = skip_space (data, len, i);
      i = skip_value (data, len, value_start);
      if (key != NULL && JSON_NODE_HOLDS_VALUE (key))
        g_hash_table_replace (texts, g_strdup (json_node_get_string (key)),
                              g_strndup (data + value_start, i - value_start));
      i = skip_space (data, len, i);
      if (i >= len || data[i] != ',')
        break;
      i++;
    }
  return texts;
}

static GHashTable *
fields_from_json (SoupServerMessage *msg, const char *data, gsize len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GList) members = NULL;
  g_autoptr (SluiceValue) strict = NULL;
  g_autoptr (GHashTable) texts = NULL;
  GHashTable *fields;
  JsonObject *object;
  JsonNode *root;

  if (!sluice_json_check_depth (data, len, &error))
    {
      sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "request body: %s", error->message);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, len, &error))
    {
      const char *message = error->message;

      /* json-glib names its input "<data>"; the position that follows is line:column. */
      if (g_str_has_prefix (message, "<data>:"))
        message += strlen ("<data>:");
      sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                               "malformed JSON in the request body at line:column %s", message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                               "request body: expected a JSON object of fields, e.g. "
                               "{\"operation\": \"start\"}");
      return NULL;
    }
  /* json-glib took it; the SDK's reader must too, so that its text can be taken as it is. */
  if ((strict = sluice_value_from_json (data, len, &error)) == NULL)
    {
      sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "request body: not JSON: %s",
                               error->message);
      return NULL;
    }
  texts = member_texts (data, len);
  fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  object = json_node_get_object (root);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);

      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
        g_hash_table_replace (fields, g_strdup (l->data), g_strdup (json_node_get_string (value)));
      else if (!JSON_NODE_HOLDS_NULL (value) && g_hash_table_contains (texts, l->data))
        g_hash_table_replace (fields, g_strdup (l->data),
                              g_strdup (g_hash_table_lookup (texts, l->data)));
    }
  return fields;
}

GHashTable *
sluice_http_read_fields (SoupServerMessage *msg, GHashTable *query)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *type = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len == 0)
    {
      GHashTable *fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      GHashTableIter iter;
      gpointer key, value;

      if (query != NULL)
        {
          g_hash_table_iter_init (&iter, query);
          while (g_hash_table_iter_next (&iter, &key, &value))
            g_hash_table_replace (fields, g_strdup (key), g_strdup (value));
        }
      return fields;
    }
  if (type == NULL || g_ascii_strcasecmp (type, "application/x-www-form-urlencoded") == 0)
    {
      g_autofree char *text = g_strndup (data, len);

      return soup_form_decode (text);
    }
  if (g_ascii_strcasecmp (type, "application/json") == 0)
    return fields_from_json (msg, data, len);
  sluice_http_reply_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                           "request body of type '%s': expected application/x-www-form-urlencoded "
                           "or application/json", type);
  return NULL;
}

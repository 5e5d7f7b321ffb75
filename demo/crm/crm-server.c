/* crm-server.c — the demo CRM's HTTP endpoints (see crm-server.h and demo/crm/README.md).
 *
 * Everything runs on the main loop.  List responses are streamed with chunked encoding: the
 * handler queues the first chunk and each "wrote-chunk" queues the next, so a 200,000-entity
 * response never exists as one string and the written chunks are dropped at once.  A list
 * response reads the log as of the moment it started (a snapshot `_updated`), so writes that
 * arrive while it streams neither appear in it nor hide the versions it was about to send.
 */
#include "crm-server.h"

#include <libsoup/soup.h>
#include <stdarg.h>
#include <string.h>

#include "sluice-http-keepalive.h"

#define CHUNK_BYTES (32 * 1024)
#define DEFAULT_PER_PAGE 100
#define MAX_PER_PAGE 1000

struct _CrmServer
{
  SoupServer *soup;
  SluiceHttpKeepalive *keepalive; /* closes connections the clients closed (libsoup 3.2 does not) */
  GHashTable *resources; /* name -> CrmResource * (owned) */
  CrmFaults *faults;
  GHashTable *request_counts; /* "METHOD /path" -> count */
  GHashTable *status_counts;  /* "500" -> count */
  guint64 total_requests;
  GHashTable *delayed; /* SoupServerMessage * -> source id */
  gboolean require_if_match;
  gboolean quiet;
};

/* What a request asks for, after routing. */
typedef enum
{
  ROUTE_COLLECTION, /* /persons */
  ROUTE_ITEM,       /* /persons/{id} */
  ROUTE_PUSH,       /* /push/persons */
  ROUTE_ENRICH,     /* /enrich/persons */
} Route;

static const char *
singular (CrmResource *resource)
{
  return strcmp (crm_resource_get_name (resource), "companies") == 0 ? "company" : "person";
}

/* "GET /persons?since=3": how messages name the request. */
static char *
describe_request (SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);

  return g_strdup_printf ("%s %s%s%s", soup_server_message_get_method (msg), g_uri_get_path (uri),
                          query != NULL ? "?" : "", query != NULL ? query : "");
}

/* libsoup 3.2 knows no phrase for these two (RFC 6585). */
static void
set_status (SoupServerMessage *msg, guint status)
{
  const char *phrase = NULL;

  if (status == 428)
    phrase = "Precondition Required";
  else if (status == 429)
    phrase = "Too Many Requests";
  soup_server_message_set_status (msg, status, phrase);
}

static void
set_json_body (SoupServerMessage *msg, guint status, char *json)
{
  set_status (msg, status);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, json, strlen (json));
}

static void
set_json_node (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  set_json_body (msg, status, json_generator_to_data (generator, NULL));
}

/* "an array", "a string"…: what a JSON value is, for messages. */
static const char *
node_kind (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
      case JSON_NODE_OBJECT:
        return "an object";
      case JSON_NODE_ARRAY:
        return "an array";
      case JSON_NODE_NULL:
        return "null";
      case JSON_NODE_VALUE:
        switch (json_node_get_value_type (node))
          {
            case G_TYPE_STRING:
              return "a string";
            case G_TYPE_BOOLEAN:
              return "a boolean";
            default:
              return "a number";
          }
    }
  return "a value";
}

static void reply_error (SoupServerMessage *msg, guint status, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

/* {"error": "<request>: <message>"} */
static void
reply_error (SoupServerMessage *msg, guint status, const char *format, ...)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *request = describe_request (msg);
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  message = g_strdup_printf ("%s: %s", request, text);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  set_json_node (msg, status, root);
}

/* The request body parsed as JSON; on failure the reply is set and NULL returned. */
static JsonNode *
parse_request_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  if (body->length == 0)
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "expected a JSON body, got an empty one");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, body->data, body->length, &error))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "the body is not valid JSON: %s", error->message);
      return NULL;
    }
  return json_parser_steal_root (parser);
}

/* An optional integer query parameter of at least @minimum; -1 when absent or empty.
 * @expected says what it should be, for the message. */
static gboolean
query_int (SoupServerMessage *msg, GHashTable *query, const char *name, gint64 minimum,
           const char *expected, gint64 *ret_value)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, name) : NULL;
  g_autoptr (GError) error = NULL;
  gint64 value;

  if (text == NULL || *text == '\0')
    {
      *ret_value = -1;
      return TRUE;
    }
  if (!g_ascii_string_to_signed (text, 10, minimum, G_MAXINT64, &value, &error))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "query parameter \"%s\": expected %s, got \"%s\"",
                   name, expected, text);
      return FALSE;
    }
  *ret_value = value;
  return TRUE;
}

/* A JSON push flag: absent is false; present without a value ("&is_last") is true. */
static gboolean
query_bool (SoupServerMessage *msg, GHashTable *query, const char *name, gboolean *ret_value)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  /* libsoup drops parameters without "=", so look for the bare flag in the raw query. */
  if (text == NULL)
    {
      const char *raw = g_uri_get_query (soup_server_message_get_uri (msg));
      g_auto (GStrv) parts = g_strsplit (raw != NULL ? raw : "", "&", -1);

      for (char **part = parts; *part != NULL; part++)
        if (strcmp (*part, name) == 0)
          text = "";
    }

  if (text == NULL)
    *ret_value = FALSE;
  else if (*text == '\0' || strcmp (text, "true") == 0 || strcmp (text, "1") == 0)
    *ret_value = TRUE;
  else if (strcmp (text, "false") == 0 || strcmp (text, "0") == 0)
    *ret_value = FALSE;
  else
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                   "query parameter \"%s\": expected true or false, got \"%s\"", name, text);
      return FALSE;
    }
  return TRUE;
}

/* ---- JSON pull: GET /persons ------------------------------------------------------------- */

typedef struct
{
  CrmResource *resource; /* borrowed: the server outlives its messages */
  guint index;
  gint64 snapshot;
  gint64 limit; /* -1: no limit */
  guint stride; /* partial fault: every stride-th entity; 1: all */
  guint64 seen; /* entities that matched, before the stride */
  guint64 emitted;
  gboolean truncated;
  guint64 truncate_at; /* with truncated: cut the entity with this position */
  gboolean done;
  gboolean completed;
} ListStream;

/* The next entity of the stream, honouring the snapshot, stride and limit; NULL at the end. */
static CrmRecord *
list_stream_next (ListStream *stream)
{
  CrmRecord *record;

  if (stream->limit >= 0 && stream->emitted >= (guint64)stream->limit)
    return NULL;
  while ((record = crm_resource_get_log_record (stream->resource, stream->index)) != NULL)
    {
      if (record->seq > stream->snapshot)
        return NULL;
      stream->index++;
      if (!crm_record_is_current_at (record, stream->snapshot))
        continue;
      if (stream->seen++ % stream->stride != 0)
        continue;
      return record;
    }
  return NULL;
}

static void
list_stream_fill (ListStream *stream, GString *out)
{
  while (!stream->done && out->len < CHUNK_BYTES)
    {
      CrmRecord *record = list_stream_next (stream);

      if (record == NULL)
        {
          if (stream->truncated)
            g_string_append (out, stream->emitted > 0 ? ",{\"_id\":\"" : "{\"_id\":\"");
          else
            g_string_append_c (out, ']');
          stream->done = TRUE;
          break;
        }
      if (stream->emitted > 0)
        g_string_append_c (out, ',');
      if (stream->truncated && stream->emitted == stream->truncate_at)
        {
          g_autofree char *json = crm_record_to_json (record);

          g_string_append_len (out, json, strlen (json) / 2);
          stream->done = TRUE;
          break;
        }
      crm_record_append_json (record, out);
      stream->emitted++;
    }
}

static void
list_stream_push_chunk (SoupServerMessage *msg, ListStream *stream)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  GString *out = g_string_sized_new (CHUNK_BYTES + 1024);
  gsize len;

  list_stream_fill (stream, out);
  len = out->len;
  if (len > 0)
    soup_message_body_append (body, SOUP_MEMORY_TAKE, g_string_free (out, FALSE), len);
  else
    g_string_free (out, TRUE);
  if (stream->done)
    {
      soup_message_body_complete (body);
      stream->completed = TRUE;
    }
}

static void
on_wrote_chunk (SoupServerMessage *msg, gpointer user_data)
{
  ListStream *stream = user_data;

  if (!stream->completed)
    list_stream_push_chunk (msg, stream);
}

/* How many entities a full pass of @stream's settings would emit: the truncated fault cuts the
 * body in the middle of what it would have been. */
static guint64
list_stream_count (const ListStream *settings)
{
  ListStream probe = *settings;
  guint64 count = 0;

  probe.truncated = FALSE;
  while (list_stream_next (&probe) != NULL)
    {
      probe.emitted++;
      count++;
    }
  return count;
}

static void
set_dataset_headers (SoupServerMessage *msg, CrmResource *resource)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *max = g_strdup_printf ("%" G_GINT64_FORMAT, crm_resource_get_max_seq (resource));

  soup_message_headers_replace (headers, "X-Dataset-Populated", "true");
  if (crm_resource_get_max_seq (resource) >= 0)
    soup_message_headers_replace (headers, "X-Dataset-Max-Updated", max);
}

/* ?page=N&per_page=M: one page wrapped in an envelope, with the next page named three ways
 * (body link, Link header, X-Next-Page) for the REST source's pagination styles. */
static void
list_paged (SoupServerMessage *msg, CrmResource *resource, gint64 since, gint64 page,
            gint64 per_page)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  ListStream stream = { 0 };
  GString *out = g_string_new ("{\"data\":[");
  guint64 skip = (guint64)(page - 1) * (guint64)per_page;
  guint64 total = 0, in_page = 0;
  CrmRecord *record;
  g_autofree char *next = NULL;

  stream.resource = resource;
  stream.index = crm_resource_find_after (resource, since);
  stream.snapshot = crm_resource_get_max_seq (resource);
  stream.limit = -1;
  stream.stride = 1;
  while ((record = list_stream_next (&stream)) != NULL)
    {
      if (total >= skip && in_page < (guint64)per_page)
        {
          if (in_page++ > 0)
            g_string_append_c (out, ',');
          crm_record_append_json (record, out);
        }
      total++;
    }

  if (skip + in_page < total)
    {
      GUri *uri = soup_server_message_get_uri (msg);
      g_autofree char *query = NULL;
      g_autoptr (GUri) next_uri = NULL;

      if (since >= 0)
        query = g_strdup_printf ("since=%" G_GINT64_FORMAT "&page=%" G_GINT64_FORMAT
                                 "&per_page=%" G_GINT64_FORMAT,
                                 since, page + 1, per_page);
      else
        query = g_strdup_printf ("page=%" G_GINT64_FORMAT "&per_page=%" G_GINT64_FORMAT, page + 1,
                                 per_page);
      next_uri = g_uri_build (G_URI_FLAGS_ENCODED, "http", NULL, g_uri_get_host (uri),
                              g_uri_get_port (uri), g_uri_get_path (uri), query, NULL);
      next = g_uri_to_string (next_uri);
    }

  g_string_append_printf (out,
                          "],\"page\":%" G_GINT64_FORMAT ",\"per_page\":%" G_GINT64_FORMAT
                          ",\"total\":%" G_GUINT64_FORMAT ",\"next\":",
                          page, per_page, total);
  if (next != NULL)
    {
      g_autofree char *link = g_strdup_printf ("<%s>; rel=\"next\"", next);
      g_autofree char *next_page = g_strdup_printf ("%" G_GINT64_FORMAT, page + 1);

      g_string_append_printf (out, "\"%s\"}", next);
      soup_message_headers_replace (headers, "Link", link);
      soup_message_headers_replace (headers, "X-Next-Page", next_page);
    }
  else
    g_string_append (out, "null}");
  {
    g_autofree char *total_text = g_strdup_printf ("%" G_GUINT64_FORMAT, total);
    soup_message_headers_replace (headers, "X-Total-Count", total_text);
  }
  set_dataset_headers (msg, resource);
  set_json_body (msg, SOUP_STATUS_OK, g_string_free (out, FALSE));
}

static void
handle_list (CrmServer *self, SoupServerMessage *msg, CrmResource *resource, GHashTable *query,
             const CrmFaultPlan *plan)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gint64 since, limit, page, per_page;
  ListStream *stream;

  if (!query_int (msg, query, "since", G_MININT64, "an integer _updated offset", &since)
      || !query_int (msg, query, "limit", 0, "a number of entities (0 or more)", &limit)
      || !query_int (msg, query, "page", 1, "a page number (1 or more)", &page)
      || !query_int (msg, query, "per_page", 1, "a page size (1 or more)", &per_page))
    return;
  /* Offsets start at 0, so any negative since means "from the beginning". */
  if (since < -1)
    since = -1;

  if (plan->empty)
    {
      set_dataset_headers (msg, resource);
      set_json_body (msg, SOUP_STATUS_OK, g_strdup ("[]"));
      return;
    }
  if (page > 0 || per_page > 0)
    {
      list_paged (msg, resource, since, page > 0 ? page : 1,
                  per_page > 0 ? MIN (per_page, MAX_PER_PAGE) : DEFAULT_PER_PAGE);
      return;
    }

  stream = g_new0 (ListStream, 1);
  stream->resource = resource;
  stream->index = crm_resource_find_after (resource, since);
  stream->snapshot = crm_resource_get_max_seq (resource);
  stream->limit = limit;
  stream->stride = plan->partial_percent > 0 ? MAX (1, 100 / plan->partial_percent) : 1;
  if (plan->truncated)
    {
      stream->truncated = TRUE;
      stream->truncate_at = list_stream_count (stream) / 2;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  set_dataset_headers (msg, resource);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC, "[",
                            1);
  g_signal_connect_data (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), stream,
                         (GClosureNotify)(void (*) (void))g_free, 0);
}

/* ---- per id: GET, PUT, DELETE /persons/{id}; POST /persons ----------------------------------- */

static void
reply_record (SoupServerMessage *msg, guint status, const CrmRecord *record)
{
  g_autofree char *etag = crm_record_dup_etag (record);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  set_json_body (msg, status, crm_record_to_json (record));
}

/* If-Match against the live record (NULL: none); FALSE with the reply set when the request may
 * not go on. */
static gboolean
check_if_match (CrmServer *self, SoupServerMessage *msg, CrmResource *resource, const char *id,
                const CrmRecord *live)
{
  const char *if_match
      = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "If-Match");
  g_autofree char *etag = NULL;

  if (if_match == NULL)
    {
      if (live != NULL && self->require_if_match)
        {
          reply_error (msg, 428,
                       "If-Match is required to change %s \"%s\" (GET it first for its ETag)",
                       singular (resource), id);
          return FALSE;
        }
      return TRUE;
    }
  if (live == NULL)
    {
      reply_error (msg, SOUP_STATUS_PRECONDITION_FAILED,
                   "If-Match %s given, but there is no %s \"%s\"", if_match, singular (resource),
                   id);
      return FALSE;
    }
  etag = crm_record_dup_etag (live);
  if (strcmp (if_match, "*") != 0 && strcmp (if_match, etag) != 0)
    {
      reply_error (msg, SOUP_STATUS_PRECONDITION_FAILED,
                   "If-Match %s does not match the current ETag %s of %s \"%s\"", if_match, etag,
                   singular (resource), id);
      return FALSE;
    }
  return TRUE;
}

static void
handle_item (CrmServer *self, SoupServerMessage *msg, CrmResource *resource, const char *id)
{
  const char *method = soup_server_message_get_method (msg);
  CrmRecord *record = crm_resource_lookup (resource, id);
  CrmRecord *live = record != NULL && !record->deleted ? record : NULL;

  if (method == SOUP_METHOD_GET)
    {
      if (live == NULL)
        reply_error (msg, SOUP_STATUS_NOT_FOUND, "no %s with _id \"%s\"", singular (resource), id);
      else
        reply_record (msg, SOUP_STATUS_OK, live);
    }
  else if (method == SOUP_METHOD_PUT)
    {
      g_autoptr (JsonNode) root = NULL;
      gboolean created = live == NULL;

      if (!check_if_match (self, msg, resource, id, live))
        return;
      root = parse_request_body (msg);
      if (root == NULL)
        return;
      if (!JSON_NODE_HOLDS_OBJECT (root))
        {
          reply_error (msg, SOUP_STATUS_BAD_REQUEST, "expected a JSON object, got %s",
                       node_kind (root));
          return;
        }
      record = crm_resource_put (
          resource, id, crm_body_from_object (json_node_get_object (root), id), FALSE, NULL);
      reply_record (msg, created ? SOUP_STATUS_CREATED : SOUP_STATUS_OK, record);
    }
  else if (method == SOUP_METHOD_DELETE)
    {
      if (live == NULL)
        {
          reply_error (msg, SOUP_STATUS_NOT_FOUND, "no %s with _id \"%s\"", singular (resource),
                       id);
          return;
        }
      if (!check_if_match (self, msg, resource, id, live))
        return;
      crm_resource_put (resource, id, g_strdup (live->body), TRUE, NULL);
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    }
  else
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "GET, PUT, DELETE");
      reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "expected GET, PUT or DELETE");
    }
}

static void
handle_insert (SoupServerMessage *msg, CrmResource *resource)
{
  g_autoptr (JsonNode) root = parse_request_body (msg);
  g_autofree char *id = NULL;
  g_autofree char *location = NULL;
  JsonObject *object;
  CrmRecord *record;

  if (root == NULL)
    return;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "expected a JSON object, got %s",
                   node_kind (root));
      return;
    }
  /* The CRM owns its ids: a client's "id" is replaced by the generated one. */
  id = crm_resource_generate_id (resource);
  object = json_node_get_object (root);
  json_object_set_string_member (object, "id", id);
  record = crm_resource_put (resource, id, crm_body_from_object (object, id), FALSE, NULL);
  location = g_strdup_printf ("/%s/%s", crm_resource_get_name (resource), id);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                location);
  reply_record (msg, SOUP_STATUS_CREATED, record);
}

/* ---- JSON push receiver: POST /push/persons ----------------------------------------------- */

/* The entities of a push body (an array, or a single object), checked before anything is
 * written; NULL with the reply set when one is unusable. */
static GPtrArray *
push_entities (SoupServerMessage *msg, JsonNode *root)
{
  g_autoptr (GPtrArray) entities = g_ptr_array_new ();

  if (JSON_NODE_HOLDS_OBJECT (root))
    g_ptr_array_add (entities, json_node_get_object (root));
  else if (JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_OBJECT (element))
            {
              reply_error (msg, SOUP_STATUS_BAD_REQUEST, "/%u: expected an entity object, got %s",
                           i, node_kind (element));
              return NULL;
            }
          g_ptr_array_add (entities, json_node_get_object (element));
        }
    }
  else
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "expected an array of entities, got %s",
                   node_kind (root));
      return NULL;
    }

  for (guint i = 0; i < entities->len; i++)
    {
      JsonObject *entity = g_ptr_array_index (entities, i);
      JsonNode *id = json_object_get_member (entity, "_id");

      if (id == NULL || !JSON_NODE_HOLDS_VALUE (id)
          || json_node_get_value_type (id) != G_TYPE_STRING)
        {
          reply_error (msg, SOUP_STATUS_BAD_REQUEST, "/%u/_id: expected a string", i);
          return NULL;
        }
    }
  return g_steal_pointer (&entities);
}

static gint
compare_ids (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static void
handle_push (CrmServer *self, SoupServerMessage *msg, CrmResource *resource, GHashTable *query,
             GString *note)
{
  CrmPushSequence *active = crm_resource_get_push_sequence (resource);
  const char *sequence_id = query != NULL ? g_hash_table_lookup (query, "sequence_id") : NULL;
  const char *request_id = query != NULL ? g_hash_table_lookup (query, "request_id") : NULL;
  const char *previous = query != NULL ? g_hash_table_lookup (query, "previous_request_id") : NULL;
  gboolean is_full, is_first, is_last;
  gboolean same_sequence;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) entities = NULL;
  guint written = 0, deleted = 0;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "POST");
      reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "expected POST");
      return;
    }
  if (!query_bool (msg, query, "is_full", &is_full)
      || !query_bool (msg, query, "is_first", &is_first)
      || !query_bool (msg, query, "is_last", &is_last))
    return;
  if (is_full && (sequence_id == NULL || *sequence_id == '\0'))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "a full sync (is_full=true) needs a sequence_id");
      return;
    }
  root = parse_request_body (msg);
  if (root == NULL)
    return;
  entities = push_entities (msg, root);
  if (entities == NULL)
    return;

  /* The protocol's 409 rules, checked before anything is written. */
  same_sequence = active->sequence_id != NULL && g_strcmp0 (sequence_id, active->sequence_id) == 0;
  if (!is_full && same_sequence)
    {
      reply_error (msg, SOUP_STATUS_CONFLICT,
                   "is_full=false, but sequence \"%s\" is an active full sync", sequence_id);
      return;
    }
  if (is_full && same_sequence && is_first)
    {
      reply_error (msg, SOUP_STATUS_CONFLICT,
                   "is_first=true, but sequence \"%s\" already had %u request(s)", sequence_id,
                   active->requests);
      return;
    }
  if (is_full && same_sequence && g_strcmp0 (previous, active->last_request_id) != 0)
    {
      reply_error (msg, SOUP_STATUS_CONFLICT,
                   "previous_request_id \"%s\" does not match the previous request \"%s\" of "
                   "sequence \"%s\"",
                   previous != NULL ? previous : "",
                   active->last_request_id != NULL ? active->last_request_id : "", sequence_id);
      return;
    }
  if (is_full && !same_sequence)
    {
      /* A new full sequence replaces the active one. */
      crm_push_sequence_clear (active);
      active->sequence_id = g_strdup (sequence_id);
      active->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    }

  for (guint i = 0; i < entities->len; i++)
    {
      JsonObject *entity = g_ptr_array_index (entities, i);
      const char *id = json_object_get_string_member (entity, "_id");
      JsonNode *flag = json_object_get_member (entity, "_deleted");
      gboolean is_deleted = flag != NULL && JSON_NODE_HOLDS_VALUE (flag)
                            && json_node_get_value_type (flag) == G_TYPE_BOOLEAN
                            && json_node_get_boolean (flag);
      gboolean changed = FALSE;

      crm_resource_put (resource, id, crm_body_from_object (entity, id), is_deleted, &changed);
      written += changed;
      if (is_full)
        g_hash_table_add (active->seen, g_strdup (id));
    }

  if (is_full)
    {
      g_free (active->last_request_id);
      active->last_request_id = g_strdup (request_id);
      active->requests++;
    }
  if (is_full && is_last)
    {
      g_autoptr (GPtrArray) ids = crm_resource_dup_live_ids (resource);

      /* Sorted so that the deletions get their `_updated` in a repeatable order. */
      g_ptr_array_sort (ids, compare_ids);
      for (guint i = 0; i < ids->len; i++)
        {
          g_autofree char *id = g_strdup (g_ptr_array_index (ids, i));
          CrmRecord *record = crm_resource_lookup (resource, id);

          if (g_hash_table_contains (active->seen, id))
            continue;
          crm_resource_put (resource, id, g_strdup (record->body), TRUE, NULL);
          deleted++;
        }
      crm_push_sequence_clear (active);
    }

  g_string_append_printf (note, " (%u entities, %u written%s", entities->len, written,
                          is_full ? ", full" : "");
  if (is_full && is_last)
    g_string_append_printf (note, ", sequence ended, %u deleted", deleted);
  g_string_append_c (note, ')');
  set_json_body (msg, SOUP_STATUS_OK, g_strdup ("{}"));
}

/* ---- http transform peer: POST /enrich/persons -------------------------------------------- */

/* Each posted entity comes back with "crm": the CRM's current record of the same _id (null when
 * it has none), so the http transform has a peer that returns a changed batch. */
static void
handle_enrich (SoupServerMessage *msg, CrmResource *resource)
{
  g_autoptr (JsonNode) root = NULL;
  JsonArray *array;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "expected POST");
      return;
    }
  root = parse_request_body (msg);
  if (root == NULL)
    return;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "expected an array of entities, got %s",
                   node_kind (root));
      return;
    }
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *entity;
      const char *id;
      CrmRecord *record;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          reply_error (msg, SOUP_STATUS_BAD_REQUEST, "/%u: expected an entity object, got %s", i,
                       node_kind (element));
          return;
        }
      entity = json_node_get_object (element);
      id = json_object_get_string_member_with_default (entity, "_id", NULL);
      record = id != NULL ? crm_resource_lookup (resource, id) : NULL;
      if (record != NULL && !record->deleted)
        json_object_set_member (entity, "crm", json_from_string (record->body, NULL));
      else
        json_object_set_null_member (entity, "crm");
    }
  set_json_node (msg, SOUP_STATUS_OK, root);
}

/* ---- admin: /_control, /_stats ------------------------------------------------------------ */

static void
handle_control (CrmServer *self, SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *object;
  JsonNode *setting;

  if (method == SOUP_METHOD_POST)
    {
      root = parse_request_body (msg);
      if (root == NULL)
        return;
      if (!JSON_NODE_HOLDS_OBJECT (root))
        {
          reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                       "expected an object such as {\"fault\":\"transient-500\",\"count\":2}");
          return;
        }
      object = json_node_get_object (root);
      setting = json_object_get_member (object, "require_if_match");
      if (setting != NULL)
        {
          if (!JSON_NODE_HOLDS_VALUE (setting)
              || json_node_get_value_type (setting) != G_TYPE_BOOLEAN)
            {
              reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                           "/require_if_match: expected true or false");
              return;
            }
          self->require_if_match = json_node_get_boolean (setting);
          g_message ("control: require_if_match %s", self->require_if_match ? "on" : "off");
          if (json_object_get_size (object) == 1)
            {
              set_json_body (msg, SOUP_STATUS_OK, g_strdup ("{}"));
              return;
            }
          json_object_remove_member (object, "require_if_match");
        }
      if (!crm_faults_apply_json (self->faults, object, &error))
        {
          reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
          return;
        }
      {
        g_autoptr (JsonGenerator) generator = json_generator_new ();
        g_autofree char *text = NULL;

        json_generator_set_root (generator, root);
        text = json_generator_to_data (generator, NULL);
        g_message ("control: %s", text);
      }
    }
  else if (method != SOUP_METHOD_GET)
    {
      reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "expected GET or POST");
      return;
    }

  {
    g_autoptr (JsonBuilder) builder = json_builder_new ();
    g_autoptr (JsonNode) reply = NULL;

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "faults");
    json_builder_add_value (builder, crm_faults_to_json (self->faults));
    json_builder_set_member_name (builder, "require_if_match");
    json_builder_add_boolean_value (builder, self->require_if_match);
    json_builder_end_object (builder);
    reply = json_builder_get_root (builder);
    set_json_node (msg, SOUP_STATUS_OK, reply);
  }
}

static void
add_counts (JsonBuilder *builder, const char *name, GHashTable *counts)
{
  g_autoptr (GList) keys = g_hash_table_get_keys (counts);

  keys = g_list_sort (keys, (GCompareFunc)g_strcmp0);
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      json_builder_set_member_name (builder, l->data);
      json_builder_add_int_value (builder,
                                  GPOINTER_TO_UINT (g_hash_table_lookup (counts, l->data)));
    }
  json_builder_end_object (builder);
}

static void
handle_stats (CrmServer *self, SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) reply = NULL;

  if (method == SOUP_METHOD_DELETE)
    {
      g_hash_table_remove_all (self->request_counts);
      g_hash_table_remove_all (self->status_counts);
      self->total_requests = 0;
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }
  if (method != SOUP_METHOD_GET)
    {
      reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "expected GET or DELETE");
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, self->total_requests);
  add_counts (builder, "requests", self->request_counts);
  add_counts (builder, "responses", self->status_counts);
  json_builder_set_member_name (builder, "resources");
  json_builder_begin_object (builder);
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, self->resources);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        g_autoptr (GPtrArray) live = crm_resource_dup_live_ids (value);

        json_builder_set_member_name (builder, key);
        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "entities");
        json_builder_add_int_value (builder, live->len);
        json_builder_set_member_name (builder, "max_updated");
        json_builder_add_int_value (builder, crm_resource_get_max_seq (value));
        json_builder_end_object (builder);
      }
  }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  reply = json_builder_get_root (builder);
  set_json_node (msg, SOUP_STATUS_OK, reply);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static void
count (GHashTable *counts, const char *key)
{
  gpointer value = g_hash_table_lookup (counts, key);

  g_hash_table_replace (counts, g_strdup (key), GUINT_TO_POINTER (GPOINTER_TO_UINT (value) + 1));
}

static void on_delayed_finished (SoupServerMessage *msg, gpointer user_data);

static gboolean
resume_delayed (gpointer user_data)
{
  SoupServerMessage *msg = user_data;
  CrmServer *self = g_object_get_data (G_OBJECT (msg), "crm-server");

  g_hash_table_remove (self->delayed, msg);
  g_signal_handlers_disconnect_by_func (msg, on_delayed_finished, self);
  soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

static void
on_delayed_finished (SoupServerMessage *msg, gpointer user_data)
{
  CrmServer *self = user_data;
  gpointer source_id;

  /* The client went away while the response was held back. */
  if (g_hash_table_lookup_extended (self->delayed, msg, NULL, &source_id))
    {
      g_source_remove (GPOINTER_TO_UINT (source_id));
      g_hash_table_remove (self->delayed, msg);
    }
}

/* Splits "/push/persons" into ["push", "persons"], decoding each segment. */
static GStrv
split_path (const char *path)
{
  g_auto (GStrv) raw = g_strsplit (path, "/", -1);
  GPtrArray *parts = g_ptr_array_new ();

  for (char **p = raw; *p != NULL; p++)
    if (**p != '\0')
      {
        char *decoded = g_uri_unescape_string (*p, NULL);
        g_ptr_array_add (parts, decoded != NULL ? decoded : g_strdup (*p));
      }
  g_ptr_array_add (parts, NULL);
  return (GStrv)g_ptr_array_free (parts, FALSE);
}

static void
handle_request (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer user_data)
{
  CrmServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_auto (GStrv) parts = split_path (path);
  guint n = g_strv_length (parts);
  g_autofree char *request = describe_request (msg);
  g_autofree char *key = g_strdup_printf ("%s %s", method, path);
  g_autofree char *status_key = NULL;
  g_autoptr (GString) note = g_string_new (NULL);
  CrmResource *resource = NULL;
  CrmFaultPlan plan = { 0 };
  Route route = ROUTE_COLLECTION;
  const char *id = NULL;

  if (n == 1 && strcmp (parts[0], "_control") == 0)
    {
      handle_control (self, msg);
      return;
    }
  if (n == 1 && strcmp (parts[0], "_stats") == 0)
    {
      handle_stats (self, msg);
      return;
    }

  self->total_requests++;
  count (self->request_counts, key);

  if (n == 1)
    route = ROUTE_COLLECTION, resource = g_hash_table_lookup (self->resources, parts[0]);
  else if (n == 2 && strcmp (parts[0], "push") == 0)
    route = ROUTE_PUSH, resource = g_hash_table_lookup (self->resources, parts[1]);
  else if (n == 2 && strcmp (parts[0], "enrich") == 0)
    route = ROUTE_ENRICH, resource = g_hash_table_lookup (self->resources, parts[1]);
  else if (n == 2)
    route = ROUTE_ITEM, resource = g_hash_table_lookup (self->resources, parts[0]), id = parts[1];

  if (resource == NULL)
    reply_error (msg, SOUP_STATUS_NOT_FOUND,
                 "no such resource (expected /persons, /companies, /persons/{id}, "
                 "/push/persons, /enrich/persons, /_control or /_stats)");
  else
    {
      crm_faults_plan (self->faults, crm_resource_get_name (resource), method,
                       route == ROUTE_COLLECTION && method == SOUP_METHOD_GET, &plan);
      if (plan.status == 429)
        {
          g_autofree char *seconds = g_strdup_printf ("%u", plan.retry_after);

          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Retry-After", seconds);
          reply_error (msg, 429, "rate limited (injected fault), retry after %u s",
                       plan.retry_after);
        }
      else if (plan.status != 0)
        reply_error (msg, plan.status, "internal server error (injected fault %s)",
                     plan.fault_name);
      else
        switch (route)
          {
            case ROUTE_COLLECTION:
              if (method == SOUP_METHOD_GET)
                handle_list (self, msg, resource, query, &plan);
              else if (method == SOUP_METHOD_POST)
                handle_insert (msg, resource);
              else
                reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "expected GET or POST");
              break;
            case ROUTE_ITEM:
              handle_item (self, msg, resource, id);
              break;
            case ROUTE_PUSH:
              handle_push (self, msg, resource, query, note);
              break;
            case ROUTE_ENRICH:
              handle_enrich (msg, resource);
              break;
          }
    }

  if (plan.empty)
    g_string_append (note, " [fault: empty]");
  if (plan.partial_percent > 0)
    g_string_append_printf (note, " [fault: partial %u%%]", plan.partial_percent);
  if (plan.truncated)
    g_string_append (note, " [fault: truncated]");
  if (plan.delay_ms > 0)
    g_string_append_printf (note, " [fault: slow %u ms]", plan.delay_ms);

  status_key = g_strdup_printf ("%u", soup_server_message_get_status (msg));
  count (self->status_counts, status_key);
  if (!self->quiet)
    g_message ("%s -> %u%s", request, soup_server_message_get_status (msg), note->str);

  if (plan.delay_ms > 0)
    {
      guint source_id;

      soup_server_message_pause (msg);
      g_object_set_data (G_OBJECT (msg), "crm-server", self);
      source_id = g_timeout_add_full (G_PRIORITY_DEFAULT, plan.delay_ms, resume_delayed,
                                      g_object_ref (msg), g_object_unref);
      g_hash_table_insert (self->delayed, msg, GUINT_TO_POINTER (source_id));
      g_signal_connect (msg, "finished", G_CALLBACK (on_delayed_finished), self);
    }
}

/* ---- lifecycle --------------------------------------------------------------------------- */

CrmServer *
crm_server_new (gboolean quiet)
{
  CrmServer *self = g_new0 (CrmServer, 1);

  self->soup = soup_server_new ("server-header", "sluice-demo-crm ", NULL);
  self->resources
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)crm_resource_free);
  g_hash_table_insert (self->resources, g_strdup ("persons"),
                       crm_resource_new ("persons", "person"));
  g_hash_table_insert (self->resources, g_strdup ("companies"),
                       crm_resource_new ("companies", "company"));
  self->faults = crm_faults_new ();
  self->request_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->status_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->delayed = g_hash_table_new (NULL, NULL);
  self->quiet = quiet;
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
  self->keepalive = sluice_http_keepalive_new (self->soup);
  return self;
}

void
crm_server_free (CrmServer *self)
{
  GHashTableIter iter;
  gpointer msg, source_id;

  if (self == NULL)
    return;
  g_hash_table_iter_init (&iter, self->delayed);
  while (g_hash_table_iter_next (&iter, &msg, &source_id))
    {
      g_signal_handlers_disconnect_by_data (msg, self);
      g_source_remove (GPOINTER_TO_UINT (source_id));
    }
  g_hash_table_unref (self->delayed);
  soup_server_disconnect (self->soup);
  sluice_http_keepalive_free (self->keepalive);
  g_object_unref (self->soup);
  g_hash_table_unref (self->request_counts);
  g_hash_table_unref (self->status_counts);
  crm_faults_free (self->faults);
  g_hash_table_unref (self->resources);
  g_free (self);
}

CrmResource *
crm_server_get_resource (CrmServer *self, const char *name)
{
  return g_hash_table_lookup (self->resources, name);
}

CrmFaults *
crm_server_get_faults (CrmServer *self)
{
  return self->faults;
}

void
crm_server_set_require_if_match (CrmServer *self, gboolean require)
{
  self->require_if_match = require;
}

gboolean
crm_server_listen (CrmServer *self, guint port, guint *ret_port, GError **error)
{
  GSList *uris;

  if (!soup_server_listen_local (self->soup, port, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
    return FALSE;
  uris = soup_server_get_uris (self->soup);
  if (ret_port != NULL)
    *ret_port = uris != NULL ? (guint)g_uri_get_port (uris->data) : port;
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  return TRUE;
}

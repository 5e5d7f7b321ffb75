/* rest-operation.h — the operations of a `system:rest` and what the `rest` source, sink and
 * transform share: choosing an operation, rendering its request, and reading its response
 * (digest §14.3, docs/http.md "REST operations").
 *
 * An operation is a named request recipe: a URL template, a method, templated headers and query
 * parameters, a payload type and defaults for `payload` and `properties`.  Operations come from the
 * system's `operations` and from the element's own inline `operations`; an element's definition of
 * a name replaces the system's.  Every template is compiled when the element is created, so that a
 * bad template fails when the configuration loads, not on the first entity.
 *
 * A RestElement is the part of each rest element's instance that these functions need: its system,
 * its HTTP client, the compiled operations and the element-level keys.  Keys that both the element
 * and the operation may set (payload_property, response_property, rate limiting, …) are looked up
 * element first, then operation; that is why the elements declare no schema defaults for them. */
#pragma once

#include "http-client.h"
#include "http-template.h"

typedef enum
{
  REST_PAYLOAD_JSON,         /* plain JSON: typed values become their text */
  REST_PAYLOAD_JSON_TRANSIT, /* JSON with transit encoding ("~t…") */
  REST_PAYLOAD_TEXT,         /* a string as text/plain, bytes as application/octet-stream */
  REST_PAYLOAD_FORM,         /* a dict as application/x-www-form-urlencoded */
} RestPayloadType;

/* next_page_termination_strategy flags. */
#define REST_STOP_EMPTY_RESULT (1u << 0)
#define REST_STOP_NEXT_PAGE_LINK_EMPTY (1u << 1)
#define REST_STOP_SAME_NEXT_PAGE_LINK (1u << 2)
#define REST_STOP_SAME_NEXT_PAGE_REQUEST (1u << 3)
#define REST_STOP_SAME_RESPONSE (1u << 4)
#define REST_STOP_NOT_FULL_PAGE (1u << 5)

typedef struct
{
  char *name;
  char *method;
  HttpTemplate *url;
  GPtrArray *header_names;  /* of HttpTemplate */
  GPtrArray *header_values; /* of HttpTemplate */
  GPtrArray *param_names;   /* of HttpTemplate */
  GPtrArray *param_values;  /* of HttpTemplate */
  RestPayloadType payload_type;
  SluiceValue *payload;     /* the operation's default payload, or NULL */
  SluiceValue *properties;  /* the operation's default properties (a DICT), or NULL */
  SluiceValue *definition;  /* the whole operation object, for the response-mapping keys */
  HttpTemplate *next_page_link; /* or NULL */
  uint32_t stop;            /* REST_STOP_* */
  int64_t page_size;        /* 0: none */
  gboolean uses_page;       /* some request template uses `page`: paging by page number */
} RestOperation;

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  const char *what;              /* "rest source", for messages */
  HttpSystem *system;
  HttpClient *client;
  GHashTable *operations;        /* name -> RestOperation */
  RestOperation *default_operation; /* the `operation` option's, or NULL */
  SluiceValue *properties;       /* the element's `properties` (a DICT), or NULL */
  SluiceValue *payload;          /* the element's `payload`, or NULL */
  GPtrArray *json_content_types; /* of char*: besides application/json and +json */
} RestElement;

/* Builds the shared part of a rest element from @context's options: the system (which must be a
 * system:rest or system:url), the operations, and the `operation` option, which must name one of
 * them when @need_operation. */
RestElement *rest_element_new (SluiceElementContext *context, const char *what,
                               gboolean need_operation, GError **error);
void rest_element_free (RestElement *element);

/* The operation named @name (borrowed), or NULL with an error naming @where and the names known. */
RestOperation *rest_element_get_operation (RestElement *element, const char *name,
                                           const char *where, GError **error);
/* The element's own value of @key, else the operation's; borrowed, NULL when neither sets it
 * (a JSON null counts as not set). */
SluiceValue *rest_element_lookup (RestElement *element, const RestOperation *op, const char *key);
const char *rest_element_lookup_string (RestElement *element, const RestOperation *op,
                                        const char *key, const char *fallback);

/* The options every rest element has (besides `operation`). */
#define REST_ELEMENT_SHARED_OPTIONS                                                                  \
  { .key = "system", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,           \
    .description = "The `_id` of the system:rest whose operations are used." },                      \
  { .key = "operations", .types = SLUICE_OPTION_OBJECT, .flags = SLUICE_OPTION_FLAG_OPEN,          \
    .description = "Inline operations; a name defined here replaces the system's." },              \
  { .key = "properties", .types = SLUICE_OPTION_OBJECT, .flags = SLUICE_OPTION_FLAG_OPEN,          \
    .description = "The `properties` template variable (replaces the operation's)." },             \
  { .key = "payload", .types = SLUICE_OPTION_ANY,                                                  \
    .description = "The request payload (wins over the operation's); strings are templates." },    \
  { .key = "rate_limiting_retries", .types = SLUICE_OPTION_INTEGER,                                \
    .description = "Retries after 429; wins over the operation's and the system's (3)." },         \
  { .key = "rate_limiting_delay", .types = SLUICE_OPTION_NUMBER,                                   \
    .description = "Seconds to wait after a 429 without Retry-After; wins over the operation's "   \
                   "and the system's (1)." },                                                      \
  { .key = "trace", .types = SLUICE_OPTION_BOOLEAN | SLUICE_OPTION_OBJECT,                          \
    .description = "Accepted for compatibility; requests are logged at debug level instead." }

/* A request as rendered for sending. */
typedef struct
{
  char *method;
  char *url;             /* absolute, query included */
  SluiceValue *headers;  /* DICT, or NULL */
  SluiceValue *params;   /* DICT of the rendered params (also in url), never NULL */
  GBytes *body;          /* or NULL */
  char *content_type;    /* of body */
} RestRequest;

void rest_request_free (RestRequest *request);

/* Renders @op with @variables (a DICT: entity, properties, since, page, …): the URL resolved
 * against the system, params appended to the query, headers, and @payload (nullable) encoded as
 * the operation's payload type (its strings rendered as templates when @payload_is_template: an
 * entity's own payload is data, never a template).  @url_override (nullable) replaces the URL template and the params
 * (a next-page link).  @extra_headers (nullable DICT) are added after the operation's. */
RestRequest *rest_operation_render (RestElement *element, const RestOperation *op,
                                    const SluiceValue *variables, const SluiceValue *payload,
                                    gboolean payload_is_template, const char *url_override,
                                    SluiceValue *extra_headers, GError **error);

/* The request for one entity of a sink or transform: the entity's `operation` (else @fallback,
 * else the element's `operation`), its `properties` (replacing the element's, which replace the
 * operation's) and its `payload` (entity > element > operation; only the latter two are
 * templates).  Template variables: entity, source_entity, properties.  *@ret_op is borrowed.
 * Errors name the entity's `_id`. */
RestRequest *rest_element_entity_request (RestElement *element, const SluiceEntity *entity,
                                          RestOperation *fallback, RestOperation **ret_op,
                                          GError **error);

/* Sends @request with the element's client, after applying the operation's or element's rate
 * limiting keys.  @flags as for http_client_send (). */
HttpResponse *rest_element_send (RestElement *element, const RestOperation *op,
                                 const RestRequest *request, uint32_t flags, GError **error);

/* The response body as a value: parsed JSON when the content type is JSON (application/json, a
 * +json type, or one of the system's json_content_types; an empty body is null), else the text as a
 * string.  *@ret_is_json says which. */
SluiceValue *rest_element_parse_body (RestElement *element, const HttpResponse *response,
                                      gboolean *ret_is_json, GError **error);

/* The response headers as a DICT of name -> value, with `Link` (RFC 8288) parsed into a DICT of
 * rel -> URL, so that templates can say {{ headers.Link.next }}. */
SluiceValue *rest_response_headers (const HttpResponse *response);

/* The part of @body that @path selects (borrowed): a key equal to the whole path wins, else the
 * path is followed key by key at the dots.  NULL when it leads nowhere. */
SluiceValue *rest_select_path (SluiceValue *body, const char *path);

/* Status code sets ("200-299", "200,204,300-399"): no whitespace. */
typedef struct _RestStatusSet RestStatusSet;

RestStatusSet *rest_status_set_parse (const char *text, const char *what, GError **error);
gboolean rest_status_set_contains (const RestStatusSet *set, guint status);
gboolean rest_status_set_overlaps (const RestStatusSet *a, const RestStatusSet *b);
void rest_status_set_free (RestStatusSet *set);

/* Copies @dict with @key set to @value (taken). */
SluiceValue *rest_dict_with (SluiceValue *dict, const char *key, SluiceValue *value);

/* Replaces every occurrence of @secret_text in @error's message (template texts of headers and
 * payloads may hold substituted secrets). */
void rest_redact_error (GError *error, const char *secret_text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestElement, rest_element_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestRequest, rest_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestStatusSet, rest_status_set_free)

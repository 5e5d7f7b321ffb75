/* url-system.c — the `system:url` and `system:rest` component types (digest §14.2, §14.3).
 *
 * A system holds no connection of its own: the elements that name it build their clients from its
 * configuration (http-system.c).  Its create callback checks that configuration, so that a bad
 * system fails when the configuration loads rather than on the first request. */
#include "http-elements.h"
#include "http-system.h"

static const SluiceOptionSpec oauth2_options[] = {
  { .key = "client_id", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "The OAuth2 client id." },
  { .key = "client_secret", .types = SLUICE_OPTION_STRING,
    .flags = SLUICE_OPTION_FLAG_REQUIRED | SLUICE_OPTION_FLAG_SECRET,
    .description = "The OAuth2 client secret (use $SECRET)." },
  { .key = "token_url", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "Where the client credentials grant is POSTed." },
  { .key = "scope", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,
    .description = "Scopes to ask for: a space-separated string or a list." },
  { .key = "refresh_window", .types = SLUICE_OPTION_INTEGER, .default_json = "30",
    .description = "Seconds before expiry at which the token is fetched again." },
  { .key = "extra", .types = SLUICE_OPTION_OBJECT, .flags = SLUICE_OPTION_FLAG_OPEN,
    .description = "Further form fields sent with the token request." },
  { NULL },
};

static const char *const authentication_choices[] = { "basic", "jwt", "oauth2", NULL };

#define URL_SYSTEM_OPTIONS                                                                         \
  { .key = "url_pattern", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,     \
    .description = "The base URL: a relative URL replaces `%s`, or is appended when there is "    \
                   "none." },                                                                      \
  { .key = "verify_ssl", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",                  \
    .description = "Check TLS certificates. On by default (unlike Sesam, where it is off)." },    \
  { .key = "authentication", .types = SLUICE_OPTION_STRING, .choices = authentication_choices,    \
    .description = "`basic` (username, password), `jwt` (a bearer jwt_token) or `oauth2`." },     \
  { .key = "username", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_NULL,                        \
    .description = "User name for basic authentication." },                                       \
  { .key = "password", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_NULL,                        \
    .flags = SLUICE_OPTION_FLAG_SECRET,                                                            \
    .description = "Password for basic authentication (use $SECRET)." },                          \
  { .key = "jwt_token", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_NULL,                       \
    .flags = SLUICE_OPTION_FLAG_SECRET,                                                            \
    .description = "Bearer token sent as `Authorization: Bearer …` (use $SECRET)." },             \
  { .key = "oauth2", .types = SLUICE_OPTION_OBJECT, .properties = oauth2_options,                 \
    .description = "OAuth2 client credentials grant; the token is cached and refreshed." },       \
  { .key = "headers", .types = SLUICE_OPTION_OBJECT, .flags = SLUICE_OPTION_FLAG_OPEN,            \
    .description = "Headers sent with every request (element headers win)." },                    \
  { .key = "connect_timeout", .types = SLUICE_OPTION_NUMBER, .default_json = "60",                \
    .description = "Seconds to wait for a connection (see docs/http.md)." },                      \
  { .key = "read_timeout", .types = SLUICE_OPTION_NUMBER, .default_json = "1800",                 \
    .description = "Seconds a connection may stay silent before the request fails." },            \
  { .key = "request_retries", .types = SLUICE_OPTION_INTEGER, .default_json = "3",                \
    .description = "Retries after connection errors and 5xx answers." },                          \
  { .key = "request_retry_delay", .types = SLUICE_OPTION_NUMBER, .default_json = "1",             \
    .description = "Seconds before the first retry; doubled each retry, with jitter." },          \
  { .key = "request_retry_max_delay", .types = SLUICE_OPTION_NUMBER, .default_json = "30",        \
    .description = "Cap on one retry delay, in seconds." },                                        \
  { .key = "rate_limiting_retries", .types = SLUICE_OPTION_INTEGER, .default_json = "3",          \
    .description = "Retries after 429 (and 503 with Retry-After)." },                             \
  { .key = "rate_limiting_delay", .types = SLUICE_OPTION_NUMBER, .default_json = "1",             \
    .description = "Seconds to wait after a 429 without Retry-After." }

static const SluiceOptionSpec url_system_options[] = {
  URL_SYSTEM_OPTIONS,
  { NULL },
};

static const SluiceOptionSpec rest_system_options[] = {
  URL_SYSTEM_OPTIONS,
  { .key = "operations", .types = SLUICE_OPTION_OBJECT, .flags = SLUICE_OPTION_FLAG_OPEN,
    .description = "Named operations: objects with url, method, headers, params, payload-type, "
                   "payload, next_page_link, …" },
  { .key = "json_content_types", .types = SLUICE_OPTION_ARRAY,
    .description = "Content types parsed as JSON besides application/json." },
  { NULL },
};

static void *
system_create (SluiceElementContext *context, GError **error)
{
  return http_system_new (sluice_element_context_get_component_id (context),
                          sluice_element_context_get_options (context), error);
}

static void
system_destroy (void *instance)
{
  http_system_unref (instance);
}

static const SluiceSystemCallbacks system_callbacks = {
  SLUICE_SYSTEM_CALLBACKS_INIT,
  .create = system_create,
  .destroy = system_destroy,
};

const SluiceElementDescriptor http_url_system = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SYSTEM,
  .type_name = "system:url",
  .description = "An HTTP service: base URL, authentication, headers, timeouts and retries.",
  .options = url_system_options,
  .callbacks = &system_callbacks,
};

const SluiceElementDescriptor http_rest_system = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SYSTEM,
  .type_name = "system:rest",
  .description = "A REST service: a URL system plus named operations.",
  .options = rest_system_options,
  .callbacks = &system_callbacks,
};

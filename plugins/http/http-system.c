/* http-system.c — parsing system:url / system:rest configuration, and the registry that lets every
 * element naming one system share its request slots and OAuth2 token (http-system.h). */
#include "http-system.h"

#include <string.h>

static GMutex registry_lock;
static GHashTable *registry; /* system _id -> HttpSystem (a reference) */

static const char *
get_string (SluiceValue *dict, const char *key)
{
  SluiceValue *value = sluice_value_dict_lookup (dict, key);

  if (value == NULL || sluice_value_get_kind (value) != SLUICE_VALUE_STRING)
    return NULL;
  return sluice_value_get_string (value, NULL);
}

static double
get_number (SluiceValue *dict, const char *key, double fallback)
{
  SluiceValue *value = sluice_value_dict_lookup (dict, key);

  if (value == NULL)
    return fallback;
  switch (sluice_value_get_kind (value))
    {
    case SLUICE_VALUE_INTEGER:
    case SLUICE_VALUE_FLOAT:
    case SLUICE_VALUE_DECIMAL:
      return sluice_value_get_float (value);
    default:
      return fallback;
    }
}

static gboolean
get_boolean (SluiceValue *dict, const char *key, gboolean fallback)
{
  SluiceValue *value = sluice_value_dict_lookup (dict, key);

  if (value == NULL || sluice_value_get_kind (value) != SLUICE_VALUE_BOOLEAN)
    return fallback;
  return sluice_value_get_boolean (value);
}

static SluiceValue *
get_dict (SluiceValue *dict, const char *key)
{
  SluiceValue *value = sluice_value_dict_lookup (dict, key);

  if (value == NULL || sluice_value_get_kind (value) != SLUICE_VALUE_DICT)
    return NULL;
  return value;
}

static gboolean
invalid (GError **error, const char *system_id, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
invalid (GError **error, const char *system_id, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG, "system '%s': %s", system_id,
               message);
  return FALSE;
}

static gboolean
parse_oauth2 (HttpSystem *system, SluiceValue *oauth2, GError **error)
{
  SluiceValue *scope = sluice_value_dict_lookup (oauth2, "scope");

  system->oauth2_client_id = g_strdup (get_string (oauth2, "client_id"));
  system->oauth2_client_secret = g_strdup (get_string (oauth2, "client_secret"));
  system->oauth2_token_url = g_strdup (get_string (oauth2, "token_url"));
  system->oauth2_refresh_window = (int) get_number (oauth2, "refresh_window", 30);
  if (system->oauth2_client_id == NULL || system->oauth2_client_secret == NULL
      || system->oauth2_token_url == NULL)
    return invalid (error, system->id,
                    "/oauth2: client_id, client_secret and token_url are all required for the "
                    "client credentials grant");
  if (scope != NULL && sluice_value_get_kind (scope) == SLUICE_VALUE_STRING)
    system->oauth2_scope = g_strdup (sluice_value_get_string (scope, NULL));
  else if (scope != NULL && sluice_value_get_kind (scope) == SLUICE_VALUE_LIST)
    {
      g_autoptr (GString) joined = g_string_new (NULL);

      for (size_t i = 0; i < sluice_value_list_get_length (scope); i++)
        {
          SluiceValue *item = sluice_value_list_get (scope, i);

          if (sluice_value_get_kind (item) != SLUICE_VALUE_STRING)
            return invalid (error, system->id, "/oauth2/scope/%zu: expected a string", i);
          if (joined->len > 0)
            g_string_append_c (joined, ' ');
          g_string_append (joined, sluice_value_get_string (item, NULL));
        }
      system->oauth2_scope = g_string_free (g_steal_pointer (&joined), FALSE);
    }
  if (get_dict (oauth2, "extra") != NULL)
    system->oauth2_extra = sluice_value_ref (get_dict (oauth2, "extra"));
  return TRUE;
}

HttpSystem *
http_system_new (const char *system_id, SluiceValue *config, GError **error)
{
  g_autoptr (HttpSystem) system = g_new0 (HttpSystem, 1);
  const char *authentication;
  SluiceValue *oauth2;

  g_atomic_ref_count_init (&system->ref_count);
  g_mutex_init (&system->lock);
  g_cond_init (&system->slot_freed);
  g_mutex_init (&system->token_lock);
  system->id = g_strdup (system_id);
  if (config == NULL || sluice_value_get_kind (config) != SLUICE_VALUE_DICT)
    {
      invalid (error, system_id, "expected the system configuration as an object");
      return NULL;
    }
  system->config = sluice_value_ref (config);
  system->type = g_strdup (get_string (config, "type"));
  system->url_pattern = g_strdup (get_string (config, "url_pattern"));
  if (system->url_pattern == NULL)
    {
      invalid (error, system_id, "missing required key 'url_pattern'");
      return NULL;
    }
  /* Deliberately true by default, unlike Sesam (docs/http.md): certificates are checked unless
   * the configuration says otherwise. */
  system->verify_ssl = get_boolean (config, "verify_ssl", TRUE);
  if (get_dict (config, "headers") != NULL)
    system->headers = sluice_value_ref (get_dict (config, "headers"));
  system->connect_timeout = get_number (config, "connect_timeout", 60);
  system->read_timeout = get_number (config, "read_timeout", 1800);
  system->retry.max_retries = (int) get_number (config, "request_retries", 3);
  system->retry.base_delay = get_number (config, "request_retry_delay", 1);
  system->retry.max_delay = get_number (config, "request_retry_max_delay", 30);
  system->retry.rate_limit_retries = (int) get_number (config, "rate_limiting_retries", 3);
  system->retry.rate_limit_delay = get_number (config, "rate_limiting_delay", 1);
  system->worker_threads = (int) get_number (config, "worker_threads", 10);
  if (system->worker_threads < 1)
    system->worker_threads = 1;
  if (get_dict (config, "operations") != NULL)
    system->operations = sluice_value_ref (get_dict (config, "operations"));

  system->username = g_strdup (get_string (config, "username"));
  system->password = g_strdup (get_string (config, "password"));
  system->jwt_token = g_strdup (get_string (config, "jwt_token"));
  authentication = get_string (config, "authentication");
  oauth2 = get_dict (config, "oauth2");
  if (oauth2 != NULL && authentication != NULL && !g_str_equal (authentication, "oauth2"))
    {
      invalid (error, system_id, "/oauth2 cannot be combined with authentication \"%s\"",
               authentication);
      return NULL;
    }
  if (oauth2 != NULL || g_strcmp0 (authentication, "oauth2") == 0)
    {
      if (oauth2 == NULL)
        {
          invalid (error, system_id, "authentication \"oauth2\" needs an 'oauth2' object");
          return NULL;
        }
      system->auth = HTTP_AUTH_OAUTH2;
      if (!parse_oauth2 (system, oauth2, error))
        return NULL;
    }
  else if (g_strcmp0 (authentication, "basic") == 0)
    {
      if (system->username == NULL)
        {
          invalid (error, system_id, "authentication \"basic\" needs 'username' (and 'password')");
          return NULL;
        }
      system->auth = HTTP_AUTH_BASIC;
    }
  else if (g_strcmp0 (authentication, "jwt") == 0)
    {
      if (system->jwt_token == NULL)
        {
          invalid (error, system_id, "authentication \"jwt\" needs 'jwt_token'");
          return NULL;
        }
      system->auth = HTTP_AUTH_JWT;
    }
  else if (authentication != NULL)
    {
      invalid (error, system_id,
               "unsupported authentication \"%s\": expected \"basic\", \"jwt\" or \"oauth2\"",
               authentication);
      return NULL;
    }
  else if (system->username != NULL)
    system->auth = HTTP_AUTH_BASIC; /* username/password alone mean basic, as in Sesam */
  return g_steal_pointer (&system);
}

HttpSystem *
http_system_ref (HttpSystem *system)
{
  g_atomic_ref_count_inc (&system->ref_count);
  return system;
}

static void
free_secret (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

void
http_system_unref (HttpSystem *system)
{
  if (system == NULL || !g_atomic_ref_count_dec (&system->ref_count))
    return;
  g_free (system->id);
  g_free (system->type);
  g_clear_pointer (&system->config, sluice_value_unref);
  g_free (system->url_pattern);
  g_clear_pointer (&system->headers, sluice_value_unref);
  g_free (system->username);
  free_secret (system->password);
  free_secret (system->jwt_token);
  g_free (system->oauth2_client_id);
  free_secret (system->oauth2_client_secret);
  g_free (system->oauth2_token_url);
  g_free (system->oauth2_scope);
  g_clear_pointer (&system->oauth2_extra, sluice_value_unref);
  g_clear_pointer (&system->operations, sluice_value_unref);
  free_secret (system->access_token);
  g_mutex_clear (&system->lock);
  g_cond_clear (&system->slot_freed);
  g_mutex_clear (&system->token_lock);
  g_free (system);
}

HttpSystem *
http_system_acquire (SluiceElementContext *context, const char *system_id, GError **error)
{
  const char *element = sluice_element_context_get_element_type (context);
  SluiceValue *config;
  const char *type;
  HttpSystem *system;

  if (system_id == NULL || *system_id == '\0')
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "%s: option 'system' must name a system:url or system:rest component", element);
      return NULL;
    }
  config = sluice_element_context_get_system (context, system_id);
  if (config == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "%s: option 'system': there is no system with _id '%s'", element, system_id);
      return NULL;
    }
  type = get_string (config, "type");
  if (type != NULL && !g_str_equal (type, "system:url") && !g_str_equal (type, "system:rest"))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "%s: option 'system': '%s' is a %s, expected a system:url or system:rest",
                   element, system_id, type);
      return NULL;
    }

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) http_system_unref);
  system = g_hash_table_lookup (registry, system_id);
  if (system != NULL && sluice_value_equal (system->config, config))
    http_system_ref (system);
  else
    {
      system = http_system_new (system_id, config, error);
      if (system != NULL)
        g_hash_table_replace (registry, g_strdup (system_id), http_system_ref (system));
    }
  g_mutex_unlock (&registry_lock);
  return system;
}

void
http_system_registry_clear (void)
{
  g_mutex_lock (&registry_lock);
  g_clear_pointer (&registry, g_hash_table_unref);
  g_mutex_unlock (&registry_lock);
}

void
http_system_take_slot (HttpSystem *system)
{
  g_mutex_lock (&system->lock);
  while (system->in_flight >= system->worker_threads)
    g_cond_wait (&system->slot_freed, &system->lock);
  system->in_flight++;
  g_mutex_unlock (&system->lock);
}

void
http_system_release_slot (HttpSystem *system)
{
  g_mutex_lock (&system->lock);
  system->in_flight--;
  g_cond_signal (&system->slot_freed);
  g_mutex_unlock (&system->lock);
}

char *
http_system_resolve_url (const HttpSystem *system, const char *relative)
{
  const char *marker;

  if (relative == NULL)
    relative = "";
  if (g_str_has_prefix (relative, "http://") || g_str_has_prefix (relative, "https://"))
    return g_strdup (relative);
  marker = strstr (system->url_pattern, "%s");
  if (marker == NULL)
    return g_strconcat (system->url_pattern, relative, NULL);
  return g_strdup_printf ("%.*s%s%s", (int) (marker - system->url_pattern), system->url_pattern,
                          relative, marker + 2);
}

static gboolean
contains (const char *text, const char *secret)
{
  return secret != NULL && *secret != '\0' && strstr (text, secret) != NULL;
}

gboolean
http_system_text_has_secret (HttpSystem *system, const char *text)
{
  gboolean found;

  if (text == NULL)
    return FALSE;
  g_mutex_lock (&system->token_lock);
  found = contains (text, system->password) || contains (text, system->jwt_token)
          || contains (text, system->oauth2_client_secret) || contains (text, system->access_token);
  g_mutex_unlock (&system->token_lock);
  return found;
}

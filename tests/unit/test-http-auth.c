/* test-http-auth.c — the HTTP API's tokens (core/http-api/sluice-http-auth.c): which tokens a
 * configuration yields, that a presented token finds its entry (and only its own), the
 * Authorization header parser, and which pipes are public. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-http-auth.h"

static SluiceConfig *
config_from (const char *const *components)
{
  SluiceConfig *config = sluice_config_new (1);

  for (guint i = 0; components[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      JsonNode *node = json_from_string (components[i], &error);
      JsonObject *object;
      const char *type;

      assert_non_null (node);
      object = json_node_get_object (node);
      type = json_object_get_string_member (object, "type");
      assert_true (sluice_config_add (
        config, sluice_config_component_new (json_object_get_string_member (object, "_id"), type,
                                             g_str_equal (type, "metadata")
                                               ? SLUICE_COMPONENT_METADATA : SLUICE_COMPONENT_PIPE,
                                             node, "test.json", 1, NULL, NULL, NULL)));
    }
  return config;
}

static const char *const node_with_tokens[] = {
  "{\"_id\": \"node\", \"type\": \"metadata\", \"api_tokens\": ["
  " {\"name\": \"ops\", \"token\": \"s3cret-ops\", \"access\": \"admin\"},"
  " {\"name\": \"reader\", \"token\": \"s3cret-reader\", \"access\": \"read\","
  "  \"pipes\": [\"p1\", \"p2\"]},"
  " {\"name\": \"pusher\", \"token\": \"s3cret-pusher\", \"access\": \"write\"},"
  " {\"name\": \"empty\", \"token\": \"\", \"access\": \"admin\"}]}",
  NULL,
};

static void
test_tokens_from_config (void **state)
{
  g_autoptr (SluiceConfig) config = config_from (node_with_tokens);
  g_autoptr (SluiceHttpTokens) tokens = sluice_http_tokens_new (config);
  const SluiceHttpToken *token;

  /* An empty secret would let "Authorization: Bearer " in: it is no token. */
  assert_int_equal (sluice_http_tokens_get_count (tokens), 3);

  token = sluice_http_tokens_lookup (tokens, "s3cret-ops");
  assert_non_null (token);
  assert_string_equal (token->name, "ops");
  assert_int_equal (token->access, SLUICE_HTTP_ACCESS_ADMIN);
  assert_null (token->pipes);

  token = sluice_http_tokens_lookup (tokens, "s3cret-reader");
  assert_non_null (token);
  assert_string_equal (token->name, "reader");
  assert_int_equal (token->access, SLUICE_HTTP_ACCESS_READ);
  assert_non_null (token->pipes);
  assert_int_equal (g_strv_length (token->pipes), 2);
  assert_string_equal (token->pipes[1], "p2");

  token = sluice_http_tokens_lookup (tokens, "s3cret-pusher");
  assert_non_null (token);
  assert_int_equal (token->access, SLUICE_HTTP_ACCESS_WRITE);
}

static void
test_unknown_tokens_are_refused (void **state)
{
  g_autoptr (SluiceConfig) config = config_from (node_with_tokens);
  g_autoptr (SluiceHttpTokens) tokens = sluice_http_tokens_new (config);

  assert_null (sluice_http_tokens_lookup (tokens, ""));
  assert_null (sluice_http_tokens_lookup (tokens, "s3cret-op"));
  assert_null (sluice_http_tokens_lookup (tokens, "s3cret-opss"));
  assert_null (sluice_http_tokens_lookup (tokens, "S3CRET-OPS"));
  assert_null (sluice_http_tokens_lookup (tokens, NULL));
}

static void
test_no_metadata_no_tokens (void **state)
{
  static const char *const pipe_only[] = {
    "{\"_id\": \"p1\", \"type\": \"pipe\", \"source\": {\"type\": \"embedded\"}}",
    NULL,
  };
  g_autoptr (SluiceConfig) config = config_from (pipe_only);
  g_autoptr (SluiceHttpTokens) tokens = sluice_http_tokens_new (config);
  g_autoptr (SluiceHttpTokens) none = sluice_http_tokens_new (NULL);

  assert_int_equal (sluice_http_tokens_get_count (tokens), 0);
  assert_int_equal (sluice_http_tokens_get_count (none), 0);
  assert_null (sluice_http_tokens_lookup (tokens, "anything"));
}

static void
test_parse_bearer (void **state)
{
  g_autofree char *plain = sluice_http_parse_bearer ("Bearer abc.def");
  g_autofree char *lower = sluice_http_parse_bearer ("bearer   abc ");

  assert_string_equal (plain, "abc.def");
  assert_string_equal (lower, "abc");
  assert_null (sluice_http_parse_bearer ("Basic dXNlcjpwYXNz"));
  assert_null (sluice_http_parse_bearer ("Bearer"));
  assert_null (sluice_http_parse_bearer ("Bearer   "));
  assert_null (sluice_http_parse_bearer ("Bearerabc"));
  assert_null (sluice_http_parse_bearer (NULL));
}

static void
test_access_names (void **state)
{
  assert_string_equal (sluice_http_access_to_string (SLUICE_HTTP_ACCESS_READ), "read");
  assert_string_equal (sluice_http_access_to_string (SLUICE_HTTP_ACCESS_WRITE), "write");
  assert_string_equal (sluice_http_access_to_string (SLUICE_HTTP_ACCESS_ADMIN), "admin");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_tokens_from_config),
    cmocka_unit_test (test_unknown_tokens_are_refused),
    cmocka_unit_test (test_no_metadata_no_tokens),
    cmocka_unit_test (test_parse_bearer),
    cmocka_unit_test (test_access_names),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}

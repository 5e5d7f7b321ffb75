/* test-http-auth.c — the HTTP API's tokens (core/http-api/sluice-http-auth.c): which of the
 * configured tokens it keeps, that a presented token finds its entry (and only its own), the
 * Authorization header parser, and the access names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-http-auth.h"

static SluiceApiToken *
api_token (const char *name, const char *secret, const char *access, const char *const *pipes)
{
  SluiceApiToken *token = g_new0 (SluiceApiToken, 1);

  token->name = g_strdup (name);
  token->token = g_strdup (secret);
  token->access = g_strdup (access);
  token->pipes = g_strdupv ((char **) pipes);
  return token;
}

/* The api_tokens of a configuration, as the control API hands them out
 * (sluice_control_dup_api_tokens (), checked in test-control). */
static GPtrArray *
configured_tokens (void)
{
  static const char *const reader_pipes[] = { "p1", "p2", NULL };
  GPtrArray *tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_api_token_free);

  g_ptr_array_add (tokens, api_token ("ops", "s3cret-ops", "admin", NULL));
  g_ptr_array_add (tokens, api_token ("reader", "s3cret-reader", "read", reader_pipes));
  g_ptr_array_add (tokens, api_token ("pusher", "s3cret-pusher", "write", NULL));
  g_ptr_array_add (tokens, api_token ("empty", "", "admin", NULL));
  g_ptr_array_add (tokens, api_token ("odd", "s3cret-odd", "root", NULL));
  return tokens;
}

static void
test_tokens_from_config (void **state)
{
  g_autoptr (GPtrArray) configured = configured_tokens ();
  g_autoptr (SluiceHttpTokens) tokens = sluice_http_tokens_new (configured);
  const SluiceHttpToken *token;

  /* An empty secret would let "Authorization: Bearer " in: it is no token; nor is one with an
   * access that does not exist. */
  assert_int_equal (sluice_http_tokens_get_count (tokens), 3);
  assert_null (sluice_http_tokens_lookup (tokens, "s3cret-odd"));

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
  g_autoptr (GPtrArray) configured = configured_tokens ();
  g_autoptr (SluiceHttpTokens) tokens = sluice_http_tokens_new (configured);

  assert_null (sluice_http_tokens_lookup (tokens, ""));
  assert_null (sluice_http_tokens_lookup (tokens, "s3cret-op"));
  assert_null (sluice_http_tokens_lookup (tokens, "s3cret-opss"));
  assert_null (sluice_http_tokens_lookup (tokens, "S3CRET-OPS"));
  assert_null (sluice_http_tokens_lookup (tokens, NULL));
}

static void
test_no_metadata_no_tokens (void **state)
{
  g_autoptr (GPtrArray) configured = g_ptr_array_new ();
  g_autoptr (SluiceHttpTokens) tokens = sluice_http_tokens_new (configured);
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

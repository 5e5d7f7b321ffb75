/* test-config-substitute.c — $ENV(name) and $SECRET(name): where they apply, what they record as
 * secret, and the exact problems reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "sluice-config-substitute.h"

static const char *const envp[] = { "HOST=example.org", "PORT=8080", "EMPTY=", NULL };

typedef struct
{
  GString *problems;
} Collector;

static void
collect (const char *pointer, gboolean at_key, const char *message, gpointer user_data)
{
  Collector *c = user_data;

  g_string_append_printf (c->problems, "%s: %s\n", pointer, message);
}

static SluiceSecrets *
make_secrets (char **ret_dir, char **ret_path)
{
  char *dir = g_dir_make_tmp ("sluice-subst-XXXXXX", NULL);
  char *path = g_build_filename (dir, "s.json", NULL);
  SluiceSecrets *secrets;

  assert_true (g_file_set_contents (path, "{\"tok\": \"T0K3N\", \"pw\": \"PW\"}", -1, NULL));
  assert_int_equal (g_chmod (path, 0600), 0);
  secrets = sluice_secrets_load (path, NULL, NULL, NULL);
  assert_non_null (secrets);
  *ret_dir = dir;
  *ret_path = path;
  return secrets;
}

static void
cleanup_secrets (char *dir, char *path)
{
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

static void
test_substitution (void **state)
{
  char *dir, *path;
  SluiceSecrets *secrets = make_secrets (&dir, &path);
  g_autoptr (JsonNode) node = json_from_string (
    "{\"url\": \"http://$ENV(HOST):$ENV(PORT)/\", \"auth\": \"Bearer $SECRET(tok)\","
    " \"list\": [\"$SECRET(pw)\", \"plain $ENV\", \"$ENV(EMPTY)x\"], \"n\": 5,"
    " \"$ENV(HOST)\": \"keys are not substituted\"}", NULL);
  g_autoptr (GHashTable) secret_pointers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) secret_values = g_ptr_array_new_with_free_func (g_free);
  Collector c = { g_string_new (NULL) };
  g_autofree char *out = NULL;
  guint problems;

  problems = sluice_config_substitute (node, secrets, path, envp, secret_pointers, secret_values,
                                       collect, &c);
  assert_int_equal (problems, 0);
  assert_string_equal (c.problems->str, "");
  out = json_to_string (node, FALSE);
  assert_string_equal (out, "{\"url\":\"http://example.org:8080/\",\"auth\":\"Bearer T0K3N\","
                            "\"list\":[\"PW\",\"plain $ENV\",\"x\"],\"n\":5,"
                            "\"$ENV(HOST)\":\"keys are not substituted\"}");
  assert_int_equal (g_hash_table_size (secret_pointers), 2);
  assert_true (g_hash_table_contains (secret_pointers, "/auth"));
  assert_true (g_hash_table_contains (secret_pointers, "/list/0"));
  assert_int_equal (secret_values->len, 2);
  g_string_free (c.problems, TRUE);
  sluice_secrets_free (secrets);
  cleanup_secrets (dir, path);
}

static void
test_problems (void **state)
{
  char *dir, *path;
  SluiceSecrets *secrets = make_secrets (&dir, &path);
  g_autoptr (JsonNode) node = json_from_string (
    "{\"a\": \"$ENV(NOPE)\", \"b\": \"$SECRET(nope)\", \"c\": \"$ENV(HOST\","
    " \"d\": \"$SECRET($ENV(HOST))\", \"e\": \"$ENV(a b)\", \"f\": \"$ENV()\"}", NULL);
  Collector c = { g_string_new (NULL) };
  g_autofree char *expected = NULL;
  guint problems;

  problems = sluice_config_substitute (node, secrets, path, envp, NULL, NULL, collect, &c);
  assert_int_equal (problems, 6);
  expected = g_strdup_printf (
    "/a: environment variable 'NOPE' in $ENV(NOPE) is not set\n"
    "/b: unknown secret 'nope' in $SECRET(nope): not in the secrets file %s\n"
    "/c: unterminated $ENV( reference: expected ')'\n"
    "/d: $SECRET(…) contains another reference: $ENV and $SECRET cannot be nested\n"
    "/e: invalid character in a $ENV(name) reference: expected ASCII letters, digits, '_', '-', "
    "'.' or ':' and then ')'\n"
    "/f: empty name in $ENV()\n",
    path);
  assert_string_equal (c.problems->str, expected);
  g_string_free (c.problems, TRUE);
  sluice_secrets_free (secrets);
  cleanup_secrets (dir, path);
}

static void
test_without_secrets_file (void **state)
{
  g_autoptr (JsonNode) node = json_from_string ("{\"a\": \"$SECRET(x)\"}", NULL);
  Collector c = { g_string_new (NULL) };

  assert_int_equal (sluice_config_substitute (node, NULL, NULL, envp, NULL, NULL, collect, &c), 1);
  assert_string_equal (c.problems->str, "/a: unknown secret 'x' in $SECRET(x): no secrets file was "
                                        "given (sluiced --secrets FILE)\n");
  g_string_free (c.problems, TRUE);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_substitution),
    cmocka_unit_test (test_problems),
    cmocka_unit_test (test_without_secrets_file),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}

/* test-config-loader.c — configuration loading end to end, driven by fixtures.
 *
 * tests/fixtures/config/valid/: each NAME.json (or directory NAME/) must load without a problem;
 * when NAME.print.json exists, the printed configuration (secrets redacted) must equal it.
 * tests/fixtures/config/invalid/: each NAME.json (or directory NAME/) holds one mistake, and
 * NAME.expected holds the exact error lines expected (@SECRETS@ stands for the secrets file path).
 * The fixtures are loaded from inside their directory so that messages name relative paths.
 *
 * Every test runs with a fixed environment and a secrets file written with mode 0600 into a
 * temporary directory.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "config-test-plugin.h"
#include "sluice-config-json.h"
#include "sluice-config-loader.h"
#include "sluice-config.h"
#include "sluice-registry.h"

#define SECRET_VALUE "s3cr3t-t0ken-value"
#define SECRET_PASSWORD "hunter2-passw0rd"

static const char *const test_envp[] = {
  "SLUICE_TEST_HOST=example.org",
  "SLUICE_TEST_PORT=8080",
  "SLUICE_TEST_PIPE=people-in",
  NULL,
};

typedef struct
{
  SluiceRegistry *registry;
  char *tmpdir;
  char *secrets;
  char *fixtures;
  char *cwd;
} Fixture;

static char *
write_secrets (const char *dir, const char *content, int mode)
{
  char *path = g_build_filename (dir, "secrets.json", NULL);

  assert_true (g_file_set_contents (path, content, -1, NULL));
  assert_int_equal (g_chmod (path, mode), 0);
  return path;
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GError) error = NULL;
  const char *srcdir = g_getenv ("SLUICE_TEST_SRCDIR");

  assert_non_null (srcdir);
  f->registry = sluice_registry_new ();
  assert_true (sluice_registry_add_static (f->registry, sluice_plugin_config_test_get_descriptor (),
                                           &error));
  f->tmpdir = g_dir_make_tmp ("sluice-config-XXXXXX", &error);
  assert_non_null (f->tmpdir);
  f->secrets = write_secrets (f->tmpdir,
                              "{\"api-token\": \"" SECRET_VALUE "\", "
                              "\"db-password\": \"" SECRET_PASSWORD "\", \"empty\": \"\"}",
                              0600);
  f->fixtures = g_build_filename (srcdir, "tests", "fixtures", "config", NULL);
  f->cwd = g_get_current_dir ();
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;
  g_autoptr (GDir) dir = g_dir_open (f->tmpdir, 0, NULL);
  const char *name;

  assert_int_equal (chdir (f->cwd), 0);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->tmpdir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          g_autoptr (GDir) sub = g_dir_open (path, 0, NULL);
          const char *child;

          while (sub != NULL && (child = g_dir_read_name (sub)) != NULL)
            {
              g_autofree char *child_path = g_build_filename (path, child, NULL);

              g_unlink (child_path);
            }
          g_rmdir (path);
        }
      else
        g_unlink (path);
    }
  g_rmdir (f->tmpdir);
  g_object_unref (f->registry);
  g_free (f->tmpdir);
  g_free (f->secrets);
  g_free (f->fixtures);
  g_free (f->cwd);
  g_free (f);
  return 0;
}

/* Fixture names in @dir: NAME for NAME.json files (not NAME.print.json) and NAME/ directories. */
static GPtrArray *
list_fixtures (const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  assert_non_null (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (names, g_strdup (name));
      else if (g_str_has_suffix (name, ".json") && !g_str_has_suffix (name, ".print.json"))
        g_ptr_array_add (names, g_strndup (name, strlen (name) - strlen (".json")));
    }
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  return names;
}

static char *
fixture_path (const char *dir, const char *name)
{
  g_autofree char *json = g_strconcat (name, ".json", NULL);
  g_autofree char *as_file = g_build_filename (dir, json, NULL);

  return g_file_test (as_file, G_FILE_TEST_EXISTS) ? g_strdup (json) : g_strdup (name);
}

static SluiceConfig *
load (Fixture *f, const char *path, SluiceConfigDiagnostics *diagnostics, GError **error)
{
  const char *paths[] = { path, NULL };

  return sluice_config_load (f->registry, paths, f->secrets, test_envp, diagnostics, error);
}

static char *
replace_all (const char *text, const char *from, const char *to)
{
  g_auto (GStrv) parts = g_strsplit (text, from, -1);

  return g_strjoinv (to, parts);
}

static void
test_valid_fixtures (void **state)
{
  Fixture *f = *state;
  g_autofree char *dir = g_build_filename (f->fixtures, "valid", NULL);
  g_autoptr (GPtrArray) names = list_fixtures (dir);

  /* Guards against a test that passes because it found nothing. */
  assert_true (names->len >= 5);
  assert_int_equal (chdir (dir), 0);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = fixture_path (dir, name);
      g_autofree char *print_name = g_strconcat (name, ".print.json", NULL);
      g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceConfig) config = load (f, path, diagnostics, &error);
      g_autofree char *problems = sluice_config_diagnostics_format (diagnostics);
      g_autofree char *printed = NULL;
      g_autofree char *expected = NULL;

      if (config == NULL)
        fail_msg ("valid fixture %s did not load:\n%s", name, problems);
      assert_int_equal (sluice_config_diagnostics_get_length (diagnostics), 0);
      printed = sluice_config_to_json (config, TRUE);
      assert_null (strstr (printed, SECRET_VALUE));
      assert_null (strstr (printed, SECRET_PASSWORD));
      if (g_file_get_contents (print_name, &expected, NULL, NULL))
        {
          g_strchomp (expected);
          if (!g_str_equal (printed, expected))
            fail_msg ("fixture %s printed:\n%s\nexpected:\n%s", name, printed, expected);
        }
    }
}

static void
test_invalid_fixtures (void **state)
{
  Fixture *f = *state;
  g_autofree char *dir = g_build_filename (f->fixtures, "invalid", NULL);
  g_autoptr (GPtrArray) names = list_fixtures (dir);
  g_autoptr (GDir) d = NULL;
  const char *entry;

  assert_true (names->len >= 25);
  assert_int_equal (chdir (dir), 0);

  /* Every expectation belongs to a fixture. */
  d = g_dir_open (dir, 0, NULL);
  while ((entry = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (entry, ".expected"))
      {
        g_autofree char *name = g_strndup (entry, strlen (entry) - strlen (".expected"));

        if (!g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL))
          fail_msg ("%s has no fixture", entry);
      }

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = fixture_path (dir, name);
      g_autofree char *expected_name = g_strconcat (name, ".expected", NULL);
      g_autofree char *raw_expected = NULL;
      g_autofree char *expected = NULL;
      g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceConfig) config = NULL;
      g_autofree char *produced = NULL;

      if (!g_file_get_contents (expected_name, &raw_expected, NULL, NULL))
        fail_msg ("invalid fixture %s has no %s", name, expected_name);
      expected = replace_all (raw_expected, "@SECRETS@", f->secrets);
      config = load (f, path, diagnostics, &error);
      produced = sluice_config_diagnostics_format (diagnostics);
      if (config != NULL)
        fail_msg ("invalid fixture %s loaded without an error", name);
      assert_true (g_error_matches (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_INVALID));
      if (!g_str_equal (produced, expected))
        fail_msg ("fixture %s produced:\n%s\nexpected:\n%s", name, produced, expected);
      /* One mistake per fixture. */
      assert_int_equal (sluice_config_diagnostics_get_length (diagnostics), 1);
      assert_null (strstr (produced, SECRET_VALUE));
      assert_null (strstr (produced, SECRET_PASSWORD));
    }
}

/* A component with many mistakes reports all of them, and the summary counts errors and files. */
/* Writes @first and @second (file names and contents) into a new directory "conf" of the temporary
 * directory and loads it from inside, so that messages name "./<file>". */
static SluiceConfig *
load_conf_dir (Fixture *f, const char *first, const char *first_text, const char *second,
               const char *second_text, SluiceConfigDiagnostics *diagnostics, GError **error)
{
  g_autofree char *conf = g_build_filename (f->tmpdir, "conf", NULL);
  g_autofree char *a = g_build_filename (conf, first, NULL);
  g_autofree char *b = g_build_filename (conf, second, NULL);
  const char *paths[] = { ".", NULL };

  assert_int_equal (g_mkdir (conf, 0700), 0);
  assert_true (g_file_set_contents (a, first_text, -1, NULL));
  assert_true (g_file_set_contents (b, second_text, -1, NULL));
  assert_int_equal (chdir (conf), 0);
  return sluice_config_load (f->registry, paths, f->secrets, test_envp, diagnostics, error);
}

static void
test_all_errors_reported (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = NULL;
  g_autofree char *produced = NULL;

  config = load_conf_dir (f, "a.json",
    "[{\"_id\": \"p1\", \"type\": \"pipe\", \"batchsize\": 1,\n"
    "  \"source\": {\"type\": \"test-json\"}},\n"
    " {\"_id\": \"p2\", \"type\": \"pipe\", \"source\": {\"type\": \"test-json\", \"url\": \"$ENV(NOPE)\"}}]\n",
    "b.json", "{\"_id\": \"p1\", \"type\": \"pipe\", \"pump\": 3,\n"
              " \"source\": {\"type\": \"dataset-source\"}}", diagnostics, &error);
  assert_null (config);
  produced = sluice_config_diagnostics_format (diagnostics);
  assert_string_equal (produced,
    "./a.json:1:32: p1: /batchsize: unknown key 'batchsize' in a pipe; did you mean 'batch_size'?\n"
    "./a.json:2:13: p1: /source: missing required key 'url' in source type 'test-json'\n"
    "./a.json:3:71: p2: /source/url: environment variable 'NOPE' in $ENV(NOPE) is not set\n"
    "./b.json:1:9: p1: /_id: duplicate _id 'p1': already defined at ./a.json:1:10\n"
    "./b.json:1:39: p1: /pump: wrong type for 'pump': expected an object, got an integer\n");
  assert_string_equal (error->message, "5 errors in 2 files");
}

static void
test_directory_order_and_counts (void **state)
{
  Fixture *f = *state;
  g_autofree char *dir = g_build_filename (f->fixtures, "valid", "directory", NULL);
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = load (f, dir, diagnostics, &error);
  const GPtrArray *components;

  assert_non_null (config);
  components = sluice_config_get_components (config);
  /* 10-systems.json before 20-pipes.json; notes.txt and .hidden.json are ignored. */
  assert_int_equal (components->len, 3);
  assert_string_equal (sluice_config_component_get_id (g_ptr_array_index (components, 0)), "crm");
  assert_string_equal (sluice_config_component_get_id (g_ptr_array_index (components, 1)), "crm-person");
  assert_string_equal (sluice_config_component_get_id (g_ptr_array_index (components, 2)), "crm-order");
  assert_int_equal (sluice_config_count (config, SLUICE_COMPONENT_PIPE), 2);
  assert_int_equal (sluice_config_count (config, SLUICE_COMPONENT_SYSTEM), 1);
  assert_int_equal (sluice_config_get_n_files (config), 2);
}

/* $ENV is substituted; $SECRET values are usable by the engine but redacted when printed. */
static void
test_substitution_and_redaction (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = g_build_filename (f->fixtures, "valid", "secrets-and-env.json", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = load (f, path, NULL, &error);
  SluiceConfigComponent *system, *pipe;
  JsonObject *object;
  g_autoptr (JsonNode) redacted = NULL;

  assert_non_null (config);
  system = sluice_config_lookup (config, "crm");
  assert_non_null (system);
  object = json_node_get_object (sluice_config_component_get_node (system));
  assert_string_equal (json_object_get_string_member (object, "url_pattern"),
                       "http://example.org:8080/api/%s");
  assert_string_equal (json_object_get_string_member (object, "password"), SECRET_PASSWORD);
  assert_true (sluice_config_component_is_secret (system, "/password"));
  assert_true (sluice_config_component_is_secret (system, "/headers/Authorization"));
  assert_false (sluice_config_component_is_secret (system, "/url_pattern"));
  redacted = sluice_config_component_dup_redacted (system);
  object = json_node_get_object (redacted);
  assert_string_equal (json_object_get_string_member (object, "password"), SLUICE_CONFIG_REDACTED);

  pipe = sluice_config_lookup (config, "crm-person");
  object = json_node_get_object (sluice_config_component_get_node (pipe));
  /* The default sink, made explicit. */
  assert_string_equal (
    json_object_get_string_member (json_object_get_object_member (object, "sink"), "dataset"),
    "crm-person");
  /* An option flagged SECRET is redacted even when written in clear. */
  assert_true (sluice_config_component_is_secret (pipe, "/source/auth/password"));
}

static void
test_pattern_expansion (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = g_build_filename (f->fixtures, "valid", "pattern.json", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = load (f, path, NULL, &error);
  SluiceConfigComponent *in;

  assert_non_null (config);
  /* The pattern itself is replaced by what it generated. */
  assert_null (sluice_config_lookup (config, "orders"));
  in = sluice_config_lookup (config, "split-orders-in");
  assert_non_null (in);
  assert_string_equal (sluice_config_component_get_generated_by (in), "orders");
  assert_non_null (sluice_config_lookup (config, "split-orders-out"));
  assert_int_equal (sluice_config_count (config, SLUICE_COMPONENT_PIPE), 3);
  assert_int_equal (sluice_config_count (config, SLUICE_COMPONENT_PATTERN), 0);
}

static void
test_secrets_file_permissions (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = g_build_filename (f->fixtures, "valid", "secrets-and-env.json", NULL);
  const char *paths[] = { path, NULL };
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = NULL;
  g_autofree char *produced = NULL;
  g_autofree char *expected = NULL;

  assert_int_equal (g_chmod (f->secrets, 0640), 0);
  config = sluice_config_load (f->registry, paths, f->secrets, test_envp, diagnostics, &error);
  assert_null (config);
  produced = sluice_config_diagnostics_format (diagnostics);
  /* The refusal, then each use of a secret says why it is unavailable; nothing else. */
  expected = g_strdup_printf (
    "%s: the secrets file is accessible by group or others (mode 0640); it must be private to its "
    "owner: chmod 600 %s\n",
    f->secrets, f->secrets);
  assert_true (g_str_has_prefix (produced, expected));
  assert_non_null (strstr (produced, "crm: /password: secret 'db-password' in $SECRET(db-password) "
                                     "is unavailable: the secrets file "));
  assert_null (strstr (produced, SECRET_VALUE));
  assert_null (strstr (produced, SECRET_PASSWORD));
}

static void
test_secrets_file_malformed (void **state)
{
  Fixture *f = *state;
  g_autofree char *secrets = write_secrets (f->tmpdir, "{\"a\": \"x\",\n \"b\": 42}", 0600);
  const char *paths[] = { NULL };
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = NULL;
  g_autofree char *produced = NULL;
  g_autofree char *expected = NULL;

  config = sluice_config_load (f->registry, paths, secrets, test_envp, diagnostics, &error);
  assert_null (config);
  produced = sluice_config_diagnostics_format (diagnostics);
  expected = g_strdup_printf ("%s:2:7: secret 'b': expected a string value\n", secrets);
  assert_string_equal (produced, expected);
}

static void
test_missing_path (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = NULL;
  g_autofree char *produced = NULL;

  assert_int_equal (chdir (f->tmpdir), 0);
  config = load (f, "does-not-exist.json", diagnostics, &error);
  assert_null (config);
  produced = sluice_config_diagnostics_format (diagnostics);
  assert_string_equal (produced, "does-not-exist.json: cannot read the configuration file: No such "
                                 "file or directory\n");
  assert_string_equal (error->message, "1 error in 1 file");
}

/* An `_id` may come from $ENV: the component is known by the substituted value, which also names
 * its default sink and is what two components may not share.  It may not come from $SECRET: an
 * `_id` is shown in every message, log and URL. */
static void
test_id_from_substitution (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = g_build_filename (f->tmpdir, "ids.json", NULL);
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = NULL;
  g_autofree char *produced = NULL;
  SluiceConfigComponent *pipe;
  JsonObject *sink;

  assert_true (g_file_set_contents (path,
    "[{\"_id\": \"$ENV(SLUICE_TEST_PIPE)\", \"type\": \"pipe\",\n"
    "  \"source\": {\"type\": \"test-json\", \"url\": \"http://$ENV(SLUICE_TEST_HOST)/\"}}]\n",
    -1, NULL));
  config = load (f, path, diagnostics, &error);
  assert_non_null (config);
  pipe = sluice_config_lookup (config, "people-in");
  assert_non_null (pipe);
  assert_string_equal (sluice_config_component_get_id (pipe), "people-in");
  sink = json_object_get_object_member (
    json_node_get_object (sluice_config_component_get_node (pipe)), "sink");
  assert_string_equal (json_object_get_string_member (sink, "dataset"), "people-in");
  g_clear_object (&config);

  /* The same _id written once through $ENV and once in clear is a duplicate, not a silently
   * dropped component. */
  assert_true (g_file_set_contents (path,
    "[{\"_id\": \"$ENV(SLUICE_TEST_PIPE)\", \"type\": \"pipe\",\n"
    "  \"source\": {\"type\": \"test-json\", \"url\": \"http://a/\"}},\n"
    " {\"_id\": \"people-in\", \"type\": \"pipe\",\n"
    "  \"source\": {\"type\": \"test-json\", \"url\": \"http://b/\"}},\n"
    " {\"_id\": \"$SECRET(api-token)\", \"type\": \"pipe\",\n"
    "  \"source\": {\"type\": \"test-json\", \"url\": \"http://c/\"}}]\n",
    -1, NULL));
  assert_int_equal (chdir (f->tmpdir), 0);
  config = load (f, "ids.json", diagnostics, &error);
  assert_null (config);
  produced = sluice_config_diagnostics_format (diagnostics);
  assert_string_equal (produced,
    "ids.json:3:10: people-in: /_id: duplicate _id 'people-in': already defined at ids.json:1:10\n"
    "ids.json:5:10: $SECRET(api-token): /_id: '_id' cannot come from $SECRET: a component's _id "
    "is shown in messages, logs and URLs\n");
  assert_null (strstr (produced, SECRET_VALUE));
}

/* The api_tokens of the metadata: each token can be presented and picks one entry; `pipes` names
 * pipes of the configuration, whichever file (or pattern) defines them.  No message quotes a
 * token. */
static void
test_api_token_checks (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = NULL;
  g_autofree char *produced = NULL;

  config = load_conf_dir (f, "00-node.json",
    "{\"_id\": \"node\", \"type\": \"metadata\", \"api_tokens\": [\n"
    " {\"name\": \"ops\", \"token\": \"cl3ar-t0ken\", \"access\": \"admin\"},\n"
    " {\"name\": \"report\", \"token\": \"cl3ar-t0ken\", \"access\": \"read\",\n"
    "  \"pipes\": [\"later\", \"split-orders-in\", \"broken\"]},\n"
    " {\"name\": \"blank\", \"token\": \"\", \"access\": \"read\"},\n"
    " {\"name\": \"padded\", \"token\": \"\\tpadded-t0ken\", \"access\": \"read\"},\n"
    " {\"name\": \"broken-line\", \"token\": \"two\\nlines\", \"access\": \"read\"},\n"
    " {\"name\": \"typo\", \"token\": \"t1\", \"access\": \"read\", \"pipes\": [\"zzzz\"]},\n"
    " {\"name\": \"hidden\", \"token\": \"t2\", \"access\": \"read\",\n"
    "  \"pipes\": [\"$SECRET(db-password)\"]}]}\n",
    "10-pipes.json",
    "[{\"_id\": \"later\", \"type\": \"pipe\", \"source\": {\"type\": \"dataset-source\"}},\n"
    " {\"_id\": \"orders\", \"type\": \"pattern:test-split\", \"target\": \"http://orders/\"},\n"
    " {\"_id\": \"broken\", \"type\": \"pipe\", \"source\": {\"type\": \"dataset-source\"},"
    " \"batchsize\": 1}]\n",
    diagnostics, &error);
  assert_null (config);
  produced = sluice_config_diagnostics_format (diagnostics);
  assert_string_equal (produced,
    "./00-node.json:3:30: node: /api_tokens/1/token: API token 'report' has the same token as "
    "API token 'ops' (/api_tokens/0): every token must be different, whatever its access\n"
    "./00-node.json:5:29: node: /api_tokens/2/token: API token 'blank' is empty: it could never be "
    "presented\n"
    "./00-node.json:6:30: node: /api_tokens/3/token: API token 'padded' begins or ends with white "
    "space, which an Authorization header cannot carry\n"
    "./00-node.json:7:35: node: /api_tokens/4/token: API token 'broken-line' contains a control "
    "character, which an Authorization header cannot carry\n"
    "./10-pipes.json:3:74: broken: /batchsize: unknown key 'batchsize' in a pipe; did you mean "
    "'batch_size'?\n"
    "./00-node.json:8:62: node: /api_tokens/5/pipes/0: API token 'typo' names pipe 'zzzz', which "
    "is not in the configuration\n"
    "./00-node.json:10:13: node: /api_tokens/6/pipes/0: API token 'hidden' names a pipe (from a "
    "$SECRET) that is not in the configuration\n");
  assert_null (strstr (produced, SECRET_PASSWORD));
  assert_null (strstr (produced, "t0ken"));
  assert_null (strstr (produced, "lines"));
}

/* JSON has one kind of number.  An integer option takes 5.0 or 1e2 as the integer it is, and holds
 * it as one from then on (the engine and plugins read integers); free-form numbers reach plugins
 * and --print-config as written (0.1, not 0.10000000000000001; 1e18, not json-glib's "1e+18.0"). */
static void
test_numbers (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = g_build_filename (f->fixtures, "valid", "numbers.json", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = load (f, path, NULL, &error);
  g_autoptr (SluiceValue) value = NULL;
  g_autoptr (JsonNode) reparsed = NULL;
  g_autoptr (JsonNode) headers = NULL;
  g_autofree char *printed = NULL;
  SluiceConfigComponent *component;
  GHashTable *numbers;
  JsonObject *object, *source;
  JsonNode *node;

  assert_non_null (config);
  component = sluice_config_lookup (config, "people");
  numbers = sluice_config_component_get_numbers (component);
  object = json_node_get_object (sluice_config_component_get_node (component));
  node = json_object_get_member (object, "batch_size");
  assert_int_equal (json_node_get_value_type (node), G_TYPE_INT64);
  assert_int_equal (json_node_get_int (node), 5);
  source = json_object_get_object_member (object, "source");
  assert_int_equal (json_node_get_value_type (json_object_get_member (source, "page_size")),
                    G_TYPE_INT64);
  assert_int_equal (json_object_get_int_member (source, "page_size"), 25);
  assert_int_equal (json_node_get_value_type (
                      json_object_get_member (json_object_get_object_member (object, "pump"),
                                              "schedule_interval")),
                    G_TYPE_DOUBLE);

  headers = json_node_copy (json_object_get_member (source, "headers"));
  value = sluice_config_json_to_value (headers, numbers, "/source/headers", NULL, &error);
  assert_null (value);
  /* An option beyond what a double holds is refused when its element is built, quoting it. */
  assert_non_null (strstr (error->message, "1e400 is beyond the largest binary64 float"));
  g_clear_error (&error);
  json_object_remove_member (json_node_get_object (headers), "x-huge");
  value = sluice_config_json_to_value (headers, numbers, "/source/headers", NULL, &error);
  if (value == NULL)
    fail_msg ("%s", error->message);
  assert_true (sluice_value_get_float (sluice_value_dict_lookup (value, "x-limit")) == 1e18);
  /* Plugins read the numbers as written, as the SDK reads JSON without flags. */
  assert_int_equal (sluice_value_get_kind (sluice_value_dict_lookup (value, "x-tenth")),
                    SLUICE_VALUE_FLOAT);
  assert_true (sluice_value_get_float (sluice_value_dict_lookup (value, "x-tenth")) == 0.1);
  assert_int_equal (sluice_value_get_kind (sluice_value_dict_lookup (value, "x-big")),
                    SLUICE_VALUE_DECIMAL);
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup (value, "x-big"), NULL),
                       "12345678901234567890");
  assert_true (signbit (sluice_value_get_float (sluice_value_dict_lookup (value, "x-zero"))));
  assert_true (sluice_value_get_float (sluice_value_dict_lookup (value, "x-tiny")) == 0);

  printed = sluice_config_to_json (config, FALSE);
  reparsed = json_from_string (printed, &error);
  assert_non_null (reparsed);
}

/* Loading is a pure function: the same inputs give an equal, independent configuration. */
static void
test_load_is_repeatable (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = g_build_filename (f->fixtures, "valid", "pattern.json", NULL);
  g_autoptr (SluiceConfig) first = load (f, path, NULL, NULL);
  g_autoptr (SluiceConfig) second = load (f, path, NULL, NULL);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  assert_non_null (first);
  assert_non_null (second);
  assert_ptr_not_equal (first, second);
  a = sluice_config_to_json (first, FALSE);
  b = sluice_config_to_json (second, FALSE);
  assert_string_equal (a, b);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_valid_fixtures, setup, teardown),
    cmocka_unit_test_setup_teardown (test_invalid_fixtures, setup, teardown),
    cmocka_unit_test_setup_teardown (test_all_errors_reported, setup, teardown),
    cmocka_unit_test_setup_teardown (test_directory_order_and_counts, setup, teardown),
    cmocka_unit_test_setup_teardown (test_substitution_and_redaction, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pattern_expansion, setup, teardown),
    cmocka_unit_test_setup_teardown (test_secrets_file_permissions, setup, teardown),
    cmocka_unit_test_setup_teardown (test_secrets_file_malformed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_path, setup, teardown),
    cmocka_unit_test_setup_teardown (test_load_is_repeatable, setup, teardown),
    cmocka_unit_test_setup_teardown (test_id_from_substitution, setup, teardown),
    cmocka_unit_test_setup_teardown (test_api_token_checks, setup, teardown),
    cmocka_unit_test_setup_teardown (test_numbers, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}

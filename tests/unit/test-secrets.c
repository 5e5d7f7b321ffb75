/* test-secrets.c — the secrets file: format, permissions, and messages that never quote a value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "sluice-config.h"
#include "sluice-secrets.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->dir = g_dir_make_tmp ("sluice-secrets-XXXXXX", NULL);
  assert_non_null (f->dir);
  f->path = g_build_filename (f->dir, "secrets.json", NULL);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
  g_free (f);
  return 0;
}

static void
write_file (Fixture *f, const char *content, int mode)
{
  assert_true (g_file_set_contents (f->path, content, -1, NULL));
  assert_int_equal (g_chmod (f->path, mode), 0);
}

static void
test_load (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceSecrets) secrets = NULL;

  write_file (f, "{\"a\": \"one\", \"b-2.x\": \"two\"}", 0600);
  secrets = sluice_secrets_load (f->path, NULL, NULL, &error);
  assert_non_null (secrets);
  assert_string_equal (sluice_secrets_lookup (secrets, "a"), "one");
  assert_string_equal (sluice_secrets_lookup (secrets, "b-2.x"), "two");
  assert_null (sluice_secrets_lookup (secrets, "c"));
  assert_string_equal (sluice_secrets_get_path (secrets), f->path);
}

static void
test_owner_read_only_is_accepted (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceSecrets) secrets = NULL;

  write_file (f, "{}", 0400);
  secrets = sluice_secrets_load (f->path, NULL, NULL, NULL);
  assert_non_null (secrets);
  assert_int_equal (g_chmod (f->path, 0600), 0);
}

static void
test_refused_modes (void **state)
{
  Fixture *f = *state;
  const int modes[] = { 0640, 0604, 0620, 0660, 0644, 0610 };

  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceSecrets) secrets = NULL;
      g_autofree char *expected = NULL;

      write_file (f, "{\"a\": \"one\"}", modes[i]);
      secrets = sluice_secrets_load (f->path, NULL, NULL, &error);
      assert_null (secrets);
      assert_true (g_error_matches (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_SECRETS));
      expected = g_strdup_printf ("the secrets file is accessible by group or others (mode %04o); "
                                  "it must be private to its owner: chmod 600 %s",
                                  modes[i], f->path);
      assert_string_equal (error->message, expected);
    }
}

static void
test_malformed (void **state)
{
  Fixture *f = *state;
  struct
  {
    const char *content;
    guint line, column;
    const char *message;
  } cases[] = {
    { "[\"topsecret\"]", 1, 1, "expected a JSON object mapping secret names to string values" },
    { "{\"a\": \"topsecret\",\n \"b\": [\"topsecret\"]}", 2, 7, "secret 'b': expected a string value" },
    { "{\"a\": \"topsecret\" \"b\"}", 1, 19, "invalid JSON: expected ',' or '}' after an object member" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceSecrets) secrets = NULL;
      guint line = 0, column = 0;

      write_file (f, cases[i].content, 0600);
      secrets = sluice_secrets_load (f->path, &line, &column, &error);
      assert_null (secrets);
      assert_string_equal (error->message, cases[i].message);
      assert_int_equal (line, cases[i].line);
      assert_int_equal (column, cases[i].column);
      assert_null (strstr (error->message, "topsecret"));
    }
}

static void
test_missing (void **state)
{
  g_autoptr (GError) error = NULL;
  guint line = 7, column = 7;
  g_autoptr (SluiceSecrets) secrets = sluice_secrets_load ("/nonexistent/secrets.json", &line,
                                                           &column, &error);

  assert_null (secrets);
  assert_true (g_error_matches (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_IO));
  assert_string_equal (error->message, "cannot open the secrets file: No such file or directory");
  assert_int_equal (line, 0);
}

static void
on_alarm (int signum)
{
  static const char message[] = "sluice_secrets_load blocked on a FIFO\n";

  (void) signum;
  if (write (STDERR_FILENO, message, sizeof message - 1) < 0)
    _exit (1);
  _exit (1);
}

/* A FIFO (or anything else that is not a regular file) is refused without being read: opening a
 * FIFO that no one writes would otherwise block --check-config and the daemon for good.  The
 * alarm turns a hang into a failure; the load itself does not wait at all. */
static void
test_not_a_regular_file (void **state)
{
  Fixture *f = *state;
  struct
  {
    const char *what;
    const char *message;
  } cases[] = {
    { "fifo", "the secrets file is not a regular file (it is a FIFO)" },
    { "directory", "the secrets file is not a regular file (it is a directory)" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceSecrets) secrets = NULL;

      if (g_str_equal (cases[i].what, "fifo"))
        assert_int_equal (mkfifo (f->path, 0600), 0);
      else
        assert_int_equal (g_mkdir (f->path, 0700), 0);
      signal (SIGALRM, on_alarm);
      alarm (20);
      secrets = sluice_secrets_load (f->path, NULL, NULL, &error);
      alarm (0);
      assert_null (secrets);
      assert_true (g_error_matches (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_SECRETS));
      assert_string_equal (error->message, cases[i].message);
      if (g_str_equal (cases[i].what, "fifo"))
        assert_int_equal (g_unlink (f->path), 0);
      else
        assert_int_equal (g_rmdir (f->path), 0);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_load, setup, teardown),
    cmocka_unit_test_setup_teardown (test_owner_read_only_is_accepted, setup, teardown),
    cmocka_unit_test_setup_teardown (test_refused_modes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_malformed, setup, teardown),
    cmocka_unit_test (test_missing),
    cmocka_unit_test_setup_teardown (test_not_a_regular_file, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}

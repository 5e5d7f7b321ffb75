/* test-config-agreement.c — `sluiced --check-config` and the daemon accept exactly the same
 * configurations: the project rule "accepted means implemented" for the numbers of a pipe and its
 * pump.
 *
 * Each case is one pipe with one option set.  It goes through what --check-config does (load and
 * validate, then build the engine without a store, which runs every element's create callback)
 * and through what the daemon does (sluice_control_new: the same, plus the store and every pump);
 * both must give the expected verdict, and a refusal must be the expected diagnostic, located at
 * the number in the file and quoting it as written.  Nothing runs: the control is never
 * activated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine-fixture.h"
#include "sluice-clock.h"
#include "sluice-config-loader.h"
#include "sluice-control.h"

typedef struct
{
  const char *option;  /* members added to the pipe, as written */
  const char *pointer; /* of the refused value, or NULL when the pipe is accepted */
  const char *message; /* what --check-config says about it */
} Case;

#define INTERVAL_RANGE "must be between 1 and 3153600000 seconds (100 years)"
#define COUNT_RANGE "must be between 1 and 4294967295"

static const Case cases[] = {
  /* schedule_interval: at least a second (no busy loop), at most what the µs clock holds. */
  { "\"pump\": {\"schedule_interval\": 1e-9}", "/pump/schedule_interval",
    "'schedule_interval' " INTERVAL_RANGE ", got 1e-9" },
  { "\"pump\": {\"schedule_interval\": -0.5}", "/pump/schedule_interval",
    "'schedule_interval' " INTERVAL_RANGE ", got -0.5" },
  { "\"pump\": {\"schedule_interval\": 0.5}", "/pump/schedule_interval",
    "'schedule_interval' " INTERVAL_RANGE ", got 0.5" },
  { "\"pump\": {\"schedule_interval\": 0}", "/pump/schedule_interval",
    "'schedule_interval' " INTERVAL_RANGE ", got 0" },
  { "\"pump\": {\"schedule_interval\": 1}", NULL, NULL },
  { "\"pump\": {\"schedule_interval\": 1.5}", NULL, NULL },
  { "\"pump\": {\"schedule_interval\": 3153600000}", NULL, NULL },
  { "\"pump\": {\"schedule_interval\": 3153600000.5}", "/pump/schedule_interval",
    "'schedule_interval' " INTERVAL_RANGE ", got 3153600000.5" },
  { "\"pump\": {\"schedule_interval\": 1e18}", "/pump/schedule_interval",
    "'schedule_interval' " INTERVAL_RANGE ", got 1e18" },
  /* Run counts: whole numbers however written, within a guint32. */
  { "\"pump\": {\"rescan_run_count\": 0}", "/pump/rescan_run_count",
    "'rescan_run_count' " COUNT_RANGE ", got 0" },
  { "\"pump\": {\"rescan_run_count\": 5.0}", NULL, NULL },
  { "\"pump\": {\"rescan_run_count\": 2.5}", "/pump/rescan_run_count",
    "wrong type for 'rescan_run_count': expected an integer, got 2.5" },
  { "\"pump\": {\"rescan_run_count\": 4294967295}", NULL, NULL },
  { "\"pump\": {\"rescan_run_count\": 4294967296}", "/pump/rescan_run_count",
    "'rescan_run_count' " COUNT_RANGE ", got 4294967296" },
  { "\"pump\": {\"partial_rescan_run_count\": 1e18, \"partial_rescan_delta\": 1}",
    "/pump/partial_rescan_run_count", "'partial_rescan_run_count' " COUNT_RANGE ", got 1e18" },
  { "\"pump\": {\"partial_rescan_run_count\": 2, \"partial_rescan_delta\": -5}",
    "/pump/partial_rescan_delta",
    "'partial_rescan_delta' must be between 0 and 1000000000000000, got -5" },
  { "\"pump\": {\"partial_rescan_run_count\": 2, \"partial_rescan_delta\": 1e15}", NULL, NULL },
  { "\"pump\": {\"partial_rescan_run_count\": 2, \"partial_rescan_delta\": 1.5e15}",
    "/pump/partial_rescan_delta",
    "'partial_rescan_delta' must be between 0 and 1000000000000000, got 1.5e15" },
  /* Retries: counts the run compares with "<=", so below 2^31; delays in seconds. */
  { "\"pump\": {\"max_read_retries\": -1}", "/pump/max_read_retries",
    "'max_read_retries' must be between 0 and 2147483647, got -1" },
  { "\"pump\": {\"max_read_retries\": 3.0, \"read_retry_delay\": 0.25}", NULL, NULL },
  { "\"pump\": {\"batch_retries\": 4294967295}", "/pump/batch_retries",
    "'batch_retries' must be between 0 and 2147483647, got 4294967295" },
  { "\"pump\": {\"max_consecutive_write_errors\": 0}", "/pump/max_consecutive_write_errors",
    "'max_consecutive_write_errors' must be between 1 and 2147483647, got 0" },
  { "\"pump\": {\"write_retry_delay\": -1}", "/pump/write_retry_delay",
    "'write_retry_delay' must be between 0 and 3153600000 seconds (100 years), got -1" },
  /* The pipe's own numbers, and an element's integer option. */
  { "\"batch_size\": 1e2, \"checkpoint_interval\": 5.0", NULL, NULL },
  { "\"batch_size\": -0.5", "/batch_size", "wrong type for 'batch_size': expected an integer, "
                                           "got -0.5" },
  { "\"batch_size\": 4294967296", "/batch_size", "'batch_size' " COUNT_RANGE ", got 4294967296" },
  { "\"checkpoint_interval\": 1e18", "/checkpoint_interval",
    "'checkpoint_interval' " COUNT_RANGE ", got 1e18" },
  { "\"source\": {\"type\": \"test-sequence\", \"count\": 1e3}", NULL, NULL },
  { "\"source\": {\"type\": \"test-sequence\", \"count\": 1.5}", "/source/count",
    "wrong type for 'count': expected an integer, got 1.5" },
};

/* The pipe of @c, on one line, and the column of its refused value. */
static char *
pipe_json (const Case *c, guint *ret_column)
{
  const char *source = strstr (c->option, "\"source\"") != NULL
                         ? ""
                         : "\"source\": {\"type\": \"test-sequence\", \"count\": 1}, ";
  char *json = g_strdup_printf ("{\"_id\": \"p\", \"type\": \"pipe\", %s%s}", source, c->option);

  *ret_column = 0;
  if (c->pointer != NULL)
    {
      const char *key = strrchr (c->pointer, '/') + 1;
      g_autofree char *quoted = g_strdup_printf ("\"%s\": ", key);
      const char *at = strstr (json, quoted);

      assert_non_null (at);
      *ret_column = (guint) (at - json + strlen (quoted)) + 1;
    }
  return json;
}

/* What --check-config does (sluiced.c run_check_config): load, then build the engine without a
 * store.  The problems, "" when it accepts. */
static char *
check_config (EngineFixture *f, const char *path)
{
  const char *paths[] = { path, NULL };
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = NULL;
  g_autoptr (SluiceEngine) engine = NULL;

  config = sluice_config_load (f->registry, paths, NULL, NULL, diagnostics, &error);
  if (config != NULL)
    engine = sluice_engine_new (f->registry, config, NULL, diagnostics, &error);
  if (config != NULL && engine != NULL)
    return g_strdup ("");
  return sluice_config_diagnostics_format (diagnostics);
}

/* What the daemon does: the control, with the store and every pump.  Whether it accepts. */
static gboolean
daemon_accepts (EngineFixture *f, const char *path, char **ret_error)
{
  const char *paths[] = { path, NULL };
  g_autoptr (SluiceClock) clock = sluice_clock_new_manual (G_GINT64_CONSTANT (1700000000)
                                                           * G_USEC_PER_SEC);
  SluiceControlSettings settings = {
    .registry = f->registry,
    .config_paths = paths,
    .store = f->store,
    .clock = clock,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceControl) control = sluice_control_new (&settings, NULL, &error);

  *ret_error = error != NULL ? g_strdup (error->message) : NULL;
  return control != NULL;
}

static void
test_check_config_agrees_with_the_daemon (void **state)
{
  EngineFixture *f = *state;
  g_autofree char *path = g_build_filename (f->dir, "agreement.json", NULL);
  guint n_failures = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      guint column = 0;
      g_autofree char *json = pipe_json (c, &column);
      g_autofree char *checked = NULL;
      g_autofree char *expected = NULL;
      g_autofree char *daemon_error = NULL;
      gboolean daemon = FALSE;

      assert_true (g_file_set_contents (path, json, -1, NULL));
      checked = check_config (f, path);
      daemon = daemon_accepts (f, path, &daemon_error);
      expected = c->pointer == NULL ? g_strdup ("")
                                    : g_strdup_printf ("%s:1:%u: p: %s: %s\n", path, column,
                                                       c->pointer, c->message);
      if (!g_str_equal (checked, expected) || daemon != (c->pointer == NULL))
        {
          n_failures++;
          g_printerr ("%s\n  --check-config: %s  the daemon: %s%s\n  expected: %s", c->option,
                      *checked != '\0' ? checked : "OK\n", daemon ? "accepted" : "refused: ",
                      daemon ? "" : daemon_error, *expected != '\0' ? expected : "OK\n");
        }
    }
  if (n_failures > 0)
    fail_msg ("%u of %zu cases differ (above)", n_failures, G_N_ELEMENTS (cases));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_check_config_agrees_with_the_daemon,
                                     engine_fixture_setup, engine_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}

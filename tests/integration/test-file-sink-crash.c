/* test-file-sink-crash.c — SIGKILL at random points of file-sink runs, then finish: the file holds
 * every entity of the dataset exactly once.
 *
 * `sluiced --once` shares a dataset of 200,000 entities (written first by a test-sequence pipe)
 * through a `file` sink.  The test kills the process with SIGKILL when the output has grown to a
 * random fraction of its final size (or right after the start), then lets the next run finish,
 * and compares the file byte for byte with the output of a run that was never killed: a full run
 * of JSON lines killed 12 times, five rounds of 20,000 new entities whose incremental runs (which
 * append) are killed twice each, and a full run of a JSON array killed 5 times.  Set
 * SLUICE_TEST_SEED to repeat a sequence of kill points; the seed is printed.
 * Arguments: the sluiced binary, the build's plugin directory, the engine test plugin directory. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "test-tree.h"

#define N_ENTITIES 200000
#define N_ROUNDS 5
#define ROUND_ENTITIES 20000

static const char *sluiced;
static const char *plugin_dir;
static const char *test_plugin_dir;
static GRand *rng;

typedef struct
{
  char *dir;
  char *data;
  char *config;
  char *out;       /* the shared file */
  char *reference; /* the same pipe's output, never killed */
  guint kills;
} Crash;

/* "raw" holds e0 … e<count - 1>; "share" and "reference" write it to files of @format. */
static void
write_config (Crash *c, int count, const char *format)
{
  g_autofree char *json = g_strdup_printf (
    "[{\"_id\": \"raw\", \"type\": \"pipe\", \"batch_size\": 1000,"
    "  \"source\": {\"type\": \"test-sequence\", \"count\": %d}},"
    " {\"_id\": \"share\", \"type\": \"pipe\","
    "  \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
    "  \"sink\": {\"type\": \"file\", \"path\": \"%s\", \"format\": \"%s\"}},"
    " {\"_id\": \"reference\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},"
    "  \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
    "  \"sink\": {\"type\": \"file\", \"path\": \"%s\", \"format\": \"%s\"}}]",
    count, c->out, format, c->reference, format);

  g_assert_true (g_file_set_contents (c->config, json, -1, NULL));
}

static GPid
spawn (Crash *c, const char *pipe)
{
  const char *argv[] = { sluiced, "--plugin-dir", plugin_dir, "--plugin-dir", test_plugin_dir,
                         "--config", c->config, "--data", c->data, "--once", pipe, NULL };
  g_autoptr (GError) error = NULL;
  GPid pid;

  if (!g_spawn_async (NULL, (char **) argv, NULL,
                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid,
                      &error))
    fail_msg ("%s", error->message);
  return pid;
}

static int
wait_for (GPid pid)
{
  int status;

  while (waitpid (pid, &status, 0) < 0)
    assert_int_equal (errno, EINTR);
  g_spawn_close_pid (pid);
  return status;
}

/* Runs @pipe to its end, which must be a success.  The reference pipe, never killed, runs
 * incrementally after its first run too: its file is what the shared one must be. */
static void
run (Crash *c, const char *pipe)
{
  int status = wait_for (spawn (c, pipe));

  if (!(WIFEXITED (status) && WEXITSTATUS (status) == 0))
    fail_msg ("sluiced --once %s failed (status %d)", pipe, status);
}

static off_t
size_of (const char *path)
{
  struct stat st;

  return g_stat (path, &st) == 0 ? st.st_size : -1;
}

/* Starts a run of "share" and kills it when @watched has reached @target bytes (at once when
 * @target is 0).  Returns TRUE when it was killed, FALSE when it finished first. */
static gboolean
kill_when (Crash *c, const char *watched, off_t target)
{
  GPid pid = spawn (c, "share");
  int status;

  for (;;)
    {
      int wstatus;
      pid_t done;

      if (target == 0 || size_of (watched) >= target)
        {
          kill (pid, SIGKILL);
          break;
        }
      done = waitpid (pid, &wstatus, WNOHANG);
      if (done == pid)
        {
          g_spawn_close_pid (pid);
          if (!(WIFEXITED (wstatus) && WEXITSTATUS (wstatus) == 0))
            fail_msg ("sluiced --once share failed (status %d) without being killed", wstatus);
          return FALSE;
        }
      /* Choosing the moment to kill, not waiting for a result. */
      g_usleep (200);
    }
  status = wait_for (pid);
  if (!(WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL))
    {
      /* It finished between the check and the kill. */
      if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
        return FALSE;
      fail_msg ("sluiced --once share ended with status %d, not by the kill", status);
    }
  c->kills++;
  return TRUE;
}

/* Kills @n runs of "share" at random points while @watched grows from @from to @to bytes; one in
 * four right at the start. */
static void
kill_runs (Crash *c, const char *watched, off_t from, off_t to, guint n)
{
  guint killed = 0;

  for (guint attempt = 0; killed < n; attempt++)
    {
      off_t target = 0;

      if (attempt > 4 * n)
        fail_msg ("only %u of %u runs could be killed before they finished", killed, n);
      if (g_rand_int_range (rng, 0, 4) != 0)
        target = from + (off_t) (g_rand_double_range (rng, 0.0, 0.97) * (double) (to - from));
      if (kill_when (c, watched, MAX (target, 0)))
        killed++;
      else
        return; /* finished: nothing left to kill in this run */
    }
}

/* Compares the shared file with the reference; on a difference, says how many ids are missing or
 * repeated. */
static void
assert_same_output (Crash *c, const char *what)
{
  g_autofree char *out = NULL, *reference = NULL;
  gsize out_len = 0, reference_len = 0;

  assert_true (g_file_get_contents (c->reference, &reference, &reference_len, NULL));
  if (!g_file_get_contents (c->out, &out, &out_len, NULL))
    fail_msg ("%s: '%s' does not exist", what, c->out);
  if (out_len != reference_len || memcmp (out, reference, out_len) != 0)
    {
      g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
      guint repeated = 0, reference_lines = 0;

      for (guint i = 0; lines[i] != NULL; i++)
        if (*lines[i] != '\0' && !g_hash_table_add (seen, g_strdup (lines[i])))
          repeated++;
      for (const char *p = reference; *p != '\0'; p++)
        reference_lines += *p == '\n';
      fail_msg ("%s, after %u kills: the file differs from the uninterrupted run's (%zu bytes, "
                "%u distinct lines, %u repeated; expected %zu bytes, %u lines)",
                what, c->kills, (size_t) out_len, g_hash_table_size (seen), repeated,
                (size_t) reference_len, reference_lines);
    }
}

static void
crash_init (Crash *c, const char *name)
{
  c->dir = g_dir_make_tmp ("sluice-file-crash-XXXXXX", NULL);
  assert_non_null (c->dir);
  c->data = g_build_filename (c->dir, "data", NULL);
  c->config = g_build_filename (c->dir, "config.json", NULL);
  c->out = g_build_filename (c->dir, name, NULL);
  c->reference = g_strconcat (c->out, ".reference", NULL);
}

static void
crash_clear (Crash *c)
{
  sluice_test_remove_tree (c->dir);
  g_free (c->dir);
  g_free (c->data);
  g_free (c->config);
  g_free (c->out);
  g_free (c->reference);
}

static void
test_jsonl_full_and_incremental (void **state)
{
  Crash c = { 0 };
  g_autofree char *tmp = NULL;
  int count = N_ENTITIES;

  crash_init (&c, "out.jsonl");
  tmp = g_strconcat (c.out, ".tmp", NULL);
  write_config (&c, count, "jsonl");
  run (&c, "raw");
  run (&c, "reference");

  /* The full run writes <path>.tmp, then renames it. */
  kill_runs (&c, tmp, 0, size_of (c.reference), 12);
  run (&c, "share");
  assert_same_output (&c, "the full run");
  assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));

  /* Incremental runs append to <path>. */
  for (int round = 1; round <= N_ROUNDS; round++)
    {
      off_t before = size_of (c.out);
      g_autofree char *what = g_strdup_printf ("incremental round %d", round);

      count += ROUND_ENTITIES;
      write_config (&c, count, "jsonl");
      run (&c, "raw");
      run (&c, "reference");
      kill_runs (&c, c.out, before, size_of (c.reference), 2);
      run (&c, "share");
      assert_same_output (&c, what);
    }
  print_message ("%u kills, %d entities\n", c.kills, count);
  assert_true (c.kills >= 20);
  crash_clear (&c);
}

static void
test_json_array_full (void **state)
{
  Crash c = { 0 };
  g_autofree char *tmp = NULL;

  crash_init (&c, "out.json");
  tmp = g_strconcat (c.out, ".tmp", NULL);
  write_config (&c, N_ENTITIES, "json");
  run (&c, "raw");
  run (&c, "reference");
  kill_runs (&c, tmp, 0, size_of (c.reference), 5);
  run (&c, "share");
  assert_same_output (&c, "the full run of a JSON array");
  print_message ("%u kills\n", c.kills);
  crash_clear (&c);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_jsonl_full_and_incremental),
    cmocka_unit_test (test_json_array_full),
  };
  const char *seed_text = g_getenv ("SLUICE_TEST_SEED");
  guint32 seed = seed_text != NULL ? (guint32) g_ascii_strtoull (seed_text, NULL, 10)
                                   : (guint32) g_get_real_time ();
  int failed;

  if (argc != 4)
    {
      g_printerr ("usage: %s SLUICED PLUGIN-DIR TEST-PLUGIN-DIR\n", argv[0]);
      return 2;
    }
  sluiced = argv[1];
  plugin_dir = argv[2];
  test_plugin_dir = argv[3];
  printf ("SLUICE_TEST_SEED=%u\n", seed);
  rng = g_rand_new_with_seed (seed);
  failed = cmocka_run_group_tests (tests, NULL, NULL);
  g_rand_free (rng);
  return failed;
}

/* test-store-lmdb.c — what only the LMDB backend of the store has (core/store/lmdb/): map growth
 * and sizing at open, a full map, a full disk, and a store created on a full file system.  What
 * every backend must do is in the conformance suite (tests/store/), which runs for LMDB too. */
#define _GNU_SOURCE /* unshare */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "sluice-store-lmdb.h"
#include "store-records.h"
#include "test-child.h"

typedef struct
{
  char *dir;
  SluiceStoreBackend *store;
} Fixture;

static void
remove_dir (const char *dir)
{
  g_autofree char *data = g_build_filename (dir, "data.mdb", NULL);
  g_autofree char *lock = g_build_filename (dir, "lock.mdb", NULL);

  g_unlink (data);
  g_unlink (lock);
  g_rmdir (dir);
}

static SluiceStoreBackend *
open_store (const char *dir, uint64_t initial, uint64_t max)
{
  SluiceStoreLmdbOptions options = { initial, max, 0 };
  g_autoptr (GError) error = NULL;
  SluiceStoreBackend *store = sluice_store_lmdb_open (dir, &options, &error);

  assert_null (error);
  assert_non_null (store);
  return store;
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("sluice-store-XXXXXX", &error);
  assert_null (error);
  f->store = open_store (f->dir, 0, 0);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  sluice_store_backend_free (f->store);
  remove_dir (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}


static void
test_map_growth (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *body = g_strnfill (1000, 'b');
  SluiceStoreTxn *txn;
  uint64_t before;

  sluice_store_backend_free (f->store);
  f->store = open_store (f->dir, 1 << 20, 256 << 20);
  before = sluice_store_lmdb_get_map_size (f->store);
  create (f->store, "g");
  txn = sluice_store_backend_begin (f->store, &error);
  for (int b = 0; b < 20; b++)
    {
      SluiceStoreRecord records[500];
      g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
      SluicePipeState ps = { g_strdup_printf ("%d", b) };

      for (int i = 0; i < 500; i++)
        {
          char *id = g_strdup_printf ("%d-%d", b, i);
          g_ptr_array_add (ids, id);
          records[i] = (SluiceStoreRecord){ id, strlen (id), { b, i & 0xff }, FALSE, body, 1000 };
        }
      assert_true (sluice_store_txn_append (txn, "g", records, 500, 0, NULL, NULL, &error));
      assert_null (error);
      assert_true (sluice_store_txn_set_pipe_state (txn, "gp", &ps, &error));
      g_free (ps.since);
    }
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  assert_null (error);
  assert_true (sluice_store_lmdb_get_map_size (f->store) > before);
  {
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "g");
    g_auto (SluicePipeState) ps = { 0 };
    assert_int_equal (i->version_count, 10000);
    assert_true (sluice_store_backend_get_pipe_state (f->store, "gp", &ps, &error));
    assert_string_equal (ps.since, "19");
  }
}

/* The map of a reopened store starts at the store's size with room to grow, not at the configured
 * initial size: the first transactions after a start do not have to grow it. */
static void
test_map_sized_at_open (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *data = g_build_filename (f->dir, "data.mdb", NULL);
  g_autofree char *body = g_strnfill (64 << 10, 'b');
  GStatBuf st;
  uint64_t opened;

  sluice_store_backend_free (f->store);
  f->store = open_store (f->dir, 1 << 20, 0);
  create (f->store, "big");
  for (int i = 0; i < 48; i++)
    {
      g_autofree char *id = g_strdup_printf ("r%d", i);
      SluiceStoreRecord r = { id, strlen (id), { i }, FALSE, body, 64 << 10 };

      append (f->store, "big", &r, 1, NULL);
    }
  sluice_store_backend_free (f->store);
  assert_int_equal (g_stat (data, &st), 0);
  assert_true ((uint64_t)st.st_size > (3 << 20));

  f->store = open_store (f->dir, 1 << 20, 0);
  opened = sluice_store_lmdb_get_map_size (f->store);
  /* At most half used, in doublings of the initial size. */
  assert_true (opened >= 2 * (uint64_t)st.st_size);
  assert_true (opened < 4 * (uint64_t)st.st_size);
  assert_int_equal (opened & (opened - 1), 0);
  append1 (f->store, "big", "after", "1", FALSE);
  assert_int_equal (sluice_store_lmdb_get_map_size (f->store), opened);

  /* A maximum below that wins, as long as the data fits. */
  sluice_store_backend_free (f->store);
  f->store = open_store (f->dir, 1 << 20, 5 << 20);
  assert_int_equal (sluice_store_lmdb_get_map_size (f->store), 5 << 20);
}

/* A map that may not grow further: a clear error, and nothing of the failed transaction. */
static void
test_map_full (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *body = g_strnfill (4000, 'b');
  g_autofree char *expected = NULL;
  SluiceStoreRecord records[100];
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  SluicePipeState ps = { (char *)"ok" };
  SluiceStoreTxn *txn;
  gboolean ok = TRUE;
  int b;

  sluice_store_backend_free (f->store);
  f->store = open_store (f->dir, 1 << 20, 2 << 20);
  create (f->store, "full");
  append1 (f->store, "full", "first", "1", FALSE);
  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_set_pipe_state (txn, "fp", &ps, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));

  for (int i = 0; i < 100; i++)
    {
      char *id = g_strdup_printf ("r%d", i);
      g_ptr_array_add (ids, id);
      records[i] = (SluiceStoreRecord){ id, strlen (id), { 0 }, FALSE, body, 4000 };
    }
  txn = sluice_store_backend_begin (f->store, &error);
  ps.since = (char *)"bad";
  assert_true (sluice_store_txn_set_pipe_state (txn, "fp", &ps, &error));
  for (b = 0; b < 10 && ok; b++)
    {
      for (int i = 0; i < 100; i++)
        records[i].hash[0] = b + 1;
      ok = sluice_store_txn_append (txn, "full", records, 100, 0, NULL, NULL, &error);
    }
  if (ok)
    ok = sluice_store_txn_commit (txn, 0, &error);
  else
    sluice_store_txn_abort (txn);
  assert_false (ok);
  expected = g_strdup_printf ("store at %s: the store reached its maximum size of 2 MiB while "
                              "appending to dataset 'full'; nothing of the transaction was stored",
                              f->dir);
  assert_string_equal (error->message, expected);
  assert_true (g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_SIZE_LIMIT));
  g_clear_error (&error);

  {
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "full");
    g_auto (SluicePipeState) got = { 0 };
    g_autofree char *all = query_ids (f->store, "full", SLUICE_STORE_NO_OFFSET, 0);
    assert_int_equal (i->version_count, 1);
    assert_string_equal (all, "first");
    assert_true (sluice_store_backend_get_pipe_state (f->store, "fp", &got, &error));
    assert_string_equal (got.since, "ok");
  }
  /* Small writes still work. */
  append1 (f->store, "full", "second", "2", FALSE);
}

/* A full disk (here: a file size limit) fails the commit with a clear error and leaves the store as
 * it was.  Runs in a child so that the limit does not touch the test runner. */
static void
test_disk_full (void **state)
{
  Fixture *f = *state;
  g_autofree char *data = g_build_filename (f->dir, "data.mdb", NULL);
  g_autofree char *body = g_strnfill (8000, 'b');
  GStatBuf st;
  pid_t pid;
  int status;

  create (f->store, "disk");
  append1 (f->store, "disk", "before", "1", FALSE);
  sluice_store_backend_free (f->store);
  f->store = NULL;
  assert_int_equal (g_stat (data, &st), 0);

  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      struct rlimit limit = { st.st_size + 64 * 1024, st.st_size + 64 * 1024 };
      g_autoptr (GError) error = NULL;
      g_autofree char *expected = NULL;
      SluiceStoreBackend *store = open_store (f->dir, 0, 0);
      SluiceStoreRecord records[100];
      SluiceStoreTxn *txn;
      gboolean ok;

      signal (SIGXFSZ, SIG_IGN);
      setrlimit (RLIMIT_FSIZE, &limit);
      for (int i = 0; i < 100; i++)
        {
          char *id = g_strdup_printf ("r%d", i);
          records[i] = (SluiceStoreRecord){ id, strlen (id), { 1 }, FALSE, body, 8000 };
        }
      txn = sluice_store_backend_begin (store, &error);
      ok = sluice_store_txn_append (txn, "disk", records, 100, 0, NULL, NULL, &error);
      if (!ok)
        _exit (10);
      ok = sluice_store_txn_commit (txn, 0, &error);
      if (ok)
        _exit (11);
      expected = g_strdup_printf ("store at %s: disk full while appending to dataset 'disk'; "
                                  "nothing of the transaction was stored",
                                  f->dir);
      if (strcmp (error->message, expected) != 0)
        {
          g_printerr ("unexpected message: %s\n", error->message);
          _exit (12);
        }
      if (!g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL))
        _exit (13);
      _exit (0);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);

  f->store = open_store (f->dir, 0, 0);
  {
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "disk");
    g_autofree char *all = query_ids (f->store, "disk", SLUICE_STORE_NO_OFFSET, 0);
    assert_int_equal (i->version_count, 1);
    assert_int_equal (i->next_offset, 1);
    assert_string_equal (all, "before");
  }
  append1 (f->store, "disk", "after", "2", FALSE);
}

/* Store creation on a full file system.  The child that runs it mounts a small tmpfs in a mount
 * namespace of its own (and a user namespace when it is not root), so nothing outside it sees the
 * mount. */

#define FULL_FS_SIZE (512 << 10)
#define FULL_FS_PAGE 4096
#define FULL_FS_CASES 24 /* free pages left, 0 … FULL_FS_CASES - 1 */
#define CHILD_SKIP 77

static gboolean
write_proc_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, text, strlen (text)) == (ssize_t)strlen (text);
  close (fd);
  return ok;
}

/* Mounts a tmpfs of @size bytes on @dir for this process only: in a mount namespace of its own
 * (root), or of a user namespace of its own (anyone, where the system allows it).  FALSE when
 * neither can be had. */
static gboolean
mount_private_tmpfs (const char *dir, size_t size)
{
  g_autofree char *options = g_strdup_printf ("size=%zu,mode=0700", size);

  if (geteuid () != 0 || unshare (CLONE_NEWNS) != 0)
    {
      g_autofree char *uid_map = g_strdup_printf ("%u %u 1\n", geteuid (), geteuid ());
      g_autofree char *gid_map = g_strdup_printf ("%u %u 1\n", getegid (), getegid ());

      if (unshare (CLONE_NEWUSER | CLONE_NEWNS) != 0
          || !write_proc_file ("/proc/self/setgroups", "deny")
          || !write_proc_file ("/proc/self/uid_map", uid_map)
          || !write_proc_file ("/proc/self/gid_map", gid_map))
        return FALSE;
    }
  /* Nothing mounted here may propagate to the namespace the test runs in. */
  return mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0
         && mount ("sluice-test", dir, "tmpfs", 0, options) == 0;
}

/* Fills the file system of @dir with one file until @left bytes are free; returns its path. */
static char *
fill_fs (const char *dir, size_t left)
{
  char *path = g_build_filename (dir, "filler", NULL);
  char block[FULL_FS_PAGE];
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  struct stat st;

  if (fd < 0)
    sluice_test_child_fail ("cannot create %s: %s", path, g_strerror (errno));
  memset (block, 'f', sizeof block);
  while (write (fd, block, sizeof block) == sizeof block)
    ;
  if (fstat (fd, &st) != 0 || (size_t)st.st_size < left
      || ftruncate (fd, st.st_size / FULL_FS_PAGE * FULL_FS_PAGE - left) != 0)
    sluice_test_child_fail ("cannot fill %s", dir);
  close (fd);
  return path;
}

/* A store operation on a full file system either works or fails with DISK_FULL. */
static void
expect_ok_or_disk_full (gboolean ok, GError *error, const char *what)
{
  if (!ok && !g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL))
    sluice_test_child_fail ("%s: expected success or a disk-full error, got: %s", what,
                            error != NULL ? error->message : "(no error)");
}

/* Creates a dataset (when needed) and appends one record in one transaction. */
static gboolean
try_write (SluiceStoreBackend *store, const char *id, GError **error)
{
  SluiceStoreRecord r = rec (id, "body", FALSE);
  g_autoptr (SluiceDatasetInfo) created = NULL;
  SluiceStoreTxn *txn = sluice_store_backend_begin (store, error);

  if (txn == NULL)
    return FALSE;
  created = sluice_store_txn_create_dataset (txn, "d", TRUE, error);
  if (created == NULL || !sluice_store_txn_append (txn, "d", &r, 1, 0, NULL, NULL, error))
    {
      sluice_store_txn_abort (txn);
      return FALSE;
    }
  return sluice_store_txn_commit (txn, SLUICE_STORE_COMMIT_DURABLE, error);
}

/* The ids of dataset "d", space-separated; NULL on failure. */
static char *
read_ids (SluiceStoreBackend *store, GError **error)
{
  SluiceStoreQuery q = { "d", SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE };
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &q, error);
  g_autoptr (GString) out = g_string_new (NULL);
  const SluiceStoreVersion *v;

  if (cursor == NULL)
    return NULL;
  while ((v = sluice_store_cursor_next (cursor, error)) != NULL)
    g_string_append_printf (out, "%s%.*s", out->len ? " " : "", (int)v->record.id_len,
                            v->record.id);
  if (*error != NULL)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* One amount of free space, @pages pages.  TRUE when the store could be created with it. */
static gboolean
full_fs_case (const char *mnt, int pages)
{
  g_autofree char *dir = g_strdup_printf ("%s/store-%d", mnt, pages);
  g_autofree char *lock = g_build_filename (dir, "lock.mdb", NULL);
  g_autofree char *filler = fill_fs (mnt, (size_t)pages * FULL_FS_PAGE);
  g_autoptr (GError) error = NULL;
  g_autofree char *ids = NULL;
  SluiceStoreBackend *store = sluice_store_lmdb_open (dir, NULL, &error);
  gboolean created = store != NULL, written = FALSE;
  struct stat st;

  /* With too little space, opening fails with a message that names the file and the reason. */
  if (!created)
    {
      g_autofree char *lead = g_strdup_printf ("store at %s: cannot create %s/", dir, dir);

      if (!g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL)
          || !g_str_has_prefix (error->message, lead)
          || strstr (error->message, "the file system is full") == NULL)
        sluice_test_child_fail ("%d free pages: unexpected error: %s", pages, error->message);
      g_clear_error (&error);
    }
  else
    {
      written = try_write (store, "tight", &error);
      expect_ok_or_disk_full (written, error, "writing with little space");
      g_clear_error (&error);
      sluice_store_backend_free (store);
    }

  /* Once there is space again, the store opens and works: nothing half-made is in the way. */
  g_unlink (filler);
  store = sluice_store_lmdb_open (dir, NULL, &error);
  if (store == NULL)
    sluice_test_child_fail ("%d free pages, then space again: %s", pages, error->message);
  /* Every block of the lock file is allocated: LMDB did not extend it past what the store
   * allocated (a reader slot on a page without blocks would be the next SIGBUS). */
  if (stat (lock, &st) != 0 || (uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size)
    sluice_test_child_fail ("%s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes allocated",
                            lock, (uint64_t)st.st_blocks * 512, (uint64_t)st.st_size);
  if (!try_write (store, "roomy", &error))
    sluice_test_child_fail ("%d free pages, then space again: %s", pages, error->message);
  sluice_store_backend_free (store);

  /* An existing store opens and reads on a full file system; a write fails cleanly. */
  g_free (filler);
  filler = fill_fs (mnt, 0);
  store = sluice_store_lmdb_open (dir, NULL, &error);
  if (store == NULL)
    sluice_test_child_fail ("%d free pages, reopened when full: %s", pages, error->message);
  ids = read_ids (store, &error);
  if (ids == NULL)
    sluice_test_child_fail ("%d free pages, reopened when full: %s", pages, error->message);
  if (strcmp (ids, written ? "tight roomy" : "roomy") != 0)
    sluice_test_child_fail ("%d free pages, reopened when full: read '%s'", pages, ids);
  if (!try_write (store, "full", &error))
    expect_ok_or_disk_full (FALSE, error, "writing when full");
  sluice_store_backend_free (store);
  g_unlink (filler);
  remove_dir (dir);
  return created;
}

static void
full_fs_child (gpointer data)
{
  const char *mnt = data;
  int created = 0;

  if (!mount_private_tmpfs (mnt, FULL_FS_SIZE))
    {
      fprintf (stderr, "no tmpfs in a private mount namespace: %s\n", g_strerror (errno));
      _exit (CHILD_SKIP);
    }
  for (int pages = 0; pages < FULL_FS_CASES; pages++)
    created += full_fs_case (mnt, pages);
  /* The largest amounts are enough to create a store. */
  if (created == 0)
    sluice_test_child_fail ("no store could be created with up to %d free pages", FULL_FS_CASES);
}

/* A store created on a full file system: never SIGBUS (LMDB writes its lock file through a
 * map), a clear error, and nothing left behind that breaks the next open.  Every amount of free
 * space from none to enough is tried. */
static void
test_create_on_full_fs (void **state)
{
  char *mnt = g_dir_make_tmp ("sluice-fullfs-XXXXXX", NULL);
  gboolean ok;
  int status;

  assert_non_null (mnt);
  ok = sluice_test_run_child (full_fs_child, mnt, &status);
  g_rmdir (mnt);
  g_free (mnt);
  if (WIFEXITED (status) && WEXITSTATUS (status) == CHILD_SKIP)
    skip ();
  assert_true (ok);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_map_growth, setup, teardown),
    cmocka_unit_test_setup_teardown (test_map_sized_at_open, setup, teardown),
    cmocka_unit_test_setup_teardown (test_map_full, setup, teardown),
    cmocka_unit_test_setup_teardown (test_disk_full, setup, teardown),
    cmocka_unit_test (test_create_on_full_fs),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}

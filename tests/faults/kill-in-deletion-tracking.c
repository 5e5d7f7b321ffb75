/* kill-in-deletion-tracking.c — a fault for tests/integration/test-sync-crash.c, preloaded into
 * sluiced with LD_PRELOAD: the process dies with SIGKILL right after the dataset sink appended its
 * first batch of deletes, in the middle of the deletion-tracking pass at the end of a full run.
 *
 * It interposes the SDK's sluice_dataset_append (), which the dataset plugin calls through the
 * dynamic linker, and calls the real one first.  A batch that holds only deleted entities is the
 * deletion pass: the test's source never sends a deleted entity.  Test-only: nothing in the
 * product knows about it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>

#include <sluice-plugin-sdk.h>

typedef gboolean (*AppendFn) (SluiceElementContext *context, const char *dataset,
                              const SluiceBatch *batch, uint32_t flags, size_t *ret_n_appended,
                              GError **error);

static gboolean
only_deletes (const SluiceBatch *batch)
{
  size_t length = sluice_batch_get_length (batch);

  for (size_t i = 0; i < length; i++)
    if (!sluice_entity_is_deleted (sluice_batch_get (batch, i)))
      return FALSE;
  return length > 0;
}

gboolean
sluice_dataset_append (SluiceElementContext *context, const char *dataset,
                       const SluiceBatch *batch, uint32_t flags, size_t *ret_n_appended,
                       GError **error)
{
  static AppendFn real;
  gboolean ok;

  if (real == NULL)
    real = (AppendFn) dlsym (RTLD_NEXT, "sluice_dataset_append");
  ok = real (context, dataset, batch, flags, ret_n_appended, error);
  if (ok && only_deletes (batch))
    raise (SIGKILL);
  return ok;
}

/* init-fails.c — broken: its init refuses to start. */
#include "test-plugin.h"

TEST_SOURCE (source, "init-fails-source");

static gboolean
init_fails_init (GError **error)
{
  g_set_error_literal (error, SLUICE_ERROR, SLUICE_ERROR_IO, "cannot reach the license server");
  return FALSE;
}

static void
init_fails_deinit (void)
{
  /* Never called: the host deinitializes only plugins whose init succeeded. */
  g_error ("deinit called on a plugin whose init failed");
}

SLUICE_PLUGIN_DEFINE (init_fails, "1.0", "MIT", "Fails to initialize.", init_fails_init,
                      init_fails_deinit, &source)
